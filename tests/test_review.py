"""`voc review`: the state machine, the append-only history, filters, scorecards, re-inspection."""

from __future__ import annotations

import csv
import getpass
import json

import pytest
from inspect_calls import GOOD, call
from typer.testing import CliRunner

from voc.cli import app
from voc.errors import WorkspaceError
from voc.inspect.review import TRANSITIONS, ReviewError, moves_from, next_state
from voc.schema import write_transcripts
from voc.store import Workspace

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("clean_env")


# -- the state machine ------------------------------------------------------------------------

def test_valid_transitions():
    assert next_state("open", "confirm") == "confirmed"
    assert next_state("open", "dismiss") == "dismissed"
    assert next_state("open", "appeal") == "appealed"
    assert next_state("confirmed", "appeal") == "appealed"
    assert next_state("confirmed", "dismiss") == "dismissed"
    assert next_state("dismissed", "confirm") == "confirmed"
    assert next_state("appealed", "resolve", "upheld") == "upheld"
    assert next_state("appealed", "resolve", "overturned") == "overturned"
    assert moves_from("upheld") == moves_from("overturned") == []
    assert moves_from("open") == ["confirm", "dismiss", "appeal"]


@pytest.mark.parametrize("state, action, message", [
    ("confirmed", "resolve", "cannot resolve a finding that is confirmed: resolve applies only to "
                             "appealed findings; from confirmed you can dismiss or appeal"),
    ("open", "resolve", "from open you can confirm, dismiss or appeal"),
    ("appealed", "dismiss", "dismiss applies only to confirmed or open findings; from appealed you can resolve"),
    ("upheld", "appeal", "upheld is final"),
    ("confirmed", "confirm", "confirm applies only to dismissed or open findings"),
])
def test_invalid_transitions_name_the_valid_ones(state, action, message):
    with pytest.raises(ReviewError, match=message):
        next_state(state, action, "upheld" if action == "resolve" else None)


def test_resolve_needs_an_outcome_and_only_resolve_takes_one():
    with pytest.raises(ReviewError, match="resolve needs --outcome upheld or overturned"):
        next_state("appealed", "resolve")
    with pytest.raises(ReviewError, match="--outcome applies to resolve only"):
        next_state("open", "confirm", "upheld")
    assert set(TRANSITIONS) == {"confirm", "dismiss", "appeal", "resolve"}


# -- the CLI over a real workspace ---------------------------------------------------------------

def contacts():
    no_greet = [("a", "喂，星河银行，我是1024号客服小周，什么事？")] + GOOD[1:]
    return [call(*no_greet, tid="c1", meta={"agent_id": "A1", "team": "一组", "started_at": "2026-11-03T09:00:00+08:00"}),
            call(*no_greet, tid="c2", meta={"agent_id": "A2", "team": "二组", "started_at": "2026-11-05T09:00:00+08:00"}),
            call(*GOOD[:7], tid="c3", meta={"agent_id": "A2", "team": "二组", "started_at": "2026-11-06T09:00:00+08:00"})]


@pytest.fixture()
def ws_path(tmp_path):
    p = tmp_path / "transcripts.jsonl"
    write_transcripts(p, contacts())
    r = runner.invoke(app, ["inspect", str(p), "-w", "ws"])
    assert r.exit_code == 0, r.output
    return tmp_path / "ws"


def ids(args) -> list[str]:
    r = runner.invoke(app, ["review", "list", "-w", "ws", "--json", *args])
    assert r.exit_code == 0, r.output
    return [x["finding_id"] for x in json.loads(r.stdout)]


def events(ws_path) -> list[tuple]:
    with Workspace(ws_path, read_only=True) as ws:
        return ws.db.execute("SELECT * FROM review_events ORDER BY finding_id, seq").fetchall()


def ok(*args):
    r = runner.invoke(app, ["review", *args, "-w", "ws"])
    assert r.exit_code == 0, r.output
    return r


def refused(*args) -> str:
    r = runner.invoke(app, ["review", *args, "-w", "ws"])
    assert r.exit_code == 1, r.output
    assert r.stderr.startswith("voc: error: ") and r.stderr.strip().count("\n") == 0, r.stderr
    return r.stderr


def test_list_filters(ws_path):
    everything = ids([])
    assert len(everything) == 3                                  # greeting x2, closing x1
    assert len(ids(["--rule", "greeting"])) == 2
    assert len(ids(["--agent", "A2"])) == 2
    assert len(ids(["--team", "一组"])) == 1
    assert len(ids(["--severity", "low"])) == 3 and ids(["--severity", "high"]) == []
    assert len(ids(["--category", "服务"])) == 3
    assert len(ids(["--since", "2026-11-05"])) == 2
    assert len(ids(["--since", "2026-11-04", "--until", "2026-11-05"])) == 1
    assert len(ids(["--state", "open"])) == 3 and ids(["--state", "confirmed"]) == []
    assert len(ids(["--limit", "1"])) == 1
    assert "--state: 'closed' is not valid; valid: open, confirmed" in refused("list", "--state", "closed")
    assert "--since: expected a date like 2026-11-03" in refused("list", "--since", "yesterday")
    r = ok("list")
    assert "greeting" in r.stdout and "3 findings" in r.stderr


def test_the_whole_workflow_with_history(ws_path):
    g1, g2 = ids(["--rule", "greeting"])
    ok("confirm", g1[:8], "--by", "qa_wang")
    assert "from confirmed you can dismiss or appeal" in refused("resolve", g1, "--outcome", "upheld", "--reason", "x")
    ok("appeal", g1, "--reason", "开场有问候，录音被截断", "--by", "A1")
    ok("resolve", g1, "--outcome", "overturned", "--reason", "复听录音确有问候", "--by", "qa_lead")
    assert "overturned is final" in refused("appeal", g1, "--reason", "again")
    ok("dismiss", g2, "--reason", "客户先开口，坐席回应时已问候")
    r = ok("show", g1[:10])
    assert "(overturned)" in r.stdout and "qa_wang" in r.stdout and "复听录音确有问候" in r.stdout
    assert "next      (final)" in r.stdout and "greeted" in r.stdout
    shown = json.loads(ok("show", g2, "--json").stdout)
    assert shown["state"] == "dismissed" and shown["next"] == ["confirm"]
    assert shown["history"][0]["reviewer"] == getpass.getuser()           # default reviewer
    # dismissed findings stay visible
    assert ids(["--state", "dismissed"]) == [g2] and ids(["--state", "overturned"]) == [g1]
    # a dismissal can be reversed, with a reason
    assert "needs --reason" in refused("confirm", g2)
    ok("confirm", g2, "--reason", "主管复核：确未问候")
    hist = json.loads(ok("history", "--json").stdout)
    assert [(h["action"], h["to_state"]) for h in hist if h["finding_id"] == g2] == \
        [("dismiss", "dismissed"), ("confirm", "confirmed")]
    assert len(hist) == 5


def test_history_is_append_only_and_exported(ws_path, tmp_path):
    g1, g2 = ids(["--rule", "greeting"])
    ok("confirm", g1)
    before = events(ws_path)
    ok("dismiss", g1, "--reason", "误报")
    ok("appeal", g2, "--reason", "不同意")
    after = events(ws_path)
    assert after[:len(before)] == before and len(after) == 3       # earlier rows untouched
    ok("history", "--out", "audit.csv")
    rows = list(csv.DictReader(open(tmp_path / "audit.csv", encoding="utf-8-sig")))
    assert [r["action"] for r in rows] == ["confirm", "dismiss", "appeal"]
    assert rows[1]["reason"] == "误报" and rows[1]["rule_id"] == "greeting" and rows[1]["agent_id"]
    ok("history", "--out", "audit.jsonl", "--finding", g2)
    lines = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["to_state"] == "appealed"


def test_all_or_nothing_for_several_findings(ws_path):
    g1, g2 = ids(["--rule", "greeting"])
    ok("confirm", g1)
    assert "cannot confirm a finding that is confirmed" in refused("confirm", g2, g1)
    assert events(ws_path)[-1][0] == g1 and len(events(ws_path)) == 1       # g2 not confirmed


def test_unknown_short_and_ambiguous_ids(ws_path):
    assert "no finding 'ffffffffff'" in refused("show", "ffffffffff")
    assert "too short" in refused("confirm", "abc")
    with Workspace(ws_path) as ws:
        all_ids = [f["finding_id"] for f in ws.findings()]
        ws.db.execute("INSERT INTO findings SELECT * REPLACE (? AS finding_id) FROM findings WHERE finding_id = ?",
                      [all_ids[0][:6] + "zzzz", all_ids[0]])
    assert "ambiguous" in refused("show", all_ids[0][:6])


def test_a_stale_state_is_refused(ws_path):
    (g1, *_) = ids(["--rule", "greeting"])
    ok("confirm", g1)
    with Workspace(ws_path) as ws, pytest.raises(WorkspaceError, match="someone else reviewed it"):
        ws.append_review_events([{"finding_id": g1, "action": "dismiss", "from_state": "open",
                                  "to_state": "dismissed", "reviewer": "b", "reason": "r"}])


def test_reinspection_keeps_states_and_history(ws_path, tmp_path):
    g1, g2 = ids(["--rule", "greeting"])
    ok("dismiss", g1, "--reason", "误报")
    r = runner.invoke(app, ["inspect", str(tmp_path / "transcripts.jsonl"), "-w", "ws"])
    assert r.exit_code == 0
    assert ids(["--state", "dismissed"]) == [g1] and len(ids([])) == 3
    # the agent's call is fixed in a new transcription: the finding is no longer produced,
    # it leaves the default list but keeps its history
    fixed = [c for c in contacts() if c.id == "c1"]
    fixed[0].utterances[0].text = "您好，欢迎致电星河银行，我是1024号客服小周，请问有什么可以帮您？"
    write_transcripts(tmp_path / "fixed.jsonl", fixed)
    assert runner.invoke(app, ["inspect", str(tmp_path / "fixed.jsonl"), "-w", "ws"]).exit_code == 0
    current = ids(["--rule", "greeting"])
    assert len(current) == 1
    gone = ({g1, g2} - set(current)).pop()
    assert gone in ids(["--rule", "greeting", "--all"])
    assert "inactive" in ok("show", gone).stdout


def test_scorecards_count_only_findings_that_stand(ws_path):
    def card(by="agent"):
        return {r[by if by != "rule" else "rule"]: r for r in json.loads(ok("scorecard", "--by", by, "--json").stdout)}
    assert card()["A1"]["mean_score"] == 95
    (g_a1,) = ids(["--rule", "greeting", "--agent", "A1"])
    ok("dismiss", g_a1, "--reason", "误报")
    assert card()["A1"]["mean_score"] == 100 and card()["A1"]["findings"] == 0
    assert card("team")["二组"]["contacts"] == 2
    rules = card("rule")
    assert rules["greeting"]["hits"] == 1 and rules["greeting"]["applied"] == 3
    r = ok("scorecard")
    assert "A2" in r.stdout


def test_reviewer_from_settings(ws_path, monkeypatch):
    (g1, *_) = ids([])
    monkeypatch.setenv("VOC_INSPECT_REVIEWER", "质检员张三")
    assert "by 质检员张三" in ok("confirm", g1).stdout


def test_review_needs_an_inspected_workspace(tmp_path):
    r = runner.invoke(app, ["review", "list", "-w", "nothing"])
    assert r.exit_code == 1 and "no workspace here" in r.stderr
    Workspace(tmp_path / "empty").close()
    r = runner.invoke(app, ["review", "list", "-w", "empty"])
    assert r.exit_code == 0 and "0 findings" in r.stderr


def test_review_roles(ws_path, monkeypatch):
    g1, g2 = ids(["--rule", "greeting"])                       # c1: agent A1; c2: agent A2
    a1 = next(f for f in (g1, g2) if json.loads(ok("show", f, "--json").stdout)["agent_id"] == "A1")
    a2 = g2 if a1 == g1 else g1
    monkeypatch.setenv("VOC_REVIEW_AGENTS", "A1,A2")
    monkeypatch.setenv("VOC_REVIEW_REVIEWERS", "qa_wang,qa_lead")
    # an agent may appeal their own finding, never confirm, dismiss or resolve, nor appeal another's
    assert "A1 is an agent (review.agents): agents may only appeal" in refused("confirm", a1, "--by", "A1")
    assert "(review.agents)" in refused("dismiss", a1, "--by", "A1", "--reason", "x")
    assert "may appeal only their own findings" in refused("appeal", a2, "--by", "A1", "--reason", "x")
    assert "is not a reviewer (review.reviewers" in refused("confirm", a1, "--by", "someone")
    ok("confirm", a1, "--by", "qa_wang")
    ok("appeal", a1, "--by", "A1", "--reason", "录音被截断")
    assert "A1 is an agent" in refused("resolve", a1, "--by", "A1", "--outcome", "overturned", "--reason", "x")
    # the reviewer who confirmed it cannot resolve the appeal on it ...
    assert "review.self_resolve is false" in refused("resolve", a1, "--by", "qa_wang", "--outcome", "upheld",
                                                     "--reason", "x")
    ok("resolve", a1, "--by", "qa_lead", "--outcome", "upheld", "--reason", "复听确认")
    # ... unless configured otherwise
    monkeypatch.setenv("VOC_REVIEW_SELF_RESOLVE", "true")
    ok("confirm", a2, "--by", "qa_wang")
    ok("appeal", a2, "--by", "A2", "--reason", "客户先开口")
    ok("resolve", a2, "--by", "qa_wang", "--outcome", "overturned", "--reason", "复听属实")
