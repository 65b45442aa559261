"""Who is speaking: channel roles for stereo calls, a phrase-based guess for mono ones.

Agents follow a script (您好, 请问有什么可以帮您, 工号, 还有其他可以帮您); customers talk about
their own card and problem. The guess scores phrases, so a transcript says `roles: guess` and
later stages can weigh it accordingly.
"""

from __future__ import annotations

import re
from collections import defaultdict

from voc.schema import Utterance

AGENT_PHRASES = [
    r"您好", r"请问有什么可以帮", r"很高兴为您服务", r"工号", r"客服", r"请问您是", r"请问.{0,6}本人",
    r"核实.{0,4}身份", r"请您提供", r"身份证后四位", r"为您(查询|办理|核实|登记|反馈)", r"稍等", r"请稍候",
    r"感谢您的(来电|耐心|等待)", r"还有(其他|什么).{0,6}可以帮", r"给您带来.{0,4}不便", r"非常抱歉",
    r"我们这边", r"帮您", r"为您", r"先生", r"女士", r"请问",
]
CUSTOMER_PHRASES = [
    r"我的(卡|信用卡|账户|钱|额度|账单)", r"我想(问|查|办|咨询|投诉|了解)", r"我要投诉", r"你们(银行|这边|怎么)",
    r"凭什么", r"为什么(扣|收)", r"我(没有|没)(消费|刷|办)", r"我(已经)?打了?(好几|很多|几)次",
    r"帮我", r"我(是|就是)想", r"你们", r"喂",
]
_AGENT = [re.compile(p) for p in AGENT_PHRASES]
_CUSTOMER = [re.compile(p) for p in CUSTOMER_PHRASES]


def phrase_score(text: str) -> float:
    """Positive: sounds like the agent; negative: sounds like the customer."""
    a = sum(1 for p in _AGENT if p.search(text))
    c = sum(1 for p in _CUSTOMER if p.search(text))
    return float(a - c)


def guess_roles(utterances: list[Utterance]) -> None:
    """Mono without diarization: a role per utterance from its phrases, else unknown."""
    for u in utterances:
        s = phrase_score(u.text)
        u.role = "agent" if s > 0 else "customer" if s < 0 else "unknown"


def speaker_score(text: str) -> float:
    """Agent-likeness of what one speaker said: a script line (voc/text/script.py: greeting,
    工号, verification, hold and closing lines) counts 3, a phrase of the lists above 1."""
    from voc.text.script import script_hits

    return 3.0 * len(script_hits(text)) + phrase_score(text)


def roles_for_speakers(utterances: list[Utterance]) -> dict[str, str]:
    """Diarized mono: the speaker whose words sound most like the script is the agent, the
    others customers. With no difference at all in what they say, the speaker who talks first
    (agents open the call) is the agent."""
    said: dict[str, list[str]] = defaultdict(list)
    for u in utterances:
        said[u.speaker].append(u.text)
    if not said:
        return {}
    score = {spk: speaker_score("".join(texts)) for spk, texts in said.items()}
    if len(score) == 1:
        (spk, s), = score.items()
        return {spk: "agent" if s > 0 else "customer" if s < 0 else "unknown"}
    best = max(score.values())
    top = [spk for spk in said if score[spk] == best]  # in order of first appearance
    agent = top[0]
    return {spk: "agent" if spk == agent else "customer" for spk in score}
