"""Build contacts for the quality-inspection tests: calls with timing, chats without."""

from __future__ import annotations

import re

from voc.inspect import Inspector, load_rules
from voc.schema import Transcript, Utterance

ROLE = {"a": "agent", "c": "customer", "u": "unknown"}
_NON_SPEECH = re.compile(r"[\W_]+")


def call(*turns, meta=None, cpm: float = 240.0, tid: str = "call-1", source: str = "rec/call.wav",
         channel: str = "call", duration: float | None = None) -> Transcript:
    """turns: (role, text) or (role, text, options); role a/c/u. Each utterance lasts its
    characters at `cpm` (options: cpm), starts 0.6 s after the latest end (options: gap, or
    overlap = seconds before the previous utterance ends)."""
    utts: list[Utterance] = []
    latest = 0.5
    for turn in turns:
        role, text, *rest = turn
        o = rest[0] if rest else {}
        dur = max(0.6, len(_NON_SPEECH.sub("", text)) / o.get("cpm", cpm) * 60)
        start = latest + o.get("gap", 0.6) if utts else 0.5
        if "overlap" in o:
            start = utts[-1].end - o["overlap"]
        spk = "ch0" if role == "a" else "ch1"
        utts.append(Utterance(round(start, 2), round(start + dur, 2), spk, ROLE[role], text,
                              features=dict(o.get("features", {}))))
        latest = max(latest, start + dur)
    return Transcript(tid, source, channel, duration or round(latest + 0.8, 2), dict(meta or {}), utts)


def chat(*turns, meta=None, tid: str = "chat-1") -> Transcript:
    """A text chat: no timing."""
    utts = [Utterance(None, None, "ch0" if r == "a" else "ch1", ROLE[r], text) for r, text in turns]
    return Transcript(tid, "chats.csv", "chat", None, dict(meta or {}), utts)


_DEFAULT = None


def default_inspector() -> Inspector:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Inspector(load_rules())
    return _DEFAULT


def fired(t: Transcript, inspector: Inspector | None = None) -> set[str]:
    return {f.rule for f in (inspector or default_inspector()).inspect(t).findings}


# A complete, correct inbound call: passes every default rule.
GOOD = [
    ("a", "您好，欢迎致电星河银行，我是1024号客服小周，很高兴为您服务，请问有什么可以帮您？"),
    ("c", "你好，我想查一下我信用卡这个月的账单。"),
    ("a", "好的，为了核实您的身份，麻烦您提供一下持卡人姓名和身份证后四位。"),
    ("c", "王芳，后四位是3521。"),
    ("a", "好的，身份核实通过了，王女士。请您稍等，我帮您查询一下。"),
    ("a", "感谢您的耐心等待，您本期账单金额是3280元，到期还款日是12月5号。", {"gap": 14}),
    ("c", "好的，那我月底前还上。"),
    ("a", "好的，请问还有其他可以帮您的吗？"),
    ("c", "没有了，谢谢。"),
    ("a", "感谢您的来电，祝您生活愉快，再见！"),
]
