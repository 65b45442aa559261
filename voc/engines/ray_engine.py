"""Ray engine: the same `Stages` in Ray actors, one per worker, each holding its models.

`address` joins an existing cluster (`ray start --head` on one node, `ray start --address`
on the others); without it a local Ray instance with `workers` CPUs is started and stopped
with the run. Each actor reserves `threads` CPUs and runs ASR with that many threads. The
driver keeps at most one input in flight per actor and writes every result itself, so the
workspace needs to exist only on the driver. With `ship` the recording's bytes travel with the
work (through Ray's object store), so the other nodes need no shared storage for the audio;
voc and the model folders (same `models.dir`) must be installed on every node.
"""

from __future__ import annotations

import time
from typing import Iterable, Iterator

from voc.engines import EngineError, Result, Stages, Work, limit_threads

START_TIMEOUT_S = 600.0
MAX_RESTARTS = 20


class _StageActor:
    def __init__(self, settings, env: dict):
        import os

        os.environ.update(env)
        self.stages = Stages(settings)

    def info(self) -> dict:
        return self.stages.info()

    def process(self, w: Work) -> Result:
        return self.stages.process(w)


class RayEngine:
    def __init__(self, settings, workers: int = 0, threads: int = 1, address: str = "",
                 ship: bool = False, timeout: float = 0.0, **_):
        self.settings, self.workers, self.threads = settings, workers, max(1, threads)
        self.timeout = timeout
        self.address, self.ship = address, ship
        self.models: dict = {}
        self.restarts = 0
        self._started = False
        self._actors: list = []

    def __enter__(self) -> "RayEngine":
        try:
            import ray
        except ImportError:
            raise EngineError("ray is not installed: pip install 'ray[default]'") from None
        self.ray = ray
        if not ray.is_initialized():
            kw = dict(include_dashboard=False, log_to_driver=False, logging_level="ERROR",
                      configure_logging=False)
            try:
                if self.address:
                    ray.init(address=self.address, **kw)
                else:
                    ray.init(num_cpus=(self.workers or None) and self.workers * self.threads, **kw)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise EngineError(f"cannot start or reach Ray ({self.address or 'local'}): "
                                  f"{str(e).splitlines()[0]}") from None
            self._started = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        n = self.workers or max(1, cpus // self.threads)
        self._cls = ray.remote(num_cpus=self.threads)(_StageActor)
        self._actors = [self._new() for _ in range(n)]
        try:
            infos = ray.get([a.info.remote() for a in self._actors], timeout=START_TIMEOUT_S)
        except Exception as e:  # noqa: BLE001 - re-raised as a one-line voc error
            self.close()
            raise EngineError(f"Ray workers cannot start: {_reason(e)}") from None
        self.models = infos[0]
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        ray = getattr(self, "ray", None)
        if ray is None:
            return
        for a in self._actors:
            try:
                ray.kill(a)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._actors = []
        if self._started and ray.is_initialized():
            ray.shutdown()
            self._started = False

    def map(self, works: Iterable[Work]) -> Iterator[Result]:
        ray = self.ray
        todo = iter(works)
        idle = list(self._actors)
        inflight: dict = {}  # ObjectRef -> (actor, work, sent at)
        while True:
            while idle:
                w = next(todo, None)
                if w is None:
                    break
                if self.ship and w.data is None:
                    with open(w.source, "rb") as f:
                        w.data = f.read()
                a = idle.pop()
                inflight[a.process.remote(w)] = (a, w, time.monotonic())
                w.data = None  # the object store holds it now
            if not inflight:
                return
            wait_s = None
            if self.timeout:
                first = min(t for _, _, t in inflight.values())
                wait_s = max(0.0, first + self.timeout - time.monotonic())
            done, _ = ray.wait(list(inflight), num_returns=1, timeout=wait_s)
            if not done:  # a hung input: its actor goes, the night goes on
                ref = min(inflight, key=lambda r: inflight[r][2])
                a, w, _ = inflight.pop(ref)
                idle.append(self._replace(a))
                yield Result(source=w.source, sha256=w.sha256,
                             error=f"timed out after {self.timeout:.0f} s (run.input_timeout_s)")
                continue
            [ref] = done
            a, w, _ = inflight.pop(ref)
            try:
                res = ray.get(ref)
                idle.append(a)
            except ray.exceptions.RayActorError as e:
                res = Result(source=w.source, sha256=w.sha256,
                             error=f"worker died while processing this input ({_reason(e)})")
                idle.append(self._replace(a))
            except ray.exceptions.RayTaskError as e:
                res = Result(source=w.source, sha256=w.sha256, error=_reason(e))
                idle.append(a)
            yield res

    def _new(self):
        return self._cls.remote(self.settings, limit_threads(self.threads))

    def _replace(self, dead):
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            raise EngineError(f"{self.restarts} Ray workers died")
        try:
            self.ray.kill(dead)
        except Exception:  # noqa: BLE001
            pass
        a = self._new()
        self._actors = [x for x in self._actors if x is not dead] + [a]
        return a


def _reason(e: Exception) -> str:
    cause = getattr(e, "cause", None)
    if cause is not None and not isinstance(cause, type(e)):
        return f"{type(cause).__name__}: {cause}".splitlines()[0]
    lines = [x for x in str(e).splitlines() if x.strip()]
    return lines[-1] if lines else type(e).__name__
