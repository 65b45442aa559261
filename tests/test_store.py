"""The DuckDB workspace: migrations, idempotent transactional writes, runs, failures, locking."""

from __future__ import annotations

import getpass
import json
import socket
import subprocess
import textwrap

import duckdb
import pytest
from conftest import ROOT

from voc import __version__
from voc.errors import WorkspaceError
from voc.schema import Transcript, Utterance
from voc.store import DB_NAME, FOLDERS, MIGRATIONS, Workspace


def _call(tid: str = "c1", text_prefix: str = "", n: int = 3) -> Transcript:
    t = Transcript(
        id=tid, source=f"calls/{tid}.wav", channel="call", duration_s=12.5,
        meta={"agent_id": "A007", "started_at": "2026-11-01T09:30:00", "roles": "channels",
              "tags": ["年费", "投诉"]},
        utterances=[
            Utterance(0.0, 2.1, "ch0", "agent", text_prefix + "您好，请问有什么可以帮您？",
                      features={"speech_rate_cpm": 342.9, "rms_db": -21.5}),
            Utterance(2.4, 6.0, "ch1", "customer", text_prefix + "我的信用卡年费怎么又扣了！",
                      features={"speech_rate_cpm": 200.0, "rms_db": -12.25},
                      emotion="angry", events=["Laughter", "Cough"]),
            Utterance(6.5, 9.0, "ch0", "agent", text_prefix + "非常抱歉，我帮您查一下。",
                      emotion="neutral"),
        ])
    t.utterances = t.utterances[:n]
    return Transcript(**{**t.__dict__, "text": ""})  # text joined from the kept utterances


def _count(ws: Workspace, sql: str, params=None) -> int:
    return ws.db.execute(sql, params or []).fetchone()[0]


# -- creation and migrations -------------------------------------------------------------------

def test_new_workspace_creates_db_folders_and_schema(tmp_path):
    path = tmp_path / "nested" / "ws"
    with Workspace(path) as ws:
        assert ws.version() == len(MIGRATIONS)
        tables = {r[0] for r in ws.db.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert {"runs", "failures", "transcripts", "utterances", "schema_version"} <= tables
    assert (path / DB_NAME).is_file()
    for f in FOLDERS:
        assert (path / f).is_dir()


def test_reopening_does_not_migrate_again(tmp_path):
    with Workspace(tmp_path) as ws:
        ws.save_transcript(_call())
    for _ in range(2):
        with Workspace(tmp_path) as ws:
            rows = ws.db.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
            assert rows == [(n + 1,) for n in range(len(MIGRATIONS))]
            assert ws.has_transcript("c1")


def test_newer_workspace_is_refused_and_left_unlocked(tmp_path):
    with Workspace(tmp_path) as ws:
        ws.db.execute("INSERT INTO schema_version VALUES (?)", [len(MIGRATIONS) + 5])
    with pytest.raises(WorkspaceError, match="newer than this voc") as e:
        Workspace(tmp_path)
    assert str(tmp_path) in str(e.value)
    # while the refusal is still alive (the traceback keeps the object), the file is not locked
    con = duckdb.connect(str(tmp_path / DB_NAME))
    assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == len(MIGRATIONS) + 5
    con.close()
    r = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", f"import duckdb; duckdb.connect({str(tmp_path / DB_NAME)!r})"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_read_only_needs_an_existing_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="no workspace here"):
        Workspace(tmp_path / "nothing", read_only=True)
    with Workspace(tmp_path / "ws") as ws:
        ws.save_transcript(_call())
    with Workspace(tmp_path / "ws", read_only=True) as ro:
        assert ro.transcript("c1") == _call()


def test_cannot_create_workspace_under_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="cannot create workspace"):
        Workspace(tmp_path / "file" / "ws")


# -- transcripts -------------------------------------------------------------------------------

def test_transcript_round_trip(tmp_path):
    t = _call()
    text_contact = Transcript(id="t9", source="contacts.csv", channel="chat", duration_s=None,
                              meta={}, utterances=[Utterance(None, None, "customer", "customer", "能退年费吗")])
    with Workspace(tmp_path) as ws:
        ws.save_transcript(t)
        ws.save_transcript(text_contact)
    with Workspace(tmp_path) as ws:
        back = ws.transcript("c1")
        assert back == t
        assert back.to_json() == t.to_json()
        assert back.utterances[1].events == ["Laughter", "Cough"]
        assert back.utterances[1].features == {"speech_rate_cpm": 200.0, "rms_db": -12.25}
        assert ws.transcript("t9") == text_contact
        assert ws.transcript("missing") is None
        assert [x.id for x in ws.transcripts()] == ["c1", "t9"]


def test_saving_twice_stores_once(tmp_path):
    with Workspace(tmp_path) as ws:
        run = ws.start_run("test", {})
        ws.save_transcript(_call(), run)
        changed = _call(text_prefix="再次：", n=2)
        assert changed.text.startswith("再次：您好") and "抱歉" not in changed.text
        ws.save_transcript(changed, run)
        assert _count(ws, "SELECT count(*) FROM transcripts") == 1
        assert _count(ws, "SELECT count(*) FROM utterances") == 2
        assert _count(ws, "SELECT count(*) FROM utterances WHERE transcript_id = 'c1'") == 2
        assert ws.transcript("c1") == changed
        assert _count(ws, "SELECT n_utterances FROM transcripts WHERE id = 'c1'") == 2
        # the same record again: still one transcript and no duplicated utterances
        ws.save_transcript(changed, run)
        assert _count(ws, "SELECT count(*) FROM transcripts") == 1
        assert _count(ws, "SELECT count(*) FROM utterances") == 2


def test_failed_write_keeps_the_previous_record(tmp_path):
    old = _call()
    with Workspace(tmp_path) as ws:
        ws.save_transcript(old)
        ws.save_transcript(_call("other"))
        # the second utterance cannot be stored (a start time that is not a number): DuckDB
        # fails inside executemany, after the old rows were deleted and the first new row went in
        bad = _call(text_prefix="新：")
        bad.utterances[1].start = "two point four"
        with pytest.raises(duckdb.Error, match="(?i)convert"):
            ws.save_transcript(bad)
        assert ws.transcript("c1") == old
        assert _count(ws, "SELECT count(*) FROM utterances WHERE transcript_id = 'c1'") == 3
        assert _count(ws, "SELECT count(*) FROM transcripts") == 2
        # an event that DuckDB cannot represent fails the same way
        bad = _call(text_prefix="新：")
        bad.utterances[2].events = [object()]
        with pytest.raises(duckdb.Error):
            ws.save_transcript(bad)
        assert ws.transcript("c1") == old
        # the connection is usable afterwards and a good write still goes through
        ws.save_transcript(_call(text_prefix="好："))
        assert ws.transcript("c1").utterances[0].text.startswith("好：")
    with Workspace(tmp_path) as ws:  # and it was committed
        assert ws.transcript("c1").utterances[0].text.startswith("好：")
        assert ws.transcript("other") == _call("other")


# -- runs and failures -------------------------------------------------------------------------

def test_runs_and_failures_are_recorded(tmp_path):
    cfg = {"asr.engine": "whisper", "audio.channel_roles": ["agent", "customer"], "pii": "脱敏"}
    with Workspace(tmp_path) as ws:
        run = ws.start_run("transcribe", cfg, inputs=3)
        started = ws.runs()
        assert [r["status"] for r in started] == ["running"] and started[0]["ended_at"] is None
        ws.save_transcript(_call(), run)
        ws.record_failure(run, "calls/empty.wav", "empty file")
        ws.record_failure(run, "calls/坏.mp3", "not audio (ffmpeg: invalid data)")
        ws.finish_run(run, succeeded=1, failed=2, models=[{"name": "whisper-base", "revision": "1.0.0"}])
        run2 = ws.start_run("demo generate", {"calls": 2})
        ws.finish_run(run2, succeeded=2, failed=0)
    with Workspace(tmp_path) as ws:
        runs = {r["run_id"]: r for r in ws.runs()}
        r = runs[run]
        assert r["command"] == "transcribe" and r["inputs"] == 3
        assert (r["succeeded"], r["failed"], r["skipped"], r["status"]) == (1, 2, 0, "failed")
        assert r["user_name"] == getpass.getuser()
        assert r["host"] == socket.gethostname()
        assert r["voc_version"] == __version__
        assert json.loads(r["config"]) == cfg
        assert json.loads(r["models"]) == [{"name": "whisper-base", "revision": "1.0.0"}]
        assert r["started_at"] <= r["ended_at"] and r["started_at"].tzinfo is not None
        assert runs[run2]["status"] == "ok"
        fails = ws.failures(run)
        assert [(f["source"], f["reason"]) for f in fails] == [
            ("calls/empty.wav", "empty file"), ("calls/坏.mp3", "not audio (ffmpeg: invalid data)")]
        assert ws.failures(run2) == [] and len(ws.failures()) == 2
        assert _count(ws, "SELECT count(*) FROM transcripts WHERE run_id = ?", [run]) == 1


# -- one writer at a time ----------------------------------------------------------------------

def test_workspace_in_use_by_another_process(tmp_path):
    ws_path = tmp_path / "ws"
    Workspace(ws_path).close()
    holder = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", textwrap.dedent(f"""
            import sys, time
            from voc.store import Workspace
            ws = Workspace({str(ws_path)!r})
            print("ready", flush=True)
            sys.stdin.read()  # hold the workspace until the test closes our stdin
            ws.close()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = holder.stdout.readline()
        assert line.strip() == "ready", holder.stderr.read()
        with pytest.raises(WorkspaceError, match="in use") as e:
            Workspace(ws_path)
        assert str(ws_path) in str(e.value) and "\n" not in str(e.value)
    finally:
        holder.stdin.close()
        try:
            holder.wait(timeout=30)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.wait()
    assert holder.returncode == 0, holder.stderr.read()
    # once the other process is gone the workspace opens again
    with Workspace(ws_path) as ws:
        assert ws.version() == len(MIGRATIONS)


def test_a_night_stage_is_due_until_it_finishes_over_what_is_stored(tmp_path):
    from voc.schema import Transcript, Utterance
    from voc.store import Workspace

    t = Transcript(id="c1", source="a.wav", channel="call", duration_s=1.0, meta={},
                   utterances=[Utterance(0.0, 1.0, "ch0", "agent", "您好")], text="您好")
    with Workspace(tmp_path / "ws") as ws:
        assert ws.night_pending("report")               # never finished
        ws.save_transcripts([t], "r1")
        ws.mark_night("report", "r1")
        assert not ws.night_pending("report") and ws.night_pending("export")
        ws.mark_stage(["c1"], "inspect", "r2")           # a later stage's results: due again
        assert ws.night_pending("report")
        ws.mark_night("report", "r2")
        assert not ws.night_pending("report")
        ws.save_transcripts([t], "r3")                   # a contact stored again: due again
        assert ws.night_pending("report")
