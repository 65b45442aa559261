"""The evaluator: each kind of condition, positions, anchors, timing, metadata, evidence,
stable finding ids, scores, scorecards and hit rates."""

from __future__ import annotations

import yaml
from inspect_calls import call, chat

from voc.inspect import Inspector, hit_rates, load_rules, scorecards, timing


def inspector(tmp_path, *conditions, when=None, agent_pattern=None, deduct=10, name="r"):
    rule = {"id": "r", "name": name, "category": "服务", "severity": "medium", "deduct": deduct,
            "message": "m", "conditions": list(conditions)}
    if when is not None:
        rule["when"] = when
    p = tmp_path / f"rules{len(list(tmp_path.iterdir()))}.yaml"
    p.write_text(yaml.safe_dump({"version": 1, "rules": [rule]}, allow_unicode=True), encoding="utf-8")
    return Inspector(load_rules(p), agent_pattern=agent_pattern)


def fires(ins, t) -> bool | None:
    r = ins.inspect(t)
    return None if "r" in r.not_applicable else bool(r.findings)


CALL = call(("a", "您好，星河银行，请问有什么可以帮您？"),
            ("c", "我想问一下信用卡年费怎么收。"),
            ("a", "白金卡年费是每年两千元，刷满十二次可以免次年年费。"),
            ("c", "好的，谢谢。"),
            ("a", "感谢您的来电，再见。"))


# -- text conditions --------------------------------------------------------------------------

def test_keyword_modes(tmp_path):
    kw = lambda match, words: inspector(tmp_path, {"role": "agent", "keywords": words, "match": match})  # noqa: E731
    assert fires(kw("any", ["年费", "利息"]), CALL)
    assert not fires(kw("all", ["年费", "利息"]), CALL)
    assert fires(kw("all", ["年费", "再见"]), CALL)                  # all over the scope
    assert fires(kw({"at_least": 2}, ["年费", "利息", "再见"]), CALL)
    assert not fires(kw({"at_least": 3}, ["年费", "利息", "再见"]), CALL)
    assert fires(kw("none", ["利息"]), CALL)
    assert not fires(kw("none", ["年费"]), CALL)


def test_keywords_are_normalised_and_case_blind(tmp_path):
    t = chat(("a", "請您打開ＡＰＰ查看帳單"))                      # traditional, full-width
    assert fires(inspector(tmp_path, {"keywords": ["app", "账单"], "match": "all"}), t)


def test_roles_scope_the_utterances(tmp_path):
    assert not fires(inspector(tmp_path, {"role": "customer", "keywords": ["再见"]}), CALL)
    assert fires(inspector(tmp_path, {"role": "any", "keywords": ["再见"]}), CALL)
    # unknown roles count only for role any by default
    t = chat(("u", "我要投诉"))
    assert fires(inspector(tmp_path, {"role": "customer", "keywords": ["投诉"]}), t) is None
    assert fires(inspector(tmp_path, {"role": "any", "keywords": ["投诉"]}), t)


def test_regex_exclude_and_min_hits(tmp_path):
    ins = inspector(tmp_path, {"role": "agent", "regex": ["(?<!不)保本"], "exclude": ["保本理财已售罄"]})
    assert fires(ins, chat(("a", "这款是保本的")))
    assert not fires(ins, chat(("a", "这款不保本")))
    assert not fires(ins, chat(("a", "保本理财已售罄")))
    two = inspector(tmp_path, {"role": "agent", "keywords": ["年费"], "min_hits": 2})
    assert not fires(two, CALL)


def test_similar_matches_near_wordings_with_a_threshold(tmp_path):
    ins = inspector(tmp_path, {"role": "agent", "similar": ["理财非存款产品有风险投资须谨慎"], "threshold": 85})
    asr = chat(("a", "跟您说一下，理财非存款，产品有风险，投资需谨慎。"))        # 需 for 须
    r = ins.inspect(asr)
    assert r.findings and r.findings[0].evidence[0]["match"] == "理财非存款产品有风险投资需谨慎"
    assert "相似度" in r.findings[0].evidence[0]["detail"]
    assert not fires(ins, chat(("a", "理财产品收益不错。")))
    assert not fires(ins, chat(("a", "有风险")))       # a fragment does not match the whole phrase


def test_positions_in_utterances_and_seconds(tmp_path):
    first = inspector(tmp_path, {"role": "agent", "position": {"first": 1}, "keywords": ["年费"]})
    assert not fires(first, CALL)
    last2 = inspector(tmp_path, {"role": "agent", "position": {"last": 2}, "keywords": ["年费"]})
    assert fires(last2, CALL)
    early = inspector(tmp_path, {"role": "agent", "position": {"first_s": 5}, "keywords": ["您好"]})
    assert fires(early, CALL)
    late = inspector(tmp_path, {"role": "agent", "position": {"last_s": 3}, "keywords": ["再见"]})
    assert fires(late, CALL)
    assert fires(late, chat(("a", "再见"))) is None     # seconds need timing


# -- anchors -----------------------------------------------------------------------------------

THREAD = chat(("c", "我要投诉"), ("a", "请您说一下具体情况"), ("a", "非常抱歉"), ("c", "行吧"))


def anchored(tmp_path, relation, **kw):
    return inspector(tmp_path,
                     {"id": "complaint", "role": "customer", "keywords": ["投诉", "行吧"],
                      "anchor": {"condition": "sorry", "relation": relation, **kw}},
                     {"id": "sorry", "role": "agent", "keywords": ["抱歉"]}, when="complaint")


def test_anchor_relations_in_utterances(tmp_path):
    hits = lambda rel, **kw: [e["utterance"] for f in anchored(tmp_path, rel, **kw).inspect(THREAD).findings  # noqa: E731
                              for e in f.evidence]
    assert hits("before") == [0]                    # 投诉 comes before 抱歉
    assert hits("before", within=1) == []           # ... but two utterances before
    assert hits("after") == [3]
    assert hits("around", within=1) == [3]
    assert hits("not_before", within=1) == [0, 3]
    assert hits("not_around") == []


def test_anchor_in_seconds_needs_timing(tmp_path):
    t = call(("c", "我要投诉"), ("a", "非常抱歉", {"gap": 20}))
    assert not fires(anchored(tmp_path, "before", within_s=10), t)
    assert fires(anchored(tmp_path, "before", within_s=30), t)
    assert fires(anchored(tmp_path, "before", within_s=30), THREAD) is None


def test_several_anchors_all_apply(tmp_path):
    ins = inspector(tmp_path,
                    {"id": "threat", "role": "customer", "keywords": ["投诉"],
                     "anchor": [{"condition": "handled", "relation": "not_before"},
                                {"condition": "handled", "relation": "not_after", "within": 1}]},
                    {"id": "handled", "role": "agent", "keywords": ["记录"]}, when="threat")
    assert fires(ins, chat(("c", "我要投诉"), ("a", "没办法")))
    assert not fires(ins, chat(("c", "我要投诉"), ("a", "先核实身份"), ("c", "好"), ("a", "已为您记录")))
    assert not fires(ins, chat(("a", "已为您记录"), ("c", "再不处理我就投诉")))


# -- timing ------------------------------------------------------------------------------------

TIMED = call(("a", "您好，请问有什么可以帮您？"),
             ("c", "我想查一下我的账单。", {"gap": 1.0}),
             ("a", "好的，我看到了。", {"gap": 12.5}),
             ("c", "那我这个月一共要还多少钱，最低要还多少？", {"overlap": 0.8}),
             ("a", "一共三千二百元，最低还款三百二十元，到期日是十二月五号。", {"overlap": 2.0, "cpm": 480}),
             ("c", "好的。"))


def test_timing_facts_across_both_channels():
    gaps = timing.silences(TIMED.utterances)
    assert [(i, round(b - a, 1)) for i, a, b in gaps if b - a > 5] == [(2, 12.5)]
    over = {i: round(b - a, 2) for i, a, b in timing.overlaps(TIMED.utterances)}
    assert over[3] == 0.8 and over[4] == 2.0
    delays = {i: round(b - a, 1) for i, a, b in timing.delays(TIMED.utterances)}
    assert delays[1] == 1.0 and delays[2] == 12.5
    assert delays[3] == -0.8                       # an interruption has no delay


def test_timing_conditions(tmp_path):
    assert fires(inspector(tmp_path, {"silence": {"over": 10}}), TIMED)
    assert not fires(inspector(tmp_path, {"silence": {"over": 13}}), TIMED)
    assert fires(inspector(tmp_path, {"role": "agent", "overtalk": {"over": 1.5}}), TIMED)
    assert not fires(inspector(tmp_path, {"role": "customer", "overtalk": {"over": 1.5}}), TIMED)
    assert fires(inspector(tmp_path, {"role": "agent", "response_delay": {"over": 10}}), TIMED)
    assert not fires(inspector(tmp_path, {"role": "customer", "response_delay": {"over": 10}}), TIMED)
    fast = inspector(tmp_path, {"role": "agent", "speech_rate": {"above": 400}})
    assert fires(fast, TIMED)
    r = fast.inspect(TIMED)
    assert r.findings[0].evidence[0]["utterance"] == 4 and "字/分钟" in r.findings[0].evidence[0]["detail"]
    assert not fires(inspector(tmp_path, {"role": "agent", "speech_rate": {"below": 100, "above": 500}}), TIMED)
    assert TIMED.duration_s == 27.33
    assert fires(inspector(tmp_path, {"duration": {"over": 20}}), TIMED)
    assert not fires(inspector(tmp_path, {"duration": {"under": 20}}), TIMED)
    assert fires(inspector(tmp_path, {"duration": {"under": 30}}), TIMED)


def test_speech_rate_prefers_measured_features(tmp_path):
    t = call(("a", "您好请问有什么可以帮您的吗", {"features": {"speech_rate_cpm": 520.0}}))
    assert fires(inspector(tmp_path, {"role": "agent", "speech_rate": {"above": 400}}), t)


def test_texts_without_timing_skip_timing_conditions(tmp_path):
    t = chat(("a", "您好"), ("c", "在吗"))
    for cond in ({"silence": {"over": 1}}, {"overtalk": {"over": 1}}, {"speech_rate": {"above": 1}},
                 {"response_delay": {"over": 1}}, {"duration": {"over": 1}}):
        r = inspector(tmp_path, cond).inspect(t)
        assert r.findings == [] and "r" in r.not_applicable, cond
        assert "r" not in r.rules


def test_not_applicable_can_be_decided_by_other_conditions(tmp_path):
    t = chat(("a", "你这种人"), ("c", "什么？"))
    either = inspector(tmp_path, {"silence": {"over": 1}}, {"keywords": ["你这种人"]}, when="1 || 2")
    assert fires(either, t)
    both = inspector(tmp_path, {"silence": {"over": 1}}, {"keywords": ["没有的词"]}, when="1 && 2")
    assert fires(both, t) is False                    # False && n/a = False: applicable, passes


def test_chat_message_times_give_response_delay_but_no_silence(tmp_path):
    from voc.schema import Transcript, Utterance

    t = Transcript("c", "chat.csv", "chat", 300.0, {}, [
        Utterance(0.0, 0.0, "u", "customer", "在吗"), Utterance(240.0, 240.0, "a", "agent", "在的")])
    assert fires(inspector(tmp_path, {"role": "agent", "response_delay": {"over": 120}}), t)
    assert fires(inspector(tmp_path, {"silence": {"over": 1}}), t) is None


# -- metadata ------------------------------------------------------------------------------------

def test_meta_product_channel_and_agent(tmp_path):
    t = call(("a", "您好"), meta={"product_line": "理财"}, source="2026/11/A1007_20261103.wav")
    assert fires(inspector(tmp_path, {"meta": {"product_line": ["理财", "基金"]}}), t)
    assert not fires(inspector(tmp_path, {"meta": {"product_line": "信用卡"}}), t)
    assert not fires(inspector(tmp_path, {"meta": {"product_line": "理财"}}), chat(("a", "您好")))  # missing
    assert fires(inspector(tmp_path, {"meta": {"channel": "call"}}), t)
    assert fires(inspector(tmp_path, {"meta": {"agent": "A1007"}}, agent_pattern=r"(?P<agent>A\d{4})_"), t)
    assert not fires(inspector(tmp_path, {"meta": {"agent": "A1007"}}), t)
    both = inspector(tmp_path, {"meta": {"channel": "call", "product_line": "理财"}})
    assert fires(both, t)
    ev = both.inspect(t).findings[0].evidence
    assert ev == [{"condition": "c1", "detail": "channel=call；product_line=理财"}]


def test_agent_and_team_from_meta_or_source_pattern(tmp_path):
    ins = inspector(tmp_path, {"keywords": ["您好"]}, agent_pattern=r"(?P<team>[^/]+)/(?P<agent>A\d{4})_")
    r = ins.inspect(call(("a", "您好"), source="recordings/信用卡一组/A1003_0001.wav"))
    assert (r.agent_id, r.team) == ("A1003", "信用卡一组")
    r = ins.inspect(call(("a", "您好"), meta={"agent_id": "A9", "team": "理财组"}, source="x/信用卡一组/A1003_1.wav"))
    assert (r.agent_id, r.team) == ("A9", "理财组")
    r = Inspector(ins.rules).inspect(call(("a", "您好")))
    assert (r.agent_id, r.team) == (None, None)


# -- findings, ids, scores -------------------------------------------------------------------------

def test_findings_carry_evidence_and_stable_ids(tmp_path):
    ins = inspector(tmp_path, {"id": "fee", "role": "agent", "keywords": ["年费"]},
                    {"id": "bye", "role": "agent", "position": {"last": 1}, "keywords": ["祝您"]},
                    when="fee && !bye")
    f = ins.inspect(CALL).findings[0]
    assert f.evidence[0] == {"condition": "fee", "utterance": 2, "start": CALL.utterances[2].start,
                             "end": CALL.utterances[2].end, "role": "agent", "match": "年费",
                             "text": "白金卡年费是每年两千元，刷满十二次可以免次年年费。"}
    assert f.evidence[1]["condition"] == "bye" and f.evidence[1]["missing"].startswith("坐席最后1句未出现")
    assert ins.inspect(CALL).findings[0].id == f.id                       # same call, same id
    other = call(*[(u.role[0], u.text) for u in CALL.utterances], tid="call-2")
    assert ins.inspect(other).findings[0].id != f.id                     # other transcript


def test_evidence_excerpts_are_redacted(tmp_path):
    ins = inspector(tmp_path, {"role": "customer", "keywords": ["卡号"]})
    t = chat(("c", "我的卡号是6222021234567890128，你查一下"))
    assert "6222021234567890128" not in str(ins.inspect(t).findings[0].evidence)
    raw = Inspector(ins.rules, redact=False)
    assert "6222021234567890128" in str(raw.inspect(t).findings[0].evidence)


def test_score_is_100_minus_deductions_with_a_floor(tmp_path):
    p = tmp_path / "many.yaml"
    rules = [{"id": f"r{i}", "name": "n", "category": "合规", "severity": "critical", "deduct": 40,
              "message": "m", "conditions": [{"keywords": ["年费"]}]} for i in range(3)]
    p.write_text(yaml.safe_dump({"version": 1, "rules": rules}, allow_unicode=True), encoding="utf-8")
    r = Inspector(load_rules(p)).inspect(CALL)
    assert len(r.findings) == 3 and r.deductions == 120 and r.score == 0


def test_scorecards_and_hit_rates(tmp_path):
    ins = inspector(tmp_path, {"keywords": ["投诉"]}, deduct=20)
    calls = [ins.inspect(call(("c", text), meta={"agent_id": a, "team": tm}, tid=str(i))).to_dict()
             for i, (text, a, tm) in enumerate([("我要投诉", "A1", "一组"), ("你好", "A1", "一组"),
                                                ("我要投诉", "A2", "二组"), ("我要投诉", "A3", "二组")])]
    calls.append(ins.inspect(call(("c", "你好"), tid="x")).to_dict())
    agents = {r["agent"]: r for r in scorecards(calls, "agent")}
    assert agents["A1"]["mean_score"] == 90 and agents["A1"]["findings"] == 1
    assert agents["A1"]["team"] == "一组" and agents["(unknown)"]["contacts"] == 1
    teams = scorecards(calls, "team")
    assert [t["team"] for t in teams][0] == "二组"            # lowest mean first
    assert next(t for t in teams if t["team"] == "二组")["agents"] == 2
    (rate,) = hit_rates(calls, ins.rules.rules)
    assert (rate["applied"], rate["hits"], rate["rate"]) == (5, 3, 0.6)


def test_unknown_roles_can_count_as_a_role(tmp_path):
    rule = {"id": "r", "name": "n", "category": "服务", "severity": "low", "deduct": 1, "message": "m",
            "conditions": [{"role": "agent", "keywords": ["您好"]}]}
    p = tmp_path / "u.yaml"
    p.write_text(yaml.safe_dump({"version": 1, "unknown_role": "agent", "rules": [rule]}, allow_unicode=True),
                 encoding="utf-8")
    mono = chat(("u", "您好，请问有什么可以帮您"), ("u", "我想问下账单"))
    assert Inspector(load_rules(p)).inspect(mono).findings
    p.write_text(yaml.safe_dump({"version": 1, "rules": [rule]}, allow_unicode=True), encoding="utf-8")
    assert "r" in Inspector(load_rules(p)).inspect(mono).not_applicable
