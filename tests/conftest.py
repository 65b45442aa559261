"""Shared fixtures: real clips from ../shared/data, audio made from them with real ffmpeg."""

from __future__ import annotations

import csv
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from shared_data import ROOT, SHARED  # noqa: F401 - ROOT and SHARED are imported from here too

AUDIO = SHARED / "audio"


def references() -> dict[str, str]:
    with open(AUDIO / "transcripts.tsv", encoding="utf-8") as f:
        return {r["file"]: r["reference"] for r in csv.DictReader(f, delimiter="\t")}


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768
        return x.reshape(-1, w.getnchannels()).T, w.getframerate()


def write_wav(path: Path, x: np.ndarray, sr: int) -> Path:
    """x: (channels, n) or (n,) float in [-1, 1] -> 16-bit PCM WAV."""
    x = np.atleast_2d(x)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(x.shape[0])
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes((np.clip(x.T, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def make_call(path: Path, turns: list[tuple[int, str]], gap_s: float = 0.8, sr: int = 16000) -> Path:
    """A two-channel call: each (channel, clip) turn plays on its channel, the other is silent."""
    pieces = []
    for ch, clip in turns:
        x, clip_sr = read_wav(AUDIO / clip)
        assert clip_sr == sr
        stereo = np.zeros((2, x.shape[1] + int(gap_s * sr)), dtype=np.float32)
        stereo[ch, : x.shape[1]] = x[0]
        pieces.append(stereo)
    return write_wav(path, np.concatenate(pieces, axis=1), sr)


CALL_TURNS = [(0, "asr_example.wav"), (1, "TEST_NET_Y0000000000_-KTKHdZ2fb8_S00000.wav"),
              (0, "BAC009S0764W0121.wav"), (1, "IT0011W0001.wav")]


@pytest.fixture(scope="session")
def shared_audio() -> Path:
    if not AUDIO.is_dir():
        pytest.fail(f"shared data missing: {AUDIO}")
    return AUDIO


@pytest.fixture(scope="session")
def stereo_call(tmp_path_factory, shared_audio) -> Path:
    """Agent on ch0, customer on ch1, turn-taking, 16 kHz 16-bit."""
    return make_call(tmp_path_factory.mktemp("calls") / "call_16k.wav", CALL_TURNS)


@pytest.fixture(scope="session")
def stereo_call_8k(tmp_path_factory, stereo_call) -> Path:
    """The same call as telephone audio: 8 kHz mu-law stereo."""
    out = tmp_path_factory.mktemp("calls8k") / "call_8k_mulaw.wav"
    ffmpeg("-i", str(stereo_call), "-ar", "8000", "-acodec", "pcm_mulaw", str(out))
    return out


@pytest.fixture(scope="session")
def clips_8k(tmp_path_factory, shared_audio) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips8k")
    out = {}
    for name in references():
        out[name] = d / name
        ffmpeg("-i", str(shared_audio / name), "-ar", "8000", "-acodec", "pcm_mulaw", str(out[name]))
    return out


def _stack_summary(skip: int = 2, depth: int = 3) -> str:
    """Who called (file:line function, innermost first): the innermost `depth` frames, then the
    innermost `depth` frames of voc and its tests, which say what the test was doing."""
    import traceback

    def fmt(frames) -> str:
        return " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in frames)

    frames = list(reversed(traceback.extract_stack()[:-skip]))
    ours = [f for f in frames[depth:] if f.filename.startswith(str(ROOT))
            and "site-packages" not in f.filename][:depth]
    return fmt(frames[:depth]) + (" ... " + fmt(ours) if ours else "")


@pytest.fixture()
def no_network(monkeypatch):
    """Refuse every network connection (and name lookup), record each attempt with its address
    and a short stack, and fail the test at teardown if there was any: code that catches the
    refusal and goes on quietly still fails. Yields the list of attempts as it grows."""
    import socket

    attempts: list[tuple[str, object, str]] = []

    def refuser(call: str, address_of):
        def refuse(*a, **k):
            try:
                address = address_of(a, k)
            except (IndexError, KeyError):
                address = (a, k)
            attempts.append((call, address, _stack_summary()))
            raise OSError(f"network access attempted during an offline test: {call} {address!r}")

        return refuse

    monkeypatch.setattr(socket.socket, "connect", refuser("connect", lambda a, k: a[1]))
    monkeypatch.setattr(socket.socket, "connect_ex", refuser("connect_ex", lambda a, k: a[1]))
    monkeypatch.setattr(socket.socket, "sendto", refuser("sendto", lambda a, k: a[-1]))
    monkeypatch.setattr(socket, "create_connection", refuser("create_connection", lambda a, k: a[0]))
    monkeypatch.setattr(socket, "getaddrinfo", refuser("getaddrinfo", lambda a, k: a[:2]))
    yield attempts
    assert not attempts, "network access attempted during an offline test:\n" + "\n".join(
        f"  {call} {address!r} from {stack}" for call, address, stack in attempts)


@pytest.fixture()
def no_voc_env(monkeypatch):
    """No VOC_* setting from the shell running the tests leaks in."""
    import os

    for name in list(os.environ):
        if name.startswith("VOC_"):
            monkeypatch.delenv(name)


@pytest.fixture()
def clean_env(no_voc_env, monkeypatch, tmp_path):
    """No VOC_* setting leaks in, and the working folder is the test's own (a command that
    falls back to ./voc-workspace writes there)."""
    monkeypatch.chdir(tmp_path)
