"""The workspace: a DuckDB file plus folders for artefacts.

Every stage writes its records here. Writes of one record are transactional (delete + insert in
one transaction, keyed by the record id), so a record is stored once however often it is
written, and a run that is killed leaves either the whole record or none of it. The schema is
created and migrated by `MIGRATIONS` (tables.py); a workspace from a newer voc is refused.
Workspace mixes in the methods of each stage's tables: runs.py (the run record and the run
context `ws.run(...)`), inspections.py (QA and review), journal.py (the nightly run),
topics.py, reports.py (what reports read) and lock.py (the run lock note). This package is the
only place with SQL: the rest of voc calls these methods.

Writes of several statements go through `transaction()`; opening a workspace, for writing or
for reading, marks runs left `running` by a process that died `interrupted` (their ids in
`ws.interrupted`): whoever opens it holds DuckDB's lock, so no other process is running them.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from voc.errors import WorkspaceError
from voc.schema import Analysis, Transcript
from voc.store.inspections import InspectionStore
from voc.store.journal import RunJournal
from voc.store.lock import LOCK_FILE, RunLock, lock_holder, open_waiting
from voc.store.reports import ReportReads
from voc.store.runs import _LIVE, Run, RunStore, Terminated
from voc.store.tables import DB_NAME, FOLDERS, MIGRATIONS, utc_now
from voc.store.topics import TopicStore

__all__ = ["DB_NAME", "FOLDERS", "LOCK_FILE", "MIGRATIONS", "Run", "Terminated", "Workspace",
           "WorkspaceBusy", "default_path", "lock_holder", "open_waiting", "open_run"]


def _analysis_row(a: Analysis | dict, run_id: str | None, now: datetime) -> tuple:
    if isinstance(a, Analysis):
        a = a.to_dict()
    sent, risk, cat = a.get("sentiment") or {}, a.get("risk") or {}, a.get("category") or {}
    traj = a.get("trajectory") or {}
    return (a["id"], sent.get("label"), sent.get("positive"),
            (a.get("sentiment_agent") or {}).get("positive"), traj.get("delta"),
            risk.get("score"), risk.get("level"),
            json.dumps(risk.get("reasons") or [], ensure_ascii=False), cat.get("label"),
            cat.get("score"), json.dumps(a, ensure_ascii=False, default=str), run_id, now,
            (a.get("dissatisfaction") or {}).get("probability"))


class WorkspaceBusy(WorkspaceError):
    """Another process holds the workspace (DuckDB allows one writing process)."""


class Workspace(RunStore, InspectionStore, RunJournal, TopicStore, ReportReads, RunLock):
    def __init__(self, path: str | Path, read_only: bool = False):
        self.path = Path(path)
        self.interrupted: list[str] = []   # stale runs this open marked interrupted
        self._tx_depth = 0
        if read_only and not (self.path / DB_NAME).exists():
            raise WorkspaceError(f"{self.path}: no workspace here (no {DB_NAME})")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            for f in FOLDERS:
                (self.path / f).mkdir(exist_ok=True)
        except OSError as e:
            raise WorkspaceError(f"{self.path}: cannot create workspace ({e.strerror})") from None
        self.db = self._connect(read_only)
        if read_only and self._has_running_runs():
            self._interrupt_from_reader()
        if not read_only:
            try:
                self.migrate()
                self.interrupted = self.interrupt_stale_runs()
            except BaseException:
                self.db.close()  # a refused workspace must not stay locked
                raise

    def _connect(self, read_only: bool):
        import duckdb

        try:
            return duckdb.connect(str(self.path / DB_NAME), read_only=read_only)
        except duckdb.IOException as e:
            if "lock" in str(e).lower():
                import re

                pid = re.search(r"\(PID (\d+)\)", str(e))
                who = f" (pid {pid.group(1)})" if pid else ""
                raise WorkspaceBusy(f"{self.path}: workspace is in use by another voc process"
                                    f"{who}; DuckDB allows one writer: wait for it to finish") from None
            raise WorkspaceError(f"{self.path}: cannot open {DB_NAME} ({e})") from None

    def _has_running_runs(self) -> bool:
        import duckdb

        try:
            return self.db.execute("SELECT count(*) FROM runs WHERE status = 'running' AND run_id "
                                   "NOT IN (SELECT unnest(?))", [sorted(_LIVE)]).fetchone()[0] > 0
        except duckdb.Error:  # no runs table yet
            return False

    def _interrupt_from_reader(self) -> None:
        """A reader opened the workspace, so no writer holds it: runs still `running` are dead.
        Mark them `interrupted` through a short writing open, then read on."""
        self.db.close()
        try:
            w = self._connect(False)
        except WorkspaceError:  # a writer came in between: it marks them itself
            w = None
        if w is not None:
            self.db = w
            try:
                if self.version() == len(MIGRATIONS):  # never migrate behind a reader's back
                    self.interrupted = self.interrupt_stale_runs()
            finally:
                w.close()
        self.db = self._connect(True)

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction for the statements of the block: committed when it ends, rolled
        back when it raises (also on KeyboardInterrupt). Nested blocks join the outer one."""
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield
            finally:
                self._tx_depth -= 1
            return
        self.db.execute("BEGIN TRANSACTION")
        self._tx_depth = 1
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        finally:
            self._tx_depth = 0

    def _rollback(self) -> None:
        import duckdb

        try:
            self.db.execute("ROLLBACK")
        except duckdb.Error:  # none open any more (the failed statement or COMMIT ended it)
            pass

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
            with self.transaction():
                self.db.execute(MIGRATIONS[n])
                self.db.execute("INSERT INTO schema_version VALUES (?)", [n + 1])
        return len(MIGRATIONS)

    # transcripts ----------------------------------------------------------------------------
    def save_transcript(self, t: Transcript, run_id: str | None = None, force: bool = False) -> list[dict]:
        return self.save_transcripts([t], run_id, force=force)

    def save_transcripts(self, ts: list[Transcript], run_id: str | None = None,
                         analyses: list[dict] | None = None, force: bool = False) -> list[dict]:
        """Store whole records in one transaction, replacing earlier versions by id.

        With `analyses` (one per transcript, same order) the analysis records go in the same
        transaction, so a contact is never stored without its analysis or the other way round.

        A record whose id is stored for a contact of another source (a table row whose id is a
        stored call's, two tables with the same ticket numbers) is not stored unless `force`:
        returns those collisions as {id, source, reason} for the caller to report.
        """
        if not ts:
            return []
        collisions = [] if force else self.id_collisions(ts)
        if collisions:
            bad = {c["id"] for c in collisions}
            keep = [k for k, t in enumerate(ts) if t.id not in bad]
            ts = [ts[k] for k in keep]
            analyses = [analyses[k] for k in keep] if analyses is not None else None
            if not ts:
                return collisions
        self._save(ts, run_id, analyses)
        return collisions

    def id_collisions(self, ts: list[Transcript]) -> list[dict]:
        """The records of `ts` whose id is stored for a contact of another source: one of the
        two comes from a table (source_row in its meta) and the file names differ. (A call's id
        is the sha256 of its bytes: the same id from another path is the same recording.)"""
        stored = {r[0]: (r[1], json.loads(r[2] or "{}")) for r in self.db.execute(
            "SELECT id, source, meta FROM transcripts WHERE id IN (SELECT unnest(?))",
            [[t.id for t in ts]]).fetchall()}
        out = []
        for t in ts:
            if t.id not in stored:
                continue
            source, meta = stored[t.id]
            from_table = any(k in m for m in (meta, t.meta) for k in ("source_row", "source_rows"))
            if from_table and Path(source or "").name != Path(t.source or "").name:
                out.append({"id": t.id, "source": _where(t),
                            "reason": f"id {t.id!r} is already stored for a contact from {source}; "
                                      f"not replaced (--force replaces it; --id-namespace keeps both)"})
        return out

    def source_collisions(self, pairs: list[tuple[str, str]]) -> dict[str, str]:
        """id -> the source it is stored for, for the (id, source) pairs whose id is stored (as
        a transcript, else as an inspection) for a contact from a file of another name: what
        `voc inspect` of a table must not replace."""
        ids = [i for i, _ in pairs]
        if not ids:
            return {}
        stored = dict(self.db.execute(
            "SELECT transcript_id, source FROM inspections WHERE transcript_id IN (SELECT unnest(?))",
            [ids]).fetchall())
        stored.update(self.db.execute("SELECT id, source FROM transcripts WHERE id IN (SELECT unnest(?))",
                                      [ids]).fetchall())
        return {i: stored[i] for i, src in pairs
                if i in stored and Path(stored[i] or "").name != Path(src or "").name}

    def _save(self, ts: list[Transcript], run_id: str | None, analyses: list | None) -> None:
        now = utc_now()
        ids = [t.id for t in ts]
        trows = [(t.id, t.source, t.channel, t.duration_s,
                  json.dumps(t.meta, ensure_ascii=False, default=str), t.text,
                  len(t.utterances), run_id, now) for t in ts]
        urows = [(t.id, i, u.start, u.end, u.speaker, u.role, u.text,
                  u.features.get("speech_rate_cpm"), u.features.get("rms_db"), u.emotion,
                  list(u.events), json.dumps(u.features) if u.features else None)
                 for t in ts for i, u in enumerate(t.utterances)]
        arows = [_analysis_row(a, run_id, now) for a in analyses or []]
        with self.transaction():
            self.db.execute("DELETE FROM utterances WHERE transcript_id IN (SELECT unnest($1))", [ids])
            self.db.execute("DELETE FROM transcripts WHERE id IN (SELECT unnest($1))", [ids])
            self._insert("transcripts", trows)
            self._insert("utterances", urows)
            if analyses is not None:
                self.db.execute("DELETE FROM analyses WHERE id IN (SELECT unnest($1))",
                                [[r[0] for r in arows]])
                self._insert("analyses", arows)

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

    def analysis_classes(self, ids: list[str]) -> dict[str, dict]:
        """Contact id -> {risk_level, sentiment, category} of its stored analysis."""
        found: dict[str, dict] = {}
        for k in range(0, len(ids), 5000):
            found.update({r[0]: {"risk_level": r[1], "sentiment": r[2], "category": r[3]}
                          for r in self.db.execute(
                              "SELECT id, risk_level, sentiment, category FROM analyses WHERE id IN "
                              "(SELECT unnest(?))", [list(ids[k:k + 5000])]).fetchall()})
        return found

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


def _where(t: Transcript) -> str:
    """A record as a failure line names it: FILE: row N for a table row, else its source."""
    row = t.meta.get("source_row") or (t.meta.get("source_rows") or [None])[0]
    return f"{t.source}: row {row}" if row else t.source


def default_path(settings) -> Path:
    return Path(settings["workspace.path"])


def open_run(ws: Workspace | None, command: str, config=None, **kw) -> Run:
    """`ws.run(...)`, or a run that only counts when there is no workspace (`--no-store`)."""
    return ws.run(command, config, **kw) if ws is not None else Run(None, command, config, **kw)
