"""The analyze stage: redact, normalise, sentiment, complaint risk and category per contact.

`Analyzer.analyze(transcripts)` works in batches: every utterance of the batch goes through the
sentiment model in one vectorised call, then each contact is scored on its own. It returns the
redacted transcripts (what may be stored) and one typed analysis record per contact
(voc.schema.Analysis, docs/format.md). `analyze_batch` is `voc analyze`: a stream of records inside a run of the
workspace. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from voc.schema import Analysis, Category, Risk, Sentiment, Transcript
from voc.text.normalize import normalize

CUSTOMER_SIDE = ("customer", "unknown")


@dataclass
class Analyzer:
    sentiment: Any                 # voc.analyze.sentiment.SentimentModel
    rules: Any                     # voc.analyze.risk.RiskRules
    risk_model: Any = None         # voc.analyze.risk_model.RiskModel (voc train risk)
    category: Any = None           # voc.analyze.category.CategoryModel (voc train category)
    dissatisfaction: Any = None    # voc.analyze.dissatisfaction.Dissatisfaction (None: not scored)
    redact: bool = True
    keep_last: int = 0

    @classmethod
    def from_settings(cls, settings, *, category_model: str | Path | None = None,
                      risk_model: str | Path | None = None, risk_rules: str | Path | None = None
                      ) -> "Analyzer":
        from voc.analyze import risk
        from voc.analyze.risk_model import load_risk_model
        from voc.analyze.sentiment import default_sentiment, load_sentiment
        from voc.config import models_dir

        a = settings.section("analyze")
        sentiment_dir = a["sentiment_model"]
        sentiment = load_sentiment(sentiment_dir) if sentiment_dir else default_sentiment(models_dir(settings))
        category_model = category_model or a["category_model"] or None
        risk_model = risk_model or a["risk_model"] or None
        category = None
        if category_model:
            from voc.analyze.category import CategoryModel

            category = CategoryModel.load(category_model)
        from voc.analyze.dissatisfaction import Dissatisfaction

        dissatisfaction = Dissatisfaction.default() if a["dissatisfaction"] else None
        return cls(sentiment=sentiment, dissatisfaction=dissatisfaction,
                   rules=risk.load_rules(risk_rules or a["risk_rules"] or None),
                   risk_model=load_risk_model(risk_model) if risk_model else None,
                   category=category, redact=settings["privacy.redact"],
                   keep_last=settings["privacy.keep_last"])

    def info(self) -> dict:
        return {"sentiment": getattr(self.sentiment, "info", lambda: {})(),
                "risk_rules": str(self.rules.path),
                "risk_model": getattr(self.risk_model, "path", None) and str(self.risk_model.path),
                "category": getattr(self.category, "info", lambda: None)(),
                "dissatisfaction": getattr(self.dissatisfaction, "path", None),
                "redact": self.redact}

    def analyze(self, transcripts: list[Transcript]) -> list[tuple[Transcript, Analysis]]:
        from voc.analyze import risk
        from voc.transcribe import redact

        ts = [redact(t, self.redact, self.keep_last) if "redacted" not in t.meta else t
              for t in transcripts]
        texts = [[normalize(u.text) for u in t.utterances] or [normalize(t.text)] for t in ts]
        flat = [x for per in texts for x in per]
        # one sentiment call for the utterances, each side of each contact and each dialogue's turns
        sides, turns = [], []
        for t, per in zip(ts, texts):
            sides.append(_side(t, per, CUSTOMER_SIDE))
            sides.append(_side(t, per, ("agent",)))
            turns.append(_turns(t, per) if len(t.utterances) > 1 and self.dissatisfaction else [])
        turn_texts = [x for tt in turns for _, x, _ in tt]
        proba = self.sentiment.proba(flat + sides + turn_texts) if flat else np.zeros((0, 3))
        probs, labs = self.sentiment.from_proba(proba)
        utt_p, side_p = probs[: len(flat)], probs[len(flat):]
        utt_l, side_l = labs[: len(flat)], labs[len(flat):]
        turn_q = proba[len(flat) + len(sides):]
        categories = self.category.predict([s for s in sides[::2]]) if self.category else None
        out, k, kt = [], 0, 0
        for n, (t, per) in enumerate(zip(ts, texts)):
            p = [float(x) for x in utt_p[k: k + len(per)]]
            lab = utt_l[k: k + len(per)]
            k += len(per)
            r = risk.score(t, p if t.utterances else None, self.rules, learned=self.risk_model)
            agent_side = sides[2 * n + 1]
            rec = Analysis(
                id=t.id, channel=t.channel,
                sentiment=Sentiment(label=side_l[2 * n], positive=round(float(side_p[2 * n]), 4)),
                risk=Risk(score=round(r.score, 4), level=r.level, reasons=r.reasons, signals=r.signals),
                sentiment_agent=Sentiment(label=side_l[2 * n + 1], positive=round(float(side_p[2 * n + 1]), 4))
                if agent_side else None,
                redacted=bool(t.meta.get("redacted")), pii=t.meta.get("pii") or None)
            if len(t.utterances) > 1:
                rec.trajectory = _trajectory(t, p)
                rec.utterances = [{"i": i, "role": u.role, "positive": round(p[i], 4),
                                   "label": lab[i]}
                                  for i, u in enumerate(t.utterances)]
            if turns[n]:
                tt = turns[n]
                dp, drivers = self.dissatisfaction.score([(r, x) for r, x, _ in tt], turn_q[kt: kt + len(tt)])
                kt += len(tt)
                rec.dissatisfaction = {"probability": round(dp, 4),
                                       "drivers": [{**d, "i": tt[d["i"]][2]} for d in drivers]}
            if categories is not None:
                label, score = categories[n]
                rec.category = Category(label=label, score=round(float(score), 4))
            out.append((t, rec))
        return out


def analyze_batch(records: Iterable, analyzer: Analyzer, run, *, out: str | Path | None = None,
                  batch_size: int = 256) -> dict:
    """`voc analyze`: analyse `records` (Transcripts, and voc.sources.RowError for rows that
    cannot be used, which go to `run.fail`) inside `run` (a voc.store.Run), `batch_size` at a
    time; each batch's analysis records go to `out` (JSONL) and, with their redacted
    transcripts, into the run's workspace in one transaction. Returns the summary (analyzed,
    bad_rows, risk_levels, redacted, seconds)."""
    from voc.files import open_out
    from voc.sources import RowError

    levels: dict[str, int] = {}
    run.models = analyzer.info()

    def flush(batch, fh):
        results = analyzer.analyze(batch)
        if fh:
            fh.writelines(a.to_json() + "\n" for _, a in results)
        refused = 0
        if run.ws is not None:  # an id stored for a contact of another source: said, not replaced
            for c in run.ws.save_transcripts([t for t, _ in results], run.id, analyses=[a for _, a in results],
                                             force=getattr(run, "force", False)):
                run.fail(c["source"], c["reason"])
                refused += 1
        for _, a in results:
            levels[a.risk.level] = levels.get(a.risk.level, 0) + 1
        run.ok(len(results) - refused)

    with open_out(out) as fh:
        batch: list = []
        for rec in records:
            if isinstance(rec, RowError):
                run.fail(rec.where, rec.reason)
                continue
            batch.append(rec)
            if len(batch) >= batch_size:
                flush(batch, fh)
                batch = []
        flush(batch, fh)
    return {"analyzed": run.succeeded, "bad_rows": run.failed, "risk_levels": levels,
            "redacted": analyzer.redact, "seconds": round(run.seconds, 2)}


def _side(t: Transcript, texts: list[str], roles: tuple[str, ...]) -> str:
    if not t.utterances:
        return texts[0] if "customer" in roles else ""
    return "。".join(x for u, x in zip(t.utterances, texts) if u.role in roles and x)


def _turns(t: Transcript, texts: list[str]) -> list[tuple[str, str, int]]:
    """Consecutive utterances of one role joined into turns: (role, text, first utterance index)."""
    out: list[tuple[str, str, int]] = []
    for i, (u, x) in enumerate(zip(t.utterances, texts)):
        role = "customer" if u.role in CUSTOMER_SIDE else "agent"
        if out and out[-1][0] == role:
            out[-1] = (role, out[-1][1] + " " + x, out[-1][2])
        else:
            out.append((role, x, i))
    return out


def _trajectory(t: Transcript, p: list[float]) -> dict:
    """Customer sentiment over the first and the last third of their utterances."""
    cust = [x for u, x in zip(t.utterances, p) if u.role in CUSTOMER_SIDE]
    if len(cust) < 2:
        return {"start": None, "end": None, "delta": None}
    third = max(1, len(cust) // 3)
    start, end = float(np.mean(cust[:third])), float(np.mean(cust[-third:]))
    return {"start": round(start, 4), "end": round(end, 4), "delta": round(end - start, 4)}
