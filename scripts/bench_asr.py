#!/usr/bin/env python
"""ASR benchmark: `voc transcribe` against a bare faster-whisper script, same files, same run.

The set: the real Mandarin clips in ../shared/data/audio (16 kHz) and 8 kHz mu-law copies, plus a
two-channel call built from the clips (16 kHz and 8 kHz mu-law). Both sides run as fresh
processes (start-up and model load included), alternating, `--repeat` times; the medians and the
ratio are printed and written as JSON. CER removes punctuation and spaces only: a Traditional
character counts as an error, so the bare side gets OpenCC t2s, as DESIGN.md measures it.

    .venv/bin/python scripts/bench_asr.py [--repeat 3] [--out bench_asr.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import AUDIO, CALL_TURNS, ffmpeg, make_call, references  # noqa: E402

from voc.metrics import cer  # noqa: E402

BARE = r'''
import json, sys
import opencc
from faster_whisper import WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8")
cc = opencc.OpenCC("t2s")
out = {}
for path in sys.argv[2:]:
    segments, _ = model.transcribe(path, language="zh", beam_size=5)
    out[path] = cc.convert("".join(s.text for s in segments))
print(json.dumps(out, ensure_ascii=False))
'''


def build_set(tmp: Path) -> dict[str, str]:
    """path -> reference text."""
    refs = references()
    files = {}
    for name, ref in refs.items():
        files[str(AUDIO / name)] = ref
        p8 = tmp / f"8k_{name}"
        ffmpeg("-i", str(AUDIO / name), "-ar", "8000", "-acodec", "pcm_mulaw", str(p8))
        files[str(p8)] = ref
    call_ref = "".join(refs[clip] for _, clip in CALL_TURNS)
    call = make_call(tmp / "call_16k.wav", CALL_TURNS)
    files[str(call)] = call_ref
    call8 = tmp / "call_8k_mulaw.wav"
    ffmpeg("-i", str(call), "-ar", "8000", "-acodec", "pcm_mulaw", str(call8))
    files[str(call8)] = call_ref
    return files


def audio_seconds(paths) -> float:
    from voc.audio import probe

    return sum(probe(p).duration_s for p in paths)


def run_voc(paths, out: Path) -> tuple[float, dict[str, str]]:
    t = time.perf_counter()
    subprocess.run([str(ROOT / ".venv/bin/voc"), "transcribe", *paths, "--engine", "whisper",
                    "--no-store", "--out", str(out)], check=True, capture_output=True)
    wall = time.perf_counter() - t
    texts = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        texts[d["source"]] = d["text"]
    return wall, texts


def run_bare(paths) -> tuple[float, dict[str, str]]:
    from voc import models
    from voc.config import load_settings, models_dir

    model = models.ensure("whisper-base", models_dir(load_settings()))
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", BARE, str(model), *paths], check=True,
                       capture_output=True, text=True)
    return time.perf_counter() - t, json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = build_set(Path(tmp))
        paths = list(files)
        dur = audio_seconds(paths)
        groups = {"16k clips": [p for p in paths if p.startswith(str(AUDIO))],
                  "8k mu-law clips": [p for p in paths if "/8k_" in p],
                  "stereo calls": [p for p in paths if "call_" in p]}
        timed = {"all": paths, "mono clips": groups["16k clips"] + groups["8k mu-law clips"],
                 "stereo calls": groups["stereo calls"]}
        walls: dict[str, dict[str, list[float]]] = {g: {"voc": [], "bare": []} for g in timed}
        for _ in range(args.repeat):
            for g, ps in timed.items():
                w, texts = run_voc(ps, Path(tmp) / "voc.jsonl")
                walls[g]["voc"].append(w)
                if g == "all":
                    voc_text = texts
                w, texts = run_bare(ps)
                walls[g]["bare"].append(w)
                if g == "all":
                    bare_text = texts
        durations = {g: audio_seconds(ps) for g, ps in timed.items()}
    groups["all"] = paths
    result = {"files": len(paths), "audio_s": round(dur, 1), "repeat": args.repeat, "timing": {}}
    for g in timed:
        v, b = statistics.median(walls[g]["voc"]), statistics.median(walls[g]["bare"])
        result["timing"][g] = {"files": len(timed[g]), "audio_s": round(durations[g], 1),
                               "voc_wall_s": round(v, 2), "bare_wall_s": round(b, 2),
                               "ratio_voc_over_bare": round(v / b, 3),
                               "voc_rtf": round(v / durations[g], 3), "bare_rtf": round(b / durations[g], 3)}
    result["cer"] = {g: {"voc": round(cer([files[p] for p in ps], [voc_text[p] for p in ps]), 3),
                         "bare_t2s": round(cer([files[p] for p in ps], [bare_text[p] for p in ps]), 3)}
                     for g, ps in groups.items()}
    text = json.dumps(result, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
