"""Quality inspection (质检): rules over utterances and timing, findings with evidence, scores,
scorecards and the review workflow.

    from voc.inspect import Inspector, load_rules
    inspector = Inspector(load_rules())          # voc/data/rules/ by default
    result = inspector.inspect(transcript)       # CallResult: findings, score, not applicable

Modules: model (records), rules (YAML loading and checks), expr (the `when` expression),
timing (silence, overtalk, delays, speech rate), evaluate (conditions -> findings),
scoring (scores, scorecards, hit rates), review (the review state machine).
`run_stage` is the hook `voc run` calls after each committed batch.
"""

from voc.inspect.evaluate import Inspector
from voc.inspect.model import CallResult, Finding, Rule, RuleSet
from voc.inspect.rules import DEFAULT_RULES, load_rules
from voc.inspect.scoring import hit_rates, scorecards


def inspect_all(transcripts, rules: RuleSet | None = None, **kw):
    """CallResult for each transcript, in order (a generator)."""
    inspector = Inspector(rules or load_rules(), **kw)
    for t in transcripts:
        yield inspector.inspect(t)


_STAGE: dict = {}


def run_stage(batch, ws, run_id: str | None, settings) -> dict:
    """The `voc run` hook: inspect a committed batch of (transcript, analysis) pairs with the
    configured rules (inspect.rules, inspect.agent_pattern, privacy.redact) and store the results
    (idempotent: keyed by transcript and finding ids). Returns counts."""
    key = (settings["inspect.rules"], settings["inspect.agent_pattern"], settings["privacy.redact"])
    if key not in _STAGE:
        _STAGE.clear()
        _STAGE[key] = Inspector(load_rules(key[0] or None), agent_pattern=key[1] or None,
                                redact=key[2])
    inspector = _STAGE[key]
    results = [inspector.inspect(t) for t, *_ in batch]
    ws.save_inspections(results, run_id, inspector.rules.digest)
    return {"inspected": len(results), "findings": sum(len(r.findings) for r in results)}


__all__ = ["CallResult", "DEFAULT_RULES", "Finding", "Inspector", "Rule", "RuleSet", "hit_rates",
           "inspect_all", "load_rules", "run_stage", "scorecards"]
