"""BERTopic assembled for Chinese contact-centre text: fit, label, merge, save, load, assign.

Assembly (`build_bertopic`): the embedder's vectors (voc.topics.embed), UMAP with a fixed
random_state (cosine, min_dist 0), HDBSCAN (eom), a CountVectorizer over `topic_tokens`
(jieba + banking dictionary + stopwords), `ClassTfidfTransformer(reduce_frequent_words=True)`
and language "multilingual" (BERTopic's "english" would strip every Chinese character from
the keywords). Guided mode passes the taxonomy seeds as `seed_topic_list` and as c-TF-IDF
`seed_words`; zero-shot mode passes one query per category (name + seeds).

After clustering (`fit_topics`): topics whose centroids are nearly the same are merged
(`merge_similarity`), topic centroids are recomputed from the unmodified document embeddings
(guided mode nudges them), outliers are reduced (`reduce_outliers`) in the returned
assignment, and each topic gets a readable label: the taxonomy category its keywords point to
(if any) and its top keywords, e.g. "催收｜催收·骚扰·恐吓".

Saved models are BERTopic safetensors folders (`serialization="safetensors"`,
`save_ctfidf=True`) plus the embedder (embedder/) and voc_topics.json (options, taxonomy,
labels, the assignment threshold). `TopicModel.assign` maps texts to the nearest topic centroid
(cosine) and leaves texts below the threshold unassigned (-1).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from voc.errors import InputError, ModelError
from voc.files import write_text
from voc.topics.embed import add_words, bertopic_backend, clear_token_cache, load_embedder, make_embedder, topic_tokens
from voc.topics.options import TopicOptions
from voc.topics.taxonomy import Taxonomy, load_taxonomy, match_category, taxonomy_from_dict

META_FILE = "voc_topics.json"
OUTLIER_LABEL = "未归类"
FORMAT = 1


@dataclass
class TopicRow:
    """One row of the topic table."""

    topic: int
    label: str
    size: int
    keywords: list[str]
    category: str | None = None
    matched: list[str] = field(default_factory=list)
    representative: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"topic": self.topic, "label": self.label, "size": self.size,
                "keywords": self.keywords, "category": self.category, "matched": self.matched,
                "representative": self.representative}


@dataclass
class FitResult:
    topics: list[int]  # final topic per text (outliers reduced unless outliers="none")
    clustered: list[int]  # topic per text before outlier reduction (-1 = outlier)
    table: list[TopicRow]
    model: "TopicModel"
    seconds: dict[str, float] = field(default_factory=dict)
    # how topics were balanced: HDBSCAN noise, reassigned (and their mean cosine), splits
    report: dict = field(default_factory=dict)

    def label(self, topic: int) -> str:
        return self.model.labels.get(topic, OUTLIER_LABEL)


def build_bertopic(opts: TopicOptions, n_docs: int, embedder, taxonomy: Taxonomy | None):
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    guided = opts.mode == "guided" and taxonomy is not None
    zeroshot = opts.mode == "zeroshot" and taxonomy is not None
    ctfidf = ClassTfidfTransformer(reduce_frequent_words=True,
                                   seed_words=taxonomy.seed_words() if guided else None,
                                   seed_multiplier=2)
    from bertopic.dimensionality import BaseDimensionalityReduction

    from voc.topics.cluster import BalancedClusterer

    return BERTopic(
        embedding_model=bertopic_backend(embedder),
        # UMAP runs inside the clusterer: it splits and reassigns in the sentence space
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=BalancedClusterer(
            min_cluster_size=opts.cluster_size(n_docs), min_samples=opts.samples(n_docs),
            n_neighbors=opts.n_neighbors, n_components=opts.n_components,
            selection=opts.cluster_selection, max_topic_share=opts.max_cluster_share,
            fit_quantile=opts.outlier_quantile, random_state=opts.random_state),
        # fitted on one joined document per topic: min_df would count topics and drop the
        # words that only one topic uses, its most telling keywords
        vectorizer_model=CountVectorizer(analyzer=topic_tokens),
        ctfidf_model=ctfidf,
        language="multilingual",
        top_n_words=opts.top_n_words,
        nr_topics=opts.nr_topics or None,
        seed_topic_list=taxonomy.seed_lists() if guided else None,
        zeroshot_topic_list=[c.query() for c in taxonomy.categories] if zeroshot else None,
        zeroshot_min_similarity=opts.zeroshot_min_similarity,
        calculate_probabilities=False,
        verbose=False,
    )


def _centroids(embeddings: np.ndarray, topics: np.ndarray, ids: list[int]) -> np.ndarray:
    return np.vstack([embeddings[topics == t].mean(axis=0) for t in ids]).astype(np.float32)


def _unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1
    return x / n


def merge_groups(centroids: np.ndarray, ids: list[int], threshold: float) -> list[list[int]]:
    """Groups of topics whose centroids are all at least `threshold` cosine-similar."""
    if threshold >= 1.0 or len(ids) < 2:
        return []
    from sklearn.cluster import AgglomerativeClustering

    dist = 1 - _unit(centroids) @ _unit(centroids).T
    np.fill_diagonal(dist, 0)
    labels = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="complete",
                                     distance_threshold=1 - threshold).fit(np.clip(dist, 0, 2)).labels_
    groups: dict[int, list[int]] = {}
    for t, g in zip(ids, labels):
        groups.setdefault(int(g), []).append(t)
    return [sorted(g) for g in groups.values() if len(g) > 1]


def fit_topics(texts: list[str], opts: TopicOptions | None = None, *,
               taxonomy: Taxonomy | None = None, embedder=None, models_root: Path | None = None,
               on_step=None) -> FitResult:
    """Fit topics on normalised texts (see voc.topics.pipeline for reading inputs).

    `on_step(message)` is called as each step starts (embedding, clustering, merging).
    """
    import time

    opts = opts or TopicOptions()
    clock = time.perf_counter
    step = on_step or (lambda message: None)
    if len(texts) < 10:
        raise InputError("texts", f"{len(texts)} texts: topic modelling needs at least 10")
    taxonomy = taxonomy or load_taxonomy(opts.taxonomy or None)
    add_words(taxonomy.seed_words())
    embedder = embedder or make_embedder(opts.embedding, dims=opts.lsa_dims,
                                         random_state=opts.random_state, min_df=opts.min_df,
                                         models_root=models_root)
    distinct = list(dict.fromkeys(texts))
    limit = sample_limit(opts, embedder)
    if limit and len(distinct) > limit:
        return _fit_sampled(texts, distinct, opts, taxonomy, embedder, step, limit)
    secs: dict[str, float] = {}
    step(f"embedding {len(texts)} texts ({embedder.name})")
    t0 = clock()
    emb = embedder.fit_embed(texts)
    secs["embed"] = clock() - t0
    tm = build_bertopic(opts, len(texts), embedder, taxonomy)
    step(f"clustering (UMAP + HDBSCAN, min_cluster_size {opts.cluster_size(len(texts))})")
    t0 = clock()
    try:
        topics, _ = tm.fit_transform(texts, embeddings=emb.copy())  # guided mode edits them
    except (ValueError, TypeError) as e:  # too few texts for UMAP or HDBSCAN
        raise InputError("texts", f"cannot fit topics on {len(texts)} texts "
                                  f"({type(e).__name__}: {e})") from None
    secs["cluster"] = clock() - t0
    step("merging near-duplicate topics, labelling")
    t0 = clock()
    topics = np.asarray(tm.topics_)
    clusterer = tm.hdbscan_model
    report = clusterer.report.to_dict() if hasattr(clusterer, "report") else {}
    ids = sorted(int(t) for t in set(topics.tolist()) if t != -1)
    if ids:
        groups = merge_groups(_centroids(emb, topics, ids), ids, opts.merge_similarity)
        # a merge never makes a topic bigger than the split allowed
        limit = opts.max_cluster_share * len(texts) if opts.max_cluster_share < 1 else len(texts)
        groups = [g for g in groups if sum(int((topics == t).sum()) for t in g) <= limit]
        if groups:
            tm.merge_topics(texts, groups)
            topics = np.asarray(tm.topics_)
        report["merged"] = [len(g) for g in groups]
    clustered = topics
    if getattr(clusterer, "clustered_", None) is not None and len(clusterer.clustered_) == len(topics):
        clustered = np.where(clusterer.clustered_ == -1, -1, topics)  # before reassignment
    model = TopicModel(tm, embedder, opts, taxonomy)
    model._docs = texts
    model.set_centroids(emb, topics, embedder.coverage(texts))
    final = topics
    if opts.outliers != "none" and (topics == -1).any() and (topics != -1).any():
        final = np.asarray(tm.reduce_outliers(texts, topics.tolist(), strategy=opts.outliers,
                                              embeddings=emb, threshold=opts.outlier_threshold))
    secs["outliers"] = clock() - t0
    model.label_topics(final, emb)
    model.n_docs = len(texts)
    report["coherence_floor"] = _coherence_floor(emb, np.asarray(final))
    model.fit_report = report
    model._docs = None
    clear_token_cache()
    return FitResult(topics=[int(t) for t in final], clustered=[int(t) for t in clustered],
                     table=model.table, model=model, seconds=secs, report=report)


def _coherence_floor(emb: np.ndarray, topics: np.ndarray) -> float | None:
    """The lower quartile of the topics' coherence (mean cosine of texts to their centroid):
    an emerging group less coherent than this is a clump of leftovers, not a topic."""
    from voc.topics.cluster import _unit, coherence

    x = _unit(np.asarray(emb, dtype=np.float32))
    cohs = [coherence(x[topics == t]) for t in set(topics.tolist()) if t != -1]
    return round(float(np.quantile(cohs, 0.25)), 4) if cohs else None


def sample_limit(opts: TopicOptions, embedder) -> int:
    """How many distinct texts the topics are fitted on at most (0 = all): `cluster_limit`
    for every embedder, and `embed_limit` too for a sentence embedder (LSA embeds 100,000
    texts in seconds; UMAP's cost is what `cluster_limit` bounds)."""
    limits = [opts.cluster_limit]
    if getattr(embedder, "kind", "") != "lsa":
        limits.append(opts.embed_limit)
    limits = [n for n in limits if n]
    return min(limits) if limits else 0


def _fit_sampled(texts, distinct, opts, taxonomy, embedder, step, limit: int) -> FitResult:
    """The fast path for many texts: topics are fitted on `limit` distinct texts drawn at
    random (`sample_limit`: embedded by the embedder, clustered), and every text then gets its
    topic (or 未归类) from a linear classifier over jieba TF-IDF trained on the sample's
    topics. The report says how often the classifier agrees with the sample's own topics on
    texts it was not trained on (a 20 % holdout of the sample)."""
    import time
    from dataclasses import replace

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import SGDClassifier

    rng = np.random.default_rng(opts.random_state)
    pick = sorted(rng.choice(len(distinct), limit, replace=False).tolist())
    sample = [distinct[i] for i in pick]
    r = fit_topics(sample, replace(opts, embed_limit=0, cluster_limit=0), taxonomy=taxonomy,
                   embedder=embedder, on_step=step)
    t0 = time.perf_counter()
    step(f"assigning all {len(texts)} texts (TF-IDF classifier trained on the sample's topics)")
    vec = TfidfVectorizer(analyzer=topic_tokens, sublinear_tf=True, min_df=2, max_features=100_000,
                          dtype=np.float32)
    xs = vec.fit_transform(sample)
    y = np.asarray(r.topics)
    hold = rng.random(len(sample)) < 0.2

    def clf():
        return SGDClassifier(loss="modified_huber", alpha=1e-5, max_iter=30, tol=None,
                             random_state=opts.random_state)

    agree = float((clf().fit(xs[~hold], y[~hold]).predict(xs[hold]) == y[hold]).mean()) \
        if hold.any() and len(set(y[~hold].tolist())) > 1 else 1.0
    model = clf().fit(xs, y) if len(set(y.tolist())) > 1 else None
    known = dict(zip(sample, r.topics))
    todo = [t for t in dict.fromkeys(texts) if t not in known]
    if todo and model is not None:
        for start in range(0, len(todo), 20_000):
            chunk = todo[start:start + 20_000]
            known.update(zip(chunk, model.predict(vec.transform(chunk)).tolist()))
    elif todo:
        known.update({t: int(y[0]) for t in todo})
    final = np.asarray([int(known[t]) for t in texts])
    tm = r.model
    sizes = {int(t): int(n) for t, n in zip(*np.unique(final, return_counts=True))}
    for row in tm.table:
        row.size = sizes.get(row.topic, 0)
    if -1 in sizes and not any(row.topic == -1 for row in tm.table):
        tm.table.insert(0, TopicRow(-1, OUTLIER_LABEL, sizes[-1], []))
    tm.n_docs = len(texts)
    tm.fit_report = {**r.report, "sampled": len(sample), "texts": len(texts),
                     "distinct": len(distinct), "classifier_agreement": round(agree, 4)}
    secs = {**r.seconds, "classify": time.perf_counter() - t0}
    clear_token_cache()
    return FitResult(topics=final.tolist(), clustered=final.tolist(), table=tm.table, model=tm,
                     seconds=secs, report=tm.fit_report)


class TopicModel:
    """A fitted BERTopic with its embedder, options, taxonomy, labels and centroids."""

    def __init__(self, bertopic, embedder, opts: TopicOptions, taxonomy: Taxonomy | None):
        self.bertopic, self.embedder, self.opts, self.taxonomy = bertopic, embedder, opts, taxonomy
        self.labels: dict[int, str] = {}
        self.table: list[TopicRow] = []
        self.topic_ids: list[int] = []
        self.centroids: np.ndarray | None = None
        self.threshold = 0.0
        self.n_docs = 0
        self.fit_report: dict = {}
        self._docs: list[str] | None = None  # the training texts, while fitting only
        self.model_id = "topics-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ-") + \
            uuid.uuid4().hex[:8]
        self.created_at = datetime.now(timezone.utc).isoformat(timespec="seconds")

    # fitting helpers ------------------------------------------------------------------------
    def set_centroids(self, emb: np.ndarray, topics: np.ndarray, coverage: np.ndarray) -> None:
        """Centroids of the clustered (non-outlier) texts, and the assignment threshold: the
        `assign_quantile` quantile of every training text's fit score (see `scores`)."""
        tm = self.bertopic
        ids = sorted(int(t) for t in tm.topic_representations_)
        present = set(topics.tolist())
        rows = [emb[topics == t].mean(axis=0) if t in present else
                np.asarray(tm.topic_embeddings_)[i] for i, t in enumerate(ids)]
        tm.topic_embeddings_ = np.ascontiguousarray(np.vstack(rows), dtype=np.float32)
        self.topic_ids = [t for t in ids if t != -1]
        self.centroids = _unit(tm.topic_embeddings_[[ids.index(t) for t in self.topic_ids]])
        if self.topic_ids:  # novelty against all training texts, outliers included
            _, best = self.scores(emb, coverage)
            self.threshold = float(np.quantile(best, self.opts.assign_quantile))

    def label_topics(self, final: np.ndarray, emb: np.ndarray | None = None) -> None:
        """Labels in the bank's words (voc/topics/labels.py); representative texts are those
        nearest each topic's centroid."""
        from voc.topics.labels import topic_label

        tm = self.bertopic
        final = np.asarray(final)
        sizes = {int(t): int(n) for t, n in zip(*np.unique(final, return_counts=True))}
        zeroshot = getattr(tm, "_topic_id_to_zeroshot_topic_idx", {}) or {}
        docs = getattr(self, "_docs", None)
        rows, seen = [], set()
        for t in [-1, *self.topic_ids]:
            words = [(w, float(s)) for w, s in (tm.get_topic(t) or []) if w]
            reps = self._representative(t, final, emb, docs)
            if t == -1:
                label, category, matched = OUTLIER_LABEL, None, []
            else:
                category, matched = match_category(words, self.taxonomy)
                if t in zeroshot and self.taxonomy:
                    category = self.taxonomy.categories[zeroshot[t]].name
                label = topic_label(category, [w for w, _ in words], reps, t)
                n = 2
                while label in seen:  # two topics of one category: the next keyword tells them apart
                    label = topic_label(category, [w for w, _ in words][n - 1:], reps, t) \
                        if n < 4 else f"{label}#{t}"
                    n += 1
                seen.add(label)
            rows.append(TopicRow(t, label, sizes.get(t, 0), [w for w, _ in words], category,
                                 matched, [d[:200] for d in reps]))
        self.table = [r for r in rows if r.topic != -1 or r.size]
        self.labels = {r.topic: r.label for r in rows}
        tm.set_topic_labels({t: lab for t, lab in self.labels.items()
                             if t in tm.topic_representations_})

    def _representative(self, t: int, final: np.ndarray, emb, docs) -> list[str]:
        tm = self.bertopic
        if emb is None or docs is None or t == -1 or t not in self.topic_ids:
            return list(tm.get_representative_docs(t) or []) if tm.representative_docs_ else []
        idx = np.flatnonzero(final == t)
        if not len(idx):
            return []
        c = self.centroids[self.topic_ids.index(t)]
        order = idx[np.argsort(-(_unit(emb[idx]) @ c), kind="stable")]
        out: list[str] = []
        for i in order:
            if docs[i] not in out:
                out.append(docs[i])
            if len(out) == 3:
                break
        return out

    # assignment -----------------------------------------------------------------------------
    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed(texts)

    def scores(self, emb: np.ndarray, coverage: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(nearest topic id, fit score) per text: cosine similarity to the nearest topic
        centroid times the share of the text's words the embedder knows."""
        sims = _unit(np.asarray(emb, dtype=np.float32)) @ self.centroids.T
        return (np.asarray(self.topic_ids)[sims.argmax(axis=1)],
                sims.max(axis=1) * np.asarray(coverage, dtype=np.float32))

    def assign(self, texts: list[str], embeddings: np.ndarray | None = None
               ) -> tuple[list[int], np.ndarray]:
        """(topic per text, fit score); -1 when the score is below the model's threshold."""
        emb = self.embed(texts) if embeddings is None else embeddings
        if not self.topic_ids:
            return [-1] * len(emb), np.zeros(len(emb), dtype=np.float32)
        ids, score = self.scores(emb, self.embedder.coverage(texts))
        return [int(t) if s >= self.threshold else -1 for t, s in zip(ids, score)], score

    def label(self, topic: int) -> str:
        return self.labels.get(topic, OUTLIER_LABEL)

    # persistence ----------------------------------------------------------------------------
    def meta(self) -> dict:
        from voc import __version__

        return {"format": FORMAT, "model_id": self.model_id, "created_at": self.created_at,
                "voc_version": __version__, "n_docs": self.n_docs,
                "options": self.opts.to_dict(), "embedder": self.embedder.info(),
                "taxonomy": self.taxonomy.to_dict() if self.taxonomy else None,
                "threshold": self.threshold, "topic_ids": self.topic_ids,
                "fit_report": self.fit_report,
                "labels": {str(k): v for k, v in self.labels.items()},
                "table": [r.to_dict() for r in self.table]}

    def save(self, folder: str | Path) -> Path:
        """BERTopic safetensors + c-TF-IDF, the embedder, and voc_topics.json (written last)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / META_FILE).unlink(missing_ok=True)  # a half-written folder is not a model
        _quiet_bertopic()
        self.bertopic.save(folder, serialization="safetensors", save_ctfidf=True,
                           save_embedding_model=False)
        meta = self.meta()
        meta["embedder"] = self.embedder.save(folder / "embedder")
        write_text(folder / META_FILE, json.dumps(meta, ensure_ascii=False, indent=1))
        return folder

    @classmethod
    def load(cls, folder: str | Path, models_root: Path | None = None) -> "TopicModel":
        """A model saved by `save`; `folder` may also be a `voc topics --out` folder."""
        folder = find_model(folder)
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        if meta.get("format", 0) > FORMAT:
            raise ModelError(f"{folder}: topic model format {meta.get('format')} is newer than "
                             f"this voc understands ({FORMAT}); upgrade voc")
        taxonomy = taxonomy_from_dict(meta["taxonomy"], str(folder)) if meta.get("taxonomy") else None
        if taxonomy:
            add_words(taxonomy.seed_words())
        embedder = load_embedder(meta["embedder"], folder / "embedder", models_root)
        from bertopic import BERTopic

        _quiet_bertopic()
        try:
            tm = BERTopic.load(str(folder), embedding_model=bertopic_backend(embedder))
        except (OSError, ValueError, KeyError) as e:
            raise ModelError(f"{folder}: cannot load the BERTopic model ({e})") from None
        tm.vectorizer_model.set_params(analyzer=topic_tokens)  # the tokenizer is not saved
        opts = TopicOptions(**meta["options"])
        m = cls(tm, embedder, opts, taxonomy)
        m.model_id, m.created_at, m.n_docs = meta["model_id"], meta["created_at"], meta["n_docs"]
        m.threshold, m.topic_ids = float(meta["threshold"]), [int(t) for t in meta["topic_ids"]]
        m.fit_report = meta.get("fit_report") or {}
        m.labels = {int(k): v for k, v in meta["labels"].items()}
        m.table = [TopicRow(**r) for r in meta["table"]]
        ids = sorted(int(t) for t in tm.topic_representations_)
        emb = np.asarray(tm.topic_embeddings_, dtype=np.float32)
        m.centroids = _unit(emb[[ids.index(t) for t in m.topic_ids]]) if m.topic_ids else None
        return m


def _quiet_bertopic() -> None:
    """BERTopic warns on saving and loading without a sentence-transformers model: voc saves
    and passes its own embedder, so the warning would only confuse."""
    import logging

    logging.getLogger("BERTopic").setLevel(logging.ERROR)


def find_model(folder: str | Path) -> Path:
    folder = Path(folder)
    for cand in (folder, folder / "model"):
        if (cand / META_FILE).exists():
            return cand
    raise ModelError(f"{folder}: not a voc topic model (no {META_FILE}; give the folder written "
                     f"by `voc topics INPUT --out DIR` or its model/ folder)")
