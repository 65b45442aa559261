"""`voc export --workspace W --out DIR [--format xlsx|csv|both]`: tables for audits."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from voc.cli import common
from voc.cli.report import NO_REDACT, SINCE, UNTIL, check_date, open_workspace


@common.handle_errors
def export(
    workspace: Optional[Path] = common.WORKSPACE_OPT,
    out: Optional[Path] = typer.Option(None, "--out", "-o",
                                       help="Folder to write into. Default: <workspace>/exports."),
    fmt: str = typer.Option("both", "--format", "-f", help="xlsx, csv or both."),
    min_risk: Optional[str] = typer.Option(None, "--min-risk",
                                           help="Lowest risk level in the high-risk table: high "
                                                "(default, report.export_min_risk), medium or low."),
    since: Optional[str] = SINCE, until: Optional[str] = UNTIL, no_redact: bool = NO_REDACT,
    as_json: bool = typer.Option(False, "--json",
                                 help="Print the summary as one JSON object on stdout (as manifest.json): "
                                      "out, files with their sha256, rows per table, redacted, since, until, "
                                      "run_id, workspace, voc_version."),
):
    """Audit exports: findings with review history, high-risk contacts with reasons, run
    records (who, when, models and checksums, configuration, inputs); xlsx and CSV (UTF-8 BOM)."""
    from voc.errors import ConfigError, choices
    from voc.report import EXPORT_FORMATS, RISK_LEVELS
    from voc.report import export as write_export

    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"--format {fmt!r}; choose {choices(EXPORT_FORMATS)}")
    if min_risk is not None and min_risk not in RISK_LEVELS:
        raise ConfigError(f"--min-risk {min_risk!r}; choose {choices(RISK_LEVELS)}")
    cfg = common.settings(**{"workspace.path": str(workspace) if workspace else None,
                             "privacy.redact": False if no_redact else None})
    since, until = check_date(since, "--since"), check_date(until, "--until")
    with open_workspace(cfg) as ws:
        dest = out or Path(ws.path) / "exports"
        run_cfg = cfg.flat() | {"out": str(dest), "format": fmt,
                                                      "since": since, "until": until,
                                                      "min_risk": min_risk}
        with ws.run("export", run_cfg) as run:
            summary = write_export(ws, dest, cfg, fmt=fmt, since=since, until=until,
                                   min_risk=min_risk, run_id=run.id)
            run.ok(sum(summary["rows"].values()))
    if as_json:
        common.echo_json(summary)
        return
    rows = summary["rows"]
    common.err(f"export: {rows['findings']} findings ({rows['review_events']} review events), "
               f"{rows['high_risk_contacts']} high-risk contacts, {rows['runs']} runs"
               + ("" if summary["redacted"] else "; PII NOT masked (--no-redact)")
               + f" -> {summary['out']}")
    from voc.errors import one_line

    for name in summary["files"]:
        typer.echo(one_line(Path(summary["out"]) / name))
