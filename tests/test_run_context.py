"""The run context of the store (`with ws.run(...) as run`): every run ends ok, failed or
interrupted, whatever ends it (an exception, Ctrl-C, a real SIGTERM to a real `voc` process);
runs left `running` by a dead process are marked by the next command that writes; stages of
`voc run` that cannot be imported fail the night; settings are checked before anything starts.
Real DuckDB files and real processes throughout."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time

import pytest
from run_helpers import PY, make_night
from typer.testing import CliRunner

from voc.cli import app
from voc.store import Terminated, Workspace

runner = CliRunner()


def _runs(path) -> list[dict]:
    with Workspace(path, read_only=True) as ws:
        return ws.runs()


def _texts_csv(path, n: int):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        for i in range(n):
            w.writerow([f"t{i:06d}", f"第{i}位客户：信用卡年费怎么又扣了，我要投诉到银保监会，电话138{i:08d}"])
    return path


# -- the context in the library ----------------------------------------------------------------

def test_run_ends_ok_or_failed_with_counts_and_failures(tmp_path):
    with Workspace(tmp_path) as ws:
        with ws.run("analyze", {"x": 1}, inputs=3) as run:
            assert [r["status"] for r in ws.runs()] == ["running"]
            run.ok(2)
            run.models = {"sentiment": "m"}
        with ws.run("analyze", {"x": 1}) as bad:
            run_ok = run.id
            bad.ok()
            bad.fail("a.csv: row 3", "no text")
    runs = {r["run_id"]: r for r in _runs(tmp_path)}
    assert (runs[run_ok]["status"], runs[run_ok]["succeeded"], runs[run_ok]["inputs"]) == ("ok", 2, 3)
    assert json.loads(runs[run_ok]["models"]) == {"sentiment": "m"} and runs[run_ok]["error"] is None
    r = runs[bad.id]
    assert (r["status"], r["succeeded"], r["failed"], r["error"]) == ("failed", 1, 1, None)
    with Workspace(tmp_path, read_only=True) as ws:
        assert [(f["source"], f["reason"]) for f in ws.failures(bad.id)] == [("a.csv: row 3", "no text")]


@pytest.mark.parametrize("exc, status, error", [
    (ValueError("boom"), "failed", "ValueError: boom"),
    (KeyboardInterrupt(), "interrupted", "interrupted (KeyboardInterrupt)"),
])
def test_run_that_raises_is_ended_and_the_error_goes_on(tmp_path, exc, status, error):
    with Workspace(tmp_path) as ws:
        with pytest.raises(type(exc)):
            with ws.run("topics", {}) as run:
                run.ok()
                raise exc
        [r] = ws.runs()
    assert (r["run_id"], r["status"], r["error"], r["succeeded"]) == (run.id, status, error, 1)
    assert r["ended_at"] is not None


def test_sigterm_during_a_run_interrupts_it_and_the_handler_is_restored(tmp_path):
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda s, f: seen.append(s))
    try:
        with Workspace(tmp_path) as ws:
            with pytest.raises(Terminated):
                with ws.run("transcribe", {}):
                    os.kill(os.getpid(), signal.SIGTERM)
                    time.sleep(5)  # the signal arrives here
            assert [(r["status"], r["error"]) for r in ws.runs()] == [
                ("interrupted", "stopped by signal SIGTERM")]
        os.kill(os.getpid(), signal.SIGTERM)  # after the run: the handler that was there before
        time.sleep(0.1)
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_transaction_rolls_back_on_interrupt_and_the_connection_goes_on(tmp_path):
    from voc.schema import Transcript, Utterance

    t = Transcript(id="c1", source="c1.wav", channel="call", duration_s=1.0, meta={},
                   utterances=[Utterance(0.0, 1.0, "ch0", "agent", "您好")])
    with Workspace(tmp_path) as ws:
        with pytest.raises(KeyboardInterrupt):
            with ws.transaction():
                ws.save_transcript(t)            # joins the outer transaction
                assert ws.has_transcript("c1")
                raise KeyboardInterrupt
        assert not ws.has_transcript("c1")
        ws.save_transcript(t)
        assert ws.has_transcript("c1")


# -- stale runs --------------------------------------------------------------------------------

DIE = """
import os, sys
from voc.store import Workspace
ws = Workspace(sys.argv[1])
print(ws.start_run("transcribe", {}), flush=True)
os._exit(9)   # killed: the run is never ended
"""


def _raw_runs(path) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(path / "voc.duckdb"), read_only=True)
    try:
        return con.execute("SELECT run_id, status FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()


def test_a_dead_process_run_is_marked_by_the_next_writing_command(tmp_path):
    ws_path = tmp_path / "ws"
    dead = subprocess.run([PY, "-c", DIE, str(ws_path)], capture_output=True, text=True, timeout=60)
    dead_id = dead.stdout.strip()
    assert dead.returncode == 9 and dead_id
    assert _raw_runs(ws_path) == [(dead_id, "running")]  # the bare file, not through voc
    r = runner.invoke(app, ["analyze", str(_texts_csv(tmp_path / "t.csv", 3)), "--text-col", "text",
                            "--id-col", "id", "-w", str(ws_path)])
    assert r.exit_code == 0, r.output
    runs = _runs(ws_path)
    assert [(x["command"], x["status"]) for x in runs] == [("transcribe", "interrupted"), ("analyze", "ok")]
    assert "without closing the run" in runs[0]["error"]


def test_a_dead_process_run_is_marked_by_a_reading_command_too(tmp_path):
    """`voc review list` opens the workspace read-only: it marks the dead run all the same."""
    ws_path = tmp_path / "ws"
    dead = subprocess.run([PY, "-c", DIE, str(ws_path)], capture_output=True, text=True, timeout=60)
    dead_id = dead.stdout.strip()
    assert _raw_runs(ws_path) == [(dead_id, "running")]
    r = runner.invoke(app, ["review", "list", "-w", str(ws_path)])
    assert r.exit_code == 0, r.output
    assert _raw_runs(ws_path) == [(dead_id, "interrupted")]
    with Workspace(ws_path, read_only=True) as ws:  # and a reader that found nothing to mark
        assert ws.interrupted == [] and ws.runs()[0]["status"] == "interrupted"


def test_a_run_of_this_process_is_not_stale(tmp_path):
    with Workspace(tmp_path) as first:
        with first.run("analyze", {}) as run:
            with Workspace(tmp_path) as second:     # the same process opens it again
                assert second.interrupted == []
            assert [r["status"] for r in first.runs()] == ["running"]
    assert [(r["run_id"], r["status"]) for r in _runs(tmp_path)] == [(run.id, "ok")]


# -- real commands -----------------------------------------------------------------------------

@pytest.mark.slow
def test_sigterm_to_a_real_voc_analyze_leaves_its_run_interrupted(tmp_path):
    src = _texts_csv(tmp_path / "many.csv", 60000)
    out, ws_path = tmp_path / "analysis.jsonl", tmp_path / "ws"
    proc = subprocess.Popen([PY, "-m", "voc", "analyze", str(src), "--text-col", "text", "--id-col", "id",
                             "--out", str(out), "-w", str(ws_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        partial = out.with_name(out.name + ".partial")
        while not partial.exists():  # the run is open and the batch is under way
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "voc analyze never started its batch"
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    [r] = _runs(ws_path)
    assert (r["command"], r["status"], r["error"]) == ("analyze", "interrupted", "stopped by signal SIGTERM")
    assert r["succeeded"] < 60000 and r["ended_at"] is not None
    # what was finished is kept: the JSONL holds whole records, the same ones as the workspace
    lines = out.read_text(encoding="utf-8").splitlines()
    assert all(json.loads(x)["id"].startswith("t") for x in lines)
    with Workspace(ws_path, read_only=True) as ws:
        assert len(ws.analyses()) == r["succeeded"] == len(lines)


def test_a_failing_voc_topics_leaves_its_run_failed(tmp_path):
    import topics_helpers as H

    src = tmp_path / "c.csv"
    with open(src, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["内容"])
        w.writerows([t] for t in H.celine(60)[0])
    ws_path = tmp_path / "ws"
    r = runner.invoke(app, ["topics", str(src), "--out", str(tmp_path / "o"), "--text-col", "内容",
                            "--embedding", str(tmp_path / "no-such-model"), "-w", str(ws_path)])
    assert r.exit_code == 1 and r.stderr.startswith("voc: error: ") and r.stderr.count("\n") == 1, r.output
    [run] = _runs(ws_path)
    assert run["command"] == "topics" and run["status"] == "failed" and run["ended_at"] is not None
    assert run["error"] and run["error"] in r.stderr


# -- voc run: stages and settings --------------------------------------------------------------

BROKEN_RAPIDFUZZ = 'raise ImportError("rapidfuzz is broken in this install")\n'


@pytest.mark.slow
def test_a_stage_that_cannot_import_fails_the_night(tmp_path):
    """The QA engine cannot import (rapidfuzz broken). Risk analysis uses the QA red lines
    (qa_rule signals), so the workers cannot start either: the night fails at once with the
    reason, stores nothing half-done, and the mended night does everything."""
    night = make_night(tmp_path / "night", 1)[0].parent
    broken = tmp_path / "broken"
    (broken / "rapidfuzz").mkdir(parents=True)
    (broken / "rapidfuzz" / "__init__.py").write_text(BROKEN_RAPIDFUZZ)  # voc.inspect needs it
    env = dict(os.environ, VOC_RUN_STAGES="inspect", PYTHONPATH=str(broken))
    ws_path = tmp_path / "ws"
    r = subprocess.run([PY, "-m", "voc", "run", str(night), "-w", str(ws_path), "--workers", "1",
                        "--json"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 1, r.stderr
    assert "rapidfuzz is broken" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    events = [json.loads(x) for x in r.stdout.splitlines()]
    assert any(e["event"] == "stage" and e["status"] == "failed" for e in events)
    [run] = _runs(ws_path)
    assert run["status"] == "failed"
    with Workspace(ws_path, read_only=True) as ws:
        assert ws.transcripts() == []
    # mended, the next night does the stage for the contact stored before
    env.pop("PYTHONPATH")
    r = subprocess.run([PY, "-m", "voc", "run", str(night), "-w", str(ws_path), "--json"],
                       capture_output=True, text=True, env=env, timeout=300)
    s = json.loads(r.stdout.splitlines()[-1])
    assert s["stages_run"] == {"inspect": 1} and s["stages_failed"] == {} and r.returncode == 0, r.stderr
    assert s["succeeded"] == 1


@pytest.mark.parametrize("env, words", [
    ({"VOC_ASR_BEAM_SIZE": "0"}, ["asr.beam_size is 0", "1 or more"]),
    ({"VOC_ASR_COMPUTE_TYPE": "int9"}, ["asr.compute_type is 'int9'", "int8, int8_float32"]),
    ({"VOC_INSPECT_AGENT_PATTERN": "(?P<agent>A\\d+"}, ["inspect.agent_pattern", "not a valid regex"]),
    ({"VOC_INSPECT_AGENT_PATTERN": "(?P<who>A\\d+)"}, ["inspect.agent_pattern", "agent or team"]),
])
def test_voc_run_checks_settings_before_it_starts(tmp_path, env, words):
    night = make_night(tmp_path / "night", 1)[0].parent
    r = runner.invoke(app, ["run", str(night), "-w", str(tmp_path / "ws")], env=env)
    assert r.exit_code == 1
    assert r.stderr.startswith("voc: error: ") and r.stderr.count("\n") == 1, r.stderr
    assert all(w in r.stderr for w in words), r.stderr
    assert not (tmp_path / "ws").exists()  # refused before the workspace was even opened


def test_beam_size_is_named_by_voc_transcribe(tmp_path):
    night = make_night(tmp_path / "night", 1)
    r = runner.invoke(app, ["transcribe", str(night[0]), "--no-store"], env={"VOC_ASR_BEAM_SIZE": "0"})
    assert r.exit_code == 1
    assert r.stderr.startswith("voc: error: asr.beam_size is 0;") and r.stderr.count("\n") == 1, r.stderr


def test_agent_pattern_named_groups_are_checked_by_voc_inspect(tmp_path):
    from voc.schema import Transcript, Utterance, write_transcripts

    p = tmp_path / "t.jsonl"
    write_transcripts(p, [Transcript(id="c1", source="A0001_c1.wav", channel="call", duration_s=2.0,
                                     meta={}, utterances=[Utterance(0.0, 2.0, "ch0", "agent", "您好")])])
    r = runner.invoke(app, ["inspect", str(p), "--no-store", "--agent-pattern", "(?P<team>T\\d)_(A\\d+)"])
    assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert "inspect.agent_pattern" in r.stderr and "no agent group" in r.stderr, r.stderr
    assert r.stdout == ""
