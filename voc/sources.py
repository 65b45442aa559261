"""Text contacts from files: tables of texts and transcripts JSONL -> Transcript records.

`read_records(path, text_col=...)` streams `Transcript | RowError` and never prints:

- transcripts JSONL (the exchange format; the first record has `utterances`) comes through as is;
- tables (CSV, TSV, .txt sniffed as TSV/CSV, JSONL of flat objects, XLSX) become one Transcript
  per row, or one per group value with `group_col` (a chat session: one utterance per row, in
  file order).

Decisions (they are part of the exchange contract, change them with care):

- id: the `id_col` value (prefixed "NAMESPACE:" with `id_namespace`); with `group_col` the group
  value (likewise); else sha256 of
  "file name NUL row number NUL text" (hex). The file name without its folder keeps ids stable
  when the same file is read from another place; the row number keeps repeated short texts
  ("好的") apart; the text makes an edited or re-sorted export give new ids, not stale ones.
- role: single rows are written by the customer (complaint forms, reviews, survey comments):
  role "customer", speaker "text". Grouped rows without `role_col` are "unknown". With
  `role_col`, values such as 客服/坐席/agent/1 are "agent", 客户/用户/customer/0 "customer",
  anything else "unknown"; the raw value is kept as the speaker.
- channel: "text" for single rows, "chat" for groups; `channel=` sets it, `channel_col=` reads it.
- meta: the other columns of the row (group: the value when the same on every row, else a list
  aligned with the utterances), `source_row(s)` (Excel-style row numbers), and `time` as an ISO
  string from `time_col`. Grouped rows with times also get start = end = seconds since the
  first message and duration_s; otherwise timings are null.
- rows are numbered as a user sees them in Excel: the header is row 1; JSONL rows are lines.
  Bad rows (empty text or id, a missing cell, undecodable bytes, a bad time, a duplicate id)
  come out as RowError and are skipped. A missing column fails the whole file (InputError).
- encoding: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312),
  decided from the bytes; `Records.encoding` tells which. Grouping holds the file's rows in
  memory (sessions are often interleaved in time-sorted exports); single rows stream.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path
from typing import Any

from voc.errors import ConfigError, InputError, choices
from voc.schema import Transcript, Utterance
from voc.tables import cell_text, detect_encoding, detect_format, jsonl_rows, looks_like_header, readable, table_rows

FORMATS = ("transcripts", "csv", "tsv", "jsonl", "xlsx")
TEXT_COLUMNS = ("text", "content", "review", "文本", "内容", "正文")  # used when no text_col is given
AGENT_VALUES = {"agent", "1", "客服", "坐席", "座席", "客服人员", "人工客服", "员工", "staff", "service",
                "seller", "商家", "a"}
CUSTOMER_VALUES = {"customer", "0", "客户", "用户", "顾客", "来电人", "持卡人", "user", "client",
                   "buyer", "买家", "c"}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:[ T]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})(\.\d+)?秒?)?分?)?"
                   r"\s*(Z|[+-]\d{2}:?\d{2})?")


@dataclass(frozen=True)
class RowError:
    """One row that was skipped: 1-based row number as in Excel (header = row 1) and why."""

    path: str
    row: int
    reason: str

    @property
    def where(self) -> str:
        """The row as a failure list names it: FILE: row N."""
        return f"{self.path}: row {self.row}"

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "row": self.row, "reason": self.reason}


class Records:
    """Iterator of Transcript | RowError with what was learned about the file.

    `transcripts` and `errors` count what has been yielded so far.
    """

    def __init__(self, path: str, format: str, encoding: str | None, columns: list[str],
                 header: bool, items: Iterator):
        self.path, self.format, self.encoding = path, format, encoding
        self.columns, self.header = columns, header
        self.transcripts = self.errors = 0
        self._items = items

    def __iter__(self):
        return self

    def __next__(self) -> Transcript | RowError:
        item = next(self._items)
        if isinstance(item, RowError):
            self.errors += 1
        else:
            self.transcripts += 1
        return item

    def close(self) -> None:
        close = getattr(self._items, "close", None)
        if close:
            close()

    def info(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "encoding": self.encoding,
                "columns": self.columns, "header": self.header,
                "transcripts": self.transcripts, "errors": self.errors}


def read_all(path, **kwargs) -> tuple[list[Transcript], list[RowError]]:
    """read_records collected: (transcripts, row errors)."""
    good, bad = [], []
    for r in read_records(path, **kwargs):
        (bad if isinstance(r, RowError) else good).append(r)
    return good, bad


# ---------------------------------------------------------------- values


def _jsonable(v):
    if isinstance(v, (datetime, date, dtime)):
        return v.isoformat()
    if isinstance(v, timedelta):
        return v.total_seconds()
    return v


def parse_time(v) -> datetime | date:
    """A time cell -> datetime (or date). ISO and common Chinese/Excel forms, yyyymmdd[HHMMSS],
    Unix seconds or milliseconds (as UTC). Raises ValueError."""
    if isinstance(v, (datetime, date)):
        return v
    s = cell_text(v)
    if not s:
        raise ValueError("empty")
    if s.isdigit():
        if len(s) == 8:
            return datetime.strptime(s, "%Y%m%d").date()
        if len(s) == 14:
            return datetime.strptime(s, "%Y%m%d%H%M%S")
        if len(s) in (10, 13):
            return datetime.fromtimestamp(int(s) / (1000 if len(s) == 13 else 1), timezone.utc)
        raise ValueError(s)
    m = _DATE.fullmatch(s)
    if not m:
        return datetime.fromisoformat(s)
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    if hh is None:
        if tz:
            raise ValueError(s)
        return date(int(y), int(mo), int(d))
    t = datetime(int(y), int(mo), int(d), int(hh), int(mi), int(ss or 0),
                 int(round(float(frac or 0) * 1e6)))
    if tz:
        t = t.replace(tzinfo=timezone.utc if tz == "Z" else
                      datetime.strptime(tz.replace(":", ""), "%z").tzinfo)
    return t


def role_of(value) -> str:
    """A role column value -> agent, customer or unknown."""
    s = cell_text(value).lower()
    if s in AGENT_VALUES:
        return "agent"
    if s in CUSTOMER_VALUES:
        return "customer"
    return "unknown"


def row_id(path, row: int, text: str) -> str:
    """The id of a row without an id column (see the module notes)."""
    return hashlib.sha256(f"{Path(path).name}\0{row}\0{text}".encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- reading


def read_records(path, *, text_col: str | int | None = None, id_col: str | int | None = None,
                 time_col: str | int | None = None, group_col: str | int | None = None,
                 role_col: str | int | None = None, channel: str | None = None,
                 channel_col: str | int | None = None, header: bool | None = None,
                 sheet: str | int | None = None, format: str | None = None,
                 encoding: str | None = None, id_namespace: str | None = None) -> Records:
    """Open a transcripts JSONL or a table of texts; iterate the result for
    `Transcript | RowError` in file order (grouped: errors first, then the groups).

    Columns are names, or 0-based numbers (ints or digit strings). `header=None` decides: a
    first row is the header when a column is given by name, or, with numbers only, when it
    looks like names. File-level problems raise InputError at once. `id_namespace` ("crm",
    say) makes ids from `id_col`/`group_col` "crm:T001" (the raw value kept as
    meta["source_id"]), so two systems' ticket numbers cannot meet in one workspace.
    """
    p, src = readable(path)
    if format is not None and format not in FORMATS:
        raise ConfigError(f"unknown format {format!r}: use {choices(FORMATS)}")
    if group_col is not None and id_col is not None and id_col != group_col:
        raise ConfigError("give id_col or group_col, not both: a grouped record's id is its group value")
    enc = None if p.suffix.lower() in (".xlsx", ".xlsm") or format == "xlsx" else (
        encoding or detect_encoding(p))
    fmt = format or detect_format(p, enc)
    if fmt == "transcripts":
        return Records(src, fmt, enc, [], True, _transcripts(src, jsonl_rows(p, enc)))

    named = [c for c in (text_col, id_col, time_col, group_col, role_col, channel_col)
             if c is not None and not _is_index(c)]

    def is_header(first: list) -> bool:
        return header if header is not None else (
            bool(named) or text_col is None or looks_like_header(first))

    columns, has_header, rows = table_rows(p, src, fmt, enc, sheet, is_header)

    def col(ref, what):
        return _resolve(src, ref, columns, has_header, what)

    if text_col is None:
        text_key = next((c for c in columns if c.lower() in TEXT_COLUMNS), None)
        if text_key is None:
            raise InputError(src, f"which column holds the text? give text_col (a name, or a "
                                  f"0-based number when the file has no header row); the first "
                                  f"row has {choices(columns)}")
    else:
        text_key = col(text_col, "text")
    keys = dict(text=text_key, id=col(id_col, "id"), time=col(time_col, "time"),
                group=col(group_col, "group"), role=col(role_col, "role"),
                channel=col(channel_col, "channel"))
    items = (_grouped if keys["group"] else _single)(src, rows, keys, channel)
    if id_namespace and (keys["id"] or keys["group"]):
        items = _namespaced(items, id_namespace)
    return Records(src, fmt, enc, columns, has_header, items)


def _namespaced(items, namespace: str):
    """Ids from an id or group column as NAMESPACE:value (the raw value stays in meta)."""
    for t in items:
        if isinstance(t, Transcript):
            t.meta.setdefault("source_id", t.id)
            t.id = f"{namespace}:{t.id}"
        yield t


def _is_index(ref) -> bool:
    return isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit())


def _resolve(src, ref, columns, has_header, what) -> str | None:
    if ref is None:
        return None
    if isinstance(ref, str) and ref in columns:
        return ref
    if _is_index(ref):
        i = int(ref)
        if i >= len(columns):
            raise InputError(src, f"no {what} column {i}: the file has {len(columns)} columns "
                                  f"(0 to {len(columns) - 1})")
        return columns[i]
    folded = [c for c in columns if c.lower() == str(ref).strip().lower()]
    if len(folded) == 1:
        return folded[0]
    hint = "" if has_header else " (the file has no header row: give columns as 0-based numbers)"
    raise InputError(src, f"no {what} column {ref!r}; the columns are {choices(columns)}{hint}")


def _transcripts(src, rows):
    seen: dict[str, int] = {}
    for n, obj, reason in rows:
        if reason:
            yield RowError(src, n, reason)
            continue
        try:
            t = Transcript.from_dict(obj)
        except (KeyError, ValueError, TypeError, AttributeError) as e:
            yield RowError(src, n, f"not a transcript record ({type(e).__name__}: {e})")
            continue
        if t.id in seen:
            yield RowError(src, n, f"duplicate id {t.id!r} (first in row {seen[t.id]})")
            continue
        seen[t.id] = n
        yield t


def _parse_row(src, n, row, keys):
    """(text, fields, meta) or a RowError. fields: id, time, role, speaker, channel, group."""
    for what, key in keys.items():
        if key is not None and key not in row:
            return RowError(src, n, f"no value for the {what} column {key!r} (the row is short)")
    text = cell_text(row[keys["text"]])
    if not text:
        return RowError(src, n, f"empty text in column {keys['text']!r}")
    f: dict[str, Any] = {}
    if keys["id"]:
        f["id"] = cell_text(row[keys["id"]])
        if not f["id"]:
            return RowError(src, n, f"empty id in column {keys['id']!r}")
    if keys["group"]:
        f["group"] = cell_text(row[keys["group"]])
        if not f["group"]:
            return RowError(src, n, f"empty group value in column {keys['group']!r}")
    f["time"] = None
    if keys["time"]:
        try:
            f["time"] = parse_time(row[keys["time"]])
        except (ValueError, TypeError, OverflowError, OSError):
            return RowError(src, n, f"bad time {cell_text(row[keys['time']])!r} in column "
                                    f"{keys['time']!r}")
    if keys["role"]:
        f["speaker"] = cell_text(row[keys["role"]]) or "text"
        f["role"] = role_of(row[keys["role"]])
    f["channel"] = cell_text(row[keys["channel"]]) if keys["channel"] else ""
    used = {keys["text"], keys["id"], keys["time"], keys["role"]}
    meta = {k: _jsonable(v) for k, v in row.items() if k not in used}
    if f["time"] is not None:
        meta["time"] = f["time"].isoformat()
    return text, f, meta


def _parsed(src, rows, keys):
    """RowError, or (row number, text, fields, meta) with meta["source_row"], for each row."""
    for n, row, reason in rows:
        parsed = RowError(src, n, reason) if reason else _parse_row(src, n, row, keys)
        if isinstance(parsed, RowError):
            yield parsed
            continue
        text, f, meta = parsed
        meta["source_row"] = n
        yield n, text, f, meta


def _single(src, rows, keys, channel):
    seen: dict[str, int] = {}
    for item in _parsed(src, rows, keys):
        if isinstance(item, RowError):
            yield item
            continue
        n, text, f, meta = item
        rid = f.get("id") or row_id(src, n, text)
        if rid in seen:
            yield RowError(src, n, f"duplicate id {rid!r} (first in row {seen[rid]})")
            continue
        seen[rid] = n
        u = Utterance(start=None, end=None, speaker=f.get("speaker", "text"),
                      role=f.get("role", "customer"), text=text)
        yield Transcript(id=rid, source=src, channel=f["channel"] or channel or "text",
                         duration_s=None, meta=meta, utterances=[u], text=text)


def _grouped(src, rows, keys, channel):
    groups: dict[str, list] = {}
    for item in _parsed(src, rows, keys):
        if isinstance(item, RowError):
            yield item
            continue
        _, text, f, meta = item
        groups.setdefault(f["group"], []).append((text, f, meta))
    for gid, items in groups.items():
        yield _session(src, gid, items, channel)


def _session(src, gid, items, channel) -> Transcript:
    times = [f["time"] for _, f, _ in items]
    offsets, duration = [None] * len(items), None
    if all(t is not None for t in times):
        dts = [t if isinstance(t, datetime) else datetime(t.year, t.month, t.day) for t in times]
        try:
            t0 = min(dts)
            offsets = [(t - t0).total_seconds() for t in dts]
            duration = max(offsets)
        except TypeError:  # zone-aware and naive times mixed: no offsets
            pass
    utts = [Utterance(start=o, end=o, speaker=f.get("speaker", "text"),
                      role=f.get("role", "unknown"), text=text)
            for (text, f, _), o in zip(items, offsets)]
    metas = [m for _, _, m in items]
    meta: dict[str, Any] = {}
    for key in dict.fromkeys(k for m in metas for k in m):
        if key in ("source_row", "time"):
            continue
        values = [m.get(key) for m in metas]
        meta[key] = values[0] if all(v == values[0] for v in values) else values
    if times[0] is not None:
        meta["time"] = metas[0]["time"] if duration is None else \
            next(m["time"] for m, o in zip(metas, offsets) if o == 0)
    meta["source_rows"] = [m["source_row"] for m in metas]
    ch = next((f["channel"] for _, f, _ in items if f["channel"]), "") or channel or "chat"
    return Transcript(id=gid, source=src, channel=ch, duration_s=duration, meta=meta,
                      utterances=utts)
