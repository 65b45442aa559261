"""Records exchanged between stages (docs/format.md, "The exchange format").

Each record converts to and from the JSON objects of transcripts.jsonl; optional fields that
are empty are left out of the JSON so the files stay small and stable.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

ROLES = ("agent", "customer", "unknown")


@dataclass
class Utterance:
    start: float | None
    end: float | None
    speaker: str
    role: str
    text: str
    # optional extras: acoustic features, SenseVoice emotion and audio events
    features: dict[str, float] = field(default_factory=dict)
    emotion: str | None = None
    events: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {self.role!r}")

    def to_dict(self) -> dict[str, Any]:
        d = {"start": self.start, "end": self.end, "speaker": self.speaker,
             "role": self.role, "text": self.text}
        if self.features:
            d["features"] = self.features
        if self.emotion:
            d["emotion"] = self.emotion
        if self.events:
            d["events"] = list(self.events)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Utterance":
        return cls(start=d.get("start"), end=d.get("end"), speaker=str(d.get("speaker", "")),
                   role=d.get("role") or "unknown", text=d.get("text", ""),
                   features=dict(d.get("features") or {}), emotion=d.get("emotion"),
                   events=list(d.get("events") or []))


@dataclass
class Transcript:
    id: str
    source: str
    channel: str
    duration_s: float | None
    meta: dict[str, Any] = field(default_factory=dict)
    utterances: list[Utterance] = field(default_factory=list)
    text: str = ""

    def __post_init__(self):
        if not self.text and self.utterances:
            self.text = join_text(self.utterances)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "channel": self.channel,
                "duration_s": self.duration_s, "meta": self.meta,
                "utterances": [u.to_dict() for u in self.utterances], "text": self.text}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Transcript":
        return cls(id=str(d["id"]), source=str(d.get("source", "")),
                   channel=d.get("channel") or "call", duration_s=d.get("duration_s"),
                   meta=dict(d.get("meta") or {}),
                   utterances=[Utterance.from_dict(u) for u in d.get("utterances") or []],
                   text=d.get("text") or "")

    @classmethod
    def from_json(cls, line: str) -> "Transcript":
        return cls.from_dict(json.loads(line))


@dataclass
class Failure:
    """An input that could not be processed, with a one-line reason."""

    source: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


SENTIMENT_LABELS = ("negative", "neutral", "positive")
RISK_LEVELS = ("low", "medium", "high")


def _unit(x: Any, what: str) -> float:
    x = float(x)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{what} must be in [0, 1], got {x}")
    return x


@dataclass
class Sentiment:
    label: str                 # negative | neutral | positive
    positive: float            # probability of positive, in [0, 1]

    def __post_init__(self):
        if self.label not in SENTIMENT_LABELS:
            raise ValueError(f"sentiment label must be one of {SENTIMENT_LABELS}, got {self.label!r}")
        self.positive = _unit(self.positive, "sentiment.positive")

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "positive": self.positive}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Sentiment":
        return cls(label=d["label"], positive=d["positive"])


@dataclass
class Risk:
    """Complaint risk: a score in [0, 1], its level, the reasons quoting the evidence (with mm:ss
    times) and the signals that fired (id, name, weight, utterance, start, text, match, detail)."""

    score: float
    level: str                 # low | medium | high
    reasons: list[str] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self):
        if self.level not in RISK_LEVELS:
            raise ValueError(f"risk level must be one of {RISK_LEVELS}, got {self.level!r}")
        self.score = _unit(self.score, "risk.score")

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "level": self.level, "reasons": list(self.reasons),
                "signals": [dict(s) for s in self.signals]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Risk":
        return cls(score=d["score"], level=d["level"], reasons=list(d.get("reasons") or []),
                   signals=[dict(s) for s in d.get("signals") or []])


@dataclass
class Category:
    label: str                 # a class of the category model, e.g. 定价收费类
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": self.score}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Category":
        return cls(label=str(d["label"]), score=float(d["score"]))


# keys of an analysis record that Analysis models; any other key is kept in `extra`
_ANALYSIS_KEYS = ("id", "channel", "sentiment", "sentiment_agent", "trajectory", "utterances", "risk",
                  "category", "dissatisfaction", "redacted", "pii")


@dataclass
class Analysis:
    """One line of analysis.jsonl (docs/format.md): the customer's sentiment over the contact,
    the agent's beside it, per-utterance sentiment, complaint risk and the category."""

    id: str
    sentiment: Sentiment
    risk: Risk
    channel: str | None = None
    sentiment_agent: Sentiment | None = None
    # customer sentiment over the first vs the last third of their utterances
    trajectory: dict[str, float | None] | None = None
    # per utterance: {"i", "role", "positive", "label"}
    utterances: list[dict[str, Any]] = field(default_factory=list)
    category: Category | None = None
    # calibrated P(the customer left dissatisfied) and the customer utterances that drove it:
    # {"probability", "drivers": [{"i", "text", "weight"}]} (voc.analyze.dissatisfaction)
    dissatisfaction: dict[str, Any] | None = None
    redacted: bool = False
    pii: dict[str, int] | None = None          # what redaction masked: kind -> count
    extra: dict[str, Any] = field(default_factory=dict)   # fields this version does not model

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id}
        if self.channel is not None:
            d["channel"] = self.channel
        d["sentiment"] = self.sentiment.to_dict()
        d["risk"] = self.risk.to_dict()
        if self.sentiment_agent is not None:
            d["sentiment_agent"] = self.sentiment_agent.to_dict()
        if self.trajectory is not None:
            d["trajectory"] = dict(self.trajectory)
        if self.utterances:
            d["utterances"] = [dict(u) for u in self.utterances]
        if self.category is not None:
            d["category"] = self.category.to_dict()
        if self.dissatisfaction is not None:
            d["dissatisfaction"] = {k: [dict(x) for x in v] if k == "drivers" else v
                                    for k, v in self.dissatisfaction.items()}
        d["redacted"] = self.redacted
        if self.pii:
            d["pii"] = dict(self.pii)
        d.update(self.extra)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Analysis":
        opt = d.get
        return cls(id=str(d["id"]), sentiment=Sentiment.from_dict(d["sentiment"]),
                   risk=Risk.from_dict(d["risk"]), channel=opt("channel"),
                   sentiment_agent=Sentiment.from_dict(d["sentiment_agent"]) if opt("sentiment_agent") else None,
                   trajectory=dict(d["trajectory"]) if opt("trajectory") else None,
                   utterances=[dict(u) for u in opt("utterances") or []],
                   category=Category.from_dict(d["category"]) if opt("category") else None,
                   dissatisfaction=dict(d["dissatisfaction"]) if opt("dissatisfaction") else None,
                   redacted=bool(opt("redacted", False)), pii=dict(d["pii"]) if opt("pii") else None,
                   extra={k: v for k, v in d.items() if k not in _ANALYSIS_KEYS})

    @classmethod
    def from_json(cls, line: str) -> "Analysis":
        return cls.from_dict(json.loads(line))


def mmss(seconds: float | None) -> str:
    """A time as QA staff quote it and a player shows it: 03:07 for 187.6 s (whole seconds,
    rounded down), 1:02:05 past an hour, — when unknown. The one formatter of CLI, pages,
    risk reasons and exports."""
    if seconds is None:
        return "—"
    s = int(float(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def join_text(utterances: list[Utterance]) -> str:
    return "".join(u.text for u in utterances)


def read_transcripts(path) -> list[Transcript]:
    """Read a transcripts.jsonl file; a bad line fails with its line number."""
    from voc.errors import InputError

    out = []
    with open(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(Transcript.from_json(line))
            except (ValueError, KeyError, TypeError) as e:
                raise InputError(path, f"line {n}: not a transcript record ({e})") from None
    return out


def read_analyses(path) -> list[Analysis]:
    """Read an analysis.jsonl file; a bad line fails with its line number."""
    from voc.errors import InputError

    out = []
    with open(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(Analysis.from_json(line))
                except (ValueError, KeyError, TypeError) as e:
                    raise InputError(path, f"line {n}: not an analysis record ({e})") from None
    return out


def write_transcripts(path, transcripts) -> int:
    from voc.files import open_staged

    n = 0
    with open_staged(path) as f:
        for t in transcripts:
            f.write(t.to_json() + "\n")
            n += 1
    return n
