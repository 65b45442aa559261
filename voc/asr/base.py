"""The engine interface every ASR backend implements.

An engine turns 16 kHz float32 mono samples into `Segment`s with times relative to the start of
the samples. Engines convert their library's loose output into Segments once, here at the
boundary; nothing past this point sees a FunASR dict or a faster-whisper object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass
class Segment:
    start: float
    end: float
    text: str
    speaker: str | None = None      # diarization label (e.g. "spk0") when the engine has one
    emotion: str | None = None      # SenseVoice emotion tag, lower case (e.g. "angry")
    events: list[str] = field(default_factory=list)  # SenseVoice audio events (e.g. "laughter")


@dataclass
class EngineOptions:
    language: str = "zh"
    beam_size: int = 5
    hotwords: list[str] = field(default_factory=list)
    initial_prompt: str = ""
    compute_type: str = "int8"
    threads: int = 0
    diarize: bool = False            # mono input: ask for speaker labels when the engine can

    def __post_init__(self):
        if self.beam_size < 1:
            raise ValueError("beam_size must be >= 1")
        if self.threads < 0:
            raise ValueError("threads must be >= 0")


class Engine(Protocol):
    name: str
    can_diarize: bool

    def transcribe(self, audio: np.ndarray, sample_rate: int = 16000) -> list[Segment]:
        """Segments of `audio` (1-D float32, 16 kHz unless the engine says otherwise)."""

    def info(self) -> dict:
        """Engine and model names, model directories and checksums, for the run record."""
