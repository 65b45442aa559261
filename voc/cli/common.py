"""Shared CLI plumbing: error handling, settings from flags, printing."""

from __future__ import annotations

import functools
import json
import sys
from typing import Any, Callable

import typer

STATE: dict[str, Any] = {"debug": False}

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


def run(ws, command: str, cfg, **kw):
    """The run context of a batch command (voc.store.Run), failures printed as they happen."""
    from voc.store import open_run

    return open_run(ws, command, cfg, on_fail=print_failure, **kw)
