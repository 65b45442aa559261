"""What a night's inputs are: recordings from folders, globs, files and manifests (CSV, TSV,
JSONL or XLSX with a path column and metadata), each identified by the sha256 of its bytes."""

from __future__ import annotations

import glob
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from voc.errors import InputError, choices

MANIFEST_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".xlsx")
PATH_COLUMNS = ("path", "file", "filename", "audio", "recording", "source", "路径", "文件", "录音")


@dataclass
class Input:
    source: str
    meta: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""


def discover(specs: list[str]) -> tuple[list[Input], list[dict]]:
    """Inputs from folders, globs, files and manifests, each path once; and what cannot be used
    ({source, reason}: a missing file, a bad manifest row, a dangling symlink, a symlink loop
    or an unlistable folder inside a scanned folder) without stopping the others."""
    from voc.audio import AUDIO_SUFFIXES
    from voc.scan import scan, unreadable_reason

    found: list[Input] = []
    bad: list[dict] = []
    for spec in specs:
        p = Path(spec)
        if p.is_dir():
            files, unreadable = scan([spec], AUDIO_SUFFIXES)  # every entry it cannot read, said
            found += [Input(s) for s in files]
            bad += unreadable
        elif p.is_file() and p.suffix.lower() in MANIFEST_SUFFIXES:
            good, errors = read_manifest(p)
            found += good
            bad += errors
        elif p.exists():
            found.append(Input(spec))
        elif glob.has_magic(spec):
            for f in sorted(glob.glob(spec, recursive=True)):
                if Path(f).is_file():
                    found.append(Input(f))
                elif Path(f).is_symlink():
                    bad.append({"source": f, "reason": unreadable_reason(Path(f))})
        else:
            bad.append({"source": spec, "reason": "no such file or folder"})
    seen, unique = set(), []
    for i in found:
        if i.source not in seen:
            seen.add(i.source)
            unique.append(i)
    return unique, bad


def read_manifest(path: Path) -> tuple[list[Input], list[dict]]:
    """Rows of a CSV/TSV/JSONL/XLSX manifest: a path column (path, file, audio, ...; relative
    paths are taken from the manifest's folder) and metadata columns (empty cells are left
    out). A row that cannot be read or has no path is reported; the others go on."""
    from voc.tables import read_table

    columns, rows = read_table(path)
    key = next((c for c in columns if str(c).strip().lower() in PATH_COLUMNS), None)
    if key is None:
        raise InputError(path, f"manifest needs a path column ({choices(PATH_COLUMNS)}); "
                               f"it has {choices(columns)}")
    good, bad = [], []
    for n, row, reason in rows:
        rel = str(row.get(key) or "").strip() if row else ""
        if reason or not rel:
            bad.append({"source": f"{path}: row {n}", "reason": reason or "empty path"})
            continue
        p = Path(rel).expanduser()
        src = str(p if p.is_absolute() else path.parent / p)
        meta = {str(k).strip(): v for k, v in row.items() if k != key and k is not None
                and v not in (None, "")}
        good.append(Input(src, meta))
    return good, bad


def hash_inputs(inputs: list[Input], threads: int = 4,
                on_done: Callable[[Input], None] | None = None) -> list[dict]:
    """Fill in each input's sha256 (reading in parallel); returns the unreadable ones."""
    from voc.transcribe import sha256_of

    def one(i: Input):
        try:
            if os.path.getsize(i.source) == 0:
                return i, "empty file (0 bytes)"
            i.sha256 = sha256_of(i.source)
            return i, None
        except IsADirectoryError:
            return i, "is a directory"
        except OSError as e:
            return i, f"cannot read ({e.strerror or e})"

    bad = []
    with ThreadPoolExecutor(threads) as pool:
        for i, reason in pool.map(one, inputs):
            if reason:
                bad.append({"source": i.source, "reason": reason})
            if on_done:
                on_done(i)
    return bad
