"""`voc report --workspace W --out DIR`: the offline dashboards (prints the index page's path)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from voc.cli import common

SINCE = typer.Option(None, "--since", help="First contact date to include (YYYY-MM-DD).")
UNTIL = typer.Option(None, "--until", help="Last contact date to include (YYYY-MM-DD).")
NO_REDACT = typer.Option(False, "--no-redact",
                         help="Do not re-mask card/ID/phone numbers in what is written "
                              "(recorded with the run, and said on every page).")


def check_date(value: str | None, flag: str) -> str | None:
    from datetime import date

    from voc.errors import ConfigError

    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ConfigError(f"{flag} {value!r}: expected a date like 2026-11-01") from None


def open_workspace(cfg):
    """The existing workspace of the settings (reports never create an empty one)."""
    return common.existing_workspace(cfg)


@common.handle_errors
def report(
    workspace: Optional[Path] = common.WORKSPACE_OPT,
    out: Optional[Path] = typer.Option(None, "--out", "-o",
                                       help="Folder for the pages. Default: report.out, else "
                                            "<workspace>/reports."),
    since: Optional[str] = SINCE, until: Optional[str] = UNTIL, no_redact: bool = NO_REDACT,
    with_audio: bool = typer.Option(False, "--with-audio",
                                    help="Copy the recordings into <out>/audio so the call pages play "
                                         "them wherever the folder goes (default: link to where they are)."),
    as_json: bool = typer.Option(False, "--json",
                                 help="Print the summary as one JSON object on stdout: out, index, pages, "
                                      "call_pages, agent_pages, contacts, findings, risk_queue, topics, "
                                      "audio (copied/referenced/withheld/missing), timezone, "
                                      "search_index_bytes, redacted, since, until, run_id."),
):
    """Offline dashboards: overview, risk queue, QA, agent pages, search, topics and a page per
    call with its recording (HTML that opens from file://, no network)."""
    from voc.report import report as build_report

    cfg = common.settings(**{"workspace.path": str(workspace) if workspace else None,
                             "privacy.redact": False if no_redact else None})
    since, until = check_date(since, "--since"), check_date(until, "--until")
    with open_workspace(cfg) as ws:
        run_cfg = cfg.flat() | {"out": str(out) if out else None,
                                                      "since": since, "until": until}
        with ws.run("report", run_cfg) as run:
            summary = build_report(ws, out, cfg, since=since, until=until, run_id=run.id,
                                   with_audio=with_audio)
            run.ok(summary["contacts"])
    if not summary["contacts"] and (since or until):
        common.err(f"report: no contacts from {since or 'the first'} to {until or 'the last'} day "
                   f"in {summary['workspace']}: the pages are empty")
    if as_json:
        common.echo_json(summary)
        return
    common.err(f"report: {summary['contacts']} contacts, {summary['risk_queue']} in the risk queue, "
               f"{summary['findings']} findings, topics: {'yes' if summary['topics'] else 'none'}, "
               f"{summary['call_pages']} call pages, {summary['agent_pages']} agent pages, "
               f"search index {summary['search_index_bytes'] / 1e6:.1f} MB"
               + (f", audio {summary['audio']['copied']} copied" if with_audio else "")
               + ("" if summary["redacted"] else "; PII NOT masked (--no-redact)")
               + f" -> {summary['out']}")
    from voc.errors import one_line

    typer.echo(one_line(summary["index"]))  # a control character in --out: still one line
