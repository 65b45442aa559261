"""Scores, scorecards and rule hit rates.

- A contact scores 100 minus the deductions of its findings, never below 0. Each rule deducts
  at most once per contact, however many hits it has.
- Only fully inspected contacts (coverage full, 已质检) have a pass score and count in mean
  scores and pass rates; 部分质检 (partial) and 未质检 (none) contacts are counted apart. A
  contact passes with score >= the pass score and no standing veto (一票否决) finding.
- Scorecards group contacts by agent or team: contacts, mean/min score, findings, deductions,
  findings per category and the most frequent rules. In the workspace the scores count only
  findings that still stand after review (dismissed and overturned ones deduct nothing).
- A rule's hit rate is the share of the contacts it applied to (not "not applicable") on which
  it fired.
- Agent and team come from meta `agent_id` / `team`, else from the configured regex on the
  transcript's `source` (group `agent`, or the first group, and optionally `team`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any, Iterable

from voc.schema import Transcript

UNKNOWN_AGENT = "(unknown)"
# review states whose finding no longer counts against the agent
VOID_STATES = ("dismissed", "overturned")


AGENT_GROUPS = ("agent", "team")


def agent_regex(pattern: str | None, setting: str = "inspect.agent_pattern") -> re.Pattern | None:
    """The agent pattern compiled, checked once: a valid regex whose named groups are `agent`
    and (optionally) `team`; a `team` group needs an `agent` group beside it (the first group
    would be the team). ConfigError naming the setting otherwise; None for an empty pattern."""
    from voc.errors import ConfigError, choices

    if not pattern:
        return None
    try:
        rx = re.compile(pattern)
    except re.error as e:
        raise ConfigError(f"{setting} {pattern!r} is not a valid regex: {e}") from None
    bad = sorted(set(rx.groupindex) - set(AGENT_GROUPS))
    if bad:
        raise ConfigError(f"{setting} {pattern!r}: unknown named group {', '.join(bad)}; "
                          f"name groups {choices(AGENT_GROUPS)}, e.g. (?P<agent>A\\d{{4}})")
    if "team" in rx.groupindex and "agent" not in rx.groupindex:
        raise ConfigError(f"{setting} {pattern!r}: has a team group but no agent group; "
                          f"name the agent's (?P<agent>...)")
    return rx


def resolve_people(t: Transcript, agent_re: re.Pattern | None) -> tuple[str | None, str | None]:
    agent = t.meta.get("agent_id") or t.meta.get("agent")
    team = t.meta.get("team")
    if agent_re is not None and (agent is None or team is None) and t.source:
        m = agent_re.search(t.source)
        if m:
            groups = m.groupdict()
            if agent is None:
                agent = groups.get("agent") or (m.group(1) if m.re.groups else m.group())
            if team is None:
                team = groups.get("team")
    return (str(agent) if agent is not None else None, str(team) if team is not None else None)


def call_time(t: Transcript) -> str | None:
    for k in ("started_at", "time", "created_at", "date"):
        v = t.meta.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def score_of(findings: Iterable) -> float:
    return max(0.0, 100.0 - sum(f.deduct if hasattr(f, "deduct") else f["deduct"] for f in findings))


def scorecards(calls: Iterable[dict[str, Any]], by: str = "agent",
               pass_score: float = 80.0) -> list[dict[str, Any]]:
    """calls: dicts with agent_id, team, score, coverage and findings (dicts with rule, category,
    deduct, veto). One row per agent (or team), lowest mean score first; mean/min score and pass
    rate over the fully inspected contacts."""
    if by not in ("agent", "team"):
        raise ValueError(f"by must be agent or team, got {by!r}")
    key = "agent_id" if by == "agent" else "team"
    groups: dict[str, list[dict]] = defaultdict(list)
    teams: dict[str, Counter] = defaultdict(Counter)
    for c in calls:
        name = c.get(key) or UNKNOWN_AGENT
        groups[name].append(c)
        if by == "agent" and c.get("team"):
            teams[name][c["team"]] += 1
    rows = []
    for name, cs in groups.items():
        full = [c for c in cs if counts_in_score(c)]
        scores = [c["score"] for c in full]
        fs = [f for c in cs for f in c["findings"]]
        row = {by: name}
        if by == "agent":
            row["team"] = teams[name].most_common(1)[0][0] if teams[name] else None
        else:
            row["agents"] = len({c.get("agent_id") or UNKNOWN_AGENT for c in cs})
        row.update(contacts=len(cs), inspected=len(full),
                   partial=sum(1 for c in cs if c.get("coverage") == "partial"),
                   uninspected=sum(1 for c in cs if c.get("coverage") == "none"),
                   vetoed=sum(1 for c in full if vetoed(c)),
                   passed=sum(1 for c in full if passes(c, pass_score)),
                   pass_rate=round(sum(1 for c in full if passes(c, pass_score)) / len(full), 4) if full else None,
                   mean_score=round(sum(scores) / len(scores), 1) if scores else None,
                   min_score=min(scores) if scores else None, findings=len(fs),
                   findings_per_contact=round(len(fs) / len(cs), 2),
                   deductions=sum(f["deduct"] for f in fs),
                   contacts_with_findings=sum(1 for c in cs if c["findings"]),
                   by_category=dict(Counter(f["category"] for f in fs).most_common()),
                   top_rules=[r for r, _ in Counter(f["rule"] for f in fs).most_common(3)])
        rows.append(row)
    rows.sort(key=lambda r: (r["mean_score"] is None, r["mean_score"] or 0, str(r[by])))
    return rows


PASS_SCORE = 80.0


def counts_in_score(c: dict[str, Any]) -> bool:
    """A fully inspected contact (stored before coverage was recorded: counted as full)."""
    return c.get("score") is not None and (c.get("coverage") or "full") == "full"


def vetoed(c: dict[str, Any]) -> bool:
    return any(f.get("veto") for f in c["findings"])


def passes(c: dict[str, Any], pass_score: float = PASS_SCORE) -> bool | None:
    """True/False for a fully inspected contact, None for 部分质检 / 未质检."""
    if not counts_in_score(c):
        return None
    return c["score"] >= pass_score and not vetoed(c)


def coverage_counts(calls: Iterable[dict[str, Any]], pass_score: float = PASS_SCORE) -> dict[str, Any]:
    """The summary of a set of contacts: how many fully / partly / not inspected, vetoed and
    passed, and the pass rate and mean score over the fully inspected ones."""
    calls = list(calls)
    full = [c for c in calls if counts_in_score(c)]
    passed = sum(1 for c in full if passes(c, pass_score))
    return {"contacts": len(calls), "inspected_full": len(full),
            "partial": sum(1 for c in calls if c.get("coverage") == "partial"),
            "uninspected": sum(1 for c in calls if c.get("coverage") == "none"),
            "vetoed": sum(1 for c in full if vetoed(c)), "passed": passed,
            "pass_rate": round(passed / len(full), 4) if full else None,
            "mean_score": round(sum(c["score"] for c in full) / len(full), 1) if full else None,
            "pass_score": pass_score}


def hit_rates(calls: Iterable[dict[str, Any]], rules: list | None = None) -> list[dict[str, Any]]:
    """calls: dicts with findings (rule ids under "rule"), rules_applied and not_applicable
    (list of {rule, reason} or a mapping). One row per rule: applied, hits, rate, n/a."""
    applied: Counter = Counter()
    hits: Counter = Counter()
    na: Counter = Counter()
    for c in calls:
        applied.update(c["rules_applied"])
        hits.update({f["rule"] for f in c["findings"]})
        nas = c.get("not_applicable") or []
        na.update(list(nas) if isinstance(nas, dict) else [x["rule"] for x in nas])
    meta = {r.id: r for r in rules or []}
    order = [r.id for r in rules] if rules else sorted(set(applied) | set(na))
    rows = []
    for rid in order:
        n = applied[rid]
        row = {"rule": rid}
        if rid in meta:
            row.update(name=meta[rid].name, category=meta[rid].category,
                       severity=meta[rid].severity)
        row.update(applied=n, hits=hits[rid], rate=round(hits[rid] / n, 4) if n else None,
                   not_applicable=na[rid])
        rows.append(row)
    return rows
