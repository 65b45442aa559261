"""Rule files: loading, the `when` expression, and one-line errors for malformed files."""

from __future__ import annotations

import re
import textwrap

import pytest

from voc.errors import ConfigError
from voc.inspect import load_rules
from voc.inspect.expr import ExprError, evaluate, explain, parse, to_text


def write(tmp_path, body: str, name: str = "rules.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(body), encoding="utf-8")
    return p


RULE = """
version: 1
rules:
  - id: greeting
    name: 开场问候
    category: 服务
    severity: low
    deduct: 5
    message: 没有问候
    conditions:
      - id: greeted
        role: agent
        position: {first: 1}
        keywords: [您好]
    when: "!greeted"
"""


# -- expressions ----------------------------------------------------------------------------

IDS = ["a", "b", "c"]


@pytest.mark.parametrize("text, expected", [
    ("1 && (2 || !3)", ("and", [("var", "a"), ("or", [("var", "b"), ("not", ("var", "c"))])])),
    ("a and not b or c", ("or", [("and", [("var", "a"), ("not", ("var", "b"))]), ("var", "c")])),
    ("!!a", ("not", ("not", ("var", "a")))),
    ("(a)", ("var", "a")),
])
def test_expressions_parse_with_precedence(text, expected):
    assert parse(text, IDS) == expected


def test_structured_when_and_numbers():
    assert parse({"all": [1, {"not": "b"}]}, IDS) == ("and", [("var", "a"), ("not", ("var", "b"))])
    assert parse({"any": ["a", "c"]}, IDS) == ("or", [("var", "a"), ("var", "c")])
    assert parse(2, IDS) == ("var", "b")


@pytest.mark.parametrize("text, message", [
    ("1 && (2", "missing ')'"),
    ("1 &&", "ends too early"),
    ("4", "condition 4 does not exist"),
    ("a || d", "unknown condition 'd'"),
    ("a ; b", "unexpected ';'"),
    ("a b", "unexpected 'b'"),
    ("", "empty expression"),
    ("__import__('os')", "unexpected"),
])
def test_bad_expressions_say_what_is_wrong(text, message):
    with pytest.raises(ExprError, match=re.escape(message)):
        parse(text, IDS)


def test_three_valued_logic():
    vals = {"a": True, "b": None, "c": False}
    v = lambda k: vals[k]  # noqa: E731
    assert evaluate(parse("a || b", IDS), v) is True
    assert evaluate(parse("c && b", IDS), v) is False
    assert evaluate(parse("a && b", IDS), v) is None
    assert evaluate(parse("!b", IDS), v) is None
    assert evaluate(parse("a && !c", IDS), v) is True


def test_explain_lists_what_made_a_rule_true():
    vals = {"a": True, "b": False, "c": False}
    v = lambda k: vals[k]  # noqa: E731
    assert list(explain(parse("a && !b", IDS), v)) == [("a", True), ("b", False)]
    assert list(explain(parse("!(b || c)", IDS), v)) == [("b", False), ("c", False)]
    assert list(explain(parse("b || a", IDS), v)) == [("a", True)]
    assert to_text(parse("1 && (2 || !3)", IDS)) == "a && (b || !c)"


# -- files ----------------------------------------------------------------------------------

def test_a_file_and_a_folder_load(tmp_path):
    rs = load_rules(write(tmp_path, RULE))
    assert [r.id for r in rs.rules] == ["greeting"] and rs.digest
    write(tmp_path, RULE.replace("greeting", "opening"), "more.yaml")
    both = load_rules(tmp_path)
    assert [r.id for r in both.rules] == ["opening", "greeting"]     # files in name order
    assert both.digest != rs.digest


def test_disabled_rules_are_checked_but_not_loaded(tmp_path):
    rs = load_rules(write(tmp_path, RULE.replace("    deduct: 5", "    deduct: 5\n    enabled: false")))
    assert rs.rules == []


BAD = [
    ("  - id: greeting\n", "  - id: 1greeting\n", "rule #1: id must be letters"),
    ("    category: 服务\n", "    category: 礼貌\n", "rule 'greeting': category must be 合规, 服务 or 风险, got '礼貌'"),
    ("    severity: low\n", "    severity: urgent\n", "rule 'greeting': severity must be low, medium, high or critical"),
    ("    deduct: 5\n", "    deduct: 150\n", "rule 'greeting': deduct must be a number from 0 to 100"),
    ("    message: 没有问候\n", "", "rule 'greeting': missing field 'message'"),
    ("        keywords: [您好]\n", "        keyword: [您好]\n",
     "rule 'greeting': condition 1 (greeted): unknown key 'keyword'; valid:"),
    ("        keywords: [您好]\n", "        keywords: [您好]\n        regex: 您好\n",
     "condition 1 (greeted): more than one check (keywords, regex)"),
    ("        keywords: [您好]\n", "", "condition 1 (greeted): nothing to check"),
    ("        role: agent\n", "        role: teller\n", "condition 1 (greeted): role must be agent, customer or any"),
    ("        position: {first: 1}\n", "        position: {middle: 1}\n", "condition 1 (greeted): position must be one of"),
    ("        keywords: [您好]\n", "        regex: ['您好(']\n", "condition 1 (greeted): regex: bad regular expression '您好('"),
    ('    when: "!greeted"\n', '    when: "!greeted &&"\n', "rule 'greeting': when: expression ends too early"),
    ('    when: "!greeted"\n', '    when: "!welcomed"\n', "rule 'greeting': when: unknown condition 'welcomed'"),
    ("        keywords: [您好]\n", "        keywords: [您好]\n        match: most\n", "match must be any, all or none or {at_least: N}"),
    ("        keywords: [您好]\n", "        keywords: [您好]\n        match: {at_least: 3}\n", "at_least 3 but only 1 keywords"),
    ("        keywords: [您好]\n", "        silence: {over: -1}\n", "silence: over must be at least 0"),
    ("        keywords: [您好]\n", "        silence: {above: 3}\n", "silence: unknown key 'above'"),
    ("        keywords: [您好]\n", "        speech_rate: {above: 100, below: 200}\n", "below (200) must be less than above (100)"),
    ("        keywords: [您好]\n", "        similar: [您好]\n        threshold: 30\n", "threshold must be at least 50"),
    ("        keywords: [您好]\n", "        keywords: [您好]\n        anchor: {condition: greeted, relation: before}\n",
     "anchor: a condition cannot anchor to itself"),
    ("        keywords: [您好]\n", "        keywords: [您好]\n        anchor: {condition: x, relation: near}\n",
     "anchor: relation must be before, after, around, not_before, not_after or not_around"),
    ("        role: agent\n        position: {first: 1}\n", "", None),   # valid: role and position optional
]


@pytest.mark.parametrize("old, new, message", BAD)
def test_malformed_files_fail_with_file_rule_and_problem_on_one_line(tmp_path, old, new, message):
    assert old in RULE
    path = write(tmp_path, RULE.replace(old, new, 1))
    if message is None:
        load_rules(path)
        return
    with pytest.raises(ConfigError) as e:
        load_rules(path)
    text = str(e.value)
    assert "\n" not in text and text.startswith(str(path)) and message in text, text


def test_meta_conditions_take_no_role(tmp_path):
    body = RULE.replace("        role: agent\n        position: {first: 1}\n        keywords: [您好]\n",
                        "        role: agent\n        meta: {product_line: 理财}\n")
    with pytest.raises(ConfigError, match="role does not apply to a meta condition"):
        load_rules(write(tmp_path, body))


def test_unused_conditions_and_anchor_loops_are_errors(tmp_path):
    two = RULE.replace('    when: "!greeted"\n', "      - id: extra\n        keywords: [谢谢]\n    when: greeted\n")
    with pytest.raises(ConfigError, match=r"condition 2 \(extra\): not used in when or by an anchor"):
        load_rules(write(tmp_path, two))
    loop = RULE.replace(
        "        keywords: [您好]\n",
        "        keywords: [您好]\n        anchor: {condition: other, relation: after}\n"
        "      - id: other\n        keywords: [谢谢]\n        anchor: {condition: greeted, relation: after}\n")
    with pytest.raises(ConfigError, match="anchors form a loop"):
        load_rules(write(tmp_path, loop))


def test_whole_file_problems(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_rules(write(tmp_path, "rules: [\n  - id: x\n", "a.yaml"))
    with pytest.raises(ConfigError, match="rules must be a non-empty list"):
        load_rules(write(tmp_path, "version: 1\nrules: []\n", "b.yaml"))
    with pytest.raises(ConfigError, match="version must be 1"):
        load_rules(write(tmp_path, RULE.replace("version: 1", "version: 2"), "c.yaml"))
    with pytest.raises(ConfigError, match="no such rule file or folder"):
        load_rules(tmp_path / "missing.yaml")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="no rule files"):
        load_rules(empty)


def test_duplicate_ids_across_files_name_both(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    write(d, RULE, "a.yaml")
    write(d, RULE, "b.yaml")
    with pytest.raises(ConfigError, match=r"b\.yaml: rule 'greeting': duplicate id \(also in .*a\.yaml\)"):
        load_rules(d)
