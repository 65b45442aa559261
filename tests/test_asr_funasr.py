"""FunASR engine: plumbing with tiny random models, and the result-dict -> Segment conversion.

The tiny models decode noise; these tests check loading, offline operation, timing and the
conversion of FunASR's loose dicts. Accuracy is measured in benchmarks on real audio.
"""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest
from shared_data import SHARED
from tiny_funasr import build_tiny_paraformer, build_tiny_vad

from voc import models
from voc.asr.base import EngineOptions, Segment
from voc.asr.funasr import FunasrEngine, clean_text, hotword_string, installed, parse_tags, to_segments
from voc.config import load_settings
from voc.errors import ModelError

CLIP = SHARED / "audio" / "asr_example.wav"


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        sr, raw = w.getframerate(), w.readframes(w.getnframes())
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0, sr


@pytest.fixture(scope="session")
def tiny_paraformer(tmp_path_factory) -> Path:
    return build_tiny_paraformer(tmp_path_factory.mktemp("funasr") / "tiny-paraformer")


@pytest.fixture(scope="session")
def tiny_vad(tmp_path_factory) -> Path:
    return build_tiny_vad(tmp_path_factory.mktemp("funasr") / "tiny-vad")


@pytest.fixture(scope="session")
def clip() -> tuple[np.ndarray, int]:
    if not CLIP.exists():
        pytest.skip(f"{CLIP} not available")
    audio, sr = _read_wav(CLIP)
    assert sr == 16000
    return audio, sr


@pytest.fixture(scope="module")
def engine(tiny_paraformer) -> FunasrEngine:
    return FunasrEngine(tiny_paraformer, options=EngineOptions(threads=2))


@pytest.fixture(scope="module")
def vad_engine(tiny_paraformer, tiny_vad) -> FunasrEngine:
    return FunasrEngine(tiny_paraformer, vad_dir=tiny_vad, options=EngineOptions(threads=2))


def _check_segments(segments, duration: float) -> None:
    assert isinstance(segments, list) and segments
    for s in segments:
        assert isinstance(s, Segment)
        assert isinstance(s.start, float) and isinstance(s.end, float)
        assert 0.0 <= s.start <= s.end <= duration + 1e-6
        assert isinstance(s.text, str) and s.text and " " not in s.text
        assert s.speaker is None and s.emotion is None and s.events == []


# ---- the tiny model ---------------------------------------------------------------------------

def test_tiny_model_loads_through_automodel(tiny_paraformer, clip):
    import torch
    from funasr import AutoModel

    model = AutoModel(model=str(tiny_paraformer), disable_update=True, device="cpu",
                      disable_pbar=True)
    assert type(model.model).__name__ == "Paraformer"
    saved = torch.load(tiny_paraformer / "model.pt", map_location="cpu")
    loaded = model.model.state_dict()
    assert saved.keys() == loaded.keys()
    assert all(torch.equal(saved[k], loaded[k]) for k in saved)  # weights from disk, not re-init
    res = model.generate(input=clip[0], fs=clip[1])
    assert isinstance(res, list) and isinstance(res[0]["text"], str)


def test_tiny_model_is_deterministic(tiny_paraformer, tmp_path):
    again = build_tiny_paraformer(tmp_path / "again")
    for name in ("config.yaml", "configuration.json", "tokens.json", "am.mvn", "model.pt"):
        assert models.sha256_file(again / name) == models.sha256_file(tiny_paraformer / name), name


# ---- the engine on a real clip ----------------------------------------------------------------

def test_engine_transcribes_real_clip(engine, clip):
    audio, sr = clip
    assert engine.name == "funasr" and engine.can_diarize is False and engine.sample_rate == 16000
    _check_segments(engine.transcribe(audio, sr), len(audio) / sr)


def test_engine_with_vad_gives_one_segment_per_speech_region(vad_engine, clip):
    audio, sr = clip
    segments = vad_engine.transcribe(audio, sr)
    _check_segments(segments, len(audio) / sr)
    # the tiny VAD is an energy detector cutting at most 2 s: several ordered segments,
    # none in the silent first half second of the clip
    assert len(segments) >= 2
    assert segments[0].start >= 0.5
    assert all(a.end <= b.start + 1e-6 for a, b in zip(segments, segments[1:]))


def test_engine_resamples_other_rates(engine, clip):
    audio, sr = clip
    audio_8k = audio[::2].copy()
    _check_segments(engine.transcribe(audio_8k, 8000), len(audio_8k) / 8000)


def test_hotwords_reach_funasr(tiny_paraformer, clip, monkeypatch):
    eng = FunasrEngine(tiny_paraformer, options=EngineOptions(
        threads=2, hotwords=["信用卡", "年费 分期", "https://example.com/hot.txt", "words.txt"]))
    seen = {}
    generate = eng._model.generate

    def spy(**kw):
        seen.update(kw)
        return generate(**kw)

    monkeypatch.setattr(eng._model, "generate", spy)
    _check_segments(eng.transcribe(*clip), len(clip[0]) / clip[1])
    assert seen["hotword"] == "信用卡 年费 分期"
    assert seen["fs"] == 16000 and seen["input"].dtype == np.float32


def test_no_hotword_argument_without_hotwords(engine, clip, monkeypatch):
    seen = {}
    generate = engine._model.generate
    monkeypatch.setattr(engine._model, "generate", lambda **kw: seen.update(kw) or generate(**kw))
    engine.transcribe(*clip)
    assert "hotword" not in seen and seen["output_timestamp"] is True


def test_hotword_string():
    assert hotword_string(["信用卡", " 年费  分期 ", ""]) == "信用卡 年费 分期"
    assert hotword_string(["http://x", "HTTPS://y", "list.TXT", "工号"]) == "工号"
    assert hotword_string([]) == "" and hotword_string(None) == ""


def test_silence_and_too_short_audio_give_no_segments(engine, vad_engine):
    assert engine.transcribe(np.zeros(100, np.float32), 16000) == []
    assert engine.transcribe(np.zeros(0, np.float32), 16000) == []
    assert vad_engine.transcribe(np.zeros(16000, np.float32), 16000) == []


def test_stereo_is_refused(engine):
    with pytest.raises(ValueError, match="split channels"):
        engine.transcribe(np.zeros((16000, 2), np.float32), 16000)


def test_info(engine, tiny_paraformer):
    info = engine.info()
    assert info["engine"] == "funasr" and info["model_class"] == "Paraformer"
    assert info["dirs"] == {"model": str(tiny_paraformer)} and info["funasr_version"]
    assert info["options"]["threads"] == 2


def test_missing_dir_fails_without_asking_a_hub(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        FunasrEngine(tmp_path / "paraformer-zh", options=EngineOptions())
    with pytest.raises(ModelError, match="config.yaml"):
        FunasrEngine(tmp_path, options=EngineOptions())


def test_speaker_model_needs_vad(tiny_paraformer, tiny_vad):
    with pytest.raises(ModelError, match="VAD"):
        FunasrEngine(tiny_paraformer, spk_dir=tiny_vad, options=EngineOptions())


# ---- from_settings, through the manifest and checksums ----------------------------------------

def _install(src: Path, root: Path, name: str) -> Path:
    d = models.model_dir(name, root)
    shutil.copytree(src, d)
    models._write_sums(d)
    return d


def _settings(**asr):
    return load_settings({f"asr.{k}": v for k, v in asr.items()}, environ={})


@pytest.fixture()
def models_root(tmp_path, tiny_paraformer, tiny_vad) -> Path:
    root = tmp_path / "models"
    root.mkdir()
    _install(tiny_paraformer, root, "paraformer-zh")
    _install(tiny_vad, root, "fsmn-vad")
    return root


def test_from_settings_uses_installed_models(models_root, clip):
    settings = _settings()
    assert installed(settings, models_root)
    eng = FunasrEngine.from_settings(settings, models_root, EngineOptions(threads=2, diarize=True))
    # ct-punc and cam++ are not installed: skipped, not fatal
    assert set(eng.dirs) == {"model", "vad_model"} and eng.can_diarize is False
    assert eng.dirs["model"] == models_root / "paraformer-zh"
    names = [m["name"] for m in eng.info()["models"]]
    assert names == ["paraformer-zh", "fsmn-vad"]
    assert eng.info()["models"][0]["sha256"]["model.pt"] == models.sha256_file(
        models_root / "paraformer-zh" / "model.pt")
    _check_segments(eng.transcribe(*clip), len(clip[0]) / clip[1])


def test_from_settings_empty_names_mean_not_used(models_root):
    eng = FunasrEngine.from_settings(_settings(funasr_vad="", funasr_punc=""), models_root,
                                     EngineOptions(threads=2))
    assert set(eng.dirs) == {"model"}
    with pytest.raises(ModelError, match="asr.funasr_model is empty"):
        FunasrEngine.from_settings(_settings(funasr_model=""), models_root, EngineOptions())
    assert not installed(_settings(funasr_model=""), models_root)


def test_from_settings_missing_model(tmp_path):
    assert not installed(_settings(), tmp_path)
    with pytest.raises(ModelError, match="voc models fetch paraformer-zh"):
        FunasrEngine.from_settings(_settings(), tmp_path, EngineOptions())


def test_from_settings_refuses_a_tampered_model(models_root):
    (models_root / "paraformer-zh" / "tokens.json").write_text('["<blank>"]')
    with pytest.raises(ModelError, match="sha256"):
        FunasrEngine.from_settings(_settings(), models_root, EngineOptions())


def test_from_settings_refuses_a_model_of_another_engine(models_root):
    with pytest.raises(ModelError, match="not a FunASR ASR model"):
        FunasrEngine.from_settings(_settings(funasr_model="fsmn-vad"), models_root, EngineOptions())


def test_telephone_picks_the_8k_model_when_installed(models_root, tmp_path, clip):
    opts = EngineOptions(threads=2)
    assert FunasrEngine.from_settings(_settings(), models_root, opts, telephone=True).sample_rate == 16000
    _install(build_tiny_paraformer(tmp_path / "tiny8k", sample_rate=8000), models_root,
             "paraformer-zh-8k")
    eng = FunasrEngine.from_settings(_settings(funasr_vad=""), models_root, opts, telephone=True)
    assert eng.sample_rate == 8000 and eng.dirs["model"].name == "paraformer-zh-8k"
    audio_8k = clip[0][::2].copy()
    _check_segments(eng.transcribe(audio_8k, 8000), len(audio_8k) / 8000)
    assert FunasrEngine.from_settings(_settings(), models_root, opts).sample_rate == 16000


def test_no_network_is_touched(models_root, clip, no_network):
    eng = FunasrEngine.from_settings(_settings(), models_root,
                                     EngineOptions(threads=2, hotwords=["信用卡"]))
    _check_segments(eng.transcribe(*clip), len(clip[0]) / clip[1])


def test_funasr_output_is_kept_off_stdout(tiny_paraformer, clip, capsys):
    import logging

    handlers = list(logging.getLogger().handlers)
    FunasrEngine(tiny_paraformer, options=EngineOptions(threads=2)).transcribe(*clip)
    out = capsys.readouterr().out
    assert "funasr version" not in out and out == ""
    assert logging.getLogger().handlers == handlers


# ---- FunASR result dicts -> Segments (pure) ---------------------------------------------------

def test_paraformer_token_timestamps():
    res = [{"key": "rand_key_x", "text": "您 好 请 问 有 什 么 可 以 帮 您",
            "timestamp": [[890, 1130], [1130, 1370], [1430, 1610], [1610, 1790], [1790, 1970],
                          [1970, 2150], [2150, 2330], [2330, 2510], [2510, 2690], [2690, 2870],
                          [2870, 3235]]}]
    (seg,) = to_segments(res, duration=5.0)
    assert seg == Segment(start=0.89, end=3.235, text="您好请问有什么可以帮您")


def test_text_without_timestamps_spans_the_audio():
    (seg,) = to_segments([{"key": "k", "text": "信用卡年费怎么收"}], duration=4.5)
    assert (seg.start, seg.end, seg.text) == (0.0, 4.5, "信用卡年费怎么收")
    (seg,) = to_segments([{"key": "k", "text": "好的", "timestamp": []}], duration=2.0)
    assert (seg.start, seg.end) == (0.0, 2.0)


def test_sentence_info_with_speakers():
    # paraformer-zh + fsmn-vad + ct-punc + cam++ (spk_mode punc_segment)
    res = [{"key": "call", "text": "您好，请问有什么可以帮您？我要投诉，你们乱收年费。",
            "timestamp": [[380, 620], [620, 860]],
            "sentence_info": [
                {"text": "您好，请问有什么可以帮您？", "start": 380, "end": 3140,
                 "timestamp": [[380, 620], [620, 860]], "spk": 0},
                {"text": "我要投诉，", "start": 3900, "end": 4980, "timestamp": [[3900, 4100]],
                 "spk": 1},
                {"text": "你们乱收年费。", "start": 4980, "end": 6730, "timestamp": [], "spk": np.int64(1)},
                {"text": "", "start": 6800, "end": 6900, "timestamp": [], "spk": 0},
            ]}]
    segs = to_segments(res, duration=10.0)
    assert [(s.start, s.end, s.speaker, s.text) for s in segs] == [
        (0.38, 3.14, "spk0", "您好，请问有什么可以帮您？"),
        (3.9, 4.98, "spk1", "我要投诉，"),
        (4.98, 6.73, "spk1", "你们乱收年费。"),
    ]
    assert all(isinstance(s.start, float) and s.emotion is None for s in segs)


def test_sentence_info_without_speakers_and_spaces():
    # VAD without punc: one sentence per VAD segment; a space between mixed scripts stays
    res = [{"key": "k", "text": "我的 visa 卡 被 冻结 了 好的",
            "sentence_info": [{"start": 630, "end": 2640, "text": "我的 visa 卡 被 冻结 了",
                               "sentence": "我的 visa 卡 被 冻结 了", "timestamp": []},
                              {"start": 2640, "end": 4650, "text": "好 的 ， 谢 谢", "timestamp": []}]}]
    segs = to_segments(res, duration=5.0)
    assert [s.text for s in segs] == ["我的 visa 卡被冻结了", "好的，谢谢"]
    assert [s.speaker for s in segs] == [None, None]


def test_sentence_without_start_uses_its_timestamps():
    res = [{"text": "x", "sentence_info": [{"text": "您好", "timestamp": [[100, 300], [300, 500]]}]}]
    (seg,) = to_segments(res, duration=1.0)
    assert (seg.start, seg.end) == (0.1, 0.5)


def test_sensevoice_emotion_and_tags():
    (seg,) = to_segments([{"key": "k", "text": "<|zh|><|ANGRY|><|Speech|><|withitn|>我要投诉你们银行。"}],
                         duration=3.0)
    assert seg.text == "我要投诉你们银行。" and seg.emotion == "angry" and seg.events == []
    (seg,) = to_segments([{"key": "k", "text": "<|zh|><|NEUTRAL|><|Laughter|><|withitn|>好的，哈哈。"}])
    assert seg.emotion == "neutral" and seg.events == ["laughter"] and seg.text == "好的，哈哈。"
    (seg,) = to_segments([{"text": "<|zh|><|EMO_UNKNOWN|><|Cough|><|woitn|>喂"}])
    assert seg.emotion is None and seg.events == ["cough"]


def test_sensevoice_no_speech_gives_nothing():
    assert to_segments([{"key": "k", "text": "<|nospeech|><|Event_UNK|>"}], duration=1.0) == []
    assert to_segments([{"key": "k", "text": "<|zh|><|NEUTRAL|><|BGM|><|woitn|>"}]) == []


def test_sensevoice_with_vad_and_speakers_keeps_tags_per_sentence():
    # SenseVoice + fsmn-vad + cam++ (vad_segment mode): sentence texts keep their tags
    res = [{"key": "k",
            "text": "<|zh|><|NEUTRAL|><|Speech|><|withitn|>您好。 <|zh|><|ANGRY|><|Speech|><|withitn|>我要投诉！",
            "sentence_info": [
                {"start": 500, "end": 1500, "text": "<|zh|><|NEUTRAL|><|Speech|><|withitn|>您好。",
                 "sentence": "<|zh|><|NEUTRAL|><|Speech|><|withitn|>您好。", "timestamp": [], "spk": 0},
                {"start": 2000, "end": 4000, "text": "<|zh|><|ANGRY|><|Applause|><|withitn|>我要投诉！",
                 "timestamp": [], "spk": 1}]}]
    segs = to_segments(res, duration=5.0)
    assert [(s.text, s.emotion, s.events, s.speaker) for s in segs] == [
        ("您好。", "neutral", [], "spk0"), ("我要投诉！", "angry", ["applause"], "spk1")]


def test_sensevoice_with_vad_recovers_tags_stripped_from_sentences():
    # SenseVoice + fsmn-vad, sentence_timestamp: FunASR strips tags from sentences but the full
    # text keeps one tagged chunk per VAD segment (the silent one has no sentence)
    text = ("<|zh|><|NEUTRAL|><|Speech|><|withitn|>您好。 <|nospeech|><|EMO_UNKNOWN|><|Event_UNK|><|woitn|> "
            "<|zh|><|SAD|><|Cry|><|withitn|>我的卡被盗刷了。")
    res = [{"key": "k", "text": text, "sentence_info": [
        {"start": 0, "end": 900, "text": "您好。", "sentence": "您好。", "timestamp": []},
        {"start": 2500, "end": 5000, "text": "我的卡被盗刷了。", "sentence": "我的卡被盗刷了。",
         "timestamp": []}]}]
    segs = to_segments(res, duration=6.0)
    assert [(s.text, s.emotion, s.events) for s in segs] == [
        ("您好。", "neutral", []), ("我的卡被盗刷了。", "sad", ["cry"])]
    # chunks that do not line up with sentences are not guessed at
    res[0]["sentence_info"] = res[0]["sentence_info"][:1]
    (seg,) = to_segments(res, duration=6.0)
    assert seg.emotion is None and seg.events == []


def test_times_are_clipped_to_the_audio():
    res = [{"text": "您好", "sentence_info": [{"text": "您好", "start": -40, "end": 7300}]}]
    (seg,) = to_segments(res, duration=6.0)
    assert (seg.start, seg.end) == (0.0, 6.0)
    (seg,) = to_segments(res)  # no duration: as given
    assert (seg.start, seg.end) == (-0.04, 7.3)


def test_dict_timestamps_in_seconds():
    res = [{"text": "还款", "timestamps": [{"token": "还", "start_time": 1.2, "end_time": 1.5},
                                          {"token": "款", "start_time": 1.5, "end_time": 1.9}]}]
    (seg,) = to_segments(res, duration=3.0)
    assert (seg.start, seg.end) == (1.2, 1.9)


def test_empty_results():
    assert to_segments([]) == [] and to_segments(None) == []
    assert to_segments([{"key": "k", "text": "", "timestamp": []}], duration=1.0) == []
    assert to_segments([{"key": "k", "text": "  "}, {"key": "k2", "text": "好"}], 1.0)[0].text == "好"


def test_parse_tags_and_clean_text():
    assert parse_tags("<|zh|><|HAPPY|><|NEUTRAL|><|HAPPY|><|BGM|><|Laughter|><|BGM|>嗯") == (
        "嗯", "happy", ["bgm", "laughter"])
    assert parse_tags("<|zh|><|NEUTRAL|>a <|en|><|NEUTRAL|>b") == ("a b", "neutral", [])
    assert parse_tags("没有标签") == ("没有标签", None, [])
    assert clean_text("信 用 卡 ， 年 费 ") == "信用卡，年费"
    assert clean_text("账单 2024 年 ok  fine") == "账单 2024 年 ok fine"
    assert clean_text("<|zh|>您 <|woitn|>好") == "您好"
