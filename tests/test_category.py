"""Complaint category: trained on 400 real complaints from celine_train.csv (no header)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from shared_data import TEXT

from voc.analyze import category
from voc.analyze import textmodel as tm
from voc.analyze.labelled import read_labelled
from voc.errors import InputError, ModelError
from voc.models import sha256_file

DATA = TEXT
NAMES = "0=催收行为类,1=其他类,2=合同条款类,3=定价收费类,4=客户服务类,5=营销宣传类"


def celine_rows(n: int) -> list[list[str]]:
    with open(DATA / "celine_train.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    by_label: dict[str, list] = {}
    for r in rows:
        by_label.setdefault(r[1], []).append(r)
    per = n // len(by_label)
    return [r for lab in sorted(by_label) for r in by_label[lab][:per]]


def write(path: Path, rows, header=None, encoding="utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        if header:
            w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    d = tmp_path_factory.mktemp("category")
    src = write(d / "train.csv", celine_rows(400))  # text,label without a header, like celine
    metrics = category.train_category(src, "0", "1", d / "model")
    return d / "model", metrics


def test_metrics_card_and_files(trained):
    d, metrics = trained
    assert {p.name for p in d.iterdir()} == {tm.MODEL_FILE, tm.METRICS_FILE, tm.CARD_FILE}
    on_disk = json.loads((d / tm.METRICS_FILE).read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(metrics, ensure_ascii=False))
    assert metrics["labels"] == ["0", "1", "2", "3", "4", "5"]
    assert metrics["n_train"] + metrics["n_test"] == 396 and metrics["n_test"] >= 70
    assert 0.3 < metrics["macro_f1"] <= 1 and 0.3 < metrics["accuracy"] <= 1
    cm = np.array(metrics["confusion_matrix"])
    assert cm.shape == (6, 6) and cm.sum() == metrics["n_test"]
    assert [v["support"] for v in metrics["per_class"].values()] == cm.sum(axis=1).tolist()
    # the recipe is fixed (chosen by CV on celine_train, docs/analysis.md): no grid at training time
    assert "tuning" not in metrics and metrics["recipe"]["classifier"] == "lr"
    assert metrics["model_sha256"] == sha256_file(d / tm.MODEL_FILE)
    card = (d / tm.CARD_FILE).read_text(encoding="utf-8")
    for needle in (metrics["model_sha256"], "macro-F1", "Confusion matrix", "voc 0.", "train.csv"):
        assert needle in card


def test_round_trip_and_scores(trained, tmp_path):
    d, _ = trained
    texts = [r[0] for r in celine_rows(60)] + ["催收人员天天打电话骚扰我的家人", "", None]
    a = category.CategoryModel.load(d).predict(texts)
    model, metrics = tm.load(d)
    tm.save(model, tmp_path / "copy", metrics)
    b = category.CategoryModel.load(tmp_path / "copy").predict(texts)
    assert a == b and len(a) == len(texts)
    assert all(lab in metrics["labels"] and 0 <= s <= 1 for lab, s in a)
    assert a[-3][0] == "0"  # 催收行为类
    assert category.CategoryModel.load(d).predict([]) == []
    info = category.CategoryModel.load(d).info()
    assert info["labels"] == metrics["labels"] and info["sha256"] == metrics["model_sha256"]


def test_named_columns_label_names_and_gb18030(tmp_path):
    rows = [(lab, text) for text, lab in celine_rows(240)]
    src = write(tmp_path / "c.csv", rows, header=["类别", "投诉内容"], encoding="gb18030")
    m = category.train_category(src, "投诉内容", "类别", tmp_path / "m", label_names=NAMES,
                                recipe=tm.Recipe(classifier="svc", C=0.3))
    assert m["labels"] == sorted(category.parse_label_names(NAMES).values())
    label, score = category.CategoryModel.load(tmp_path / "m").predict(["信用卡年费乱收费"])[0]
    assert label in m["labels"] and 0 <= score <= 1


def test_read_labelled_header_detection(tmp_path):
    rows = celine_rows(30)
    plain = write(tmp_path / "plain.csv", rows)
    with_header = write(tmp_path / "header.csv", rows, header=["text", "label"])
    a = read_labelled(plain, 0, 1)
    b = read_labelled(with_header, "0", "1")  # index columns, header detected
    c = read_labelled(with_header, "text", "label")
    assert a.texts == b.texts == c.texts == [r[0] for r in rows]
    assert a.labels == c.labels and a.skipped == []
    texts, labels = a
    assert len(texts) == len(labels) == 30


def test_errors(tmp_path, trained):
    src = write(tmp_path / "c.csv", celine_rows(60), header=["text", "label"])
    with pytest.raises(InputError, match="no column 'category'; columns found: text, label"):
        category.train_category(src, "text", "category", tmp_path / "m")
    plain = write(tmp_path / "p.csv", celine_rows(60))
    with pytest.raises(InputError, match=r"no column '5'; columns found: 2 unnamed columns"):
        category.train_category(plain, "0", "5", tmp_path / "m")
    few = write(tmp_path / "f.csv", celine_rows(60) + [["只有两条的类别", "9"], ["另一条", "9"]])
    with pytest.raises(InputError, match=r"at least 5 examples; too few: 9 \(2\)"):
        category.train_category(few, "0", "1", tmp_path / "m")
    with pytest.raises(InputError, match="labels without a name: 5"):
        category.train_category(plain, "0", "1", tmp_path / "m", label_names="0=a,1=b,2=c,3=d,4=e")
    with pytest.raises(InputError, match="no such file"):
        category.train_category(tmp_path / "missing.csv", "0", "1", tmp_path / "m")
    assert not (tmp_path / "m").exists()
    with pytest.raises(ModelError, match=re.escape(str(tmp_path / "none"))):
        category.CategoryModel.load(tmp_path / "none")
    d, _ = trained
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in (tm.METRICS_FILE, tm.CARD_FILE):
        (broken / name).write_bytes((d / name).read_bytes())
    (broken / tm.MODEL_FILE).write_bytes((d / tm.MODEL_FILE).read_bytes()[:1000])
    with pytest.raises(ModelError, match="sha256 differs"):
        category.CategoryModel.load(broken)
