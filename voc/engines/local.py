"""Local engine: N worker processes on this machine, each holding its own models.

Workers are started with the 'spawn' context (a fresh interpreter: no copied locks or threads
from the driver), limited to `threads` CPU threads each, load `Stages` once, then answer one
`Work` at a time over their own pipe. The driver keeps at most one input in flight per worker,
so memory is bounded by the worker count, whatever the size of the night. A worker that dies
(killed, out of memory, a crash in native code) or that takes longer than `timeout` seconds
on one input turns that input into an error result and is replaced. Workers die with the
driver (Linux: PR_SET_PDEATHSIG), so a killed run leaves no orphans.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from multiprocessing.connection import wait
from typing import Iterable, Iterator

from voc.engines import EngineError, Result, Stages, Work, limit_threads

START_TIMEOUT_S = 600.0
MAX_RESTARTS = 20  # replacement workers per run before the engine gives up


def _die_with_parent() -> None:
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker(conn, settings, env: dict, parent: int) -> None:
    _die_with_parent()
    if os.getppid() != parent:  # the driver died before prctl took effect
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C for everyone
    os.environ.update(env)
    try:
        stages = Stages(settings)
    except BaseException as e:  # noqa: BLE001 - reported to the driver, which stops the run
        from voc.errors import VocError

        conn.send(("init_error", str(e) if isinstance(e, VocError) else f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", stages.info()))
    while True:
        try:
            w = conn.recv()
        except (EOFError, OSError):
            return
        if w is None:
            return
        conn.send(("result", stages.process(w)))


class _Slot:
    since = 0.0  # when the current work was sent

    def __init__(self, ctx, settings, env):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, settings, env, os.getpid()),
                                daemon=True, name="voc-worker")
        self.proc.start()
        child.close()
        self.ready = False
        self.work: Work | None = None


class LocalEngine:
    def __init__(self, settings, workers: int = 0, threads: int = 1, timeout: float = 0.0, **_):
        self.settings, self.timeout = settings, timeout
        self.n = workers or len(os.sched_getaffinity(0))
        self.env = limit_threads(threads)
        self.ctx = mp.get_context("spawn")
        self.slots: list[_Slot] = []
        self.models: dict = {}
        self.restarts = 0

    # lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> "LocalEngine":
        self.slots = [_Slot(self.ctx, self.settings, self.env) for _ in range(self.n)]
        for s in self.slots:  # wait for every worker's models: a bad model fails the run now
            if not s.conn.poll(START_TIMEOUT_S):
                raise EngineError(f"worker did not start in {START_TIMEOUT_S:.0f} s")
            self._ready(s)
        return self

    def _ready(self, s: _Slot, msg: tuple | None = None) -> None:
        try:
            kind, payload = msg or s.conn.recv()
        except (EOFError, OSError):
            s.proc.join(timeout=5)
            raise EngineError(f"worker process exited while loading models "
                              f"(exit code {s.proc.exitcode})") from None
        if kind == "init_error":
            raise EngineError(f"worker cannot start: {payload}")
        s.ready = True
        self.models = self.models or payload

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for s in self.slots:
            try:
                s.conn.send(None)
            except (OSError, ValueError):
                pass
        for s in self.slots:
            s.proc.join(timeout=5)
            if s.proc.is_alive():
                s.proc.kill()
                s.proc.join()
            s.conn.close()
        self.slots = []

    # work -----------------------------------------------------------------------------------
    def map(self, works: Iterable[Work]) -> Iterator[Result]:
        todo = iter(works)
        exhausted = False
        while True:
            for s in self.slots:
                if s.ready and s.work is None and not exhausted:
                    s.work = next(todo, None)
                    if s.work is None:
                        exhausted = True
                    else:
                        s.conn.send(s.work)
                        s.since = time.monotonic()
            busy = [s for s in self.slots if s.work is not None or (not s.ready and not exhausted)]
            if not busy:
                return
            ready = wait([s.conn for s in busy] + [s.proc.sentinel for s in busy],
                         timeout=self._next_deadline(busy))
            for s in busy:
                if self._overdue(s):
                    s.proc.kill()  # a hung input: its worker goes, the night goes on
                    s.proc.join()
                    yield self._replace(s, f"timed out after {self.timeout:.0f} s (run.input_timeout_s)")
                    continue
                if s.conn in ready and s.conn.poll():
                    try:
                        msg = s.conn.recv()
                    except (EOFError, OSError):
                        msg = None
                    if msg is not None:
                        if not s.ready:
                            self._ready(s, msg)
                            continue
                        s.work = None
                        yield msg[1]
                        continue
                if s.proc.sentinel in ready or not s.proc.is_alive():
                    dead = self._replace(s)
                    if dead is not None:
                        yield dead

    def _next_deadline(self, busy: list[_Slot]) -> float | None:
        started = [s.since for s in busy if s.work is not None]
        if not self.timeout or not started:
            return None
        return max(0.0, min(started) + self.timeout - time.monotonic())

    def _overdue(self, s: _Slot) -> bool:
        return bool(self.timeout and s.work is not None and
                    time.monotonic() - s.since > self.timeout)

    def _replace(self, s: _Slot, why: str | None = None) -> Result | None:
        s.proc.join()
        code = s.proc.exitcode
        lost = s.work
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            raise EngineError(f"{self.restarts} worker processes died; last exit code {code}")
        s.conn.close()
        i = self.slots.index(s)
        self.slots[i] = _Slot(self.ctx, self.settings, self.env)
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        if lost is None:
            return None
        return Result(source=lost.source, sha256=lost.sha256,
                      error=why or f"worker process died while processing this input ({how})")
