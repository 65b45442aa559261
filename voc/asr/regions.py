"""Where the speech is on one channel, and whose: Silero VAD regions (with an onset pass),
and for mono calls regions of one speaker each (cut at short pauses, labelled by the diarizer,
joined again). Engines decode these regions (voc.asr.whisper)."""

from __future__ import annotations

import numpy as np

from voc.diarize import _unit

MAX_REGION_S = 15.0     # Whisper base stops after a sentence or two on longer regions (10 s: the 12 s meeting
#                         clip lost words, 5-clip CER 14.8 % -> 22.2 % at 16 kHz; 15 s and 20 s: 14.8 %)
MIN_SILENCE_MS = 2000   # a pause this long ends a region (asr.min_silence_ms; 400 splits call turns)
TURN_SILENCE_MS = 400   # mono calls with a diarizer: pauses this long are candidate speaker turns
# ... and one speaker's pieces are joined again into regions of up to MAX_REGION_S. Joined up to
# 10 s instead, long monologues kept 96.5 % / 91.2 % of their characters (16 kHz / 8 kHz) against
# 79.4 % / 75.2 %, but the 5 clips lost: CER 22.2 % / 29.6 % against 14.8 % / 25.9 % (bench_asr)
ONSET_THRESHOLD = 0.25  # a region starts where Silero's probability first passed this, not 0.5 ...
ONSET_LOOKBACK_S = 2.5  # ... at most this much earlier: Silero starts late after a short pause


def speech_regions(audio: np.ndarray, sample_rate: int = 16000, max_s: float = MAX_REGION_S,
                   context_s: float = 1.0, min_silence_ms: int = MIN_SILENCE_MS, pad_ms: int = 100
                   ) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Speech regions from Silero VAD (bundled with faster-whisper, offline): a list of
    ((start, end), (decode_from, decode_to)) in seconds.

    A pause of `min_silence_ms` ends a region and no region is longer than `max_s` (Silero cuts
    a longer one at its last pause). Each region is widened by up to `context_s` of the
    surrounding audio (never past half the gap to a neighbour) for decoding; the region itself,
    padded by only `pad_ms`, gives the utterance times, never Whisper's timestamps. Regions are
    packed into shared windows (WhisperEngine._decode_packed); a region alone in its window is
    decoded without timestamps. faster-whisper's own `vad_filter` joins regions into one
    stream and its batched decoding drops text after the last timestamp: on a stereo call whole
    turns went missing.

    Onset: Silero starts a region late when speech follows other speech after a short pause (the
    meeting clip after another clip, 0.3 s apart: its first 1.0 s at 16 kHz and 2.15 s at 8 kHz
    μ-law were in no region; 0.3 s and 0.8 s with the onset pass). A region's start moves back
    to where a second pass at ONSET_THRESHOLD finds that speech starting, by at most
    ONSET_LOOKBACK_S (_earlier_onsets).
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    def vad(threshold: float) -> list[tuple[float, float]]:
        found = get_speech_timestamps(audio, VadOptions(threshold=threshold, max_speech_duration_s=max_s,
                                                        speech_pad_ms=pad_ms, min_silence_duration_ms=min_silence_ms),
                                      sampling_rate=sample_rate)
        return [(r["start"] / sample_rate, r["end"] / sample_rate) for r in found]

    spans = vad(0.5)
    if spans:
        spans = _earlier_onsets(spans, vad(ONSET_THRESHOLD))
    return [((round(a, 2), round(b, 2)), ctx)
            for (a, b), ctx in zip(spans, _widened(spans, len(audio) / sample_rate, context_s), strict=True)]


def _widened(spans: list[tuple[float, float]], total: float, context_s: float) -> list[tuple[float, float]]:
    """Each (start, end) widened by up to `context_s` of the audio around it, never past half the
    gap to a neighbour nor outside (0, total): what a region is decoded with."""
    out = []
    for i, (a, b) in enumerate(spans):
        room_before = (a - spans[i - 1][1]) / 2 if i else a
        room_after = (spans[i + 1][0] - b) / 2 if i + 1 < len(spans) else total - b
        out.append((max(0.0, a - min(context_s, room_before)), min(total, b + min(context_s, room_after))))
    return out


def _earlier_onsets(spans: list[tuple[float, float]], loose: list[tuple[float, float]]
                    ) -> list[tuple[float, float]]:
    """`spans` (Silero at 0.5) with each start moved back to the start of the `loose` span
    (a lower threshold) that holds it, by at most ONSET_LOOKBACK_S. Only an onset of its own
    counts: a loose span that began before the end of the span before bridges a real pause
    (the lower threshold hears breath and echo there), and the pause is kept."""
    out = []
    for a, b in spans:
        start = a
        prev = out[-1][1] if out else 0.0
        for la, lb in loose:
            if la < a < lb:
                if la >= prev:
                    start = max(la, a - ONSET_LOOKBACK_S)
                break
        out.append((start, b))
    return out


def speaker_regions(audio: np.ndarray, sr: int, diarizer, min_silence_ms: int = MIN_SILENCE_MS,
                    max_s: float = MAX_REGION_S):
    """Regions of one speaker each: pieces between TURN_SILENCE_MS pauses, labelled by the
    diarizer, joined while the speaker stays, the pause is under `min_silence_ms` and the region
    under `max_s`. `diarizer` is a function that returns the diarizer. Returns (regions as
    speech_regions gives them, a voice embedding per region, the speaker label of each region)."""
    pieces = speech_regions(audio, sr, min_silence_ms=min(TURN_SILENCE_MS, min_silence_ms))
    if len(pieces) < 2:
        return pieces, None, None
    spans = [span for span, _ in pieces]
    diarizer = diarizer()
    voices = diarizer.embed_all([audio[int(a * sr): int(b * sr)] for a, b in spans])
    labels = diarizer.labels(voices, [b - a for a, b in spans])
    groups: list[list[int]] = []
    for i, (a, b) in enumerate(spans):
        g = groups[-1] if groups else None
        if (g and labels[g[-1]] == labels[i] and (a - spans[g[-1]][1]) * 1000 < min_silence_ms
                and b - spans[g[0]][0] <= max_s):
            g.append(i)
        else:
            groups.append([i])
    joined = [(spans[g[0]][0], spans[g[-1]][1]) for g in groups]
    regions = list(zip(joined, _widened(joined, len(audio) / sr, 1.0), strict=True))
    weights = [np.array([spans[i][1] - spans[i][0] for i in g]) for g in groups]
    merged = [_unit(np.average(np.array([voices[i] for i in g]), axis=0, weights=w))
              for g, w in zip(groups, weights, strict=True)]
    return regions, merged, [labels[g[0]] for g in groups]


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
