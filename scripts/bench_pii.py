"""PII benchmark: recall per kind and form on generated cases, false redactions per kind on real text.

    .venv/bin/python scripts/bench_pii.py                 # generated cases + JDDC + celine_train
    .venv/bin/python scripts/bench_pii.py --show 40       # also print up to 40 matches per kind to read
    .venv/bin/python scripts/bench_pii.py --dev           # held-out texts too (read once, at the end)
    .venv/bin/python scripts/bench_pii.py --more          # and 62,774 shopping/hotel reviews
    .venv/bin/python scripts/bench_pii.py --against df3d6bf   # speed against an older voc/text/pii.py

Generated cases come from the generator below, written apart from voc.text.pii and
tests/test_pii.py (own templates, own number makers). A case is found when a match of the
right kind covers the sensitive span; split cases are numbers read out over 2-3 utterances of
one speaker, cut where people pause (3-4-4, 4-4-4-4, 6-8-4), found when no digit of the number
is left in the redacted transcript.

Real text (../shared/data/text): the JDDC chats (customer-service chat, already anonymised to
[姓名x], [地址x] ..., so nearly every match there is a false redaction) and the celine bank
complaints. Every match is counted per kind; a seeded sample per kind was read by a person and
its verdicts are kept in scripts/bench_pii_verdicts.tsv (corpus, row, start, end, kind, verdict:
ok or wrong); the report gives matches, read, wrong per kind. Matches the file does not know
are listed with --show for reading.

Speed: find_pii over every real text, against one bare regex pass over the same texts, in the
same run; the jieba posseg calls (only at name cues and titles, cached) are counted.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import sys
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

from voc.schema import Transcript, Utterance
from voc.text import pii_context
from voc.text.pii import _SCAN, find_pii, redact_transcript

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "text"
VERDICTS = Path(__file__).with_name("bench_pii_verdicts.tsv")
N = 40
ZH = "零幺二三四五六七八九"


# -- an independent generator ---------------------------------------------------------------

def zh(digits: str, r: random.Random) -> str:
    return "".join("叉" if c in "Xx" else "一" if c == "1" and r.random() < .5 else ZH[int(c)] for c in digits)


def card(r):
    body = r.choice(["6222", "6217", "6228", "4367", "5187"]) + "".join(r.choice("0123456789") for _ in range(11))
    for d in "0123456789":
        s = body + d
        total = sum((int(c) * (2 if i % 2 else 1)) // 10 + (int(c) * (2 if i % 2 else 1)) % 10
                    for i, c in enumerate(reversed(s)))
        if total % 10 == 0:
            return s


def resident_id(r):
    body = (r.choice(["110105", "310115", "440305", "510107", "330106", "420111"]) + str(r.randrange(1950, 2005))
            + f"{r.randrange(1, 13):02d}{r.randrange(1, 29):02d}{r.randrange(1000):03d}")
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w)) % 11]


def mobile(r):
    return r.choice(["13", "15", "17", "18", "19"]) + "".join(r.choice("0123456789") for _ in range(9))


GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英", "桂英",
         "建华", "志强", "晓燕", "海燕", "丽娟", "国庆", "文博", "子涵", "雨轩", "思远", "佳怡"]
FAMILY = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕") + ["欧阳", "司马"]
CITIES = [("广东省", "深圳市", "南山区"), ("", "上海市", "闵行区"), ("浙江省", "杭州市", "西湖区"),
          ("四川省", "成都市", "武侯区"), ("", "北京市", "海淀区"), ("湖北省", "武汉市", "洪山区"),
          ("江苏省", "南京市", "鼓楼区"), ("河南省", "郑州市", "金水区")]
ROADS = ["中山", "人民", "解放", "建设", "和平", "文化", "学府", "滨江", "长江", "科技"]
ESTATES = ["阳光", "幸福", "锦绣", "碧桂园", "翠苑", "金地", "万科", "绿城"]


def name_case(r):
    n = r.choice(FAMILY) + r.choice(GIVEN)
    form = r.choice(["cue", "cue", "title", "full_title"])
    if form == "cue":
        t = r.choice(["我叫{n}，想问下账单的事", "姓名：{n}，电话稍后给您", "户名是{n}。", "您好，我叫{n}",
                      "收件人{n}，麻烦尽快寄", "持卡人是{n}，卡丢了"])
        return t.format(n=n), n
    s = n[:2] if n[:2] in ("欧阳", "司马") else n[0]
    if form == "title":
        t = r.choice(["{s}先生您好，请问有什么可以帮您", "好的{s}女士，已经为您登记", "是{s}小姐吗？",
                      "{s}经理说会回电"])
        return t.format(s=s), s
    t = r.choice(["尊敬的{n}先生：您的账单已出", "{n}女士您好", "我找一下{n}经理"])
    return t.format(n=n), n


def address_case(r):
    prov, city, dist = r.choice(CITIES)
    form = r.choice(["street", "estate", "rural"])
    if form == "street":
        fine = f"{dist}{r.choice(ROADS)}{r.choice(['路', '街', '大道'])}{r.randrange(1, 999)}号"
        if r.random() < .5:
            fine += f"{r.randrange(1, 30)}栋{r.randrange(101, 2999)}室"
    elif form == "estate":
        fine = (f"{dist}{r.choice(ESTATES)}{r.choice(['小区', '花园', '家园'])}{r.randrange(1, 30)}栋"
                f"{r.randrange(1, 6)}单元{r.randrange(101, 2999)}")
    else:
        prov, city = r.choice([("河南省", "周口市"), ("安徽省", "阜阳市"), ("山东省", "菏泽市")])
        fine = f"{r.choice(['郸城', '太和', '曹'])}县{r.choice(['李楼', '双浮', '青堌集'])}{r.choice(['乡', '镇'])}" \
               f"{r.choice(['王庄', '前刘', '张寨'])}村"
    head = prov + city if r.random() < .7 else city
    t = r.choice(["我家地址是{a}，你们寄过来", "住址：{a}", "家住{a}", "卡寄到{a}吧", "{a}，这是我现在住的地方"])
    return t.format(a=head + fine), fine


def wechat_case(r):
    x = r.choice("abcdefghjkmnpqrstwxyz") + "".join(r.choice("abcdefghijkmnopqrstuvwxyz0123456789_")
                                                    for _ in range(r.randrange(5, 14)))
    return r.choice(["加我微信{x}，发你截图", "微信号是{x}", "我vx：{x}", "微信：{x} 备注还款"]).format(x=x), x


def qq_case(r):
    x = str(r.randrange(10 ** 5, 10 ** 10))
    form = r.choice(["typed", "spoken"])
    said = x if form == "typed" else zh(x, r)
    return r.choice(["我QQ{x}", "QQ号是{x}，加一下", "扣扣{x}"]).format(x=said), said


def plate_case(r):
    p = r.choice("京沪粤浙苏川鄂豫鲁冀") + r.choice("ABCDEFGHJK")
    serial = "".join(r.choice("0123456789") for _ in range(5))
    if r.random() < .3:
        serial = r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + serial[1:]
    if r.random() < .2:
        serial = r.choice("DF") + serial
    x = p + serial
    return r.choice(["车牌号{x}，昨天被刮了", "我的车是{x}", "车牌{x}的车险"]).format(x=x), x


def digit_case(kind, form, r):
    if kind == "card":
        x = card(r)
        said = {"typed": x, "spaced": " ".join(x[i:i + 4] for i in range(0, len(x), 4)), "spoken": zh(x, r)}[form]
        return f"卡号{said}，帮我挂失", said
    if kind == "id":
        x = resident_id(r)
        said = x if form == "typed" else zh(x[:-1], r) + ("叉" if x[-1] == "X" else ZH[int(x[-1])])
        return f"身份证{said}", said
    x = mobile(r)
    said = {"typed": x, "dashed": f"{x[:3]}-{x[3:7]}-{x[7:]}", "spoken": zh(x, r),
            "spoken_commas": ",".join(zh(c, r) for c in x), "spoken_comma_space": ", ".join(zh(c, r) for c in x),
            "spoken_groups": "，".join([zh(x[:3], r), zh(x[3:7], r), zh(x[7:], r)])}[form]
    return f"电话是{said}，打这个", said


def email_case(form, r):
    local = r.choice(["lihua", "zhang.wei", "wangfang", "chen_jie", "liu"]) + str(r.randrange(1, 99))
    dom = r.choice([("qq", "qq"), ("163", "一六三"), ("126", "幺二六"), ("gmail", "gmail"), ("foxmail", "foxmail")])
    tld = r.choice(["com", "com", "cn", "net"])
    said = {"typed": f"{local}@{dom[0]}.{tld}", "spoken_at": f"{local} at {dom[0]} dot {tld}",
            "spoken_zh": f"{local}艾特{dom[1]}点{tld}"}[form]
    return r.choice(["邮箱{x}", "发我邮箱吧，{x}", "我的邮箱是{x}，谢谢"]).format(x=said), said


FORMS = {"card": ["typed", "spaced", "spoken"], "id": ["typed", "spoken"],
         "mobile": ["typed", "dashed", "spoken", "spoken_groups", "spoken_commas", "spoken_comma_space"],
         "email": ["typed", "spoken_at", "spoken_zh"], "name": ["-"], "address": ["-"], "wechat": ["-"],
         "qq": ["-"], "plate": ["-"]}
MAKERS = {"name": name_case, "address": address_case, "wechat": wechat_case, "qq": qq_case, "plate": plate_case}


def generated(r):
    for kind, forms in FORMS.items():
        for form in forms:
            for _ in range(N):
                if kind in MAKERS:
                    text, span = MAKERS[kind](r)
                elif kind == "email":
                    text, span = email_case(form, r)
                else:
                    text, span = digit_case(kind, form, r)
                yield kind, form, text, span


NEGATIVES = [  # things that must stay, as a QA reader needs them
    ("amount", lambda r: f"余额{r.randrange(10 ** 10, 10 ** 11)}元"), ("amount", lambda r: f"欠款{mobile(r)}元"),
    ("amount", lambda r: f"扣了我{r.choice(['¥', '￥'])}{mobile(r)}"),
    ("title", lambda r: r.choice(["这位先生您好", "先生您好，请讲", "女士，您别着急", "我们客户经理会联系您",
                                  "请问是本人吗", "各位女士先生", "对方经理不接电话", "大堂经理态度差"])),
    ("place", lambda r: r.choice(["我是福建泉州的", "收货地址是杭州", "在上海浦东办的卡", "地址可以帮我修改下吗",
                                  "我现在住在深圳", "发货地是温州", "河北秦皇岛的网点",
                                  f"在人民路{r.randrange(1, 99)}号工商银行办的"])),
    ("word", lambda r: r.choice(["持卡人全额还款", "本人许可", "微信公众号", "微信支付", "QQ邮箱", "新MATE40", "P40Pro",
                                 "平台名字叫安逸花", "走路23号那天", f"{r.randrange(2, 12)}号线地铁"])),
]


def bench_generated(seed: int) -> None:
    r = random.Random(seed)
    hit, total, missed = Counter(), Counter(), defaultdict(list)
    for kind, form, text, span in generated(r):
        s = text.index(span)
        ok = any(m.kind == kind and m.start <= s and m.end >= s + len(span) for m in find_pii(text, asr=True))
        hit[kind, form] += ok
        total[kind, form] += 1
        if not ok:
            missed[kind, form].append(text)
    print(f"generated cases, seed {seed}, {N} per form (found / cases):")
    for kind, forms in FORMS.items():
        print(f"  {kind:8s} " + ", ".join(f"{f} {hit[kind, f]}/{total[kind, f]}" for f in forms))
    for key, texts in missed.items():
        print(f"    missed {key}: {texts[:3]}")

    split_hit, split_n = Counter(), Counter()
    for kind in ("card", "id", "mobile"):
        for _ in range(60):
            x = {"card": card, "id": resident_id, "mobile": mobile}[kind](r)
            # read out in the groups people pause at: 3-4-4, 4-4-4-4(-3), 6-8-4
            at = {"card": list(range(4, len(x) - 2, 4)), "id": [6, 14], "mobile": [3, 7]}[kind]
            cuts = sorted(r.sample(at, min(len(at), r.choice([1, 2]))))
            pieces = [x[a:b] for a, b in zip([0] + cuts, cuts + [len(x)])]
            pieces = [zh(p, r) if r.random() < .6 else p for p in pieces]
            utts = [Utterance(0.0, 1.0, "ch0", "agent", "好的，请您说一下。")]
            utts += [Utterance(1.0 + i, 2.0 + i, "ch1", "customer", p + "。") for i, p in enumerate(pieces)]
            out, _ = redact_transcript(Transcript(id="g", source="g.wav", channel="call", duration_s=9.0,
                                                  utterances=utts))
            left = "".join(u.text for u in out.utterances[1:])
            split_hit[kind] += not re.search(rf"[0-9{ZH}一]", left)
            split_n[kind] += 1
    print("  split over utterances: " + ", ".join(f"{k} {split_hit[k]}/{split_n[k]}" for k in split_n))

    false, seen = Counter(), Counter()
    for kind, make in NEGATIVES:
        for _ in range(N):
            text = make(r)
            seen[kind] += 1
            if find_pii(text, asr=True):
                false[kind] += 1
                missed["false " + kind].append(text)
    print("  kept (not redacted): " + ", ".join(f"{k} {seen[k] - false[k]}/{seen[k]}" for k in seen))
    for k in seen:
        if false[k]:
            print(f"    redacted {k}: {sorted(set(missed['false ' + k]))[:5]}")


# -- real text ------------------------------------------------------------------------------

def corpus(name: str) -> list[str]:
    if name == "stc3_dev":  # Weibo helpdesk dialogues: each utterance a text
        dialogues = json.loads((DATA / "stc3_dev.json").read_text(encoding="utf-8"))
        return [u for d in dialogues for turn in d["turns"] for u in turn["utterances"]]
    if name == "waimai_10k":
        with open(DATA / "waimai_10k.csv", encoding="utf-8", newline="") as f:
            return [row[1] for row in csv.reader(f) if len(row) >= 2][1:]
    if name == "shopping":  # product and hotel reviews: no customer data asked for, addresses of hotels
        with zipfile.ZipFile(DATA / "online_shopping_10_cats.zip") as z, z.open("online_shopping_10_cats.csv") as f:
            return [row[2] for row in csv.reader(io.TextIOWrapper(f, encoding="utf-8-sig")) if len(row) >= 3][1:]
    if name == "jddc":
        with open(DATA / "jddc_chat.txt", encoding="utf-8") as f:
            return [p[6] if len(p) >= 7 else "" for p in (line.rstrip("\n").split("\t") for line in f)]
    with open(DATA / f"{name}.csv", encoding="utf-8", newline="") as f:
        return [row[0] if row else "" for row in csv.reader(f)]


def read_verdicts() -> dict:
    out = {}
    if VERDICTS.exists():
        for line in VERDICTS.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                c, row, s, e, kind, verdict = line.split("\t")[:6]
                out[c, int(row), int(s), int(e), kind] = verdict
    return out


def load_revision(rev: str):
    """voc/text/pii.py as it was at git revision `rev`, as a module (for a same-run speed baseline)."""
    import importlib.util
    import subprocess
    import tempfile

    code = subprocess.run(["git", "show", f"{rev}:voc/text/pii.py"], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1]).stdout
    path = Path(tempfile.mkdtemp()) / "pii_at_rev.py"
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("pii_at_rev", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["pii_at_rev"] = mod
    spec.loader.exec_module(mod)
    return mod


def bench_real(names: list[str], show: int, seed: int, against: str = "") -> None:
    verdicts = read_verdicts()
    texts = {n: corpus(n) for n in names}
    every = [t for n in names for t in texts[n]]
    print(f"\nreal text: {', '.join(f'{n} {len(texts[n])} texts' for n in names)}")
    for n in names:
        matches = defaultdict(list)
        for row, text in enumerate(texts[n]):
            for m in find_pii(text):
                matches[m.kind].append((row, m.start, m.end, text))
        print(f"  {n}: kind  matches  read  wrong")
        for kind in sorted(matches):
            found = matches[kind]
            keys = [(n, row, s, e, kind) for row, s, e, _ in found]
            read = [verdicts[k] for k in keys if k in verdicts]
            print(f"    {kind:8s} {len(found):6d} {len(read):5d} {read.count('wrong'):5d}")
            if show:
                todo = [f for f, k in zip(found, keys) if k not in verdicts]
                for row, s, e, text in random.Random(seed).sample(todo, min(show, len(todo))):
                    seen = f"{text[max(0, s - 15):s]}【{text[s:e]}】{text[e:e + 10]}"
                    print(f"      {n}\t{row}\t{s}\t{e}\t{kind}\t?\t{seen}")

    # speed: find_pii against one bare regex pass, same texts, same run
    bare = re.compile(r"[0-9]{11}")
    t0 = time.perf_counter()
    for text in every:
        bare.search(text)
    t1 = time.perf_counter()
    pii_context._posseg.cache_clear()
    pii_context.posseg_cut.cache_clear()
    for text in every:
        find_pii(text)
    t2 = time.perf_counter()
    info, full = pii_context._posseg.cache_info(), pii_context.posseg_cut.cache_info()
    scans = [text.translate(_SCAN) for text in every]
    t3 = time.perf_counter()
    for text, scan in zip(every, scans):
        pii_context.find_context(text, scan)
    t4 = time.perf_counter()
    print(f"\nspeed over {len(every)} real texts: one regex pass {1e6 * (t1 - t0) / len(every):.1f} us/text, "
          f"find_pii {1e6 * (t2 - t1) / len(every):.1f} us/text ({(t2 - t1) / (t1 - t0):.0f}x), of which "
          f"names/addresses/ids/plates {1e6 * (t4 - t3) / len(every):.1f} us (cached jieba); "
          f"jieba on {info.misses} windows at cues ({info.hits} cached; {full.misses} of them through "
          f"posseg.cut's HMM), {100 * info.misses / len(every):.1f}% of texts")
    if against:
        old = load_revision(against)
        t5 = time.perf_counter()
        for text in every:
            old.find_pii(text)
        t6 = time.perf_counter()
        for text in every:
            find_pii(text)
        t7 = time.perf_counter()
        print(f"  against voc/text/pii.py at {against}, same texts: {1e6 * (t6 - t5) / len(every):.1f} us/text there, "
              f"{1e6 * (t7 - t6) / len(every):.1f} us/text now (jieba cached), {(t7 - t6) / (t6 - t5):.2f}x")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--show", type=int, default=0, help="print up to this many unread matches per kind")
    ap.add_argument("--dev", action="store_true",
                    help="also the held-out texts, read once at the end: celine_dev, stc3_dev, waimai_10k")
    ap.add_argument("--more", action="store_true", help="also the 62,774 online_shopping_10_cats reviews")
    ap.add_argument("--against", default="", metavar="REV", help="also time voc/text/pii.py of this git revision")
    a = ap.parse_args(argv)
    t = time.perf_counter()
    find_pii("我叫王伟")  # jieba loads once (shared with voc.text.normalize)
    print(f"jieba load: {time.perf_counter() - t:.1f} s")
    bench_generated(a.seed)
    names = ["jddc", "celine_train"] + (["shopping"] if a.more else [])
    bench_real(names + (["celine_dev", "stc3_dev", "waimai_10k"] if a.dev else []), a.show, a.seed, a.against)
    return 0


if __name__ == "__main__":
    sys.exit(main())
