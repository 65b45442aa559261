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


# control characters (C0 but tab, DEL, C1), line and paragraph separators, and the bidi
# controls: each would split, colour or reorder a terminal line or a log line
_CONTROL = "".join(chr(c) for c in [*range(0, 9), *range(10, 32), *range(0x7F, 0xA0)]) + \
    "\u2028\u2029\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_ESCAPES = {ord(c): c.encode("unicode_escape").decode("ascii") if ord(c) < 0x100 else f"\\u{ord(c):04x}"
            for c in _CONTROL}


def one_line(text) -> str:
    r"""`text` with its control characters written as escapes (a newline as \n, ESC as \x1b, an
    RTL override as \u202e): a message naming a file stays one line, in the order written."""
    return str(text).translate(_ESCAPES)
