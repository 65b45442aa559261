"""`voc review list | show | confirm | dismiss | appeal | resolve | history | scorecard`"""

from __future__ import annotations

import json
from datetime import date
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from voc.cli import common

app = typer.Typer(no_args_is_help=True, help="Review QA findings: confirm, dismiss, appeal, resolve; "
                                             "history and scorecards.")

BY_OPT = typer.Option(None, "--by", help="Reviewer name. Default: inspect.reviewer or the login name.")
SINCE_OPT = typer.Option(None, "--since", help="From this call date (YYYY-MM-DD).")
UNTIL_OPT = typer.Option(None, "--until", help="Up to this call date, inclusive (YYYY-MM-DD).")
EVENTS_JSON = ("Print the review events written as a JSON array on stdout: finding_id, action, from_state, "
               "to_state, reviewer, reason.")


class Outcome(str, Enum):
    upheld = "upheld"
    overturned = "overturned"


class By(str, Enum):
    agent = "agent"
    team = "team"
    rule = "rule"


def _date(v: str | None, flag: str) -> str | None:
    from voc.errors import VocError

    if v is None:
        return None
    try:
        return date.fromisoformat(v.strip()).isoformat()
    except ValueError:
        raise VocError(f"{flag}: expected a date like 2026-11-03, got {v!r}") from None


def _open(workspace: Path | None, read_only: bool):
    from voc.errors import WorkspaceError

    cfg = common.settings(**{"workspace.path": str(workspace) if workspace else None})
    ws = common.existing_workspace(cfg, read_only=read_only)  # never an empty one created here
    if not ws.has_table("findings"):
        ws.close()
        raise WorkspaceError(f"{ws.path}: no inspections in this workspace; run `voc inspect` first") from None
    return ws, cfg


@app.command("list")
@common.handle_errors
def list_(
    state: Optional[List[str]] = typer.Option(
        None, "--state", help="open, confirmed, dismissed, appealed, upheld or overturned (repeatable)."),
    agent: Optional[List[str]] = typer.Option(None, "--agent", help="Agent id (repeatable)."),
    team: Optional[List[str]] = typer.Option(None, "--team", help="Team (repeatable)."),
    rule: Optional[List[str]] = typer.Option(None, "--rule", help="Rule id (repeatable)."),
    severity: Optional[List[str]] = typer.Option(
        None, "--severity", help="low, medium, high or critical (repeatable)."),
    category: Optional[List[str]] = typer.Option(None, "--category", help="合规, 服务 or 风险 (repeatable)."),
    since: Optional[str] = SINCE_OPT,
    until: Optional[str] = UNTIL_OPT,
    all_: bool = typer.Option(False, "--all", help="Also findings a later inspection no longer produces."),
    limit: int = typer.Option(50, "--limit", help="At most this many (0 = all)."),
    workspace: Optional[Path] = common.WORKSPACE_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array on stdout, one object per finding: "
                                                       "finding_id, state, rule_id, rule_name, category, severity, "
                                                       "deduct, message, evidence, transcript_id, source, agent_id, "
                                                       "team, call_at, reviewer, reviewed_at, active ..."),
):
    """List findings with their review state, newest calls first."""
    from voc.errors import VocError, choices
    from voc.inspect.model import SEVERITIES
    from voc.inspect.review import STATES

    for vals, valid, flag in ((state, STATES, "--state"), (severity, SEVERITIES, "--severity")):
        for v in vals or []:
            if v not in valid:
                raise VocError(f"{flag}: {v!r} is not valid; valid: {choices(valid)}")
    ws, cfg = _open(workspace, read_only=True)
    with ws:
        rows = ws.findings(state=state, agent=agent, team=team, rule=rule, severity=severity,
                           category=category, since=_date(since, "--since"),
                           until=_date(until, "--until"), include_inactive=all_,
                           limit=limit or None)
    if as_json:
        common.echo_json([_public(r) for r in rows])
        return
    tz, tz_name = common.zone(cfg)
    common.table(["finding", "state", "severity", "rule", "contact", "agent", f"call ({tz_name})", "message"],
                 [[r["finding_id"][:12], r["state"] + ("" if r["active"] else " (inactive)"), r["severity"],
                   r["rule_id"], common.contact_label(r, cfg), r["agent_id"] or "-", common.when(r["call_at"], tz),
                   r["message"][:40]] for r in rows], wrap=("message",))
    more = f" (first {limit}; --limit 0 for all)" if limit and len(rows) == limit else ""
    common.err(f"{len(rows)} findings{more}")


@app.command("show")
@common.handle_errors
def show(
    finding: str = typer.Argument(..., help="Finding id (or its first 6+ characters)."),
    workspace: Optional[Path] = common.WORKSPACE_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout: the finding (as in "
                                                       "`review list --json`), its history (review events) and "
                                                       "next (the actions its state allows)."),
):
    """A finding with its evidence and its whole review history."""
    from voc.inspect.review import find, moves_from

    ws, _ = _open(workspace, read_only=True)
    with ws:
        f = find(ws, finding)
        history = ws.review_events(f["finding_id"])
    if as_json:
        common.echo_json({**_public(f), "history": history, "next": moves_from(f["state"])})
        return
    typer.echo(f"finding   {f['finding_id']}  ({f['state']}{'' if f['active'] else ', inactive'})")
    typer.echo(f"rule      {f['rule_id']} {f['rule_name']}  [{f['category']}, {f['severity']}, -{f['deduct']:g}]")
    typer.echo(f"message   {f['message']}")
    typer.echo(f"contact   {f['transcript_id'][:16]}  {f['source'] or ''}  agent {f['agent_id'] or '-'}"
               f"  team {f['team'] or '-'}  {f['call_at'] or ''}")
    typer.echo("evidence")
    for e in f["evidence"]:
        typer.echo("  " + _evidence_line(e))
    typer.echo("history" + ("" if history else "   (none: open since inspection)"))
    for h in history:
        typer.echo(f"  {str(h['event_at'])[:19]}  {h['reviewer']:<10} {h['action']:<8} "
                   f"{h['from_state']} -> {h['to_state']}  {h['reason']}")
    nxt = moves_from(f["state"])
    typer.echo("next      " + (", ".join(nxt) if nxt else "(final)"))


def _evidence_line(e: dict) -> str:
    from voc.schema import mmss

    # utterances numbered from 1, as on the call pages and in the export (第 N 句)
    where = f"#{e['utterance'] + 1}" if "utterance" in e else (
        "#%d-%d" % (e["utterances"][0] + 1, e["utterances"][-1] + 1) if "utterances" in e else "call")
    if e.get("start") is not None:
        where += f" {mmss(e['start'])}-{mmss(e['end'] if e.get('end') is not None else e['start'])}"
    who = {"agent": "坐席", "customer": "客户"}.get(e.get("role", ""), "")
    parts = [f"[{where}{' ' + who if who else ''}]", e["condition"] + ":"]
    if "missing" in e:
        parts.append(e["missing"])
    if e.get("text"):
        parts.append(f"「{e['text']}」")
    if e.get("match"):
        parts.append(f"match {e['match']}")
    if e.get("detail"):
        parts.append(e["detail"])
    return " ".join(parts)


def _act(action: str, findings, by, reason, workspace, as_json, outcome=None):
    from voc.inspect.review import Roles, default_reviewer, review

    ws, cfg = _open(workspace, read_only=False)
    with ws:
        events = review(ws, findings, action, by or default_reviewer(cfg["inspect.reviewer"]),
                        reason, outcome, roles=Roles.from_settings(cfg))
    if as_json:
        common.echo_json(events)
        return
    for e in events:
        typer.echo(f"{e['finding_id'][:12]}  {e['from_state']} -> {e['to_state']}  by {e['reviewer']}")


@app.command("confirm")
@common.handle_errors
def confirm(findings: List[str] = typer.Argument(..., help="Finding ids."),
            by: Optional[str] = BY_OPT,
            reason: Optional[str] = typer.Option(None, "--reason", help="Why (required to reverse a dismissal)."),
            workspace: Optional[Path] = common.WORKSPACE_OPT,
            as_json: bool = typer.Option(False, "--json", help=EVENTS_JSON)):
    """The finding is right (open -> confirmed; dismissed -> confirmed reverses a dismissal)."""
    _act("confirm", findings, by, reason, workspace, as_json)


@app.command("dismiss")
@common.handle_errors
def dismiss(findings: List[str] = typer.Argument(..., help="Finding ids."),
            reason: str = typer.Option(..., "--reason", help="Why it is not a real problem."),
            by: Optional[str] = BY_OPT,
            workspace: Optional[Path] = common.WORKSPACE_OPT,
            as_json: bool = typer.Option(False, "--json", help=EVENTS_JSON)):
    """A false alarm (open or confirmed -> dismissed); it stays visible in the history."""
    _act("dismiss", findings, by, reason, workspace, as_json)


@app.command("appeal")
@common.handle_errors
def appeal(findings: List[str] = typer.Argument(..., help="Finding ids."),
           reason: str = typer.Option(..., "--reason", help="The agent's grounds."),
           by: Optional[str] = BY_OPT,
           workspace: Optional[Path] = common.WORKSPACE_OPT,
           as_json: bool = typer.Option(False, "--json", help=EVENTS_JSON)):
    """The agent contests the finding (open or confirmed -> appealed)."""
    _act("appeal", findings, by, reason, workspace, as_json)


@app.command("resolve")
@common.handle_errors
def resolve(findings: List[str] = typer.Argument(..., help="Finding ids."),
            outcome: Outcome = typer.Option(..., "--outcome", help="upheld (finding stands) or overturned."),
            reason: str = typer.Option(..., "--reason", help="The decision's grounds."),
            by: Optional[str] = BY_OPT,
            workspace: Optional[Path] = common.WORKSPACE_OPT,
            as_json: bool = typer.Option(False, "--json", help=EVENTS_JSON)):
    """Decide an appeal (appealed -> upheld or overturned)."""
    _act("resolve", findings, by, reason, workspace, as_json, outcome.value)


@app.command("history")
@common.handle_errors
def history(finding: Optional[str] = typer.Option(None, "--finding", help="Only this finding."),
            since: Optional[str] = typer.Option(None, "--since", help="Events from this date."),
            until: Optional[str] = typer.Option(None, "--until", help="Events up to this date."),
            out: Optional[Path] = typer.Option(
                None, "--out", "-o", help="Write the events (.csv or .jsonl) for audit."),
            workspace: Optional[Path] = common.WORKSPACE_OPT,
            as_json: bool = typer.Option(False, "--json", help="Print the events as a JSON array on stdout: "
                                                               "finding_id, seq, event_at, action, "
                                                               "from_state, to_state, reviewer, reason.")):
    """The append-only review history (every event, dismissed findings included)."""
    from voc.inspect.review import find

    ws, cfg = _open(workspace, read_only=True)
    with ws:
        fid = find(ws, finding)["finding_id"] if finding else None
        events = ws.review_events(fid, _date(since, "--since"), _date(until, "--until"))
        if out:
            info = {f["finding_id"]: f for f in ws.findings(include_inactive=True)} if events else {}
    if out:
        _write_events(out, events, info)
    if as_json:
        common.echo_json(events)
    elif not out:
        tz, tz_name = common.zone(cfg)
        common.table([f"time ({tz_name})", "finding", "reviewer", "action", "change", "reason"],
                     [[common.when(h["event_at"], tz), h["finding_id"][:12], h["reviewer"], h["action"],
                       f"{h['from_state']} -> {h['to_state']}", h["reason"]] for h in events], wrap=("reason",))
    common.err(f"{len(events)} review events" + (f" -> {out}" if out else ""))


def _write_events(out: Path, events: list[dict], info: dict) -> None:
    import csv

    from voc.errors import VocError
    from voc.files import open_staged

    cols = ["event_at", "finding_id", "seq", "action", "from_state", "to_state", "reviewer", "reason",
            "rule_id", "severity", "agent_id", "team", "transcript_id", "call_at"]
    rows = [{**{k: e[k] for k in cols[:8]},
             **{k: info.get(e["finding_id"], {}).get(k) for k in cols[8:]}} for e in events]
    if out.suffix.lower() == ".csv":
        with open_staged(out, encoding="utf-8-sig", newline="") as f:
            w = csv.DictWriter(f, cols)
            w.writeheader()
            w.writerows(rows)
    elif out.suffix.lower() in (".jsonl", ".json"):
        with open_staged(out) as f:
            f.writelines(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
    else:
        raise VocError(f"{out}: write .csv or .jsonl")


@app.command("scorecard")
@common.handle_errors
def scorecard(by: By = typer.Option(By.agent, "--by", help="agent, team or rule (hit rates)."),
              since: Optional[str] = SINCE_OPT,
              until: Optional[str] = UNTIL_OPT,
              workspace: Optional[Path] = common.WORKSPACE_OPT,
              as_json: bool = typer.Option(False, "--json", help="Print a JSON array on stdout: per agent or "
                                                                 "team contacts, inspected, partial, uninspected, "
                                                                 "vetoed, passed, pass_rate, mean_score, min_score, "
                                                                 "findings, top_rules ...; per rule "
                                                                 "applied, hits, rate, not_applicable.")):
    """Scores per agent or team, or rule hit rates; dismissed/overturned findings do not count."""
    from voc.inspect.review import workspace_scorecards

    ws, cfg = _open(workspace, read_only=True)
    with ws:
        rows = workspace_scorecards(ws, by.value, _date(since, "--since"), _date(until, "--until"),
                                    pass_score=float(cfg["report.qa_pass_score"]))
    if as_json:
        common.echo_json(rows)
        return
    if by is By.rule:
        common.table(["rule", "hits", "applied", "rate", "n/a"],
                     [[r["rule"], r["hits"], r["applied"], "n/a" if r["rate"] is None else f"{r['rate']:.1%}",
                       r["not_applicable"]] for r in rows])
    else:
        common.table([by.value, "contacts", "已质检", "部分/未质检", "pass", "vetoed", "mean", "min", "findings",
                      "top rules"],
                     [[r[by.value], r["contacts"], r["inspected"], f"{r['partial']}/{r['uninspected']}",
                       "—" if r["pass_rate"] is None else f"{r['pass_rate']:.0%}", r["vetoed"],
                       "—" if r["mean_score"] is None else r["mean_score"],
                       "—" if r["min_score"] is None else f"{r['min_score']:g}", r["findings"],
                       ", ".join(r["top_rules"])] for r in rows], wrap=("top rules",))


def _public(r: dict) -> dict:
    times = ("first_seen", "last_seen", "reviewed_at", "inspected_at", "call_date")
    return {k: (str(v) if k in times and v is not None else v)
            for k, v in r.items()}
