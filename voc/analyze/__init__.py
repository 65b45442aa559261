"""Text analysis: sentiment, complaint risk, complaint category and the models behind them.

`textmodel` is the shared text classifier (char n-gram TF-IDF + a linear model, saved with its
metrics and a model card); `sentiment` and `category` build on it; `pipeline` runs a batch.
"""
