"""The run journal in the workspace (`voc run`), mixed into Workspace.

A contact is processed when its transcript and its analysis are stored (one transaction, by
save_transcripts); that, not the journal, is what a restarted run trusts. run_inputs logs each
input's outcome per run (done, failed, skipped, duplicate); stage_marks says which later
stages have run for a stored contact; night_marks says when a night stage (the dashboard, the
export), which covers the whole workspace, last finished, so a restart knows it is still due.
All are written after the records they describe, so a kill in between only makes the next run
redo an idempotent step.
"""

from __future__ import annotations

from voc.schema import Analysis, Transcript
from voc.store.tables import utc_now


class RunJournal:
    """Workspace methods for `voc run` (mixed into Workspace)."""

    def stored_ids(self, ids: list[str]) -> set[str]:
        """The ids among `ids` whose transcript and analysis are both stored."""
        if not ids:
            return set()
        rows = self.db.execute("SELECT t.id FROM transcripts t JOIN analyses a ON a.id = t.id "
                               "WHERE t.id IN (SELECT unnest($1))", [list(ids)]).fetchall()
        return {r[0] for r in rows}

    def failed_before(self, shas: list[str]) -> dict[str, str]:
        """sha256 -> reason for inputs whose latest journal outcome is a failure."""
        if not shas:
            return {}
        rows = self.db.execute(
            "SELECT sha256, arg_max(reason, logged_at), arg_max(status, logged_at) FROM run_inputs "
            "WHERE sha256 IN (SELECT unnest($1)) AND status IN ('done', 'failed') GROUP BY sha256",
            [list(shas)]).fetchall()
        return {sha: reason for sha, reason, status in rows if status == "failed"}

    def log_inputs(self, run_id: str, rows: list[dict]) -> None:
        """Journal rows {source, sha256, status, reason, seconds, worker}; failed ones also go
        to the failure list. One transaction."""
        if not rows:
            return
        now = utc_now()
        jrows = [(run_id, r["source"], r.get("sha256"), r["status"], r.get("reason"),
                  r.get("seconds"), r.get("worker"), now) for r in rows]
        frows = [(run_id, r["source"], r.get("reason") or "", now) for r in rows
                 if r["status"] == "failed"]
        with self.transaction():
            self._insert("run_inputs", jrows)
            self._insert("failures", frows)

    def run_inputs(self, run_id: str | None = None) -> list[dict]:
        where, params = (" WHERE run_id = ?", [run_id]) if run_id else ("", [])
        return self._dicts(f"SELECT * FROM run_inputs{where} ORDER BY logged_at, source", params)

    def stage_pending(self, ids: list[str], stage: str) -> list[str]:
        """Stored contacts among `ids` that `stage` has not been marked done for."""
        if not ids:
            return []
        rows = self.db.execute(
            "SELECT a.id FROM analyses a JOIN transcripts t ON t.id = a.id "
            "WHERE a.id IN (SELECT unnest($1)) AND a.id NOT IN "
            "(SELECT transcript_id FROM stage_marks WHERE stage = $2) ORDER BY a.id",
            [list(ids), stage]).fetchall()
        return [r[0] for r in rows]

    def mark_stage(self, ids: list[str], stage: str, run_id: str) -> None:
        if not ids:
            return
        with self.transaction():
            self.db.execute("DELETE FROM stage_marks WHERE stage = $2 AND transcript_id IN "
                            "(SELECT unnest($1))", [list(ids), stage])
            self._insert("stage_marks", [(i, stage, run_id, utc_now()) for i in ids])

    def mark_night(self, stage: str, run_id: str) -> None:
        """A night stage (report, export) finished over the workspace as it is now."""
        with self.transaction():
            self.db.execute("DELETE FROM night_marks WHERE stage = ?", [stage])
            self.db.execute("INSERT INTO night_marks VALUES (?, ?, ?)", [stage, run_id, utc_now()])

    def night_pending(self, stage: str) -> bool:
        """Is a night stage due: never finished, or contacts or later-stage results were stored
        after it last finished (a run killed before its dashboard, say)?"""
        row = self.db.execute("SELECT done_at FROM night_marks WHERE stage = ?", [stage]).fetchone()
        if row is None:
            return True
        changed = self.db.execute(
            "SELECT greatest((SELECT max(stored_at) FROM transcripts), (SELECT max(stored_at) FROM "
            "analyses), (SELECT max(done_at) FROM stage_marks))").fetchone()[0]
        return changed is not None and changed > row[0]

    def stored_pairs(self, ids: list[str]) -> list[tuple[Transcript, Analysis]]:
        """(transcript, analysis) of stored contacts, in the order of `ids`."""
        recs = dict(self.db.execute("SELECT id, record FROM analyses WHERE id IN (SELECT unnest($1))",
                                    [list(ids)]).fetchall()) if ids else {}
        out = []
        for i in ids:
            t = self.transcript(i)
            if t is not None and i in recs:
                out.append((t, Analysis.from_json(recs[i])))
        return out
