"""`voc inspect`: files, workspace, re-runs, scorecards, rule listing and one-line errors."""

from __future__ import annotations

import json
import os

import pytest
from inspect_calls import GOOD, call, chat
from typer.testing import CliRunner

from voc.cli import app
from voc.schema import write_transcripts
from voc.store import Workspace

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("clean_env")


def contacts():
    bad = [("a", "喂，什么事？")] + GOOD[1:7]            # no greeting, no 工号, no closing
    return [call(*GOOD, tid="good", meta={"agent_id": "A1", "team": "一组", "started_at": "2026-11-03T09:00:00+08:00"}),
            call(*bad, tid="bad", meta={"agent_id": "A2", "team": "二组", "started_at": "2026-11-04T10:00:00+08:00"}),
            chat(*[(r, t) for r, t, *_ in bad], tid="chat", meta={"agent_id": "A2", "team": "二组"})]


@pytest.fixture()
def transcripts(tmp_path):
    p = tmp_path / "transcripts.jsonl"
    write_transcripts(p, contacts())
    return p


def test_inspect_writes_findings_scorecards_and_the_workspace(tmp_path, transcripts):
    r = runner.invoke(app, ["inspect", str(transcripts), "--out", "findings.jsonl", "-w", "ws",
                            "--scorecards", "cards.json", "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["inspected"] == 3 and summary["findings"] == 6
    lines = [json.loads(x) for x in (tmp_path / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    by_id = {x["id"]: x for x in lines}
    assert by_id["good"]["score"] == 100 and by_id["good"]["findings"] == []
    assert by_id["bad"]["score"] == 100 - 5 - 3 - 5
    assert {f["rule"] for f in by_id["bad"]["findings"]} == {"greeting", "self_identification", "closing"}
    assert {x["rule"] for x in by_id["chat"]["not_applicable"]} == {"dead_air", "overtalk", "fast_speech"}
    cards = json.loads((tmp_path / "cards.json").read_text(encoding="utf-8"))
    assert [a["agent"] for a in cards["agents"]] == ["A2", "A1"]
    greeting = next(x for x in cards["rules"] if x["rule"] == "greeting")
    assert (greeting["applied"], greeting["hits"]) == (3, 2)
    dead_air = next(x for x in cards["rules"] if x["rule"] == "dead_air")
    assert (dead_air["applied"], dead_air["not_applicable"]) == (2, 1)
    with Workspace(tmp_path / "ws") as ws:
        assert len(ws.inspections()) == 3 and len(ws.findings()) == 6
        run = ws.runs()[-1]
        assert run["command"] == "inspect" and run["succeeded"] == 3 and run["status"] == "ok"
        assert "rules_digest" in json.loads(run["config"])


def test_reinspecting_keeps_ids_and_does_not_duplicate(tmp_path, transcripts):
    for _ in range(2):
        assert runner.invoke(app, ["inspect", str(transcripts), "-w", "ws"]).exit_code == 0
    with Workspace(tmp_path / "ws") as ws:
        first = {f["finding_id"] for f in ws.findings()}
        assert len(first) == 6 and ws.db.execute("SELECT count(*) FROM findings").fetchone()[0] == 6
        assert len(ws.runs()) == 2


def test_human_summary_on_stderr(transcripts):
    r = runner.invoke(app, ["inspect", str(transcripts), "--no-store"])
    assert r.exit_code == 0, r.output
    assert "inspected 3 contacts" in r.stderr and "6 findings" in r.stderr and r.stdout == ""
    assert not os.path.exists("voc-workspace")


def test_a_table_of_chats_with_roles(tmp_path):
    tsv = tmp_path / "chats.tsv"
    rows = [("s1", "0", "你好，我的快递什么时候到？"), ("s1", "1", "您好，明天送达，请问还有其他可以帮您的吗？"),
            ("s2", "0", "我要投诉你们的快递员"), ("s2", "1", "那是你的事，你自己去查吧。")]
    tsv.write_text("".join(f"{a}\tu\t{b}\t{c}\n" for a, b, c in rows), encoding="utf-8")
    r = runner.invoke(app, ["inspect", str(tsv), "--text-col", "3", "--group-col", "0", "--role-col", "2",
                            "--no-store", "--out", "f.jsonl", "--json"])
    assert r.exit_code == 0, r.output
    out = {x["id"]: x for x in map(json.loads, (tmp_path / "f.jsonl").read_text(encoding="utf-8").splitlines())}
    assert {f["rule"] for f in out["s2"]["findings"]} >= {"dismissive_language", "apology_on_complaint",
                                                          "escalation_unhandled", "greeting"}
    assert {f["rule"] for f in out["s1"]["findings"]} == {"self_identification"}


def test_agent_pattern_flag_names_agents_from_file_names(tmp_path):
    p = tmp_path / "t.jsonl"
    write_transcripts(p, [call(*GOOD, tid="x", source="calls/A1007_20261103_0001.wav")])
    r = runner.invoke(app, ["inspect", str(p), "--no-store", "--json",
                            "--agent-pattern", r"(?P<agent>A\d{4})_"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["agents"][0]["agent"] == "A1007"
    r = runner.invoke(app, ["inspect", str(p), "--no-store", "--agent-pattern", "(A\\d"])
    assert r.exit_code == 1 and "voc: error: inspect.agent_pattern" in r.stderr


def test_list_rules_checks_and_lists(tmp_path):
    r = runner.invoke(app, ["inspect", "--list-rules"])
    assert r.exit_code == 0, r.output
    assert len(r.stdout.splitlines()) == 18 and "greeting" in r.stdout and "一票否决" in r.stdout
    r = runner.invoke(app, ["inspect", "--list-rules", "--json"])
    rules = json.loads(r.stdout)["rules"]
    assert next(x for x in rules if x["id"] == "closing")["when"] == "!offer && !farewell"


def test_rules_from_flag_env_and_malformed_file(tmp_path, transcripts, monkeypatch):
    good = tmp_path / "mine.yaml"
    good.write_text("version: 1\nrules:\n  - id: thanks\n    name: 致谢\n    category: 服务\n"
                    "    severity: low\n    deduct: 2\n    message: 没说谢谢\n    conditions:\n"
                    "      - {role: agent, keywords: [再见]}\n    when: '!1'\n", encoding="utf-8")
    r = runner.invoke(app, ["inspect", str(transcripts), "--rules", str(good), "--no-store", "--json"])
    assert json.loads(r.stdout)["findings"] == 2
    monkeypatch.setenv("VOC_INSPECT_RULES", str(good))
    r = runner.invoke(app, ["inspect", "--list-rules"])
    assert r.stdout.split()[0] == "thanks"
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text(encoding="utf-8").replace("keywords: [再见]", "keywords: [再见], silence: {over: 3}"),
                   encoding="utf-8")
    r = runner.invoke(app, ["inspect", str(transcripts), "--rules", str(bad), "--no-store"])
    assert r.exit_code == 1
    assert r.stderr.strip().count("\n") == 0, r.stderr
    assert r.stderr.startswith("voc: error: ") and "bad.yaml: rule 'thanks': condition 1: more than one check" in r.stderr


def test_missing_input_and_bad_lines(tmp_path):
    r = runner.invoke(app, ["inspect", "--no-store"])
    assert r.exit_code != 0 and "INPUT" in r.output
    p = tmp_path / "broken.jsonl"
    p.write_text(call(*GOOD).to_json() + "\n{not json\n", encoding="utf-8")
    r = runner.invoke(app, ["inspect", str(p), "--no-store"])
    assert r.exit_code == 1 and "broken.jsonl: row 2: not valid JSON" in r.stderr


def test_a_contact_repeated_in_the_input_is_stored_once(tmp_path):
    p = tmp_path / "twice.jsonl"
    write_transcripts(p, contacts() + contacts()[1:2])
    r = runner.invoke(app, ["inspect", str(p), "-w", "ws"])
    assert r.exit_code == 1 and "row 4: duplicate id 'bad'" in r.stderr   # reported and skipped
    with Workspace(tmp_path / "ws") as ws:
        assert len(ws.inspections()) == 3 and len(ws.findings()) == 6
        assert ws.failures()[0]["reason"].startswith("duplicate id")


def test_library_store_keeps_the_last_of_a_repeated_result(tmp_path):
    from voc.inspect import Inspector, load_rules

    ins = Inspector(load_rules())
    bad = contacts()[1]
    first = ins.inspect(bad)
    bad.utterances[0].text = "您好，星河银行，我是1024号客服小周，请问有什么可以帮您？"
    second = ins.inspect(bad)
    with Workspace(tmp_path / "ws") as ws:
        ws.save_inspections([first, second], run_id="r1")
        (row,) = ws.inspections()
        assert row["score"] == second.score and len(ws.findings()) == len(second.findings)


def test_the_voc_run_stage_hook_stores_inspections(tmp_path):
    from voc.config import load_settings
    from voc.inspect import run_stage

    batch = [(t, {"id": t.id}) for t in contacts()]
    with Workspace(tmp_path / "ws") as ws:
        counts = run_stage(batch, ws, "run-1", load_settings(environ={}))
        assert counts == {"inspected": 3, "findings": 6}
        run_stage(batch, ws, "run-2", load_settings(environ={}))        # idempotent
        assert len(ws.inspections()) == 3 and len(ws.findings()) == 6


def test_contacts_nothing_could_be_checked_on_are_counted_apart(tmp_path, transcripts):
    # a table export without a role column: every rule needs a role, so nothing is inspected
    table = tmp_path / "contacts.csv"
    table.write_text("id,text\nr1,您好请问有什么可以帮您？你是不是听不懂人话？\nr2,我要投诉你们\n", encoding="utf-8")
    r = runner.invoke(app, ["inspect", str(table), "--id-col", "id", "-w", "ws", "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["coverage"] == {"full": 0, "partial": 0, "none": 2}
    assert s["pass_rate"] is None and s["mean_score"] is None
    # the roles-known contacts next to them: pass rate over the fully inspected only
    r = runner.invoke(app, ["inspect", str(transcripts), "-w", "ws"])
    assert "已质检 3, 部分质检 0 and 未质检 0" in r.stderr and "pass rate 100.0%" in r.stderr, r.stderr
    with Workspace(tmp_path / "ws", read_only=True) as ws:
        rows = {x["transcript_id"]: x for x in ws.inspections()}
    assert rows["r1"]["coverage"] == "none" and rows["r1"]["score"] is None
    assert "没有坐席的话语" in rows["r1"]["coverage_note"] and rows["good"]["coverage"] == "full"


def test_export_and_dashboard_data_count_coverage_and_vetoes(tmp_path):
    from voc.report import audit
    from voc.report import data as D

    sold = call(*GOOD[:5], ("a", "这款理财保本保收益的，您放心。"), *GOOD[7:], tid="sold")
    ticket = chat(("c", "我要投诉你们乱扣年费。"), tid="ticket")
    p = tmp_path / "t.jsonl"
    write_transcripts(p, [call(*GOOD, tid="good"), sold, ticket])
    assert runner.invoke(app, ["inspect", str(p), "-w", "ws"]).exit_code == 0
    with Workspace(tmp_path / "ws", read_only=True) as ws:
        rows = {r["transcript_id"]: r for r in audit.tables(ws)["qa_contacts"]}
        cs = D.contacts(ws, findings=D.findings(ws))
    assert rows["ticket"]["coverage_zh"] == "未质检" and rows["ticket"]["qa_score"] is None
    assert rows["sold"]["vetoed"] == ["guaranteed_return"] and rows["sold"]["qa_score"] == 70
    s = D.summary(cs, 80.0)
    assert (s["inspected"], s["qa_uninspected"], s["qa_vetoed"], s["qa_pass"]) == (2, 1, 1, 1)
    assert s["qa_pass_rate"] == 0.5
