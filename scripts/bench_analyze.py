#!/usr/bin/env python
"""Throughput of `voc analyze` (sentiment + risk + PII) on short texts, next to snownlp.

10,000 real short reviews from ../shared/data/text/waimai_10k.csv (never used for training)
go through `voc analyze` as a fresh process, start-up and model loading included, once writing
only analysis.jsonl and once also storing into a new workspace. snownlp's sentiment runs on a
sample in the same run (it manages ~50 texts/s). Prints JSON; --out writes it too.

    .venv/bin/python scripts/bench_analyze.py [--n 10000] [--snownlp-sample 500]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from shared_data import TEXT  # noqa: E402 - ../shared/data, found as the tests find it

DATA = TEXT


def texts(n: int, seed: int = 0) -> list[str]:
    with open(DATA / "waimai_10k.csv", encoding="utf-8") as f:
        rows = [r["review"] for r in csv.DictReader(f) if r["review"].strip()]
    random.Random(seed).shuffle(rows)
    return (rows * (n // len(rows) + 1))[:n]


def run(args: list[str]) -> float:
    t = time.perf_counter()
    r = subprocess.run([str(ROOT / ".venv/bin/voc"), *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"voc failed: {r.stderr.strip()}")
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--snownlp-sample", type=int, default=500)
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()
    xs = texts(a.n)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "texts.csv"
        with open(src, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "text"])
            w.writerows((f"t{i}", x) for i, x in enumerate(xs))
        # warm the default sentiment model cache so both runs measure analysis, not training
        run(["analyze", str(src), "--text-col", "text", "--id-col", "id", "--no-store",
             "--out", str(Path(tmp) / "warm.jsonl")])
        jsonl = run(["analyze", str(src), "--text-col", "text", "--id-col", "id", "--no-store",
                     "--out", str(Path(tmp) / "a.jsonl")])
        stored = run(["analyze", str(src), "--text-col", "text", "--id-col", "id",
                      "--workspace", str(Path(tmp) / "ws"), "--out", str(Path(tmp) / "b.jsonl")])
        lines = sum(1 for _ in open(Path(tmp) / "a.jsonl", encoding="utf-8"))
    from snownlp import SnowNLP

    sample = xs[: a.snownlp_sample]
    t = time.perf_counter()
    for x in sample:
        _ = SnowNLP(x).sentiments
    snow = time.perf_counter() - t
    result = {"texts": a.n, "analyzed": lines,
              "voc_jsonl_s": round(jsonl, 2), "voc_jsonl_texts_per_s": round(a.n / jsonl),
              "voc_with_workspace_s": round(stored, 2),
              "voc_with_workspace_texts_per_s": round(a.n / stored),
              "snownlp_sample": len(sample), "snownlp_texts_per_s": round(len(sample) / snow, 1),
              "speedup_over_snownlp": round((a.n / jsonl) / (len(sample) / snow), 1)}
    text = json.dumps(result, indent=2)
    print(text)
    if a.out:
        a.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
