"""`voc run INPUT... --workspace W`: the nightly batch (see voc/run.py)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import List, Optional

import typer

from voc.cli import common

EXIT_BUSY = 75  # EX_TEMPFAIL: another run holds the workspace; try again later


@common.handle_errors
def run(
    inputs: List[str] = typer.Argument(..., help="Folders, globs ('calls/**/*.wav'), files, or "
                                                 "manifests (CSV/TSV/JSONL/XLSX with a path column)."),
    workspace: Optional[Path] = common.WORKSPACE_OPT,
    engine: Optional[str] = typer.Option(None, "--engine", help="local (worker processes) or ray."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j",
                                          help="Workers (0 = one per core / cluster CPU)."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster to join "
                                          "(default: start a local Ray instance)."),
    ship_audio: Optional[str] = typer.Option(None, "--ship-audio",
                                             help="auto, yes or no: send recordings' bytes to the workers."),
    asr: Optional[str] = typer.Option(None, "--asr", help="ASR engine: auto, funasr or whisper."),
    speakers: Optional[int] = typer.Option(None, "--speakers",
                                           help="Mono recordings: speakers to tell apart (1 = none)."),
    force: bool = typer.Option(False, "--force", help="Process inputs that are already stored again."),
    retry_failed: bool = typer.Option(False, "--retry-failed",
                                      help="Try inputs that failed in an earlier run again."),
    wait: Optional[float] = typer.Option(None, "--wait", help="Seconds to wait for another run "
                                         "holding the workspace (default: refuse at once)."),
    no_redact: bool = typer.Option(False, "--no-redact",
                                   help="Keep card/ID/phone numbers (recorded with the run)."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines on stdout: one per event, "
                                 "the summary last."),
):
    """Transcribe, analyse, inspect and assign topics to every new recording of a night."""
    from voc.run import RunOptions, run_batch
    from voc.store import WorkspaceBusy

    cfg = common.settings(**{"workspace.path": str(workspace) if workspace else None,
                             "asr.engine": asr, "privacy.redact": False if no_redact else None,
                             "audio.speakers": speakers,
                             "run.engine": engine, "run.workers": workers,
                             "run.ray_address": address, "run.ship_audio": ship_audio,
                             "run.lock_wait_s": wait})
    opts = RunOptions.from_settings(cfg, force=force, retry_failed=retry_failed)
    show = _Printer(as_json)
    previous = signal.signal(signal.SIGTERM, _sigterm)  # a scheduler's stop: end cleanly
    try:
        summary = run_batch(inputs, cfg, opts, on_event=show)
    except WorkspaceBusy as e:
        common.err(f"voc: error: {e}")
        raise typer.Exit(EXIT_BUSY) from None
    except KeyboardInterrupt:
        show.close()
        common.err("voc: run interrupted; finished inputs are stored: run it again to go on")
        raise typer.Exit(130) from None
    finally:
        show.close()
        signal.signal(signal.SIGTERM, previous)
    show.done(summary)
    if (summary["failed"] or summary["failed_before"] or summary["stage_failed"]
            or summary["stages_failed"]):
        raise typer.Exit(1)


def _sigterm(signum, frame):
    raise KeyboardInterrupt


class _Printer:
    """Events as JSON lines (--json), or a progress bar and one line per failure on stderr."""

    def __init__(self, as_json: bool):
        self.as_json = as_json
        self.bar = None
        self.advance = None

    def __call__(self, e: dict) -> None:
        if self.as_json:
            if e["event"] != "hashed":
                common.echo_json(e)
            return
        kind = e["event"]
        if kind == "hashing" and e["inputs"] > 1:
            self._bar(e["inputs"], "checking")
        elif kind == "hashed" and self.advance:
            self.advance(e["source"])
        elif kind == "start":
            self.close()
            common.err(_start_line(e))
            if e["todo"] > 1:
                self._bar(e["todo"], "processing")
        elif kind == "waiting":
            common.err(f"voc: workspace busy ({e['holder'] or 'another process'}); "
                       f"waiting up to {e['wait_s']:.0f} s")
        elif kind == "input":
            if e["status"] == "failed":
                self._err(f"voc: {e['source']}: {e.get('reason')}")
            if self.advance and e["status"] in ("done", "failed") and "sha256" in e:
                self.advance(e["source"])
        elif kind == "stage" and e["status"] in ("skipped", "failed"):
            self._err(f"voc: stage {e['stage']} {e['status']}: {e['reason']}")

    def _bar(self, total: int, label: str) -> None:
        self.bar = common.progress(total, label)
        self.advance = self.bar.__enter__()

    def _err(self, msg: str) -> None:
        if self.bar and self.bar._bar:
            from voc.errors import one_line

            self.bar._bar.console.print(one_line(msg), markup=False, highlight=False, soft_wrap=True)
        else:
            common.err(msg)

    def close(self) -> None:
        if self.bar:
            self.bar.__exit__(None, None, None)
        self.bar = self.advance = None

    def done(self, s: dict) -> None:
        if self.as_json:
            common.echo_json({"event": "summary", **s})
            return
        common.err(summary_line(s))


def _start_line(e: dict) -> str:
    parts = [f"run {e['run_id']}: {e['inputs']} inputs", f"{e['todo']} to process"]
    if e["skipped"]:
        parts.append(f"{e['skipped']} already stored")
    for k, label in (("duplicates", "with the same bytes as another"),
                     ("failed_before", "failed before (--retry-failed)"), ("unreadable", "unreadable")):
        if e[k]:
            parts.append(f"{e[k]} {label}")
    if e["resumed_after"]:
        parts.append(f"resuming after interrupted run {', '.join(e['resumed_after'])}")
    if e["todo"]:
        parts.append(f"engine {e['engine']}, {e['workers'] or 'auto'} workers")
    return ", ".join(parts)


def summary_line(s: dict) -> str:
    broken = (f"; stages that could not run: {', '.join(s['stages_failed'])}"
              if s.get("stages_failed") else "")
    if s["nothing_to_do"]:
        msg = f"nothing to do: all {s['inputs']} inputs are already stored"
        if s["failed_before"]:
            msg += f" or failed before ({s['failed_before']}; --retry-failed tries them again)"
        return msg + broken
    if not s["succeeded"] and not s["failed"] and s["stages_run"]:  # a killed night, finished
        return (f"all {s['inputs']} inputs were already stored; finished the stages an earlier run "
                f"left undone: {', '.join(s['stages_run'])}" + broken + f" (run {s['run_id']})")
    msg = (f"processed {s['succeeded']} inputs ({s['audio_seconds']:.0f} s of audio) in "
           f"{s['seconds']:.1f} s; {s['failed']} failed, {s['skipped']} already stored")
    if s["failed_before"]:
        msg += f", {s['failed_before']} failed before"
    if s["stage_failed"]:
        msg += f", {s['stage_failed']} stage failures"
    return msg + broken + f" (run {s['run_id']})"
