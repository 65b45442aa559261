"""The learned part of complaint risk (`voc train risk`): logistic regression over char 1-3-gram
TF-IDF of the customer's words plus the rule signals' weights, trained on a bank's labelled
contacts, evaluated on a held-out split next to the rules alone, saved with its metrics.
`voc.analyze.risk.score` blends its probability with the rules' (see that module)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voc.analyze.risk import RiskRules, default_rules, normalise, signal_hits
from voc.errors import VocError
from voc.schema import Transcript, Utterance

MODEL_FILE, METRICS_FILE = "risk_model.joblib", "metrics.json"


def _text_transcript(text: str, i: int = 0) -> Transcript:
    return Transcript(id=str(i), source="", channel="text", duration_s=None,
                      utterances=[Utterance(None, None, "", "customer", str(text))])


def _customer_text(t: Transcript, rules: RiskRules) -> str:
    keep = ("customer", "unknown") if rules.unknown_role == "customer" else ("customer",)
    parts = [u.text for u in t.utterances if u.role in keep]
    return normalise("".join(parts) if parts else t.text)


def _rule_features(hits: list[dict], ids: list[str]) -> list[float]:
    w = {h["id"]: h["weight"] for h in hits}
    return [w.get(i, 0.0) for i in ids] + [1.0 - math.prod(1.0 - x for x in w.values())]


@dataclass
class RiskModel:
    """Logistic regression over char 1-3-gram TF-IDF of the customer's words plus rule features."""

    vectorizer: Any
    classifier: Any
    signal_ids: list[str]
    metrics: dict[str, Any] = field(default_factory=dict)

    def _matrix(self, texts: list[str], feats: list[list[float]]):
        from scipy.sparse import csr_matrix, hstack

        return hstack([self.vectorizer.transform(texts), csr_matrix(feats)]).tocsr()

    def probability(self, t: Transcript, hits: list[dict], rules: RiskRules) -> float:
        x = self._matrix([_customer_text(t, rules)], [_rule_features(hits, self.signal_ids)])
        return float(self.classifier.predict_proba(x)[0, 1])


def train_risk(texts: list[str], labels: list, out_dir: str | Path, rules: RiskRules | None = None,
               test_size: float = 0.2, seed: int = 0) -> dict[str, Any]:
    """Fit the learned component on labelled texts (1 = complaint/escalated, 0 = not), evaluate
    on a stratified held-out split, write the model and metrics.json to out_dir.

    The saved model is the one fitted on the training part, so the metrics describe it exactly.
    Metrics put the rules alone (their score as a ranking, their medium/high level as a
    decision) beside the model on the same held-out texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    rules = rules or default_rules()
    texts, y = list(texts), _labels(labels)
    if len(texts) != len(y):
        raise VocError(f"train risk: {len(texts)} texts but {len(y)} labels")
    if min(y.count(0), y.count(1)) < 5:
        raise VocError(f"train risk: need at least 5 texts of each label, got {y.count(0)} with 0 "
                       f"and {y.count(1)} with 1")
    ts = [_text_transcript(x, i) for i, x in enumerate(texts)]
    hits = [signal_hits(t, None, rules) for t in ts]
    ids = [s.id for s in rules.signals]
    docs = [_customer_text(t, rules) for t in ts]
    feats = [_rule_features(h, ids) for h in hits]
    tr, te = train_test_split(range(len(y)), test_size=test_size, stratify=y, random_state=seed)
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True,
                          min_df=2 if len(tr) >= 200 else 1, max_features=200_000)
    vec.fit([docs[i] for i in tr])
    model = RiskModel(vec, LogisticRegression(max_iter=2000, C=4.0), ids)
    from voc.analyze.textmodel import one_blas_thread

    with one_blas_thread():  # OpenBLAS threads make this ~10x slower on a busy 2-core machine
        model.classifier.fit(model._matrix([docs[i] for i in tr], [feats[i] for i in tr]),
                             [y[i] for i in tr])
    yt = [y[i] for i in te]
    p = model.classifier.predict_proba(model._matrix([docs[i] for i in te], [feats[i] for i in te]))[:, 1]
    pred = [int(v >= 0.5) for v in p]
    rule_s = [feats[i][-1] for i in te]
    rule_pred = [int(v >= rules.medium) for v in rule_s]
    m = {"model": "logistic regression: char 1-3-gram TF-IDF + rule signal weights",
         "n_train": len(tr), "n_test": len(te), "positive_rate": round(sum(y) / len(y), 4),
         "roc_auc": round(float(roc_auc_score(yt, p)), 4),
         "average_precision": round(float(average_precision_score(yt, p)), 4),
         "f1": round(float(f1_score(yt, pred, zero_division=0)), 4),
         "precision": round(float(precision_score(yt, pred, zero_division=0)), 4),
         "recall": round(float(recall_score(yt, pred, zero_division=0)), 4),
         "threshold": 0.5,
         "rules_only": {"roc_auc": round(float(roc_auc_score(yt, rule_s)), 4),
                        "f1_medium_or_high": round(float(f1_score(yt, rule_pred, zero_division=0)), 4)},
         "signals": ids, "rules_file": rules.path, "blend": rules.blend, "seed": seed}
    model.metrics = m
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    import joblib

    from voc.files import staged, write_text

    with staged(out / MODEL_FILE) as tmp:
        joblib.dump({"vectorizer": vec, "classifier": model.classifier, "signal_ids": ids}, tmp)
    write_text(out / METRICS_FILE, json.dumps(m, ensure_ascii=False, indent=2) + "\n")
    return m


def _labels(labels) -> list[int]:
    out = []
    for n, v in enumerate(labels, 1):
        s = str(v).strip().lower()
        if s in ("1", "1.0", "true", "yes"):
            out.append(1)
        elif s in ("0", "0.0", "false", "no"):
            out.append(0)
        else:
            raise VocError(f"train risk: label must be 0 or 1, got {v!r} in row {n}")
    return out


def load_risk_model(model_dir: str | Path) -> RiskModel:
    """A model written by train_risk (a joblib pickle: load only models you trained yourself)."""
    d = Path(model_dir)
    f = d / MODEL_FILE
    if not f.is_file():
        from voc.errors import ModelError

        raise ModelError(f"{d}: no {MODEL_FILE}; train one with `voc train risk`")
    import joblib

    obj = joblib.load(f)
    metrics = json.loads((d / METRICS_FILE).read_text(encoding="utf-8")) if (d / METRICS_FILE).is_file() else {}
    return RiskModel(obj["vectorizer"], obj["classifier"], obj["signal_ids"], metrics)
