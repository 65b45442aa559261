"""Files written whole or not at all: a reader (a browser, Excel, the next stage) never sees half
a page, a CSV or a JSONL. Everything is written to `NAME.partial` beside the target and moved
over it in one rename.

    with staged(path) as tmp:                  # a library that writes to a path (openpyxl)
        wb.save(tmp)
    with open_staged(out, keep_on_error=True) as f:   # a batch's JSONL: keep what was finished
        f.write(line)
    write_text(page, html)
    with open_out(out_or_none) as f:           # an optional --out: f is None without one
        ...
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def staged(path: Path, keep_on_error: bool = False) -> Iterator[Path]:
    """Yield the `.partial` path to write; move it over `path` when the block ends. When the
    block raises, the partial file is removed, or with `keep_on_error` moved into place too
    (a batch interrupted half-way keeps the records it finished)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    try:
        yield tmp
    except BaseException:
        if keep_on_error and tmp.exists():
            os.replace(tmp, path)
        else:
            tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


@contextmanager
def open_staged(path: Path, keep_on_error: bool = False, encoding: str = "utf-8",
                newline: str | None = None) -> Iterator[IO[str]]:
    """A text file opened for writing at `path`, in place only once it is closed."""
    with staged(path, keep_on_error) as tmp, open(tmp, "w", encoding=encoding, newline=newline) as f:
        yield f


def write_text(path: Path, text: str) -> None:
    with staged(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def open_out(path: Path | None, keep_on_error: bool = True):
    """The `--out` file of a batch (open_staged), or a context giving None without a path."""
    import contextlib

    return open_staged(Path(path), keep_on_error=keep_on_error) if path else contextlib.nullcontext()
