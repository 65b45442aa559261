"""Where the per-input stages of `voc run` execute: local worker processes or Ray actors.

Both engines run the same `Stages` object: built once per worker (ASR model and analyzer
loaded at start), then `process(Work) -> Result` for each input. Workers never touch the
workspace; results stream back to the driver, which alone writes them. An engine is used as

    with make_engine("local", settings, workers=2) as eng:
        models = eng.models           # what the workers loaded, for the run record
        for result in eng.map(works): # results as they finish (any order), bounded in flight
            ...

A result is either a transcript with its analysis or an error with a one-line reason; an input
that kills its worker comes back as an error and the worker is replaced.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voc.errors import ConfigError, VocError, choices
from voc.schema import Transcript

ENGINES = {"local": ("voc.engines.local", "LocalEngine"),
           "ray": ("voc.engines.ray_engine", "RayEngine")}
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class EngineError(VocError):
    """The workers cannot start (model missing, Ray cluster unreachable, ...)."""


@dataclass
class Work:
    source: str                     # path as given (manifest paths resolved against its folder)
    sha256: str                     # content hash seen by the driver
    meta: dict[str, Any] = field(default_factory=dict)   # manifest columns
    data: bytes | None = None       # the bytes themselves, for workers without shared storage


@dataclass
class Result:
    source: str
    sha256: str
    transcript: Transcript | None = None
    analysis: dict | None = None
    error: str | None = None
    seconds: float = 0.0
    worker: str = ""


class Stages:
    """The per-input stage functions and their models, loaded once (at construction)."""

    def __init__(self, settings, warm: bool = True):
        from voc.analyze.pipeline import Analyzer
        from voc.audio import AudioInfo
        from voc.transcribe import TranscribeOptions, Transcriber

        self.settings = settings
        self.options = TranscribeOptions.from_settings(settings)
        self.transcriber = Transcriber(settings, settings["asr.engine"])
        self.analyzer = Analyzer.from_settings(settings)
        if warm:  # load the (16 kHz) ASR model now, not on the first input
            self.transcriber.engine_for(AudioInfo("", "", 16000, 1, 0.0, ""))
        self.worker = f"{os.uname().nodename}:{os.getpid()}"

    def process(self, w: Work) -> Result:
        from voc.errors import InputError
        from voc.transcribe import transcribe_file

        t0 = time.perf_counter()
        res = Result(source=w.source, sha256=w.sha256, worker=self.worker)
        tmp = None
        try:
            path = w.source
            if w.data is not None:
                tmp = _spill(w)
                path = tmp
            t = transcribe_file(path, self.transcriber, self.options, meta=dict(w.meta))
            t.source = w.source
            [(res.transcript, res.analysis)] = self.analyzer.analyze([t])
        except InputError as e:
            res.error = e.reason
        except Exception as e:  # noqa: BLE001 - one input's library error must not stop the night
            res.error = f"{type(e).__name__}: {e}"
        finally:
            if tmp:
                os.unlink(tmp)
        res.seconds = round(time.perf_counter() - t0, 3)
        return res

    def info(self) -> dict:
        return {"asr": self.transcriber.info(), "analyze": self.analyzer.info()}


def _spill(w: Work) -> str:
    fd, path = tempfile.mkstemp(suffix=Path(w.source).suffix, prefix="voc-")
    with os.fdopen(fd, "wb") as f:
        f.write(w.data)
    return path


def limit_threads(n: int) -> dict[str, str]:
    """Environment for a worker that should use n CPU threads (set before numeric imports)."""
    return {k: str(n) for k in THREAD_VARS}


def make_engine(name: str, settings, **kw):
    import importlib

    if name not in ENGINES:
        raise ConfigError(f"unknown run engine {name!r}; choose {choices(ENGINES)}")
    module, cls = ENGINES[name]
    return getattr(importlib.import_module(module), cls)(settings, **kw)
