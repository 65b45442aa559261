"""Semantic (相似句) conditions: utterances near example sentences by e5-small vectors, with the
threshold in the rule and the matched example in the evidence; only in-scope utterances embedded."""

from __future__ import annotations

import pytest
from inspect_calls import call, default_inspector

from voc.errors import ConfigError
from voc.inspect import Inspector, load_rules

RULE = """
version: 1
rules:
  - id: discourage
    name: 劝阻投诉（相似句）
    category: 合规
    severity: critical
    deduct: 30
    veto: true
    message: 坐席劝阻投诉
    conditions:
      - role: agent
        semantic: [投诉也没有用的, 你去投诉也解决不了问题]
        threshold: 0.95
"""


@pytest.fixture(scope="module")
def inspector(tmp_path_factory):
    d = tmp_path_factory.mktemp("sem")
    (d / "r.yaml").write_text(RULE, encoding="utf-8")
    return Inspector(load_rules(d / "r.yaml"), models_root=d / "models")


def test_similar_sentences_match_with_the_example_in_the_evidence(inspector):
    calls_ = inspector.embedder().passages
    seen = []

    def spy(texts):
        seen.extend(texts)
        return calls_(texts)

    inspector.embedder().passages = spy
    try:
        r = inspector.inspect(call(("c", "你们乱扣费，投诉也没有用的吧？"),
                                   ("a", "你就算投诉了也不会有什么结果。"),
                                   ("a", "请问还有其他可以帮您的吗？")))
    finally:
        del inspector.embedder().passages
    (f,) = r.findings
    ev = f.evidence[0]
    assert f.veto and ev["utterance"] == 1 and ev["match"] in ("投诉也没有用的", "你去投诉也解决不了问题")
    assert ev["detail"].startswith("语义相似度 0.9")
    # the customer's words are out of the condition's scope: never embedded
    assert "你们乱扣费，投诉也没有用的吧？" not in seen and len(seen) <= 2 + 2


def test_handling_a_complaint_is_not_similar_enough(inspector):
    r = inspector.inspect(call(("c", "我要投诉。"), ("a", "我帮您登记投诉，专人回电。"), ("a", "好的，您请讲。")))
    assert r.findings == []


def test_rule_sets_without_semantic_rules_never_load_the_embedder():
    ins = default_inspector()
    ins.inspect(call(("a", "您好"), ("c", "你好")))
    assert ins._examples == {} and ins.models_root is None


def test_semantic_needs_a_cosine_threshold(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text(RULE.replace("        threshold: 0.95\n", ""), encoding="utf-8")
    with pytest.raises(ConfigError, match="semantic needs threshold"):
        load_rules(p)
    p.write_text(RULE.replace("0.95", "95"), encoding="utf-8")
    with pytest.raises(ConfigError, match="threshold must be at most 1"):
        load_rules(p)
