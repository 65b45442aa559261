"""All or nothing: a real `voc report` / `voc export` SIGKILLed at seeded moments over an
earlier complete output always leaves that old output or the new one, complete (every page
of the manifest there and of the same generation; every export file matching the manifest's
sha256), and the next start removes what the killed attempt left."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
import report_workspace as RW
from run_helpers import PY

SEED = int(os.environ.get("VOC_TEST_KILL_SEED", "20260501"))
KILLS = 3

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("clean_env")]


@pytest.fixture(scope="module")
def ws_dir(tmp_path_factory):
    return RW.shared(tmp_path_factory)


def _generation_of_report(out: Path) -> str:
    """The dashboard's generated_at, after checking every page it lists is there and of that
    generation (no page of another attempt)."""
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    stamp = man["generated_at"]
    pages = [out / p for p in man["pages"].values()]
    calls = sorted((out / "calls").glob("*.html"))
    assert len(calls) == man["call_pages"] and man["call_pages"] > 0
    for p in pages + calls:
        assert stamp in p.read_text(encoding="utf-8"), f"{p.name} is not of the manifest's run"
    return stamp


def _generation_of_export(out: Path) -> str:
    man = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name, sha in man["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == sha, name
    assert sorted(p.name for p in out.iterdir()) == sorted([*man["files"], "manifest.json"])
    return man["generated_at"]


def _timed(args: list[str]) -> float:
    t0 = time.monotonic()
    subprocess.run([PY, "-m", "voc", *args], check=True, capture_output=True, timeout=300)
    return time.monotonic() - t0


@pytest.mark.parametrize("command, check", [("report", _generation_of_report),
                                            ("export", _generation_of_export)])
def test_killed_output_is_the_old_or_the_new_one_whole(tmp_path, ws_dir, command, check):
    ws = RW.copy(ws_dir, tmp_path / "ws")
    out = tmp_path / "out"
    args = [command, "-w", str(ws), "--out", str(out)]
    took = _timed(args)
    old = check(out)
    rng = random.Random(SEED)
    seen, mid_write = {old}, 0
    for k in range(KILLS):  # early, midway and late in the time a whole run takes
        proc = subprocess.Popen([PY, "-m", "voc", *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3 + 0.3 * k, 0.6 + 0.3 * k) * took)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        seen.add(check(out))                    # the old complete output or the new one
        mid_write += any(p.name.startswith(".out.voc-staging-") for p in tmp_path.iterdir())
    assert mid_write, "no kill landed while the output was being written"
    _timed(args)                                # the next start cleans up after the killed ones
    seen.add(check(out))
    assert len(seen) >= 2 and sorted(p.name for p in tmp_path.iterdir()) == ["out", "ws"]
