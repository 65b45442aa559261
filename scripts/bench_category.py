#!/usr/bin/env python
"""Complaint-category benchmark: train on celine_train.csv, macro-F1 on celine_dev.csv.

Our category model (voc.analyze.category.RECIPE: n-gram range and C chosen by 5-fold CV on
TRAIN only) next to a plain char TF-IDF + LogisticRegression baseline on the same split. The dev
file is used for the final numbers only, never for choosing anything. `--variants` also scores
the other recipes that were tried (5-fold CV on train, and dev), to show what was tried.

    .venv/bin/python scripts/bench_category.py [--variants] [--out bench_category.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from shared_data import TEXT  # noqa: E402 - ../shared/data, found as the tests find it

sys.path.insert(0, str(ROOT))

DATA = TEXT
NAMES = {"0": "催收行为类", "1": "其他类", "2": "合同条款类", "3": "定价收费类", "4": "客户服务类",
         "5": "营销宣传类"}


def baseline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([("features", TfidfVectorizer(analyzer="char")),
                     ("clf", LogisticRegression(max_iter=2000))])


def variants():
    """(name, unfitted pipeline) for the recipes tried on the way to the default."""
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.pipeline import Pipeline

    from voc.analyze import textmodel as tm

    class Average(ClassifierMixin, BaseEstimator):
        """Mean of the members' probabilities (late fusion)."""

        def __init__(self, members=()):
            self.members = members

        def fit(self, x, y):
            from sklearn.base import clone

            self.fitted_ = [clone(m).fit(x, y) for m in self.members]
            self.classes_ = self.fitted_[0].classes_
            return self

        def predict_proba(self, x):
            return sum(m.predict_proba(x) for m in self.fitted_) / len(self.fitted_)

        def predict(self, x):
            return self.classes_[self.predict_proba(x).argmax(1)]

    R = tm.Recipe
    out = [(f"{name}", tm.build(r, 6)) for name, r in [
        ("char 1-2, LR C=3 balanced", R(char_ngrams=(1, 2), classifier="lr", C=3.0)),
        ("char 1-3, LR C=3 balanced", R(char_ngrams=(1, 3), classifier="lr", C=3.0)),
        ("char 1-4, LR C=3 balanced", R(char_ngrams=(1, 4), classifier="lr", C=3.0)),
        ("char 1-2, LinearSVC C=0.3 balanced", R(char_ngrams=(1, 2), classifier="svc", C=0.3)),
        ("char 1-3, LinearSVC C=0.3 balanced", R(char_ngrams=(1, 3), classifier="svc", C=0.3)),
        ("char 1-4, LinearSVC C=0.3 balanced", R(char_ngrams=(1, 4), classifier="svc", C=0.3)),
        ("char 1-2 min_df=5, LinearSVC C=0.3", R(char_ngrams=(1, 2), min_df=5, classifier="svc", C=0.3)),
        ("char 1-2 min_df=10, LinearSVC C=0.1", R(char_ngrams=(1, 2), min_df=10, classifier="svc", C=0.1)),
        ("char 1-3 + jieba words 1-2, LinearSVC C=0.3", R(word_ngrams=(1, 2), classifier="svc", C=0.3)),
        ("char 1-3 + jieba words 1-2, LR C=3", R(word_ngrams=(1, 2), classifier="lr", C=3.0)),
    ]]
    svc = tm.build(R(char_ngrams=(1, 3), classifier="svc", C=0.3), 6)
    lr = tm.build(R(char_ngrams=(1, 3), classifier="lr", C=3.0), 6)
    words = tm.build(R(char_ngrams=(1, 1), word_ngrams=(1, 2), classifier="svc", C=0.3), 6)
    out.append(("ensemble: mean prob. of char 1-3 LR + SVC + jieba-word SVC",
                Pipeline([("clf", Average([lr, svc, words]))])))
    return out


def paired_bootstrap(y, a, b, n: int = 2000, seed: int = 0) -> list[float]:
    """95 % interval of macro-F1(b) - macro-F1(a) in points, resampling dev texts (paired)."""
    import numpy as np
    from sklearn.metrics import f1_score

    y, a, b = np.asarray(y), np.asarray(a), np.asarray(b)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n):
        i = rng.integers(0, len(y), len(y))
        diffs.append(f1_score(y[i], b[i], average="macro") - f1_score(y[i], a[i], average="macro"))
    return [round(100 * float(q), 1) for q in np.percentile(diffs, [2.5, 97.5])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=Path, default=DATA / "celine_train.csv")
    ap.add_argument("--dev", type=Path, default=DATA / "celine_dev.csv")
    ap.add_argument("--variants", action="store_true", help="also score the recipes tried")
    ap.add_argument("--out", type=Path)
    a = ap.parse_args()

    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    from voc.analyze import category
    from voc.analyze import textmodel as tm

    xtr, ytr = tm.read_labelled(a.train, 0, 1)
    xdv, ydv = tm.read_labelled(a.dev, 0, 1)
    t = time.perf_counter()
    with tm.one_blas_thread():
        base = baseline().fit(xtr, ytr)
    base_s = time.perf_counter() - t
    base_f1 = f1_score(ydv, base.predict(xdv), average="macro")
    t = time.perf_counter()
    model, recipe, tuning = tm.fit(xtr, ytr, recipe=category.RECIPE)
    ours_s = time.perf_counter() - t
    t = time.perf_counter()
    pred = [lab for lab, _ in tm.predict(model, xdv)]
    pred_s = time.perf_counter() - t
    ours = tm.evaluate_predictions(ydv, pred, sorted(set(ytr)))
    result = {
        "train": str(a.train), "dev": str(a.dev), "n_train": len(xtr), "n_dev": len(xdv),
        "baseline": {"recipe": "TfidfVectorizer(analyzer='char') + LogisticRegression()",
                     "dev_macro_f1": round(base_f1, 4), "train_s": round(base_s, 2)},
        "voc": {"recipe": recipe.to_dict(), "cv_on_train": tuning,
                "dev_macro_f1": ours["macro_f1"], "dev_accuracy": ours["accuracy"],
                "dev_per_class_f1": {f"{k} {NAMES.get(k, '')}".strip(): v["f1"]
                                     for k, v in ours["per_class"].items()},
                "dev_confusion_matrix": ours["confusion_matrix"],
                "train_s": round(ours_s, 2), "predict_texts_per_s": round(len(xdv) / pred_s)},
        "gain_points": round(100 * (ours["macro_f1"] - base_f1), 1),
        "target_points": 5.0,
    }
    result["target_met"] = result["gain_points"] >= result["target_points"]
    result["gain_points_95ci"] = paired_bootstrap(ydv, base.predict(xdv).tolist(), pred)
    if a.variants:
        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        rows = []
        for name, pipe in [("baseline", baseline())] + variants():
            t = time.perf_counter()
            with tm.one_blas_thread():
                cv = cross_val_score(pipe, xtr, ytr, cv=folds, scoring="f1_macro")
                dev = f1_score(ydv, pipe.fit(xtr, ytr).predict(xdv), average="macro")
            rows.append({"variant": name, "cv_train_macro_f1": round(float(cv.mean()), 4),
                         "dev_macro_f1": round(float(dev), 4),
                         "seconds": round(time.perf_counter() - t, 1)})
        result["variants"] = rows
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if a.out:
        a.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
