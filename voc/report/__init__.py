"""Offline dashboards and audit exports (`voc report`, `voc export`).

    from voc.report import report, export
    summary = report(ws, "out/dashboard", settings)    # index.html, risk.html, qa.html, ...
    summary = export(ws, "out/audit", settings, fmt="both")

Both are all or nothing: the output is written into a sibling temporary folder that then takes
the place of `out` in one swap (voc.files.staged_dir), so a reader, or a kill at any moment,
leaves the old complete output or the new complete one; a killed attempt's folder is removed
by the next start.

Modules: data (queries returning plain dicts and lists, the PII safeguard), pages (Jinja2
templates under templates/, plotly charts, one self-contained HTML file per page), export
(xlsx and CSV with a BOM for audits). `run_stage` is the night stage `voc run` calls once at the
end of a run that changed anything: it rewrites the dashboard in <workspace>/reports.

Settings ([report] in voc/data/default.toml): qa_pass_score, risk_queue_size, out,
export_min_risk; privacy.redact and privacy.keep_last decide the PII safeguard.
"""

from __future__ import annotations

from pathlib import Path

EXPORT_FORMATS = ("xlsx", "csv", "both")
RISK_LEVELS = ("high", "medium", "low")


def _opt(settings, key: str, default):
    try:
        return settings[key]
    except (KeyError, TypeError):
        return default


def _rules(settings):
    """The configured QA rules (for rule names of rules that never fired); None if unusable."""
    try:
        from voc.inspect import load_rules

        return load_rules(_opt(settings, "inspect.rules", "") or None).rules
    except Exception:  # noqa: BLE001 - names come from the stored findings then
        return None


def default_out(ws, settings=None) -> Path:
    out = _opt(settings, "report.out", "") if settings is not None else ""
    return Path(out) if out else Path(ws.path) / "reports"


def report(ws, out=None, settings=None, *, since=None, until=None, run_id: str | None = None,
           with_audio: bool = False) -> dict:
    """Write the dashboards for the contacts of `ws` (optionally only those from `since` to
    `until`, ISO dates) into `out` (default: report.out, else <workspace>/reports);
    `with_audio` copies the recordings into out/audio (else the call pages link to them)."""
    from voc.files import staged_dir
    from voc.report.pages import build

    if settings is None:
        from voc.config import load_settings

        settings = load_settings()
    final = (Path(out) if out else default_out(ws, settings)).absolute()
    with staged_dir(final, "voc report", _report_output) as tmp:
        summary = build(ws, tmp, redact=bool(_opt(settings, "privacy.redact", True)),
                        keep_last=int(_opt(settings, "privacy.keep_last", 0)), since=since,
                        until=until, pass_score=float(_opt(settings, "report.qa_pass_score", 80.0)),
                        risk_queue_size=int(_opt(settings, "report.risk_queue_size", 500)),
                        rules=_rules(settings), run_id=run_id, with_audio=with_audio,
                        timezone=_opt(settings, "report.timezone", None) or None,
                        period_days=int(_opt(settings, "report.period_days", 7)))
        return _relocated(summary, tmp, final)


def _report_output(rel: str, manifest: dict | None) -> bool:
    """Was `rel` written by the earlier `voc report` whose manifest this is (its pages and call
    pages)? Other files in the folder are kept."""
    if manifest is None:
        return False
    pages = set((manifest.get("pages") or {}).values())
    return rel in pages or (rel.startswith(("calls/", "agents/")) and rel.endswith(".html")
                            and rel.count("/") == 1) or (rel.startswith("audio/") and rel.count("/") == 1)


def _export_output(rel: str, manifest: dict | None) -> bool:
    return manifest is not None and rel in (manifest.get("files") or {})


def _relocated(summary: dict, tmp: Path, final: Path) -> dict:
    """The summary and manifest.json of output written in the staging folder `tmp`, naming the
    folder it is moved to."""
    import json

    from voc.files import write_text

    def moved(v):
        return str(final) + v[len(str(tmp)):] if isinstance(v, str) and v.startswith(str(tmp)) else v

    summary = {k: moved(v) for k, v in summary.items()}
    man = tmp / "manifest.json"
    if man.exists():
        data = {k: moved(v) for k, v in json.loads(man.read_text(encoding="utf-8")).items()}
        write_text(man, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return summary


def export(ws, out, settings=None, *, fmt: str = "both", since=None, until=None,
           min_risk: str | None = None, run_id: str | None = None) -> dict:
    """Write the audit tables (findings with review history, high-risk contacts, run records)
    as xlsx and/or CSV (UTF-8 with BOM) into `out`."""
    from voc.errors import ConfigError, choices
    from voc.report.audit import write_export

    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"export format {fmt!r}; choose {choices(EXPORT_FORMATS)}")
    if settings is None:
        from voc.config import load_settings

        settings = load_settings()
    level = min_risk or _opt(settings, "report.export_min_risk", "high")
    if level not in RISK_LEVELS:
        raise ConfigError(f"minimum risk level {level!r}; choose {choices(RISK_LEVELS)}")
    from voc.files import staged_dir

    final = Path(out).absolute()
    with staged_dir(final, "voc export", _export_output) as tmp:
        summary = write_export(ws, tmp, fmt=fmt, since=since, until=until,
                               levels=RISK_LEVELS[: RISK_LEVELS.index(level) + 1],
                               redact=bool(_opt(settings, "privacy.redact", True)),
                               keep_last=int(_opt(settings, "privacy.keep_last", 0)), run_id=run_id,
                               timezone=_opt(settings, "report.timezone", None) or None)
        return _relocated(summary, tmp, final)


def run_stage(ws, run_id, settings) -> dict:
    """The `voc run` night stage: rewrite the dashboard in report.out (default
    <workspace>/reports)."""
    return report(ws, None, settings, run_id=run_id)


def run_export_stage(ws, run_id, settings) -> dict:
    """The `voc run` night stage "export": rewrite the audit export in <workspace>/exports."""
    return export(ws, Path(ws.path) / "exports", settings, run_id=run_id)


__all__ = ["EXPORT_FORMATS", "default_out", "export", "report", "run_export_stage", "run_stage"]
