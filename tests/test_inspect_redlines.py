"""Red-line (一票否决) rules of the default bank rule set: each with failing dialogues (spoken
variants, near-synonyms) and passing ones (negations, the correct handling); veto findings fail a
contact whatever its score; coverage (已质检 / 部分质检 / 未质检) of contacts the rules cannot read."""

from __future__ import annotations

import pytest
from inspect_calls import GOOD, call, chat, default_inspector, fired

from voc import demo
from voc.schema import Transcript

OPEN = GOOD[:5]            # greeting, request, identity verified
CLOSE = GOOD[7:]           # 还有其他可以帮您的吗 … 再见

VETO_RULES = {"guaranteed_return", "abusive_language", "violent_collection", "fraud_assist",
              "account_change_unverified", "suitability", "complaint_obstruction"}


def around(*turns, verified: bool = True) -> list:
    head = OPEN if verified else [GOOD[0], GOOD[1]]
    return list(head) + list(turns) + list(CLOSE)


def test_the_veto_rules_are_the_issues_red_lines():
    vetoes = {r.id for r in default_inspector().rules.rules if r.veto}
    assert vetoes == VETO_RULES


# -- each red line: failing dialogues ---------------------------------------------------------

FAIL = {
    "fraud_assist": [
        [("c", "刚才公安局的人打电话说我的卡涉嫌洗钱，让我把钱转到安全账户，怎么转？"),
         ("a", "转账的话您在手机银行上操作就行，或者去柜台。")],
        [("c", "有个自称检察院的说要资金清查，我想把定期取出来转给他。"),
         ("a", "好的，我帮您把转账限额调高到二十万，您就可以转了。")],
        [("c", "我在网上做刷单任务，要先交解冻费才能提现，我想转五千过去。"),
         ("a", "可以的，您直接转过去就行，手机银行上很简单。")],
    ],
    "account_change_unverified": [
        [("c", "我换手机号了，帮我把卡绑定的手机号改成13912345678。"),
         ("a", "好的，已经帮您把预留手机号改好了。")],
        [("c", "我的账单日能不能改一下？"),
         ("a", "可以的，我这边帮您把账单日改到每月3号。")],
        [("c", "密码忘了。"), ("a", "好的，已经为您重置了密码，新密码会短信发给您。")],
        [("c", "额度不够用。"), ("a", "好的，我帮您把额度调到五万了。")],
    ],
    "suitability": [
        [("c", "我今年七十二岁了，想买点理财。"),
         ("a", "我们现在有一款星河成长混合型基金，今年收益有百分之十二。"),
         ("c", "那我买五万。"),
         ("a", "好的，风险测评就不用做了，我直接帮您下单。")],
        [("a", "给您推荐一款星河稳盈理财，业绩比较基准3.2%，理财非存款、产品有风险、投资须谨慎。"),
         ("c", "那就买十万吧。"),
         ("a", "好的，我帮您下单了。")],
        [("a", "我们在推一只偏股基金，理财非存款、产品有风险、投资须谨慎。"),
         ("c", "我退休了，这是养老钱，一分都不能亏。"),
         ("a", "您的风险测评我帮您做成进取型就行，帮您申购十万。")],
        [("a", "阿姨，给您介绍一只偏股混合型基金，理财非存款、产品有风险、投资须谨慎。"),
         ("c", "好，那我买二十万。"),
         ("a", "好的，您之前做过风险测评，我帮您下单。")],
        [("a", "我们最近在推一只新能源产业精选基金，理财非存款、产品有风险、投资须谨慎。"),
         ("c", "那我买24万试试？"),
         ("a", "可以啊，我现在就帮您下单，风险评估我帮您做成进取型就行。")],
        [("a", "给您介绍一款年金保险，理财非存款、产品有风险、投资须谨慎。"),
         ("c", "那要做什么评估吗？"),
         ("a", "那个评估就是走个形式，我帮您在系统里勾一下就行。")],
    ],
    "guaranteed_return": [
        [("a", "这款理财保本保收益的，您放心。")],
        [("a", "您放心，本金绝对没有任何风险，跟存款一样安全。")],
        [("a", "这个是稳赚不赔的，收益肯定有百分之五。")],
    ],
    "abusive_language": [
        [("c", "我还是没听明白。"), ("a", "你是不是听不懂人话？")],
        [("c", "你再说一遍。"), ("a", "你脑子有问题吧，说了多少遍了。")],
        [("c", "这个怎么弄？"), ("a", "这都不会，你是不是傻。")],
    ],
    "violent_collection": [
        [("c", "这个月真没钱。"), ("a", "再不还我们就联系你单位领导，打给你通讯录里的人。")],
        [("c", "下个月一定还。"), ("a", "今天不还我们就上门了，让你邻居都知道。")],
        [("c", "我真的没钱。"), ("a", "那你就等着被起诉坐牢吧，你孩子以后考公务员都受影响。")],
        [("c", "别再打了。"), ("a", "不还钱我们就天天给你打电话，打到你家里人那去。")],
    ],
    "complaint_obstruction": [
        [("c", "你们这样乱收费，我要投诉。"), ("a", "你投诉也没用，规定就是这样。")],
        [("c", "我要打12378投诉你们。"), ("a", "你爱找谁找谁，找谁都一样。"), ("c", "行。")],
        [("c", "这个事情我要投诉。"), ("a", "我们这边不受理，你找网点吧。")],
        [("c", "你们的投诉电话是多少？"), ("a", "这个我不清楚。"), ("c", "那算了。")],
        [("c", "我要投诉。"), ("a", "别投诉了，没必要。")],
    ],
}


@pytest.mark.parametrize("rule,i", [(r, i) for r, ds in FAIL.items() for i in range(len(ds))])
def test_red_line_fails_and_vetoes(rule, i):
    verified = rule != "account_change_unverified"
    r = default_inspector().inspect(call(*around(*FAIL[rule][i], verified=verified)))
    got = {f.rule for f in r.findings}
    assert rule in got, got
    assert rule in r.vetoed and r.coverage == "full"
    assert r.passed(80) is False           # whatever the score
    assert next(f for f in r.findings if f.rule == rule).veto


# -- the same red lines, handled correctly or negated: pass ------------------------------------

PASS = {
    "fraud_assist": [
        [("c", "刚才公安局的人打电话说我的卡涉嫌洗钱，让我把钱转到安全账户，怎么转？"),
         ("a", "您千万不要转！这是诈骗电话，公安机关不会让您转账到什么安全账户的。")],
        [("c", "我在网上做刷单任务，要先交解冻费才能提现。"),
         ("a", "这是典型的刷单诈骗，请您不要再转钱了，建议您拨打96110。")],
        [("c", "我想给我儿子转五千块钱。"), ("a", "转账的话您在手机银行上操作就行。")],
    ],
    "account_change_unverified": [
        # verified first (OPEN), then the change
        [("c", "帮我把预留手机号改成13912345678。"), ("a", "好的，已经帮您把预留手机号改好了。")],
    ],
    "account_change_unverified_unverified": [
        [("c", "我想改一下账单日。"), ("a", "修改账单日需要先核实您的身份。")],
        [("c", "我想改手机号。"), ("a", "您可以在手机银行上自己修改预留手机号。")],
        [("c", "我想改手机号。"), ("a", "抱歉，电话里无法帮您修改预留手机号，需要本人到网点办理。")],
    ],
    "suitability": [
        [("a", "给您推荐一款星河稳盈理财，业绩比较基准3.2%，理财非存款、产品有风险、投资须谨慎。"),
         ("c", "那就买十万吧。"),
         ("a", "好的，购买之前需要您先做风险测评，测评结果是稳健型及以上才能买这款。")],
        [("a", "给您推荐一款星河稳盈理财，业绩比较基准3.2%，理财非存款、产品有风险、投资须谨慎。"),
         ("c", "我再考虑考虑。")],
    ],
    "guaranteed_return": [
        [("a", "这款理财不是保本的，业绩比较基准不代表实际收益。")],
        [("a", "理财非存款，产品有风险，我们不能保证不会亏损，不保本也不保收益。")],
        [("a", "没有稳赚不赔的产品，跟存款不一样，净值会波动。")],
    ],
    "abusive_language": [
        [("c", "我是不是听不懂啊，老了。"), ("a", "没关系的，我再给您慢慢讲一遍。")],
    ],
    "violent_collection": [
        [("c", "你们会不会打给我家里人？"),
         ("a", "您放心，我们不会联系您的家人和单位，只跟您本人沟通还款安排。")],
        [("c", "会不会上门？"), ("a", "不会上门的，您按时还款就可以。")],
    ],
    "complaint_obstruction": [
        [("c", "你们的投诉电话是多少？"), ("a", "我们的客服热线是95588，我也可以帮您登记投诉。")],
        [("c", "我要投诉。"), ("a", "非常抱歉，我马上帮您登记投诉，专人24小时内给您回电。")],
        [("c", "我不是要投诉，就问问。"), ("a", "好的，您请讲。")],
    ],
}


@pytest.mark.parametrize("key,i", [(k, i) for k, ds in PASS.items() for i in range(len(ds))])
def test_red_line_passes_when_handled_or_negated(key, i):
    rule = key.removesuffix("_unverified") if key.endswith("_unverified_unverified") else key
    verified = key != "account_change_unverified_unverified"
    got = fired(call(*around(*PASS[key][i], verified=verified)))
    assert not got & VETO_RULES, got
    assert rule not in got


# -- escalation handled means handled -----------------------------------------------------------

def test_stock_closing_line_is_not_handling_an_escalation():
    threat = [("c", "再不处理我就打12378投诉你们。"), ("a", "这个是系统扣的。"), ("c", "行吧。"),
              ("a", "好的，我们会尽快处理，感谢您的来电，再见。")]
    assert "escalation_unhandled" in fired(call(*OPEN, *threat))
    handled = [("c", "再不处理我就打12378投诉你们。"),
               ("a", "非常抱歉，我马上帮您提交加急工单，专人两个工作日内给您回电。"), ("c", "行吧。"),
               ("a", "好的，感谢您的来电，再见。")]
    assert "escalation_unhandled" not in fired(call(*OPEN, *handled))
    apology = [("c", "你们这服务太差了，我要投诉！"), ("a", "真的非常抱歉，这次是我们没做好。")]
    assert "escalation_unhandled" not in fired(call(*around(*apology)))


# -- coverage: what could not be inspected is not passed ---------------------------------------

def test_mono_recording_without_roles_is_not_inspected():
    t = call(*[("u", text) for _, text, *_ in GOOD])
    r = default_inspector().inspect(t)
    assert r.coverage == "none" and r.score is None and r.passed(80) is None
    assert "没有坐席的话语" in r.coverage_note and r.findings == []


def test_ticket_and_table_without_roles_are_not_inspected():
    ticket = chat(("c", "我的信用卡被多扣了年费，要求退还，否则我去投诉。"), tid="ticket")
    table = Transcript("row-1", "contacts.csv", "chat", None, {},
                       [], text="坐席：你好。客户：我要投诉。")
    for t in (ticket, table):
        r = default_inspector().inspect(t)
        assert r.coverage == "none" and r.score is None, r.to_dict()


def test_guessed_roles_are_said_with_the_findings():
    t = call(*[(role, text) for role, text, *_ in GOOD[:5]])
    t.meta["roles"] = "guess"
    r = default_inspector().inspect(t)
    assert r.roles == "guess" and r.findings          # no closing: a finding
    assert any("推测" in e.get("detail", "") for f in r.findings for e in f.evidence)


def test_agent_only_speech_is_partially_inspected():
    # every customer utterance lost: the core rule that needs the customer is not applicable
    from voc.inspect import Inspector, load_rules

    rs = load_rules()
    for r in rs.rules:
        r.core = r.id in ("greeting", "escalation_unhandled")
    ins = Inspector(rs)
    t = call(*[(role, text) for role, text, *_ in GOOD if role == "a"])
    res = ins.inspect(t)
    assert res.coverage == "partial" and res.score is not None and res.passed(80) is None
    assert "escalation_unhandled" in res.coverage_note


def test_no_demo_contact_with_a_veto_finding_passes():
    ins = default_inspector()
    vetoed = passed_veto = uninspected = 0
    for t in demo.generate(200, seed=7):
        r = ins.inspect(t)
        vetoed += bool(r.vetoed)
        passed_veto += bool(r.vetoed) and bool(r.passed(80))
        uninspected += r.coverage == "none"
        if t.channel == "ticket":
            assert r.coverage == "none" and r.score is None
    assert vetoed >= 20 and passed_veto == 0 and uninspected >= 10



def test_a_veto_fails_a_contact_whatever_its_score(tmp_path):
    from voc.inspect import Inspector, load_rules
    from voc.inspect.scoring import coverage_counts, passes

    p = tmp_path / "r.yaml"
    p.write_text("version: 1\nrules:\n  - {id: red, name: 红线, category: 合规, severity: critical, deduct: 0,"
                 " veto: true, message: m, conditions: [{role: agent, regex: [保本]}]}\n"
                 "  - {id: soft, name: 轻微, category: 服务, severity: low, deduct: 0,"
                 " message: m, conditions: [{role: agent, regex: [保本]}]}\n", encoding="utf-8")
    ins = Inspector(load_rules(p))
    r = ins.inspect(call(("a", "这款保本的。"), ("c", "好")))
    assert r.score == 100 and r.vetoed == ["red"] and r.passed(80) is False
    d = r.to_dict()
    c = {"score": d["score"], "coverage": d["coverage"],
         "findings": [{"rule": f["rule"], "veto": f["veto"], "deduct": f["deduct"]} for f in d["findings"]]}
    assert passes(c) is False and coverage_counts([c])["vetoed"] == 1
    c["findings"] = [f for f in c["findings"] if not f["veto"]]      # e.g. the veto finding dismissed
    assert passes(c) is True
