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
            typer.echo(f"voc: error: {e}", err=True)
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:  # unexpected: still one line unless --debug
            if STATE["debug"]:
                raise
            typer.echo(f"voc: error: {type(e).__name__}: {e} (run with --debug for a traceback)",
                       err=True)
            raise typer.Exit(1) from None

    return wrapper


def settings(**overrides):
    from voc.config import load_settings

    return load_settings(overrides)


def echo_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, default=str))


def err(msg: str) -> None:
    typer.echo(msg, err=True)


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


def jsonl_out(path, keep_on_error: bool = True):
    """The `--out` JSONL of a batch command, or None without `--out`: written beside the target
    and moved into place when closed; `keep_on_error` keeps what was finished when interrupted."""
    import contextlib

    from voc.files import open_staged

    return open_staged(path, keep_on_error=keep_on_error) if path else contextlib.nullcontext()


def skip_row(rec, ws=None, run_id: str | None = None) -> None:
    """A table row that cannot be used (a voc.sources.RowError): one line on stderr, and the
    run's failure list when there is a workspace; the batch goes on."""
    err(f"voc: {rec}")
    if ws:
        ws.record_failure(run_id, rec.where, rec.reason)
