"""Folder scans that lose nothing without a word: every entry a scan cannot read (a dangling
symlink, a symlink loop, a folder it cannot list, a recording that is not a regular file) comes
back with the reason, so the batch prints a line and records a failure row for it.

    files, unreadable = scan(["calls/2026-05-01/", "extra.wav"], AUDIO_SUFFIXES)
    # unreadable: [{"source": "calls/2026-05-01/x.wav", "reason": "dangling symlink (to ...)"}]

Files given by name are returned as given (the batch reports them if they cannot be read);
folders are walked recursively in sorted order, following symlinks to files and folders, each
real folder once; files without one of `suffixes` (notes.txt) are not recordings and are left
out quietly.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def scan(paths: list[str], suffixes) -> tuple[list[str], list[dict]]:
    """(files, unreadable entries as {source, reason}) of files and folders."""
    suffixes = {s.lower() for s in suffixes}
    files: list[str] = []
    bad: list[dict] = []
    for p in paths:
        if Path(p).is_dir():
            _walk(Path(p), suffixes, files, bad, set())
        else:
            files.append(p)
    return files, bad


def _walk(folder: Path, suffixes: set, files: list, bad: list, seen: set) -> None:
    try:
        st = folder.stat()
        if (st.st_dev, st.st_ino) in seen:
            bad.append({"source": str(folder), "reason": "symlink loop (leads back to a folder "
                                                          "the scan is already in)"})
            return
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as e:
        bad.append({"source": str(folder), "reason": f"cannot list the folder ({e.strerror or e})"})
        return
    seen = seen | {(st.st_dev, st.st_ino)}
    for e in entries:
        path = Path(e.path)
        try:
            est = os.stat(e.path)  # follows symlinks
        except OSError as err:
            bad.append({"source": str(path), "reason": unreadable_reason(path, err)})
            continue
        if stat.S_ISDIR(est.st_mode):
            _walk(path, suffixes, files, bad, seen)
        elif path.suffix.lower() in suffixes:
            if stat.S_ISREG(est.st_mode):
                files.append(str(path))
            else:
                bad.append({"source": str(path), "reason": "not a regular file"})


def unreadable_reason(path: Path, err: OSError | None = None) -> str:
    """Why `path` cannot be read: a symlink loop, a dangling symlink, or the OS's reason."""
    if err is None:
        try:
            os.stat(path)
            return "unreadable"
        except OSError as e:
            err = e
    if path.is_symlink():
        if err.errno == errno.ELOOP:
            return "symlink loop"
        if err.errno == errno.ENOENT:
            return f"dangling symlink (to {os.readlink(path)}, which does not exist)"
    return f"cannot read ({err.strerror or err})"
