"""`voc demo generate --out DIR`"""

from __future__ import annotations

from pathlib import Path

import typer

from voc.cli import common

app = typer.Typer(no_args_is_help=True, help="The generated demo set of banking calls.")


@app.command()
@common.handle_errors
def generate(out: Path = typer.Option(Path("demo"), "--out", "-o", help="Folder to write into."),
             calls: int = typer.Option(200, "--calls", "-n", min=1, help="Number of contacts."),
             seed: int = typer.Option(7, "--seed", help="Same seed, same demo set."),
             workspace: Path = common.WORKSPACE_OPT,
             no_redact: bool = typer.Option(False, "--no-redact",
                                            help="Store the made-up card/ID numbers unmasked."),
             no_store: bool = typer.Option(False, "--no-store", help="Do not write to the workspace.")):
    """Write scripted banking dialogues as transcripts.jsonl (and store them in the workspace)."""
    from voc import demo
    from voc.schema import read_transcripts
    from voc.store import Workspace, default_path
    from voc.transcribe import redact

    path = demo.write(out, n_calls=calls, seed=seed)
    n = 0
    if not no_store:
        cfg = common.settings(**{"workspace.path": str(workspace) if workspace else None,
                                 "privacy.redact": False if no_redact else None})
        with Workspace(default_path(cfg)) as ws, ws.run(
                "demo generate", {"calls": calls, "seed": seed,
                                  "privacy.redact": cfg["privacy.redact"]}, inputs=calls) as run:
            # the demo files keep their made-up card and ID numbers (redaction has work to do);
            # the workspace, like every store, gets them redacted
            ts = [redact(t, cfg["privacy.redact"], cfg["privacy.keep_last"])
                  for t in read_transcripts(path)]
            ws.save_transcripts(ts, run.id)
            n = len(ts)
            run.ok(n)
    common.err(f"wrote {calls} demo contacts to {path}" + (" and the workspace" if n else ""))
    typer.echo(str(path))
