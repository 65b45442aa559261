"""`voc config show`"""

from __future__ import annotations

import typer

from voc.cli import common

app = typer.Typer(no_args_is_help=True, help="Inspect settings.")


@app.command()
@common.handle_errors
def show(as_json: bool = typer.Option(False, "--json", help="JSON lines on stdout.")):
    """Effective settings and where each came from (default, VOC_CONFIG file, VOC_* env)."""
    cfg = common.settings()
    rows = cfg.rows()
    if as_json:
        for key, value, source in rows:
            common.echo_json({"key": key, "value": value, "source": source})
        return
    from rich.console import Console
    from rich.table import Table

    t = Table("setting", "value", "source")
    for key, value, source in rows:
        t.add_row(key, ", ".join(map(str, value)) if isinstance(value, list) else str(value), source)
    Console().print(t)
