"""PII detection: recall and false positives on generated cases, exact output on typical text.

Run with -s to see the measured numbers.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from voc.schema import Transcript, Utterance
from voc.text.pii import card_ok, find_pii, id_ok, landline_ok, luhn_ok, mobile_ok, redact, redact_transcript

SEED = 20241128
N = 320
SPOKEN = dict(zip("0123456789X", "零幺二三四五六七八九叉"))
PROVINCES = ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
             "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"]
W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
TEMPLATES = [
    "{x}", "我的{label}是{x}，你帮我查一下。", "{label}{x}", "你记一下，{x}，这个没错。", "嗯，{label}：{x}",
    "好的，{x}对吧？", "麻烦核对下{label}{x}谢谢", "客户提供的{label}为{x}，已登记。", "{x}就是这个",
    "我念一下啊，{x}。", "我叫王伟，{label}是{x}，昨天办的业务。", "刚才说的{x}你再确认下",
]
LABELS = {"card": ["卡号", "银行卡号", "信用卡", ""], "id": ["身份证号", "身份证", "证件号码", ""],
          "mobile": ["手机号", "电话", "联系方式", ""], "landline": ["座机", "电话", "单位电话", ""],
          "email": ["邮箱", "电子邮箱", "email", ""]}


def luhn_digit(body: str) -> str:
    return next(d for d in "0123456789" if luhn_ok(body + d))


def check_char(body: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, W)) % 11]


def spoken(digits: str, r: random.Random, spaces: bool = False) -> str:
    out = []
    for i, c in enumerate(digits):
        s = SPOKEN[c]
        if c == "1" and r.random() < .4:
            s = "一"
        if c == "2" and r.random() < .3:
            s = "两"
        if c == "0" and r.random() < .2:
            s = "〇"
        if spaces and i and i % 4 == 0:
            out.append(" ")
        out.append(s)
    return "".join(out)


def mixed(digits: str, r: random.Random) -> str:
    """Part Arabic, part spoken, as ASR writes a number read out with pauses."""
    cut = r.randrange(3, len(digits) - 3)
    return digits[:cut] + " " + spoken(digits[cut:], r)


def grouped(digits: str, sizes, sep: str) -> str:
    out, i = [], 0
    for n in sizes:
        out.append(digits[i:i + n])
        i += n
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(p for p in out if p)


def gen_card(r: random.Random) -> str:
    prefix = r.choice(["62", "62", "62", "4", "5" + r.choice("12345")])
    n = r.choice([16, 19]) if prefix == "62" else r.choice([16, 16, 16, 17, 18, 19])
    body = prefix + "".join(r.choice("0123456789") for _ in range(n - 1 - len(prefix)))
    return body + luhn_digit(body)


def gen_birth(r: random.Random) -> date:
    return date(1935, 1, 1) + timedelta(days=r.randrange((date(2008, 12, 31) - date(1935, 1, 1)).days))


def gen_id(r: random.Random) -> str:
    body = (r.choice(PROVINCES) + f"{r.randrange(1, 100):02d}{r.randrange(1, 100):02d}"
            + gen_birth(r).strftime("%Y%m%d") + f"{r.randrange(1000):03d}")
    return body + check_char(body)


def gen_mobile(r: random.Random) -> str:
    return "1" + r.choice("3456789") + "".join(r.choice("0123456789") for _ in range(9))


def gen_landline(r: random.Random) -> tuple[str, str]:
    area = r.choice(["010", "020", "021", "022", "023", "024", "025", "027", "028", "029", "0755",
                     "0731", "0571", "0512", "0795", "0351", "0898", "0991", "0431", "0871"])
    local = r.choice("2345678") + "".join(r.choice("0123456789") for _ in range(r.choice([6, 7])))
    return area, local


def gen_email(r: random.Random) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    if r.random() < .3:
        local = str(r.randrange(10 ** 5, 10 ** 10))
    else:
        local = "".join(r.choice(letters) for _ in range(r.randrange(3, 10)))
        if r.random() < .5:
            local += r.choice([".", "_", ""]) + str(r.randrange(1, 9999))
    return local + "@" + r.choice(["qq.com", "163.com", "126.com", "gmail.com", "sina.cn",
                                   "icbc.com.cn", "outlook.com", "foxmail.com", "xinghe-bank.cn"])


def card_forms(c: str, r: random.Random) -> str:
    return r.choice([c, c, grouped(c, [4] * 4, " "), grouped(c, [4] * 4, "-"), grouped(c, [4] * 4, "  "),
                     spoken(c, r), spoken(c, r, spaces=True), mixed(c, r)])


def id_forms(i: str, r: random.Random) -> str:
    low = i[:-1] + i[-1].lower()
    return r.choice([i, i, low, grouped(i, [6, 8], " "), spoken(i, r), spoken(i, r, spaces=True), mixed(i, r)])


def mobile_forms(m: str, r: random.Random) -> str:
    return r.choice([m, m, "+86" + m, "+86 " + m, "86-" + m, "(+86)" + m, grouped(m, [3, 4], " "),
                     grouped(m, [3, 4], "-"), "+86 " + grouped(m, [3, 4], " "), spoken(m, r),
                     grouped(spoken(m, r), [3, 4], " "), grouped(spoken(m, r), [3, 4], "，"), mixed(m, r)])


def landline_forms(area: str, local: str, r: random.Random) -> str:
    half = len(local) // 2
    return r.choice([f"{area}-{local}", f"{area}{local}", f"{area} {local}", f"({area}){local}",
                     f"（{area}）{local}", f"({area}) {local[:half]} {local[half:]}",
                     f"{area} {local[:half]} {local[half:]}", spoken(area + local, r)])


def positives():
    r = random.Random(SEED)
    cases = []
    for kind in ("card", "id", "mobile", "landline", "email"):
        for _ in range(N):
            if kind == "card":
                x = card_forms(gen_card(r), r)
            elif kind == "id":
                x = id_forms(gen_id(r), r)
            elif kind == "mobile":
                x = mobile_forms(gen_mobile(r), r)
            elif kind == "landline":
                x = landline_forms(*gen_landline(r), r)
            else:
                x = gen_email(r)
            text = r.choice(TEMPLATES).format(x=x, label=r.choice(LABELS[kind]))
            cases.append((kind, text, text.index(x), text.index(x) + len(x)))
    return cases


def negatives() -> list[str]:
    r = random.Random(SEED + 1)
    digits = lambda n: r.choice("123456789") + "".join(r.choice("0123456789") for _ in range(n - 1))  # noqa: E731
    out = []
    for _ in range(80):  # order numbers: 16-19 digits failing Luhn, some card-like
        body = r.choice(["2023", "2024", "62", "4", "5", ""]) + digits(r.randrange(12, 15))
        body = body[:r.randrange(16, 20)]
        bad = next(d for d in "0123456789" if not luhn_ok(body[:-1] + d))
        out.append(r.choice(["订单号{}", "{}", "您的订单{}已发货", "单号：{}", "流水{}请核对"]).format(body[:-1] + bad))
    for _ in range(40):  # order numbers that happen to pass Luhn, labelled as such
        body = gen_card(r)
        out.append(r.choice(["订单号{}", "订单号：{}", "交易流水号{}", "保单号为{}", "快递单号{}"]).format(body))
    for _ in range(50):  # ID numbers with a wrong check character or an impossible date
        i = gen_id(r)
        if r.random() < .5:
            wrong = r.choice([c for c in "0123456789X" if c != i[-1]])
            i = i[:-1] + wrong
        else:
            body = i[:10] + r.choice(["1332", "0230", "0000", "0431", "1200"]) + i[14:17]
            i = body + check_char(body)
        # said as an ID: a bare 18-digit number that passes Luhn is redacted as a card, on purpose
        out.append(r.choice(["身份证号{}", "证件号码：{}", "身份证{}", "我的身份证号码是{}"]).format(i))
    for _ in range(60):  # amounts, dates, times, percentages
        amount = r.randrange(1, 10 ** 7)
        out.append(r.choice([
            f"金额{amount:,}.{r.randrange(100):02d}元", f"{amount}元", f"扣了我{amount}块钱", f"额度{amount}",
            f"{r.randrange(2015, 2027)}年{r.randrange(1, 13)}月{r.randrange(1, 29)}日",
            f"{r.randrange(2015, 2027)}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d} "
            f"{r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d}",
            f"年化利率{r.randrange(1, 36)}.{r.randrange(100)}%", f"还款{amount}元，剩余{r.randrange(10 ** 6)}元",
            f"{r.randrange(2015, 2027)}年{' '.join(str(m) for m in sorted(r.sample(range(1, 13), 8)))}这8个月",
            f"共计{r.randrange(10 ** 8, 10 ** 10):,}元",
        ]))
    for _ in range(50):  # hotlines, tails, job numbers, short numbers
        out.append(r.choice([
            "我要打12378投诉", "已拨打12315", "客服热线95588", "请致电95555", f"尾号{digits(4)}",
            f"工号{digits(4)}", f"400-{digits(3)}-{digits(4)}", f"800 {digits(3)} {digits(4)}",
            f"4008{digits(6)}", "021-12378", "96110反诈专线", f"分{r.choice([3, 6, 12, 24])}期",
            f"验证码{digits(6)}", f"邮编{digits(6)}", f"第{r.randrange(1, 99)}期", "尾号幺二三四",
            "工号幺零零四", "三千五百元", "二零二六年十一月二十八日", "我打了五六次了", "一二三四五六",
            f"卡号6222********{digits(4)}", f"保单号CH000{digits(13)}",
        ]))
    for _ in range(40):  # invalid mobiles / landlines and 10-digit codes
        out.append(r.choice([
            f"1{r.choice('012')}{digits(9)}", f"01{r.choice('123456789')}{digits(7)}", f"021-1{digits(4)}",
            f"{r.randrange(10 ** 9, 10 ** 10)}", f"订单号{gen_mobile(r)}",
        ]))
    return out


@pytest.fixture(scope="module")
def measured():
    pos, neg = positives(), negatives()
    found = {kind: 0 for kind in ("card", "id", "mobile", "landline", "email")}
    total = dict.fromkeys(found, 0)
    missed = []
    for kind, text, s, e in pos:
        total[kind] += 1
        ok = any(m.kind == kind and m.start <= s and m.end >= e for m in find_pii(text))
        found[kind] += ok
        if not ok:
            missed.append((kind, text, find_pii(text)))
    false = [(t, find_pii(t)) for t in neg if find_pii(t)]
    recall = {k: found[k] / total[k] for k in found}
    fp_rate = len(false) / len(neg)
    print(f"\nPII recall on {len(pos)} generated positives: "
          + ", ".join(f"{k} {v:.3f} ({found[k]}/{total[k]})" for k, v in recall.items()))
    print(f"PII false positives: {len(false)}/{len(neg)} negatives = {fp_rate:.4f}")
    return recall, fp_rate, missed, false, len(neg)


def test_generated_recall(measured):
    recall, _, missed, _, _ = measured
    assert all(v >= 0.99 for v in recall.values()), (recall, missed[:10])


def test_generated_false_positives(measured):
    _, fp_rate, _, false, n = measured
    assert n >= 300
    assert fp_rate <= 0.01, false[:10]


def test_generated_cases_are_what_they_claim():
    r = random.Random(1)
    assert all(card_ok(gen_card(r)) for _ in range(200))
    assert all(id_ok(gen_id(r)) for _ in range(200))
    assert all(mobile_ok(gen_mobile(r)) for _ in range(200))
    assert all(landline_ok("".join(gen_landline(r))) for _ in range(200))


@pytest.mark.parametrize("text, expected", [
    ("卡号是6222021234567890128，你查一下。", "卡号是[银行卡]，你查一下。"),
    ("我念一下卡号啊，6222 0212 3456 7890 128。", "我念一下卡号啊，[银行卡]。"),
    ("我叫张伟，身份证号码44030419851231002X，你看对不对？", "我叫[姓名]，身份证号码[身份证]，你看对不对？"),
    ("身份证号是44030419851231002x。", "身份证号是[身份证]。"),
    ("我现在手机号是13812345678。", "我现在手机号是[手机号]。"),
    ("打我手机吧，+86 138-1234-5678。", "打我手机吧，[手机号]。"),
    ("随后(027) 5927 3802改号码与我联系", "随后[电话]改号码与我联系"),
    ("来电号码：0731 8504 3459", "来电号码：[电话]"),
    ("发票发到jhh2019@163.com，谢谢", "发票发到[邮箱]，谢谢"),
    # ASR: spoken digits with 幺 and 两, spaces, a number spread over commas
    ("我手机号是幺三八幺两三四五六七八", "我手机号是[手机号]"),
    ("幺三八，幺二三四，五六七八，这个号。", "[手机号]，这个号。"),
    ("卡号六二二二 零二幺二 三四五六 七八九零 幺二八", "卡号[银行卡]"),
    ("身份证号四四零三零四幺九八五幺两三幺零零两叉", "身份证号[身份证]"),
    ("6222 零二幺二三四五六七八九零幺二八", "[银行卡]"),
    # one misheard digit: still redacted, as a generic number
    ("卡号六二二二零二幺二三四五六七八九零幺二九", "卡号[号码]"),
    ("手机幺二八幺二三四五六七八", "手机[号码]"),
    # left alone
    ("订单号20231101123456789已发货", "订单号20231101123456789已发货"),
    ("您尾号1234的信用卡本期账单金额是12,345.67元，到期还款日是2026年11月28日。",
     "您尾号1234的信用卡本期账单金额是12,345.67元，到期还款日是2026年11月28日。"),
    ("我要打12378投诉，你工号1004是吧？", "我要打12378投诉，你工号1004是吧？"),
    ("投诉中意客服热线400-888-9888没有给回信", "投诉中意客服热线400-888-9888没有给回信"),
    ("已拨打021-12378银保监进行投诉", "已拨打021-12378银保监进行投诉"),
    ("2020年1 3 4 5 6 7 8 10 11这10个月份", "2020年1 3 4 5 6 7 8 10 11这10个月份"),
    ("保单号为：CH000***********，全国客服热线：95522。", "保单号为：CH000***********，全国客服热线：95522。"),
    ("卡号62290*********4213已冻结", "卡号62290*********4213已冻结"),
    ("年化利率是3.35%，分12期，每期手续费0.6%", "年化利率是3.35%，分12期，每期手续费0.6%"),
    ("身份证后四位是幺二三四", "身份证后四位是幺二三四"),
    # seen in real complaints and reviews (celine, online_shopping_10_cats)
    ("电话(025) 6857 9206工号: NJ3538", "电话[电话]工号: NJ3538"),
    ("酒店订房电话：0311-86911999。", "酒店订房电话：0311-86911999。"),  # a business line, not a customer's
    ("手机号码是：13051325039.", "手机号码是：[手机号]."),
    ("tel:13870299673，我这可不是广告", "tel:[手机号]，我这可不是广告"),
    ("我的EMAIL:HRZJQ@163.COM我可以为我说的话负责", "我的EMAIL:[邮箱]我可以为我说的话负责"),
    ("显示1799（1999-200），但因为看到下单", "显示1799（1999-200），但因为看到下单"),
    ("身份证号码：45212*********0012  手机", "身份证号码：45212*********0012  手机"),
    ("互联网金融协会 12315 12378维权到底", "互联网金融协会 12315 12378维权到底"),
])
def test_redact_typical(text, expected):
    assert redact(text)[0] == expected


@pytest.mark.parametrize("text, expected", [
    ("卡号6222 0212 3456 7890 129", "卡号[号码]"),  # Luhn fails: a misheard digit
    ("手机128 1234 5678", "手机[号码]"),
    ("卡号六二二二 零二幺二 三四五六 七八九零 幺二八", "卡号[银行卡]"),
    ("号码是幺三八洞洞洞洞幺二三四", "号码是[手机号]"),
    ("不错，66666666666666", "不错，66666666666666"),  # slang, not a number
    ("其他大概都是170 180 190 200克以上", "其他大概都是170 180 190 200克以上"),
    ("三千五百元，二零二六年十一月二十八日还", "三千五百元，二零二六年十一月二十八日还"),
    ("订单号二零二三幺幺零幺幺二三四五六七八九", "订单号二零二三幺幺零幺幺二三四五六七八九"),
])
def test_redact_asr(text, expected):
    assert redact(text, asr=True)[0] == expected


def test_full_width_digits():
    text = "卡号６２２２０２１２３４５６７８９０１２８"
    assert redact(text)[0] == "卡号[银行卡]"
    assert find_pii(text)[0].text == "６２２２０２１２３４５６７８９０１２８"


def test_keep_last():
    assert redact("卡号6222021234567890128", keep_last=4)[0] == "卡号[银行卡尾号0128]"
    assert redact("手机幺三八幺二三四五六七八", keep_last=4)[0] == "手机[手机号尾号5678]"
    assert redact("邮箱a@qq.com", keep_last=4)[0] == "邮箱[邮箱]"


def test_asr_mode_redacts_failing_arabic_runs():
    text = "卡号6222021234567890129"  # Luhn fails: an order number when typed, a misheard card in a call
    assert redact(text)[0] == text
    assert redact(text, asr=True)[0] == "卡号[号码]"


def test_matches_are_sorted_and_disjoint():
    text = "卡号6222021234567890128，手机13812345678，邮箱13812345678@163.com，身份证44030419851231002X"
    matches = find_pii(text)
    assert [m.kind for m in matches] == ["card", "mobile", "email", "id"]
    assert all(a.end <= b.start for a, b in zip(matches, matches[1:]))
    assert all(text[m.start:m.end] == m.text for m in matches)


def test_redact_transcript_keeps_timing_and_roles():
    t = Transcript(id="c1", source="call.wav", channel="call", duration_s=20.0, meta={"agent_id": "A1001"},
                   utterances=[
                       Utterance(0.0, 2.5, "ch0", "agent", "您好，请问有什么可以帮您？"),
                       Utterance(2.6, 6.0, "ch1", "customer", "我卡丢了，卡号六二二二零二幺二三四五六七八九零幺二八。",
                                 emotion="sad", features={"pitch": 1.5}),
                       Utterance(6.1, 7.0, "ch0", "agent", "好的，请您留个电话。"),
                       Utterance(7.2, 8.0, "ch1", "customer", "幺三八。"),
                       Utterance(8.1, 9.0, "ch1", "customer", "幺二三四。"),
                       Utterance(9.1, 10.0, "ch1", "customer", "五六七八。"),
                   ])
    original = t.to_dict()
    out, counts = redact_transcript(t)
    assert t.to_dict() == original  # the input is not modified
    assert [u.text for u in out.utterances] == [
        "您好，请问有什么可以帮您？", "我卡丢了，卡号[银行卡]。", "好的，请您留个电话。",
        "[手机号]。", "[手机号]。", "[手机号]。"]
    assert out.text == "".join(u.text for u in out.utterances)
    assert counts == {"card": 1, "id": 0, "mobile": 1, "landline": 0, "email": 0, "number": 0,
                      "name": 0, "address": 0, "wechat": 0, "qq": 0, "plate": 0}
    for a, b in zip(t.utterances, out.utterances):
        assert (a.start, a.end, a.speaker, a.role, a.emotion, a.features) == (b.start, b.end, b.speaker, b.role,
                                                                                b.emotion, b.features)
    assert (out.id, out.source, out.channel, out.duration_s, out.meta) == (t.id, t.source, t.channel, 20.0,
                                                                          {"agent_id": "A1001"})


def test_redact_transcript_text_only():
    t = Transcript(id="t1", source="tickets.csv", channel="ticket", duration_s=None,
                   text="本人卡号6222021234567890128被盗刷，联系电话13812345678。")
    out, counts = redact_transcript(t)
    assert out.text == "本人卡号[银行卡]被盗刷，联系电话[手机号]。"
    assert counts["card"] == 1 and counts["mobile"] == 1


@pytest.mark.parametrize("name,expected", [
    ("/rec/13812345678_20261101T0930.wav", "/rec/[手机号]_20261101T0930.wav"),
    ("/rec/2026-11-01/0001_20261101_093012_13812345678.wav",
     "/rec/2026-11-01/0001_20261101_093012_[手机号].wav"),           # dates, times, serials stay
    ("A01_02087654321_1730.mp3", "A01_[电话]_1730.mp3"),
    ("in-8613812345678-1.wav", "in-[手机号]-1.wav"),
    ("call_0001.wav", "call_0001.wav"),
    ("/d/1234567890123_x.wav", "/d/1234567890123_x.wav"),               # a serial that fails every check
    ("CH20261101093012.wav", "CH20261101093012.wav"),
])
def test_redact_name_masks_numbers_in_file_names(name, expected):
    from voc.text.pii import redact_name

    assert redact_name(name) == expected


def test_redact_name_keeps_last_digits_when_asked():
    from voc.text.pii import redact_name

    assert redact_name("x_13812345678.wav", keep_last=4) == "x_[手机号尾号5678].wav"


# -- issue 15: forms that were missed, amounts that were redacted, names, addresses, ids, plates --

def _issue_forms():
    """40 mobiles read digit by digit with ASCII commas, 80 spoken e-mails (the issue's probes)."""
    r = random.Random(SEED + 15)
    mobiles = []
    for _ in range(40):
        m = gen_mobile(r)
        sep = r.choice([",", ", ", " ,"])
        mobiles.append((r.choice(["我手机{x}", "号码是{x}，记一下", "{x}"]).format(x=sep.join(spoken(c, r) for c in m)), m))
    emails = []
    for i in range(80):
        local = r.choice(["lihua", "wang.fang", "zhang_wei", "chenjie"]) + str(r.randrange(1, 999))
        dom, zh = r.choice([("qq", "qq"), ("163", "一六三"), ("126", "幺二六"), ("sina", "sina"), ("gmail", "gmail")])
        said = f"{local} at {dom} dot com" if i % 2 else f"{local}艾特{zh}点{r.choice(['com', 'cn', 'net'])}"
        emails.append((r.choice(["邮箱{x}", "我的邮箱是{x}，谢谢", "发到{x}吧"]).format(x=said), said))
    return mobiles, emails


def test_mobile_read_with_ascii_commas():
    mobiles, _ = _issue_forms()
    assert redact("一,八,六,六,幺,二,三,四,五,六,七")[0] == "[手机号]"
    missed = [t for t, m in mobiles if not any(x.kind == "mobile" for x in find_pii(t, asr=True))]
    assert not missed, missed[:5]
    assert redact("三,四个人，一,二楼")[0] == "三,四个人，一,二楼"  # short lists stay
    assert redact("金额12,345,678元")[0] == "金额12,345,678元"


def test_spoken_emails():
    _, emails = _issue_forms()
    assert redact("lihua96 at qq dot com")[0] == "[邮箱]"
    assert redact("我邮箱lihua96艾特一六三点com谢谢")[0] == "我邮箱[邮箱]谢谢"
    missed = [t for t, said in emails if not any(m.kind == "email" and m.text == said for m in find_pii(t))]
    assert not missed, missed[:5]
    assert redact("meet at home, 艾特我一下，三点com")[0] == "meet at home, 艾特我一下，三点com"


@pytest.mark.parametrize("text", ["余额16234746553元", "余额16234746553", "欠款13812345678元", "扣了我￥13812345678",
                                  "总额为 18612345678 元", "转入一三八幺二三四五六七八元"])
def test_eleven_digit_amounts_are_not_phones(text):
    assert redact(text, asr=True)[0] == text


def test_a_phone_next_to_an_amount_is_still_a_phone():
    assert redact("手机号16234746553")[0] == "手机号[手机号]"
    assert redact("还款3000元，手机13812345678")[0] == "还款3000元，手机[手机号]"


@pytest.mark.parametrize("text, expected", [
    ("我叫王伟，身份证号码44030419851231002X", "我叫[姓名]，身份证号码[身份证]"),
    ("姓名：赵四，电话稍后给您", "姓名：[姓名]，电话稍后给您"),
    ("户名是欧阳娜娜。", "户名是[姓名]。"),
    ("我叫曹梓涵，身份证号码在这", "我叫[姓名]，身份证号码在这"),
    ("我叫王芳啊", "我叫[姓名]啊"),
    ("本人刘德华，从某平台借款", "本人[姓名]，从某平台借款"),
    ("王先生您好，请问有什么可以帮您？", "[姓名]先生您好，请问有什么可以帮您？"),
    ("好的，身份核实通过了，王女士。", "好的，身份核实通过了，[姓名]女士。"),
    ("尊敬的王健女士，您好！", "尊敬的[姓名]女士，您好！"),
    ("请问是于先生吗", "请问是[姓名]先生吗"),
    ("客诉部吴方亮主管说会回电", "客诉部[姓名]主管说会回电"),
    ("我姓沈", "我姓[姓名]"),
    # the title and the place stay, words that look like names stay
    ("先生您好，这位女士也请稍等", "先生您好，这位女士也请稍等"),
    ("我们客户经理和大堂经理都不管", "我们客户经理和大堂经理都不管"),
    ("我是张家港的，在苏州办的卡", "我是张家港的，在苏州办的卡"),
    ("持卡人全额还款后", "持卡人全额还款后"),
    ("本人许可，并不清楚", "本人许可，并不清楚"),
    ("平台名字叫安逸花", "平台名字叫安逸花"),
    ("由熊教授任主任", "由熊教授任主任"),
    ("两瓶康师傅矿泉水", "两瓶康师傅矿泉水"),
    ("您可以到货时与师傅协商", "您可以到货时与师傅协商"),
    # the answer to 请问您的姓名和身份证后四位: a name with no cue, right before the number
    ("呃，吴俊杰。后四位……9514。", "呃，[姓名]。后四位……9514。"),
    ("谢杰，后四位是5679。", "[姓名]，后四位是5679。"),
    ("嗯，胡国庆，身份证号是320102197505050391。", "嗯，[姓名]，身份证号是[身份证]。"),
    ("徐德明，13812345678", "[姓名]，[手机号]"),
    # words before a number stay: dates, places, amounts, surnames that are words of their own
    ("周一，尾号3456的卡", "周一，尾号3456的卡"),
    ("方便，身份证带了", "方便，身份证带了"),
    ("张家口，卡号多少", "张家口，卡号多少"),
    ("高兴，后四位对了", "高兴，后四位对了"),
    ("【全还完】 11781.6元", "【全还完】 11781.6元"),
    ("黄金，2021年买的", "黄金，2021年买的"),
])
def test_names(text, expected):
    assert redact(text)[0] == expected


@pytest.mark.parametrize("text, expected", [
    ("居住地址河南省商丘市梁园区桂林路23号，联系电话", "居住地址河南省商丘市[地址]，联系电话"),
    ("地址是上海市浦东新区张江路100号", "地址是上海市[地址]"),
    ("我家住在阳光小区3栋2单元501室", "我家住在[地址]"),
    ("家住河南省周口市郸城县李楼乡王庄村3组", "家住河南省周口市[地址]"),
    ("卡寄到北京市海淀区学府路12号吧", "卡寄到北京市[地址]吧"),
    # a city is not a home address; nor a branch, a shop or a hotel
    ("收货地址是杭州，发货的单号地址是温州", "收货地址是杭州，发货的单号地址是温州"),
    ("我是福建泉州的，签收地址是河北秦皇岛的地址", "我是福建泉州的，签收地址是河北秦皇岛的地址"),
    ("2019年10月在太仓市上海东路10号工商银行做的房贷", "2019年10月在太仓市上海东路10号工商银行做的房贷"),
    ("酒店位于上海市羽山路166号，交通方便", "酒店位于上海市羽山路166号，交通方便"),
    ("早餐在投资大厦一楼的咖啡厅", "早餐在投资大厦一楼的咖啡厅"),
    ("空调得弄一弄了", "空调得弄一弄了"),
    ("走路23号那天到的", "走路23号那天到的"),
])
def test_home_addresses(text, expected):
    assert redact(text)[0] == expected


@pytest.mark.parametrize("text, expected", [
    ("加我微信lihua_1996，发你截图", "加我微信[微信号]，发你截图"),
    ("微信号：wxid_abc123", "微信号：[微信号]"),
    ("工作人员微信账号:Emmeli2以激活信用卡的名义", "工作人员微信账号:[微信号]以激活信用卡的名义"),
    ("我QQ是282369262", "我QQ是[QQ号]"),
    ("扣扣幺二三四五六七八", "扣扣[QQ号]"),
    ("车牌号京A12345，昨天被刮了", "车牌号[车牌号]，昨天被刮了"),
    ("车牌鄂QJ79F7的车险", "车牌[车牌号]的车险"),
    ("粤B·D12345", "[车牌号]"),
    # left alone
    ("关注微信公众号，用微信支付，发QQ邮箱", "关注微信公众号，用微信支付，发QQ邮箱"),
    ("新MATE40和P40Pro都卖完了", "新MATE40和P40Pro都卖完了"),
])
def test_wechat_qq_and_plates(text, expected):
    assert redact(text)[0] == expected


def test_new_kinds_in_transcripts_and_redaction_is_idempotent():
    t = Transcript(id="c2", source="call.wav", channel="call", duration_s=9.0, utterances=[
        Utterance(0.0, 2.0, "ch0", "agent", "您好，请问是王先生本人吗？"),
        Utterance(2.1, 6.0, "ch1", "customer", "是的，我叫王伟，地址是深圳市南山区科技路18号3栋1201室，车牌粤B12345。"),
    ])
    out, counts = redact_transcript(t, keep_last=4)
    assert [u.text for u in out.utterances] == [
        "您好，请问是[姓名]先生本人吗？", "是的，我叫[姓名]，地址是深圳市[地址]，车牌[车牌号]。"]
    assert (counts["name"], counts["address"], counts["plate"]) == (2, 1, 1)
    for u in out.utterances:
        assert not find_pii(u.text, asr=True) and redact(u.text)[0] == u.text


def test_jieba_runs_only_at_cues():
    from voc.text import pii_context

    find_pii("我叫王伟")  # loaded
    before = pii_context._posseg.cache_info()
    for text in ["您好，请问有什么可以帮您？", "我的卡被盗刷了，卡号6222021234567890128", "余额不足，还款日是28号"]:
        find_pii(text)
    after = pii_context._posseg.cache_info()
    assert (after.hits, after.misses) == (before.hits, before.misses)


@pytest.mark.parametrize("text, expected", [  # a firm's QQ or WeChat account is not customer data
    ("方便的话您来联系一下在线客服（QQ800002945）", "方便的话您来联系一下在线客服（QQ800002945）"),
    ("咨询我处在线QQ：800010000客服", "咨询我处在线QQ：800010000客服"),
    ("关注微信号：Joyu_lvmama,7x24专属客服为您服务", "关注微信号：Joyu_lvmama,7x24专属客服为您服务"),
    ("我的QQ：12345678，客服说加不上", "我的QQ：[QQ号]，客服说加不上"),
    ("微信 lihua_1996 客服加不上", "微信 [微信号] 客服加不上"),
])
def test_firm_accounts_stay(text, expected):
    assert redact(text)[0] == expected
