"""Folder scans report every entry they cannot read (voc.scan): a dangling symlink, a symlink
loop, a symlink back up the tree and a folder that cannot be listed each get a line and a
failure row, in `voc run`'s discovery and in `voc transcribe`."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voc.cli import app

runner = CliRunner()


def _hostile_folder(root: Path) -> Path:
    night = root / "night"
    (night / "sub").mkdir(parents=True)
    (night / "call.wav").write_bytes(b"RIFF....")
    (night / "notes.txt").write_text("not a recording")          # left out quietly
    os.symlink("nowhere.wav", night / "dangling.wav")
    os.symlink("loop.wav", night / "loop.wav")
    os.symlink("..", night / "sub" / "up")                        # back to the night folder
    return night


def test_scan_returns_every_unreadable_entry_with_its_reason(tmp_path):
    from voc.audio import AUDIO_SUFFIXES
    from voc.scan import scan

    night = _hostile_folder(tmp_path)
    files, bad = scan([str(night)], AUDIO_SUFFIXES)
    assert files == [str(night / "call.wav")]
    assert bad == [
        {"source": str(night / "dangling.wav"),
         "reason": "dangling symlink (to nowhere.wav, which does not exist)"},
        {"source": str(night / "loop.wav"), "reason": "symlink loop"},
        {"source": str(night / "sub" / "up"),
         "reason": "symlink loop (leads back to a folder the scan is already in)"}]


def test_discover_reports_them_as_failed_inputs(tmp_path):
    from voc.run_inputs import discover

    night = _hostile_folder(tmp_path)
    found, bad = discover([str(night), str(night / "*.wav")])
    assert [i.source for i in found] == [str(night / "call.wav")]
    assert [Path(b["source"]).name for b in bad] == ["dangling.wav", "loop.wav", "up",
                                                     "dangling.wav", "loop.wav"]  # the glob too


def _scan_as(uid: int | None, folder: Path):
    """scan(folder) in a forked child that runs as `uid` (root lists any folder)."""
    from voc.audio import AUDIO_SUFFIXES
    from voc.scan import scan

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to the user, scan, report, leave
        try:
            os.close(r)
            if uid is not None:
                os.setgid(65534)
                os.setuid(uid)
            os.write(w, json.dumps(scan([str(folder)], AUDIO_SUFFIXES)).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    os.waitpid(pid, 0)
    return json.loads(out)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_an_unlistable_folder_is_reported():
    root = Path(tempfile.mkdtemp(prefix="voc-scan-"))  # not under pytest's root-only tmp
    try:
        os.chmod(root, 0o755)
        night = root / "night"
        (night / "locked").mkdir(parents=True)
        (night / "locked" / "hidden.wav").write_bytes(b"RIFF")
        (night / "call.wav").write_bytes(b"RIFF")
        os.chmod(night, 0o755)
        os.chmod(night / "locked", 0o000)
        files, bad = _scan_as(65534 if os.geteuid() == 0 else None, night)
        assert files == [str(night / "call.wav")]
        assert bad == [{"source": str(night / "locked"),
                        "reason": "cannot list the folder (Permission denied)"}]
    finally:
        os.chmod(root / "night" / "locked", 0o755)
        subprocess.run(["rm", "-rf", str(root)], check=False)


def test_transcribe_says_so_and_records_failure_rows(tmp_path):
    from voc.store import Workspace

    night = _hostile_folder(tmp_path)
    (night / "call.wav").unlink()
    r = runner.invoke(app, ["transcribe", str(night), "-w", str(tmp_path / "ws")])
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert lines[:3] == [f"voc: {night / 'dangling.wav'}: dangling symlink (to nowhere.wav, which does "
                         f"not exist)", f"voc: {night / 'loop.wav'}: symlink loop",
                         f"voc: {night / 'sub' / 'up'}: symlink loop (leads back to a folder the scan "
                         f"is already in)"]
    assert "transcribed 0 of 3 files (3 failed)" in r.stderr
    with Workspace(tmp_path / "ws", read_only=True) as ws:
        assert sorted(Path(f["source"]).name for f in ws.failures()) == ["dangling.wav", "loop.wav", "up"]
