"""`voc config show`"""

from __future__ import annotations

import typer

from voc.cli import common

app = typer.Typer(no_args_is_help=True, help="Inspect settings.")


@app.command()
@common.handle_errors
def show(as_json: bool = typer.Option(False, "--json", help="One JSON object a line on stdout, per setting: key, "
                                                                 "value, source (default, file, env, flag) and, "
                                                                 "where derived, effective.")):
    """Effective settings and where each came from (default, VOC_CONFIG file, VOC_* env).

    A path setting left empty shows what voc uses instead (the data directory, the packaged
    rules, ...); --json gives it as "effective".
    """
    from voc.config import DEFAULT_CONFIG
    from voc.paths import effective

    cfg = common.settings()
    rows = cfg.rows()
    derived = effective(cfg)
    if as_json:
        for key, value, source in rows:
            row = {"key": key, "value": value, "source": source}
            if key in derived:
                row["effective"] = derived[key][0]
            common.echo_json(row)
        return
    from rich.console import Console
    from rich.table import Table

    # values (paths) and sources are folded, never cut with an ellipsis
    t = Table(caption=f"defaults: {DEFAULT_CONFIG}")
    t.add_column("setting", no_wrap=True, min_width=max(len(k) for k, _, _ in rows))
    t.add_column("value", overflow="fold")
    t.add_column("source", overflow="fold")
    for key, value, source in rows:
        if key in derived:  # empty: show what is used instead, and why
            value, source = derived[key][0], f"{source}: {derived[key][1]}"
        t.add_row(key, ", ".join(map(str, value)) if isinstance(value, list) else str(value), source)
    Console().print(t)
