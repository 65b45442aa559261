"""`voc analyze INPUT --out analysis.jsonl`"""

from __future__ import annotations

import json
import time
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
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
):
    """Sentiment, complaint risk (with reasons), category and PII redaction for each contact."""
    from voc.analyze.pipeline import Analyzer
    from voc.sources import RowError, read_records
    from voc.store import Workspace, default_path

    cfg = common.settings(**{"workspace.path": str(workspace) if workspace else None,
                             "privacy.redact": False if no_redact else None})
    analyzer = Analyzer.from_settings(cfg, category_model=category_model, risk_model=risk_model,
                                      risk_rules=risk_rules)
    records = read_records(input, text_col=text_col, id_col=id_col, time_col=time_col,
                           group_col=group_col, role_col=role_col)
    ws = None if no_store else Workspace(default_path(cfg))
    run_id = ws.start_run("analyze", {k: v for k, v, _ in cfg.rows()}) if ws else None
    n_ok = n_bad = 0
    levels: dict[str, int] = {}
    t0 = time.monotonic()
    batch_size = cfg["analyze.batch_size"]

    def flush(batch, fh):
        nonlocal n_ok
        results = analyzer.analyze(batch)
        if fh:
            fh.writelines(json.dumps(a, ensure_ascii=False) + "\n" for _, a in results)
        if ws:
            ws.save_transcripts([t for t, _ in results], run_id, analyses=[a for _, a in results])
        for _, a in results:
            levels[a["risk"]["level"]] = levels.get(a["risk"]["level"], 0) + 1
        n_ok += len(results)

    try:
        with common.jsonl_out(out) as fh:
            batch = []
            for rec in records:
                if isinstance(rec, RowError):
                    n_bad += 1
                    common.skip_row(rec, ws, run_id)
                    continue
                batch.append(rec)
                if len(batch) >= batch_size:
                    flush(batch, fh)
                    batch = []
            flush(batch, fh)
    finally:
        if ws:
            ws.finish_run(run_id, succeeded=n_ok, failed=n_bad, models=analyzer.info())
            ws.close()
    elapsed = time.monotonic() - t0
    summary = {"run_id": run_id, "analyzed": n_ok, "bad_rows": n_bad, "risk_levels": levels,
               "redacted": analyzer.redact, "seconds": round(elapsed, 2),
               "out": str(out) if out else None}
    if as_json:
        common.echo_json(summary)
    else:
        common.err(f"analyzed {n_ok} contacts" + (f" ({n_bad} bad rows skipped)" if n_bad else "")
                   + f" in {elapsed:.1f} s; risk: "
                   + ", ".join(f"{k} {v}" for k, v in sorted(levels.items()))
                   + (f" -> {out}" if out else ""))
    if n_bad:
        raise typer.Exit(1)
