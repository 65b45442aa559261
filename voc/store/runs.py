"""Runs in the workspace: the run record of every command that writes, from start to end,
whatever ends it. Mixed into Workspace.

    with ws.run("analyze", settings, inputs=n) as run:     # Run(None, ...) without a workspace
        run.ok()                        # one input done (run.succeeded += 1)
        run.fail(source, reason)        # one input failed: counted, in the failure list
        run.models = analyzer.info()    # what the run used, for the record

The block always ends the run: `ok` when nothing failed, `failed` when an input failed or the
block raised (the error goes into runs.error), `interrupted` on KeyboardInterrupt or SIGTERM.
While a run is open in the main thread, SIGTERM (a scheduler's stop) raises `Terminated`, a
KeyboardInterrupt, so the block unwinds (open transactions roll back, staged files are dealt
with) and the run is recorded; the previous handler is restored afterwards.

A run whose process died without ending it (SIGKILL, power cut) stays `running` in the table
until the next process opens the workspace for writing: DuckDB lets one process write, so a
run still `running` then is dead unless this process started it, and `interrupt_stale_runs`
marks it `interrupted` (Workspace does this on every writing open).
"""

from __future__ import annotations

import getpass
import json
import os
import signal
import socket
import threading
import time
import uuid
from typing import Any, Callable

from voc.store.tables import utc_now

STATUSES = ("running", "ok", "failed", "interrupted")
_LIVE: set[str] = set()   # runs this process has started and not yet ended


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived while a run was open (a scheduler's or an operator's stop)."""


def _terminate(signum, frame):
    raise Terminated(f"stopped by signal {signal.Signals(signum).name}")


def config_dict(config) -> dict:
    """The run record's config: Settings as {"section.key": value}, or a dict as given."""
    if config is None:
        return {}
    if hasattr(config, "flat"):
        return config.flat()
    return dict(config)


def error_text(e: BaseException) -> str:
    from voc.errors import VocError

    if isinstance(e, KeyboardInterrupt):
        return str(e) if isinstance(e, Terminated) else "interrupted (KeyboardInterrupt)"
    return str(e) if isinstance(e, VocError) and str(e) else f"{type(e).__name__}: {e}"


class Run:
    """One run from `with` to the end of the block (see the module docstring). `ws` None: a
    run that only counts (`--no-store`); `id` is None then. `lock`: write the workspace's run
    lock note (voc/store/lock.py) while the run is open, so a second `voc run` can name it."""

    def __init__(self, ws, command: str, config=None, *, inputs: int = 0, lock: bool = False,
                 on_fail: Callable[[str, str], None] | None = None):
        self.ws, self.command, self.config = ws, command, config_dict(config)
        self.inputs, self.lock, self.on_fail = inputs, lock, on_fail
        self.id: str | None = None
        self.succeeded = self.failed = self.skipped = 0
        self.models: Any = None
        self.force = False            # replace records whose id another source's contact has
        self.status = "running"       # set "failed" (or "ok") before the end to decide it
        self.error: str | None = None
        self._t0 = time.monotonic()
        self._previous = None
        self._pending: list[int] = []

    # counting -----------------------------------------------------------------------------
    def ok(self, n: int = 1) -> None:
        self.succeeded += n

    def skip(self, n: int = 1) -> None:
        self.skipped += n

    def fail(self, source: str, reason: str) -> None:
        """One input failed: counted, recorded in the failure list, passed to `on_fail`."""
        self.failed += 1
        if self.ws is not None and self.id is not None:
            self.ws.record_failure(self.id, source, reason)
        if self.on_fail:
            self.on_fail(source, reason)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self._t0

    # the block ----------------------------------------------------------------------------
    def __enter__(self) -> "Run":
        self._t0 = time.monotonic()
        if self.ws is not None:
            self.id = self.ws.start_run(self.command, self.config, self.inputs)
            if self.lock:
                self.ws.hold_run_lock(self.id, self.command)
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, _terminate)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._previous is not None:  # a second SIGTERM while recording waits for the end
            signal.signal(signal.SIGTERM, lambda s, f: self._pending.append(s))
        try:
            if exc is not None:
                interrupted = isinstance(exc, (KeyboardInterrupt, SystemExit))
                self.status = "interrupted" if interrupted else "failed"
                self.error = self.error or error_text(exc)
            elif self.status == "running":
                self.status = "failed" if self.failed else "ok"
            if self.ws is not None and self.id is not None:
                self.ws.finish_run(self.id, succeeded=self.succeeded, failed=self.failed,
                                   skipped=self.skipped, models=self.models, status=self.status,
                                   error=self.error)
        finally:
            if self.ws is not None and self.lock:
                self.ws.release_run_lock()
            if self._previous is not None:
                signal.signal(signal.SIGTERM, self._previous)
                self._previous = None
                if self._pending:  # deliver it to the handler that was there before
                    os.kill(os.getpid(), signal.SIGTERM)


class RunStore:
    """Workspace methods for the run record and the failure list (mixed into Workspace)."""

    def run(self, command: str, config=None, *, inputs: int = 0, lock: bool = False,
            on_fail: Callable[[str, str], None] | None = None) -> Run:
        """A run context: `with ws.run("analyze", settings) as run: ...` (see Run)."""
        return Run(self, command, config, inputs=inputs, lock=lock, on_fail=on_fail)

    def start_run(self, command: str, config: dict, inputs: int = 0) -> str:
        """A run record with status `running` (prefer `run()`, which always ends it)."""
        from voc import __version__

        run_id = utc_now().strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = str(os.getuid())
        self.db.execute(
            "INSERT INTO runs (run_id, command, started_at, status, user_name, host, voc_version, "
            "config, inputs) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
            [run_id, command, utc_now(), user, socket.gethostname(), __version__,
             json.dumps(config_dict(config), ensure_ascii=False, default=str), inputs])
        _LIVE.add(run_id)
        return run_id

    def finish_run(self, run_id: str, *, succeeded: int, failed: int, skipped: int = 0,
                   models: dict | list | None = None, status: str | None = None,
                   error: str | None = None) -> None:
        status = status or ("failed" if failed else "ok")
        self.db.execute(
            "UPDATE runs SET ended_at = ?, status = ?, succeeded = ?, failed = ?, skipped = ?, "
            "models = ?, error = ? WHERE run_id = ?",
            [utc_now(), status, succeeded, failed, skipped,
             json.dumps(models or [], ensure_ascii=False, default=str), error, run_id])
        _LIVE.discard(run_id)

    def update_run(self, run_id: str, *, models=None, config_hash: str | None = None,
                   stages: dict | None = None) -> None:
        if stages is not None:
            self.db.execute("UPDATE runs SET stages = ? WHERE run_id = ?",
                            [json.dumps(stages, ensure_ascii=False, default=str), run_id])
        if models is not None:
            self.db.execute("UPDATE runs SET models = ? WHERE run_id = ?",
                            [json.dumps(models, ensure_ascii=False, default=str), run_id])
        if config_hash is not None:
            self.db.execute("UPDATE runs SET config_hash = ? WHERE run_id = ?", [config_hash, run_id])

    def record_failure(self, run_id: str, source: str, reason: str) -> None:
        self.db.execute("INSERT INTO failures VALUES (?, ?, ?, ?)", [run_id, source, reason, utc_now()])

    def runs(self) -> list[dict]:
        return self._dicts("SELECT * FROM runs ORDER BY started_at")

    def failures(self, run_id: str | None = None) -> list[dict]:
        if run_id:
            return self._dicts("SELECT * FROM failures WHERE run_id = ? ORDER BY failed_at", [run_id])
        return self._dicts("SELECT * FROM failures ORDER BY failed_at")

    def interrupt_stale_runs(self) -> list[str]:
        """Mark `interrupted` the runs still `running` that this process did not start: with
        the write lock held, their processes are gone. Returns their ids."""
        rows = self.db.execute(
            "UPDATE runs SET status = 'interrupted', error = coalesce(error, ?) "
            "WHERE status = 'running' AND run_id NOT IN (SELECT unnest(?)) RETURNING run_id",
            ["its process ended without closing the run (killed?)", sorted(_LIVE)]).fetchall()
        return sorted(r[0] for r in rows)
