"""`voc transcribe FILE_OR_DIR... --out transcripts.jsonl`"""

from __future__ import annotations

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
    speakers: Optional[int] = typer.Option(None, "--speakers",
                                           help="Mono recordings: speakers to tell apart (1 = none)."),
    max_duration: Optional[float] = typer.Option(None, "--max-duration",
                                                 help="Refuse recordings longer than this (s)."),
    no_redact: bool = typer.Option(False, "--no-redact",
                                   help="Keep card/ID/phone numbers (recorded with the run)."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not write to the workspace."),
    as_json: bool = typer.Option(False, "--json",
                                 help="Print the summary as one JSON object on stdout: run_id, inputs, "
                                      "succeeded, failed, engine, seconds (the run), out, workspace."),
):
    """Transcribe call recordings into speaker-attributed Simplified-Chinese transcripts."""
    from voc.audio import AUDIO_SUFFIXES
    from voc.scan import scan
    from voc.transcribe import TranscribeOptions, Transcriber, transcribe_batch

    cfg = common.settings(**{
        "asr.engine": engine, "audio.max_duration_s": max_duration,
        "audio.speakers": speakers,
        "audio.channel_roles": [r.strip() for r in channel_roles.split(",")] if channel_roles else None,
        "workspace.path": str(workspace) if workspace else None,
        "privacy.redact": False if no_redact else None})
    if hotword:
        cfg.values["asr"]["hotwords"] = list(cfg["asr.hotwords"]) + list(hotword)
        cfg.sources["asr.hotwords"] = "flag"
    opts = TranscribeOptions.from_settings(cfg)
    paths, unreadable = scan(inputs, AUDIO_SUFFIXES)  # a dangling symlink, say: a line and a failure row
    if not paths and not unreadable:
        raise typer.BadParameter("no audio files found in the given inputs")
    transcriber = Transcriber(cfg, cfg["asr.engine"])

    with common.workspace(cfg, no_store) as ws, \
            common.run(ws, "transcribe", cfg, inputs=len(paths) + len(unreadable)) as run, \
            common.progress(len(paths), "transcribing") as advance, \
            common.audio_progress(len(paths) == 1, "transcribing") as on_audio:
        for b in unreadable:
            run.fail(b["source"], b["reason"])
        s = transcribe_batch(paths, transcriber, opts, run, out=out, on_done=advance, on_audio=on_audio)
        s = dict(s, inputs=s["inputs"] + len(unreadable))  # run.failed counts them already
    summary = {"run_id": run.id, **s, "out": str(out) if out else None,
               "workspace": str(ws.path) if ws else None}
    if as_json:
        common.echo_json(summary)
    else:
        where = f" -> {out}" if out else ""
        common.err(f"transcribed {s['succeeded']} of {s['inputs']} files"
                   + (f" ({s['failed']} failed)" if s["failed"] else "")
                   + f" {common.timing(s['seconds'])}{where}")
    if s["failed"]:
        raise typer.Exit(1)
