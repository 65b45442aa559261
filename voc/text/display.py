"""Text as a reviewer sees it (dashboard pages, xlsx/CSV exports): bidi controls neutralised and
NUL bytes stripped, while the stored text keeps them (it is the record of what was said or
sent). An RTL override would reorder what a reviewer reads ("我要投诉你们 abc 您好诉投要我");
each bidi control is shown as a visible mark naming it instead, so the tampering is seen.

    neutral("您好\u202e我要投诉\x00")   # -> "您好[U+202E]我要投诉"
"""

from __future__ import annotations

import re

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_FOUND = re.compile(f"[\x00{BIDI}]")
_CHARS = "\x00" + BIDI


def _mark(m: re.Match) -> str:
    c = m.group()
    return "" if c == "\x00" else f"[U+{ord(c):04X}]"


def neutral(text):
    """`text` with bidi controls shown as [U+XXXX] and NULs removed; other values as they are.
    A markupsafe.Markup stays Markup (only these characters change, never the markup)."""
    if not isinstance(text, str) or not any(c in text for c in _CHARS):  # fast: pages inline MBs of JS
        return text
    out = _FOUND.sub(_mark, text)
    return type(text)(out) if type(text) is not str else out


def neutral_data(obj):
    """`obj` (dicts, lists, strings) with every string neutral: for JSON a page embeds, where a
    NUL would otherwise travel as \\u0000 and come back in the browser."""
    if isinstance(obj, str):
        return neutral(obj)
    if isinstance(obj, dict):
        return {neutral_data(k): neutral_data(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [neutral_data(v) for v in obj]
    return obj


def neutral_dumps(obj, **kw) -> str:
    """json.dumps of neutral_data(obj) (the pages' `tojson`)."""
    import json

    return json.dumps(neutral_data(obj), **kw)
