"""`voc inspect transcripts.jsonl --rules RULES --out findings.jsonl`"""

from __future__ import annotations

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
    id_namespace: Optional[str] = typer.Option(None, "--id-namespace",
                                               help="Prefix ids from --id-col/--group-col (crm -> crm:T001)."),
    force: bool = typer.Option(False, "--force", help="Replace stored inspections of another source's "
                                                      "contact with the same id (else reported, kept)."),
    no_redact: bool = typer.Option(False, "--no-redact",
                                   help="Keep card/ID/phone numbers in evidence (recorded with the run)."),
    list_rules: bool = typer.Option(False, "--list-rules", help="Check the rules, list them and exit."),
    as_json: bool = typer.Option(False, "--json",
                                 help="Print the summary as one JSON object on stdout: run_id, inspected, "
                                      "findings, coverage, pass_rate, mean_score, seconds (the run), rules, "
                                      "rules_digest, agents/teams scorecards, out, workspace (with "
                                      "--list-rules: the rules, files and digest)."),
):
    """QA rules over every contact: findings with evidence, scores, scorecards, hit rates."""
    from voc.inspect import Inspector, inspect_batch, load_rules
    from voc.sources import read_records

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
    from voc.paths import models_dir

    inspector = Inspector(rs, agent_pattern=cfg["inspect.agent_pattern"] or None,
                          redact=cfg["privacy.redact"], models_root=models_dir(cfg))
    records = read_records(input, text_col=text_col, id_col=id_col, time_col=time_col,
                           group_col=group_col, role_col=role_col, id_namespace=id_namespace)
    run_cfg = cfg.flat() | {"rules_files": rs.paths, "rules_digest": rs.digest}
    with common.workspace(cfg, no_store) as ws, common.run(ws, "inspect", run_cfg) as run, \
            common.rows("inspecting") as track:
        run.force = force
        s = inspect_batch(track(records), inspector, run, out=out, scorecards_out=scorecards,
                          pass_score=float(cfg["report.qa_pass_score"]))
    summary = {"run_id": run.id, **s, "out": str(out) if out else None,
               "workspace": str(ws.path) if ws else None}
    if as_json:
        common.echo_json(summary)
    else:
        n_bad = s["bad_rows"]
        top = sorted((r for r in s["rules"] if r["hits"]), key=lambda r: -r["rate"])[:5]
        cov = s["coverage"]
        rate = f"{s['pass_rate']:.1%}" if s["pass_rate"] is not None else "—"
        mean = "—" if s["mean_score"] is None else s["mean_score"]
        common.err(f"inspected {s['inspected']} contacts" + (f" ({n_bad} bad rows skipped)" if n_bad else "")
                   + f" {common.timing(s['seconds'])}: 已质检 {cov['full']}, 部分质检 {cov['partial']} and "
                   f"未质检 {cov['none']} (not in the pass rate); pass rate {rate} (score >= "
                   f"{s['pass_score']:g}, no veto; {s['vetoed']} vetoed), mean score {mean}, "
                   f"{s['findings']} findings"
                   + ("; most frequent: " + ", ".join(f"{r['rule']} {r['rate']:.0%}" for r in top)
                      if top else "") + (f" -> {out}" if out else ""))
    if s["bad_rows"]:
        raise typer.Exit(1)


def _print_rules(rs, as_json: bool) -> None:
    from voc.inspect.expr import to_text

    rows = [{"id": r.id, "name": r.name, "category": r.category, "severity": r.severity,
             "deduct": r.deduct, "veto": r.veto, "core": r.core, "when": to_text(r.when),
             "conditions": [c.id for c in r.conditions.values()], "file": r.source}
            for r in rs.rules]
    if as_json:
        common.echo_json({"rules": rows, "files": rs.paths, "digest": rs.digest})
        return
    for r in rows:
        flags = ("一票否决 " if r["veto"] else "") + ("核心 " if r["core"] else "")
        typer.echo(f"{r['id']:<24} {r['category']}  {r['severity']:<8} -{r['deduct']:<4g} "
                   f"{flags}{r['name']}  [{r['when']}]")
    common.err(f"{len(rows)} rules from {', '.join(rs.paths)}")
