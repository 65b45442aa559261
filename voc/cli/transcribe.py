"""`voc transcribe FILE_OR_DIR... --out transcripts.jsonl`"""

from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

import typer

from voc.cli import common


@common.handle_errors
def transcribe(
    inputs: List[str] = typer.Argument(..., help="Recordings or folders of recordings."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write transcripts.jsonl here."),
    workspace: Optional[Path] = common.WORKSPACE_OPT,
    engine: Optional[str] = typer.Option(None, "--engine", help="auto, funasr or whisper."),
    channel_roles: Optional[str] = typer.Option(
        None, "--channel-roles", help="Roles of the stereo channels in order, e.g. agent,customer."),
    hotword: Optional[List[str]] = typer.Option(None, "--hotword", help="Extra hotword (repeatable)."),
    max_duration: Optional[float] = typer.Option(None, "--max-duration",
                                                 help="Refuse recordings longer than this (s)."),
    no_redact: bool = typer.Option(False, "--no-redact",
                                   help="Keep card/ID/phone numbers (recorded with the run)."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not write to the workspace."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
):
    """Transcribe call recordings into speaker-attributed Simplified-Chinese transcripts."""
    from voc.audio import expand_inputs
    from voc.schema import Failure
    from voc.store import Workspace, default_path
    from voc.transcribe import TranscribeOptions, Transcriber, transcribe_files

    cfg = common.settings(**{
        "asr.engine": engine, "audio.max_duration_s": max_duration,
        "audio.channel_roles": [r.strip() for r in channel_roles.split(",")] if channel_roles else None,
        "workspace.path": str(workspace) if workspace else None,
        "privacy.redact": False if no_redact else None})
    if hotword:
        cfg.values["asr"]["hotwords"] = list(cfg["asr.hotwords"]) + list(hotword)
        cfg.sources["asr.hotwords"] = "flag"
    opts = TranscribeOptions.from_settings(cfg)
    paths = expand_inputs(inputs)
    if not paths:
        raise typer.BadParameter("no audio files found in the given inputs")
    transcriber = Transcriber(cfg, cfg["asr.engine"])

    ws = None if no_store else Workspace(default_path(cfg))
    run_id = ws.start_run("transcribe", {k: v for k, v, _ in cfg.rows()}, len(paths)) if ws else None
    ok = failed = 0
    t0 = time.monotonic()
    try:
        with common.jsonl_out(out) as fh, common.progress(len(paths), "transcribing") as advance:
            for rec in transcribe_files(paths, transcriber, opts):
                if isinstance(rec, Failure):
                    failed += 1
                    common.err(f"voc: {rec.source}: {rec.reason}")
                    if ws:
                        ws.record_failure(run_id, rec.source, rec.reason)
                else:
                    ok += 1
                    if fh:
                        fh.write(rec.to_json() + "\n")
                        fh.flush()
                    if ws:
                        ws.save_transcript(rec, run_id)
                advance(rec.source)
    finally:
        if ws:
            ws.finish_run(run_id, succeeded=ok, failed=failed, models=transcriber.info())
            ws.close()
    elapsed = time.monotonic() - t0
    summary = {"run_id": run_id, "inputs": len(paths), "succeeded": ok, "failed": failed,
               "engine": transcriber.engine_name, "seconds": round(elapsed, 2),
               "out": str(out) if out else None,
               "workspace": None if no_store else str(default_path(cfg))}
    if as_json:
        common.echo_json(summary)
    else:
        where = f" -> {out}" if out else ""
        common.err(f"transcribed {ok} of {len(paths)} files"
                   + (f" ({failed} failed)" if failed else "") + f" in {elapsed:.1f} s{where}")
    if failed:
        raise typer.Exit(1)
