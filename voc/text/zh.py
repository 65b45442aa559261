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


# Whisper's known Chinese hallucinations: sentences from the subtitled videos it was trained on,
# read into music, noise or a silent line (widely reported for Whisper in Chinese). Nobody says
# them on a bank's line; a sentence that holds one is dropped, never a customer's own words such
# as 给你们点赞 or 订阅了短信提醒.
_HALLUCINATIONS = re.compile(
    r"请不吝点赞|(明镜|点点)栏目|打赏支持|字幕(由|提供|制作|志愿者|组)|中文字幕|amara|"
    r"(谢谢|感谢)(大家|各位)?的?(观看|收看)|(订阅|关注)(我的|我们的|本)?频道|优优独播剧场|yoyotelevision",
    re.IGNORECASE)


def known_hallucination(sentence: str) -> bool:
    """Whether an ASR sentence is one of Whisper's known Chinese hallucinations."""
    return bool(_HALLUCINATIONS.search(strip_punct(sentence)))
