"""Fit the packaged dissatisfaction coefficients (voc/data/dissatisfaction.json) on STC-3.

    .venv/bin/python scripts/fit_dissatisfaction.py [../shared/data/text/stc3_dev.json]

Features come from the default sentiment model (trained at first use under a temporary models
folder unless VOC_MODELS_DIR is set); the file records the repeated stratified CV figures of the
same recipe on the same dialogues. No text of STC-3 is written, only the 19 coefficients and the
feature means and scales.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voc.analyze import dissatisfaction as ds  # noqa: E402
from voc.analyze.sentiment import default_sentiment  # noqa: E402
from voc.models import sha256_file  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "text" / "stc3_dev.json"


def main(path: Path = DEFAULT_DATA, models_root: str | None = None) -> dict:
    import os

    root = models_root or os.environ.get("VOC_MODELS_DIR") or tempfile.mkdtemp(prefix="voc-models-")
    sentiment = default_sentiment(root)
    dialogues, _, y = ds.stc3_dialogues(path)
    X = ds.dialogue_features(dialogues, sentiment)
    metrics = ds.cross_validate(X, y)
    metrics.update(data=f"STC-3 DialEval Chinese dev ({path.name}, sha256 {sha256_file(path)}): "
                        "dissatisfied = mean annotator S < 0; the data set states no licence and no "
                        "text of it is carried, only these coefficients",
                   sentiment_model=sentiment.info().get("sha256"), C=1.0)
    ds.fit(X, y, 1.0).save(ds.DEFAULT_FILE, metrics)
    return metrics


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA))
