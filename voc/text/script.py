"""Agent script lines: greetings, self-identification, verification and hold prompts, closings.

One list (`voc/data/lexicons/agent_script.txt`, or the file named by `text.script_phrases`) that
topics, analysis and role guessing share, so a script line that keeps a topic out of a cluster
also keeps it neutral in sentiment and counts as the agent's when roles are guessed.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from voc.errors import ConfigError
from voc.paths import resource

SCRIPT_PHRASES = resource("lexicons", "agent_script.txt")


@functools.lru_cache(maxsize=8)
def script_patterns(path: str | Path = SCRIPT_PHRASES) -> tuple[re.Pattern, ...]:
    """The compiled script phrases of a lexicon file (one regex per line, # comments)."""
    out = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the script-phrase list ({e.strerror})") from None
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            out.append(re.compile(line))
        except re.error as e:
            raise ConfigError(f"{path}:{n}: bad script phrase {line!r}: {e}") from None
    return tuple(out)


def script_hits(text: str, path: str | Path = SCRIPT_PHRASES) -> list[str]:
    """The script phrases found in a text (the matched spans)."""
    return [m.group(0) for p in script_patterns(path) if (m := p.search(text))]


def is_script(text: str, path: str | Path = SCRIPT_PHRASES) -> bool:
    """True when a text contains an agent script phrase."""
    return any(p.search(text) for p in script_patterns(path))


def script_share(text: str, path: str | Path = SCRIPT_PHRASES) -> float:
    """Share of a text's characters covered by script phrases (0..1): 1 for a pure script line."""
    if not text:
        return 0.0
    covered = [False] * len(text)
    for p in script_patterns(path):
        for m in p.finditer(text):
            covered[m.start():m.end()] = [True] * (m.end() - m.start())
    return sum(covered) / len(text)
