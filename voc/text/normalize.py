"""Text normalisation and jieba tokenisation shared by every analysis stage.

`normalize` makes chat logs, complaint forms and ASR output comparable: half-width letters and
digits, Simplified characters (帐 as 账 outside 帐篷/蚊帐), single spaces, no hesitation noise,
no control characters.
`tokenize` cuts normalised text with jieba (precise mode) and a banking user dictionary
(voc/data/lexicons/banking_dict.txt, plain jieba format `word freq tag`) and drops stopwords
(voc/data/lexicons/stopwords.txt) and punctuation.

Filler policy (the choice is deliberate, see `_FILLERS`):
- 呃 is pure hesitation and is always removed; so are runs of two or more 额 (typed 呃),
  except before 度/外 (额度, 额外).
- 嗯 alone is kept: as an answer it usually means "yes" (嗯，对). Two or more in a row
  (嗯嗯, 嗯嗯嗯) are backchannel or hesitation and are removed.
- 啊 alone is a sentence particle (好啊, 啊？ = "pardon?") and is kept; a run (啊啊啊) becomes 啊.
- A doubled hedge word (那个那个, 这个这个, 就是就是, 然后然后) becomes one.
Punctuation left dangling by a removal (a leading or doubled comma) is tidied up.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
from pathlib import Path

from voc.paths import resource
from voc.text.zh import to_simplified

LEXICONS = resource("lexicons")
BANKING_DICT = LEXICONS / "banking_dict.txt"
STOPWORDS = LEXICONS / "stopwords.txt"

# full-width ASCII letters, digits and symbols -> half-width; the ideographic space -> space.
# Chinese sentence punctuation (，。！？：；（）［］｛｝) stays full-width on purpose.
_HALF = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\"#$%&'*+-./<=>@\\^_`|~"
_WIDTH = {ord(c) + 0xFEE0: c for c in _HALF}
_WIDTH[0x3000] = " "
# C0/C1 controls except tab and newlines (those are whitespace), zero-width and bidi marks, BOM
_CONTROL = {c: None for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20),
                             *range(0x7F, 0xA0), *range(0x200B, 0x2010), *range(0x202A, 0x202F),
                             *range(0x2060, 0x2065), 0xFEFF]}
_TABLE = str.maketrans({**_WIDTH, **_CONTROL})

# OpenCC t2s writes 帳 as 帐; in banking text it is 账 (账单, 账户, 到账), also when typed as 帐
_ZHANG = re.compile(r"(?<![蚊营帷床纱])帐(?![篷幕子])")
_FILLERS = [
    (re.compile(r"(?:嗯{2,}|呃+|额{2,}(?![度外]))[，,、…~～\s]*"), ""),
    (re.compile(r"啊{2,}"), "啊"),
    (re.compile(r"(那个|这个|就是|然后|那么)(?:[，,、\s]*\1)+"), r"\1"),
]
_DANGLING = re.compile(r"^[，,、。；;\s]+|[，,、；;\s]+$|(?<=[，、。！？；：])[，,、\s]+")
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str] | None:
    """Characters whose presence means t2s may change the text (None: always convert).

    OpenCC t2s maps characters (TSCharacters) and phrases (TSPhrases). A phrase that contains
    one of the mapped characters is covered by that character; a few phrases are not (瞭解 ->
    了解, 答覆 -> 答复), and their changed characters are added. Text with none of these
    characters converts to itself, so the (pure Python, slow) converter can be skipped.
    """
    import opencc

    folder = Path(opencc.__file__).parent / "dictionary"

    def table(name):
        with open(folder / name, encoding="utf-8") as f:
            for line in f:
                key, _, value = line.rstrip("\n").partition("\t")
                yield key, value.split(" ")[0]

    try:
        chars = {k for k, v in table("TSCharacters.txt") if k != v}
        for key, value in table("TSPhrases.txt"):
            if key != value and chars.isdisjoint(key):
                chars.update(k for k, v in zip(key, value) if k != v) if len(key) == len(value) \
                    else chars.update(key)
    except OSError:
        return None
    return frozenset(chars)


def _simplified(text: str) -> str:
    chars = _traditional_chars()
    return to_simplified(text) if chars is None or not chars.isdisjoint(text) else text


def normalize(text: str) -> str:
    """Half-width ASCII, Simplified characters, no fillers or control characters, single spaces."""
    if not text:
        return ""
    text = text.translate(_TABLE)
    if not text.isascii():
        text = _simplified(text)
        if "帐" in text:
            text = _ZHANG.sub("账", text)
        for pattern, repl in _FILLERS:
            text = pattern.sub(repl, text)
    text = _SPACES.sub(" ", text).strip()
    return _DANGLING.sub("", text)


# -- jieba ---------------------------------------------------------------------------------

_lock = threading.Lock()
_ready = False
_NOT_WORD = re.compile(r"[\W_]+")


def _jieba():
    """The jieba default tokenizer with the banking dictionary added (once, on first use)."""
    global _ready
    import jieba

    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                for word, freq, tag in read_user_dict(BANKING_DICT):
                    jieba.add_word(word, freq, tag)
                _ready = True
    return jieba


def read_user_dict(path: Path = BANKING_DICT) -> list[tuple[str, int | None, str | None]]:
    """(word, freq, tag) rows of a jieba user dictionary."""
    rows = []
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            tag = parts[2] if len(parts) > 2 else None
            rows.append((parts[0], freq, tag))
    return rows


@functools.lru_cache(maxsize=4)
def load_stopwords(path: str | os.PathLike = STOPWORDS) -> frozenset[str]:
    """Stopwords, one a line; lines starting with # are comments."""
    with open(path, encoding="utf-8-sig") as f:
        return frozenset(w for w in (line.strip() for line in f) if w and not w.startswith("#"))


def tokenize(text: str, stopwords: bool = True) -> list[str]:
    """jieba precise-mode words without punctuation, spaces and (optionally) stopwords.

    Expects normalised text (see `normalize`); English words are compared to the stopword list
    in lower case.
    """
    if not text:
        return []
    words = _jieba().lcut(text)
    stop = load_stopwords() if stopwords else frozenset()
    return [w for w in words
            if not _NOT_WORD.fullmatch(w) and not (stop and (w in stop or w.lower() in stop))]
