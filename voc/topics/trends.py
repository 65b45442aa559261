"""Topics over time (day or week) and per class (product line, risk level, team, channel).

Input: assignment rows (dicts) with `topic`, `topic_label` and the fields to group by: `time`
(ISO string, date or datetime) and class values. Output: plain lists of dicts, ready for CSV,
the workspace or charts. Shares are within the period or class, so a quiet day and a busy
day compare.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

FREQS = ("day", "week")


def period_of(value, freq: str = "day") -> str | None:
    """The day (YYYY-MM-DD) or ISO week's Monday (YYYY-MM-DD) of a time value; None if absent
    or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        d = value.date()
    elif isinstance(value, date):
        d = value
    else:
        from voc.sources import parse_time

        try:
            t = parse_time(value)
        except (ValueError, TypeError, OverflowError, OSError):
            return None
        d = t.date() if isinstance(t, datetime) else t
    if freq == "week":
        d = d - timedelta(days=d.weekday())
    return d.isoformat()


def _table(rows, key_fn, key_name: str) -> list[dict]:
    counts: dict[str, Counter] = defaultdict(Counter)
    labels: dict[int, str] = {}
    for r in rows:
        key = key_fn(r)
        if key is None:
            continue
        counts[key][r["topic"]] += 1
        labels.setdefault(r["topic"], r.get("topic_label", ""))
    out = []
    for key in sorted(counts):
        total = sum(counts[key].values())
        for topic, n in sorted(counts[key].items(), key=lambda kv: (-kv[1], kv[0])):
            out.append({key_name: key, "topic": topic, "topic_label": labels[topic], "count": n,
                        "share": round(n / total, 4), "total": total})
    return out


def over_time(rows: list[dict], freq: str = "day", time_key: str = "time") -> list[dict]:
    """Rows {period, topic, topic_label, count, share, total} per day or week, sorted."""
    if freq not in FREQS:
        from voc.errors import ConfigError

        raise ConfigError(f"unknown period {freq!r}: use day or week")
    return _table(rows, lambda r: period_of(r.get(time_key), freq), "period")


def per_class(rows: list[dict], class_key: str) -> list[dict]:
    """Rows {class, topic, topic_label, count, share, total} for one class field."""
    def key(r):
        v = r.get(class_key)
        return None if v is None or v == "" or isinstance(v, (list, dict)) else str(v)

    return _table(rows, key, "class")


def topic_sizes(rows: list[dict]) -> list[dict]:
    """Rows {topic, topic_label, count, share} over all assignments, largest first."""
    return [{k: v for k, v in r.items() if k not in ("all", "total")}
            for r in _table(rows, lambda r: "all", "all")]


def rising(rows: list[dict], freq: str = "day", time_key: str = "time",
           min_count: int = 3) -> list[dict]:
    """Topics whose share in the last period grew most against the periods before it:
    {topic, topic_label, period, count, share, previous_share, change}, largest change first."""
    table = over_time(rows, freq, time_key)
    periods = sorted({r["period"] for r in table})
    if len(periods) < 2:
        return []
    last, before = periods[-1], periods[:-1]
    totals = {p: next(r["total"] for r in table if r["period"] == p) for p in periods}
    prev_total = sum(totals[p] for p in before)
    prev: Counter = Counter()
    for r in table:
        if r["period"] != last:
            prev[r["topic"]] += r["count"]
    out = []
    for r in table:
        if r["period"] == last and r["count"] >= min_count:
            p = prev[r["topic"]] / prev_total if prev_total else 0.0
            out.append({"topic": r["topic"], "topic_label": r["topic_label"], "period": last,
                        "count": r["count"], "share": r["share"], "previous_share": round(p, 4),
                        "change": round(r["share"] - p, 4)})
    return sorted(out, key=lambda r: -r["change"])


def share_rises(rows: list[dict], freq: str = "day", time_key: str = "time", *,
                min_count: int = 5, min_ratio: float = 2.0, min_z: float = 3.0) -> list[dict]:
    """Known topics whose share in the last period rose sharply against their own history
    (every period before it): at least `min_count` texts, at least `min_ratio` times the
    earlier share, and a binomial z-score of at least `min_z` (so a small night's noise is not
    a rise). A new theme told in known words lands in a known topic and shows up here, not as
    an emerging topic. Rows as `rising`, plus ratio and z, largest z first; 未归类 (-1) is left
    out."""
    import math

    out = []
    for r in rising(rows, freq, time_key, min_count=min_count):
        if r["topic"] == -1:
            continue
        p = max(r["previous_share"], 0.5 / max(1, _history_total(rows, freq, time_key, r["period"])))
        n = round(r["count"] / r["share"]) if r["share"] else 0
        z = (r["share"] - p) / math.sqrt(p * (1 - p) / n) if n and p < 1 else 0.0
        ratio = r["share"] / p
        if ratio >= min_ratio and z >= min_z:
            out.append({**r, "ratio": round(ratio, 2), "z": round(z, 2)})
    return sorted(out, key=lambda r: -r["z"])


def _history_total(rows, freq, time_key, last) -> int:
    return sum(1 for r in rows if (p := period_of(r.get(time_key), freq)) is not None and p < last)
