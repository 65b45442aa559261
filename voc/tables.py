"""Rows of the files banks export: CSV, TSV (or .txt sniffed as either), JSONL and XLSX, in
UTF-8 (BOM or not), UTF-16 with BOM or GB18030 (decided from the bytes). A row comes as
`(row number, cells or None, reason or None)`: a row that cannot be read (undecodable bytes,
an unclosed quote, also one still open at the end of the file, bad JSON, more cells than the
header, a row of delimiters only such as `,,`) carries its reason and the others go on; a file
with a header row and no data rows is an InputError; rows are numbered as Excel shows them
(header = row 1; JSONL rows are lines).
`voc.sources` makes Transcript records of them; `read_table` serves any table with a header
row (the manifests of `voc run`).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

from voc.errors import InputError, choices

EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "txt", ".jsonl": "jsonl",
              ".ndjson": "jsonl", ".xlsx": "xlsx", ".xlsm": "xlsx"}
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?")


# ---------------------------------------------------------------- format and encoding


def detect_format(path, encoding: str | None = None) -> str:
    """'transcripts', 'csv', 'tsv', 'jsonl' or 'xlsx', from the extension and the first record."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext == ".xls":
        raise InputError(path, "old .xls workbooks are not supported: save it as .xlsx or .csv")
    if ext not in EXTENSIONS:
        raise InputError(path, f"unsupported file type {ext or '(no extension)'!r}: "
                               f"use {choices(sorted(EXTENSIONS))}")
    kind = EXTENSIONS[ext]
    if kind in ("jsonl", "txt"):
        first = _first_line(p, encoding or detect_encoding(p))
        if kind == "txt":
            return "tsv" if "\t" in first else "csv"
        try:
            obj = json.loads(first)
        except ValueError:
            return "jsonl"
        return "transcripts" if isinstance(obj, dict) and "utterances" in obj else "jsonl"
    return kind


def detect_encoding(path) -> str:
    """'utf-8-sig', 'utf-16', 'utf-8' or 'gb18030', from the bytes of a text file.

    A UTF-8 file with a few damaged rows stays UTF-8 (those rows become RowErrors).
    """
    with open(path, "rb") as f:
        head = f.read(4)
        if not head:
            raise InputError(path, "empty file")
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
        f.seek(0)
        dec = codecs.getincrementaldecoder("utf-8")()
        pos = 0
        try:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                dec.decode(chunk)
                pos += len(chunk)
            dec.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        f.seek(max(0, pos - 64))  # judge the bytes where UTF-8 failed, not an ASCII-only start
        sample = f.read(1 << 22)
    if b"\x00" in sample:
        raise InputError(path, "binary data, not a text table (UTF-8, UTF-16 with BOM or GB18030)")
    for enc in ("utf-8", "gb18030"):
        text = sample.decode(enc, "replace")
        bad = text.count("\ufffd")
        good = sum(1 for ch in text if ord(ch) > 127) - bad
        if bad * 10 <= max(good, 10):  # mostly decodes: the right encoding with a few bad rows
            return enc
    raise InputError(path, "cannot decode the text: not UTF-8, UTF-16 with BOM or GB18030/GBK")


def _first_line(p: Path, encoding: str) -> str:
    with open(p, encoding=encoding, errors="replace", newline="") as f:
        for line in f:
            if line.strip():
                return line.strip()
    raise InputError(p, "empty file")


def _decoded_lines(path: Path, encoding: str, damaged: list[bool]) -> Iterator[str]:
    """Lines of text; a line with bytes that do not decode sets damaged[0]."""
    if encoding == "utf-16":
        with open(path, encoding=encoding, errors="replace", newline="") as f:
            for line in f:
                if "\ufffd" in line:
                    damaged[0] = True
                yield line
        return
    with open(path, "rb") as f:  # b"\n" never occurs inside a UTF-8 or GB18030 character
        for raw in f:
            try:
                yield raw.decode(encoding)
            except UnicodeDecodeError:
                damaged[0] = True
                yield raw.decode(encoding, "replace")


# ---------------------------------------------------------------- raw rows: (row, cells, reason)


def _delimited_rows(path: Path, encoding: str, delimiter: str):
    damaged = [False]
    record: list[str] = []   # the lines of the record being read

    def lines():
        for line in _decoded_lines(path, encoding, damaged):
            record.append(line)
            yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    name = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
    pending = None
    for n in itertools.count(1):
        first_line = reader.line_num + 1
        record.clear()
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            damaged[0] = False
            if pending:
                yield pending[:3]
                pending = None
            yield n, None, f"unreadable row ({e}; an unclosed quote?)"
            continue
        bad, damaged[0] = damaged[0], False
        if pending:
            yield pending[:3]
        pending = (n, cells, f"undecodable bytes (the file is read as {name})" if bad else None,
                   "".join(record), first_line)
    if pending:  # the last record: a quote still open at the end of the file swallows the rest
        n, cells, reason, raw, first_line = pending
        if reason is None and _unclosed(raw, delimiter):
            cells, reason = None, (f"unclosed quote: a quoted cell opened on line {first_line} runs "
                                   f"to the end of the file")
        yield n, cells, reason


def _unclosed(raw: str, delimiter: str) -> bool:
    try:
        list(csv.reader(io.StringIO(raw), delimiter=delimiter, strict=True))
    except csv.Error as e:
        return "end of data" in str(e)
    return False


def _xlsx_rows(path: Path, sheet):
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a dependency
        raise InputError(path, "reading .xlsx needs openpyxl: pip install openpyxl") from None
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - re-raised as a one-line voc error
        raise InputError(path, f"not a readable .xlsx workbook ({type(e).__name__}: {e})") from None
    names = wb.sheetnames
    if sheet is None:
        ws = wb.worksheets[0]
    elif isinstance(sheet, int) and 0 <= sheet < len(names):
        ws = wb.worksheets[sheet]
    elif sheet in names:
        ws = wb[sheet]
    else:
        wb.close()
        raise InputError(path, f"no sheet {sheet!r}: the sheets are {choices(names)}")
    ws.reset_dimensions()  # some writers record wrong dimensions; read what is there

    def rows():
        try:
            for n, values in enumerate(ws.iter_rows(min_row=1, values_only=True), 1):
                cells = list(values)
                while cells and cells[-1] is None:
                    cells.pop()
                yield n, cells, None
        finally:
            wb.close()

    return rows()


def jsonl_rows(path: Path, encoding: str):
    damaged = [False]
    for n, line in enumerate(_decoded_lines(path, encoding, damaged), 1):
        bad, damaged[0] = damaged[0], False
        if not line.strip():
            continue
        if bad:
            yield n, None, "undecodable bytes"
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            yield n, None, f"not valid JSON ({e})"
            continue
        if not isinstance(obj, dict):
            yield n, None, f"not a JSON object but {type(obj).__name__}"
            continue
        yield n, obj, None


def cell_text(v) -> str:
    """A cell as text: integers without '.0', times in ISO form, stripped."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (datetime, date, dtime)):
        return v.isoformat()
    return str(v).strip()


def _is_blank(cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def looks_like_header(cells: list) -> bool:
    """Names: all present, distinct, short, none a number (celine's `text,5` is data)."""
    names = [c.strip() if isinstance(c, str) else c for c in cells]
    return (bool(names) and all(isinstance(c, str) and c and len(c) <= 64
                                and not _NUMBER.fullmatch(c) for c in names)
            and len(set(names)) == len(names))


def _header_names(cells: list) -> list[str]:
    out: list[str] = []
    for i, c in enumerate(cells):
        name = cell_text(c) or str(i)
        base, k = name, 1
        while name in out:
            name, k = f"{base}.{k}", k + 1
        out.append(name)
    return out


# ---------------------------------------------------------------- tables

def readable(path) -> tuple[Path, str]:
    p, src = Path(path), str(path)
    if not p.exists():
        raise InputError(src, "no such file")
    if not p.is_file():
        raise InputError(src, "not a file")
    if p.stat().st_size == 0:
        raise InputError(src, "empty file")
    return p, src


def read_table(path, format: str | None = None) -> tuple[list[str], Iterator]:
    """A CSV/TSV/JSONL/XLSX table with a header row (a manifest, say): its columns, and its
    rows as `(row number, dict of cells or None, reason or None)`; a row that cannot be read
    comes with the reason and the others go on. File-level problems raise InputError."""
    p, src = readable(path)
    enc = None if p.suffix.lower() in (".xlsx", ".xlsm") else detect_encoding(p)
    fmt = format or detect_format(p, enc)
    columns, _, rows = table_rows(p, src, "jsonl" if fmt == "transcripts" else fmt, enc, None,
                                   lambda first: True)
    return columns, rows


def table_rows(p: Path, src: str, fmt: str, enc, sheet, is_header) -> tuple[list[str], bool, Iterator]:
    """(columns, has a header row, rows as (n, dict | None, reason)) of a csv/tsv/jsonl/xlsx
    file; `is_header(first cells)` decides for the tables."""
    if fmt == "jsonl":
        rows = jsonl_rows(p, enc)
        ahead = []
        for item in rows:
            ahead.append(item)
            if item[1] is not None:
                break
        first = next((r for _, r, _ in ahead if r is not None), None)
        if first is None:
            raise InputError(src, "no JSON object in the file")
        return list(first), True, itertools.chain(ahead, rows)
    rows = _xlsx_rows(p, sheet) if fmt == "xlsx" else _delimited_rows(
        p, enc, "\t" if fmt == "tsv" else ",")
    ahead = []
    for item in rows:
        ahead.append(item)
        if item[1] is not None and not _is_blank(item[1]):
            break
    if not ahead or ahead[-1][1] is None or _is_blank(ahead[-1][1]):
        raise InputError(src, "no rows in the file")
    first = ahead[-1][1]
    has_header = is_header(first)
    if has_header:
        columns = _header_names(first)
        ahead.pop()
        for item in rows:  # look past blank lines for a first data row
            ahead.append(item)
            if item[1] is None or any(c is not None for c in item[1]):
                break
        if all(cells is not None and all(c is None for c in cells) for _, cells, _ in ahead):
            raise InputError(src, f"only a header row ({', '.join(columns)}), no data rows")
    else:
        columns = [str(i) for i in range(len(first))]
    return columns, has_header, _as_dicts(itertools.chain(ahead, rows), columns, has_header)


def _as_dicts(rows, columns: list[str], has_header: bool):
    width = len(columns)
    for n, cells, reason in rows:
        if cells is None or reason:
            yield n, None, reason
            continue
        if _is_blank(cells):
            if any(c is not None for c in cells):  # `,,`: a row of empty cells, not a blank line
                yield n, None, "empty row (only delimiters, no values)"
            continue
        if has_header and len(cells) > width and not _is_blank(cells[width:]):
            yield n, None, (f"{len(cells)} cells but the header has {width} "
                            f"(a delimiter inside an unquoted text?)")
            continue
        names = columns if len(cells) <= width else columns + [str(i) for i in range(width, len(cells))]
        yield n, dict(zip(names, cells)), None
