#!/usr/bin/env python
"""ASR benchmark: `voc transcribe` against bare faster-whisper BatchedInferencePipeline, one run.

Everything is built from the real clips in ../shared/data/audio (each clip is one speaker):
- clips: the 5 clips at 16 kHz and as 8 kHz mu-law copies;
- stereo calls: the two-channel call of tests/conftest.py at 16 kHz and 8 kHz mu-law;
- mono calls: two different shared speakers taking turns on one channel (a clip cut in two at
  its quietest point in the middle gives a speaker two turns), gaps of 0.6-0.8 s, 16 kHz and
  8 kHz mu-law: turns A B A B (both speakers cut) or A B A (a short clip for B);
- monologues: all the clips joined with 0.3 s pauses, twice in two orders (~55 s), both rates;
- long calls, 16 kHz and 8 kHz mu-law: a two-minute stereo call (20 turns, the five clips in turn
  on alternate channels) and a 90 s mono call (two speakers, 16 turns), scored per party and by
  the text in the right turn (each utterance to the turn it overlaps most, CER turn by turn).

The bare peer is faster-whisper's own BatchedInferencePipeline (same weights, int8, batch 8,
its default VAD) plus OpenCC t2s. voc runs as `voc transcribe` storing into a fresh workspace
(decode, VAD, ASR, t2s, punctuation, features, diarization, store); `--speakers 1` is also
timed, to say what diarization costs. Each side is a fresh process (start-up and model load
included), alternating, `--repeat` times; medians. `--old SRC` also runs an older voc source tree
(e.g. `git archive <commit> voc | tar -x -C SRC`) on the clips, for "no worse than before".

CER removes punctuation and spaces only. Mono calls are scored per party: each utterance
belongs to the turn it overlaps most; voc's speaker labels are mapped to the two parties by the
mapping that attributes the most characters right. Monologue coverage is the share of reference
characters that the alignment matches to a decoded character (1 - deletions / reference).

    .venv/bin/python scripts/bench_asr.py [--repeat 1] [--out bench_asr.json] [--old /tmp/voc-old]
        [--min-silence-ms 2000]   (voc's asr.min_silence_ms; 2000 is the default setting)
        [--texts voc_records.json]   (voc's records by file name, to diff two runs)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import AUDIO, CALL_TURNS, ffmpeg, make_call, read_wav, references, write_wav  # noqa: E402

from voc.metrics import cer  # noqa: E402
from voc.text.zh import strip_punct  # noqa: E402

BARE = r'''
import json, sys
import opencc
from faster_whisper import BatchedInferencePipeline, WhisperModel
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8")
pipe = BatchedInferencePipeline(model)
cc = opencc.OpenCC("t2s")
out = {}
for path in sys.argv[2:]:
    segments, _ = pipe.transcribe(path, language="zh", beam_size=5, batch_size=8)
    out[path] = cc.convert("".join(s.text for s in segments))
print(json.dumps(out, ensure_ascii=False))
'''

SR = 16000
MIN_SILENCE_MS = 2000  # asr.min_silence_ms of the voc sides (--min-silence-ms; the default setting)
MEETING, ASR_EX, BAC = ("TEST_MEETING_T0000000001_S00000.wav", "asr_example.wav", "BAC009S0764W0121.wav")
NET, IT = "TEST_NET_Y0000000000_-KTKHdZ2fb8_S00000.wav", "IT0011W0001.wav"
# (party A's clip, party B's clip, B cut in two?)
MONO_CALLS = [(MEETING, ASR_EX, True), (ASR_EX, BAC, True), (BAC, MEETING, True),
              (MEETING, NET, False), (ASR_EX, IT, False)]


def clip(name: str) -> np.ndarray:
    x, sr = read_wav(AUDIO / name)
    assert sr == SR
    return x[0]


def halves(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A clip cut at its quietest 100 ms in the middle half."""
    lo, hi, win = len(x) // 4, 3 * len(x) // 4, SR // 10
    e = np.abs(x[lo:hi])[: (hi - lo) // win * win].reshape(-1, win).sum(axis=1)
    cut = lo + int(np.argmin(e)) * win + win // 2
    return x[:cut], x[cut:]


def mulaw(src: Path) -> Path:
    out = src.with_name(src.stem + "_8k_mulaw.wav")
    ffmpeg("-i", str(src), "-ar", "8000", "-acodec", "pcm_mulaw", str(out))
    return out


def mono_call(path: Path, a: str, b: str, cut_b: bool, rng) -> tuple[Path, list[dict]]:
    """Turns A B A [B] on one channel; returns the file and its turns (party, clip, start, end)."""
    a1, a2 = halves(clip(a))
    bs = list(halves(clip(b))) if cut_b else [clip(b)]
    order = [("A", a, a1), ("B", b, bs[0]), ("A", a, a2)] + ([("B", b, bs[1])] if cut_b else [])
    return turn_taking(path, order, rng, (0.6, 0.8))


def turn_taking(path: Path, order: list[tuple[str, str, np.ndarray]], rng, gap_s: tuple[float, float]
                ) -> tuple[Path, list[dict]]:
    """(party, clip name, samples) turns on one channel from 0.5 s, a pause drawn from `gap_s`
    after each; writes the file and returns it with its turns (party, clip, start, end)."""
    pieces, turns, t = [np.zeros(int(0.5 * SR), np.float32)], [], 0.5
    for party, name, x in order:
        turns.append({"party": party, "clip": name, "start": t, "end": t + len(x) / SR})
        gap = np.zeros(int(rng.uniform(*gap_s) * SR), np.float32)
        pieces += [x, gap]
        t += (len(x) + len(gap)) / SR
    write_wav(path, np.concatenate(pieces), SR)
    return path, turns


def long_stereo(path: Path) -> tuple[Path, list[dict]]:
    """A two-minute stereo call: 20 turns, the five clips in turn on alternate channels, 0.8 s
    apart (conftest.make_call); returns the file and its turns (party = channel, clip, times)."""
    names = list(references())
    order = [(k % 2, names[k % len(names)]) for k in range(20)]
    turns, t = [], 0.0
    for ch, name in order:
        d = len(clip(name)) / SR
        turns.append({"party": f"ch{ch}", "clip": name, "start": t, "end": t + d})
        t += d + 0.8
    return make_call(path, order), turns


def long_mono(path: Path, a: str, b: str, rng) -> tuple[Path, list[dict]]:
    """A 90 s mono call: two speakers' clips in turn, 16 turns, 0.5-1.0 s apart."""
    order = [("A", a, clip(a)) if k % 2 == 0 else ("B", b, clip(b)) for k in range(16)]
    return turn_taking(path, order, rng, (0.5, 1.0))


def monologue(path: Path, names: list[str]) -> Path:
    pause = np.zeros(int(0.3 * SR), np.float32)
    write_wav(path, np.concatenate([p for n in names for p in (clip(n), pause)]), SR)
    return path


def build_set(tmp: Path) -> dict[str, dict]:
    """path -> {group, ref, turns?}."""
    refs = references()
    files: dict[str, dict] = {}
    for name, ref in refs.items():
        files[str(AUDIO / name)] = {"group": "clips 16k", "ref": ref}
        p8 = tmp / f"8k_{name}"
        ffmpeg("-i", str(AUDIO / name), "-ar", "8000", "-acodec", "pcm_mulaw", str(p8))
        files[str(p8)] = {"group": "clips 8k mu-law", "ref": ref}
    call = make_call(tmp / "stereo_call.wav", CALL_TURNS)
    call_ref = "".join(refs[c] for _, c in CALL_TURNS)
    files[str(call)] = {"group": "stereo calls", "ref": call_ref}
    files[str(mulaw(call))] = {"group": "stereo calls", "ref": call_ref}
    rng = np.random.default_rng(11)
    for i, (a, b, cut_b) in enumerate(MONO_CALLS):
        p, turns = mono_call(tmp / f"mono_call{i}.wav", a, b, cut_b, rng)
        d = {"ref": refs[a] + refs[b], "turns": turns, "party_refs": {"A": refs[a], "B": refs[b]}}
        files[str(p)] = {"group": "mono calls 16k", **d}
        files[str(mulaw(p))] = {"group": "mono calls 8k mu-law", **d}
    p, turns = long_stereo(tmp / "long_stereo.wav")
    d = {"ref": "".join(refs[t["clip"]] for t in turns), "turns": turns,
         "party_refs": {f"ch{c}": "".join(refs[t["clip"]] for t in turns if t["party"] == f"ch{c}") for c in (0, 1)}}
    files[str(p)] = {"group": "long stereo calls", **d}
    files[str(mulaw(p))] = {"group": "long stereo calls", **d}
    p, turns = long_mono(tmp / "long_mono.wav", ASR_EX, BAC, rng)
    d = {"ref": "".join(refs[t["clip"]] for t in turns), "turns": turns,
         "party_refs": {w: "".join(refs[t["clip"]] for t in turns if t["party"] == w) for w in "AB"}}
    files[str(p)] = {"group": "long mono calls", **d}
    files[str(mulaw(p))] = {"group": "long mono calls", **d}
    names = list(refs)
    for i, order in enumerate([names, names[::-1]]):
        order = order + order
        p = monologue(tmp / f"monologue{i}.wav", order)
        ref = "".join(refs[n] for n in order)
        files[str(p)] = {"group": "monologues 16k", "ref": ref}
        files[str(mulaw(p))] = {"group": "monologues 8k mu-law", "ref": ref}
    return files


def audio_seconds(paths) -> float:
    from voc.audio import probe

    return sum(probe(p).duration_s for p in paths)


def run_voc(paths, tmp: Path, speakers: int = 2, src: Path | None = None) -> tuple[float, dict]:
    out = tmp / f"voc_{speakers}_{'old' if src else 'new'}.jsonl"
    ws = tmp / f"ws_{time.time_ns()}"
    env = dict(os.environ)
    if src:  # an older voc knows no audio.speakers
        env["PYTHONPATH"] = str(src)
    else:
        env["VOC_AUDIO_SPEAKERS"] = str(speakers)
        env["VOC_ASR_MIN_SILENCE_MS"] = str(MIN_SILENCE_MS)
    t = time.perf_counter()
    subprocess.run([str(ROOT / ".venv/bin/python"), "-m", "voc", "transcribe", *paths, "--engine", "whisper",
                    "--workspace", str(ws), "--out", str(out)], capture_output=True, env=env,
                   cwd=str(src or ROOT))  # exit 1 when a file failed: it is missing from the output
    wall = time.perf_counter() - t
    recs = {}
    for line in (out.read_text(encoding="utf-8") if out.exists() else "").splitlines():
        d = json.loads(line)
        recs[d["source"]] = d
    return wall, recs


def run_bare(paths) -> tuple[float, dict[str, str]]:
    from voc import models
    from voc.config import load_settings, models_dir

    model = models.ensure("whisper-base", models_dir(load_settings()))
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", BARE, str(model), *paths], check=True,
                       capture_output=True, text=True)
    return time.perf_counter() - t, json.loads(r.stdout.strip().splitlines()[-1])


def deletions(ref: str, hyp: str) -> int:
    """Reference characters the best alignment leaves unmatched (deleted)."""
    r, h = strip_punct(ref), strip_punct(hyp)
    n, m = len(r), len(h)
    cost = np.zeros((n + 1, m + 1), dtype=np.int32)
    dels = np.zeros((n + 1, m + 1), dtype=np.int32)
    cost[:, 0] = dels[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            options = [(cost[i - 1, j - 1] + (r[i - 1] != h[j - 1]), dels[i - 1, j - 1]),
                       (cost[i - 1, j] + 1, dels[i - 1, j] + 1), (cost[i, j - 1] + 1, dels[i, j - 1])]
            cost[i, j], dels[i, j] = min(options)
    return int(dels[n, m])


def turn_cer(rec: dict, spec: dict) -> float:
    """CER of the text in the right turn: each utterance's text goes to the turn it overlaps
    most (on its own channel in a stereo call), and each turn's text is scored against its
    clip. Text put into the wrong turn counts twice (missing there, extra here)."""
    turns, got = spec["turns"], [""] * len(spec["turns"])
    for u in rec["utterances"]:
        stereo = turns[0]["party"].startswith("ch")
        over = [min(u["end"], t["end"]) - max(u["start"], t["start"])
                if not stereo or u["speaker"] == t["party"] else -1e9 for t in turns]
        got[int(np.argmax(over))] += u["text"]
    refs = references()
    return cer([refs[t["clip"]] for t in turns], got)


def party_cer(rec: dict, spec: dict) -> dict[str, float]:
    """Each party's CER: by channel in a stereo call, under the best mapping of speakers on mono."""
    if not spec["turns"][0]["party"].startswith("ch"):
        return score_mono_call(rec, spec)["party_cer"]
    return {ch: cer([ref], ["".join(u["text"] for u in rec["utterances"] if u["speaker"] == ch)])
            for ch, ref in spec["party_refs"].items()}


def score_mono_call(rec: dict, spec: dict) -> dict:
    """Turn coverage, speakers found, attribution and per-party CER under the best mapping."""
    turns, utts = spec["turns"], rec["utterances"]

    def overlap(u, t):
        return max(0.0, min(u["end"], t["end"]) - max(u["start"], t["start"]))

    truth = []
    for u in utts:
        best = max(turns, key=lambda t: overlap(u, t))
        truth.append(best["party"] if overlap(u, best) > 0 else None)
    per_turn = [sum(1 for u in utts if overlap(u, t) > 0.5 * (u["end"] - u["start"])) for t in turns]
    speakers = sorted({u["speaker"] for u in utts})
    chars = [len(strip_punct(u["text"])) for u in utts]
    best_map, best_right = {}, -1
    for perm in itertools.product("AB", repeat=len(speakers)):
        m = dict(zip(speakers, perm))
        right = sum(c for u, c, p in zip(utts, chars, truth) if m[u["speaker"]] == p)
        if right > best_right:
            best_map, best_right = m, right
    party_cer = {}
    for party, ref in spec["party_refs"].items():
        hyp = "".join(u["text"] for u in utts if best_map.get(u["speaker"]) == party)
        party_cer[party] = cer([ref], [hyp])
    roles = {best_map.get(u["speaker"]): u["role"] for u in utts}
    return {"turns": len(turns), "turns_with_utterance": sum(1 for n in per_turn if n),
            "speakers_found": len(speakers), "roles_how": rec["meta"]["roles"],
            "attributed_right": best_right / max(1, sum(chars)), "chars": sum(chars),
            "party_cer": party_cer, "roles": roles}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--old", type=Path, default=None, help="an older voc source tree to run on the clips")
    ap.add_argument("--min-silence-ms", type=int, default=MIN_SILENCE_MS, help="asr.min_silence_ms for voc")
    ap.add_argument("--texts", type=Path, default=None, help="write voc's records (by file name) here")
    args = ap.parse_args()
    globals()["MIN_SILENCE_MS"] = args.min_silence_ms
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = build_set(tmp)
        paths = list(files)
        dur = audio_seconds(paths)
        walls: dict[str, list[float]] = {"voc": [], "bare": [], "voc_speakers1": []}
        for _ in range(args.repeat):
            w, voc = run_voc(paths, tmp)
            walls["voc"].append(w)
            w, bare = run_bare(paths)
            walls["bare"].append(w)
            w, _ = run_voc(paths, tmp, speakers=1)
            walls["voc_speakers1"].append(w)
        clips = [p for p in paths if files[p]["group"].startswith("clips")]
        old = run_voc(clips, tmp, src=args.old)[1] if args.old else None
    groups: dict[str, list[str]] = {}
    for p in paths:
        groups.setdefault(files[p]["group"], []).append(p)
    text = {p: voc[p]["text"] if p in voc else "" for p in paths}
    if args.texts:  # to diff two runs' output file by file
        args.texts.write_text(json.dumps({Path(p).name: voc.get(p) for p in paths}, ensure_ascii=False, indent=1))
    failed = [p for p in paths if p not in voc]
    v, b, v1 = (statistics.median(walls[k]) for k in ("voc", "bare", "voc_speakers1"))
    result = {"files": len(paths), "audio_s": round(dur, 1), "repeat": args.repeat, "voc_failed": failed,
              "timing": {"voc_wall_s": round(v, 2), "bare_wall_s": round(b, 2),
                         "voc_speakers1_wall_s": round(v1, 2), "ratio_voc_over_bare": round(v / b, 3),
                         "ratio_voc_speakers1_over_bare": round(v1 / b, 3),
                         "diarization_s": round(v - v1, 2), "all_walls": walls}}
    result["cer"] = {g: {"voc": round(cer([files[p]["ref"] for p in ps], [text[p] for p in ps]), 3),
                         "bare": round(cer([files[p]["ref"] for p in ps], [bare[p] for p in ps]), 3)}
                     for g, ps in groups.items() if not g.startswith("mono calls")}  # scored per party
    for g in ("long stereo calls", "long mono calls"):  # the same call at 16 kHz, then 8 kHz mu-law
        ps = groups[g]
        result["cer"][g]["voc_text_in_the_right_turn"] = [round(turn_cer(voc[p], files[p]), 3) if p in voc else None
                                                          for p in ps]
        result["cer"][g]["voc_per_party"] = [{k: round(v, 3) for k, v in party_cer(voc[p], files[p]).items()}
                                             if p in voc else None for p in ps]
    if old is not None:
        for g in ("clips 16k", "clips 8k mu-law"):
            ps = groups[g]
            result["cer"][g]["voc_old"] = round(cer([files[p]["ref"] for p in ps],
                                                    [old[p]["text"] if p in old else "" for p in ps]), 3)
    cov = {}
    for g in ("monologues 16k", "monologues 8k mu-law"):
        ps = groups[g]
        for who, hyp in (("voc", text), ("bare", bare)):
            n = sum(len(strip_punct(files[p]["ref"])) for p in ps)
            cov.setdefault(g, {})[who] = round(1 - sum(deletions(files[p]["ref"], hyp[p]) for p in ps) / n, 3)
    result["monologue_coverage"] = cov
    calls = {}
    for g in ("mono calls 16k", "mono calls 8k mu-law"):
        rows = [score_mono_call(voc[p], files[p]) for p in groups[g] if p in voc]
        calls[g] = {
            "calls": len(rows),
            "calls_with_an_utterance_per_turn": sum(r["turns_with_utterance"] == r["turns"] for r in rows),
            "calls_with_2_speakers": sum(r["speakers_found"] == 2 for r in rows),
            "attributed_right": round(sum(r["attributed_right"] * r["chars"] for r in rows)
                                      / max(1, sum(r["chars"] for r in rows)), 3),
            "worst_party_cer": round(max(max(r["party_cer"].values()) for r in rows), 3),
            "calls_with_both_parties_cer_le_0.35": sum(max(r["party_cer"].values()) <= 0.35 for r in rows),
            "per_call": [{k: (round(x, 3) if isinstance(x, float) else
                              {kk: round(vv, 3) if isinstance(vv, float) else vv for kk, vv in x.items()}
                              if isinstance(x, dict) else x) for k, x in r.items()} for r in rows]}
    result["mono_calls"] = calls
    out = json.dumps(result, ensure_ascii=False, indent=2)
    print(out)
    if args.out:
        args.out.write_text(out + "\n")


if __name__ == "__main__":
    main()
