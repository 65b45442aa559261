"""`voc run`: inputs, the incremental night, failures, the run record, the lock, stage hooks,
and workers that die. Real clips through the real Whisper base and the default analyzer."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time

import pytest
from run_helpers import PY, make_night, snapshot
from typer.testing import CliRunner

from voc.cli import app
from voc.errors import ConfigError, InputError

runner = CliRunner()
CALLS = []


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _run(*args):
    r = runner.invoke(app, ["run", *map(str, args)])
    return r, _events(r.stdout)


# -- inputs ------------------------------------------------------------------------------------

def test_discover_folders_globs_files_once_and_missing(tmp_path):
    from voc.run_inputs import discover

    calls = make_night(tmp_path / "night", 3)
    (tmp_path / "night" / "notes.txt").write_text("not a recording")
    found, bad = discover([str(tmp_path / "night"), str(tmp_path / "night" / "call_*.wav"),
                           str(calls[0]), str(tmp_path / "nope.wav")])
    assert [i.source for i in found] == [str(c) for c in calls]  # each path once, no notes.txt
    assert bad == [{"source": str(tmp_path / "nope.wav"), "reason": "no such file or folder"}]


def test_manifest_paths_and_metadata(tmp_path):
    from voc.run_inputs import discover, read_manifest

    calls = make_night(tmp_path / "audio", 2)
    csv_m = tmp_path / "night.csv"
    csv_m.write_text("path,agent_id,team,started_at\naudio/call_0000.wav,A0001,信用卡,2026-05-01 09:00\n"
                     f"{calls[1]},A0002,,2026-05-01 09:05\n,A0003,x,y\n", encoding="utf-8")
    found, bad = discover([str(csv_m)])
    assert [i.source for i in found] == [str(tmp_path / "audio" / "call_0000.wav"), str(calls[1])]
    assert found[0].meta == {"agent_id": "A0001", "team": "信用卡", "started_at": "2026-05-01 09:00"}
    assert found[1].meta == {"agent_id": "A0002", "started_at": "2026-05-01 09:05"}  # empty cell left out
    assert bad == [{"source": f"{csv_m}: row 4", "reason": "empty path"}]
    jl = tmp_path / "night.jsonl"
    jl.write_text(json.dumps({"file": "audio/call_0001.wav", "product": "分期"}, ensure_ascii=False) + "\n")
    [i], _ = read_manifest(jl)
    assert i.source == str(calls[1]) and i.meta == {"product": "分期"}
    nopath = tmp_path / "x.csv"
    nopath.write_text("agent,team\nA1,t\n")
    with pytest.raises(InputError, match="path column.*agent"):
        read_manifest(nopath)


def test_manifest_from_excel_and_a_bad_row_goes_on(tmp_path):
    import openpyxl

    from voc.run_inputs import read_manifest

    calls = make_night(tmp_path / "audio", 2)
    wb = openpyxl.Workbook()
    wb.active.append(["录音", "坐席"])
    wb.active.append(["audio/call_0000.wav", "A0001"])
    wb.active.append([str(calls[1]), None])
    wb.save(tmp_path / "night.xlsx")
    found, bad = read_manifest(tmp_path / "night.xlsx")
    assert [(i.source, i.meta) for i in found] == [(str(calls[0]), {"坐席": "A0001"}), (str(calls[1]), {})]
    assert bad == []
    jl = tmp_path / "night.jsonl"
    jl.write_text('{"path": "audio/call_0000.wav"}\n{"path": oops}\n{"path": "audio/call_0001.wav"}\n')
    found, bad = read_manifest(jl)
    assert [i.source for i in found] == [str(c) for c in calls]
    assert [b["source"] for b in bad] == [f"{jl}: row 2"] and "not valid JSON" in bad[0]["reason"]


def test_options_name_the_valid_choices():
    from voc.run import RunOptions

    with pytest.raises(ConfigError, match="local or ray"):
        RunOptions(engine="spark")
    with pytest.raises(ConfigError, match="inspect, topics, report or export"):
        RunOptions(stages=["inspect", "dashboards"])


# -- a night ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_night_incremental_failures_and_run_record(tmp_path):
    from voc.store import Workspace

    calls = make_night(tmp_path / "audio", 4, bad=1)
    shutil.copy(calls[0], tmp_path / "audio" / "same_as_call_0000.wav")
    manifest = tmp_path / "night.csv"
    rows = [f"{p.name},A{k:04d},{'贷记卡' if k % 2 else '借记卡'}" for k, p in enumerate(calls)]
    manifest.write_text("path,agent_id,product\n" + "\n".join(rows)
                        + "\nsame_as_call_0000.wav,A0009,x\n", encoding="utf-8")
    manifest.rename(tmp_path / "audio" / "night.csv")
    manifest = tmp_path / "audio" / "night.csv"
    ws = tmp_path / "ws"

    r, ev = _run(manifest, "-w", ws, "--workers", "2", "--json")
    assert r.exit_code == 1, r.output  # one input failed
    s = ev[-1]
    assert s["event"] == "summary" and (s["inputs"], s["succeeded"], s["failed"], s["duplicates"],
                                        s["skipped"]) == (6, 4, 1, 1, 0)
    # inspect and report (the dashboard, voc.report.run_stage) ran; no topic model configured
    assert s["stages_skipped"] == {"topics": "no topic model configured (topics.model)"}
    assert s["stages_run"] == {"inspect": 4, "report": 1}
    assert (ws / "reports" / "index.html").is_file()
    done = [e for e in ev if e["event"] == "input" and e["status"] == "done"]
    assert len(done) == 4 and all(e["seconds"] > 0 for e in done)
    [fail] = [e for e in ev if e["event"] == "input" and e["status"] == "failed"]
    assert fail["source"].endswith("broken_0.wav") and "not a readable audio file" in fail["reason"]

    with Workspace(ws) as w:
        ts = {t.source: t for t in w.transcripts()}
        assert len(ts) == 4 and len(w.analyses()) == 4
        t0 = ts[str(calls[0])]
        assert t0.meta["agent_id"] == "A0000" and t0.meta["product"] == "借记卡"
        assert "换一首歌" in t0.text
        [run] = w.runs()
        assert run["command"] == "run" and run["status"] == "failed" and run["ended_at"]
        assert (run["inputs"], run["succeeded"], run["failed"], run["skipped"]) == (6, 4, 1, 1)
        assert run["user_name"] and run["host"] and run["voc_version"]
        assert len(run["config_hash"]) == 64
        models = json.loads(run["models"])
        [asr] = models["asr"]["loaded"][0]["models"]
        assert asr["name"] == "whisper-base" and len(asr["sha256"]["model.bin"]) == 64
        assert models["analyze"]["sentiment"]
        cfg = json.loads(run["config"])
        assert cfg["workers"] == 2 and cfg["settings"]["asr.threads"] == 1  # 2 cores / 2 workers
        assert sorted(i["transcript_id"] for i in w.inspections()) == sorted(t.id for t in ts.values())
        [f] = w.failures()
        assert f["source"].endswith("broken_0.wav")
        statuses = sorted(x["status"] for x in w.run_inputs())
        assert statuses == ["done"] * 4 + ["duplicate", "failed"]

    # the same night again: nothing to do, and it says so; the failure is not hidden
    r = runner.invoke(app, ["run", str(manifest), "-w", str(ws)])
    assert r.exit_code == 1
    assert "nothing to do: all 6 inputs are already stored or failed before (1;" in r.stderr
    r, ev = _run(manifest, "-w", ws, "--retry-failed", "--json")
    assert (ev[-1]["succeeded"], ev[-1]["failed"], ev[-1]["skipped"]) == (0, 1, 4)

    # a new recording joins the night: only it is processed
    make_night(tmp_path / "more", 5)
    shutil.copy(tmp_path / "more" / "call_0004.wav", tmp_path / "audio" / "late.wav")
    r, ev = _run(tmp_path / "audio", "-w", ws, "--json")
    assert (ev[-1]["succeeded"], ev[-1]["skipped"], ev[-1]["failed_before"]) == (1, 4, 1)
    snap = snapshot(ws)
    assert snap["counts"]["transcripts"] == (5, 5) and snap["counts"]["analyses"] == (5, 5)
    with Workspace(ws) as w:
        assert [x["status"] for x in w.runs()] == ["failed"] * 4


@pytest.mark.slow
def test_force_reprocesses_without_duplicating(tmp_path):
    make_night(tmp_path / "a", 1)
    ws = tmp_path / "ws"
    r, _ = _run(tmp_path / "a", "-w", ws, "--json")
    assert r.exit_code == 0, r.output
    before = snapshot(ws)
    r, ev = _run(tmp_path / "a", "-w", ws, "--force", "--json")
    assert ev[-1]["succeeded"] == 1
    after = snapshot(ws)
    assert after["counts"] == before["counts"] == {"transcripts": (1, 1), "analyses": (1, 1),
                                                   "utterances": after["counts"]["utterances"]}
    assert after["transcripts"] == before["transcripts"]


# -- the lock ----------------------------------------------------------------------------------

HOLD = """
import sys, time
from voc.store import Workspace
ws = Workspace(sys.argv[1])
ws.hold_run_lock("20260501T010000Z-holder")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
ws.close()
"""


@pytest.mark.slow
def test_second_run_refuses_or_waits(tmp_path):
    make_night(tmp_path / "a", 1)
    ws = tmp_path / "ws"
    holder = subprocess.Popen([PY, "-c", HOLD, str(ws), "6"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        t0 = time.monotonic()
        r = runner.invoke(app, ["run", str(tmp_path / "a"), "-w", str(ws)])
        assert r.exit_code == 75  # EX_TEMPFAIL: a scheduler may try again later
        assert time.monotonic() - t0 < 10  # refused at once, not after a wait
        msg = r.stderr.strip()
        assert msg.count("\n") == 0 and "workspace is busy: voc run 20260501T010000Z-holder" in msg
        assert f"pid {holder.pid}" in msg and "--wait" in msg
        r, ev = _run(tmp_path / "a", "-w", ws, "--wait", "60", "--json")
        assert r.exit_code == 0, r.output
        assert ev[0]["event"] == "waiting" and ev[-1]["succeeded"] == 1
        assert time.monotonic() - t0 >= 5  # it waited for the holder to finish
    finally:
        holder.kill()
        holder.wait()


# -- later stages ------------------------------------------------------------------------------

def record_stage(batch, ws, run_id, settings):
    CALLS.append(sorted(t.id for t, _ in batch))
    assert all(a.id == t.id and a.sentiment is not None for t, a in batch)  # typed Analysis


def unconfigured_stage(batch, ws, run_id, settings):
    from voc.run import StageSkipped

    raise StageSkipped("no topic model configured (topics.model)")


@pytest.mark.slow
def test_stage_hooks_run_after_commit_and_resume(tmp_path, monkeypatch):
    from voc import run as vrun
    from voc.config import load_settings
    from voc.store import Workspace

    monkeypatch.setattr(vrun, "STAGES", [vrun.Stage("qa", "batch", lambda: record_stage),
                                         vrun.Stage("later", "batch", lambda: unconfigured_stage)])
    CALLS.clear()
    make_night(tmp_path / "a", 3)
    settings = load_settings({"workspace.path": str(tmp_path / "ws")})
    opts = vrun.RunOptions(workers=1, stages=["qa", "later"])
    events = []
    s = vrun.run_batch([str(tmp_path / "a")], settings, opts, on_event=events.append)
    assert s["succeeded"] == 3 and s["stages_run"] == {"qa": 3} and s["status"] == "ok"
    assert {e["stage"] for e in events if e["event"] == "stage"} == {"later"}
    assert s["stages_skipped"] == {"later": "no topic model configured (topics.model)"}
    assert s["stages_failed"] == {}
    assert sorted(x for c in CALLS for x in c) == sorted(snapshot(tmp_path / "ws")["transcripts"])

    # killed after the commit and before the stage mark: the next run redoes the stage only
    with Workspace(tmp_path / "ws") as w:
        gone = sorted(t.id for t in w.transcripts())[:2]
        w.db.execute("DELETE FROM stage_marks WHERE transcript_id IN (SELECT unnest(?))", [gone])
    CALLS.clear()
    s = vrun.run_batch([str(tmp_path / "a")], settings, opts)
    assert s["succeeded"] == 0 and s["skipped"] == 3 and CALLS == [gone]
    assert s["stages_run"] == {"qa": 2}


# -- workers that die ------------------------------------------------------------------------

@pytest.mark.slow
def test_dead_or_hung_worker_fails_its_input_and_is_replaced(tmp_path):
    import numpy as np
    from conftest import AUDIO, read_wav, write_wav

    from voc.config import load_settings
    from voc.engines import Work
    from voc.engines.local import LocalEngine

    x, sr = read_wav(AUDIO / "TEST_MEETING_T0000000001_S00000.wav")
    long = write_wav(tmp_path / "long.wav", np.tile(x, 8), sr)  # ~100 s: several seconds of ASR
    hung = write_wav(tmp_path / "hung.wav", np.tile(x, 40), sr)  # 8 min: stands for a hang
    short = make_night(tmp_path / "s", 1)[0]
    settings = load_settings({"asr.threads": 1})
    with LocalEngine(settings, workers=1, timeout=6.0) as eng:
        threading.Timer(1.0, eng.slots[0].proc.kill).start()  # the OOM killer, say
        works = [Work(str(long), "a"), Work(str(hung), "b"), Work(str(short), "c")]
        results = {r.sha256: r for r in eng.map(works)}
        assert eng.restarts == 2
    assert results["a"].error == "worker process died while processing this input (killed by signal 9)"
    assert results["b"].error == "timed out after 6 s (run.input_timeout_s)"
    assert results["c"].error is None and "换一首歌" in results["c"].transcript.text


def test_summary_line_of_a_restart_that_only_finished_the_night_stages():
    from voc.cli.run import summary_line

    s = {"nothing_to_do": False, "inputs": 2, "succeeded": 0, "failed": 0, "failed_before": 0,
         "stage_failed": 0, "stages_run": {"report": 1, "export": 1}, "stages_failed": {},
         "run_id": "R", "skipped": 2, "audio_seconds": 0.0, "seconds": 1.0}
    assert summary_line(s) == ("all 2 inputs were already stored; finished the stages an earlier "
                               "run left undone: report, export (run R)")
