"""Assign new texts to a saved topic model and report emerging topics.

A text goes to the topic whose centroid is most similar (cosine of the model's embeddings).
Its fit score is that similarity times the share of its words the embedder knows; below the
model's threshold (a low quantile of the training texts' scores) it fits no topic (-1).
Unfit texts that group together are emerging topics: they are clustered with HDBSCAN (see
`cluster_unfit`); a group of at least `emerging_min_size` texts (or 0.2 % of the night)
whose texts share words, are alike (coherence at least the fit's `coherence_floor`) and are
not agent script gets keywords by c-TF-IDF against the rest of the night's texts and a label
"新话题E1：…".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from voc.topics.embed import clear_token_cache, topic_tokens
from voc.topics.model import OUTLIER_LABEL, TopicModel

SHARED = 0.25  # an emerging topic's keywords each occur in at least this share of its texts


@dataclass
class Emerging:
    key: str  # E1, E2, ... by size
    size: int
    keywords: list[str]
    label: str
    representative: list[str]
    nearest_topic: int
    nearest_label: str
    nearest_similarity: float

    def to_dict(self) -> dict:
        return {"emerging": self.key, "size": self.size, "label": self.label,
                "keywords": self.keywords, "representative": self.representative,
                "nearest_topic": self.nearest_topic, "nearest_label": self.nearest_label,
                "nearest_similarity": round(self.nearest_similarity, 4)}


@dataclass
class AssignResult:
    topics: list[int]
    scores: list[float]
    emerging: list[str | None]  # E-key per text, or None
    groups: list[Emerging] = field(default_factory=list)

    def labels(self, model: TopicModel) -> list[str]:
        by_key = {g.key: g.label for g in self.groups}
        return [by_key[e] if e else (model.label(t) if t != -1 else OUTLIER_LABEL)
                for t, e in zip(self.topics, self.emerging)]


def assign_texts(model: TopicModel, texts: list[str], *, emerging_min_size: int | None = None,
                 random_state: int | None = None) -> AssignResult:
    """Topic per normalised text, and emerging topics among the texts that fit none."""
    emb = model.embed(texts)
    topics, scores = model.assign(texts, embeddings=emb)
    # a bigger night needs a bigger group to call it a topic: 0.2 % of the texts, at least the
    # model's emerging_min_size (5 by default; 20 for a night of 10,000)
    min_size = emerging_min_size or max(model.opts.emerging_min_size, round(0.002 * len(texts)))
    unfit = np.flatnonzero(np.asarray(topics) == -1)
    keys: list[str | None] = [None] * len(texts)
    groups: list[Emerging] = []
    if len(unfit) >= max(min_size, 3):
        rs = model.opts.random_state if random_state is None else random_state
        labels, vecs = cluster_unfit(model, [texts[i] for i in unfit], emb[unfit], min_size, rs)
        for raw, g in _describe(model, texts, emb, unfit, labels, vecs):
            groups.append(g)
            for i in unfit[labels == raw]:
                keys[i] = g.key
    clear_token_cache()
    return AssignResult(topics=topics, scores=[float(s) for s in scores], emerging=keys,
                        groups=groups)


def cluster_unfit(model: TopicModel, texts: list[str], emb: np.ndarray, min_size: int,
                  random_state: int) -> tuple[np.ndarray, np.ndarray]:
    """(HDBSCAN labels with -1 = noise, vectors) of the unfit texts.

    New topics are often made of words the model never saw, which an LSA embedder fitted on
    the training texts cannot see either: with LSA the unfit texts get a small LSA of their
    own (10 dimensions); a sentence-transformers embedding is used as it is, after PCA to 10
    dimensions. Both are deterministic and need no numba compilation.
    """
    from hdbscan import HDBSCAN
    from sklearn.decomposition import PCA

    from voc.topics.embed import LsaEmbedder

    if isinstance(model.embedder, LsaEmbedder):
        try:
            x = LsaEmbedder(model.embedder.analyzer, dims=10, random_state=random_state,
                            min_df=2).fit_embed(texts)
        except ValueError:  # no word occurs twice: nothing groups
            return np.full(len(texts), -1), np.zeros((len(texts), 1), dtype=np.float32)
    else:
        x = emb
        if x.shape[1] > 10 and len(x) > 10:
            x = PCA(n_components=10, random_state=random_state).fit_transform(x)
    labels = HDBSCAN(min_cluster_size=max(2, min_size), min_samples=max(2, min(min_size, 3)),
                     metric="euclidean", cluster_selection_method="eom",
                     allow_single_cluster=True).fit(x).labels_  # one new topic is a result too
    return labels, x


def _describe(model: TopicModel, texts, emb, unfit, labels, vecs) -> list[tuple[int, Emerging]]:
    """(cluster label, Emerging) per accepted group, numbered E1, E2, ... by size.

    A group is an emerging topic only when its texts share vocabulary: at least two words
    that each occur in `SHARED` of its texts (a clump of unrelated leftovers has none).
    Keywords are those shared words ranked by c-TF-IDF of the group against every other text
    of the night; representative texts are nearest the group's centre; the nearest existing
    topic says what it is closest to.
    """
    import scipy.sparse as sp
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    raw = sorted({int(k) for k in labels if k != -1},
                 key=lambda k: (-int((labels == k).sum()), k))
    if not raw:
        return []
    members = {k: unfit[labels == k] for k in raw}
    cls = np.full(len(texts), len(raw))  # the last class: every other text (the background)
    for n, k in enumerate(raw):
        cls[members[k]] = n
    try:
        cv = CountVectorizer(analyzer=topic_tokens)
        counts = cv.fit_transform(texts)
    except ValueError:  # no words at all
        return []
    onehot = sp.csr_matrix((np.ones(len(texts)), (cls, np.arange(len(texts)))),
                           shape=(len(raw) + 1, len(texts)))
    weights = ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(onehot @ counts)
    present = (onehot @ (counts > 0).astype(np.float32)).tocsr()  # texts per group with word
    vocab = np.asarray(cv.get_feature_names_out())
    out = []
    for n, k in enumerate(raw):
        idx = members[k]
        shared = np.asarray(present[n].todense()).ravel() >= max(2.0, SHARED * len(idx))
        row = np.asarray(weights[n].todense()).ravel() * shared
        words = [str(vocab[j]) for j in row.argsort()[::-1][:10] if row[j] > 0]
        if len(words) < 2 or not _customer_driven([texts[i] for i in idx]) or \
                not _coherent(model, emb[idx]):
            continue
        own = vecs[labels == k]
        rep = idx[np.argsort(-(own @ own.mean(axis=0)), kind="stable")[:3]]
        nearest, sim = _nearest(model, emb[idx].mean(axis=0))
        key = f"E{len(out) + 1}"
        out.append((k, Emerging(key, len(idx), words, f"新话题{key}：" + "·".join(words[:3]),
                                [texts[i][:200] for i in rep], nearest,
                                model.label(nearest) if nearest != -1 else OUTLIER_LABEL, sim)))
    return out


def _customer_driven(texts: list[str], max_script: float = 0.3) -> bool:
    """A group whose texts are mostly agent script (greetings, names, closings) is no topic."""
    from voc.text.script import script_share

    return float(np.mean([script_share(t) for t in texts])) <= max_script


def _coherent(model: TopicModel, vecs: np.ndarray) -> bool:
    """A group is a topic only when its texts are as alike as the model's own topics usually
    are (coherence at least the fit's `coherence_floor`; sentence embedders only: an LSA model
    cannot see the new words that hold a new topic together)."""
    from voc.topics.cluster import _unit, coherence

    floor = (model.fit_report or {}).get("coherence_floor")
    if not floor or getattr(model.embedder, "kind", "") == "lsa":
        return True
    return coherence(_unit(np.asarray(vecs, dtype=np.float32))) >= floor


def _nearest(model: TopicModel, vec: np.ndarray) -> tuple[int, float]:
    if model.centroids is None or not model.topic_ids:
        return -1, 0.0
    v = vec / (np.linalg.norm(vec) or 1.0)
    sims = model.centroids @ v
    j = int(sims.argmax())
    return model.topic_ids[j], float(sims[j])
