"""Options of `voc topics`, checked once (settings [topics] < VOC_TOPICS_* < CLI flags)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from voc.errors import ConfigError, choices

MODES = ("free", "guided", "zeroshot")
ROLES = ("customer", "agent", "unknown", "all")
OUTLIER_STRATEGIES = ("embeddings", "c-tf-idf", "distributions", "none")


@dataclass
class TopicOptions:
    """How topics are fitted and assigned. `from_settings` reads the [topics] section."""

    # embedding: "lsa" (default: jieba TF-IDF + truncated SVD; it beat e5-small on celine_train,
    # docs/topics.md), "e5-small" (the shared offline sentence embedder, voc/embedding.py),
    # "lsa-char" (character 1-3-grams), "lsa-mix" (both), a model name from the model manifest
    # or a folder holding a sentence-transformers model
    embedding: str = "lsa"
    lsa_dims: int = 200
    # more distinct texts than this: the sentence embedder sees a random sample of this many,
    # a TF-IDF classifier trained on its topics gives the rest theirs (0 = embed every text)
    embed_limit: int = 6000
    # more distinct texts than this, whatever the embedder: topics are fitted on a random sample
    # of this many and the TF-IDF classifier gives the rest theirs (UMAP runs on one core and
    # its cost grows faster than the texts: 100,000 texts took most of the 10 minutes)
    cluster_limit: int = 20000
    mode: str = "free"
    taxonomy: str = ""  # YAML file; empty = the packaged voc/data/topics/taxonomy.yaml
    roles: list[str] = field(default_factory=lambda: ["customer"])
    min_cluster_size: int = 0  # 0 = auto: 1 % of the texts, between 6 and 500
    min_samples: int = 0  # 0 = auto: half of min_cluster_size, between 2 and 10
    cluster_selection: str = "eom"  # HDBSCAN cluster_selection_method: eom or leaf
    # a topic above this share of the texts is split while its coherence is below the median
    # of the other topics' (voc/topics/cluster.py); 1 = never split
    max_cluster_share: float = 0.33
    n_neighbors: int = 15
    n_components: int = 5
    random_state: int = 42
    nr_topics: int = 0  # 0 = keep what HDBSCAN finds
    merge_similarity: float = 0.9  # merge topics whose centroids are this similar; 1 = never
    # HDBSCAN outliers join their nearest topic when at least as close to its centroid as this
    # quantile of its members; the rest stay 未归类 (-1)
    outlier_quantile: float = 0.02
    # then BERTopic reduce_outliers on what is left (embeddings, c-tf-idf, distributions), or
    # none: keep them 未归类
    outliers: str = "none"
    outlier_threshold: float = 0.0
    zeroshot_min_similarity: float = 0.35
    top_n_words: int = 10
    min_df: int = 2  # LSA vocabulary: words in at least this many texts
    # assign: a text less similar to its nearest topic than this quantile of the training
    # texts (each to its nearest topic) fits no topic
    assign_quantile: float = 0.05
    emerging_min_size: int = 5  # smallest emerging topic (at least 0.2 % of the texts assigned)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ConfigError(f"topics.mode {self.mode!r}: use {choices(MODES)}")
        if self.outliers not in OUTLIER_STRATEGIES:
            raise ConfigError(f"topics.outliers {self.outliers!r}: use {choices(OUTLIER_STRATEGIES)}")
        if self.cluster_selection not in ("eom", "leaf"):
            raise ConfigError(f"topics.cluster_selection {self.cluster_selection!r}: use eom or leaf")
        if isinstance(self.roles, str):
            self.roles = [r.strip() for r in self.roles.split(",") if r.strip()]
        bad = [r for r in self.roles if r not in ROLES]
        if bad or not self.roles:
            raise ConfigError(f"topics.roles {self.roles!r}: use one or more of {choices(ROLES)}")
        for name in ("lsa_dims", "n_neighbors", "n_components", "top_n_words", "min_df",
                     "emerging_min_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"topics.{name} must be at least 1, got {getattr(self, name)}")
        for name in ("min_cluster_size", "min_samples", "nr_topics", "embed_limit",
                     "cluster_limit"):
            if getattr(self, name) < 0:
                raise ConfigError(f"topics.{name} must be 0 (auto) or more, got {getattr(self, name)}")
        if self.min_cluster_size == 1:
            raise ConfigError("topics.min_cluster_size must be 0 (auto) or at least 2")
        for name in ("merge_similarity", "assign_quantile", "outlier_quantile", "max_cluster_share",
                     "zeroshot_min_similarity",
                     "outlier_threshold"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"topics.{name} must be between 0 and 1, got {getattr(self, name)}")

    @classmethod
    def from_settings(cls, settings=None, **overrides) -> "TopicOptions":
        """Options from a Settings [topics] section; `overrides` (None = not given) win."""
        values: dict[str, Any] = {}
        if settings is not None and "topics" in settings.values:
            known = {f.name for f in fields(cls)}
            values = {k: v for k, v in settings.section("topics").items() if k in known}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def cluster_size(self, n_docs: int) -> int:
        # at least 6: a night of a few hundred contacts has scenarios of 10-20 contacts, and a
        # floor of 10 left a third of the demo set 未归类 (docs/topics.md)
        return self.min_cluster_size or max(6, min(500, round(0.01 * n_docs)))

    def samples(self, n_docs: int) -> int:
        # half the smallest topic: with min_samples = min_cluster_size a topic of that size
        # hardly has core points, and small sets lost whole scenarios to noise
        return self.min_samples or max(2, min(10, self.cluster_size(n_docs) // 2))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
