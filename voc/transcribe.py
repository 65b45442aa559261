"""The transcription stage: recordings in, speaker-attributed Simplified transcripts out.

`Transcriber` holds the engine(s) for a batch; `transcribe_file` turns one recording into a
`Transcript` or raises InputError with a one-line reason; `transcribe_files` goes on past bad
files and yields a `Failure` for each; `transcribe_batch` is `voc transcribe`: a batch inside a
run of the workspace. Nothing here prints.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from voc import audio
from voc.asr.base import EngineOptions, Segment
from voc.errors import ConfigError, InputError, choices
from voc.roles import guess_roles, roles_for_speakers
from voc.schema import ROLES, Failure, Transcript, Utterance
from voc.text.zh import clean_asr_text, known_hallucination, split_sentences, strip_punct

ENGINES = ("auto", "funasr", "whisper")


@dataclass
class TranscribeOptions:
    channel_roles: list[str] = field(default_factory=lambda: ["agent", "customer"])
    max_duration_s: float = 14400.0
    chunk_s: float = 300.0
    silence_db: float = -55.0
    channel: str = "call"
    redact: bool = True
    keep_last: int = 0
    speakers: int = 2       # mono recordings: speakers to tell apart (1 = no diarization)
    max_channels: int = 8   # channels decoded from a multi-channel recording

    def __post_init__(self):
        bad = [r for r in self.channel_roles if r not in ROLES]
        if bad or not self.channel_roles:
            raise ConfigError(f"audio.channel_roles: {bad or 'empty'}; each must be {choices(ROLES)}")
        if self.chunk_s < 10:
            raise ConfigError("audio.chunk_s must be at least 10 seconds")
        if self.max_duration_s <= 0:
            raise ConfigError("audio.max_duration_s must be positive")
        if not isinstance(self.speakers, int) or not 1 <= self.speakers <= 8:
            raise ConfigError(f"audio.speakers is {self.speakers!r}; it must be a whole number from 1 "
                              f"(no diarization) to 8 (--speakers)")

    @classmethod
    def from_settings(cls, settings) -> "TranscribeOptions":
        a = settings.section("audio")
        return cls(channel_roles=list(a["channel_roles"]), max_duration_s=a["max_duration_s"],
                   chunk_s=a["chunk_s"], silence_db=a["silence_db"], speakers=a["speakers"],
                   redact=settings["privacy.redact"], keep_last=settings["privacy.keep_last"])


def engine_options(settings) -> EngineOptions:
    a = settings.section("asr")
    return EngineOptions(language=a["language"], beam_size=a["beam_size"], hotwords=list(a["hotwords"]),
                         initial_prompt=a["initial_prompt"], compute_type=a["compute_type"],
                         threads=a["threads"], diarize=True, min_silence_ms=a["min_silence_ms"])


class Transcriber:
    """Chooses and holds the engine(s) of a batch; loads each model once, at first use."""

    def __init__(self, settings, engine: str = "auto"):
        from voc.config import models_dir

        if engine not in ENGINES:
            raise ConfigError(f"unknown engine {engine!r}; choose {choices(ENGINES)}")
        self.settings = settings
        self.models_root = models_dir(settings)
        self.options = engine_options(settings)
        if engine == "auto":
            from voc.asr import funasr

            engine = "funasr" if funasr.installed(settings, self.models_root) else "whisper"
        self.engine_name = engine
        self._engines: dict[bool, object] = {}
        self._diarizers: dict[int, object] = {}
        self._loading = threading.Lock()  # files in threads (transcribe_files) load each model once

    def diarizer(self, speakers: int):
        """The mono-call diarizer (GE2E speaker embeddings), loaded at first use."""
        with self._loading:
            if speakers not in self._diarizers:
                from voc.diarize import Diarizer

                self._diarizers[speakers] = Diarizer(self.models_root, speakers)
            return self._diarizers[speakers]

    def engine_for(self, info: audio.AudioInfo):
        """The engine for a recording: FunASR's 8 kHz model for telephone audio if installed."""
        telephone = self.engine_name == "funasr" and 0 < info.sample_rate <= 8000
        with self._loading:
            if telephone not in self._engines:
                if self.engine_name == "funasr":
                    from voc.asr.funasr import FunasrEngine

                    eng = FunasrEngine.from_settings(self.settings, self.models_root, self.options,
                                                     telephone=telephone)
                else:
                    from voc.asr.whisper import WhisperEngine

                    eng = WhisperEngine.from_settings(self.settings, self.models_root, self.options)
                self._engines[telephone] = eng
            return self._engines[telephone]

    def info(self) -> dict:
        return {"engine": self.engine_name,
                "loaded": [e.info() for e in self._engines.values()]
                + [d.info() for d in self._diarizers.values()]}


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def transcribe_file(path: str, transcriber: Transcriber, opts: TranscribeOptions,
                    meta: dict | None = None,
                    on_audio: Callable[[float, float], None] | None = None) -> Transcript:
    """One recording's transcript; `on_audio(seconds_done, seconds_total)` after each chunk of
    `audio.chunk_s` (progress through a long recording)."""
    info = audio.probe(path)
    if info.duration_s > opts.max_duration_s:
        raise InputError(path, f"too long: {info.duration_s:.0f} s is over the limit of "
                               f"{opts.max_duration_s:.0f} s (audio.max_duration_s)")
    engine = transcriber.engine_for(info)
    sr = engine.sample_rate
    utterances: list[Utterance] = []
    turns: list[tuple[list[Utterance], np.ndarray, float]] = []  # mono: (utterances, voice, seconds)
    pending: list[tuple[list[Utterance], np.ndarray, float]] = []  # the same with samples, not embedded yet
    loudest = -120.0
    decoded = 0.0
    twin: dict[int, int] | None = None   # channel -> the earlier channel carrying the same signal
    spoken: set[int] = set()             # channels that carried speech
    dropped: list[dict] = []             # Whisper's known hallucinations left out (said in meta)
    for offset, x in audio.iter_chunks(info, chunk_s=opts.chunk_s, max_channels=opts.max_channels,
                                       sample_rate=sr):
        decoded = offset + x.shape[1] / sr
        n_channels = x.shape[0]
        twin = _fold(x, twin)
        distinct = [ch for ch in range(x.shape[0]) if ch not in twin]
        mono = len(distinct) == 1
        diarize = mono and opts.speakers > 1 and not engine.can_diarize
        for ch in distinct:
            level = audio.rms_db(x[ch])
            loudest = max(loudest, level)
            if level < opts.silence_db:
                continue
            split = diarize and getattr(engine, "splits_speakers", False)
            kw = {"diarizer": lambda: transcriber.diarizer(opts.speakers)} if split else {}
            for seg in engine.transcribe(x[ch], sample_rate=sr, **kw):
                if not mono:
                    seg.speaker = None  # the channel says who speaks
                us = _utterances(seg, x[ch], sr, offset, ch, dropped)
                if us:
                    spoken.add(ch)
                utterances.extend(us)
                if us and diarize and seg.voice is not None:
                    turns.append((us, seg.voice, seg.end - seg.start))
                elif us and diarize:
                    pending.append((us, x[ch][int(seg.start * sr): int(seg.end * sr)].copy(), seg.end - seg.start))
                    if len(turns) + len(pending) >= 2:  # one segment needs no diarizer: load it at the second
                        d = transcriber.diarizer(opts.speakers)
                        turns += [(u, e, dur) for (u, _, dur), e in
                                  zip(pending, d.embed_all([v for _, v, _ in pending]), strict=True)]
                        pending = []
        if on_audio:
            on_audio(decoded, info.duration_s)
    if loudest < opts.silence_db:
        raise InputError(path, f"silent recording (level {loudest:.0f} dBFS, below "
                               f"audio.silence_db {opts.silence_db:.0f})")
    if not utterances:
        only = f"; only Whisper's known hallucinations: {dropped[0]['text']}" if dropped else ""
        raise InputError(path, f"no speech recognised (level {loudest:.0f} dBFS): the audio is not "
                               f"silent but the engine found no words in it (noise, music or not speech{only})")
    channels = [ch for ch in range(n_channels) if ch not in (twin or {})]
    diarized = None
    if len(channels) == 1 and turns:
        diarized = _label_speakers(turns, transcriber.diarizer(opts.speakers))
    utterances.sort(key=lambda u: (u.start, u.end))
    roles_how = _assign_roles(utterances, len(channels) > 1, opts.channel_roles)
    m = {"asr": engine.info(), "roles": roles_how, "audio": {
        "codec": info.codec, "sample_rate": info.sample_rate, "channels": info.channels,
        "format": info.format, "channels_used": sorted(spoken)}}
    if twin:
        m["audio"]["folded"] = {str(c): t for c, t in twin.items()}
        if len(channels) == 1:
            m["audio"]["note"] = "all channels carry the same signal: treated as mono"
    if diarized is not None:
        m["diarization"] = diarized
    if dropped:
        m["asr_dropped"] = dropped
    m.update(meta or {})
    t = Transcript(id=sha256_of(path), source=str(path), channel=opts.channel,
                   duration_s=round(decoded, 2), meta=m, utterances=utterances)
    return redact(t, opts.redact, opts.keep_last)


def _fold(x: np.ndarray, twin: dict[int, int] | None) -> dict[int, int]:
    """Channels that repeat an earlier one (decided on the first chunk; a later chunk in which
    they differ brings them back): identical channels are transcribed once."""
    if twin is None:
        twin = {}
        for ch in range(1, x.shape[0]):
            same = next((k for k in range(ch) if k not in twin and _same_signal(x[ch], x[k])), None)
            if same is not None:
                twin[ch] = same
        return twin
    return {ch: k for ch, k in twin.items() if _same_signal(x[ch], x[k])}


def _label_speakers(turns, diarizer) -> dict:
    """Speaker labels spk0, spk1... on the utterances of a mono recording, from the voices."""
    labels = diarizer.labels([e for _, e, _ in turns], [d for _, _, d in turns])
    found = len(set(labels))
    if found > 1:
        for (us, _, _), lab in zip(turns, labels):
            for u in us:
                u.speaker = f"spk{lab}"
    return {"engine": "resemblyzer", "speakers_asked": diarizer.speakers, "speakers_found": found}


def redact(t: Transcript, enabled: bool = True, keep_last: int = 0) -> Transcript:
    """PII redacted (unless disabled); meta says which, and how many of each kind."""
    from voc.text.pii import redact_transcript

    if not enabled:
        t.meta["redacted"] = False
        return t
    t, counts = redact_transcript(t, keep_last=keep_last)
    t.meta["redacted"] = True
    t.meta["pii"] = {k: n for k, n in counts.items() if n}
    return t


def transcribe_files(paths: list[str], transcriber: Transcriber, opts: TranscribeOptions,
                     on_audio: Callable[[float, float], None] | None = None) -> Iterator[Transcript | Failure]:
    """Each file's transcript or Failure, in order. With Whisper, up to BATCH_SIZE files are
    transcribed at once, each in a thread whose model calls run together with those of the
    other threads of its lane (voc.asr.lockstep.Lockstep): full batches instead of one or two
    windows a call, a batch at a time on each of the model's replicas (voc.asr.whisper.lanes)."""
    def one(p: str) -> Transcript | Failure:
        try:
            return transcribe_file(p, transcriber, opts, on_audio=on_audio)
        except InputError as e:
            return Failure(source=str(p), reason=e.reason)
        except Exception as e:  # noqa: BLE001 - one file's library error must not stop the batch (as in voc run)
            return Failure(source=str(p), reason=f"{type(e).__name__}: {e}")

    if transcriber.engine_name != "whisper" or len(paths) < 2:
        yield from map(one, paths)
        return
    from voc.asr.lockstep import LOCKSTEP
    from voc.asr.whisper import BATCH_SIZE, lanes

    n_lanes = lanes(transcriber.options.threads)

    results: list = [None] * len(paths)
    done = [threading.Event() for _ in paths]
    todo = iter(_longest_first(paths, 4 * BATCH_SIZE))
    take, stop = threading.Lock(), threading.Event()

    def work(lane: int):
        with LOCKSTEP.member(lane):
            while not stop.is_set():
                with take:
                    k = next(todo, None)
                if k is None:
                    return
                try:
                    results[k] = one(paths[k])
                except BaseException as e:  # noqa: BLE001 - raised again in order, by the caller's thread
                    results[k] = e
                done[k].set()

    for k in range(min(BATCH_SIZE, len(paths))):
        threading.Thread(target=work, args=(k % n_lanes,), daemon=True).start()
    try:
        for k in range(len(paths)):
            done[k].wait()
            if isinstance(results[k], BaseException):
                raise results[k]
            yield results[k]
            results[k] = None
    finally:
        stop.set()  # a stopped batch: each thread ends after its file


def _longest_first(paths: list[str], block: int) -> list[int]:
    """Indexes of `paths`, each block of `block` files biggest first: a long file started last
    decodes its last windows in batches of one after the others are done (the bench set lists
    its 55 s monologues last). Results are still given in order, so at most a block waits."""
    def size(p: str) -> int:
        try:
            return os.path.getsize(p)
        except OSError:
            return 0

    return [k for b in range(0, len(paths), block)
            for k in sorted(range(b, min(len(paths), b + block)), key=lambda k: -size(paths[k]))]


def transcribe_batch(paths: list[str], transcriber: Transcriber, opts: TranscribeOptions, run, *,
                     out: str | Path | None = None,
                     on_done: Callable[[str], None] | None = None,
                     on_audio: Callable[[float, float], None] | None = None) -> dict:
    """Transcribe `paths` inside `run` (a voc.store.Run): each transcript goes to `out` (JSONL,
    flushed per record; kept up to the last finished one if the batch is stopped) and into the
    run's workspace; each file that cannot be used goes to `run.fail` and the batch goes on.
    `on_done(source)` after each input, `on_audio(done_s, total_s)` within one (progress).
    Returns the summary (inputs, succeeded, failed, engine, seconds)."""
    from voc.files import open_out

    try:
        with open_out(out) as fh:
            for rec in transcribe_files(paths, transcriber, opts, on_audio=on_audio):
                if isinstance(rec, Failure):
                    run.fail(rec.source, rec.reason)
                else:
                    run.ok()
                    if fh:
                        fh.write(rec.to_json() + "\n")
                        fh.flush()
                    if run.ws is not None:  # an id stored for a table's contact: said, not replaced
                        for c in run.ws.save_transcript(rec, run.id, force=getattr(run, "force", False)):
                            run.fail(c["source"], c["reason"])
                if on_done:
                    on_done(rec.source)
    finally:
        run.models = transcriber.info()   # the engines loaded so far, whatever ended the batch
    return {"inputs": len(paths), "succeeded": run.succeeded, "failed": run.failed,
            "engine": transcriber.engine_name, "seconds": round(run.seconds, 2)}


def _same_signal(a: np.ndarray, b: np.ndarray) -> bool:
    if a.size == 0:
        return True
    return float(np.max(np.abs(a - b))) < 1e-3


def _utterances(seg: Segment, x: np.ndarray, sr: int, offset: float, ch: int,
                dropped: list[dict]) -> list[Utterance]:
    """One segment becomes one utterance per sentence, times shared out by character count. A
    sentence that is one of Whisper's known hallucinations (谢谢观看, 字幕由…提供) is left out and
    appended to `dropped` with its time and channel."""
    text = clean_asr_text(seg.text)
    if not strip_punct(text):
        return []
    sentences = split_sentences(text) or [text]
    lengths = [max(1, len(strip_punct(s))) for s in sentences]
    total = sum(lengths)
    out, t = [], seg.start
    for s, n in zip(sentences, lengths):
        end = seg.end if s is sentences[-1] else t + (seg.end - seg.start) * n / total
        start, stop = round(offset + t, 2), round(offset + end, 2)
        if known_hallucination(s):
            dropped.append({"start": start, "end": stop, "channel": ch, "text": s})
        else:
            out.append(Utterance(start=start, end=stop, speaker=seg.speaker or f"ch{ch}", role="unknown", text=s,
                                 features=_features(s, x[int(t * sr): int(end * sr)], end - t),
                                 emotion=seg.emotion, events=list(seg.events)))
        t = end
    return out


def _features(text: str, samples: np.ndarray, dur: float) -> dict[str, float]:
    chars = len(strip_punct(text))
    return {"speech_rate_cpm": round(chars / dur * 60, 1) if dur > 0 else 0.0,
            "rms_db": audio.rms_db(samples)}


def _assign_roles(utterances: list[Utterance], by_channel: bool, channel_roles: list[str]) -> str:
    if by_channel:
        for u in utterances:
            ch = int(u.speaker[2:]) if u.speaker.startswith("ch") else 0
            u.role = channel_roles[ch] if ch < len(channel_roles) else "unknown"
        return "channels"
    if any(not u.speaker.startswith("ch") for u in utterances):
        mapping = roles_for_speakers(utterances)
        for u in utterances:
            u.role = mapping.get(u.speaker, "unknown")
        return "diarization"
    guess_roles(utterances)
    return "guess"
