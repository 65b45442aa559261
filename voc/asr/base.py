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
    voice: np.ndarray | None = None  # speaker embedding of the segment's speech, when one was made


# CTranslate2's CPU compute types (faster-whisper); FunASR runs float32 whatever is set
COMPUTE_TYPES = ("int8", "int8_float32", "int16", "float32", "default", "auto")


@dataclass
class EngineOptions:
    language: str = "zh"
    beam_size: int = 5
    hotwords: list[str] = field(default_factory=list)
    initial_prompt: str = ""
    compute_type: str = "int8"
    threads: int = 0
    diarize: bool = False            # mono input: ask for speaker labels when the engine can
    min_silence_ms: int = 2000       # whisper: a pause this long ends a VAD region

    def __post_init__(self):
        """Checked once, with the setting named (asr.*: config file, VOC_ASR_* or a flag)."""
        from voc.errors import ConfigError, choices

        if not isinstance(self.beam_size, int) or self.beam_size < 1:
            raise ConfigError(f"asr.beam_size is {self.beam_size!r}; it must be a whole number "
                              f"of 1 or more (1 = greedy decoding; default 5)")
        if not isinstance(self.threads, int) or self.threads < 0:
            raise ConfigError(f"asr.threads is {self.threads!r}; it must be 0 (all cores) or more")
        if self.compute_type not in COMPUTE_TYPES:
            raise ConfigError(f"asr.compute_type is {self.compute_type!r}; choose "
                              f"{choices(COMPUTE_TYPES)}")


class Engine(Protocol):
    name: str
    can_diarize: bool

    def transcribe(self, audio: np.ndarray, sample_rate: int = 16000) -> list[Segment]:
        """Segments of `audio` (1-D float32, 16 kHz unless the engine says otherwise)."""

    def info(self) -> dict:
        """Engine and model names, model directories and checksums, for the run record."""
