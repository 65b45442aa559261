"""The review workflow: each finding moves through states, every move is an appended event.

States and the actions that move a finding (anything else is refused with the valid moves):

    open      --confirm--> confirmed     QA agrees with the finding
    open      --dismiss--> dismissed     QA rejects it (false alarm); reason required
    open      --appeal---> appealed      the agent contests it; reason required
    confirmed --dismiss--> dismissed     QA changes its mind; reason required
    confirmed --appeal---> appealed
    dismissed --confirm--> confirmed     a dismissal is reversed; reason required
    appealed  --resolve--> upheld        the appeal fails (--outcome upheld); reason required
    appealed  --resolve--> overturned    the appeal succeeds (--outcome overturned)
    upheld, overturned: final

Every event records the reviewer, the time (UTC), the reason and the states before and after,
in `review_events`, which is only ever appended to; the current state is the latest event's.
Dismissed and overturned findings stay stored and listed (`--state dismissed`) with their
history; they no longer deduct points in workspace scorecards.

Who may do what (`Roles`, settings [review]): names in `review.agents` are agents: an agent may
appeal a finding on their own contacts (the finding's agent id is their name) and nothing else;
when `review.reviewers` is set, only those names may confirm, dismiss and resolve. A reviewer
cannot resolve an appeal on a finding they confirmed themselves (their own finding) unless
`review.self_resolve` is true. Every refusal names the rule (the setting) that refused it.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from typing import Any

from voc.errors import VocError, choices
from voc.inspect.scoring import VOID_STATES, hit_rates, scorecards

STATES = ("open", "confirmed", "dismissed", "appealed", "upheld", "overturned")
ACTIONS = ("confirm", "dismiss", "appeal", "resolve")
OUTCOMES = ("upheld", "overturned")
TRANSITIONS: dict[str, dict[str, str]] = {      # action -> {from state: to state}
    "confirm": {"open": "confirmed", "dismissed": "confirmed"},
    "dismiss": {"open": "dismissed", "confirmed": "dismissed"},
    "appeal": {"open": "appealed", "confirmed": "appealed"},
    "resolve": {"appealed": "resolved"},        # to upheld or overturned, by outcome
}


class ReviewError(VocError):
    """A review action that is not allowed, or a finding that does not exist."""


def moves_from(state: str) -> list[str]:
    return [a for a, t in TRANSITIONS.items() if state in t]


def next_state(state: str, action: str, outcome: str | None = None) -> str:
    """The state after `action`, or ReviewError naming what is possible."""
    if action not in TRANSITIONS:
        raise ReviewError(f"unknown review action {action!r}; valid: {choices(ACTIONS)}")
    to = TRANSITIONS[action].get(state)
    if to is None:
        allowed = choices(sorted(TRANSITIONS[action]))
        possible = moves_from(state)
        then = (f"from {state} you can {choices(possible)}" if possible
                else f"{state} is final")
        raise ReviewError(f"cannot {action} a finding that is {state}: {action} applies only to "
                          f"{allowed} findings; {then}")
    if action == "resolve":
        if outcome not in OUTCOMES:
            raise ReviewError(f"resolve needs --outcome {choices(OUTCOMES)}, got {outcome!r}")
        return outcome
    if outcome is not None:
        raise ReviewError(f"--outcome applies to resolve only, not {action}")
    return to


@dataclass
class Roles:
    """Who may review (see the module docstring). Empty lists: anyone may do anything, except
    resolving an appeal on a finding they confirmed (unless self_resolve)."""

    reviewers: frozenset[str] = field(default_factory=frozenset)
    agents: frozenset[str] = field(default_factory=frozenset)
    self_resolve: bool = False

    @classmethod
    def from_settings(cls, settings) -> "Roles":
        def names(v) -> frozenset[str]:
            items = v if isinstance(v, list) else str(v or "").split(",")
            return frozenset(x.strip() for x in items if str(x).strip())

        return cls(reviewers=names(settings["review.reviewers"]), agents=names(settings["review.agents"]),
                   self_resolve=bool(settings["review.self_resolve"]))

    def check(self, who: str, action: str, finding: dict, history: list[dict]) -> None:
        """ReviewError naming the rule when `who` may not `action` this finding."""
        fid = finding["finding_id"]
        if who in self.agents:
            if action != "appeal":
                raise ReviewError(f"finding {fid}: {who} is an agent (review.agents): agents may only "
                                  f"appeal their own findings, not {action} them")
            if (finding.get("agent_id") or "") != who:
                raise ReviewError(f"finding {fid}: {who} is an agent (review.agents) and may appeal only "
                                  f"their own findings; this one is agent {finding.get('agent_id') or '(unknown)'}'s")
            return
        if self.reviewers and who not in self.reviewers and action != "appeal":
            raise ReviewError(f"finding {fid}: {who} is not a reviewer (review.reviewers: "
                              f"{choices(sorted(self.reviewers))}); reviewers {action} findings")
        if action == "resolve" and not self.self_resolve:
            if any(e["reviewer"] == who and e["action"] == "confirm" for e in history):
                raise ReviewError(f"finding {fid}: {who} confirmed this finding and cannot resolve "
                                  f"the appeal on it (review.self_resolve is false); another "
                                  f"reviewer must decide")


def needs_reason(state: str, action: str) -> bool:
    return not (action == "confirm" and state == "open")


def default_reviewer(configured: str = "") -> str:
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def find(ws, ref: str, include_inactive: bool = True) -> dict:
    """The finding whose id is `ref` or starts with it (at least 6 characters)."""
    ref = ref.strip().lower()
    if len(ref) < 6:
        raise ReviewError(f"finding id {ref!r} is too short; give at least 6 characters")
    rows = ws.findings(finding=ref, include_inactive=include_inactive)
    if not rows:
        raise ReviewError(f"no finding {ref!r} in {ws.path}; list them with `voc review list`")
    if len(rows) > 1 and not any(r["finding_id"] == ref for r in rows):
        raise ReviewError(f"finding id {ref!r} is ambiguous: "
                          f"{choices(r['finding_id'] for r in rows[:5])}; give more characters")
    return next((r for r in rows if r["finding_id"] == ref), rows[0])


def review(ws, refs: list[str], action: str, reviewer: str, reason: str | None = None,
           outcome: str | None = None, roles: Roles | None = None) -> list[dict[str, Any]]:
    """Apply one action to findings, all or none: every finding is checked (state, reason, who
    may do it: `roles`, default Roles()) before any event is written. Returns the events written."""
    roles = roles or Roles()
    if not refs:
        raise ReviewError("give at least one finding id")
    events, seen = [], set()
    for ref in refs:
        f = find(ws, ref)
        if f["finding_id"] in seen:
            continue
        seen.add(f["finding_id"])
        try:
            to = next_state(f["state"], action, outcome)
        except ReviewError as e:
            raise ReviewError(f"finding {f['finding_id']}: {e}") from None
        roles.check(reviewer, action, f, ws.review_events(f["finding_id"]))
        if needs_reason(f["state"], action) and not (reason or "").strip():
            raise ReviewError(f"{action} of finding {f['finding_id']} ({f['state']}) needs "
                              f"--reason")
        events.append({"finding_id": f["finding_id"], "action": action, "from_state": f["state"],
                       "to_state": to, "reviewer": reviewer, "reason": (reason or "").strip()})
    ws.append_review_events(events)
    return events


def workspace_calls(ws, since=None, until=None) -> list[dict[str, Any]]:
    """Inspected calls with the findings that still count (not dismissed or overturned),
    scores recomputed from them: the input of scorecards and hit rates."""
    calls = {c["transcript_id"]: {**c, "findings": [], "voided": 0} for c in ws.inspections(since, until)}
    for f in ws.findings(since=since, until=until):
        c = calls.get(f["transcript_id"])
        if c is None:
            continue
        if f["state"] in VOID_STATES:
            c["voided"] += 1
            continue
        c["findings"].append({"rule": f["rule_id"], "category": f["category"],
                              "deduct": f["deduct"], "state": f["state"], "veto": bool(f.get("veto"))})
    for c in calls.values():
        c["score"] = (max(0.0, 100.0 - sum(f["deduct"] for f in c["findings"]))
                      if c["coverage"] != "none" else None)
    return list(calls.values())


def workspace_scorecards(ws, by: str = "agent", since=None, until=None, rules=None,
                         pass_score: float = 80.0) -> list[dict]:
    calls = workspace_calls(ws, since, until)
    if by == "rule":
        return hit_rates(calls, rules)
    return scorecards(calls, by, pass_score)
