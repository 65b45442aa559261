"""The QA workbench's figures, from the contacts and findings `voc.report.data` reads: a call's
timeline strip (speech per role, silences, overtalk, as the timing rules see them), the search
page's index entries, the periods compared, and one page of figures per agent.

Nothing here reads the workspace or renders; `voc.report.pages` calls these.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from datetime import date, timedelta

from voc.report.data import UNKNOWN, summary


def timeline(utterances: list[dict]) -> dict | None:
    """Speech per role, silences and overtalk of a call, computed as the timing rules compute
    them (voc.inspect.timing); None for a contact without utterance spans (chats, tickets)."""
    from voc.inspect import timing
    from voc.schema import Utterance

    rows = [u for u in utterances if isinstance(u.get("start_s"), (int, float))
            and isinstance(u.get("end_s"), (int, float))]
    if not rows or len(rows) != len(utterances):
        return None
    us = [Utterance(start=u["start_s"], end=u["end_s"], speaker=u.get("speaker") or u.get("role") or "",
                    role=u.get("role") or "unknown", text="") for u in rows]
    if not timing.has_spans(us):
        return None
    end = max(u.end for u in us)
    return {"duration": end,
            "spans": [{"idx": r["idx"], "role": r.get("role") or "unknown", "start": r["start_s"],
                       "end": r["end_s"]} for r in rows],
            "silences": [{"idx": rows[i]["idx"], "start": a, "end": b} for i, a, b in timing.silences(us)],
            "overtalk": [{"idx": rows[i]["idx"], "start": a, "end": b} for i, a, b in timing.overlaps(us)
                         if b > a]}


def search_entry(c: dict, utterances: list[dict], findings_: list[dict]) -> dict:
    """One contact in the search page's index: its filters and its redacted utterances."""
    return {"p": c["page"], "t": c.get("title") or c["source"] or c["id"][:12], "d": c["date"] or "",
            "tm": c["team"] or UNKNOWN, "a": c["agent_id"] or UNKNOWN, "pr": c["product_line"] or UNKNOWN,
            "l": c["risk_level"] or "",
            "s": c["sentiment"] or "", "tp": c["topic_label"] or "", "ch": c["channel"],
            "q": None if c["qa_score"] is None else round(c["qa_score"]),
            "r": sorted({f["rule_id"] for f in findings_}), "st": sorted({f["state"] for f in findings_}),
            "u": [[u["idx"], (u.get("role") or "unknown")[0], u["text"] or ""] for u in utterances]}


def agent_page_name(agent: str) -> str:
    return "agent-" + hashlib.sha256(str(agent).encode("utf-8")).hexdigest()[:16] + ".html"


def periods(days: list[str], length: int) -> dict | None:
    """The latest `length` days up to the last day with contacts, and the `length` days
    before them (the previous period of the same length)."""
    if not days or length < 1:
        return None
    last = date.fromisoformat(days[-1])
    start = last - timedelta(days=length - 1)
    prev_end = start - timedelta(days=1)
    prev_start = prev_end - timedelta(days=length - 1)
    return {"days": length, "current": [start.isoformat(), last.isoformat()],
            "previous": [prev_start.isoformat(), prev_end.isoformat()]}


def period_figures(contacts_: list[dict], period: list[str], pass_score: float) -> dict:
    """Contacts, QA pass rate, mean score, findings and high-risk contacts within [from, to]."""
    cs = [c for c in contacts_ if c["date"] and period[0] <= c["date"] <= period[1]]
    s = summary(cs, pass_score)
    return {"from": period[0], "to": period[1], "contacts": s["contacts"], "inspected": s["inspected"],
            "qa_pass_rate": s["qa_pass_rate"], "mean_score": s["mean_score"], "findings": s["findings"],
            "high": s["risk"]["high"],
            "negative_rate": (round(s["sentiment"]["negative"] / sum(s["sentiment"].values()), 4)
                              if sum(s["sentiment"].values()) else None)}


def compare(contacts_: list[dict], span: dict | None, pass_score: float) -> dict | None:
    if not span:
        return None
    return {"days": span["days"], "current": period_figures(contacts_, span["current"], pass_score),
            "previous": period_figures(contacts_, span["previous"], pass_score)}


def agents(contacts_: list[dict], findings_: list[dict], qa_: dict, pass_score: float,
           span: dict | None, worst: int = 10) -> list[dict]:
    """One coaching page per agent of the scorecard: its scorecard row (the same figures),
    pass rate, score trend per day, findings by rule against its team, worst calls, open
    appeals, and this period against the previous one."""
    from voc.inspect.scoring import UNKNOWN_AGENT, VOID_STATES

    by_agent: dict[str, list[dict]] = defaultdict(list)
    for c in contacts_:
        by_agent[c["agent_id"] or UNKNOWN_AGENT].append(c)
    standing: dict[str, list[dict]] = defaultdict(list)
    all_by_contact: dict[str, list[dict]] = defaultdict(list)
    for f in findings_:
        all_by_contact[f["transcript_id"]].append(f)
        if f["state"] not in VOID_STATES:
            standing[f["transcript_id"]].append(f)
    team_rules: dict[str, Counter] = defaultdict(Counter)
    team_n: Counter = Counter()
    for c in contacts_:
        if c["qa_score"] is None:
            continue
        team_n[c["team"] or UNKNOWN] += 1
        team_rules[c["team"] or UNKNOWN].update({f["rule_id"] for f in standing.get(c["id"], [])})
    names = {f["rule_id"]: f["rule_name"] for f in findings_}
    out = []
    for card in qa_["agents"]:
        agent = card["agent"]
        cs = by_agent.get(agent, [])
        scored = [c for c in cs if c["qa_score"] is not None]
        team = card.get("team") or UNKNOWN
        mine: Counter = Counter()
        for c in scored:
            mine.update({f["rule_id"] for f in standing.get(c["id"], [])})
        rules = [{"rule": r, "name": names.get(r, r), "hits": mine.get(r, 0),
                  "rate": round(mine.get(r, 0) / len(scored), 4) if scored else None,
                  "team_rate": round(team_rules[team].get(r, 0) / team_n[team], 4) if team_n[team] else None}
                 for r in sorted(set(mine) | set(team_rules[team]),
                                 key=lambda r: (-mine.get(r, 0), -team_rules[team].get(r, 0), r))]
        per_day: dict[str, list[float]] = defaultdict(list)
        for c in scored:
            if c["date"]:
                per_day[c["date"]].append(c["qa_score"])
        out.append({
            "agent": agent, "page": agent_page_name(agent), "team": card.get("team"),
            "name": next((c["agent_name"] for c in cs if c["agent_name"]), None), "card": card,
            # as the scorecard counts it (voc.inspect.scoring.passes): a veto finding fails the contact
            "passed": sum(c["qa_score"] >= pass_score and not c["qa_veto"] for c in scored),
            "vetoed": sum(bool(c["qa_veto"]) for c in scored),
            "pass_rate": (round(sum(c["qa_score"] >= pass_score and not c["qa_veto"] for c in scored)
                                / len(scored), 4) if scored else None),
            "trend": [{"date": d, "mean": round(sum(v) / len(v), 1), "n": len(v)} for d, v in sorted(per_day.items())],
            "rules": rules,
            "worst": sorted(scored, key=lambda c: (c["qa_score"], c["date"] or "", c["id"]))[:worst],
            "appeals": [f for c in cs for f in all_by_contact.get(c["id"], []) if f["state"] == "appealed"],
            "compare": compare(cs, span, pass_score)})
    return out
