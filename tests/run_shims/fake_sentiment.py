"""A deterministic lexicon sentiment model standing in for voc.analyze.sentiment in tests."""

import numpy as np

POSITIVE = "好谢满意欢迎可以行"
NEGATIVE = "不差投诉慢问题停滞"


class LexiconSentiment:
    def positive(self, texts):
        out = []
        for t in texts:
            p = sum(t.count(c) for c in POSITIVE)
            n = sum(t.count(c) for c in NEGATIVE)
            out.append((p + 1) / (p + n + 2))
        return np.array(out, dtype=float)

    def label(self, p):
        return "positive" if p > 0.6 else "negative" if p < 0.4 else "neutral"

    def info(self):
        return {"name": "test-lexicon", "sha256": "0" * 64}


def default_sentiment(models_root=None):
    return LexiconSentiment()


def load_sentiment(folder):
    return LexiconSentiment()
