"""Audio in: probe, validate, decode through ffmpeg, split channels, stream in chunks.

Everything is decoded to 16 kHz float32 per channel, whatever the container, codec, rate or
sample format (8 kHz mu-law/a-law telephone audio is the common case). Long recordings are read
from ffmpeg's pipe in chunks cut at quiet points, so memory is bounded by the chunk length.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from voc.errors import InputError, VocError

SAMPLE_RATE = 16000
AUDIO_SUFFIXES = {".wav", ".mp3", ".m4a", ".aac", ".amr", ".flac", ".ogg", ".opus", ".wma",
                  ".webm", ".mp4", ".3gp"}


@dataclass
class AudioInfo:
    path: str
    codec: str
    sample_rate: int
    channels: int
    duration_s: float
    format: str


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if not exe:
        raise VocError(f"{name} not found: install ffmpeg (Debian: apt-get install ffmpeg)")
    return exe


def probe(path: str | Path) -> AudioInfo:
    """Read container and stream facts; fail with a one-line reason for unusable files."""
    p = Path(path)
    if not p.exists():
        raise InputError(p, "no such file")
    if p.is_dir():
        raise InputError(p, "is a directory")
    if p.stat().st_size == 0:
        raise InputError(p, "empty file (0 bytes)")
    cmd = [_tool("ffprobe"), "-v", "error", "-show_streams", "-show_format", "-of", "json", str(p)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        msg = (_last_line(r.stderr) or "ffprobe failed").removeprefix(f"{p}: ")
        raise InputError(p, f"not a readable audio file ({msg})")
    data = json.loads(r.stdout or "{}")
    streams = [s for s in data.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise InputError(p, "no audio stream")
    s = streams[0]
    if not s.get("codec_name"):
        raise InputError(p, f"unsupported audio codec (tag {s.get('codec_tag', '?')})")
    if data.get("format", {}).get("format_name") == "wav":
        short = _wav_shortfall(p)
        if short:
            raise InputError(p, f"truncated: header declares {short[0]} bytes of audio, "
                                f"file holds {short[1]}")
    fmt = data.get("format", {})
    duration = _float(s.get("duration")) or _float(fmt.get("duration"))
    return AudioInfo(path=str(p), codec=s.get("codec_name", "unknown"),
                     sample_rate=int(s.get("sample_rate") or 0), channels=int(s.get("channels") or 0),
                     duration_s=duration or 0.0, format=fmt.get("format_name", ""))


def iter_chunks(info: AudioInfo, chunk_s: float = 300.0, max_channels: int = 2,
                sample_rate: int = SAMPLE_RATE) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (offset_s, samples[channel, n]) at `sample_rate`, cut at a quiet point near each end.

    Raises InputError when ffmpeg cannot decode the file (unsupported codec, corrupt data) or
    when the file ends well before its header says (truncated).
    """
    channels = max(1, min(info.channels or 1, max_channels))
    cmd = [_tool("ffmpeg"), "-nostdin", "-v", "error", "-i", info.path, "-vn", "-map", "0:a:0",
           "-ac", str(channels), "-ar", str(sample_rate), "-f", "f32le", "-acodec", "pcm_f32le", "-"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    frame = 4 * channels
    block = int(chunk_s * sample_rate) * frame
    carry = np.zeros((channels, 0), dtype=np.float32)
    offset = 0.0
    total = 0
    try:
        while True:
            raw = proc.stdout.read(block)
            if raw:
                raw = raw[: len(raw) - len(raw) % frame]
                x = np.frombuffer(raw, dtype=np.float32).reshape(-1, channels).T
                total += x.shape[1]
                buf = np.concatenate([carry, x], axis=1) if carry.shape[1] else x
            else:
                buf = carry
            if not raw or buf.shape[1] < block // frame:
                # end of stream: whatever is left is the last chunk
                if buf.shape[1]:
                    yield offset, np.ascontiguousarray(buf)
                break
            cut = _quiet_cut(buf, search_from=buf.shape[1] // 2, win=sample_rate * 3 // 10)
            yield offset, np.ascontiguousarray(buf[:, :cut])
            offset += cut / sample_rate
            carry = buf[:, cut:]
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode("utf-8", "replace")
        code = proc.wait()
    if code != 0 or (total == 0 and err.strip()):
        raise InputError(info.path, f"cannot decode {info.codec} audio ({_last_line(err) or 'ffmpeg failed'})")
    if total == 0:
        raise InputError(info.path, "no audio samples (empty or truncated stream)")
    decoded = total / sample_rate
    if info.duration_s > 2.0 and decoded < 0.9 * info.duration_s:
        raise InputError(info.path, f"truncated: header says {info.duration_s:.1f} s, "
                                    f"only {decoded:.1f} s decodable")
    if err.strip() and _is_corrupt(err):
        raise InputError(info.path, f"corrupt audio data ({_last_line(err)})")


def load(path: str | Path, max_channels: int = 2, sample_rate: int = SAMPLE_RATE
         ) -> tuple[AudioInfo, np.ndarray]:
    """Whole file at `sample_rate`, shape (channels, n). For short clips and tests."""
    info = probe(path)
    parts = [x for _, x in iter_chunks(info, chunk_s=300.0, max_channels=max_channels,
                                       sample_rate=sample_rate)]
    return info, np.concatenate(parts, axis=1)


def rms_db(x: np.ndarray) -> float:
    """RMS level in dBFS (full scale = 1.0); -120 for digital silence."""
    if x.size == 0:
        return -120.0
    r = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
    return round(20 * np.log10(max(r, 1e-6)), 1)


def _quiet_cut(buf: np.ndarray, search_from: int, win: int = SAMPLE_RATE // 10) -> int:
    """Sample index in the middle of the quietest window after `search_from` (a pause)."""
    tail = np.abs(buf[:, search_from:]).sum(axis=0)
    n = len(tail) // win
    if n == 0:
        return buf.shape[1]
    energy = tail[: n * win].reshape(n, win).sum(axis=1)
    return search_from + int(np.argmin(energy)) * win + win // 2


def _wav_shortfall(p: Path) -> tuple[int, int] | None:
    """(declared, present) bytes of a WAV data chunk cut short, else None."""
    import struct

    size = p.stat().st_size
    with open(p, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            cid, n = struct.unpack("<4sI", f.read(8))
            if cid == b"data":
                present = size - pos - 8
                # 0 and 0xFFFFFFFF mark streamed WAVs whose length was never filled in
                if n not in (0, 0xFFFFFFFF) and present < n:
                    return n, present
                return None
            pos += 8 + n + (n & 1)
    return None


def _is_corrupt(err: str) -> bool:
    low = err.lower()
    return any(w in low for w in ("invalid data", "error while decoding", "corrupt"))


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""


def _float(v) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def expand_inputs(paths: list[str]) -> list[str]:
    """Files as given; folders expanded (recursively) to the audio files inside, sorted."""
    out: list[str] = []
    for p in paths:
        pp = Path(p)
        if pp.is_dir():
            out.extend(str(f) for f in sorted(pp.rglob("*"))
                       if f.is_file() and f.suffix.lower() in AUDIO_SUFFIXES)
        else:
            out.append(p)
    return out
