"""Where the real evaluation data lives: `../shared/data` beside the checkout, as in CI. A local
clone (`git clone . /tmp/voc-check`) finds it beside the repository it was cloned from."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _find() -> Path:
    here = ROOT.parent / "shared" / "data"
    if here.is_dir():
        return here
    try:
        url = subprocess.run(["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        url = ""
    origin = Path(url) if url.startswith("/") else None  # a clone of a folder on this machine
    if origin and (origin.parent / "shared" / "data").is_dir():
        return origin.parent / "shared" / "data"
    return here


SHARED = _find()
TEXT = SHARED / "text"
