"""Mono diarization with the GE2E encoder from the resemblyzer wheel, on real shared clips."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import AUDIO, read_wav, write_wav

from voc import models
from voc.diarize import MODEL, Diarizer, cluster, mel_frames, partial_slices
from voc.errors import ModelError

MEETING, ASR_EX, BAC = "TEST_MEETING_T0000000001_S00000.wav", "asr_example.wav", "BAC009S0764W0121.wav"


def _clip(name: str) -> np.ndarray:
    return read_wav(AUDIO / name)[0][0]


def _pieces(x: np.ndarray, n: int) -> list[np.ndarray]:
    return [p for p in np.array_split(x, n)]


@pytest.fixture(scope="module")
def diarizer(tmp_path_factory):
    return Diarizer(tmp_path_factory.mktemp("models"), speakers=2)


def test_encoder_weights_come_from_the_wheel_checked(tmp_path):
    d = models.ensure(MODEL, tmp_path)
    assert (d / "pretrained.pt").stat().st_size > 10_000_000
    assert all(r["ok"] for r in models.verify(MODEL, tmp_path))
    with open(d / "pretrained.pt", "r+b") as f:  # a changed byte is refused at load
        f.seek(1000)
        b = f.read(1)
        f.seek(1000)
        f.write(bytes([b[0] ^ 0xFF]))
    (d / ".voc-verified.json").unlink(missing_ok=True)
    with pytest.raises(ModelError, match="sha256"):
        Diarizer(tmp_path)


def test_numpy_encoder_is_resemblyzers_encoder(diarizer, tmp_path, monkeypatch):
    """The GE2E encoder runs in numpy (a transcribe run imports no torch): resemblyzer's own
    VoiceEncoder on the same weights gives the same partial windows and embeddings."""
    import types

    import torch

    if "pkg_resources" not in sys.modules:  # webrtcvad asks it its version; setuptools 80+ has none
        monkeypatch.setitem(sys.modules, "pkg_resources", types.SimpleNamespace(
            get_distribution=lambda name: types.SimpleNamespace(project_name=name, version="0")))
    from resemblyzer import VoiceEncoder

    enc = VoiceEncoder(device="cpu", verbose=False, weights_fpath=models.ensure(MODEL, tmp_path) / "pretrained.pt")
    x = _clip(ASR_EX)
    for n in (len(x), 8000):  # several partial windows; one, padded
        wav_slices, mel_slices = partial_slices(n)
        assert (wav_slices, mel_slices) == tuple(VoiceEncoder.compute_partial_slices(n, 1.3, 0.75))
        mel = mel_frames(np.pad(x[:n], (0, max(0, wav_slices[-1].stop - n))))
        mels = np.array([mel[s] for s in mel_slices])
        with torch.no_grad():
            want = enc(torch.from_numpy(mels)).numpy()
        assert np.abs(diarizer.encode(mels) - want).max() < 1e-4
    pieces = [x, x[:8000], x[8000:40000]]
    together = diarizer.embed_all(pieces)
    for p, e in zip(pieces, together):
        assert np.abs(diarizer.embed(p) - e).max() < 1e-5


def test_two_shared_speakers_taking_turns_are_told_apart(diarizer):
    # speaker A (meeting) and B (asr_example) each in three pieces, alternating A B A B A B
    a, b = _pieces(_clip(MEETING), 3), _pieces(_clip(ASR_EX), 3)
    turns = [p for pair in zip(a, b) for p in pair]
    labels = diarizer.labels([diarizer.embed(t) for t in turns], [len(t) / 16000 for t in turns])
    assert labels == [0, 1, 0, 1, 0, 1]


def test_one_speaker_stays_one_when_two_are_asked(diarizer):
    x = _clip(MEETING)
    turns = _pieces(x, 4)
    labels = diarizer.labels([diarizer.embed(t) for t in turns], [len(t) / 16000 for t in turns])
    assert labels == [0, 0, 0, 0]


def test_cluster_edge_cases():
    assert cluster(np.zeros((0, 256)), np.zeros(0), 2) == []
    one = np.eye(256)[:1]
    assert cluster(one, np.array([2.0]), 2) == [0]
    # three orthogonal voices, three asked: numbered in order of first appearance
    X = np.eye(256)[[2, 0, 2, 1]]
    assert cluster(X, np.full(4, 2.0), 3) == [0, 1, 0, 2]
    assert cluster(X, np.full(4, 2.0), 1) == [0, 0, 0, 0]


@pytest.mark.slow
def test_mono_call_gets_two_speakers_and_a_turn_each(tmp_path):
    """A one-channel call of two shared speakers (BAC009 and asr_example, each cut in two),
    0.7 s gaps: every turn has its own utterance and the two parties get two speakers, with the
    default settings (pauses under asr.min_silence_ms split where the speaker changes)."""
    from voc.config import load_settings
    from voc.transcribe import TranscribeOptions, Transcriber, transcribe_file

    a, b = _clip(BAC), _clip(ASR_EX)
    gap = np.zeros(int(0.7 * 16000), np.float32)
    turns = [a[: len(a) // 2], b[: len(b) // 2], a[len(a) // 2:], b[len(b) // 2:]]
    spans, t = [], 0.0
    for x in turns:
        spans.append((t, t + len(x) / 16000))
        t += (len(x) + len(gap)) / 16000
    p = write_wav(tmp_path / "mono_call.wav", np.concatenate([q for x in turns for q in (x, gap)]), 16000)
    settings = load_settings({"asr.engine": "whisper"})
    tr = transcribe_file(str(p), Transcriber(settings, "whisper"),
                         TranscribeOptions())
    assert tr.meta["roles"] == "diarization"
    assert tr.meta["diarization"]["speakers_found"] == 2
    by_turn = [[u for u in tr.utterances if lo - 0.3 <= u.start and u.end <= hi + 0.3] for lo, hi in spans]
    assert all(by_turn), [(u.start, u.end, u.text) for u in tr.utterances]
    speaker = [{u.speaker for u in us} for us in by_turn]
    assert all(len(s) == 1 for s in speaker)
    assert speaker[0] == speaker[2] != speaker[1] == speaker[3]
    assert {u.role for u in tr.utterances} == {"agent", "customer"}
    # times from speech: nothing past the last word, no absurd speech rate
    assert tr.utterances[-1].end <= spans[-1][1] + 0.3
    assert all(60 < u.features["speech_rate_cpm"] < 600 for u in tr.utterances)


def test_one_speakers_pieces_join_back_into_the_long_regions(diarizer):
    """The 12 s meeting clip (one speaker, pauses of 0.4-2 s) is cut at every 0.4 s pause for the
    diarizer, then joined again: the same one region as without a diarizer, so a monologue is
    decoded in the same windows (the 5-clip CER stays 14.8 % at 16 kHz)."""
    from voc.asr.regions import speaker_regions, speech_regions

    x = _clip(MEETING)
    plain = [span for span, _ in speech_regions(x, 16000)]
    pieces = speech_regions(x, 16000, min_silence_ms=400)
    assert len(pieces) > len(plain)
    regions, voices, _ = speaker_regions(x, 16000, lambda: diarizer)
    assert [span for span, _ in regions] == plain
    assert len(voices) == len(regions) and all(abs(np.linalg.norm(v) - 1) < 1e-3 for v in voices)
