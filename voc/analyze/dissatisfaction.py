"""Dialogue-level dissatisfaction: the probability that the customer left the contact dissatisfied.

Separate from the sentiment label, it weighs how the call went and how it ended: per-utterance
sentiment of the customer's turns with recent turns counting more (weights halve with every turn
back from the end), the last customer turns on their own, an unresolved ending, repeated contact,
escalation, thanks at the end, and the shape of the dialogue (turns, who spoke last). A logistic
regression over these features (`FEATURES`) gives a calibrated probability (its coefficients were
fitted and checked by repeated stratified cross-validation on STC-3 helpdesk dialogues, see
docs/analysis.md); `explain` names the customer utterances that drove it.

    d = Dissatisfaction.default()          # the packaged coefficients (voc/data/dissatisfaction.json)
    p, drivers = d.score(turns, proba)      # turns: [(role, text)], proba: sentiment.proba of the texts
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voc.paths import resource

DEFAULT_FILE = resource("dissatisfaction.json")
CUSTOMER = ("customer", "unknown")
UNRESOLVED = re.compile(r"(还是|仍然|依然|一直|到现在|至今|怎么还|还没|都没)(都|还)?(没|没有|未|不|不能|不行)"
                        r"|没(有)?(解决|处理|回复|反应|人管|人理|用)"
                        r"|解决不了|处理不了|不行啊|没用|还是不|又不|不能用|用不了|打不开|登不上|失败")
ESCALATION = re.compile(r"投诉|举报|12315|12378|律师|起诉|法院|曝光|媒体|记者|消协|工信部|监管"
                        r"|领导|经理|主管|差评|退货|退款|赔偿")
REPEAT = re.compile(r"又|再次|多次|几次|好几|第[二三四五六七八九十几\d]+次|反复|一直|每次|多少遍"
                    r"|上次|之前|几天了|很久|半天")
THANKS = re.compile(r"谢谢|感谢|多谢|辛苦|好的|好吧|明白|知道了|了解|解决了|可以了|好了|行了")
ANGER = re.compile(r"[!！]{1,}|[?？]{2,}|凭什么|什么鬼|垃圾|坑|骗|太差|气死|无语|呵呵|搞什么|怎么回事|到底")
FEATURES = ("neg_last", "pos_last", "neg_last2", "neg_recent", "neg_max", "neg_first", "pos_recent",
            "unresolved_last", "unresolved_any", "escalation", "repeat", "thanks_last", "anger_last",
            "anger_any", "customer_last", "n_customer_turns", "n_agent_turns", "len_last", "question_last")


def _recent_weights(n: int) -> np.ndarray:
    w = 0.5 ** np.arange(n)[::-1]
    return w / w.sum()


def features(turns: list[tuple[str, str]], proba: np.ndarray) -> np.ndarray:
    """The FEATURES of one dialogue: turns as (role, text), proba the sentiment model's (n, 3)
    probabilities (negative, neutral, positive) of those texts."""
    cust = [i for i, (r, _) in enumerate(turns) if r in CUSTOMER]
    agent = [i for i, (r, _) in enumerate(turns) if r not in CUSTOMER]
    if not cust:
        return np.zeros(len(FEATURES))
    q = proba[cust]
    texts = [turns[i][1] for i in cust]
    w = _recent_weights(len(cust))
    last = texts[-1]
    f = {"neg_last": q[-1, 0], "pos_last": q[-1, 2], "neg_last2": q[-2:, 0].mean(),
         "neg_recent": float(w @ q[:, 0]), "neg_max": q[:, 0].max(), "neg_first": q[0, 0],
         "pos_recent": float(w @ q[:, 2]),
         "unresolved_last": float(bool(UNRESOLVED.search(last))),
         "unresolved_any": float(w @ [bool(UNRESOLVED.search(t)) for t in texts]),
         "escalation": float(any(ESCALATION.search(t) for t in texts)),
         "repeat": float(any(REPEAT.search(t) for t in texts)),
         "thanks_last": float(bool(THANKS.search(last))),
         "anger_last": float(bool(ANGER.search(last))),
         "anger_any": float(w @ [bool(ANGER.search(t)) for t in texts]),
         "customer_last": float(cust[-1] > (agent[-1] if agent else -1)),
         "n_customer_turns": np.log1p(len(cust)), "n_agent_turns": np.log1p(len(agent)),
         "len_last": np.log1p(len(last)), "question_last": float("?" in last or "？" in last)}
    return np.array([float(f[k]) for k in FEATURES])


def _says_something(text: str, q: np.ndarray) -> bool:
    """A customer utterance that can be quoted as a driver: negative, or with a cue of its own."""
    return q[0] >= 0.5 or any(r.search(text) for r in (UNRESOLVED, ESCALATION, REPEAT, ANGER))


@dataclass
class Dissatisfaction:
    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    metrics: dict = field(default_factory=dict)
    path: str | None = None

    @classmethod
    def load(cls, path=DEFAULT_FILE) -> "Dissatisfaction":
        from voc.errors import ModelError

        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
            if list(d["features"]) != list(FEATURES):
                raise ValueError(f"features {d['features']} differ from this voc's {list(FEATURES)}")
            return cls(np.array(d["coef"], float), float(d["intercept"]), np.array(d["mean"], float),
                       np.array(d["scale"], float), d.get("metrics", {}), str(path))
        except (OSError, ValueError, KeyError) as e:
            raise ModelError(f"{path}: not a dissatisfaction model ({e})") from None

    @classmethod
    def default(cls) -> "Dissatisfaction":
        return cls.load(DEFAULT_FILE)

    def probability(self, x: np.ndarray) -> np.ndarray:
        z = ((np.atleast_2d(x) - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def score(self, turns: list[tuple[str, str]], proba: np.ndarray, top: int = 3) -> tuple[float, list[dict]]:
        """(probability, drivers): the customer utterances that raised it most (negative ones, or
        ones with an unresolved, escalation, repeat or anger cue), each with its index, text and how
        much the probability falls when that utterance is left out."""
        x = features(turns, proba)
        p = float(self.probability(x)[0])
        drivers = []
        for i, (role, text) in enumerate(turns):
            if role not in CUSTOMER or not text or not _says_something(text, proba[i]):
                continue
            q = proba.copy()
            q[i] = [0.0, 1.0, 0.0]
            alt = [(r, "" if j == i else t) for j, (r, t) in enumerate(turns)]
            delta = p - float(self.probability(features(alt, q))[0])
            if delta > 0.01:
                drivers.append({"i": i, "text": text, "weight": round(delta, 4)})
        drivers.sort(key=lambda d: -d["weight"])
        return p, drivers[:top]

    def save(self, path, metrics: dict) -> None:
        from voc.files import write_text

        d = {"features": list(FEATURES), "coef": [round(float(c), 6) for c in self.coef],
             "intercept": round(self.intercept, 6), "mean": [round(float(c), 6) for c in self.mean],
             "scale": [round(float(c), 6) for c in self.scale], "metrics": metrics}
        write_text(Path(path), json.dumps(d, ensure_ascii=False, indent=1) + "\n")


def fit(X: np.ndarray, y: np.ndarray, C: float = 1.0) -> Dissatisfaction:
    """Standardised logistic regression over the FEATURES rows X and 0/1 labels y."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = X.mean(0), X.std(0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(C=C, max_iter=2000).fit((X - mean) / scale, y)
    return Dissatisfaction(clf.coef_[0], float(clf.intercept_[0]), mean, scale)


def stc3_dialogues(path) -> tuple[list[list[tuple[str, str]]], np.ndarray, np.ndarray]:
    """STC-3 DialEval dialogues: turns as (customer | agent, text), mean satisfaction S, and the
    label dissatisfied = mean S < 0."""
    from voc.errors import InputError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        dialogues = [[("customer" if t["sender"] == "customer" else "agent", " ".join(t["utterances"]).strip())
                      for t in d["turns"]] for d in data]
        s = np.array([np.mean([a["quality"]["S"] for a in d["annotations"]]) for d in data])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(path, f"not an STC-3 dialogue file ({type(e).__name__}: {e})") from None
    return dialogues, s, (s < 0).astype(int)


def dialogue_features(dialogues: list[list[tuple[str, str]]], sentiment) -> np.ndarray:
    """FEATURES rows of many dialogues, with one sentiment call for all their turns."""
    flat = [t for d in dialogues for _, t in d]
    proba = sentiment.proba(flat) if flat else np.zeros((0, 3))
    rows, k = [], 0
    for d in dialogues:
        rows.append(features(d, proba[k:k + len(d)]))
        k += len(d)
    return np.array(rows).reshape(len(dialogues), len(FEATURES))


def cross_validate(X: np.ndarray, y: np.ndarray, *, C: float = 1.0, folds: int = 5, repeats: int = 3,
                   seed: int = 0) -> dict:
    """Repeated stratified k-fold: AUC per fold (mean, std) and, on the out-of-fold probabilities of
    each repeat, the Brier score and the expected calibration error (10 equal-width bins)."""
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import RepeatedStratifiedKFold

    aucs, oof = [], np.zeros((repeats, len(y)))
    split = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed).split(X, y)
    for n, (tr, te) in enumerate(split):
        p = fit(X[tr], y[tr], C).probability(X[te])
        oof[n // folds, te] = p
        aucs.append(roc_auc_score(y[te], p))
    return {"cv": f"{repeats} x stratified {folds}-fold", "n": int(len(y)), "positive_rate": round(float(y.mean()), 4),
            "auc": round(float(np.mean(aucs)), 4), "auc_std": round(float(np.std(aucs)), 4),
            "brier": round(float(np.mean([brier_score_loss(y, o) for o in oof])), 4),
            "ece": round(float(np.mean([expected_calibration_error(y, o) for o in oof])), 4)}


def expected_calibration_error(y, p, bins: int = 10) -> float:
    y, p = np.asarray(y, float), np.asarray(p, float)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    return float(sum(abs(y[idx == b].mean() - p[idx == b].mean()) * (idx == b).mean()
                     for b in range(bins) if (idx == b).any()))
