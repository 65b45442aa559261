"""Timing facts of a call from its utterance times, across both channels.

- silence (dead air): a gap in which nobody speaks, between the end of the latest utterance so
  far (of either channel) and the start of the next one; attributed to the utterance that ends
  it (who broke the silence). Silence before the first utterance is not counted.
- overtalk: an utterance that starts while another speaker (channel) is still talking; its length
  is the overlap with the talk it cut into; attributed to the one who started later.
- response delay: at a change of speaker, the time from the end of the other speaker's latest
  utterance to the start of this one (a response that overlaps has no delay).
- speech rate: characters per minute of one utterance: `features.speech_rate_cpm` when the
  transcriber measured it, else characters (without punctuation and spaces) / (end - start).
- duration: `duration_s`, else last end - first start.

Texts have no timing (start/end null): `has_spans`/`has_times` say what can be computed, and
the evaluator marks timing conditions "not applicable" instead of computing anything. Chats
with message times (start = end) have times but no spans: response delay and duration work,
silence, overtalk and speech rate do not.
"""

from __future__ import annotations

import re

from voc.schema import Transcript, Utterance

_NON_SPEECH = re.compile(r"[\W_]+")


def has_times(utts: list[Utterance]) -> bool:
    return bool(utts) and all(isinstance(u.start, (int, float)) for u in utts)


def has_spans(utts: list[Utterance]) -> bool:
    return (has_times(utts) and all(isinstance(u.end, (int, float)) for u in utts)
            and any(u.end > u.start for u in utts))


def _order(utts: list[Utterance]) -> list[int]:
    return sorted(range(len(utts)), key=lambda i: (utts[i].start, i))


def silences(utts: list[Utterance]) -> list[tuple[int, float, float]]:
    """(utterance that ends the gap, gap start, gap end) for every gap between utterances."""
    out = []
    order = _order(utts)
    running = None
    for i in order:
        u = utts[i]
        if running is not None and u.start > running:
            out.append((i, running, u.start))
        running = u.end if running is None else max(running, u.end)
    return out


def overlaps(utts: list[Utterance]) -> list[tuple[int, float, float]]:
    """(utterance that started talking over another speaker, overlap start, overlap end)."""
    out = []
    latest: dict[str, float] = {}     # speaker -> latest end so far
    for i in _order(utts):
        u = utts[i]
        ends = [e for spk, e in latest.items() if spk != u.speaker and e > u.start]
        if ends:
            out.append((i, u.start, min(max(ends), u.end)))
        latest[u.speaker] = max(latest.get(u.speaker, u.end), u.end)
    return out


def delays(utts: list[Utterance]) -> list[tuple[int, float, float]]:
    """(responding utterance, end of what it responds to, its start) at each change of speaker."""
    out = []
    prev = None
    for i in _order(utts):
        u = utts[i]
        if prev is not None and utts[prev].speaker != u.speaker:
            p_end = utts[prev].end if utts[prev].end is not None else utts[prev].start
            out.append((i, p_end, u.start))
        if prev is None or (u.end if u.end is not None else u.start) >= \
                (utts[prev].end if utts[prev].end is not None else utts[prev].start):
            prev = i
    return out


def chars(text: str) -> int:
    return len(_NON_SPEECH.sub("", text))


def speech_rate(u: Utterance) -> float | None:
    v = u.features.get("speech_rate_cpm") if u.features else None
    if isinstance(v, (int, float)) and v > 0:
        return float(v)
    if isinstance(u.start, (int, float)) and isinstance(u.end, (int, float)) and u.end > u.start:
        return chars(u.text) / (u.end - u.start) * 60
    return None


def duration(t: Transcript) -> float | None:
    if isinstance(t.duration_s, (int, float)) and t.duration_s > 0:
        return float(t.duration_s)
    if has_times(t.utterances):
        ends = [u.end if isinstance(u.end, (int, float)) else u.start for u in t.utterances]
        return max(ends) - min(u.start for u in t.utterances)
    return None
