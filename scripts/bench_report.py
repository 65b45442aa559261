"""Benchmark `voc report` on 5,000 generated contacts against the dashboard before the QA
workbench (issue 16), in the same run.

    .venv/bin/python scripts/bench_report.py [--n 5000] [--repeat 2] [--base REV] [--ws DIR]

The demo generator writes N contacts, `voc analyze` and `voc inspect` of the base revision store
them in a workspace (once; `--ws` reuses one, which must not be newer than the base's schema).
Then two kinds of fresh process run `voc report` on a fresh copy of it each time (a newer voc
migrates the copy it opens, never the base's), alternating, `--repeat` times (medians reported):
- base: the `voc` package of git revision `--base` (extracted with `git archive`, default the
  commit before the workbench), i.e. today's dashboard;
- new:  the `voc` package of this checkout.
Each process reports its wall time (start-up and imports included), peak RSS, the output size,
and (new) the size of the search page's inlined index.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BASE = "28aa871~1"   # the dashboard before issue 16

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
ws, out = sys.argv[1], sys.argv[2]
from voc.cli import app
try:
    app(["report", "--workspace", ws, "--out", out, "--json"], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps({"wall": time.perf_counter() - t0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), file=sys.stderr)
"""


def voc(pythonpath: Path, *args: str) -> None:
    subprocess.run([PY, "-m", "voc", *args], check=True, cwd=pythonpath, stdout=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": str(pythonpath)})


def build_workspace(ws: Path, n: int, pythonpath: Path) -> None:
    demo = ws.parent / "demo"
    voc(pythonpath, "demo", "generate", "--out", str(demo), "-n", str(n), "--workspace", str(ws))
    voc(pythonpath, "analyze", str(demo / "transcripts.jsonl"), "--workspace", str(ws))
    voc(pythonpath, "inspect", str(demo / "transcripts.jsonl"), "--workspace", str(ws))


def extract(rev: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    tar = dest / "base.tar"
    with open(tar, "wb") as f:
        subprocess.run(["git", "archive", rev, "voc"], cwd=ROOT, check=True, stdout=f)
    with tarfile.open(tar) as t:
        t.extractall(dest, filter="data")
    return dest


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def once(pythonpath: Path, ws: Path, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    r = subprocess.run([PY, "-c", CHILD, str(ws), str(out)], env=env, capture_output=True, text=True,
                       cwd=pythonpath)
    if r.returncode:
        raise SystemExit(f"voc report failed ({pythonpath}):\n{r.stderr[-2000:]}")
    stats = json.loads(r.stderr.strip().splitlines()[-1])
    if not r.stdout.strip():
        raise SystemExit(f"voc report printed no summary ({pythonpath}):\n{r.stderr[-2000:]}")
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    return {**stats, "out_mb": size(out) / 1e6, "contacts": summary["contacts"],
            "index_mb": (summary.get("search_index_bytes") or 0) / 1e6,
            "agent_pages": summary.get("agent_pages")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--base", default=BASE)
    ap.add_argument("--ws", type=Path, help="reuse this workspace (else one is built in a temp folder)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        tmp = Path(tmp)
        base = extract(a.base, tmp / "base")
        ws = a.ws
        if ws is None:
            ws = tmp / "ws"
            t = time.perf_counter()
            build_workspace(ws, a.n, base)
            print(f"workspace of {a.n} contacts built in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        runs: dict[str, list[dict]] = {"base": [], "new": []}
        for k in range(a.repeat):
            for kind, path in (("base", base), ("new", ROOT)):
                copy = tmp / f"ws-{kind}-{k}"
                shutil.copytree(ws, copy)
                r = once(path, copy, tmp / f"out-{kind}-{k}")
                shutil.rmtree(copy)
                runs[kind].append(r)
                print(f"{kind} #{k + 1}: {r['wall']:.1f} s, {r['rss_mb']:.0f} MB peak, "
                      f"{r['out_mb']:.0f} MB written", file=sys.stderr)
        med = {kind: {m: statistics.median(r[m] for r in rs) for m in ("wall", "rss_mb", "out_mb")}
               for kind, rs in runs.items()}
        new = runs["new"][-1]
        print(json.dumps({"contacts": new["contacts"], "base_rev": a.base, "repeat": a.repeat,
                          "base": med["base"], "new": med["new"],
                          "ratio": round(med["new"]["wall"] / med["base"]["wall"], 2),
                          "search_index_mb": round(new["index_mb"], 2), "agent_pages": new["agent_pages"]},
                         indent=2))


if __name__ == "__main__":
    main()
