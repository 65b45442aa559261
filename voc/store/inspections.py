"""Quality inspection and review in the workspace (`voc inspect`, `voc review`), mixed into
Workspace.

Findings of a transcript are replaced when it is inspected again; a finding that the new run
does not produce stays stored but inactive (last seen before the latest inspection), so its
review history keeps its context. review_events is append-only: nothing here updates or
deletes a row of it; a finding's state is the to_state of its latest event ("open" if none).
"""

from __future__ import annotations

import json

from voc.errors import WorkspaceError
from voc.store.tables import utc_now

_STATE_SQL = """
    WITH cur AS (SELECT finding_id, arg_max(to_state, seq) AS state, max(seq) AS events,
                        arg_max(reviewer, seq) AS reviewer, max(event_at) AS reviewed_at
                 FROM review_events GROUP BY finding_id)
    SELECT f.*, coalesce(cur.state, 'open') AS state, coalesce(cur.events, 0) AS events,
           cur.reviewer, cur.reviewed_at, i.inspected_at, (f.last_seen = i.inspected_at) AS active
    FROM findings f JOIN inspections i ON i.transcript_id = f.transcript_id
    LEFT JOIN cur ON cur.finding_id = f.finding_id
"""


def _call_date(iso: str | None):
    from datetime import date

    if not iso:
        return None
    try:
        return date.fromisoformat(iso[:10])
    except ValueError:
        return None


class InspectionStore:
    """Workspace methods for inspections, findings and review events (mixed into Workspace)."""

    def save_inspections(self, results, run_id: str | None, rules_digest: str = "") -> None:
        """Store CallResults in one transaction, replacing earlier inspections of the same
        transcripts; a finding id seen before keeps its first_seen (and its review history)."""
        results = list({r.id: r for r in results}.values())   # a repeated contact: the last wins
        if not results:
            return
        now = utc_now()
        ids = [r.id for r in results]
        irows = [(r.id, r.source, r.channel, r.agent_id, r.team, r.call_at, _call_date(r.call_at),
                  r.score, r.deductions, len(r.findings), json.dumps(r.rules),
                  json.dumps(r.not_applicable, ensure_ascii=False), rules_digest, run_id, now,
                  r.coverage, r.coverage_note, r.roles, json.dumps(r.vetoed))
                 for r in results]
        fids = [f.id for r in results for f in r.findings]
        with self.transaction():
            first = dict(self.db.execute(
                "SELECT finding_id, first_seen FROM findings WHERE finding_id IN (SELECT unnest($1))",
                [fids]).fetchall()) if fids else {}
            frows = [(f.id, r.id, f.rule, f.name, f.category, f.severity, f.deduct, f.message,
                      json.dumps(f.evidence, ensure_ascii=False), r.source, r.agent_id, r.team,
                      r.call_at, _call_date(r.call_at), first.get(f.id, now), now, run_id, f.veto)
                     for r in results for f in r.findings]
            self.db.execute("DELETE FROM inspections WHERE transcript_id IN (SELECT unnest($1))", [ids])
            self.db.execute("DELETE FROM findings WHERE finding_id IN (SELECT unnest($1))", [fids])
            self._insert("inspections", irows)
            self._insert("findings", frows)

    def inspections(self, since=None, until=None) -> list[dict]:
        where, params = _date_filter("coalesce(call_date, CAST(inspected_at AS DATE))", since, until)
        rows = self._dicts(f"SELECT * FROM inspections{where} ORDER BY transcript_id", params)
        for r in rows:
            r["rules_applied"] = json.loads(r["rules_applied"] or "[]")
            r["not_applicable"] = json.loads(r["not_applicable"] or "{}")
            r["vetoed"] = json.loads(r.get("vetoed") or "[]")
            r["coverage"] = r.get("coverage") or "full"      # stored before coverage was recorded
        return rows

    def findings(self, *, state=None, agent=None, team=None, rule=None, severity=None,
                 category=None, since=None, until=None, transcript=None, finding=None,
                 include_inactive: bool = False, limit: int | None = None) -> list[dict]:
        """Findings with their current review state, newest calls first. `finding`: an id or a
        unique prefix of one; list filters accept one value or a list."""
        conds, params = [], []
        for col, v in (("state", state), ("agent_id", agent), ("team", team), ("rule_id", rule),
                       ("severity", severity), ("category", category), ("transcript_id", transcript)):
            if v:
                vals = [v] if isinstance(v, str) else list(v)
                conds.append(f"{col} IN (SELECT unnest(?))")
                params.append(vals)
        if finding:
            conds.append("starts_with(finding_id, ?)")
            params.append(finding)
        if not include_inactive and not finding:
            conds.append("active")
        where, dparams = _date_filter("coalesce(call_date, CAST(inspected_at AS DATE))", since, until)
        if where:
            conds.append(where.removeprefix(" WHERE "))
            params += dparams
        sql = f"SELECT * FROM ({_STATE_SQL}) AS s"
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        sql += " ORDER BY call_at DESC NULLS LAST, transcript_id, rule_id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        rows = self._dicts(sql, params)
        for r in rows:
            r["evidence"] = json.loads(r["evidence"] or "[]")
        return rows

    def review_events(self, finding_id: str | None = None, since=None, until=None) -> list[dict]:
        where, params = _date_filter("CAST(event_at AS DATE)", since, until)
        if finding_id:
            where += (" AND " if where else " WHERE ") + "finding_id = ?"
            params.append(finding_id)
        return self._dicts(f"SELECT * FROM review_events{where} ORDER BY event_at, finding_id, seq", params)

    def append_review_events(self, events: list[dict]) -> None:
        """Append events ({finding_id, action, from_state, to_state, reviewer, reason}) in one
        transaction. Each from_state must still be the finding's current state, else nothing is
        written (someone else reviewed it in between)."""
        now = utc_now()
        with self.transaction():
            rows = []
            for e in events:
                cur = self.db.execute(
                    "SELECT arg_max(to_state, seq), max(seq) FROM review_events WHERE finding_id = ?",
                    [e["finding_id"]]).fetchone()
                state, seq = cur[0] or "open", cur[1] or 0
                seq += sum(1 for r in rows if r[0] == e["finding_id"])
                expected = next((r[4] for r in reversed(rows) if r[0] == e["finding_id"]), state)
                if expected != e["from_state"]:
                    raise WorkspaceError(f"finding {e['finding_id']} is now {expected}, not "
                                         f"{e['from_state']}: someone else reviewed it; look again")
                rows.append((e["finding_id"], seq + 1, e["action"], e["from_state"], e["to_state"],
                             e["reviewer"], e.get("reason") or "", now))
            self._insert("review_events", rows)


def _date_filter(col: str, since, until) -> tuple[str, list]:
    conds, params = [], []
    if since:
        conds.append(f"{col} >= CAST(? AS DATE)")
        params.append(str(since))
    if until:
        conds.append(f"{col} <= CAST(? AS DATE)")
        params.append(str(until))
    return (" WHERE " + " AND ".join(conds) if conds else "", params)
