#!/usr/bin/env python
"""Telephone audio: which decoding options help Whisper base on 8 kHz mu-law, measured.

The set: the 5 shared clips (../shared/data/audio) as 8 kHz mu-law copies, and the two channels
of the 8 kHz mu-law stereo call of tests/conftest.py (its four turns). Each variant decodes every
file through voc's Whisper engine (VAD regions, coverage re-decoding) in one process, one model
load; CER (punctuation and spaces removed) after OpenCC t2s, pooled, and seconds.

Variants: the resampler that brings 8 kHz up to 16 kHz (ffmpeg's default swr, or soxr), and the
decoding options BatchedInferencePipeline applies: beam size, patience, repetition penalty,
no-repeat n-grams. Its batched decoding samples at the first temperature only and applies no
temperature fallback, compression-ratio, log-prob or no-speech checks, so those are not variants.

    .venv/bin/python scripts/bench_telephone_asr.py [--out bench_telephone.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import AUDIO, CALL_TURNS, ffmpeg, make_call, references  # noqa: E402

from voc.metrics import cer  # noqa: E402

VARIANTS = {
    "default (beam 5, swr)": ({}, 5, "swr"),
    "soxr resampler": ({}, 5, "soxr"),
    "beam 1": ({}, 1, "swr"),
    "beam 8": ({}, 8, "swr"),
    "beam 5, patience 2": ({"patience": 2.0}, 5, "swr"),
    "repetition penalty 1.1": ({"repetition_penalty": 1.1}, 5, "swr"),
    "no repeat 3-grams": ({"no_repeat_ngram_size": 3}, 5, "swr"),
}


def decode16k(path: Path, resampler: str) -> np.ndarray:
    """(channels, n) float32 at 16 kHz through ffmpeg with the given resampler."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=channels", "-of", "csv=p=0",
                            str(path)], capture_output=True, text=True, check=True)
    ch = int(probe.stdout.strip().splitlines()[0])
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-af",
                          f"aresample=16000:resampler={resampler}", "-f", "f32le", "-acodec", "pcm_f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.float32).reshape(-1, ch).T


def build(tmp: Path) -> list[tuple[Path, int, str]]:
    """(file, channel, reference) of the telephone set."""
    refs = references()
    out = []
    for name, ref in refs.items():
        p = tmp / name
        ffmpeg("-i", str(AUDIO / name), "-ar", "8000", "-acodec", "pcm_mulaw", str(p))
        out.append((p, 0, ref))
    call = make_call(tmp / "call.wav", CALL_TURNS)
    call8 = tmp / "call_8k.wav"
    ffmpeg("-i", str(call), "-ar", "8000", "-acodec", "pcm_mulaw", str(call8))
    for ch in (0, 1):
        out.append((call8, ch, "".join(refs[c] for k, c in CALL_TURNS if k == ch)))
    return out


def main() -> None:
    import opencc

    from voc.asr.base import EngineOptions
    from voc.asr.whisper import WhisperEngine
    from voc.config import load_settings, models_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    settings = load_settings({"asr.engine": "whisper"})
    engine = WhisperEngine.from_settings(settings, models_dir(settings), EngineOptions())
    cc = opencc.OpenCC("t2s")
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        items = build(Path(tmp))
        audio = {r: {(p, ch): decode16k(p, r)[ch] for p, ch, _ in items} for r in ("swr", "soxr")}
        engine.transcribe(audio["swr"][(items[0][0], 0)])  # warm-up
        for name, (extra, beam, resampler) in VARIANTS.items():
            engine.decode_options, engine.options.beam_size = extra, beam
            t = time.perf_counter()
            hyps = [cc.convert("".join(s.text for s in engine.transcribe(audio[resampler][(p, ch)])))
                    for p, ch, _ in items]
            result[name] = {"cer": round(cer([r for _, _, r in items], hyps), 4),
                            "seconds": round(time.perf_counter() - t, 1)}
            print(name, result[name], flush=True)
    out = json.dumps({"files": len(items), "reference_chars": sum(len(r) for _, _, r in items),
                      "variants": result}, ensure_ascii=False, indent=2)
    print(out)
    if args.out:
        args.out.write_text(out + "\n")


if __name__ == "__main__":
    main()
