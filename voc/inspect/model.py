"""Records of quality inspection: rules and conditions as loaded, hits, findings, call results.

A rule file is turned into these once by `voc.inspect.rules.load_rules` (which checks it); the
evaluator (`voc.inspect.evaluate`) only reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

CATEGORIES = ("合规", "服务", "风险")
SEVERITIES = ("low", "medium", "high", "critical")
ROLES = ("agent", "customer", "any")
UNKNOWN_ROLES = ("ignore", "agent", "customer")
TEXT_KINDS = ("keywords", "regex", "similar", "semantic")
TIMING_KINDS = ("silence", "overtalk", "speech_rate", "response_delay", "duration")
KINDS = TEXT_KINDS + TIMING_KINDS + ("meta", "risk")
COVERAGE = ("full", "partial", "none")        # 已质检 / 部分质检 / 未质检
COVERAGE_ZH = {"full": "已质检", "partial": "部分质检", "none": "未质检"}
MATCHES = ("any", "all", "none", "at_least")
RELATIONS = ("before", "after", "around", "not_before", "not_after", "not_around")
POSITIONS = ("first", "last", "first_s", "last_s")


@dataclass
class Anchor:
    """Keep only hits that stand in `relation` to a hit of another condition of the rule.

    before/after/around: at least one hit of `condition` is after/before/around this hit within
    `within` utterances (or `within_s` seconds; neither = anywhere in the call); the not_ forms
    keep the hits that have no such anchor hit."""

    condition: str                     # the other condition's id
    relation: str
    within: int | None = None          # utterances
    within_s: float | None = None      # seconds


@dataclass
class Condition:
    id: str
    kind: str                          # one of KINDS
    label: str = ""                    # what it looks for, in words (shown when it is missing)
    role: str = "any"
    position: tuple[str, float] | None = None
    anchors: list[Anchor] = field(default_factory=list)   # all must hold
    min_hits: int = 1
    # text
    match: str = "any"
    at_least: int = 1
    keywords: list[str] = field(default_factory=list)
    keyword_re: re.Pattern | None = None
    regex: re.Pattern | None = None
    patterns: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    threshold: float = 85.0            # similar: rapidfuzz 50-100; semantic: cosine 0-1
    exclude: re.Pattern | None = None
    not_script: bool = False           # drop hits in stock script lines (voc.text.script)
    # semantic: example sentences (their vectors are computed once, by the Inspector)
    examples: list[str] = field(default_factory=list)
    # risk: ids of risk signals of voc/data/risk.yaml (voc.analyze.risk)
    signals: list[str] = field(default_factory=list)
    # timing: thresholds in seconds or characters per minute
    over: float | None = None
    under: float | None = None
    min_chars: int = 8
    # meta: field -> accepted values
    meta: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def describe(self) -> str:
        """A short Chinese description for evidence of something missing."""
        who = {"agent": "坐席", "customer": "客户", "any": ""}[self.role]
        where = ""
        if self.position:
            kind, n = self.position
            where = {"first": f"前{n:g}句", "last": f"最后{n:g}句", "first_s": f"前{n:g}秒",
                     "last_s": f"最后{n:g}秒"}[kind]
        what = [self.label] if self.label else (self.keywords or self.phrases or self.examples
                                                 or self.signals or self.patterns)
        shown = "、".join(what[:3]) + ("…" if len(what) > 3 else "")
        return f"{who}{where}未出现：{shown}" if shown else f"{who}{where}未满足条件 {self.id}"


@dataclass
class Rule:
    id: str
    name: str
    category: str
    severity: str
    deduct: float
    message: str
    conditions: dict[str, Condition]   # by id, in file order
    when: Any                          # expression tree (voc.inspect.expr)
    source: str = ""                   # file the rule came from
    description: str = ""
    veto: bool = False                 # 一票否决: a finding fails the contact whatever the score
    core: bool = False                 # a core conduct rule: not applicable -> 部分质检 / 未质检


@dataclass
class RuleSet:
    rules: list[Rule]
    unknown_role: str = "ignore"
    paths: list[str] = field(default_factory=list)
    digest: str = ""                   # sha256 of the files, recorded with every inspection

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass
class Hit:
    """Where a condition matched: an utterance (index, span, text) or the call as a whole."""

    condition: str
    utterance: int | None = None
    start: float | None = None
    end: float | None = None
    role: str | None = None
    match: str | None = None
    text: str | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Finding:
    id: str
    rule: str
    name: str
    category: str
    severity: str
    deduct: float
    message: str
    evidence: list[dict[str, Any]]
    veto: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CallResult:
    """One inspected contact: its findings, score and the rules that could not apply.

    coverage: full (已质检) when every core rule applied, partial (部分质检) when some did,
    none (未质检) when none did (no agent speech: a mono recording without roles, a ticket, a
    table without a role column); `score` is None then. `vetoed`: ids of the veto rules that
    fired (the contact fails whatever its score). `roles`: how roles were found (meta roles,
    e.g. "guess"), shown with the findings."""

    id: str
    source: str
    channel: str
    agent_id: str | None
    team: str | None
    call_at: str | None
    score: float | None
    findings: list[Finding]
    not_applicable: dict[str, str]      # rule id -> why
    rules: list[str]                    # ids of the rules that were applicable
    coverage: str = "full"
    coverage_note: str = ""
    roles: str | None = None

    @property
    def deductions(self) -> float:
        return sum(f.deduct for f in self.findings)

    @property
    def vetoed(self) -> list[str]:
        return [f.rule for f in self.findings if f.veto]

    def passed(self, pass_score: float) -> bool | None:
        """True/False for a fully inspected contact (a veto finding fails it), None otherwise."""
        if self.coverage != "full" or self.score is None:
            return None
        return not self.vetoed and self.score >= pass_score

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "channel": self.channel,
                "agent_id": self.agent_id, "team": self.team, "call_at": self.call_at,
                "score": self.score, "deductions": self.deductions,
                "findings": [f.to_dict() for f in self.findings],
                "not_applicable": [{"rule": k, "reason": v} for k, v in self.not_applicable.items()],
                "rules_applied": list(self.rules), "coverage": self.coverage,
                "coverage_note": self.coverage_note, "roles": self.roles, "vetoed": self.vetoed}
