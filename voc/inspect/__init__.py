"""Quality inspection (质检): rules over utterances and timing, findings with evidence, scores,
scorecards and the review workflow.

    from voc.inspect import Inspector, load_rules
    inspector = Inspector(load_rules())          # voc/data/rules/ by default
    result = inspector.inspect(transcript)       # CallResult: findings, score, not applicable

Modules: model (records), rules (YAML loading and checks), expr (the `when` expression),
timing (silence, overtalk, delays, speech rate), evaluate (conditions -> findings),
scoring (scores, scorecards, hit rates), review (the review state machine).
`inspect_batch` is `voc inspect` (a stream of contacts inside a run of the workspace);
`run_stage` is the hook `voc run` calls after each committed batch.
"""

from voc.inspect.evaluate import Inspector
from voc.inspect.model import CallResult, Finding, Rule, RuleSet
from voc.inspect.rules import DEFAULT_RULES, load_rules
from voc.inspect.scoring import coverage_counts, hit_rates, scorecards


def inspect_all(transcripts, rules: RuleSet | None = None, **kw):
    """CallResult for each transcript, in order (a generator)."""
    inspector = Inspector(rules or load_rules(), **kw)
    for t in transcripts:
        yield inspector.inspect(t)


def inspect_batch(records, inspector: Inspector, run, *, out=None, scorecards_out=None,
                  commit_every: int = 1000, pass_score: float = 80.0) -> dict:
    """`voc inspect`: inspect `records` (Transcripts, and voc.sources.RowError for rows that
    cannot be used, which go to `run.fail`) inside `run` (a voc.store.Run). One line per
    contact goes to `out` (JSONL, in place only when the batch finishes); results are stored
    in the run's workspace every `commit_every` contacts; agent and team scorecards and rule
    hit rates go to `scorecards_out` (JSON). Returns the summary (inspected, bad_rows,
    findings, coverage = full/partial/none counts, vetoed, passed and pass rate over the fully
    inspected contacts, mean_score (fully inspected), seconds, rules files and digest, agents,
    teams, rules = hit rates)."""
    import json

    from voc.files import open_out, write_text
    from voc.sources import RowError

    rs = inspector.rules
    calls, batch = [], []

    def flush():
        if run.ws is not None and batch and not getattr(run, "force", False):  # ids that meet
            other = run.ws.source_collisions([(r.id, r.source) for r in batch])
            for r in [r for r in batch if r.id in other]:
                run.fail(r.source, f"id {r.id!r} is already stored for a contact from {other[r.id]}; "
                                   f"not replaced (--force replaces it; --id-namespace keeps both)")
            batch[:] = [r for r in batch if r.id not in other]
        if run.ws is not None and batch:
            run.ws.save_inspections(batch, run.id, rs.digest)
        batch.clear()

    with open_out(out, keep_on_error=False) as fh:
        for rec in records:
            if isinstance(rec, RowError):
                run.fail(rec.where, rec.reason)
                continue
            r = inspector.inspect(rec)
            d = r.to_dict()
            if fh:
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")
            calls.append({k: d[k] for k in ("agent_id", "team", "score", "rules_applied",
                                            "not_applicable", "coverage")}
                         | {"findings": [{"rule": f.rule, "category": f.category,
                                          "deduct": f.deduct, "veto": f.veto} for f in r.findings]})
            batch.append(r)
            run.ok()
            if len(batch) >= commit_every:
                flush()
        flush()
    seconds = run.seconds
    cards = {"agents": scorecards(calls, "agent", pass_score),
             "teams": scorecards(calls, "team", pass_score), "rules": hit_rates(calls, rs.rules)}
    if scorecards_out:
        write_text(scorecards_out, json.dumps(cards, ensure_ascii=False, indent=2) + "\n")
    cov = coverage_counts(calls, pass_score)
    return {"inspected": len(calls), "bad_rows": run.failed,
            "findings": sum(len(c["findings"]) for c in calls),
            "coverage": {"full": cov["inspected_full"], "partial": cov["partial"],
                         "none": cov["uninspected"]},
            "vetoed": cov["vetoed"], "passed": cov["passed"], "pass_rate": cov["pass_rate"],
            "pass_score": pass_score, "mean_score": cov["mean_score"],
            "seconds": round(seconds, 2), "rules": rs.paths, "rules_digest": rs.digest, **cards}


_STAGE: dict = {}


def run_stage(batch, ws, run_id: str | None, settings) -> dict:
    """The `voc run` hook: inspect a committed batch of (transcript, analysis) pairs with the
    configured rules (inspect.rules, inspect.agent_pattern, privacy.redact) and store the results
    (idempotent: keyed by transcript and finding ids). Returns counts."""
    key = (settings["inspect.rules"], settings["inspect.agent_pattern"], settings["privacy.redact"])
    if key not in _STAGE:
        _STAGE.clear()
        from voc.paths import models_dir

        _STAGE[key] = Inspector(load_rules(key[0] or None), agent_pattern=key[1] or None,
                                redact=key[2], models_root=models_dir(settings))
    inspector = _STAGE[key]
    results = [inspector.inspect(t) for t, *_ in batch]
    ws.save_inspections(results, run_id, inspector.rules.digest)
    return {"inspected": len(results), "findings": sum(len(r.findings) for r in results)}


__all__ = ["CallResult", "DEFAULT_RULES", "Finding", "Inspector", "Rule", "RuleSet", "coverage_counts",
           "hit_rates",
           "inspect_all", "inspect_batch", "load_rules", "run_stage", "scorecards"]
