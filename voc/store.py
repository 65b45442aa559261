"""The workspace: a DuckDB file plus folders for artefacts.

Every stage writes its records here. Writes of one record are transactional (delete + insert in
one transaction, keyed by the record id), so a record is stored once however often it is
written, and a run that is killed leaves either the whole record or none of it. The schema is
created and migrated by `MIGRATIONS`; a workspace from a newer voc is refused.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import uuid
from datetime import datetime, timezone
from pathlib import Path

from voc.errors import WorkspaceError
from voc.schema import Transcript

DB_NAME = "voc.duckdb"
FOLDERS = ("artifacts", "reports", "exports")

MIGRATIONS = [
    # 1: runs, failures, transcripts and utterances
    """
    CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY, command VARCHAR, started_at TIMESTAMPTZ, ended_at TIMESTAMPTZ,
        status VARCHAR, user_name VARCHAR, host VARCHAR, voc_version VARCHAR, config JSON,
        models JSON, inputs INTEGER, succeeded INTEGER, failed INTEGER, skipped INTEGER);
    CREATE TABLE failures (
        run_id VARCHAR, source VARCHAR, reason VARCHAR, failed_at TIMESTAMPTZ);
    CREATE TABLE transcripts (
        id VARCHAR PRIMARY KEY, source VARCHAR, channel VARCHAR, duration_s DOUBLE, meta JSON,
        text VARCHAR, n_utterances INTEGER, run_id VARCHAR, stored_at TIMESTAMPTZ);
    CREATE TABLE utterances (
        transcript_id VARCHAR, idx INTEGER, start_s DOUBLE, end_s DOUBLE, speaker VARCHAR,
        role VARCHAR, text VARCHAR, speech_rate_cpm DOUBLE, rms_db DOUBLE, emotion VARCHAR,
        events VARCHAR[], features JSON, PRIMARY KEY (transcript_id, idx));
    """,
    # 2: analyses (voc analyze)
    """
    CREATE TABLE analyses (
        id VARCHAR PRIMARY KEY, sentiment VARCHAR, positive DOUBLE, agent_positive DOUBLE,
        trajectory_delta DOUBLE, risk_score DOUBLE, risk_level VARCHAR, risk_reasons JSON,
        category VARCHAR, category_score DOUBLE, record JSON, run_id VARCHAR,
        stored_at TIMESTAMPTZ);
    """,
    # 3: quality inspection (voc inspect) and the append-only review history (voc review)
    """
    CREATE TABLE inspections (
        transcript_id VARCHAR PRIMARY KEY, source VARCHAR, channel VARCHAR, agent_id VARCHAR,
        team VARCHAR, call_at VARCHAR, call_date DATE, score DOUBLE, deductions DOUBLE,
        n_findings INTEGER, rules_applied JSON, not_applicable JSON, rules_digest VARCHAR,
        run_id VARCHAR, inspected_at TIMESTAMPTZ);
    CREATE TABLE findings (
        finding_id VARCHAR PRIMARY KEY, transcript_id VARCHAR, rule_id VARCHAR, rule_name VARCHAR,
        category VARCHAR, severity VARCHAR, deduct DOUBLE, message VARCHAR, evidence JSON,
        source VARCHAR, agent_id VARCHAR, team VARCHAR, call_at VARCHAR, call_date DATE,
        first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ, run_id VARCHAR);
    CREATE TABLE review_events (
        finding_id VARCHAR, seq INTEGER, action VARCHAR, from_state VARCHAR, to_state VARCHAR,
        reviewer VARCHAR, reason VARCHAR, event_at TIMESTAMPTZ, PRIMARY KEY (finding_id, seq));
    """,
    # 4: the run journal (voc run): each input's outcome in each run, and which later stages
    # (inspect, topics) are done for a stored contact; the configuration hash of a run
    """
    CREATE TABLE run_inputs (
        run_id VARCHAR, source VARCHAR, sha256 VARCHAR, status VARCHAR, reason VARCHAR,
        seconds DOUBLE, worker VARCHAR, logged_at TIMESTAMPTZ);
    CREATE TABLE stage_marks (
        transcript_id VARCHAR, stage VARCHAR, run_id VARCHAR, done_at TIMESTAMPTZ,
        PRIMARY KEY (transcript_id, stage));
    ALTER TABLE runs ADD COLUMN config_hash VARCHAR;
    """,
    # 5: topic models, their topics and topic assignments (voc topics, voc topics assign)
    """
    CREATE TABLE topic_models (
        model_id VARCHAR PRIMARY KEY, path VARCHAR, created_at VARCHAR, n_docs INTEGER,
        n_topics INTEGER, options JSON, embedder JSON, taxonomy VARCHAR, run_id VARCHAR,
        stored_at TIMESTAMPTZ);
    CREATE TABLE topics (
        model_id VARCHAR, topic INTEGER, label VARCHAR, size INTEGER, category VARCHAR,
        keywords JSON, representative JSON, PRIMARY KEY (model_id, topic));
    CREATE TABLE topic_assignments (
        id VARCHAR, model_id VARCHAR, topic INTEGER, topic_label VARCHAR, score DOUBLE,
        emerging VARCHAR, time VARCHAR, fields JSON, run_id VARCHAR, stored_at TIMESTAMPTZ,
        PRIMARY KEY (id, model_id));
    """,
]


def _analysis_row(a: dict, run_id: str | None, now: datetime) -> tuple:
    sent, risk, cat = a.get("sentiment") or {}, a.get("risk") or {}, a.get("category") or {}
    traj = a.get("trajectory") or {}
    return (a["id"], sent.get("label"), sent.get("positive"),
            (a.get("sentiment_agent") or {}).get("positive"), traj.get("delta"),
            risk.get("score"), risk.get("level"),
            json.dumps(risk.get("reasons") or [], ensure_ascii=False), cat.get("label"),
            cat.get("score"), json.dumps(a, ensure_ascii=False, default=str), run_id, now)


def _now() -> datetime:
    return datetime.now(timezone.utc)


# == quality inspection and review (voc inspect / voc review) ================================
# Findings of a transcript are replaced when it is inspected again; a finding that the new run
# does not produce stays stored but inactive (last seen before the latest inspection), so its
# review history keeps its context. review_events is append-only: nothing here updates or
# deletes a row of it; a finding's state is the to_state of its latest event ("open" if none).

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
        now = _now()
        ids = [r.id for r in results]
        irows = [(r.id, r.source, r.channel, r.agent_id, r.team, r.call_at, _call_date(r.call_at),
                  r.score, r.deductions, len(r.findings), json.dumps(r.rules),
                  json.dumps(r.not_applicable, ensure_ascii=False), rules_digest, run_id, now)
                 for r in results]
        fids = [f.id for r in results for f in r.findings]
        self.db.execute("BEGIN TRANSACTION")
        try:
            first = dict(self.db.execute(
                "SELECT finding_id, first_seen FROM findings WHERE finding_id IN (SELECT unnest($1))",
                [fids]).fetchall()) if fids else {}
            frows = [(f.id, r.id, f.rule, f.name, f.category, f.severity, f.deduct, f.message,
                      json.dumps(f.evidence, ensure_ascii=False), r.source, r.agent_id, r.team,
                      r.call_at, _call_date(r.call_at), first.get(f.id, now), now, run_id)
                     for r in results for f in r.findings]
            self.db.execute("DELETE FROM inspections WHERE transcript_id IN (SELECT unnest($1))", [ids])
            self.db.execute("DELETE FROM findings WHERE finding_id IN (SELECT unnest($1))", [fids])
            self._insert("inspections", irows)
            self._insert("findings", frows)
            self.db.execute("COMMIT")
        except Exception:
            self.db.execute("ROLLBACK")
            raise

    def inspections(self, since=None, until=None) -> list[dict]:
        where, params = _date_filter("coalesce(call_date, CAST(inspected_at AS DATE))", since, until)
        rows = self._dicts(f"SELECT * FROM inspections{where} ORDER BY transcript_id", params)
        for r in rows:
            r["rules_applied"] = json.loads(r["rules_applied"] or "[]")
            r["not_applicable"] = json.loads(r["not_applicable"] or "{}")
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
        now = _now()
        self.db.execute("BEGIN TRANSACTION")
        try:
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
            self.db.execute("COMMIT")
        except Exception:
            self.db.execute("ROLLBACK")
            raise


def _date_filter(col: str, since, until) -> tuple[str, list]:
    conds, params = [], []
    if since:
        conds.append(f"{col} >= CAST(? AS DATE)")
        params.append(str(since))
    if until:
        conds.append(f"{col} <= CAST(? AS DATE)")
        params.append(str(until))
    return (" WHERE " + " AND ".join(conds) if conds else "", params)



# == the run journal (voc run) ===============================================================
# A contact is processed when its transcript and its analysis are stored (one transaction, by
# save_transcripts); that, not the journal, is what a restarted run trusts. run_inputs logs each
# input's outcome per run (done, failed, skipped, duplicate); stage_marks says which later
# stages have run for a stored contact. Both are written after the records they describe, so a
# kill in between only makes the next run redo an idempotent step.

class WorkspaceBusy(WorkspaceError):
    """Another process holds the workspace (DuckDB allows one writing process)."""


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
        now = _now()
        jrows = [(run_id, r["source"], r.get("sha256"), r["status"], r.get("reason"),
                  r.get("seconds"), r.get("worker"), now) for r in rows]
        frows = [(run_id, r["source"], r.get("reason") or "", now) for r in rows
                 if r["status"] == "failed"]
        self.db.execute("BEGIN TRANSACTION")
        try:
            self._insert("run_inputs", jrows)
            self._insert("failures", frows)
            self.db.execute("COMMIT")
        except Exception:
            self.db.execute("ROLLBACK")
            raise

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
        self.db.execute("BEGIN TRANSACTION")
        try:
            self.db.execute("DELETE FROM stage_marks WHERE stage = $2 AND transcript_id IN "
                            "(SELECT unnest($1))", [list(ids), stage])
            self._insert("stage_marks", [(i, stage, run_id, _now()) for i in ids])
            self.db.execute("COMMIT")
        except Exception:
            self.db.execute("ROLLBACK")
            raise

    def stored_pairs(self, ids: list[str]) -> list[tuple[Transcript, dict]]:
        """(transcript, analysis record) of stored contacts, in the order of `ids`."""
        recs = dict(self.db.execute("SELECT id, record FROM analyses WHERE id IN (SELECT unnest($1))",
                                    [list(ids)]).fetchall()) if ids else {}
        out = []
        for i in ids:
            t = self.transcript(i)
            if t is not None and i in recs:
                out.append((t, json.loads(recs[i])))
        return out

    def interrupt_stale_runs(self) -> list[str]:
        """Runs still marked running are dead (this process holds the lock): mark them."""
        rows = self.db.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running' "
                               "RETURNING run_id").fetchall()
        return sorted(r[0] for r in rows)

    def update_run(self, run_id: str, *, models=None, config_hash: str | None = None) -> None:
        if models is not None:
            self.db.execute("UPDATE runs SET models = ? WHERE run_id = ?",
                            [json.dumps(models, ensure_ascii=False, default=str), run_id])
        if config_hash is not None:
            self.db.execute("UPDATE runs SET config_hash = ? WHERE run_id = ?", [config_hash, run_id])


# == topics (voc topics) =====================================================================
# One row per fitted model (topic_models) with its topic table (topics); assignments are keyed
# by (contact id, model id), so assigning the same contacts again replaces them, and the time
# and class values (channel, product, team ...) travel with them for trends without a join.

class TopicStore:
    """Workspace methods for `voc topics` (mixed into Workspace)."""

    def save_topic_model(self, meta: dict, path: str, run_id: str | None) -> None:
        """A model's description and its topic table, replacing an earlier copy by model_id."""
        mid = meta["model_id"]
        tax = (meta.get("taxonomy") or {}).get("name")
        row = [(mid, path, meta.get("created_at"), meta.get("n_docs"), len(meta.get("topic_ids", [])),
                json.dumps(meta.get("options"), ensure_ascii=False),
                json.dumps(meta.get("embedder"), ensure_ascii=False), tax, run_id, _now())]
        topics = [(mid, int(r["topic"]), r["label"], int(r["size"]), r.get("category"),
                   json.dumps(r.get("keywords") or [], ensure_ascii=False),
                   json.dumps(r.get("representative") or [], ensure_ascii=False))
                  for r in meta.get("table", [])]
        self.db.execute("BEGIN TRANSACTION")
        try:
            self.db.execute("DELETE FROM topic_models WHERE model_id = ?", [mid])
            self.db.execute("DELETE FROM topics WHERE model_id = ?", [mid])
            self._insert("topic_models", row)
            self._insert("topics", topics)
            self.db.execute("COMMIT")
        except Exception:
            self.db.execute("ROLLBACK")
            raise

    def save_topic_assignments(self, model_id: str, rows: list[dict], run_id: str | None) -> None:
        """Rows {id, topic, topic_label[, score, emerging, time, <class fields>]}, one
        transaction, replacing earlier assignments of the same ids to the same model."""
        if not rows:
            return
        core = {"id", "topic", "topic_label", "score", "emerging", "time"}
        now = _now()
        data = [(str(r["id"]), model_id, int(r["topic"]), r.get("topic_label"), r.get("score"),
                 r.get("emerging") or None, None if r.get("time") is None else str(r["time"]),
                 json.dumps({k: v for k, v in r.items() if k not in core}, ensure_ascii=False,
                            default=str), run_id, now) for r in rows]
        self.db.execute("BEGIN TRANSACTION")
        try:
            self.db.execute("DELETE FROM topic_assignments WHERE model_id = ? AND id IN "
                            "(SELECT unnest(?))", [model_id, [d[0] for d in data]])
            self._insert("topic_assignments", data)
            self.db.execute("COMMIT")
        except Exception:
            self.db.execute("ROLLBACK")
            raise

    def topic_models(self) -> list[dict]:
        return self._dicts("SELECT * FROM topic_models ORDER BY created_at, model_id")

    def topics(self, model_id: str | None = None) -> list[dict]:
        """The topic table of a model (default: the newest stored)."""
        mid = model_id or self._latest_topic_model()
        return self._dicts("SELECT * FROM topics WHERE model_id = ? ORDER BY topic", [mid])

    def topic_assignments(self, model_id: str | None = None) -> list[dict]:
        """Assignments to a model (default: the newest stored), fields JSON decoded."""
        mid = model_id or self._latest_topic_model()
        rows = self._dicts("SELECT * FROM topic_assignments WHERE model_id = ? ORDER BY id", [mid])
        for r in rows:
            r["fields"] = json.loads(r["fields"]) if r["fields"] else {}
        return rows

    def _latest_topic_model(self) -> str | None:
        row = self.db.execute("SELECT model_id FROM topic_models ORDER BY stored_at DESC, "
                              "created_at DESC LIMIT 1").fetchone()
        return row[0] if row else None


class Workspace(InspectionStore, RunJournal, TopicStore):
    def __init__(self, path: str | Path, read_only: bool = False):
        import duckdb

        self.path = Path(path)
        if read_only and not (self.path / DB_NAME).exists():
            raise WorkspaceError(f"{self.path}: no workspace here (no {DB_NAME})")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            for f in FOLDERS:
                (self.path / f).mkdir(exist_ok=True)
        except OSError as e:
            raise WorkspaceError(f"{self.path}: cannot create workspace ({e.strerror})") from None
        try:
            self.db = duckdb.connect(str(self.path / DB_NAME), read_only=read_only)
        except duckdb.IOException as e:
            if "lock" in str(e).lower():
                import re

                pid = re.search(r"\(PID (\d+)\)", str(e))
                who = f" (pid {pid.group(1)})" if pid else ""
                raise WorkspaceBusy(f"{self.path}: workspace is in use by another voc process"
                                    f"{who}; DuckDB allows one writer: wait for it to finish") from None
            raise WorkspaceError(f"{self.path}: cannot open {DB_NAME} ({e})") from None
        if not read_only:
            try:
                self.migrate()
            except BaseException:
                self.db.close()  # a refused workspace must not stay locked
                raise

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # schema ---------------------------------------------------------------------------------
    def version(self) -> int:
        self.db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
        row = self.db.execute("SELECT max(version) FROM schema_version").fetchone()
        return row[0] or 0

    def migrate(self) -> int:
        v = self.version()
        if v > len(MIGRATIONS):
            raise WorkspaceError(f"{self.path}: workspace schema {v} is newer than this voc "
                                 f"understands ({len(MIGRATIONS)}); upgrade voc")
        for n in range(v, len(MIGRATIONS)):
            self.db.execute("BEGIN TRANSACTION")
            try:
                self.db.execute(MIGRATIONS[n])
                self.db.execute("INSERT INTO schema_version VALUES (?)", [n + 1])
                self.db.execute("COMMIT")
            except Exception:
                self.db.execute("ROLLBACK")
                raise
        return len(MIGRATIONS)

    # runs -----------------------------------------------------------------------------------
    def start_run(self, command: str, config: dict, inputs: int = 0) -> str:
        from voc import __version__

        run_id = _now().strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = str(os.getuid())
        self.db.execute(
            "INSERT INTO runs (run_id, command, started_at, status, user_name, host, voc_version, "
            "config, inputs) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
            [run_id, command, _now(), user, socket.gethostname(), __version__,
             json.dumps(config, ensure_ascii=False, default=str), inputs])
        return run_id

    def finish_run(self, run_id: str, *, succeeded: int, failed: int, skipped: int = 0,
                   models: dict | list | None = None, status: str | None = None) -> None:
        status = status or ("failed" if failed else "ok")
        self.db.execute(
            "UPDATE runs SET ended_at = ?, status = ?, succeeded = ?, failed = ?, skipped = ?, "
            "models = ? WHERE run_id = ?",
            [_now(), status, succeeded, failed, skipped,
             json.dumps(models or [], ensure_ascii=False, default=str), run_id])

    def record_failure(self, run_id: str, source: str, reason: str) -> None:
        self.db.execute("INSERT INTO failures VALUES (?, ?, ?, ?)", [run_id, source, reason, _now()])

    def runs(self) -> list[dict]:
        return self._dicts("SELECT * FROM runs ORDER BY started_at")

    def failures(self, run_id: str | None = None) -> list[dict]:
        if run_id:
            return self._dicts("SELECT * FROM failures WHERE run_id = ? ORDER BY failed_at", [run_id])
        return self._dicts("SELECT * FROM failures ORDER BY failed_at")

    # transcripts ----------------------------------------------------------------------------
    def save_transcript(self, t: Transcript, run_id: str | None = None) -> None:
        self.save_transcripts([t], run_id)

    def save_transcripts(self, ts: list[Transcript], run_id: str | None = None,
                         analyses: list[dict] | None = None) -> None:
        """Store whole records in one transaction, replacing earlier versions by id.

        With `analyses` (one per transcript, same order) the analysis records go in the same
        transaction, so a contact is never stored without its analysis or the other way round.
        """
        if not ts:
            return
        now = _now()
        ids = [t.id for t in ts]
        trows = [(t.id, t.source, t.channel, t.duration_s,
                  json.dumps(t.meta, ensure_ascii=False, default=str), t.text,
                  len(t.utterances), run_id, now) for t in ts]
        urows = [(t.id, i, u.start, u.end, u.speaker, u.role, u.text,
                  u.features.get("speech_rate_cpm"), u.features.get("rms_db"), u.emotion,
                  list(u.events), json.dumps(u.features) if u.features else None)
                 for t in ts for i, u in enumerate(t.utterances)]
        arows = [_analysis_row(a, run_id, now) for a in analyses or []]
        self.db.execute("BEGIN TRANSACTION")
        try:
            self.db.execute("DELETE FROM utterances WHERE transcript_id IN (SELECT unnest($1))", [ids])
            self.db.execute("DELETE FROM transcripts WHERE id IN (SELECT unnest($1))", [ids])
            self._insert("transcripts", trows)
            self._insert("utterances", urows)
            if analyses is not None:
                self.db.execute("DELETE FROM analyses WHERE id IN (SELECT unnest($1))",
                                [[a["id"] for a in analyses]])
                self._insert("analyses", arows)
            self.db.execute("COMMIT")
        except Exception:
            self.db.execute("ROLLBACK")
            raise

    def _insert(self, table: str, rows: list[tuple]) -> None:
        """Bulk insert: one statement over column lists (executemany is ~30x slower)."""
        if not rows:
            return
        cols = [list(c) for c in zip(*rows)]
        sel = ", ".join(f"unnest(${i + 1})" for i in range(len(cols)))
        self.db.execute(f"INSERT INTO {table} SELECT {sel}", cols)

    # analyses -------------------------------------------------------------------------------
    def analyses(self) -> list[dict]:
        return [json.loads(r["record"]) for r in
                self._dicts("SELECT record FROM analyses ORDER BY id")]

    def has_transcript(self, transcript_id: str) -> bool:
        return self.db.execute("SELECT count(*) FROM transcripts WHERE id = ?",
                               [transcript_id]).fetchone()[0] > 0

    def transcript(self, transcript_id: str) -> Transcript | None:
        rows = self._dicts("SELECT * FROM transcripts WHERE id = ?", [transcript_id])
        return self._load(rows[0]) if rows else None

    def transcripts(self) -> list[Transcript]:
        return [self._load(r) for r in self._dicts("SELECT * FROM transcripts ORDER BY source, id")]

    def _load(self, row: dict) -> Transcript:
        from voc.schema import Utterance

        us = self._dicts("SELECT * FROM utterances WHERE transcript_id = ? ORDER BY idx", [row["id"]])
        utts = []
        for u in us:
            feats = json.loads(u["features"]) if u["features"] else {}
            utts.append(Utterance(start=u["start_s"], end=u["end_s"], speaker=u["speaker"],
                                  role=u["role"], text=u["text"], features=feats,
                                  emotion=u["emotion"], events=list(u["events"] or [])))
        return Transcript(id=row["id"], source=row["source"], channel=row["channel"],
                          duration_s=row["duration_s"], meta=json.loads(row["meta"] or "{}"),
                          utterances=utts, text=row["text"] or "")

    def _dicts(self, sql: str, params: list | None = None) -> list[dict]:
        cur = self.db.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]


def default_path(settings) -> Path:
    return Path(settings["workspace.path"])
