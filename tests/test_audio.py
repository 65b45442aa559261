"""Decoding through real ffmpeg: formats, rates, channels, and every kind of bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import AUDIO, ffmpeg, read_wav, write_wav

from voc import audio
from voc.errors import InputError

CLIP = AUDIO / "asr_example.wav"


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


@pytest.mark.parametrize("ext,args", [
    ("wav", ["-ar", "8000", "-acodec", "pcm_mulaw"]),
    ("wav", ["-ar", "8000", "-acodec", "pcm_alaw"]),
    ("wav", ["-ar", "44100", "-acodec", "pcm_s24le"]),
    ("mp3", ["-ar", "16000", "-b:a", "64k"]),
    ("m4a", ["-acodec", "aac", "-b:a", "64k"]),
    ("flac", []),
    ("ogg", ["-acodec", "libopus", "-b:a", "32k"]),
    ("opus", ["-acodec", "libopus", "-b:a", "24k"]),
])
def test_formats_decode_to_16k(tmp_path, ext, args):
    src, _ = read_wav(CLIP)
    out = tmp_path / f"clip.{ext}"
    ffmpeg("-i", str(CLIP), *args, str(out))
    info, x = audio.load(out)
    assert info.channels == 1
    assert x.shape[0] == 1 and x.dtype == np.float32
    assert abs(x.shape[1] / 16000 - 5.55) < 0.15
    # lossy codecs shift a little: compare envelopes
    env = lambda s: np.convolve(np.abs(s), np.ones(800) / 800, mode="valid")[::160]  # noqa: E731
    assert _corr(env(src[0]), env(x[0])) > 0.8


def test_stereo_channels_stay_apart(stereo_call_8k):
    info, x = audio.load(stereo_call_8k)
    assert info.sample_rate == 8000 and info.channels == 2 and info.codec == "pcm_mulaw"
    assert x.shape[0] == 2
    # first turn is on ch0 only
    first = x[:, : 16000 * 5]
    assert audio.rms_db(first[0]) > audio.rms_db(first[1]) + 30


def test_chunks_cover_the_file_exactly(tmp_path):
    x, sr = read_wav(CLIP)
    long = write_wav(tmp_path / "long.wav", np.tile(x, 6), sr)  # 33 s
    info = audio.probe(long)
    chunks = list(audio.iter_chunks(info, chunk_s=10))
    assert len(chunks) >= 3
    total = sum(c.shape[1] for _, c in chunks)
    assert total == x.shape[1] * 6
    offsets = [o for o, _ in chunks]
    assert offsets == sorted(offsets) and offsets[0] == 0
    for (o1, c1), (o2, _) in zip(chunks, chunks[1:]):
        assert abs(o1 + c1.shape[1] / 16000 - o2) < 1e-6


def _bad(path, match):
    with pytest.raises(InputError, match=match) as e:
        info = audio.probe(path)
        list(audio.iter_chunks(info))
    assert str(path) in str(e.value)
    assert "\n" not in str(e.value)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    _bad(p, "empty file")


def test_text_renamed_wav(tmp_path):
    p = tmp_path / "notes.wav"
    p.write_text("这不是音频文件，只是一段文字。\n" * 50, encoding="utf-8")
    _bad(p, "not a readable audio file")


def test_truncated_wav(tmp_path):
    p = tmp_path / "cut.wav"
    p.write_bytes(CLIP.read_bytes()[:60000])
    _bad(p, "truncated")


def test_truncated_m4a(tmp_path):
    full = tmp_path / "full.m4a"
    ffmpeg("-i", str(CLIP), "-acodec", "aac", str(full))
    p = tmp_path / "cut.m4a"
    p.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    _bad(p, "not a readable audio file|truncated|cannot decode")


def test_unsupported_codec(tmp_path):
    import struct

    data = b"\x01\x02" * 16000
    fmt = struct.pack("<HHIIHH", 0x7777, 1, 8000, 16000, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    p = tmp_path / "odd.wav"
    p.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    _bad(p, "unsupported audio codec")


def test_no_audio_stream(tmp_path):
    p = tmp_path / "picture.wav"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=16x16:d=1", "-frames:v", "1", "-f", "image2",
           "-vcodec", "png", str(p))
    _bad(p, "no audio stream|not a readable audio file")


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        audio.probe(tmp_path / "nope.wav")


def test_expand_inputs(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.wav").write_bytes(b"1")
    (tmp_path / "a" / "y.MP3").write_bytes(b"1")
    (tmp_path / "a" / "notes.txt").write_text("x")
    got = audio.expand_inputs([str(tmp_path / "a"), "given.txt"])
    assert [p.rsplit("/", 1)[-1] for p in got] == ["x.wav", "y.MP3", "given.txt"]
