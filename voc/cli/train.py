"""`voc train sentiment|category|risk --input CSV --text-col C --label-col C --out DIR`"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from voc.cli import common


class Kind(str, Enum):
    sentiment = "sentiment"
    category = "category"
    risk = "risk"


@common.handle_errors
def train(
    kind: Kind = typer.Argument(..., help="sentiment, category or risk."),
    input: Path = typer.Option(..., "--input", "-i", help="Labelled CSV/TSV/XLSX/JSONL."),
    text_col: str = typer.Option(..., "--text-col", help="Text column (name or 0-based index)."),
    label_col: str = typer.Option(..., "--label-col", help="Label column (name or 0-based index)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for the model, metrics and card."),
    risk_rules: Path = typer.Option(None, "--risk-rules", help="Rules YAML (risk only)."),
    as_json: bool = typer.Option(False, "--json", help="Print the held-out metrics as one JSON object on stdout (the "
                                                        "metrics.json written beside the model: task, "
                                                        "scores on the held-out split, model file and "
                                                        "sha256, versions)."),
):
    """Train a model on labelled texts; held-out metrics are written beside it."""
    if kind is Kind.sentiment:
        from voc.analyze.sentiment import train_sentiment

        metrics = train_sentiment(input, text_col, label_col, out)
    elif kind is Kind.category:
        from voc.analyze.category import train_category

        metrics = train_category(input, text_col, label_col, out)
    else:
        from voc.analyze.labelled import read_labelled
        from voc.analyze.risk import load_rules
        from voc.analyze.risk_model import train_risk

        texts, labels = read_labelled(input, text_col, label_col)
        metrics = train_risk(texts, labels, out, load_rules(risk_rules))
    if as_json:
        common.echo_json(metrics)
    else:
        shown = {k: v for k, v in metrics.items() if isinstance(v, (int, float, str))}
        common.err(f"trained {kind.value} model -> {out}")
        for k, v in shown.items():
            common.err(f"  {k}: {round(v, 4) if isinstance(v, float) else v}")
