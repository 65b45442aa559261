"""Test scaffolding for `voc run` subprocesses and workers (put this folder on PYTHONPATH).

While voc/analyze/sentiment.py (being written in parallel) is missing, a small deterministic
lexicon model stands in under its name, so the run's plumbing can be tested. Once the real
module exists this finder steps aside and the real one is used.
"""

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

FAKE = Path(__file__).with_name("fake_sentiment.py")


class _SentimentStandIn(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "voc.analyze.sentiment":
            return None
        if importlib.machinery.PathFinder.find_spec(name, path) is not None:
            return None  # the real module is there
        return importlib.util.spec_from_file_location(name, FAKE)


if not any(isinstance(f, _SentimentStandIn) for f in sys.meta_path):
    sys.meta_path.insert(0, _SentimentStandIn())
