"""`voc topics INPUT --out DIR` (fit) and `voc topics assign INPUT --model DIR --out DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

from voc.cli import common


class _FitByDefault(TyperGroup):
    """`voc topics INPUT ...` means `voc topics fit INPUT ...` (the DESIGN contract)."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["fit", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_FitByDefault, no_args_is_help=True,
                  help="Topics of customer contacts (BERTopic): `voc topics INPUT --out DIR` "
                       "fits and assigns; `voc topics assign` maps a new night onto a saved model.")

TEXT_COL = typer.Option(None, "--text-col", help="Text column (name or 0-based index).")
ID_COL = typer.Option(None, "--id-col", help="Id column (else a stable row id).")
TIME_COL = typer.Option(None, "--time-col", help="Time column: topics per day/week.")
GROUP_COL = typer.Option(None, "--group-col", help="Rows with the same value form one dialogue.")
ROLE_COL = typer.Option(None, "--role-col", help="Speaker role column (客服/客户…).")
CLASS_COL = typer.Option(None, "--class-col", "-c",
                         help="Column to break topics down by (product line, team...), or "
                              "channel, or risk_level/sentiment/category from stored analyses. "
                              "Repeatable.")
FREQ = typer.Option(None, "--freq", help="Trend period: day or week (setting topics.freq).")
ROLES = typer.Option(None, "--roles",
                     help="Whose utterances: customer (default), agent, unknown or all; "
                          "comma-separated.")
NO_REDACT = typer.Option(False, "--no-redact",
                         help="Keep card/ID/phone numbers in topic texts (recorded with the run).")
NO_STORE = typer.Option(False, "--no-store", help="Do not write to the workspace.")
AS_JSON = typer.Option(False, "--json", help="Print the summary as one JSON object on stdout: run_id, model_id, "
                                             "texts, topics or unassigned/emerging, files written, "
                                             "seconds_total (the run), bad_rows.")


def _classes(class_col: Optional[List[str]]) -> list[str]:
    return [c for c in (class_col or []) if c]


def _done(run, summary, as_json, line):
    if as_json:
        common.echo_json({**summary, "run_id": run.id})
    else:
        common.err(line)
    if summary["bad_rows"]:
        raise typer.Exit(1)


@app.command("fit")
@common.handle_errors
def fit(
    input: Path = typer.Argument(..., help="transcripts.jsonl, or a CSV/TSV/JSONL/XLSX of texts."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for assignments.csv, topics, "
                                                     "charts and the model (DIR/model)."),
    text_col: Optional[str] = TEXT_COL, id_col: Optional[str] = ID_COL,
    time_col: Optional[str] = TIME_COL, group_col: Optional[str] = GROUP_COL,
    role_col: Optional[str] = ROLE_COL, class_col: Optional[List[str]] = CLASS_COL,
    roles: Optional[str] = ROLES,
    mode: Optional[str] = typer.Option(None, "--mode", help="free (discovery), guided (seeded by "
                                       "the taxonomy) or zeroshot."),
    taxonomy: Optional[Path] = typer.Option(None, "--taxonomy", help="Your taxonomy YAML "
                                            "(default: the packaged banking taxonomy)."),
    embedding: Optional[str] = typer.Option(None, "--embedding", help="lsa (default), lsa-char, "
                                            "lsa-mix, a model name or a sentence-transformers folder."),
    min_cluster_size: Optional[int] = typer.Option(None, "--min-cluster-size",
                                                   help="Smallest topic (0 = 1 % of the texts)."),
    nr_topics: Optional[int] = typer.Option(None, "--nr-topics", help="Reduce to this many "
                                            "topics (0 = keep what is found)."),
    outliers: Optional[str] = typer.Option(None, "--outliers", help="reduce_outliers strategy "
                                           "(embeddings, c-tf-idf, distributions) or none."),
    seed: Optional[int] = typer.Option(None, "--seed", help="random_state (same input and seed, "
                                       "same topics)."),
    freq: Optional[str] = FREQ,
    workspace: Optional[Path] = common.WORKSPACE_OPT,
    no_redact: bool = NO_REDACT, no_store: bool = NO_STORE, as_json: bool = AS_JSON,
):
    """Fit topics on the contacts and assign each one (the customer's side by default)."""
    from voc.config import models_dir
    from voc.sources import read_records
    from voc.topics.options import TopicOptions
    from voc.topics.pipeline import fit_batch

    cfg = common.settings(**{"workspace.path": str(workspace) if workspace else None,
                             "privacy.redact": False if no_redact else None,
                             "topics.freq": freq})
    opts = TopicOptions.from_settings(
        cfg, roles=roles, mode=mode, taxonomy=str(taxonomy) if taxonomy else None,
        embedding=embedding, min_cluster_size=min_cluster_size, nr_topics=nr_topics,
        outliers=outliers, random_state=seed)
    records = read_records(input, text_col=text_col, id_col=id_col, time_col=time_col,
                           group_col=group_col, role_col=role_col)
    run_cfg = cfg.flat() | {"topics": opts.to_dict()}
    with common.workspace(cfg, no_store) as ws, common.run(ws, "topics", run_cfg) as run, \
            common.rows("reading") as track:
        s = fit_batch(track(records), opts, out, run, classes=_classes(class_col), freq=cfg["topics.freq"],
                      models_root=models_dir(cfg), redact=cfg["privacy.redact"],
                      keep_last=cfg["privacy.keep_last"], on_note=lambda m: common.err(f"voc: {m}"),
                      on_step=None if as_json else lambda m: common.err(f"voc topics: {m}"))
    _done(run, s, as_json, f"{s['texts']} texts -> {s['topics']} topics, {_fit_note(s)} "
                           f"{common.timing(s['seconds_total'])} -> {out}")


def _fit_note(s: dict) -> str:
    """How the texts were placed: 未归类 left, noise that joined a topic, and a sampled fit."""
    rep = s.get("fit_report") or {}
    note = (f"{s['outliers']} 未归类 ({s['outliers_clustered']} outliers, "
            f"{rep.get('reassigned', 0)} joined their nearest topic)")
    if rep.get("sampled"):
        note += (f"; topics found on a sample of {rep['sampled']:,} texts, the rest placed by a "
                 f"classifier that agrees with the sample's topics on {rep['classifier_agreement']:.0%} held out")
    return note


@app.command("assign")
@common.handle_errors
def assign(
    input: Path = typer.Argument(..., help="transcripts.jsonl, or a CSV/TSV/JSONL/XLSX of texts."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for assignments.csv, emerging.csv "
                                                     "and charts."),
    model: Optional[Path] = typer.Option(None, "--model", "-m", help="A `voc topics --out` "
                                         "folder or its model/ (default: setting topics.model)."),
    text_col: Optional[str] = TEXT_COL, id_col: Optional[str] = ID_COL,
    time_col: Optional[str] = TIME_COL, group_col: Optional[str] = GROUP_COL,
    role_col: Optional[str] = ROLE_COL, class_col: Optional[List[str]] = CLASS_COL,
    roles: Optional[str] = ROLES,
    emerging_min_size: Optional[int] = typer.Option(None, "--emerging-min-size",
                                                    help="Smallest group of unfit texts "
                                                         "reported as an emerging topic."),
    freq: Optional[str] = FREQ,
    workspace: Optional[Path] = common.WORKSPACE_OPT,
    no_redact: bool = NO_REDACT, no_store: bool = NO_STORE, as_json: bool = AS_JSON,
):
    """Map new contacts onto a saved topic model; unfit texts that group are emerging topics."""
    from voc.config import models_dir
    from voc.errors import ConfigError
    from voc.sources import read_records
    from voc.topics.model import TopicModel
    from voc.topics.pipeline import assign_batch

    cfg = common.settings(**{"workspace.path": str(workspace) if workspace else None,
                             "privacy.redact": False if no_redact else None,
                             "topics.model": str(model) if model else None, "topics.freq": freq})
    if not cfg["topics.model"]:
        raise ConfigError("which model? give --model DIR (a `voc topics INPUT --out DIR` folder) "
                          "or set topics.model")
    tm = TopicModel.load(cfg["topics.model"], models_root=models_dir(cfg))
    records = read_records(input, text_col=text_col, id_col=id_col, time_col=time_col,
                           group_col=group_col, role_col=role_col)
    with common.workspace(cfg, no_store) as ws, common.run(ws, "topics assign", cfg) as run, \
            common.rows("reading") as track:
        s = assign_batch(track(records), tm, out, run, roles=roles.split(",") if roles else None,
                         classes=_classes(class_col), freq=cfg["topics.freq"],
                         emerging_min_size=emerging_min_size, model_path=str(cfg["topics.model"]),
                         redact=cfg["privacy.redact"], keep_last=cfg["privacy.keep_last"],
                         on_note=lambda m: common.err(f"voc: {m}"))
    em = s["emerging"]
    _done(run, s, as_json,
          f"{s['texts']} texts assigned ({s['unassigned']} fit no topic; {len(em)} emerging"
          + (": " + "; ".join(f"{g['label']} ({g['size']})" for g in em[:5]) if em else "")
          + ")" + ("; share rose: " + "; ".join(f"{r['topic_label']} {r['previous_share']:.0%}→{r['share']:.0%}"
                                                 for r in s.get("rising", [])[:3]) if s.get("rising") else "")
          + f" {common.timing(s['seconds_total'])} -> {out}")
