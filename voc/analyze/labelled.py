"""Read labelled texts for training: CSV/TSV (UTF-8 with or without BOM, else GB18030), JSONL, XLSX.

Columns are given by name or by 0-based index ("0", 1). A CSV whose columns are given by index may
have no header (the celine files are `text,label` without one): with `header=None` the first row
is taken as a header only when its label cell occurs nowhere else in the label column. Rows with
an empty text or label, or too few cells, are skipped and counted.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from voc.errors import InputError

ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass
class Labelled:
    texts: list[str]
    labels: list[str]
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    columns: list[str] = field(default_factory=list)

    def __iter__(self):  # texts, labels = read_labelled(...)
        return iter((self.texts, self.labels))


def read_labelled(path, text_col, label_col, *, header: bool | None = None) -> Labelled:
    """Texts and labels (both str) from a table; unpacks as `texts, labels`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        rows, has_header = _jsonl_rows(path, text_col, label_col), True
    else:
        rows = _xlsx_rows(path) if suffix in (".xlsx", ".xlsm") else _csv_rows(path)
        if not rows:
            raise InputError(path, "empty file")
        has_header = header
    first = rows[0]
    if has_header is None:
        named = not (_is_index(text_col) and _is_index(label_col))
        has_header = named or _looks_like_header(rows, label_col)
    columns = [str(c) for c in first] if has_header else [str(i) for i in range(len(first))]
    ti = _column(path, text_col, columns, has_header)
    li = _column(path, label_col, columns, has_header)
    out = Labelled([], [], columns=columns)
    for n, row in enumerate(rows[1:] if has_header else rows, 2 if has_header else 1):
        if len(row) <= max(ti, li):
            out.skipped.append((n, f"{len(row)} cells, expected at least {max(ti, li) + 1}"))
            continue
        text, label = _cell(row[ti]), _cell(row[li])
        if not text or not label:
            out.skipped.append((n, "empty text" if not text else "empty label"))
            continue
        out.texts.append(text)
        out.labels.append(label)
    if not out.texts:
        raise InputError(path, "no rows with both a text and a label")
    return out


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # 1.0 from a spreadsheet is the label 1
    return str(v).strip()


def _is_index(c) -> bool:
    return isinstance(c, int) or (isinstance(c, str) and c.strip().isdigit())


def _column(path, spec, columns: list[str], has_header: bool) -> int:
    if has_header and str(spec) in columns:
        return columns.index(str(spec))
    if _is_index(spec) and int(spec) < len(columns):
        return int(spec)
    if has_header:
        found = ", ".join(c if len(c) <= 20 else c[:20] + "…" for c in columns)
        if any(len(c) > 20 for c in columns):
            found += " (the first row, read as a header; is this a file without one?)"
    else:
        found = f"{len(columns)} unnamed columns (0-{len(columns) - 1})"
    raise InputError(path, f"no column {spec!r}; columns found: {found}")


def _looks_like_header(rows: list[list], label_col) -> bool:
    """With index columns: a first-row label that never recurs is a column name like 'label'."""
    if not _is_index(label_col) or len(rows) < 3:
        return False
    i = int(label_col)
    first = _cell(rows[0][i]) if len(rows[0]) > i else ""
    return bool(first) and all(len(r) <= i or _cell(r[i]) != first for r in rows[1:])


def _decode(path: Path) -> str:
    data = path.read_bytes()
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError(path, f"cannot decode as {' or '.join(ENCODINGS)}")


def _csv_rows(path: Path) -> list[list[str]]:
    text = _decode(path)
    first = text.split("\n", 1)[0]
    tab = path.suffix.lower() in (".tsv", ".tab") or ("\t" in first and "," not in first)
    try:
        return [r for r in csv.reader(io.StringIO(text, newline=""), delimiter="\t" if tab else ",")
                if any(c.strip() for c in r)]
    except csv.Error as e:
        raise InputError(path, f"not a readable CSV ({e})") from None


def _xlsx_rows(path: Path) -> list[list]:
    try:
        import openpyxl
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except ImportError:
        raise InputError(path, "reading .xlsx needs openpyxl: pip install openpyxl") from None
    except Exception as e:  # noqa: BLE001 - openpyxl raises many types for a broken file
        raise InputError(path, f"not a readable workbook ({type(e).__name__})") from None
    rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
    wb.close()
    return [r for r in rows if any(_cell(c) for c in r)]


def _jsonl_rows(path: Path, text_col, label_col) -> list[list]:
    keys = [str(text_col), str(label_col)]
    rows: list[list] = [keys]
    for n, line in enumerate(_decode(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except ValueError as e:
            raise InputError(path, f"line {n}: not JSON ({e})") from None
        if not isinstance(d, dict):
            raise InputError(path, f"line {n}: expected a JSON object")
        missing = [k for k in keys if k not in d]
        if missing:
            raise InputError(path, f"line {n}: no field {missing[0]!r}; fields found: {', '.join(d)}")
        rows.append([d[k] for k in keys])
    return rows
