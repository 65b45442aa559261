"""What the dashboards and audit exports read (voc/report), mixed into Workspace.

Plain reads, keyed by contact id; voc/report turns them into pages and tables (and applies the
PII safeguard). Lists of ids are read in one statement each (`IN (SELECT unnest(?))`).
"""

from __future__ import annotations

import json

CONTACTS_SQL = """
    WITH ids AS (SELECT id FROM transcripts UNION SELECT id FROM analyses
                 UNION SELECT transcript_id FROM inspections)
    SELECT ids.id, coalesce(t.source, i.source) AS source,
           coalesce(t.channel, i.channel, a.record->>'channel') AS channel, t.duration_s, t.meta,
           t.n_utterances, coalesce(t.stored_at, a.stored_at, i.inspected_at) AS stored_at,
           a.sentiment, a.positive, a.agent_positive, a.trajectory_delta, a.risk_score,
           a.risk_level, a.risk_reasons, a.category, a.category_score,
           a.record->>'redacted' AS redacted, a.run_id AS analysis_run,
           i.agent_id, i.team, i.call_at, i.score AS inspected_score, i.run_id AS inspect_run,
           i.rules_digest, i.transcript_id IS NOT NULL AS inspected, i.coverage AS qa_coverage
    FROM ids LEFT JOIN transcripts t ON t.id = ids.id LEFT JOIN analyses a ON a.id = ids.id
    LEFT JOIN inspections i ON i.transcript_id = ids.id
"""

# (stage, query of run_id, contact id, source, time) for the records each stage stored
_STORED_SQL = (
    ("transcripts", "SELECT run_id, id, source, stored_at FROM transcripts"),
    ("analyses", "SELECT a.run_id, a.id, t.source, a.stored_at FROM analyses a "
                 "LEFT JOIN transcripts t ON t.id = a.id"),
    ("inspections", "SELECT run_id, transcript_id, source, inspected_at FROM inspections"),
    ("topic_assignments", "SELECT a.run_id, a.id, t.source, a.stored_at FROM topic_assignments a "
                          "LEFT JOIN transcripts t ON t.id = a.id"))


class ReportReads:
    """Workspace reads for voc/report (mixed into Workspace)."""

    def has_table(self, name: str) -> bool:
        return self.db.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                               [name]).fetchone()[0] > 0

    def contact_rows(self) -> list[dict]:
        """One row per contact stored by any stage: transcript, analysis and inspection columns
        side by side (meta and risk_reasons still JSON text)."""
        return self._dicts(CONTACTS_SQL)

    def contact_channels(self) -> dict[str, str]:
        """Contact id -> channel (call, chat, ticket ...)."""
        return dict(self.db.execute("SELECT transcript_id, channel FROM inspections UNION ALL "
                                    "SELECT id, channel FROM transcripts").fetchall())

    def latest_topic_model(self) -> dict | None:
        """The newest stored topic model's row, or None (also for a workspace without topics)."""
        if not self.has_table("topic_models"):
            return None
        rows = self._dicts("SELECT * FROM topic_models ORDER BY stored_at DESC, created_at DESC "
                           "LIMIT 1")
        return rows[0] if rows else None

    def topic_of(self, model_id: str) -> dict[str, tuple[int, str]]:
        """Contact id -> (topic, topic_label) of the assignments to a model."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT id, topic, topic_label FROM topic_assignments WHERE model_id = ?",
            [model_id]).fetchall()}

    def analysis_records(self, ids: list[str]) -> dict[str, dict]:
        """Contact id -> its stored analysis record (the exchange-format dict)."""
        if not ids:
            return {}
        rows = self.db.execute("SELECT id, record FROM analyses WHERE id IN (SELECT unnest(?))",
                               [list(ids)]).fetchall()
        return {i: json.loads(rec) for i, rec in rows}

    def utterance_rows(self, ids: list[str]) -> list[dict]:
        """The stored utterances of the contacts, by contact and position."""
        if not ids:
            return []
        return self._dicts("SELECT transcript_id, idx, start_s, end_s, speaker, role, text, emotion, "
                           "events FROM utterances WHERE transcript_id IN (SELECT unnest(?)) "
                           "ORDER BY transcript_id, idx", [list(ids)])

    def transcript_texts(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        return dict(self.db.execute("SELECT id, text FROM transcripts WHERE id IN (SELECT unnest(?))",
                                    [list(ids)]).fetchall())

    def customer_texts(self, ids: list[str]) -> dict[str, str]:
        """Contact id -> the text of its utterances that are not the agent's, joined."""
        if not ids:
            return {}
        return dict(self.db.execute(
            "SELECT transcript_id, string_agg(text, ' ' ORDER BY idx) FROM utterances "
            "WHERE transcript_id IN (SELECT unnest(?)) AND role <> 'agent' GROUP BY transcript_id",
            [list(ids)]).fetchall())

    def stored_records(self) -> list[dict]:
        """Which run stored which contact, per stage: {stage, run_id, contact_id, source, at}."""
        out = []
        for stage, sql in _STORED_SQL:
            if not self.has_table(stage):
                continue
            out += [{"stage": stage, "run_id": run_id, "contact_id": cid, "source": source, "at": at}
                    for run_id, cid, source, at in self.db.execute(sql + " ORDER BY 1, 2").fetchall()]
        return out
