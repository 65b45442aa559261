"""Helpers for the `voc run` tests: nights of real clips with distinct bytes, and workspace
snapshots to compare."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
from conftest import AUDIO, read_wav, write_wav

PY = sys.executable
SHORT_CLIPS = ["IT0011W0001.wav", "TEST_NET_Y0000000000_-KTKHdZ2fb8_S00000.wav",
               "BAC009S0764W0121.wav", "asr_example.wav"]


def make_night(folder: Path, n: int, clips: list[str] = SHORT_CLIPS, bad: int = 0) -> list[Path]:
    """n recordings made from the real clips, each with its own bytes (gain differs by 0.2 %
    steps), plus `bad` files that are not audio."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k in range(n):
        x, sr = read_wav(AUDIO / clips[k % len(clips)])
        out.append(write_wav(folder / f"call_{k:04d}.wav", x * (1 - 0.002 * k), sr))
    for k in range(bad):
        p = folder / f"broken_{k}.wav"
        p.write_bytes(b"RIFF but not really audio " * (k + 1))
        out.append(p)
    return out


def snapshot(ws_dir: Path) -> dict:
    """What a night stored, without run ids and times: transcripts, utterances, analyses,
    QA inspections and findings."""
    con = duckdb.connect(str(ws_dir / "voc.duckdb"), read_only=True)
    try:
        ts = {r[0]: {"source": r[1], "channel": r[2], "duration_s": r[3], "meta": json.loads(r[4]),
                     "text": r[5], "n_utterances": r[6]}
              for r in con.execute("SELECT id, source, channel, duration_s, meta, text, n_utterances "
                                   "FROM transcripts").fetchall()}
        utts = sorted(con.execute("SELECT transcript_id, idx, start_s, end_s, speaker, role, text "
                                  "FROM utterances").fetchall())
        an = {r[0]: json.loads(r[1]) for r in con.execute("SELECT id, record FROM analyses").fetchall()}
        insp = sorted(con.execute("SELECT transcript_id, score, deductions, n_findings, rules_digest "
                                  "FROM inspections").fetchall())
        finds = sorted(con.execute("SELECT finding_id, transcript_id, rule_id, deduct, message "
                                   "FROM findings").fetchall())
        counts = {t: con.execute(f"SELECT count(*), count(DISTINCT {k}) FROM {t}").fetchone()
                  for t, k in (("transcripts", "id"), ("analyses", "id"),
                               ("utterances", "transcript_id || '/' || idx"))}
    finally:
        con.close()
    return {"transcripts": ts, "utterances": utts, "analyses": an, "inspections": insp,
            "findings": finds, "counts": counts}


def by_name(snap: dict) -> dict:
    """Snapshot keyed by file name (sources differ between workspaces made in other folders)."""
    return {Path(t["source"]).name: (i, t["text"], snap["analyses"].get(i))
            for i, t in snap["transcripts"].items()}
