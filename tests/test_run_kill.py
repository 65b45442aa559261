"""Dependability: a real `voc run` killed with SIGKILL at random points (seeded; once stopped
with SIGTERM instead) and started again until it finishes stores exactly what a clean run
stores: every input once, nothing lost, nothing duplicated, the bad input in the failure list
once, and no worker left behind."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from run_helpers import PY, make_night, snapshot

SEED = int(os.environ.get("VOC_TEST_KILL_SEED", "20260501"))  # other seeds: other kill points
N_CALLS = 12
# four SIGKILLs, and one SIGTERM (a scheduler's stop) among them
SIGNALS = [signal.SIGKILL, signal.SIGKILL, signal.SIGTERM, signal.SIGKILL, signal.SIGKILL]
KILLS = len(SIGNALS)


def _voc_run(night: Path, ws: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([PY, "-m", "voc", "run", str(night), "-w", str(ws), "--workers", "2",
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=env)


def _children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _gone(pids: list[int], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if Path(f"/proc/{p}").exists()
                 and "zombie" not in Path(f"/proc/{p}/status").read_text().lower()]
        if not alive:
            return True
        time.sleep(0.1)
    return False


def _kill_at(proc: subprocess.Popen, trigger: str | int, delay: float,
             sig: int = signal.SIGKILL) -> tuple[bool, list[dict]]:
    """Read events until `trigger` (an event name such as "start" or "workers", or a number of
    inputs stored by this run), wait `delay`, then send `sig`. Returns (stopped before it
    finished, every event the run printed)."""
    events = []

    def hit() -> bool:
        if isinstance(trigger, str):
            return events[-1]["event"] == trigger
        return sum(e["event"] == "input" and e["status"] == "done" for e in events) >= trigger

    for line in proc.stdout:
        events.append(json.loads(line))
        if hit():
            break
    time.sleep(delay)
    workers = _children(proc.pid)
    if proc.poll() is not None:
        events += [json.loads(x) for x in proc.stdout]
        return False, events
    proc.send_signal(sig)
    proc.wait(timeout=120)
    events += [json.loads(x) for x in proc.stdout]  # what it said before it died
    assert _gone(workers), "worker processes outlived the killed run"
    if sig == signal.SIGTERM:  # a scheduler's stop: committed what was finished, said so
        assert proc.returncode in (130, -signal.SIGTERM), proc.returncode
    return True, events


@pytest.mark.slow
def test_killed_and_restarted_night_equals_a_clean_one(tmp_path):
    # small commits, so kills land between them; QA inspection as the later stage (its
    # writes are checked too); the dashboard is left out (a page, not stored records)
    env = dict(os.environ, VOC_RUN_COMMIT_EVERY="2", VOC_RUN_STAGES="inspect")
    night = tmp_path / "night"
    make_night(night, N_CALLS, bad=1)

    clean = subprocess.run([PY, "-m", "voc", "run", str(night), "-w", str(tmp_path / "clean"),
                            "--workers", "2", "--json"], capture_output=True, text=True, env=env,
                           timeout=300)
    assert clean.returncode == 1, clean.stderr  # the broken file
    s = json.loads(clean.stdout.splitlines()[-1])
    assert (s["succeeded"], s["failed"]) == (N_CALLS, 1)
    want = snapshot(tmp_path / "clean")

    rng = random.Random(SEED)
    ws = tmp_path / "killed"
    kills = attempts = stored = 0
    plan = []
    while True:
        attempts += 1
        assert attempts <= KILLS + 4, f"the night never finished: {plan}"
        proc = _voc_run(night, ws, env)
        if kills < KILLS and N_CALLS - stored > 1:
            # a kill point driven by the run's own progress, so it lands however fast the
            # machine is: while planning, while the workers load their models, or after k more
            # inputs are stored (k < what is left), each plus a random delay
            trigger = rng.choice(["start", "workers"] + list(range(1, min(4, N_CALLS - stored))))
            delay = rng.uniform(0.0, 1.5 if isinstance(trigger, str) else 0.5)
            killed, seen = _kill_at(proc, trigger, delay, SIGNALS[kills])
            stored += sum(e["event"] == "input" and e["status"] == "done" for e in seen)
            plan.append((trigger, round(delay, 2), killed))
            if killed:
                kills += 1
                continue
        else:
            out, _ = proc.communicate(timeout=300)
            seen = [json.loads(x) for x in out.splitlines()]
        summary = seen[-1]
        assert summary["event"] == "summary" and proc.returncode == 1, seen[-3:]
        break
    # every kill point lands before the night is done (or the night finished early, and the
    # test says so with its plan)
    assert kills == KILLS, plan

    got = snapshot(ws)
    assert got["counts"]["transcripts"] == (N_CALLS, N_CALLS)  # no duplicate rows anywhere
    assert got["counts"]["analyses"] == (N_CALLS, N_CALLS)
    assert got["counts"]["utterances"][0] == got["counts"]["utterances"][1]
    assert got["transcripts"] == want["transcripts"]  # ids, sources, texts, meta
    assert got["utterances"] == want["utterances"]
    assert got["analyses"] == want["analyses"]
    assert len(got["inspections"]) == N_CALLS and got["inspections"] == want["inspections"]
    assert got["findings"] == want["findings"]

    import duckdb

    con = duckdb.connect(str(ws / "voc.duckdb"), read_only=True)
    try:
        statuses = con.execute("SELECT status, count(*) FROM runs GROUP BY 1 ORDER BY 1").fetchall()
        failures = con.execute("SELECT source FROM failures").fetchall()
        marks = con.execute("SELECT count(*), count(DISTINCT transcript_id) FROM stage_marks "
                            "WHERE stage = 'inspect'").fetchone()
        done = con.execute("SELECT sha256, count(*) FROM run_inputs WHERE status = 'done' "
                           "GROUP BY 1 HAVING count(*) > 1").fetchall()
    finally:
        con.close()
    # every killed run is marked interrupted by the next one, none is left "running"; the last
    # finished ("failed": the broken file), which is in the failure list once; no input was
    # committed twice
    statuses = dict(statuses)  # (a run killed while exiting has already recorded its end)
    assert set(statuses) <= {"failed", "interrupted"} and statuses["failed"] >= 1, statuses
    assert [Path(f[0]).name for f in failures] == ["broken_0.wav"]
    assert done == []
    assert marks == (N_CALLS, N_CALLS)

    # and the finished night, run again, does nothing and says so
    again = subprocess.run([PY, "-m", "voc", "run", str(night), "-w", str(ws)], capture_output=True,
                           text=True, env=env, timeout=120)
    assert again.returncode == 1 and "nothing to do" in again.stderr
    assert snapshot(ws) == got


def _dashboard(reports: Path, ws: Path) -> dict[str, str]:
    """The dashboard's pages, without what differs between two workspaces and two runs (time
    stamps, the workspace path, run ids and the run log)."""
    import re

    out = {}
    for p in sorted(reports.rglob("*")):
        if p.is_file() and p.name not in ("runs.html", "manifest.json"):
            text = p.read_text(encoding="utf-8").replace(str(ws), "WS")
            text = re.sub(r"\d{8}T\d{6}Z-[0-9a-f]{8}", "RUN", text)
            out[p.relative_to(reports).as_posix()] = re.sub(
                r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?( ?[+-]\d\d:?\d\d)?", "TIME", text)
    return out


@pytest.mark.slow
def test_killed_at_the_very_end_the_restart_renders_the_same_dashboard(tmp_path):
    # killed as the dashboard is being written, after every input is stored: the restart has
    # no input to do but the night's report and export are still due, and it finishes them
    env = dict(os.environ, VOC_RUN_STAGES="inspect,report,export")
    night = tmp_path / "night"
    make_night(night, 2)
    clean = subprocess.run([PY, "-m", "voc", "run", str(night), "-w", str(tmp_path / "clean"),
                            "--workers", "1", "--json"], capture_output=True, text=True, env=env,
                           timeout=300)
    assert clean.returncode == 0, clean.stderr
    ws = tmp_path / "killed"
    proc = subprocess.Popen([PY, "-m", "voc", "run", str(night), "-w", str(ws), "--workers", "1",
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=env)
    delay = random.Random(SEED).uniform(0.0, 0.5)
    killed, seen = _kill_at(proc, "stage", delay)  # the first stage event: the report started
    assert killed and seen[-1] == {"event": "stage", "stage": "report", "status": "started"}, seen[-2:]
    assert sum(e["event"] == "input" and e["status"] == "done" for e in seen) == 2
    assert list((ws / "reports").iterdir()) == []   # no half dashboard

    again = subprocess.run([PY, "-m", "voc", "run", str(night), "-w", str(ws), "--json"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    s = json.loads(again.stdout.splitlines()[-1])
    assert (s["succeeded"], s["skipped"], s["nothing_to_do"]) == (0, 2, False)
    assert s["stages_run"] == {"report": 1, "export": 1}
    assert s["stages"] == {"inspect": {"status": "nothing new"}, "report": {"status": "done"},
                           "export": {"status": "done"}}
    want = _dashboard(tmp_path / "clean" / "reports", tmp_path / "clean")
    assert len([p for p in want if p.startswith("calls/")]) == 2
    assert _dashboard(ws / "reports", ws) == want
    assert sorted(p.name for p in (ws / "exports").iterdir()) == \
        sorted(p.name for p in (tmp_path / "clean" / "exports").iterdir())
    assert sorted(p.name for p in ws.iterdir() if p.name.startswith(".")) == []  # no leftovers

    import duckdb

    con = duckdb.connect(str(ws / "voc.duckdb"), read_only=True)
    try:
        runs = con.execute("SELECT status, stages FROM runs ORDER BY started_at").fetchall()
    finally:
        con.close()
    assert [r[0] for r in runs] == ["interrupted", "ok"]
    assert json.loads(runs[1][1]) == s["stages"]      # the run record says which stages ran

    # and a third run has nothing left to do
    third = subprocess.run([PY, "-m", "voc", "run", str(night), "-w", str(ws), "--json"],
                           capture_output=True, text=True, env=env, timeout=300)
    s3 = json.loads(third.stdout.splitlines()[-1])
    assert s3["nothing_to_do"] and s3["stages"]["report"] == {"status": "not needed"}
