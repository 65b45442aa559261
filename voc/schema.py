"""Records exchanged between stages (DESIGN.md, "The exchange format").

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


def mmss(seconds: float) -> str:
    """An utterance time as QA staff quote it: 03:07 (minutes may pass 59)."""
    s = int(seconds)
    return f"{s // 60:02d}:{s % 60:02d}"


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


def write_transcripts(path, transcripts) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as f:
        for t in transcripts:
            f.write(t.to_json() + "\n")
            n += 1
    return n
