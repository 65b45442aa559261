"""Shared CLI plumbing: error handling, settings from flags, printing."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable

import typer

STATE: dict[str, Any] = {"debug": False}
_IMPORTED = __import__("time").monotonic()

WORKSPACE_OPT = typer.Option(None, "--workspace", "-w", envvar=None,
                             help="Workspace folder (DuckDB file and artefacts). "
                                  "Default: workspace.path setting.")


def handle_errors(fn: Callable) -> Callable:
    """Print a VocError as one line on stderr and exit 1; tracebacks only with --debug."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from voc.errors import VocError

        try:
            return fn(*args, **kwargs)
        except VocError as e:
            if STATE["debug"]:
                raise
            err(f"voc: error: {e}")
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
            raise
        except BrokenPipeError:  # `voc ... | head`: the reader left; nothing more to say
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except Exception as e:  # unexpected: still one line unless --debug
            if STATE["debug"]:
                raise
            err(f"voc: error: {type(e).__name__}: {e} (run with --debug for a traceback)")
            raise typer.Exit(1) from None

    return wrapper


def settings(**overrides):
    from voc.config import load_settings

    return load_settings(overrides)


def echo_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, default=str))


def err(msg: str) -> None:
    """One line on stderr: control characters (a newline in a file name, say) escaped."""
    from voc.errors import one_line

    typer.echo(one_line(msg), err=True)


def is_tty() -> bool:
    return sys.stderr.isatty()


class progress:
    """A rich progress bar on stderr for more than one item; silent otherwise.

    Usage: `with progress(n, "label") as advance: ... advance(name)`.
    """

    def __init__(self, total: int, label: str):
        self.total, self.label, self._bar = total, label, None

    def __enter__(self):
        if self.total > 1:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), TextColumn("{task.fields[item]}"),
                                 console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=self.total, item="")
        return self._advance

    def _advance(self, item: str = "") -> None:
        if self._bar:
            self._bar.update(self._task, advance=1, item=str(item)[-40:])

    def __exit__(self, *exc):
        if self._bar:
            self._bar.stop()


class audio_progress:
    """A bar by audio seconds on stderr for one long recording (a terminal only; silent for
    several files, which get the file bar, and for a recording of one chunk).

    Usage: `with audio_progress(show, "label") as on_audio: ... on_audio(done_s, total_s)`.
    """

    def __init__(self, show: bool, label: str):
        self.show, self.label, self._bar = show and is_tty(), label, None

    def __enter__(self):
        return self._update

    def _update(self, done: float, total: float) -> None:
        if not self.show or done >= total:
            return
        if self._bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.completed:.0f} / {task.total:.0f} s of audio"),
                                 TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=total)
        self._bar.update(self._task, completed=done)

    def __exit__(self, *exc):
        if self._bar:
            self._bar.stop()


def zone(cfg):
    """The bank's time zone (report.timezone, default Asia/Shanghai) and its name."""
    from voc.report.data import DEFAULT_TZ
    from voc.report.data import zone as tz

    try:
        name = cfg["report.timezone"] or DEFAULT_TZ
    except (KeyError, TypeError):
        name = DEFAULT_TZ
    return tz(name), name


def when(value, tz) -> str:
    """A time as `2026-11-05 10:30` in zone `tz` ('' when none; text that is no time as is)."""
    from voc.report.data import local

    t = local(value, tz)
    return t.strftime("%Y-%m-%d %H:%M") if t is not None else ("" if value is None else str(value))


def contact_label(f: dict, cfg) -> str:
    """A finding's contact for a table: its source file's name (masked like the reports mask
    it, unless privacy.redact is off), else the first 12 characters of its id."""
    from voc.text.pii import redact_name

    src = (f.get("source") or "").replace("\\", "/").rsplit("/", 1)[-1]
    if src and cfg["privacy.redact"]:
        src = redact_name(src, keep_last=int(cfg["privacy.keep_last"]))
    return src or f["transcript_id"][:12]


def table(columns: list[str], rows: list[list], *, wrap: tuple[str, ...] = (), width: int | None = None) -> None:
    """Rows as a table on stdout with a header; rich measures CJK characters as two columns.
    Columns named in `wrap` fold on a narrow terminal; the others keep their values whole.
    `width`: at most this many columns (else a terminal's width; a pipe gets whole lines)."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(box=None, pad_edge=False, header_style="bold", show_edge=False)
    for k, c in enumerate(columns):
        t.add_column(c, no_wrap=c not in wrap, overflow="fold",
                     min_width=None if c in wrap else max([cell_len(c)] + [cell_len(str(r[k] or "")) for r in rows]))
    for r in rows:
        t.add_row(*[Text("" if v is None else str(v)) for v in r])   # never read as markup
    # a terminal: its width (the wrap columns fold); a pipe or file: whole lines, for grep
    tty = Console().width if sys.stdout.isatty() else None
    cols = min(x for x in (width, tty) if x) if (width or tty) else 1000
    Console(width=cols, markup=False, highlight=False).print(t)


class rows:
    """A rich counter of rows on stderr (a spinner, rows so far, rows/s) for inputs of unknown
    length: `with rows("analysing") as track: for rec in track(records): ...`. Silent unless
    stderr is a terminal."""

    def __init__(self, label: str):
        self.label, self._bar = label, None

    def __enter__(self):
        if is_tty():
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description} {task.completed} rows"),
                                 TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=None)
        return self._track

    def _track(self, items):
        k = 0
        for k, x in enumerate(items, 1):
            if self._bar is not None and k % 50 == 0:
                self._bar.update(self._task, completed=k)
            yield x
        self._stop()                 # the input is read: what follows (a fit, the writing) is no row

    def _stop(self):
        if self._bar:
            self._bar.stop()
            self._bar = None

    def __exit__(self, *exc):
        self._stop()


def process_seconds() -> float:
    """Seconds since this process started (interpreter start-up and imports included)."""
    import os
    import time

    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            start_ticks = float(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED


def timing(run_seconds: float) -> str:
    """What a printed time covers: `in 38.2 s (the run: reading, models, writing; 41.0 s with
    start-up)`."""
    return f"in {run_seconds:.1f} s (the run; {process_seconds():.1f} s with start-up and imports)"


def print_failure(source: str, reason: str) -> None:
    """An input a batch could not use (`Run.on_fail`): one line on stderr; the batch goes on."""
    err(f"voc: {source}: {reason}")


def workspace(cfg, no_store: bool = False):
    """`with common.workspace(cfg, no_store) as ws:` the workspace of the settings opened for
    writing and closed at the end, or None with --no-store."""
    import contextlib

    if no_store:
        return contextlib.nullcontext()
    from voc.store import Workspace, default_path

    return Workspace(default_path(cfg))


_SKIP = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", ".ruff_cache"}


def find_workspaces(root: Path | None = None, depth: int = 3, limit: int = 2000) -> list[Path]:
    """Workspaces (folders holding voc.duckdb) under `root` (default: the working folder), at
    most `depth` levels down, looking into at most `limit` folders."""
    from voc.store import DB_NAME

    root = Path(root or Path.cwd())
    found, todo, seen = [], [(root, 0)], 0
    while todo and seen < limit:
        d, level = todo.pop(0)
        seen += 1
        if (d / DB_NAME).is_file():
            found.append(d)
        if level < depth:
            try:
                subs = sorted(x for x in d.iterdir() if x.is_dir() and not x.is_symlink()
                              and x.name not in _SKIP and not x.name.startswith("."))
            except OSError:
                continue
            todo += [(x, level + 1) for x in subs]
    return found


def existing_workspace(cfg, read_only: bool = False):
    """The workspace of the settings, which must exist: commands that only read never create an
    empty one. The error names the workspaces it can see from the working folder."""
    import os

    from voc.errors import WorkspaceError
    from voc.store import DB_NAME, Workspace, default_path

    path = Path(default_path(cfg))
    if not (path / DB_NAME).exists():
        seen = [os.path.relpath(p) if p.is_relative_to(Path.cwd()) else str(p) for p in find_workspaces()]
        hint = (f"; workspaces here: {', '.join(seen[:5])}" + (" ..." if len(seen) > 5 else "")
                if seen else f"; none found under {Path.cwd()}")
        raise WorkspaceError(f"{path}: no workspace here (no {DB_NAME}){hint}; give --workspace, or run "
                             f"voc analyze / voc inspect / voc run first")
    return Workspace(path, read_only=read_only)


def run(ws, command: str, cfg, **kw):
    """The run context of a batch command (voc.store.Run), failures printed as they happen."""
    from voc.store import open_run

    return open_run(ws, command, cfg, on_fail=print_failure, **kw)
