"""The workspace lock: DuckDB lets one process write a workspace, and refuses the others.

`open_waiting(path, wait_s)` opens a workspace for writing, waiting while another process holds
it; a run opened with `lock=True` (`voc run`) leaves a note (run.lock: run id, command, pid,
host, start) beside the database while it runs, so the one that is refused can say who holds
it. The note only names the holder: the lock itself is DuckDB's, and a note left by a killed
process names nobody (its pid is gone) and is replaced by the next run.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable

LOCK_FILE = "run.lock"


class RunLock:
    """Workspace methods for the lock note (mixed into Workspace)."""

    def hold_run_lock(self, run_id: str, command: str = "run") -> None:
        from voc.files import write_text

        info = {"run_id": run_id, "command": command, "pid": os.getpid(),
                "host": os.uname().nodename, "started_at": time.strftime("%Y-%m-%d %H:%M:%S %z")}
        write_text(self.path / LOCK_FILE, json.dumps(info) + "\n")

    def release_run_lock(self) -> None:
        try:
            (self.path / LOCK_FILE).unlink()
        except OSError:
            pass


def lock_holder(path: str | Path) -> str | None:
    """'voc run RUN (pid N on HOST, started T)' from the lock note, if its process is alive."""
    try:
        info = json.loads((Path(path) / LOCK_FILE).read_text())
        if info["host"] == os.uname().nodename:
            os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (f"voc {info.get('command') or 'run'} {info['run_id']} (pid {info['pid']} on "
            f"{info['host']}, started {info['started_at']})")


def open_waiting(path: str | Path, wait_s: float = 0.0,
                 on_wait: Callable[[str | None], None] | None = None):
    """The workspace at `path` opened for writing, waiting up to `wait_s` seconds while another
    process holds it (`on_wait(holder)` once, when it starts waiting); WorkspaceBusy after."""
    from voc.store import Workspace, WorkspaceBusy

    deadline = time.monotonic() + wait_s
    told = False
    while True:
        try:
            return Workspace(path)
        except WorkspaceBusy as e:
            holder = lock_holder(path)
            if time.monotonic() >= deadline:
                base = f"{path}: workspace is busy: {holder} is writing to it" if holder \
                    else str(e).split(";")[0]
                waited = f" (waited {wait_s:.0f} s)" if wait_s else ""
                raise WorkspaceBusy(f"{base}{waited}; one process writes a workspace at a time: "
                                    f"run again when it ends, or wait for it with --wait SECONDS"
                                    ) from None
            if not told and on_wait:
                on_wait(holder)
            told = True
            time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))
