"""`voc inspect transcripts.jsonl --rules RULES --out findings.jsonl`"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from voc.cli import common


@common.handle_errors
def inspect(
    input: Optional[Path] = typer.Argument(None, help="transcripts.jsonl, or a CSV/TSV/JSONL/XLSX of texts."),
    rules: Optional[Path] = typer.Option(None, "--rules", "-r",
                                         help="Rule file or folder. Default: inspect.rules (or the packaged rules)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o",
                                       help="Write findings.jsonl here (one line per contact)."),
    scorecards: Optional[Path] = typer.Option(None, "--scorecards",
                                              help="Write agent/team scorecards and rule hit rates (JSON)."),
    agent_pattern: Optional[str] = typer.Option(None, "--agent-pattern",
                                                help="Regex on the source path giving the agent id."),
    text_col: Optional[str] = typer.Option(None, "--text-col", help="Text column (name or 0-based index)."),
    id_col: Optional[str] = typer.Option(None, "--id-col", help="Id column."),
    time_col: Optional[str] = typer.Option(None, "--time-col", help="Time column."),
    group_col: Optional[str] = typer.Option(None, "--group-col",
                                            help="Rows with the same value form one dialogue."),
    role_col: Optional[str] = typer.Option(None, "--role-col", help="Speaker role column (客服/客户…)."),
    workspace: Optional[Path] = common.WORKSPACE_OPT,
    no_store: bool = typer.Option(False, "--no-store", help="Do not write to the workspace."),
    no_redact: bool = typer.Option(False, "--no-redact",
                                   help="Keep card/ID/phone numbers in evidence (recorded with the run)."),
    list_rules: bool = typer.Option(False, "--list-rules", help="Check the rules, list them and exit."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
):
    """QA rules over every contact: findings with evidence, scores, scorecards, hit rates."""
    from voc.inspect import Inspector, hit_rates, load_rules
    from voc.inspect import scorecards as make_scorecards
    from voc.sources import RowError, read_records
    from voc.store import Workspace, default_path

    cfg = common.settings(**{"workspace.path": str(workspace) if workspace else None,
                             "inspect.rules": str(rules) if rules else None,
                             "inspect.agent_pattern": agent_pattern,
                             "privacy.redact": False if no_redact else None})
    rs = load_rules(cfg["inspect.rules"] or None)
    if list_rules:
        _print_rules(rs, as_json)
        return
    if input is None:
        raise typer.BadParameter("give INPUT (transcripts.jsonl or a table of texts), or --list-rules")
    inspector = _inspector(Inspector, rs, cfg)
    records = read_records(input, text_col=text_col, id_col=id_col, time_col=time_col,
                           group_col=group_col, role_col=role_col)
    ws = None if no_store else Workspace(default_path(cfg))
    run_cfg = {k: v for k, v, _ in cfg.rows()} | {"rules_files": rs.paths, "rules_digest": rs.digest}
    run_id = ws.start_run("inspect", run_cfg) if ws else None
    calls, n_bad = [], 0
    t0 = time.monotonic()
    batch: list = []

    def flush():
        if ws and batch:
            ws.save_inspections(batch, run_id, rs.digest)
        batch.clear()

    ok = False
    try:
        with common.jsonl_out(out, keep_on_error=False) as fh:
            for rec in records:
                if isinstance(rec, RowError):
                    n_bad += 1
                    common.skip_row(rec, ws, run_id)
                    continue
                r = inspector.inspect(rec)
                d = r.to_dict()
                if fh:
                    fh.write(json.dumps(d, ensure_ascii=False) + "\n")
                calls.append({k: d[k] for k in ("agent_id", "team", "score", "rules_applied",
                                                "not_applicable")}
                             | {"findings": [{"rule": f.rule, "category": f.category,
                                              "deduct": f.deduct} for f in r.findings]})
                batch.append(r)
                if len(batch) >= 1000:
                    flush()
            flush()
        ok = True
    finally:
        if ws:
            ws.finish_run(run_id, succeeded=len(calls), failed=n_bad,
                          status=None if ok else "failed")
            ws.close()
    elapsed = time.monotonic() - t0
    rates = hit_rates(calls, rs.rules)
    cards = {"agents": make_scorecards(calls, "agent"), "teams": make_scorecards(calls, "team"),
             "rules": rates}
    if scorecards:
        scorecards.write_text(json.dumps(cards, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    n_find = sum(len(c["findings"]) for c in calls)
    mean = round(sum(c["score"] for c in calls) / len(calls), 1) if calls else None
    summary = {"run_id": run_id, "inspected": len(calls), "bad_rows": n_bad, "findings": n_find,
               "mean_score": mean, "seconds": round(elapsed, 2), "rules": rs.paths,
               "rules_digest": rs.digest, "out": str(out) if out else None,
               "workspace": None if no_store else str(default_path(cfg)), **cards}
    if as_json:
        common.echo_json(summary)
    else:
        top = sorted((r for r in rates if r["hits"]), key=lambda r: -r["rate"])[:5]
        common.err(f"inspected {len(calls)} contacts" + (f" ({n_bad} bad rows skipped)" if n_bad else "")
                   + f" in {elapsed:.1f} s: {n_find} findings, mean score {mean}"
                   + ("; most frequent: " + ", ".join(f"{r['rule']} {r['rate']:.0%}" for r in top)
                      if top else "") + (f" -> {out}" if out else ""))
    if n_bad:
        raise typer.Exit(1)


def _inspector(cls, rs, cfg):
    import re

    from voc.errors import ConfigError

    pattern = cfg["inspect.agent_pattern"] or None
    if pattern:
        try:
            re.compile(pattern)
        except re.error as e:
            raise ConfigError(f"inspect.agent_pattern {pattern!r} is not a valid regex: {e}") from None
    return cls(rs, agent_pattern=pattern, redact=cfg["privacy.redact"])


def _print_rules(rs, as_json: bool) -> None:
    from voc.inspect.expr import to_text

    rows = [{"id": r.id, "name": r.name, "category": r.category, "severity": r.severity,
             "deduct": r.deduct, "when": to_text(r.when),
             "conditions": [c.id for c in r.conditions.values()], "file": r.source}
            for r in rs.rules]
    if as_json:
        common.echo_json({"rules": rows, "files": rs.paths, "digest": rs.digest})
        return
    for r in rows:
        typer.echo(f"{r['id']:<24} {r['category']}  {r['severity']:<8} -{r['deduct']:<4g} "
                   f"{r['name']}  [{r['when']}]")
    common.err(f"{len(rows)} rules from {', '.join(rs.paths)}")
