"""Row counters of `voc inspect` and `voc topics` on a terminal (a real pseudo-terminal, a real
`python -m voc` process), silent when stderr is not one, and timings that say what they cover
(issue 16)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import topics_helpers as H

pytestmark = pytest.mark.usefixtures("clean_env")
TIMING = re.compile(r"in \d+\.\d s \(the run; \d+\.\d s with start-up and imports\)")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def voc(args: list[str], cwd: Path, tty: bool, extra: dict | None = None) -> tuple[int, str]:
    """Run voc with stderr on a pseudo-terminal (tty) or a pipe; (exit code, stderr text)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOC_")} | {"TERM": "xterm", "COLUMNS": "100"}
    env |= extra or {}
    cmd = [sys.executable, "-m", "voc", *args]
    if not tty:
        r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        return r.returncode, r.stderr
    master, slave = os.openpty()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            b = os.read(master, 65536)
        except OSError:               # EIO: the process closed the terminal
            break
        if not b:
            break
        chunks.append(b)
    os.close(master)
    return p.wait(timeout=300), ANSI.sub("", b"".join(chunks).decode("utf-8", "replace"))


def _dialogues(path: Path, n: int) -> Path:
    lines = []
    for k in range(n):
        lines += [f"s{k}\t0\t你好，我的信用卡年费被扣了第{k}次，我要投诉\n",
                  f"s{k}\t1\t您好，很抱歉给您带来不便，我帮您查一下，请问还有其他可以帮您的吗？\n"]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_inspect_counts_rows_on_a_terminal_only(tmp_path):
    src = _dialogues(tmp_path / "chats.tsv", 3000)
    args = ["inspect", str(src), "--text-col", "2", "--group-col", "0", "--role-col", "1", "--no-store"]
    code, err = voc(args, tmp_path, tty=True)
    assert code == 0, err
    counts = [int(x) for x in re.findall(r"inspecting (\d+) rows", err)]
    assert counts and max(counts) > 0 and max(counts) <= 3000, err[-2000:]
    assert "inspected 3000 contacts" in err and TIMING.search(err), err[-500:]
    code, err = voc(args, tmp_path, tty=False)
    assert code == 0 and "inspecting" not in err and TIMING.search(err), err


@pytest.mark.slow      # ~2 min on the shared machine: UMAP's numba compile in a fresh process
def test_topics_counts_rows_read_and_says_what_its_time_covers(tmp_path):
    src = tmp_path / "c.csv"
    with open(src, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([[t] for t in H.celine(120, every=31)[0]])
    code, err = voc(["topics", str(src), "--out", str(tmp_path / "o"), "--text-col", "0",
                     "--min-cluster-size", "8", "--no-store", "--embedding", "lsa"], tmp_path, tty=True)
    assert code == 0, err
    assert re.search(r"reading \d+ rows", err) and re.search(r"\d+ texts -> ", err) and TIMING.search(err), err
    assert err.rindex("reading") < err.index("voc topics: embedding")      # the counter ends with the input


@pytest.mark.slow      # transcribes 26 s of real speech in a fresh process
def test_one_long_recording_shows_progress_by_audio_seconds(tmp_path):
    """One recording of several audio.chunk_s chunks: a bar by seconds of audio on a terminal,
    nothing of it on a pipe."""
    import numpy as np
    from conftest import AUDIO, read_wav, write_wav

    x = np.concatenate([read_wav(AUDIO / n)[0][0] for n in ("TEST_MEETING_T0000000001_S00000.wav",
                                                          "asr_example.wav", "BAC009S0764W0121.wav",
                                                          "asr_example.wav")])
    wav = write_wav(tmp_path / "long.wav", x, 16000)
    args = ["transcribe", str(wav), "--no-store", "--out", str(tmp_path / "t.jsonl"), "--engine", "whisper"]
    chunks = {"VOC_AUDIO_CHUNK_S": "10"}
    code, err = voc(args, tmp_path, tty=True, extra=chunks)
    assert code == 0, err
    seen = {(int(a), int(b)) for a, b in re.findall(r"(\d+) / (\d+) s of audio", err)}
    total = round(len(x) / 16000)
    assert any(10 <= a < total and b == total for a, b in seen), (seen, err[-2000:])
    assert "transcribed 1 of 1 files" in err, err[-500:]
    code, err = voc(args, tmp_path, tty=False, extra=chunks)
    assert code == 0 and "s of audio" not in err, err
