"""The workspace's tables: the DuckDB file name, the artefact folders, the migrations that
create and change the schema (one SQL script per version, applied in order), and the time
stamp every row is written with."""

from __future__ import annotations

from datetime import datetime, timezone

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
    # 6: why a run failed or was interrupted (the error of the command, or how it ended)
    """
    ALTER TABLE runs ADD COLUMN error VARCHAR;
    """,
    # 7: the night stages of `voc run` (report, export) in the journal: when each last finished
    # over the workspace, and in the run record which stages ran, were skipped or failed
    """
    CREATE TABLE night_marks (stage VARCHAR PRIMARY KEY, run_id VARCHAR, done_at TIMESTAMPTZ);
    ALTER TABLE runs ADD COLUMN stages JSON;
    """,
    # 8: QA coverage (full 已质检 / partial 部分质检 / none 未质检) and why, how roles were found,
    # and veto (一票否决) findings
    """
    ALTER TABLE inspections ADD COLUMN coverage VARCHAR;
    ALTER TABLE inspections ADD COLUMN coverage_note VARCHAR;
    ALTER TABLE inspections ADD COLUMN roles VARCHAR;
    ALTER TABLE inspections ADD COLUMN vetoed JSON;
    ALTER TABLE findings ADD COLUMN veto BOOLEAN;
    """,
    # 9: the calibrated dialogue-level dissatisfaction probability of an analysis (voc analyze)
    """
    ALTER TABLE analyses ADD COLUMN dissatisfaction DOUBLE;
    """,
]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
