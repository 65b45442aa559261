"""The default bank rule set (voc/data/rules/): every rule on a call that passes and one that
fails, false alarms found on the real JDDC chats, the demo set end to end, JDDC hit rates."""

from __future__ import annotations

import collections

import pytest
from conftest import SHARED
from inspect_calls import GOOD, call, chat, default_inspector, fired

from voc import demo
from voc.inspect import hit_rates, load_rules
from voc.sources import RowError, read_records

ALL_RULES = {"identity_verification", "risk_disclosure", "guaranteed_return", "abusive_language",
             "escalation_unhandled", "greeting", "self_identification", "closing",
             "apology_on_complaint", "dismissive_language", "dead_air", "overtalk", "fast_speech",
             "violent_collection", "fraud_assist", "account_change_unverified", "suitability",
             "complaint_obstruction"}


def with_turns(replace: dict[int, tuple] | None = None, insert: dict[int, list] | None = None,
               drop: set[int] = frozenset()) -> list:
    """GOOD with some turns replaced, inserted before an index, or dropped."""
    out = []
    for i, t in enumerate(GOOD):
        out += (insert or {}).get(i, [])
        if i in drop:
            continue
        out.append((replace or {}).get(i, t))
    return out


def test_default_rules_load_and_cover_the_issue():
    rs = load_rules()
    assert {r.id for r in rs.rules} == ALL_RULES
    assert {r.category for r in rs.rules} == {"合规", "服务", "风险"}


def test_a_good_call_passes_every_rule():
    r = default_inspector().inspect(call(*GOOD))
    assert r.findings == [] and r.score == 100
    assert set(r.rules) == ALL_RULES and r.not_applicable == {}


# -- each rule: one call that fails it (the good call passes it, above) -------------------

FAILING = {
    "greeting": with_turns(replace={0: ("a", "喂，星河银行，我是1024号客服小周，什么事？")}),
    "self_identification": with_turns(replace={0: ("a", "您好，欢迎致电星河银行，请问有什么可以帮您？")}),
    "closing": with_turns(drop={7, 8, 9}, insert={10: []}) + [("a", "行，那就这样吧。")],
    "identity_verification": with_turns(drop={2, 3}, replace={
        4: ("a", "好的，请您稍等，我帮您查询一下。"),
        5: ("a", "感谢您的耐心等待，您尾号6612的信用卡本期账单金额是3280元。", {"gap": 9})}),
    "dead_air": with_turns(replace={4: ("a", "好的，身份核实通过了，王女士。")}),
    "overtalk": with_turns(replace={7: ("a", "好的好的，请问还有其他可以帮您的吗？", {"overlap": 1.6})}),
    "fast_speech": with_turns(replace={
        5: ("a", "感谢您的耐心等待您本期账单金额是3280元到期还款日是12月5号逾期会产生利息", {"gap": 2, "cpm": 420}),
        7: ("a", "好的那还有其他可以帮您的吗没有的话我这边就先给您记录一下", {"cpm": 420}),
        9: ("a", "感谢您的来电祝您生活愉快再见您可以稍后对我的服务进行评价", {"cpm": 420})}),
    "apology_on_complaint": with_turns(insert={7: [
        ("c", "你们这个还款日也太坑人了，每次都记不住。"),
        ("a", "您可以开通自动还款。"),
        ("c", "嗯。")]}),
    "dismissive_language": with_turns(insert={7: [
        ("c", "那我这个年费能不能免了？"),
        ("a", "年费这个不归我们管，你自己去网点问吧。")]}),
    "escalation_unhandled": with_turns(insert={7: [
        ("c", "上个月多扣的年费到现在都没退，再不处理我就打12378投诉你们。"),
        ("a", "这个是系统扣的，没办法。"),
        ("c", "行吧。")]}),
    "guaranteed_return": with_turns(insert={7: [
        ("a", "另外我们行现在有一款星河稳盈理财，业绩比较基准3.2%，理财非存款、产品有风险、投资须谨慎。"),
        ("c", "这个会亏吗？"),
        ("a", "放心，这款保本保收益，稳赚不赔的。")]}),
    "risk_disclosure": with_turns(insert={7: [
        ("a", "另外给您推荐一款我们行的基金，今年以来收益率有百分之八。"),
        ("c", "哦，那我考虑一下。")]}),
    "abusive_language": with_turns(insert={7: [
        ("c", "这个账单日我还是没听明白。"),
        ("a", "我都讲了三遍了，你是不是听不懂人话？")]}),
    "violent_collection": with_turns(insert={7: [
        ("c", "这个月手头紧，能不能晚几天还？"),
        ("a", "再不还我们就联系你单位，打给你通讯录里的人。")]}),
}


@pytest.mark.parametrize("rule", sorted(FAILING))
def test_each_rule_fails_on_its_call(rule):
    found = fired(call(*FAILING[rule]))
    assert rule in found, found
    # the other rules keep passing: each failing call isolates its rule
    extra = found - {rule} - {"apology_on_complaint"} if rule == "escalation_unhandled" else found - {rule}
    assert not extra, extra


def test_disclosed_sale_and_careful_wording_pass():
    sale = with_turns(insert={7: [
        ("a", "给您推荐一款星河稳盈理财，业绩比较基准是3.2%，跟您提示一下，理财非存款，产品有风险，投资需谨慎。"),
        ("c", "那这个保本吗？"),
        ("a", "这款产品不保本也不保收益，业绩比较基准不代表实际收益，我们不能保证不会亏损。")]})
    assert fired(call(*sale)) == set()


def test_handled_complaint_passes_apology_and_escalation():
    turns = with_turns(insert={7: [
        ("c", "上个月多扣的年费到现在都没退，再不处理我就打12378投诉你们。"),
        ("a", "非常抱歉给您带来不便，我马上帮您提交加急工单，专人两个工作日内给您回电。"),
        ("c", "那行，我等你们电话。")]})
    assert fired(call(*turns)) == set()


def test_negated_complaint_is_not_a_complaint():
    turns = with_turns(insert={7: [("c", "我不是要投诉，就是想问问清楚。"), ("a", "好的，明白。")]})
    assert fired(call(*turns)) == set()


def test_announced_hold_is_not_dead_air_but_a_customer_pause_is_not_the_agents():
    assert "dead_air" not in fired(call(*GOOD))        # 14 s after 请您稍等
    pause = with_turns(replace={6: ("c", "嗯……好的，那我月底前还上。", {"gap": 15})})
    assert "dead_air" not in fired(call(*pause))      # the customer, not the agent, was silent


def test_verification_after_details_still_fails():
    late = with_turns(drop={2, 3}, replace={4: ("a", "好的，请您稍等，我帮您查询一下。")}, insert={7: [
        ("a", "另外为了核实您的身份，麻烦您说一下身份证后四位。"), ("c", "3521。")]})
    assert "identity_verification" in fired(call(*late))


def test_timing_rules_are_not_applicable_to_chats():
    r = default_inspector().inspect(chat(*[(t[0], t[1]) for t in FAILING["dead_air"]]))
    assert set(r.not_applicable) == {"dead_air", "overtalk", "fast_speech"}
    assert "没有时间信息" in r.not_applicable["dead_air"]
    assert r.findings == []


def test_a_ticket_without_agent_is_not_judged_on_agent_rules():
    t = chat(("c", "我的信用卡被多扣了年费，要求退还，否则我去投诉。"), tid="ticket")
    r = default_inspector().inspect(t)
    assert r.findings == [] and "greeting" in r.not_applicable and "closing" in r.not_applicable


# -- false alarms found on the real JDDC chats, kept as cases -----------------------------

JDDC_CLOSINGS = [
    "您太客气了呢，这都是我应该做的呢 请问还有其他我可以为您效劳的么?",
    "亲，还有什么小妹可以帮助到您的呢?",
    "请问还有可以为您服务的吗?",
    "请问还有其他什么问题可以帮助您的吗?",
    "请问还有其他的业务类问题，我可以帮您解答的呢?",
    "给您添麻烦了， 还有其他售后问题可以让妹子帮到您的吗?",
    "亲，请问您还有其它问题需要妹子给您处理的吗",
    "好的 您还有什么疑问的吗",
    "亲爱哒，请问还有没有其他可以帮您的哟?",
    "好的哦~ 感谢您对京东的支持~",
    "妹子祝您财源广进，事事顺心，开心快乐每一天哦",
    "您好，请问您的问题是否完全帮您了解决呢?如果您还有问题可以随时提问哦，我一直都在，随时为您解答",
]


@pytest.mark.parametrize("closing", JDDC_CLOSINGS)
def test_jddc_chat_closings_count_as_closing(closing):
    t = chat(("c", "这个订单什么时候能到？"), ("a", "您好，明天会送达的哦。"), ("c", "好的"),
             ("a", closing))
    assert "closing" not in fired(t)


def test_jddc_false_alarms():
    # 财源滚滚 is a blessing, not 滚 (get lost)
    assert "abusive_language" not in fired(chat(
        ("c", "从哪里申请价保"), ("a", "您可通过京东APP提交价格保护申请哦"), ("c", "哦好"),
        ("a", "期待下次与您的相遇，祝您及您的家人，身体健康、财源滚滚、心想事成")))
    # talking about the rating options is not dissatisfaction
    assert "apology_on_complaint" not in fired(chat(
        ("c", "评价按错了，"), ("a", "没关系的亲亲"),
        ("c", "第一个都是非常满意，你们怎么是非常不满意正好相反"), ("a", "亲亲 没关系的哦")))
    # a merchant naming the 差评 section of the review page is not threatening a bad review
    assert "apology_on_complaint" not in fired(chat(
        ("c", "但是在后台评价管理，差评处，可以看的到"), ("a", "烦请提供商家ID、联系方式，专员24小时回电处理哦")))
    # the agent number said without 客服 (我是1011号小林) is a self-identification
    assert "self_identification" not in fired(chat(
        ("a", "您好，欢迎咨询星河银行在线客服，我是1011号小林，请问有什么可以帮您？"), ("c", "你好")))
    # a polite 是没办法 explaining a limit is not deflection
    assert "dismissive_language" not in fired(chat(
        ("c", "能不能价格调回来的"), ("a", "您好!我这边是没办法修改价格的哦")))


def test_threat_and_dissatisfaction_still_fire_in_chats():
    t = chat(("a", "您好，请问有什么可以帮您？"), ("c", "你们物流太差了，我等你回复，否则我就差评了"),
             ("a", "您可以联系配送员。"), ("c", "好吧"))
    assert "apology_on_complaint" in fired(t)


# -- the demo set end to end ----------------------------------------------------------------

LABELS = {"greeting": "no_greeting", "self_identification": "no_job_id", "closing": "no_closing",
          "guaranteed_return": "forbidden_promise", "violent_collection": "abusive_collection",
          "dead_air": "silence_without_notice", "risk_disclosure": "no_risk_disclosure"}


def test_demo_set_findings_match_its_scripted_issues():
    ts = demo.generate(600, seed=11)
    ins = default_inspector()
    counts = {r: collections.Counter() for r in LABELS}
    for t in ts:
        res = ins.inspect(t)
        got = {f.rule for f in res.findings}
        for rule, label in LABELS.items():
            if rule not in res.not_applicable:
                counts[rule][(label in t.meta["truth"]["issues"], rule in got)] += 1
    for rule, c in counts.items():
        recall = c[(True, True)] / max(1, c[(True, True)] + c[(True, False)])
        assert recall >= 0.95, (rule, c)
    for rule in ("greeting", "self_identification", "closing", "guaranteed_return", "violent_collection"):
        c = counts[rule]
        assert c[(False, True)] <= 0.02 * sum(c.values()), (rule, c)


# -- real e-commerce chats ------------------------------------------------------------------

def test_jddc_bank_rules_rarely_fire_and_timing_is_not_applicable():
    path = SHARED / "text" / "jddc_chat.txt"
    ts = [r for r in read_records(path, text_col=6, group_col=0, role_col=2) if not isinstance(r, RowError)]
    assert len(ts) > 900
    rs = load_rules()
    ins = default_inspector()
    rates = {r["rule"]: r for r in hit_rates([ins.inspect(t).to_dict() for t in ts], rs.rules)}
    for rule in ("identity_verification", "risk_disclosure", "guaranteed_return", "abusive_language",
                 "escalation_unhandled", "dismissive_language", "violent_collection", "fraud_assist",
                 "suitability", "complaint_obstruction"):
        assert rates[rule]["rate"] <= 0.01, rates[rule]
    for rule in ("dead_air", "overtalk", "fast_speech"):
        assert rates[rule]["applied"] == 0 and rates[rule]["not_applicable"] == len(ts)
    assert rates["account_change_unverified"]["rate"] <= 0.03   # e-commerce 换绑手机号, see docs
    assert rates["apology_on_complaint"]["rate"] <= 0.02
    assert rates["closing"]["rate"] <= 0.06
