"""Model calls of several threads run together in one batch (files in threads: voc.transcribe)."""

from __future__ import annotations

import threading
from contextlib import contextmanager


class Lockstep:
    """Model calls of several threads, one file each (voc.transcribe.transcribe_files), run
    together. A thread's call waits until every member thread of its lane is waiting too (or has
    left), then one of them runs all the waiting calls with the same function and key in one
    list: `fn(key, items of all)`, cut back to each caller. Most files give Whisper one or two
    windows at a time; files together fill its batches. Lanes run side by side, one batch at a
    time each, on the model's replicas (voc.asr.whisper.lanes). A thread that is no member (one
    file, tests) runs its call at once."""

    def __init__(self):
        self._cond = threading.Condition()
        self._members: dict[int, int] = {}
        self._waiting: dict[int, list[dict]] = {}
        self._busy: set[int] = set()
        self._lane = threading.local()

    @contextmanager
    def member(self, lane: int = 0):
        with self._cond:
            self._members[lane] = self._members.get(lane, 0) + 1
        self._lane.n = lane
        try:
            yield
        finally:
            del self._lane.n
            with self._cond:
                self._members[lane] -= 1
                self._cond.notify_all()

    def in_lane(self) -> bool:
        """Is this thread a member (its calls batched with those of its lane)?"""
        return hasattr(self._lane, "n")

    def run(self, fn, key, items: list) -> list:
        lane = getattr(self._lane, "n", None)
        if lane is None:
            return fn(key, items)
        call = {"fn": fn, "key": key, "items": items}
        with self._cond:
            self._waiting.setdefault(lane, []).append(call)
            self._cond.notify_all()
            while "out" not in call:
                if lane in self._busy or len(self._waiting[lane]) < self._members[lane]:
                    self._cond.wait()
                    continue
                calls, self._waiting[lane] = self._waiting[lane], []
                self._busy.add(lane)
                self._cond.release()
                try:
                    _run_together(calls)
                finally:
                    self._cond.acquire()
                    self._busy.discard(lane)
                    self._cond.notify_all()
        if "error" in call:
            raise call["error"]
        return call["out"]


def _run_together(calls: list[dict]) -> None:
    groups: dict = {}
    for c in calls:
        groups.setdefault((c["fn"], c["key"]), []).append(c)
    for (fn, key), group in groups.items():
        try:
            out = fn(key, [x for c in group for x in c["items"]])
        except BaseException as e:  # noqa: BLE001 - raised again in each caller of the group
            for c in group:
                c["error"], c["out"] = e, None
            continue
        n = 0
        for c in group:
            c["out"] = out[n: n + len(c["items"])]
            n += len(c["items"])


LOCKSTEP = Lockstep()
