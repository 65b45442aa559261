#!/usr/bin/env python
"""Nightly-batch benchmark: `voc run` with 1 and 2 local workers and through Ray, against a bare
faster-whisper loop over the same files, in the same invocation.

The night: the real clips of ../shared/data/audio repeated to `--files` recordings, each with
its own bytes (gain lowered by 0.05 % steps), so every file has its own sha256 and is processed.
Every side runs as a fresh process into a fresh workspace (start-up and model loading included),
with the default stages (transcribe, analyze, inspect, topics when configured, report). The bare
side is the loop of scripts/bench_asr.py: one WhisperModel (same weights, int8, all cores),
`model.transcribe(path, language="zh", beam_size=5)`, OpenCC t2s. Peak memory is each worker
process's VmHWM (sampled every 0.2 s from /proc); CPU time is the process tree's (local only).

    .venv/bin/python scripts/bench_run.py [--files 200] [--repeat 1] [--skip-ray] [--calls 6]
                                          [--only-calls] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import AUDIO, read_wav, references, write_wav  # noqa: E402

PY = sys.executable
BARE = r'''
import json, os, sys, time
t0 = time.monotonic()
import opencc
from faster_whisper import WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8",
                     cpu_threads=len(os.sched_getaffinity(0)))
cc = opencc.OpenCC("t2s")
files = open(sys.argv[2]).read().split()
t1 = time.monotonic()
n = 0
for path in files:
    segments, _ = model.transcribe(path, language="zh", beam_size=5)
    n += len(cc.convert("".join(s.text for s in segments))) > 0
print(json.dumps({"loaded_s": t1 - t0, "loop_s": time.monotonic() - t1, "with_text": n}))
'''


def make_night(folder: Path, n: int) -> float:
    """n recordings from the clips with distinct bytes; returns the seconds of audio."""
    clips = sorted(references())
    folder.mkdir(parents=True, exist_ok=True)
    total = 0.0
    for k in range(n):
        x, sr = read_wav(AUDIO / clips[k % len(clips)])
        write_wav(folder / f"call_{k:05d}.wav", x * (1 - 0.0005 * (k // len(clips) + 1)), sr)
        total += x.shape[1] / sr
    return total


def make_calls(folder: Path, n: int, turns: int = 24) -> float:
    """n two-channel calls of about 2.5 minutes (agent and customer taking turns, the clips
    in a random order, seeded, different for each call); returns the seconds of audio."""
    import random

    from conftest import make_call

    clips = sorted(references())
    folder.mkdir(parents=True, exist_ok=True)
    total = 0.0
    for k in range(n):
        rng = random.Random(k)
        order = [rng.choice(clips) for _ in range(turns)]
        p = make_call(folder / f"call_{k:03d}.wav", [(t % 2, c) for t, c in enumerate(order)])
        x, sr = read_wav(p)
        total += x.shape[1] / sr
    return total


class Sampler:
    """Peak VmHWM (MB) of a process tree's workers, or of Ray actor processes."""

    def __init__(self, root: int, ray: bool = False):
        self.root, self.ray = root, ray
        self.peak: dict[int, float] = {}
        self.driver = 0.0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    def _loop(self):
        while not self._stop.is_set():
            self.driver = max(self.driver, _hwm(self.root))
            for pid in (_ray_actors() if self.ray else _descendants(self.root)):
                # workers only: not the resource tracker, nor a worker's child between fork and
                # exec of ffmpeg (it briefly shows its parent's command line)
                cmd, parent = _cmdline(pid), _cmdline(_ppid(pid))
                if (parent.startswith("ray::") if self.ray else
                        ("spawn_main" not in cmd or _ppid(pid) != self.root)):
                    continue
                self.peak[pid] = max(self.peak.get(pid, 0.0), _hwm(pid))
            self._stop.wait(0.2)

    def stop(self) -> dict:
        self._stop.set()
        self._t.join()
        w = sorted(v for v in self.peak.values() if v > 0)
        return {"driver_peak_mb": round(self.driver), "worker_peak_mb": [round(v) for v in w]}


def _hwm(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _ppid(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("PPid:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            kids = [int(x) for x in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def _ray_actors() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
            and _cmdline(int(p.name)).startswith("ray::_StageActor")]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_voc(night: Path, ws: Path, *args: str) -> dict:
    cmd = [PY, "-m", "voc", "run", str(night), "-w", str(ws), "--json", *args]
    cpu0, t0 = _cpu(), time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    sampler = Sampler(proc.pid, ray="ray" in args)
    marks = {}
    summary = {}
    for line in proc.stdout:
        e = json.loads(line)
        marks.setdefault(e["event"], time.monotonic() - t0)
        if e["event"] == "input" and e.get("status") == "done":
            marks["last_input"] = time.monotonic() - t0
        if e["event"] == "summary":
            summary = e
    proc.wait()
    wall = time.monotonic() - t0
    mem = sampler.stop()
    return {"wall_s": round(wall, 1), "cpu_s": round(_cpu() - cpu0, 1),
            "startup_s": round(marks.get("workers", 0), 1),
            "processing_s": round(marks.get("last_input", wall) - marks.get("workers", 0), 1),
            "succeeded": summary.get("succeeded"), "failed": summary.get("failed"),
            "stages_run": summary.get("stages_run"), "exit_code": proc.returncode, **mem}


def run_bare(night: Path) -> dict:
    from voc.config import load_settings, models_dir

    model = models_dir(load_settings()) / "whisper-base"
    files = night / "files.txt"
    files.write_text("\n".join(str(p) for p in sorted(night.glob("*.wav"))))
    cpu0, t0 = _cpu(), time.monotonic()
    r = subprocess.run([PY, "-c", BARE, str(model), str(files)], capture_output=True, text=True,
                       check=True)
    out = json.loads(r.stdout)
    return {"wall_s": round(time.monotonic() - t0, 1), "cpu_s": round(_cpu() - cpu0, 1),
            "startup_s": round(out["loaded_s"], 1), "processing_s": round(out["loop_s"], 1),
            "with_text": out["with_text"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=1, help="alternating rounds; medians reported")
    ap.add_argument("--skip-ray", action="store_true")
    ap.add_argument("--calls", type=int, default=0,
                    help="also N two-channel calls of ~2.5 min through 2 workers (per-core rate)")
    ap.add_argument("--only-calls", action="store_true", help="skip the night of clips")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    res = {"cores": len(os.sched_getaffinity(0)), "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="voc-bench-run-") as tmp:
        tmp = Path(tmp)
        if not a.only_calls:
            night_sides(res, tmp, a)
        if a.calls:  # throughput on call-like audio: what a node does per core
            calls = tmp / "calls"
            res["calls"] = {"files": a.calls, "audio_s": round(make_calls(calls, a.calls), 1)}
            res["calls"] |= run_voc(calls, tmp / "ws_calls", "--workers", "2")
            c = res["calls"]
            c["audio_s_per_cpu_s"] = round(c["audio_s"] / c["cpu_s"], 2)
            c["audio_s_per_wall_s"] = round(c["audio_s"] / c["wall_s"], 2)
    res["load_after"] = os.getloadavg()[0]
    print(json.dumps(res, indent=2))
    if not a.only_calls:
        print(table(res))
    if a.out:
        a.out.write_text(json.dumps(res, indent=2) + "\n")


def night_sides(res: dict, tmp: Path, a) -> None:
    night = tmp / "night"
    res |= {"files": a.files, "audio_s": round(make_night(night, a.files), 1)}
    sides = {"bare": lambda k: run_bare(night),
             "local_1": lambda k: run_voc(night, tmp / f"ws1_{k}", "--workers", "1"),
             "local_2": lambda k: run_voc(night, tmp / f"ws2_{k}", "--workers", "2")}
    if not a.skip_ray:
        sides["ray_2"] = lambda k: run_voc(night, tmp / f"ws3_{k}", "--engine", "ray",
                                           "--workers", "2")
    runs: dict[str, list] = {k: [] for k in sides}
    for k in range(a.repeat):  # alternating, so a busy spell on the machine hits all sides
        for name, fn in sides.items():
            runs[name].append(fn(k))
            print(name, k, runs[name][-1]["wall_s"], file=sys.stderr)
    for name, xs in runs.items():  # the median run by wall time
        res[name] = sorted(xs, key=lambda x: x["wall_s"])[len(xs) // 2] | {
            "wall_s_all": [x["wall_s"] for x in xs]}
    l1, l2, bare = res["local_1"], res["local_2"], res["bare"]
    res["speedup_2_vs_1"] = round(l1["wall_s"] / l2["wall_s"], 2)
    res["speedup_2_vs_1_processing"] = round(l1["processing_s"] / l2["processing_s"], 2)
    res["overhead_1_vs_bare"] = round(l1["wall_s"] / bare["wall_s"] - 1, 3)
    res["overhead_1_vs_bare_cpu"] = round(l1["cpu_s"] / bare["cpu_s"] - 1, 3)


def table(r: dict) -> str:
    rows = ["| side | wall s | start-up s | processing s | files/min | audio s per s | CPU s | worker peak MB |",
            "|---|---|---|---|---|---|---|---|"]
    for k, label in (("bare", "bare faster-whisper loop"), ("local_1", "voc run, 1 worker"),
                     ("local_2", "voc run, 2 workers"), ("ray_2", "voc run --engine ray, 2 actors")):
        if k not in r:
            continue
        x = r[k]
        mem = ", ".join(map(str, x.get("worker_peak_mb", []))) or "-"
        rows.append(f"| {label} | {x['wall_s']} | {x['startup_s']} | {x['processing_s']} | "
                    f"{r['files'] / x['wall_s'] * 60:.0f} | {r['audio_s'] / x['wall_s']:.2f} | "
                    f"{x['cpu_s'] if k != 'ray_2' else '-'} | {mem} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
