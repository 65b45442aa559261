"""The `voc` command: one Typer app, one file per command group, imports kept lazy.

`voc --help` must not import torch, funasr or bertopic: command modules import heavy
libraries inside their functions only.
"""

from __future__ import annotations

import sys

import typer

from voc.cli import common
from voc.cli.analyze import analyze
from voc.cli.config_cmd import app as config_app
from voc.cli.demo import app as demo_app
from voc.cli.export import export
from voc.cli.inspect_cmd import inspect
from voc.cli.models_cmd import app as models_app
from voc.cli.report import report
from voc.cli.review import app as review_app
from voc.cli.run import run
from voc.cli.topics import app as topics_app
from voc.cli.train import train
from voc.cli.transcribe import transcribe

app = typer.Typer(name="voc", no_args_is_help=True, add_completion=False,
                  help="Voice of customer for Chinese bank contact centres: transcribe, analyse, "
                       "inspect and report on calls and text contacts, offline.")


def _print_version(value: bool) -> None:
    if value:
        from voc import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
          version: bool = typer.Option(False, "--version", help="Print the version and exit.",
                                       is_eager=True, callback=_print_version)):
    common.STATE["debug"] = debug


app.command("transcribe")(transcribe)
app.command("analyze")(analyze)
app.command("inspect")(inspect)
app.command("run")(run)
app.command("train")(train)
app.command("report")(report)
app.command("export")(export)
app.add_typer(models_app, name="models")
app.add_typer(config_app, name="config")
app.add_typer(demo_app, name="demo")
app.add_typer(review_app, name="review")
app.add_typer(topics_app, name="topics")


def _examples(typer_app, path: str = "") -> None:
    """Every command's --help ends with its examples (voc/cli/examples.py)."""
    from voc.cli.examples import epilog

    typer_app.info.epilog = typer_app.info.epilog or epilog(path)
    for c in typer_app.registered_commands:
        name = c.name or c.callback.__name__.replace("_", "-")
        c.epilog = c.epilog or epilog(f"{path} {name}".strip())
    for g in typer_app.registered_groups:
        g.epilog = g.epilog or epilog(f"{path} {g.name}".strip())
        _examples(g.typer_instance, f"{path} {g.name}".strip())


_examples(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        print("voc: interrupted", file=sys.stderr)
        sys.exit(130)
