"""faster-whisper engine (CTranslate2 weights from a local directory; int8 on CPU).

Where speech is and who speaks comes from voc.asr.regions; this module decodes it: one
speaker's regions packed into shared windows, the text split back by the times of its words, and
what a window lost decoded again. The offline default is Whisper base, assembled from two PyPI
wheels by voc.models. Whisper often answers Mandarin in Traditional characters and sometimes
without punctuation; the transcribe stage converts to Simplified and normalises punctuation, so
this module returns the model's text as it is.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from voc.asr.base import EngineOptions, Segment
from voc.asr.lockstep import LOCKSTEP
from voc.asr.regions import speaker_regions, speech_regions, split_region

MAX_LANES = 4           # model replicas at most (files in threads: one batch at a time each)
BATCH_SIZE = 8          # windows a generate call (8 windows of 27 s: 20-22 s in batches of 2 to 8, 32 s one by one)
MIN_CPS = 2.0           # decoded characters per second of speech below which a region is re-decoded
MIN_CHECK_S = 3.0       # regions shorter than this are not checked (short answers, pauses)
PACK_S = 28.0           # one speaker's regions are packed into windows of up to this much audio...
PACK_GAP_S = 0.6        # ... with this much silence between two regions (Whisper encodes 30 s per window)
PACK_CONTEXT_S = 1.0    # ... each with up to this much of the audio around it (never past half the gap)
WORD_LEAD_S = 0.25      # an aligned word ending this little before a turn's speech starts is that turn's
TAIL_S = 1.5            # speech left after the last timestamp of a packed region's text: decoded again


def cpu_threads(setting: int) -> int:
    """The CPU threads Whisper gets for the asr.threads setting (0 = every core)."""
    return setting or (os.cpu_count() or 1)


def lanes(setting: int) -> int:
    """Model replicas that decode side by side, one CPU thread each, for the asr.threads
    setting (at most MAX_LANES, then the threads are shared out; CTranslate2 `inter_threads`,
    the weights shared): files in threads (LOCKSTEP) fill one batch a lane. Two single-threaded
    replicas decode faster than one model on two threads (docs/transcribe.md)."""
    return max(1, min(cpu_threads(setting), MAX_LANES))


class WhisperEngine:
    name = "whisper"
    can_diarize = False
    sample_rate = 16000

    def __init__(self, model_dir: Path, options: EngineOptions, model_info: dict | None = None):
        from faster_whisper import WhisperModel

        self.options = options
        self.model_dir = Path(model_dir)
        self._info = model_info or {"dir": str(model_dir)}
        self.lanes = lanes(options.threads)
        self.model = WhisperModel(str(model_dir), device="cpu", compute_type=options.compute_type,
                                  cpu_threads=max(1, cpu_threads(options.threads) // self.lanes),
                                  num_workers=self.lanes,
                                  local_files_only=True)
        # more generate options (patience, repetition_penalty, no_repeat_ngram_size,
        # length_penalty): scripts/bench_telephone_asr.py measures them; none beat the defaults there
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
        voices, labels = None, None
        if diarizer is not None:
            regions, voices, labels = speaker_regions(audio, sample_rate, diarizer, self.options.min_silence_ms)
        else:
            regions = speech_regions(audio, sample_rate, min_silence_ms=self.options.min_silence_ms)
        if not regions:
            return []
        # one speaker's regions are packed together: a window never holds two voices
        texts, ends = self._decode_packed(audio, regions, _by_speaker(range(len(regions)), labels), sample_rate)
        # coverage: where Whisper's timestamps stop TAIL_S or more before a packed region's
        # speech ends (it stopped early in the window, or skipped the region), the rest of the
        # region is decoded again and its text added: the rests packed again the same way, then
        # what is still left on its own, without timestamps
        todo = [i for i, ((a, b), _) in enumerate(regions) if i in ends and b - ends[i] >= TAIL_S]
        for packed in (True, False):
            if not todo:
                break
            rest = [((max(regions[i][0][0], ends[i] - 0.1), regions[i][0][1]),
                     (max(regions[i][0][0], ends[i] - 0.1), regions[i][1][1])) for i in todo]
            if packed:
                more, got = self._decode_packed(audio, rest, _by_speaker(todo, labels), sample_rate)
            else:
                more, got = self._decode(audio, [ctx for _, ctx in rest], sample_rate), {}
            for k, i in enumerate(todo):
                texts[i] = texts[i] + more[k]
            ends = {todo[k]: end for k, end in got.items()}  # by position in `rest` -> by region
            todo = [i for i in todo if i in ends and regions[i][0][1] - ends[i] >= TAIL_S]
        # a region with fewer characters than its speech holds is decoded again on its own
        again = [i for i, ((a, b), _) in enumerate(regions) if under_covered(texts[i], b - a)]
        if again:
            _keep_longer(texts, again, self._decode(audio, [regions[i][1] for i in again], sample_rate))
        # still short: split at its quietest point and both parts decoded again
        short = [i for i, ((a, b), _) in enumerate(regions) if under_covered(texts[i], b - a)]
        if short:
            halves = [h for i in short for h in split_region(audio, sample_rate, *regions[i][0])]
            parts = self._decode(audio, halves, sample_rate)
            _keep_longer(texts, short, [parts[2 * n] + parts[2 * n + 1] for n in range(len(short))])
        return [Segment(start=a, end=b, text=t, voice=None if voices is None else voices[i])
                for i, (((a, b), _), t) in enumerate(zip(regions, texts, strict=True)) if t]

    def _decode_packed(self, audio: np.ndarray, regions, groups: list[list[int]], sr: int
                       ) -> tuple[list[str], dict[int, float]]:
        """Text of each (from, to) span of `audio`. The spans of each group (one speaker's, in
        time order) are packed into windows of up to PACK_S seconds, PACK_GAP_S of silence
        apart, decoded with Whisper's timestamps (one encoder pass per window, several windows
        per batch) and the text split back to the spans by its aligned words (`assign_words`;
        by the timestamp pieces where a window has no alignment); a span alone in its window is
        decoded as before, without timestamps. Returns the texts and, for each packed span, the
        time (in `audio`) where Whisper's timestamps of its text end."""
        spans = [ctx for _, ctx in regions]
        near = [(max(lo, a - PACK_CONTEXT_S), min(hi, b + PACK_CONTEXT_S)) for (a, b), (lo, hi) in regions]
        windows = [w for g in groups for w in pack_spans(audio, sr, [near[i] for i in g], index=g)]
        texts = [""] * len(spans)
        ends: dict[int, float] = {}
        lone = [placed[0][0] for _, placed in windows if len(placed) == 1]
        packed = [w for w in windows if len(w[1]) > 1]
        for (_, placed), (pieces, words) in zip(packed, self._generate([x for x, _ in packed]), strict=True):
            if words:  # each word to the region whose speech it ends in (or after)
                starts = [(ps + regions[i][0][0] - near[i][0], i) for i, ps, _ in placed]
                shared = assign_words(words, starts)
            else:
                shared = assign_text(pieces, placed)
            for i, text in shared:
                texts[i] += text
            for i, ps, pe in placed:  # window time -> audio time
                last = max((min(e, pe) for s, e, t in pieces if t.strip() and s < pe and e > ps), default=ps)
                ends[i] = near[i][0] + max(0.0, last - ps)
        # a packed region whose text loops (各位各位各位…, Whisper's repetition failure with
        # timestamps) is decoded again on its own (where a loop left is cut to one copy)
        looped = [i for i in ends if looping(texts[i])]
        for i in looped:
            ends.pop(i)  # no tail to decode again: the region is read anew
        if lone or looped:
            again = lone + looped
            for i, t in zip(again, self._decode(audio, [spans[i] for i in again], sr), strict=True):
                texts[i] = t
        return [t.strip() for t in texts], ends

    def _generate(self, windows: list[np.ndarray]) -> list[tuple[list, list]]:
        """Each window's decoding as (pieces, words), times in the window: the (start, end,
        text) pieces between Whisper's timestamp tokens, and its (start, end, word) words (a
        character or two in Chinese) timed by the cross-attention alignment."""
        tok, results = self._tokens(windows, timestamps=True)
        return [(timed_pieces(r, tok, len(x) / self.sample_rate), words)
                for x, (r, words) in zip(windows, results, strict=True)]

    def _decode(self, audio: np.ndarray, windows: list[tuple[float, float]], sr: int) -> list[str]:
        """Text of each (from, to) window, decoded on its own, without timestamps."""
        tok, results = self._tokens([audio[int(lo * sr): int(hi * sr)] for lo, hi in windows], timestamps=False)
        return [unloop(tok.decode([t for t in r if t < tok.eot]).strip()) for r in results]

    def _tokens(self, windows: list[np.ndarray], timestamps: bool) -> tuple[object, list]:
        """Whisper's tokens for each window (samples, up to 30 s), with timestamps as (tokens,
        aligned words) (`_generate_batch`), and the tokenizer. The
        windows are decoded together with those other threads (files) ask for at the same time
        (LOCKSTEP): a batch is several times cheaper a window than one window alone."""
        from faster_whisper.audio import pad_or_trim

        if not windows:
            return None, []
        m = self.model
        # asr.language empty: Whisper tells the language from the first window
        language = self.options.language or m.detect_language(audio=windows[0])[0]
        feats = [(pad_or_trim(m.feature_extractor(x)[..., :-1]), len(x) // m.feature_extractor.hop_length)
                 for x in windows]
        return self._tokenizer(language), LOCKSTEP.run(self._generate_batch, (timestamps, language), feats)

    def _tokenizer(self, language: str):
        from faster_whisper.tokenizer import Tokenizer

        m = self.model
        return Tokenizer(m.hf_tokenizer, m.model.is_multilingual, task="transcribe", language=language)

    def _generate_batch(self, key: tuple[bool, str], feats: list[tuple[np.ndarray, int]]) -> list:
        """Tokens of each window's (features, frames of audio), up to BATCH_SIZE windows a
        generate call, on the model's replicas side by side, with the options that
        BatchedInferencePipeline.transcribe gives CTranslate2 (beam search, blank and non-speech
        tokens suppressed). With timestamps, each window's (tokens, timed words): its text
        aligned to the audio by Whisper's cross-attention (faster-whisper's find_alignment: one
        more decoder pass)."""
        from faster_whisper.transcribe import get_suppressed_tokens

        timestamps, language = key
        m, o = self.model, self.options
        tok = self._tokenizer(language)
        prompt = m.get_prompt(tok, tok.encode(o.initial_prompt) if o.initial_prompt else [],
                              without_timestamps=not timestamps, hotwords=" ".join(o.hotwords) or None)
        extra = {k: v for k, v in self.decode_options.items()
                 if k in ("patience", "repetition_penalty", "no_repeat_ngram_size", "length_penalty")}
        suppress = get_suppressed_tokens(tok, [-1])

        def decode(part: list[tuple[np.ndarray, int]]) -> list:
            encoded = m.encode(np.stack([f for f, _ in part]))
            results = m.model.generate(encoded, [list(prompt) for _ in part], beam_size=o.beam_size,
                                       max_length=m.max_length, suppress_blank=True,
                                       suppress_tokens=suppress, **extra)
            seqs = [r.sequences_ids[0] for r in results]
            if timestamps:
                return list(zip(seqs, _aligned_words(m, tok, seqs, encoded, [n for _, n in part]), strict=True))
            return seqs

        # a lane (files in threads) keeps its replica busy with whole batches; a file alone
        # shares its windows out among the replicas
        size = BATCH_SIZE if LOCKSTEP.in_lane() else min(BATCH_SIZE, -(-len(feats) // self.lanes))
        parts = [feats[i: i + size] for i in range(0, len(feats), size)]
        if len(parts) == 1:
            return decode(parts[0])
        with ThreadPoolExecutor(self.lanes) as pool:
            return [x for out in pool.map(decode, parts) for x in out]

    def info(self) -> dict:
        return {"engine": self.name, "compute_type": self.options.compute_type,
                "models": [self._info]}


def _aligned_words(m, tok, seqs: list[list[int]], encoded, frames: list[int]) -> list[list[tuple[float, float, str]]]:
    """(start, end, word) of each decoded window's text, aligned to its `frames` of audio by
    Whisper's cross-attention (faster-whisper's find_alignment); [] for a window without text."""
    text = [[t for t in s if t < tok.eot] for s in seqs]
    have = [k for k, t in enumerate(text) if t]
    words: list[list] = [[] for _ in seqs]
    if have:
        enc = encoded if len(have) == len(seqs) else _rows(encoded, have)
        found = m.find_alignment(tok, [text[k] for k in have], enc, [frames[k] for k in have])
        for k, ws in zip(have, found, strict=True):
            words[k] = [(float(w["start"]), float(w["end"]), w["word"]) for w in ws]
    return words


def _rows(encoded, rows: list[int]):
    """Those rows of CTranslate2's encoder output (a StorageView on the CPU)."""
    import ctranslate2

    return ctranslate2.StorageView.from_array(np.ascontiguousarray(np.array(encoded)[rows]))


def pack_spans(audio: np.ndarray, sr: int, spans: list[tuple[float, float]], limit_s: float = PACK_S,
               gap_s: float = PACK_GAP_S, index: list[int] | None = None
               ) -> list[tuple[np.ndarray, list[tuple[int, float, float]]]]:
    """Windows of packed audio: (samples, [(span index, start, end in the window)]). The
    (from, to) spans go in their order, `gap_s` of silence between two, a window holding up
    to `limit_s` seconds; `index` numbers the spans (default 0, 1, ...)."""
    index = list(range(len(spans))) if index is None else index
    gap = np.zeros(int(gap_s * sr), dtype=np.float32)
    windows, parts, placed, used = [], [], [], 0
    for i, (a, b) in zip(index, spans, strict=True):
        x = audio[int(a * sr): int(b * sr)]
        if parts and used + len(gap) + len(x) > limit_s * sr:
            windows.append((np.concatenate(parts), placed))
            parts, placed, used = [], [], 0
        if parts:
            parts.append(gap)
            used += len(gap)
        placed.append((i, used / sr, (used + len(x)) / sr))
        parts.append(x)
        used += len(x)
    if parts:
        windows.append((np.concatenate(parts), placed))
    return windows


def timed_pieces(tokens: list[int], tok, duration: float) -> list[tuple[float, float, str]]:
    """Whisper's output with timestamps as (start, end, text): text between two timestamp
    tokens spans them; text after the last one (no closing timestamp) is given 0.25 s a
    character, up to `duration`."""
    out, text, start, last = [], [], 0.0, 0.0
    for t in tokens:
        if t >= tok.timestamp_begin:
            last = (t - tok.timestamp_begin) * 0.02
            if text:
                out.append((start, last, tok.decode(text)))
                text = []
            start = last
        elif t < tok.eot:
            text.append(t)
    if text:  # no closing timestamp: about 4 characters a second from where it starts
        words = tok.decode(text)
        out.append((start, min(max(duration, start), start + 0.25 * len(words.strip())), words))
    return out


def assign_text(pieces: list[tuple[float, float, str]], placed: list[tuple[int, float, float]]
                ) -> list[tuple[int, str]]:
    """(span index, text) for Whisper's timed pieces of one packed window: a piece goes to the
    span it overlaps; a piece over several spans is shared out by overlap, characters in order;
    one that overlaps none goes to the nearest span."""
    out = []
    for s, e, text in pieces:
        text = text.strip()
        if not text:
            continue
        over = [max(0.0, min(e, pe) - max(s, ps)) for _, ps, pe in placed]
        if sum(over) <= 0:
            mid = (s + e) / 2
            k = min(range(len(placed)), key=lambda j: min(abs(mid - placed[j][1]), abs(mid - placed[j][2])))
            out.append((placed[k][0], text))
            continue
        share = np.cumsum(over) / sum(over)
        cuts = [0] + [int(round(c * len(text))) for c in share]
        for (i, _, _), lo, hi in zip(placed, cuts[:-1], cuts[1:]):
            if hi > lo:
                out.append((i, text[lo:hi]))
    return out


def assign_words(words: list[tuple[float, float, str]], starts: list[tuple[float, int]]) -> list[tuple[int, str]]:
    """(region index, word) for the aligned words of one packed window: a word goes to the last
    region whose speech starts (`starts`: (time in the window, index), in order) before the
    word ends. The alignment stretches the first word after a pause back to the end of the
    word before, and the last word before a pause on to the start of the next, so a word's
    start, or its overlap with the speech, puts the first word of a turn into the turn before
    (the same two-minute stereo call: 好 / 甚 / 我有 at the end of the turn before). The
    timestamp pieces, shared out by time, misplaced whole words where one piece ran on through
    the pause between two turns."""
    out = []
    for _, e, word in words:
        k = next((i for t, i in reversed(starts) if t - WORD_LEAD_S <= e), starts[0][1])
        out.append((k, word))
    return out


def _by_speaker(items, labels: list[int] | None) -> list[list[int]]:
    """Positions in `items` (region indexes) grouped by the speaker of each region, in order."""
    groups: dict[int, list[int]] = {}
    for k, i in enumerate(items):
        groups.setdefault(labels[i] if labels else 0, []).append(k)
    return list(groups.values())


def _keep_longer(texts: list[str], idx: list[int], readings: list[str]) -> None:
    """texts[i] becomes the new reading of region i where that has more characters."""
    for i, t in zip(idx, readings, strict=True):
        if _chars(t) > _chars(texts[i]):
            texts[i] = t


def _chars(text: str) -> int:
    return sum(1 for c in text if c.isalnum())


# a unit of 1-8 characters, digits excepted (amounts: 1000000元), said 6 times or more in a row
_LOOP = re.compile(r"(\D{1,8}?)\1{5,}")


def looping(text: str) -> bool:
    """Whether Whisper's text runs into a repetition loop: one unit of 1-8 characters six or
    more times in a row (各位各位各位…). People repeat a word two or three times (对对对, 谢谢谢谢)."""
    return bool(_LOOP.search(text))


def unloop(text: str) -> str:
    """The text with every such loop cut to one copy of its unit."""
    return _LOOP.sub(r"\1", text)


def under_covered(text: str, speech_s: float) -> bool:
    """Fewer than MIN_CPS characters per second of a region of MIN_CHECK_S or more: words lost.
    Mandarin speech runs at 3 to 6 characters a second (the shared clips: 2.0 to 5.4)."""
    return speech_s >= MIN_CHECK_S and _chars(text) < MIN_CPS * speech_s
