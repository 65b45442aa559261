"""A text classifier: char n-gram TF-IDF (+ optional jieba word n-grams) and a linear model.

`train` holds out a stratified split, optionally picks hyper-parameters by k-fold CV on the
training part only, and measures on the held-out part. `save` writes `model.joblib`,
`metrics.json` and a human-readable `MODEL_CARD.md`; `load` refuses a folder without a model
and checks the sha256 recorded at save time. A model file is a pickle: load only your own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import platform
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from voc.analyze.labelled import read_labelled  # noqa: F401  (re-exported for the CLI)
from voc.errors import ModelError

MODEL_FILE = "model.joblib"
METRICS_FILE = "metrics.json"
CARD_FILE = "MODEL_CARD.md"
MIN_PER_LABEL = 5
CLASSIFIERS = ("lr", "svc")
_DIGITS = re.compile(r"\d+")


def prep(text: str) -> str:
    """Full-width to half-width, lower case, every run of digits to 0 (amounts, dates, ids)."""
    return _DIGITS.sub("0", unicodedata.normalize("NFKC", text).lower())


def words(text: str) -> list[str]:
    import jieba

    jieba.setLogLevel(60)
    return [w for w in jieba.lcut(text) if w.strip()]


@dataclass
class Recipe:
    """Features and classifier. `grid` maps field names to values tried by CV on TRAIN only."""

    char_ngrams: tuple[int, int] = (1, 3)
    word_ngrams: tuple[int, int] | None = None
    min_df: int = 2
    classifier: str = "lr"
    C: float = 3.0
    class_weight: str | None = "balanced"
    grid: dict[str, list] = field(default_factory=dict)
    cv_folds: int = 5

    def __post_init__(self):
        if self.classifier not in CLASSIFIERS:
            raise ValueError(f"classifier must be one of {CLASSIFIERS}, got {self.classifier!r}")
        names = {f.name for f in dataclasses.fields(self)} - {"grid", "cv_folds"}
        for k in self.grid:
            if k not in names:
                raise ValueError(f"grid key {k!r} is not a recipe field; valid: {sorted(names)}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class SoftmaxSVC(ClassifierMixin, BaseEstimator):
    """LinearSVC whose decision values become probabilities by a softmax with one temperature
    fitted on out-of-fold decisions (multi-class Platt scaling). Labels are the SVC's own."""

    def __init__(self, C=0.3, class_weight="balanced", calibrate=True, cv=5, random_state=0):
        self.C, self.class_weight, self.calibrate = C, class_weight, calibrate
        self.cv, self.random_state = cv, random_state

    def _svc(self):
        from sklearn.svm import LinearSVC

        return LinearSVC(C=self.C, class_weight=self.class_weight, max_iter=5000)

    def fit(self, X, y):
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        y = np.asarray(y)
        self.svc_ = self._svc().fit(X, y)
        self.classes_ = self.svc_.classes_
        self.temperature_ = 1.0
        k = min(self.cv, np.unique(y, return_counts=True)[1].min())
        if self.calibrate and k >= 2:
            folds = StratifiedKFold(k, shuffle=True, random_state=self.random_state)
            oof = cross_val_predict(self._svc(), X, y, cv=folds, method="decision_function")
            idx = np.searchsorted(self.classes_, y)
            nll = lambda t: -np.log(_softmax(oof, t)[np.arange(len(y)), idx] + 1e-12).mean()  # noqa: E731
            self.temperature_ = float(min(np.geomspace(0.05, 50, 121), key=nll))
        return self

    def decision_function(self, X):
        return self.svc_.decision_function(X)

    def predict(self, X):
        return self.svc_.predict(X)

    def predict_proba(self, X):
        return _softmax(self.decision_function(X), self.temperature_)


def _softmax(d, t: float) -> np.ndarray:
    d = np.asarray(d, dtype=float)
    if d.ndim == 1:  # binary: softmax of (-d/2, d/2) is the sigmoid of d
        d = np.column_stack([-d, d]) / 2
    z = t * d
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def build_features(r: Recipe):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    chars = TfidfVectorizer(analyzer="char", ngram_range=tuple(r.char_ngrams), min_df=r.min_df,
                            sublinear_tf=True, preprocessor=prep, dtype=np.float32)
    if not r.word_ngrams:
        return chars
    toks = TfidfVectorizer(tokenizer=words, token_pattern=None, lowercase=False, preprocessor=prep,
                           ngram_range=tuple(r.word_ngrams), min_df=r.min_df, sublinear_tf=True,
                           dtype=np.float32)
    return FeatureUnion([("chars", chars), ("words", toks)])


def build_classifier(r: Recipe, n_classes: int, seed: int = 0, calibrate: bool = True):
    if r.classifier == "svc":
        return SoftmaxSVC(C=r.C, class_weight=r.class_weight, calibrate=calibrate, random_state=seed)
    from sklearn.linear_model import LogisticRegression

    solver = "liblinear" if n_classes == 2 else "lbfgs"
    return LogisticRegression(C=r.C, class_weight=r.class_weight, solver=solver, max_iter=3000,
                              random_state=seed)


def build(r: Recipe, n_classes: int, seed: int = 0):
    from sklearn.pipeline import Pipeline

    return Pipeline([("features", build_features(r)),
                     ("clf", build_classifier(r, n_classes, seed))])


@dataclass
class Trained:
    model: object
    metrics: dict
    test_texts: list[str]
    test_labels: list[str]
    test_proba: np.ndarray  # columns in model.classes_ order
    train_texts: list[str]
    train_labels: list[str]


def fit_evaluate(texts, labels, *, seed: int = 0, test_size: float = 0.2,
                 recipe: Recipe | None = None) -> Trained:
    """Stratified split, CV over `recipe.grid` on the training part, fit, held-out metrics."""
    from sklearn.model_selection import train_test_split

    r = recipe or Recipe()
    texts, labels = [_text(t) for t in texts], [str(x) for x in labels]
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise ValueError(f"need at least two labels to train, found only {classes.tolist()}")
    rare = [f"{c} ({n})" for c, n in zip(classes, counts) if n < MIN_PER_LABEL]
    if rare:
        raise ValueError(f"each label needs at least {MIN_PER_LABEL} examples; too few: "
                         f"{', '.join(rare)}")
    xtr, xte, ytr, yte = train_test_split(texts, labels, test_size=test_size, stratify=labels,
                                          random_state=seed)
    t0 = time.perf_counter()
    model, r, tuning = fit(xtr, ytr, seed=seed, recipe=r)
    seconds = time.perf_counter() - t0
    proba = model.predict_proba(xte)
    metrics = evaluate_predictions(yte, model.classes_[proba.argmax(1)].tolist(), classes.tolist())
    metrics.update(n_train=len(xtr), n_test=len(xte), seed=seed, test_size=test_size,
                   train_seconds=round(seconds, 2), recipe=r.to_dict())
    if tuning:
        metrics["tuning"] = tuning
    return Trained(model, metrics, xte, yte, proba, xtr, ytr)


def one_blas_thread():
    """Sparse linear models gain nothing from BLAS threads, and scipy's L-BFGS-B (used by
    LogisticRegression) runs ~10x slower with OpenBLAS threads on a busy 2-core machine."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


def fit(texts, labels, *, seed: int = 0, recipe: Recipe | None = None):
    """Fit on all the given texts (no held-out split): (model, recipe used, CV table or None)."""
    r = recipe or Recipe()
    texts, labels = [_text(t) for t in texts], [str(x) for x in labels]
    with one_blas_thread():
        r, tuning = _tune(texts, labels, r, seed) if r.grid else (r, None)
        return build(r, len(set(labels)), seed).fit(texts, labels), r, tuning


def train(texts, labels, *, seed: int = 0, test_size: float = 0.2,
          recipe: Recipe | None = None) -> tuple[object, dict]:
    fe = fit_evaluate(texts, labels, seed=seed, test_size=test_size, recipe=recipe)
    return fe.model, fe.metrics


def evaluate_predictions(y_true, y_pred, labels) -> dict:
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
    from sklearn.metrics import precision_recall_fscore_support as prfs

    p, r, f, s = prfs(y_true, y_pred, labels=labels, zero_division=0)
    return {"labels": list(labels),
            "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
            "macro_f1": round(float(f1_score(y_true, y_pred, labels=labels, average="macro",
                                             zero_division=0)), 4),
            "per_class": {lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                                "f1": round(float(f[i]), 4), "support": int(s[i])}
                          for i, lab in enumerate(labels)},
            # rows: true label, columns: predicted label, both in `labels` order
            "confusion_matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()}


def _tune(texts, labels, r: Recipe, seed: int) -> tuple[Recipe, dict]:
    """Every combination of `r.grid`, scored by macro-F1 over stratified folds of TRAIN only."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels)
    feat_keys = [k for k in r.grid if k in ("char_ngrams", "word_ngrams", "min_df")]
    clf_keys = [k for k in r.grid if k not in feat_keys]
    feat_sets = [dict(zip(feat_keys, v)) for v in itertools.product(*(r.grid[k] for k in feat_keys))]
    clf_sets = [dict(zip(clf_keys, v)) for v in itertools.product(*(r.grid[k] for k in clf_keys))]
    k = int(min(r.cv_folds, np.unique(labels, return_counts=True)[1].min()))
    if k < 2:
        raise ValueError("choosing hyper-parameters by CV needs at least 2 training examples per label")
    scores: dict[int, list[float]] = {}
    folds = StratifiedKFold(k, shuffle=True, random_state=seed).split(texts, labels)
    for tr, va in folds:
        for fi, fs in enumerate(feat_sets):
            vec = build_features(dataclasses.replace(r, **fs))
            a = vec.fit_transform([texts[i] for i in tr])
            b = vec.transform([texts[i] for i in va])
            for ci, cs in enumerate(clf_sets):
                cr = dataclasses.replace(r, **fs, **cs)
                clf = build_classifier(cr, len(set(labels)), seed, calibrate=False).fit(a, labels[tr])
                f = f1_score(labels[va], clf.predict(b), average="macro")
                scores.setdefault(fi * len(clf_sets) + ci, []).append(float(f))
    rows = []
    for i, fs in enumerate(feat_sets):
        for j, cs in enumerate(clf_sets):
            s = scores[i * len(clf_sets) + j]
            rows.append({"params": {**fs, **cs}, "cv_macro_f1": round(float(np.mean(s)), 4),
                         "std": round(float(np.std(s)), 4)})
    best = max(rows, key=lambda x: x["cv_macro_f1"])  # first of equals: grid order
    chosen = dataclasses.replace(r, **best["params"], grid={})
    return chosen, {"folds": k, "scoring": "macro_f1 on the training split", "results": rows,
                    "chosen": best["params"]}


def _text(t) -> str:
    return "" if t is None else str(t)


def proba(model, texts) -> np.ndarray:
    texts = [_text(t) for t in texts]
    if not texts:
        return np.zeros((0, len(model.classes_)))
    return model.predict_proba(texts)


def predict(model, texts) -> list[tuple[str, float]]:
    """(label, probability of that label) per text, in one vectorised call."""
    p = proba(model, texts)
    best = p.argmax(axis=1) if len(p) else []
    return [(str(model.classes_[k]), float(p[n, k])) for n, k in enumerate(best)]


def save(model, out_dir, metrics: dict, card_extra: dict | None = None) -> dict:
    """Write model.joblib, metrics.json (with the model's sha256) and MODEL_CARD.md.

    The model file is a plain pickle (protocol 5): it loads in 0.4 s where joblib's compressed
    format took 8 s for a 230,000-n-gram vocabulary, which dominated `voc analyze` start-up.
    `load` reads both."""
    import pickle

    import sklearn

    from voc import __version__
    from voc.files import staged, write_text
    from voc.models import sha256_file

    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    with staged(d / MODEL_FILE) as tmp:
        with open(tmp, "wb") as f:
            pickle.dump(model, f, protocol=5)
    metrics = {**metrics, "model_file": MODEL_FILE, "model_sha256": sha256_file(d / MODEL_FILE),
               "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "voc_version": __version__, "sklearn_version": sklearn.__version__,
               "python_version": platform.python_version()}
    write_text(d / METRICS_FILE, json.dumps(metrics, ensure_ascii=False, indent=2) + "\n")
    write_text(d / CARD_FILE, model_card(metrics, card_extra or {}))
    return metrics


def load(model_dir) -> tuple[object, dict]:
    """(model, metrics) from a folder written by `save`; clear ModelError otherwise."""
    import joblib

    from voc.models import sha256_file

    d = Path(model_dir)
    path = d / MODEL_FILE
    if not path.is_file():
        why = "the folder does not exist" if not d.exists() else f"no {MODEL_FILE} in it"
        raise ModelError(f"{d}: no trained model ({why}); train one with `voc train`")
    metrics: dict = {}
    if (d / METRICS_FILE).is_file():
        try:
            metrics = json.loads((d / METRICS_FILE).read_text(encoding="utf-8"))
        except ValueError as e:
            raise ModelError(f"{d / METRICS_FILE}: not valid JSON ({e})") from None
    want = metrics.get("model_sha256")
    if want and sha256_file(path) != want:
        raise ModelError(f"{path}: sha256 differs from the one in {METRICS_FILE} "
                         "(changed or truncated); retrain or copy the folder again")
    try:
        with open(path, "rb") as f:
            plain = f.read(2) == b"\x80\x05"  # a pickle from this save, else an older joblib file
        if plain:
            import pickle

            with open(path, "rb") as f:
                model = pickle.load(f)
        else:
            model = joblib.load(path)
    except Exception as e:  # noqa: BLE001 - unpickling fails in many ways (truncation, other sklearn versions)
        raise ModelError(f"{path}: cannot load ({type(e).__name__}: {str(e)[:200]}); saved with "
                         f"scikit-learn {metrics.get('sklearn_version', '?')}") from None
    return model, metrics


def model_card(m: dict, extra: dict) -> str:
    """MODEL_CARD.md: what the model is, what it was trained on, how well it did."""
    title = extra.get("title", "voc text classifier")
    lines = [f"# {title}", "",
             f"- created: {m.get('created_at')} with voc {m.get('voc_version')}, scikit-learn "
             f"{m.get('sklearn_version')}, Python {m.get('python_version')}",
             f"- model file: `{m.get('model_file')}`, sha256 `{m.get('model_sha256')}`",
             f"- labels: {', '.join(map(str, m.get('labels', [])))}",
             f"- examples: {m.get('n_train')} for training, {m.get('n_test')} held out "
             f"(stratified, seed {m.get('seed')}); training took {m.get('train_seconds')} s", ""]
    for heading, text in extra.items():
        if heading != "title":
            lines += [f"## {heading}", "", str(text).strip(), ""]
    lines += ["## Held-out metrics", "",
              f"accuracy {m.get('accuracy')}, macro-F1 {m.get('macro_f1')}", "",
              "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for lab, v in m.get("per_class", {}).items():
        lines.append(f"| {lab} | {v['precision']} | {v['recall']} | {v['f1']} | {v['support']} |")
    labels = [str(x) for x in m.get("labels", [])]
    lines += ["", "Confusion matrix (rows: true label, columns: predicted):", "",
              "| | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for lab, row in zip(labels, m.get("confusion_matrix", [])):
        lines.append(f"| {lab} | " + " | ".join(map(str, row)) + " |")
    rec = m.get("recipe", {})
    lines += ["", "## Recipe", "",
              f"char n-grams {rec.get('char_ngrams')}, word n-grams {rec.get('word_ngrams')}, "
              f"min_df {rec.get('min_df')}, sublinear TF-IDF; classifier {rec.get('classifier')} "
              f"C={rec.get('C')}, class_weight={rec.get('class_weight')}"]
    if m.get("tuning"):
        t = m["tuning"]
        lines += ["", f"Chosen by {t['folds']}-fold CV on the training split only: {t['chosen']}", "",
                  "| params | CV macro-F1 |", "|---|---|"]
        lines += [f"| {r['params']} | {r['cv_macro_f1']} ± {r['std']} |" for r in t["results"]]
    lines += ["", "Full numbers: `metrics.json`. The model file is a pickle: load only models "
              "you trained or received from a trusted source; `load` checks the sha256 above.", ""]
    return "\n".join(lines)
