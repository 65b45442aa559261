"""Complaint category: a classifier for the regulator-style complaint taxonomy.

`train_category` trains on a labelled CSV (char 1-3-gram TF-IDF, logistic regression with balanced
class weights: the recipe that won 5-fold CV on celine_train alone against LinearSVC with 1-2 or
1-3 grams and C 0.1/0.3, see docs/analysis.md) and writes model,
metrics.json (macro-F1, confusion matrix on a held-out split) and MODEL_CARD.md into a folder;
`CategoryModel.load(folder).predict(texts)` applies it. The model is the user's artefact.
"""

from __future__ import annotations

from pathlib import Path

from voc.analyze import textmodel as tm
from voc.errors import InputError

RECIPE = tm.Recipe(char_ngrams=(1, 3), min_df=2, classifier="lr", C=1.0, class_weight="balanced")


class CategoryModel:
    def __init__(self, model, metrics: dict, path: Path | None = None):
        self.model, self.metrics, self.path = model, metrics, path

    @classmethod
    def load(cls, model_dir) -> "CategoryModel":
        model, metrics = tm.load(model_dir)
        return cls(model, metrics, Path(model_dir))

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.model.classes_]

    def predict(self, texts) -> list[tuple[str, float]]:
        """(category, score in [0, 1]) per text."""
        return tm.predict(self.model, texts)

    def info(self) -> dict:
        m = self.metrics
        return {"path": str(self.path) if self.path else None, "sha256": m.get("model_sha256"),
                "labels": self.labels, "macro_f1": m.get("macro_f1"),
                "trained_on": (m.get("data") or {}).get("source")}


def parse_label_names(spec: str) -> dict[str, str]:
    """'0=催收行为类,1=其他类' -> {'0': '催收行为类', '1': '其他类'}."""
    out = {}
    for part in filter(None, (p.strip() for p in spec.replace("，", ",").split(","))):
        raw, sep, name = part.partition("=")
        if not sep or not raw.strip() or not name.strip():
            raise ValueError(f"label name {part!r} is not of the form raw=name")
        out[raw.strip()] = name.strip()
    return out


def train_category(csv, text_col, label_col, out_dir, *, seed: int = 0, test_size: float = 0.2,
                   label_names: dict[str, str] | str | None = None, header: bool | None = None,
                   recipe: tm.Recipe | None = None) -> dict:
    """Train and evaluate on a stratified held-out split; returns the metrics it wrote."""
    from voc.models import sha256_file

    data = tm.read_labelled(csv, text_col, label_col, header=header)
    labels = data.labels
    if label_names:
        names = parse_label_names(label_names) if isinstance(label_names, str) else label_names
        missing = sorted(set(labels) - set(names))
        if missing:
            raise InputError(csv, f"labels without a name: {', '.join(missing[:10])}; names given "
                                  f"for {', '.join(names)}")
        labels = [names[x] for x in labels]
    source = {"source": str(csv), "sha256": sha256_file(Path(csv)), "text_col": str(text_col),
              "label_col": str(label_col), "n_rows": len(data.texts),
              "n_skipped": len(data.skipped), "skipped_first": data.skipped[:10]}
    try:
        fe = tm.fit_evaluate(data.texts, labels, seed=seed, test_size=test_size,
                             recipe=recipe or RECIPE)
    except ValueError as e:
        raise InputError(csv, f"column {label_col}: {e}") from None
    card = {"title": "voc complaint-category model",
            "Data": f"`{csv}` (sha256 {source['sha256']}), text column {text_col}, label column "
                    f"{label_col}: {len(data.texts)} rows used, {len(data.skipped)} skipped."}
    if fe.metrics["recipe"]["classifier"] == "svc":
        card["Scores"] = ("`score` is the softmax of the SVM decision values with one temperature "
                          "fitted on out-of-fold decisions of the training split.")
    return tm.save(fe.model, out_dir, {**fe.metrics, "task": "category", "data": source}, card)
