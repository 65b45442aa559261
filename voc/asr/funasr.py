"""FunASR engine: Paraformer / SenseVoice from local directories, with optional VAD, punctuation
and speaker (diarization) models.

Everything is loaded from directories that `voc.models.ensure` verified; FunASR is never given a
hub name, so it never downloads. FunASR's loose result dicts become `Segment`s here, once, in
`to_segments` (pure, tested on literal dicts shaped like real outputs).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np

from voc import models
from voc.asr.base import EngineOptions, Segment
from voc.errors import ModelError

log = logging.getLogger(__name__)

_LANGS = {"zh", "en", "yue", "ja", "ko", "nospeech", "auto"}
_EMOTIONS = {"happy", "sad", "angry", "neutral", "fearful", "disgusted", "surprised"}
_EVENTS = {"bgm", "applause", "laughter", "cry", "sneeze", "breath", "cough", "sing", "speech_noise"}
_TAG = re.compile(r"<\|([^|<>]*)\|>")
_LANG_TAG = re.compile(r"(?=<\|(?:%s)\|>)" % "|".join(sorted(_LANGS)))
_CJK = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
_CJK_GAP = re.compile(rf"(?<={_CJK})\s+(?={_CJK})")


class FunasrEngine:
    """A FunASR `AutoModel` over local model directories.

    `sample_rate` is the rate the ASR model was trained on (8000 for the telephone model): give
    `transcribe` audio at that rate; other rates are resampled. Speaker labels ("spk0", ...)
    come only with a speaker model, which FunASR runs on VAD segments, so it needs `vad_dir`.
    """

    name = "funasr"

    def __init__(self, model_dir, *, vad_dir=None, punc_dir=None, spk_dir=None,
                 options: EngineOptions, sample_rate: int = 16000, model_infos: list[dict] = ()):
        dirs = {"model": model_dir, "vad_model": vad_dir, "punc_model": punc_dir, "spk_model": spk_dir}
        self.dirs = {k: Path(v) for k, v in dirs.items() if v is not None}
        for role, d in self.dirs.items():
            # a path that does not exist would make FunASR treat it as a hub name and download
            if not d.is_dir():
                raise ModelError(f"FunASR {role} directory {d} does not exist")
            if not ((d / "config.yaml").exists() or (d / "configuration.json").exists()):
                raise ModelError(f"FunASR {role} directory {d} has no config.yaml or configuration.json")
        if "spk_model" in self.dirs and "vad_model" not in self.dirs:
            raise ModelError("FunASR speaker diarization needs a VAD model: set asr.funasr_vad")
        self.options = options
        self.sample_rate = int(sample_rate)
        self.can_diarize = "spk_model" in self.dirs
        self.model_infos = [dict(m) for m in model_infos]
        with _quiet():
            import funasr
            from funasr import AutoModel

            self._model = AutoModel(**{k: str(v) for k, v in self.dirs.items()},
                                    disable_update=True, disable_pbar=True, device="cpu",
                                    ncpu=options.threads or os.cpu_count() or 1, hub="ms",
                                    log_level="ERROR")
        self.version = getattr(funasr, "__version__", "")
        self.model_class = str(self._model.kwargs.get("model", ""))
        self._rich = self.model_class.startswith("SenseVoice")  # emotion/event tags, no timestamps

    @classmethod
    def from_settings(cls, settings, models_root, options: EngineOptions,
                      telephone: bool = False) -> "FunasrEngine":
        """The engine for `asr.funasr_*` settings, from verified dirs under `models_root`.

        telephone=True picks `asr.funasr_model_8k` when it is installed. VAD and punctuation
        models are used when installed; the speaker model only when `options.diarize` asks
        for it (and a VAD model is there). An empty name means "not used".
        """
        root = Path(models_root)
        name = settings["asr.funasr_model"]
        name_8k = settings["asr.funasr_model_8k"]
        if telephone and name_8k and models.is_installed(name_8k, root):
            name = name_8k
        if not name:
            raise ModelError("asr.funasr_model is empty; set it to a FunASR model from "
                             "the model manifest (voc models list), e.g. paraformer-zh")
        spec = models.spec(name)
        if spec.engine != "funasr" or spec.role != "asr":
            raise ModelError(f"model {name} is a {spec.engine} {spec.role} model, "
                             f"not a FunASR ASR model")
        main = models.ensure(name, root)
        subs, infos = {}, [models.model_info(name, root)]
        for role in ("vad", "punc", "spk"):
            sub = settings[f"asr.funasr_{role}"]
            if not sub or (role == "spk" and not (options.diarize and "vad" in subs)):
                continue
            if not models.is_installed(sub, root):
                log.info("FunASR %s model %s is not installed; going on without it", role, sub)
                continue
            subs[role] = models.ensure(sub, root)
            infos.append(models.model_info(sub, root))
        return cls(main, vad_dir=subs.get("vad"), punc_dir=subs.get("punc"),
                   spk_dir=subs.get("spk"), options=options, sample_rate=spec.sample_rate,
                   model_infos=infos)

    def transcribe(self, audio: np.ndarray, sample_rate: int = 16000) -> list[Segment]:
        audio = np.asarray(audio, dtype=np.float32)
        if audio.ndim != 1:
            raise ValueError(f"FunASR takes 1-D mono audio (split channels first), got shape {audio.shape}")
        if sample_rate != self.sample_rate:
            audio = _resample(audio, sample_rate, self.sample_rate)
        duration = len(audio) / self.sample_rate
        if len(audio) < self.sample_rate // 40:  # shorter than one 25 ms frame
            return []
        cfg: dict = {"fs": self.sample_rate}
        hotword = hotword_string(self.options.hotwords)
        if hotword:
            cfg["hotword"] = hotword
        if self._rich:
            cfg.update(language=self.options.language or "auto", use_itn=True)
        elif "punc_model" in self.dirs or "vad_model" not in self.dirs:
            # token times: segment bounds without VAD, sentence splitting with VAD + punc.
            # (VAD without punc: FunASR makes one sentence per VAD segment only without them.)
            cfg["output_timestamp"] = True
        if "vad_model" in self.dirs:
            cfg["sentence_timestamp"] = True
        with _quiet():
            results = self._model.generate(input=audio, **cfg)
        return to_segments(results, duration)

    def info(self) -> dict:
        return {"engine": self.name, "funasr_version": self.version, "model_class": self.model_class,
                "sample_rate": self.sample_rate, "can_diarize": self.can_diarize,
                "dirs": {k: str(v) for k, v in self.dirs.items()}, "models": self.model_infos,
                "options": dataclasses.asdict(self.options)}


def installed(settings, models_root) -> bool:
    """Whether the main FunASR ASR model (`asr.funasr_model`) is installed."""
    name = settings["asr.funasr_model"]
    return bool(name) and models.is_installed(name, Path(models_root))


def hotword_string(hotwords) -> str:
    """Hotwords as FunASR wants them: one space-separated string.

    Words that look like URLs or .txt files are dropped: FunASR would download or read them.
    """
    words = [w for h in hotwords or () for w in str(h).split()]
    return " ".join(w for w in words if not w.lower().startswith("http") and not w.lower().endswith(".txt"))


# ---- FunASR result dicts -> Segments -------------------------------------------------------

def to_segments(results, duration: float | None = None) -> list[Segment]:
    """Segments from the list `AutoModel.generate` returns. Times in seconds, clipped to
    [0, duration] when it is given; segments with no text are dropped."""
    segments = []
    for result in results or []:
        segments.extend(_result_segments(result, duration))
    return segments


def _result_segments(result: dict, duration: float | None) -> list[Segment]:
    text = str(result.get("text") or "")
    sentences = result.get("sentence_info") or []
    if sentences:
        # without a speaker model FunASR strips SenseVoice tags from sentences; recover them
        # from the full text when it splits into one tagged chunk per sentence
        chunk_tags = [None] * len(sentences)
        if not any(_TAG.search(str(s.get("text") or "")) for s in sentences) and _TAG.search(text):
            chunks = [c for c in _LANG_TAG.split(text) if clean_text(c)]
            if len(chunks) == len(sentences):
                chunk_tags = chunks
        out = []
        for s, tagged in zip(sentences, chunk_tags):
            raw = str(s.get("text") or s.get("sentence") or "")
            body, emotion, events = parse_tags(raw)
            if tagged is not None:
                _, emotion, events = parse_tags(tagged)
            if not body:
                continue
            start, end = _ms(s.get("start")), _ms(s.get("end"))
            if start is None or end is None:
                start, end = _span(s.get("timestamp")) or (0.0, duration or 0.0)
            spk = s.get("spk")
            out.append(_segment(start, end, body, f"spk{int(spk)}" if spk is not None else None,
                                emotion, events, duration))
        return out
    body, emotion, events = parse_tags(text)
    if not body:
        return []
    start, end = _span(result.get("timestamp") or result.get("timestamps")) or (0.0, duration or 0.0)
    return [_segment(start, end, body, None, emotion, events, duration)]


def parse_tags(text: str) -> tuple[str, str | None, list[str]]:
    """(clean text, emotion, events) from SenseVoice-style `<|zh|><|ANGRY|><|Laughter|>` tags.

    Emotion is lower case ("angry", "neutral"); with several, the most frequent one that is not
    neutral wins. Events are lower case, in order, without "speech" and unknown events.
    """
    tags = [t.lower() for t in _TAG.findall(str(text))]
    emotions = Counter(t for t in tags if t in _EMOTIONS)
    strong = Counter({e: n for e, n in emotions.items() if e != "neutral"})
    emotion = (strong or emotions).most_common(1)[0][0] if emotions else None
    events = list(dict.fromkeys(t for t in tags if t in _EVENTS))
    return clean_text(_TAG.sub(" ", str(text))), emotion, events


def clean_text(text: str) -> str:
    """Drop tags and the spaces FunASR puts between Chinese characters; collapse other spaces."""
    text = _TAG.sub(" ", str(text))
    return _CJK_GAP.sub("", " ".join(text.split()))


def _segment(start, end, text, speaker, emotion, events, duration) -> Segment:
    start, end = float(start), float(end)
    if duration is not None:
        start, end = min(max(start, 0.0), duration), min(max(end, 0.0), duration)
    return Segment(start=start, end=max(start, end), text=text, speaker=speaker,
                   emotion=emotion, events=list(events))


def _ms(v) -> float | None:
    try:
        return float(v) / 1000.0
    except (TypeError, ValueError):
        return None


def _span(timestamps) -> tuple[float, float] | None:
    """(start, end) in seconds of token timestamps: [[start_ms, end_ms], ...] (Paraformer) or
    [{"start_time": s, "end_time": s}, ...] (seconds, LLM-based FunASR models)."""
    pairs = []
    for t in timestamps or []:
        try:
            if isinstance(t, dict):
                pairs.append((float(t["start_time"]), float(t["end_time"])))
            elif len(t) >= 2:
                pairs.append((float(t[-2]) / 1000.0, float(t[-1]) / 1000.0))
        except (KeyError, TypeError, ValueError):
            continue
    if not pairs:
        return None
    return min(p[0] for p in pairs), max(p[1] for p in pairs)


def _resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(int(sr_in), int(sr_out))
    return resample_poly(audio, sr_out // g, sr_in // g).astype(np.float32)


@contextlib.contextmanager
def _quiet():
    """Keep FunASR's prints off stdout (voc writes JSON there) and its root-logger chatter out
    of the user's log. `import funasr` itself calls logging.basicConfig(INFO) (funasr.bin.
    realtime_ws), so the root logger's handlers and level are put back afterwards."""
    root = logging.getLogger()
    level, handlers, disabled = root.level, list(root.handlers), logging.root.manager.disable
    buf = io.StringIO()
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(buf):
            yield
    finally:
        logging.disable(disabled)
        root.handlers[:] = handlers
        root.setLevel(level)
        if buf.getvalue().strip():
            log.debug("funasr: %s", buf.getvalue().strip())
