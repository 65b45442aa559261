#!/usr/bin/env python
"""CER of voc and of bare faster-whisper (+ OpenCC t2s) on the whole shared audio set, in this
process: the numbers tests/test_transcribe.py asserts on, for measuring how much they move with
the CPU's instruction set and GEMM backend (see docs/reproducibility.md).

Set the CTranslate2 variables before starting (they are read when ctranslate2 loads), e.g.

    CT2_FORCE_CPU_ISA=GENERIC .venv/bin/python scripts/repro_asr.py --label GENERIC
    CT2_USE_MKL=1 .venv/bin/python scripts/repro_asr.py --label MKL --threads 1

One JSON line: per group (16k clips, 8k mu-law clips, stereo calls 16k/8k, pooled) the CER of
voc and of bare, and every hypothesis text, so that two runs can be compared file by file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import AUDIO, CALL_TURNS, ffmpeg, make_call, references  # noqa: E402

from voc.metrics import cer  # noqa: E402


def build_set(tmp: Path) -> dict[str, tuple[str, str]]:
    """name -> (path, reference), grouped by the name's prefix: 16k/, 8k/, call16k, call8k."""
    refs = references()
    files = {}
    for name, ref in refs.items():
        files[f"16k/{name}"] = (str(AUDIO / name), ref)
        p8 = tmp / f"8k_{name}"
        ffmpeg("-i", str(AUDIO / name), "-ar", "8000", "-acodec", "pcm_mulaw", str(p8))
        files[f"8k/{name}"] = (str(p8), ref)
    call_ref = "".join(refs[clip] for _, clip in CALL_TURNS)
    call = make_call(tmp / "call_16k.wav", CALL_TURNS)
    call8 = tmp / "call_8k_mulaw.wav"
    ffmpeg("-i", str(call), "-ar", "8000", "-acodec", "pcm_mulaw", str(call8))
    files["call16k"] = (str(call), call_ref)
    files["call8k"] = (str(call8), call_ref)
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--label", default="default")
    ap.add_argument("--threads", type=int, default=0, help="asr.threads for voc (0 = all cores)")
    args = ap.parse_args()

    import opencc
    from faster_whisper import WhisperModel

    from voc import models
    from voc.config import load_settings
    from voc.transcribe import TranscribeOptions, Transcriber, transcribe_file

    tr = Transcriber(load_settings({"asr.engine": "whisper", "asr.threads": args.threads}), "whisper")
    bare = WhisperModel(str(models.ensure("whisper-base", tr.models_root)), device="cpu",
                        compute_type="int8")
    cc = opencc.OpenCC("t2s")
    with tempfile.TemporaryDirectory() as tmp:
        files = build_set(Path(tmp))
        ours, theirs, roles = {}, {}, {}
        for key, (path, _) in files.items():
            t = transcribe_file(path, tr, TranscribeOptions())
            ours[key] = t.text
            roles[key] = [(u.speaker, u.role, u.start, u.end, u.text) for u in t.utterances]
            segs, _ = bare.transcribe(path, language="zh", beam_size=5)
            theirs[key] = cc.convert("".join(s.text for s in segs))
    groups = {"16k": [k for k in files if k.startswith("16k/")],
              "8k": [k for k in files if k.startswith("8k/")],
              "calls": ["call16k", "call8k"], "all": list(files)}
    out = {"label": args.label, "isa_env": os.environ.get("CT2_FORCE_CPU_ISA", ""),
           "mkl": os.environ.get("CT2_USE_MKL", ""), "threads": args.threads, "cer": {}}
    for g, keys in groups.items():
        refs = [files[k][1] for k in keys]
        out["cer"][g] = {"voc": round(cer(refs, [ours[k] for k in keys]), 4),
                         "bare": round(cer(refs, [theirs[k] for k in keys]), 4)}
    out["voc"], out["bare"] = ours, theirs
    out["call_utterances"] = {k: roles[k] for k in ("call16k", "call8k")}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
