"""The run record as reports read it: who ran what, when, with which models (and their
checksums) and which configuration; the failure list. `voc export` writes every run
(`runs`, `models_summary`); the dashboard's runs page shows the newest (`run_log`)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from voc.report.data import Safeguard


def runs(ws) -> list[dict]:
    """Every run, oldest first, with the sha256 of its configuration in canonical JSON."""
    return [{**r, "config_sha256": hashlib.sha256(_canonical(r["config"]).encode("utf-8")).hexdigest()
             if r.get("config") else None} for r in ws.runs()]


def run_log(ws, guard: Safeguard, limit: int = 200, max_failures: int = 500) -> dict:
    """The newest runs of the workspace (the run record: who ran what, when, with which models
    and configuration) and the failure list of those runs, file names redacted (call-centre
    recordings are often named after the caller's number)."""
    rows = ws.runs()
    shown = rows[-limit:][::-1] if limit else rows[::-1]
    out = []
    for r in shown:
        start, end = (_local(r.get(k)) for k in ("started_at", "ended_at"))
        out.append({"run_id": r["run_id"], "command": r["command"], "status": r["status"],
                    "started_at": start, "ended_at": end,
                    "seconds": (end - start).total_seconds() if start and end else None,
                    "user": r.get("user_name"), "host": r.get("host"),
                    "voc_version": r.get("voc_version"), "inputs": r.get("inputs"),
                    "succeeded": r.get("succeeded"), "failed": r.get("failed"),
                    "skipped": r.get("skipped"), "config_hash": r.get("config_hash"),
                    "models": model_digests(r.get("models"))})
    ids = {r["run_id"] for r in out}
    fails = [f for f in reversed(ws.failures()) if f["run_id"] in ids]  # newest first
    return {"runs": out, "total": len(rows), "failures_total": len(fails),
            "failures": [{**f, "source": guard.name(f["source"]), "reason": guard.name(f["reason"]),
                          "failed_at": _local(f["failed_at"])} for f in fails[:max_failures]]}


def _local(t):
    """A stored time (TIMESTAMPTZ) in this machine's time zone, as people here read it."""
    return t.astimezone() if isinstance(t, datetime) and t.tzinfo else t


def model_digests(models: Any) -> list[dict]:
    """(name, sha256) of every model a run recorded, found wherever it sits in the record."""
    try:
        tree = json.loads(models) if isinstance(models, str) else models
    except ValueError:
        return []
    found: list[dict] = []

    def walk(node, key: str = "") -> None:
        if isinstance(node, dict):
            sha = node.get("sha256")
            if sha:
                name = node.get("name") or Path(str(node.get("path") or key)).name or key
                if isinstance(sha, dict):  # one digest per file: model.bin's stands for the model
                    sha = sha.get("model.bin") or next(iter(sorted(sha.values())), "")
                found.append({"name": name, "sha256": str(sha)})
                return
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)

    walk(tree)
    return found


def _canonical(js: str | None) -> str:
    try:
        return json.dumps(json.loads(js), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return js or ""


def models_summary(models_json: str | None) -> str:
    """Every model of a run record on its own line, with all it recorded (the audit export)."""
    try:
        models = json.loads(models_json) if models_json else None
    except ValueError:
        return models_json or ""
    lines: list[str] = []

    def walk(obj, name=""):
        if isinstance(obj, dict):
            keys = {k: obj.get(k) for k in ("name", "path", "revision", "sha256", "version", "kind")
                    if obj.get(k) not in (None, "", [])}
            if keys.get("path") or keys.get("sha256") or keys.get("name") or keys.get("revision"):
                lines.append(f"{name or keys.get('name') or keys.get('kind') or 'model'}: "
                             + ", ".join(f"{k}={v}" for k, v in keys.items()))
            for k, v in obj.items():
                if isinstance(v, (dict, list)):
                    walk(v, f"{name}.{k}" if name else k)
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                walk(v, f"{name}[{i}]" if name else "")
    walk(models)
    return "\n".join(lines)
