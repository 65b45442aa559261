"""Simplified conversion, punctuation and sentence splitting for ASR output."""

from __future__ import annotations

import functools
import re

SENTENCE_END = "。！？"
_HALF_TO_FULL = {",": "，", "?": "？", "!": "！", ";": "；", ":": "："}
_CJK = r"\u3400-\u9fff"
_PUNCT_RE = re.compile(r"[\s\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
                       r"!-/:-@\[-`{-~·…—“”‘’]")


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text) if text else text


def normalise_punct(text: str) -> str:
    """Chinese punctuation next to Chinese characters; no spaces between Chinese characters."""
    text = text.strip()
    text = re.sub(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])", "", text)
    text = re.sub(r"(?<![0-9])\.(?![0-9])", "。", text) if re.search(f"[{_CJK}]", text) else text
    for half, full in _HALF_TO_FULL.items():
        text = re.sub(rf"\s*{re.escape(half)}\s*(?=[{_CJK}]|$)", full, text)
    return text


def end_sentence(text: str) -> str:
    """Add a sentence-final mark when the text has none (？ after a question particle)."""
    if not text or text[-1] in SENTENCE_END + "，、；：…":
        return text.rstrip("，、；：") + ("。" if text[-1] in "，、；：" else "")
    return text + ("？" if text[-1] in "吗呢么嘛" else "。")


def split_sentences(text: str) -> list[str]:
    """Split after 。！？ keeping the marks; an empty string gives []."""
    parts = re.findall(rf"[^{SENTENCE_END}]+[{SENTENCE_END}]*", text)
    return [p for p in (s.strip() for s in parts) if p]


def strip_punct(text: str) -> str:
    """Text without punctuation or spaces: what CER and speech rate count."""
    return _PUNCT_RE.sub("", text)


def clean_asr_text(text: str) -> str:
    return end_sentence(normalise_punct(to_simplified(text)))
