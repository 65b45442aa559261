"""`voc export`: xlsx and CSV (UTF-8 with BOM) that round-trip the values, review history, run
records an auditor can reproduce from, the PII safeguard and formula-injection guard."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import openpyxl
import pytest
import report_workspace as RW
from typer.testing import CliRunner

from voc.cli import app
from voc.report.audit import TABLES, XLSX_NAME, csv_cell, plain, tables, write_csv, write_xlsx
from voc.store import Workspace

runner = CliRunner()
BOM = b"\xef\xbb\xbf"


pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture(scope="module")
def ws_dir(tmp_path_factory):
    return RW.shared(tmp_path_factory)


@pytest.fixture(scope="module")
def exported(ws_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "audit"
    r = runner.invoke(app, ["export", "--workspace", str(ws_dir), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    return out, json.loads(r.stdout)


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def read_sheet(wb, name: str) -> list[dict]:
    rows = list(wb[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_files_bom_and_manifest(exported):
    out, s = exported
    names = {f"{t}.csv" for t in TABLES} | {XLSX_NAME}
    assert set(s["files"]) == names
    for name in names:
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == s["files"][name]
    for t in TABLES:
        raw = (out / f"{t}.csv").read_bytes()
        assert raw.startswith(BOM), t
        header = raw[len(BOM):].decode("utf-8").splitlines()[0]
        assert header.split(",") == [c for c, _ in TABLES[t][1]]
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"] == s["files"]
    assert s["rows"]["findings"] > 0 and s["rows"]["high_risk_contacts"] > 0


def test_xlsx_and_csv_round_trip_the_values(exported, ws_dir):
    out, s = exported
    with Workspace(ws_dir) as ws:
        expected = tables(ws)
    wb = openpyxl.load_workbook(out / XLSX_NAME)
    assert wb.sheetnames == ["说明", *TABLES]
    for name, (_, cols) in TABLES.items():
        columns = [c for c, _ in cols]
        sheet, rows_csv = read_sheet(wb, name), read_csv(out / f"{name}.csv")
        want = expected[name]
        if name == "runs":      # the export's own run record is written while exporting
            want = [r for r in want if r["command"] != "export"]
            sheet = [r for r in sheet if r["command"] != "export"]
            rows_csv = [r for r in rows_csv if r["command"] != "export"]
        assert len(sheet) == len(rows_csv) == len(want), name
        for w, x, c in zip(want, sheet, rows_csv):
            for col in columns:
                v = plain(w.get(col))
                assert x[col] == v or (v == "" and x[col] is None), (name, col, x[col], v)
                assert c[col] == ("" if v is None else csv_cell(v) if isinstance(v, str) else
                                  str(v)), (name, col)


def test_findings_carry_review_history(exported):
    out, _ = exported
    rows = {r["finding_id"]: r for r in read_csv(out / "findings.csv")}
    events = read_csv(out / "review_events.csv")
    by = {}
    for e in events:
        by.setdefault(e["finding_id"], []).append(e)
    overturned = next(r for r in rows.values() if r["state"] == "overturned")
    hist = overturned["review_history"].splitlines()
    assert len(hist) == 2 and "appeal open→appealed" in hist[0] and "resolve appealed→overturned" in hist[1]
    assert "李主管" in hist[1] and "申诉成立" in hist[1]
    assert overturned["counts_in_score"] == "False" and overturned["review_events"] == "2"
    assert [e["seq"] for e in by[overturned["finding_id"]]] == ["1", "2"]
    dismissed = next(r for r in rows.values() if r["state"] == "dismissed")
    assert by[dismissed["finding_id"]][0]["reason"] == "'=误报，录音不清"     # formula guard in CSV
    assert sum(r["state"] == "open" for r in rows.values()) == len(rows) - 4
    ev = json.loads(overturned["evidence_json"])
    assert isinstance(ev, list) and ev


def test_high_risk_contacts_with_reasons(exported, ws_dir, tmp_path):
    out, _ = exported
    rows = read_csv(out / "high_risk_contacts.csv")
    assert rows and all(r["risk_level"] == "high" for r in rows)
    assert all(r["risk_reasons"].strip() for r in rows)
    scores = [float(r["risk_score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert all(json.loads(r["risk_signals"]) for r in rows)
    r = runner.invoke(app, ["export", "-w", str(ws_dir), "--out", "m", "--format", "csv",
                            "--min-risk", "medium", "--json"])
    assert r.exit_code == 0, r.output
    levels = {x["risk_level"] for x in read_csv(tmp_path / "m" / "high_risk_contacts.csv")}
    assert levels == {"high", "medium"}
    assert not (tmp_path / "m" / XLSX_NAME).exists()


def test_run_records_let_an_auditor_reproduce(exported, ws_dir):
    out, s = exported
    runs = read_csv(out / "runs.csv")
    by_cmd = {r["command"]: r for r in runs}
    assert {"demo generate", "analyze", "inspect", "export"} <= set(by_cmd)
    a = by_cmd["analyze"]
    assert a["user_name"] and a["host"] and a["started_at"] and a["ended_at"] and a["voc_version"]
    models = json.loads(a["models"])
    assert len(models["sentiment"]["sha256"]) == 64 and "sha256=" in a["models_summary"]
    config = json.loads(a["config"])
    assert config["privacy.redact"] is True and "analyze.sentiment_model" in config
    canon = json.dumps(config, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert a["config_sha256"] == hashlib.sha256(canon.encode("utf-8")).hexdigest()
    assert json.loads(by_cmd["inspect"]["config"])["rules_digest"]
    assert by_cmd["export"]["run_id"] == s["run_id"]
    contacts = read_csv(out / "run_contacts.csv")
    stages = {(c["run_id"], c["stage"]) for c in contacts}
    assert (a["run_id"], "analyses") in stages and (by_cmd["inspect"]["run_id"], "inspections") in stages
    with Workspace(ws_dir) as ws:
        n = ws.db.execute("SELECT count(*) FROM analyses").fetchone()[0]
        status = {r["run_id"]: r["status"] for r in ws.runs()}
    assert sum(1 for c in contacts if c["run_id"] == a["run_id"] and c["stage"] == "analyses") == n
    assert status[s["run_id"]] == "ok"                            # the export itself is recorded


def test_pii_safeguard_on_evidence_stored_raw(tmp_path):
    """Evidence stored with `voc inspect --no-redact` is masked in the export unless the export
    is --no-redact too."""
    from voc.schema import write_transcripts
    from voc.text.pii import find_pii

    ws_dir = RW.build(tmp_path / "b", n=10, analyze=False, topics=False, reviews=False)
    src = tmp_path / "b" / "demo" / "transcripts.jsonl"
    write_transcripts(src, [RW.hostile()])               # a complaint that quotes a card number
    assert runner.invoke(app, ["inspect", str(src), "-w", str(ws_dir), "--no-redact"]).exit_code == 0
    with Workspace(ws_dir) as ws:
        raw = [f for f in ws.findings() if any(find_pii(e.get("text") or "", asr=True) for e in f["evidence"])]
    assert raw, "some evidence quotes a read-out number"
    for flag, leaks in (([], False), (["--no-redact"], True)):
        out = tmp_path / ("open" if flag else "masked")
        r = runner.invoke(app, ["export", "-w", str(ws_dir), "--out", str(out), *flag])
        assert r.exit_code == 0, r.output
        rows = {x["finding_id"]: x for x in read_csv(out / "findings.csv")}
        found = [bool(find_pii(rows[f["finding_id"]]["evidence"], asr=True)) for f in raw]
        assert any(found) if leaks else not any(found)
        about = {r[0]: r[1] for r in openpyxl.load_workbook(out / XLSX_NAME)["说明"].iter_rows(values_only=True)
                 if r and r[0]}
        assert about["敏感信息"].startswith("未遮蔽" if leaks else "已遮蔽")


def test_formula_injection_guard_and_long_cells(tmp_path):
    cols = [c for c, _ in TABLES["failures"][1]]
    rows = [{"run_id": "r1", "source": "=HYPERLINK(\"http://x\")", "reason": "@SUM(1)", "failed_at": "-1"},
            {"run_id": "r2", "source": "a" * 40000, "reason": "ok\u0001bad", "failed_at": None}]
    write_csv(tmp_path / "f.csv", cols, rows)
    back = read_csv(tmp_path / "f.csv")
    assert back[0]["source"] == "'=HYPERLINK(\"http://x\")" and back[0]["reason"] == "'@SUM(1)"
    assert back[1]["source"] == "a" * 40000                     # CSV keeps everything
    t = {k: [] for k in TABLES} | {"failures": rows}
    cut = write_xlsx(tmp_path / "f.xlsx", t, [("k", "v")])
    assert cut == 1
    wb = openpyxl.load_workbook(tmp_path / "f.xlsx")
    ws = wb["failures"]
    assert ws["B2"].value == "=HYPERLINK(\"http://x\")" and ws["B2"].data_type == "s"
    assert ws["C2"].value == "@SUM(1)" and ws["D2"].value == "-1"
    assert len(ws["B3"].value) <= 32767 and ws["B3"].value.endswith("[截断，见 CSV]")
    assert ws["C3"].value == "okbad"
    assert plain(3) == 3 and csv_cell(-1.5) == -1.5               # numbers are not guarded


def test_format_choice_and_errors(tmp_path, ws_dir):
    r = runner.invoke(app, ["export", "-w", str(ws_dir), "--out", "x", "--format", "xlsx"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["manifest.json", XLSX_NAME]
    assert r.stdout.strip() == str(tmp_path / "x" / XLSX_NAME)
    r = runner.invoke(app, ["export", "-w", str(ws_dir), "--format", "pdf"])
    assert r.exit_code == 1 and "xlsx, csv or both" in r.output
    r = runner.invoke(app, ["export", "-w", str(ws_dir), "--min-risk", "extreme"])
    assert r.exit_code == 1 and "high, medium or low" in r.output
    r = runner.invoke(app, ["export", "-w", str(tmp_path / "none")])
    assert r.exit_code == 1 and "no workspace here" in r.output


def test_default_folder_and_date_range(tmp_path, ws_dir):
    ws_copy = RW.copy(ws_dir, tmp_path / "ws")
    r = runner.invoke(app, ["export", "-w", str(ws_copy), "--since", "2026-11-02", "--until", "2026-11-06",
                            "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert Path(s["out"]) == ws_copy / "exports"
    rows = read_csv(ws_copy / "exports" / "findings.csv")
    with Workspace(ws_copy) as ws:
        n = ws.db.execute("SELECT count(*) FROM findings WHERE call_date BETWEEN '2026-11-02' AND "
                          "'2026-11-06'").fetchone()[0]
    assert len(rows) == n > 0 and all("2026-11-02" <= x["call_at"][:10] <= "2026-11-06" for x in rows)


def test_file_names_with_a_callers_number_are_masked(tmp_path, ws_dir):
    ws_copy = RW.copy(ws_dir, tmp_path / "ws")
    with Workspace(ws_copy) as ws:
        run_id = ws.start_run("run", {})
        ws.record_failure(run_id, "/rec/0001_13812345678_20261101.wav", "empty file (0 bytes)")
        ws.finish_run(run_id, succeeded=0, failed=1)
    for flag, want in (([], "/rec/0001_[手机号]_20261101.wav"),
                       (["--no-redact"], "/rec/0001_13812345678_20261101.wav")):
        out = tmp_path / f"out{len(flag)}"
        r = runner.invoke(app, ["export", "-w", str(ws_copy), "--out", str(out), *flag])
        assert r.exit_code == 0, r.output
        mine = [row for row in read_csv(out / "failures.csv") if run_id in row.values()]
        assert len(mine) == 1 and want in mine[0].values(), mine


def test_times_in_the_bank_zone_and_chinese_values(tmp_path, monkeypatch):
    """Each time column X is followed by X_local in report.timezone (named in 说明 and the
    manifest), each coded column by X_zh; the machine columns keep their values (issue 16)."""
    from zoneinfo import ZoneInfo

    ws_dir = RW.build_recordings(tmp_path, [RW.recording_call(RW.SHARED_AUDIO / "asr_example.wav")])
    with Workspace(ws_dir) as ws:
        sh, ny = tables(ws), tables(ws, timezone="America/New_York")
        events = [{"finding_id": sh["findings"][0]["finding_id"], "action": "appeal", "from_state": "open",
                   "to_state": "appealed", "reviewer": "A7001", "reason": "不同意"}]
        ws.append_review_events(events)
    f = next(r for r in sh["findings"] if r["rule_id"] == "complaint_obstruction")
    assert f["call_at"] == "2026-11-05T02:30:00+00:00" and f["call_at_local"] == "2026-11-05 10:30:00"
    assert next(r for r in ny["findings"] if r["rule_id"] == "complaint_obstruction")["call_at_local"] == \
        "2026-11-04 21:30:00"
    assert f["severity_zh"] == {"critical": "严重", "high": "高", "medium": "中", "low": "低"}[f["severity"]]
    assert f["state_zh"] == "待复核" and "坐席" in f["evidence"] and " agent " not in f["evidence"]
    assert sh["qa_contacts"][0]["channel_zh"] == "电话" and sh["qa_contacts"][0]["coverage_zh"] == "已质检"
    run = sh["runs"][0]
    assert run["status_zh"] == "成功" and run["started_at_local"] == \
        run["started_at"].astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")

    monkeypatch.setenv("VOC_REPORT_TIMEZONE", "UTC")
    r = runner.invoke(app, ["export", "-w", str(ws_dir), "--out", str(tmp_path / "x"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["timezone"] == "UTC"
    ev = read_csv(tmp_path / "x" / "review_events.csv")[0]
    assert (ev["action"], ev["action_zh"], ev["from_state_zh"], ev["to_state_zh"]) == ("appeal", "申诉", "待复核", "申诉中")
    assert ev["event_at_local"] == ev["event_at"][:19].replace("T", " ")          # UTC: the same moment
    hist = next(x for x in read_csv(tmp_path / "x" / "findings.csv") if x["state"] == "appealed")["review_history"]
    assert "appeal open→appealed（申诉：待复核→申诉中）：不同意" in hist
    wb = openpyxl.load_workbook(tmp_path / "x" / XLSX_NAME)
    about = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True) if r and r[0]}
    assert about["时区"].startswith("UTC（report.timezone）") and "UTC 本地时间" in about["  call_at_local"]
    assert read_sheet(wb, "findings")[0]["call_at_local"] == "2026-11-05 02:30:00"
