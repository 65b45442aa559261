"""`voc analyze INPUT --out analysis.jsonl`"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from voc.cli import common


@common.handle_errors
def analyze(
    input: Path = typer.Argument(..., help="transcripts.jsonl, or a CSV/TSV/JSONL/XLSX of texts."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write analysis.jsonl here."),
    text_col: Optional[str] = typer.Option(None, "--text-col", help="Text column (name or 0-based index)."),
    id_col: Optional[str] = typer.Option(None, "--id-col", help="Id column (else a stable row id)."),
    time_col: Optional[str] = typer.Option(None, "--time-col", help="Time column."),
    group_col: Optional[str] = typer.Option(None, "--group-col",
                                            help="Rows with the same value form one dialogue."),
    role_col: Optional[str] = typer.Option(None, "--role-col", help="Speaker role column (客服/客户…)."),
    category_model: Optional[Path] = typer.Option(None, "--category-model",
                                                  help="Folder from `voc train category`."),
    risk_model: Optional[Path] = typer.Option(None, "--risk-model", help="Folder from `voc train risk`."),
    risk_rules: Optional[Path] = typer.Option(None, "--risk-rules", help="Risk rules YAML."),
    workspace: Optional[Path] = common.WORKSPACE_OPT,
    no_redact: bool = typer.Option(False, "--no-redact",
                                   help="Keep card/ID/phone numbers (recorded with the run)."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not write to the workspace."),
    id_namespace: Optional[str] = typer.Option(None, "--id-namespace",
                                               help="Prefix ids from --id-col/--group-col (crm -> crm:T001), so "
                                                    "another source's contacts with the same ids are kept apart."),
    force: bool = typer.Option(False, "--force", help="Replace stored contacts of another source "
                                                      "that have the same id (else reported, kept)."),
    as_json: bool = typer.Option(False, "--json",
                                 help="Print the summary as one JSON object on stdout: run_id, analyzed, "
                                      "bad_rows, risk_levels (count per level), redacted, seconds (the run), out."),
):
    """Sentiment, complaint risk (with reasons), category and PII redaction for each contact."""
    from voc.analyze.pipeline import Analyzer, analyze_batch
    from voc.sources import read_records

    cfg = common.settings(**{"workspace.path": str(workspace) if workspace else None,
                             "privacy.redact": False if no_redact else None})
    analyzer = Analyzer.from_settings(cfg, category_model=category_model, risk_model=risk_model,
                                      risk_rules=risk_rules)
    records = read_records(input, text_col=text_col, id_col=id_col, time_col=time_col,
                           group_col=group_col, role_col=role_col, id_namespace=id_namespace)
    with common.workspace(cfg, no_store) as ws, common.run(ws, "analyze", cfg) as run, \
            common.rows("analysing") as track:
        run.force = force
        s = analyze_batch(track(records), analyzer, run, out=out, batch_size=cfg["analyze.batch_size"])
    summary = {"run_id": run.id, **s, "out": str(out) if out else None}
    if as_json:
        common.echo_json(summary)
    else:
        n_bad = s["bad_rows"]
        common.err(f"analyzed {s['analyzed']} contacts"
                   + (f" ({n_bad} bad rows skipped)" if n_bad else "")
                   + f" {common.timing(s['seconds'])}; risk: "
                   + ", ".join(f"{k} {v}" for k, v in sorted(s["risk_levels"].items()))
                   + (f" -> {out}" if out else ""))
    if s["bad_rows"]:
        raise typer.Exit(1)
