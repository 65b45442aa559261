"""Model calls of several threads run together in one batch (files in threads: voc.transcribe)."""

from __future__ import annotations

import threading
from contextlib import contextmanager


class Lockstep:
    """Model calls of several threads, one file each (voc.transcribe.transcribe_files), run
    together. A thread's call waits until every member thread is waiting too (or has left),
    then one of them runs all the waiting calls with the same function and key in one list:
    `fn(key, items of all)`, cut back to each caller. Most files give Whisper one or two windows
    at a time; files together fill its batches. A thread that is no member (one file, tests) runs
    its call at once."""

    def __init__(self):
        self._cond = threading.Condition()
        self._members = 0
        self._waiting: list[dict] = []
        self._busy = False

    @contextmanager
    def member(self):
        with self._cond:
            self._members += 1
        try:
            yield
        finally:
            with self._cond:
                self._members -= 1
                self._cond.notify_all()

    def run(self, fn, key, items: list) -> list:
        call = {"fn": fn, "key": key, "items": items}
        with self._cond:
            self._waiting.append(call)
            self._cond.notify_all()
            while "out" not in call:
                if self._busy or len(self._waiting) < self._members:
                    self._cond.wait()
                    continue
                calls, self._waiting, self._busy = self._waiting, [], True
                self._cond.release()
                try:
                    _run_together(calls)
                finally:
                    self._cond.acquire()
                    self._busy = False
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
