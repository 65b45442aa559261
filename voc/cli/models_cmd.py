"""`voc models list | fetch | verify | path`"""

from __future__ import annotations

from typing import List, Optional

import typer

from voc.cli import common

app = typer.Typer(no_args_is_help=True, help="List, fetch and verify models (offline after fetch).")


def _root():
    from voc.config import models_dir

    return models_dir(common.settings())


@app.command("list")
@common.handle_errors
def list_(as_json: bool = typer.Option(False, "--json", help="One JSON object a line on stdout, per model: "
                                                             "name, engine, role, installed, source, revision, "
                                                             "description.")):
    """Models in the manifest and whether each is installed in the models folder."""
    from voc import models

    root = _root()
    rows = [{"name": s.name, "engine": s.engine, "role": s.role, "installed": models.is_installed(s.name, root),
             "source": s.source, "revision": s.revision, "description": s.description}
            for s in models.load_manifest().values()]
    if as_json:
        for r in rows:
            common.echo_json(r)
        return
    # fits 80 columns: names are what the user types next (never cut), descriptions fold;
    # engines, sources and revisions are in --json and `voc models verify`
    common.table(["name", "role", "installed", "description"],
                 [[r["name"], r["role"], "yes" if r["installed"] else "no", r["description"]]
                  for r in rows], wrap=("description",), width=80)


@app.command()
@common.handle_errors
def fetch(names: List[str] = typer.Argument(..., help="Model names from `voc models list`."),
          force: bool = typer.Option(False, "--force", help="Fetch again even if installed.")):
    """Install models. The only command that may use the network (hub sources)."""
    from voc import models

    root = _root()
    for name in names:
        d = models.fetch(name, root, force=force)
        common.err(f"{name}: installed and verified in {d}")


@app.command()
@common.handle_errors
def verify(names: Optional[List[str]] = typer.Argument(None, help="Default: every installed model."),
           as_json: bool = typer.Option(False, "--json",
                                        help="One JSON object a line on stdout, per model: name, ok, files "
                                             "(file, expected and actual sha256, ok).")):
    """Check every file of installed models against its sha256."""
    from voc import models

    root = _root()
    names = names or [n for n in models.load_manifest() if models.is_installed(n, root)]
    bad = 0
    for name in names:
        rows = models.verify(name, root)
        ok = all(r["ok"] for r in rows)
        bad += not ok
        if as_json:
            common.echo_json({"name": name, "ok": ok, "files": rows})
        else:
            typer.echo(f"{name}: {'ok' if ok else 'FAILED'} ({len(rows)} files)")
            for r in rows:
                if not r["ok"]:
                    typer.echo(f"  {r['file']}: expected {r['expected'][:16]}…, got {r['actual'][:16]}…")
    if not names:
        common.err("no models installed")
    if bad:
        raise typer.Exit(1)


@app.command()
@common.handle_errors
def path(name: str = typer.Argument(..., help="Model name.")):
    """Print the directory where a model lives (installed or not)."""
    from voc import models

    models.spec(name)
    typer.echo(str(models.model_dir(name, _root())))
