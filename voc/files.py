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
from typing import IO, Callable, Iterator


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


# -- folders written whole: a sibling temporary folder, then one swap ---------------------------

STAGING = ".voc-staging-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(path: Path) -> list[Path]:
    """Remove the sibling folders a killed writer of `path` left behind (`.NAME.voc-staging-PID-*`
    of processes that are gone); returns what was removed."""
    import shutil

    path = Path(path).absolute()
    removed = []
    for p in path.parent.glob(f".{path.name}{STAGING}*"):
        try:
            pid = int(p.name[len(f".{path.name}{STAGING}"):].split("-")[0])
        except ValueError:
            continue
        if pid != os.getpid() and _pid_alive(pid):
            continue  # another writer at work
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot; rename twice
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextmanager
def staged_dir(path: Path, generator: str,
               is_output: Callable[[str, dict | None], bool] | None = None) -> Iterator[Path]:
    """A folder written whole or not at all: yield a fresh sibling folder to write the output in;
    when the block ends it takes the place of `path` in one swap, so a reader sees the old
    complete folder or the new complete one; when the block raises (or the process is killed)
    `path` is untouched and the sibling is removed (now, or by the next writer's
    `clean_leftovers`).

    Files of `path` the new output does not write are carried over (hard links) unless they
    were the old output: `is_output(relative path, old manifest or None)` says which were (the
    manifest.json of an earlier `generator` run; without one, no file is voc's)."""
    import shutil
    import uuid

    from voc.errors import InputError

    path = Path(path).absolute()
    if path.exists() and not path.is_dir():
        raise InputError(path, "not a folder: give a folder to write the output into")
    clean_leftovers(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}{STAGING}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        yield tmp
        if path.is_dir():
            _carry_over(path, tmp, _manifest(path, generator), is_output or (lambda rel, m: False))
        if not path.exists():
            os.replace(tmp, path)
        elif _exchange(tmp, path):
            shutil.rmtree(tmp, ignore_errors=True)  # now the old output
        else:
            old = tmp.with_name(tmp.name + "-old")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _manifest(path: Path, generator: str) -> dict | None:
    import json

    try:
        m = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return m if isinstance(m, dict) and m.get("generator") == generator else None


def _carry_over(old: Path, new: Path, manifest: dict | None, is_output) -> None:
    """Hard-link (or copy) into `new` the files of `old` that are not the old output and that
    the new output does not have."""
    import shutil

    for root, dirs, files in os.walk(old):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            src = Path(root) / name
            rel = src.relative_to(old).as_posix()
            dst = new / rel
            if rel == "manifest.json" and manifest is not None or is_output(rel, manifest) \
                    or dst.exists() or dst.is_symlink():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_symlink():
                os.symlink(os.readlink(src), dst)
                continue
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)
