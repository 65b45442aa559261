"""Errors that carry a one-line message for the user.

The CLI prints `str(error)` on one line and exits non-zero; a traceback only with --debug.
"""


class VocError(Exception):
    """Base class: anything the user can fix by changing input, flags or set-up."""


class ConfigError(VocError):
    """A setting is unknown or has the wrong type."""


class InputError(VocError):
    """An input file cannot be used. The message names the file and the reason."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelError(VocError):
    """A model is missing, incomplete, or fails its checksum."""


class WorkspaceError(VocError):
    """The workspace cannot be opened or is from a newer voc."""


def choices(names) -> str:
    """Format valid choices for an error message: 'a, b or c'."""
    names = [str(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def display_path(path) -> str:
    """A file as an error message names it: relative to the working folder when inside it."""
    import os
    from pathlib import Path

    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
    except (OSError, ValueError):
        return str(path)
