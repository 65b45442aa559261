"""Balanced, honest topic clusters: UMAP + HDBSCAN, oversized topics split, outliers kept.

`BalancedClusterer` is what BERTopic gets as its `hdbscan_model` (with an identity reduction,
so it sees the sentence vectors themselves):

1. UMAP to `n_components` dimensions (cosine, fixed random_state), HDBSCAN (eom).
2. A topic holding more than `max_topic_share` of the texts (a third by default) is split in
   two by k-means on its UMAP coordinates when its inner coherence (mean cosine of its texts to
   their centroid, in the sentence space) is below the median coherence of the other topics:
   a big topic whose texts are as alike as those of a normal topic truly shares one theme and
   stays. Splitting repeats until no topic is too big or none can be split.
3. Outliers (HDBSCAN noise) go to their nearest topic only when they are as close to its
   centroid as its own members usually are (cosine at least the `fit_quantile` quantile of the
   members'); the others stay 未归类 (-1). `report` says how many were reassigned and how far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def _unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1
    return x / n


@dataclass
class ClusterReport:
    noise: int = 0  # HDBSCAN outliers
    reassigned: int = 0  # of them given a topic
    reassigned_similarity: float = 0.0  # their mean cosine to that topic's centroid
    splits: list[dict] = field(default_factory=list)  # {size, coherence, median, parts}
    unsplit: list[dict] = field(default_factory=list)  # big topics kept: one theme

    def to_dict(self) -> dict:
        return {"noise": self.noise, "reassigned": self.reassigned,
                "reassigned_similarity": round(self.reassigned_similarity, 4),
                "unassigned": self.noise - self.reassigned, "splits": self.splits,
                "kept_large": self.unsplit}


def coherence(x: np.ndarray) -> float:
    """Mean cosine of unit vectors to their (unit) centroid."""
    c = x.mean(axis=0)
    c = c / (np.linalg.norm(c) or 1.0)
    return float((x @ c).mean())


def centroids(x: np.ndarray, labels: np.ndarray) -> tuple[list[int], np.ndarray]:
    ids = sorted(int(t) for t in set(labels.tolist()) if t != -1)
    return ids, _unit(np.vstack([x[labels == t].mean(axis=0) for t in ids]))


def split_large(x: np.ndarray, u: np.ndarray, labels: np.ndarray, max_share: float,
                min_size: int, random_state: int, report: ClusterReport) -> np.ndarray:
    """Split topics above `max_share` of the texts while their coherence is below the median
    of the other topics' (see the module docstring)."""
    from sklearn.cluster import KMeans

    labels = labels.copy()
    n = len(labels)
    for _ in range(50):
        ids = sorted(int(t) for t in set(labels.tolist()) if t != -1)
        big = [t for t in ids if (labels == t).sum() > max_share * n]
        if not big:
            break
        t = max(big, key=lambda k: (labels == k).sum())
        coh = {k: coherence(x[labels == k]) for k in ids}
        others = [v for k, v in coh.items() if k != t]
        median = float(np.median(others)) if others else 1.0
        members = np.flatnonzero(labels == t)
        if coh[t] >= median or len(members) < 2 * min_size:
            report.unsplit.append({"size": int(len(members)), "coherence": round(coh[t], 4),
                                   "median": round(median, 4)})
            break
        parts = KMeans(2, n_init=5, random_state=random_state).fit(u[members]).labels_
        if min(np.bincount(parts)) < min_size:
            report.unsplit.append({"size": int(len(members)), "coherence": round(coh[t], 4),
                                   "median": round(median, 4)})
            break
        new = max(ids) + 1
        labels[members[parts == 1]] = new
        report.splits.append({"size": int(len(members)), "coherence": round(coh[t], 4),
                              "median": round(median, 4),
                              "parts": [int((parts == 0).sum()), int((parts == 1).sum())]})
    return labels


def reassign_noise(x: np.ndarray, labels: np.ndarray, quantile: float,
                   report: ClusterReport) -> np.ndarray:
    """Noise points to their nearest topic when they fit it as well as its members usually do."""
    labels = labels.copy()
    noise = np.flatnonzero(labels == -1)
    report.noise = int(len(noise))
    if not len(noise) or (labels == -1).all():
        return labels
    ids, c = centroids(x, labels)
    ids = np.asarray(ids)
    member_sim = {t: x[labels == t] @ c[i] for i, t in enumerate(ids)}
    floor = np.asarray([np.quantile(member_sim[t], quantile) for t in ids])
    sims = x[noise] @ c.T
    best = sims.argmax(axis=1)
    ok = sims[np.arange(len(noise)), best] >= floor[best]
    labels[noise[ok]] = ids[best[ok]]
    report.reassigned = int(ok.sum())
    report.reassigned_similarity = float(sims[np.arange(len(noise)), best][ok].mean()) if ok.any() else 0.0
    return labels


class BalancedClusterer:
    """fit(X) -> labels_ (see the module docstring); X are unit sentence vectors."""

    def __init__(self, *, min_cluster_size: int, min_samples: int, n_neighbors: int = 15,
                 n_components: int = 5, selection: str = "eom", max_topic_share: float = 1 / 3,
                 fit_quantile: float = 0.1, random_state: int = 42):
        self.min_cluster_size, self.min_samples = min_cluster_size, min_samples
        self.n_neighbors, self.n_components, self.selection = n_neighbors, n_components, selection
        self.max_topic_share, self.fit_quantile = max_topic_share, fit_quantile
        self.random_state = random_state
        self.labels_: np.ndarray | None = None
        self.clustered_: np.ndarray | None = None  # before noise reassignment
        self.report = ClusterReport()

    def fit(self, X, y=None) -> "BalancedClusterer":
        from hdbscan import HDBSCAN
        from umap import UMAP

        x = _unit(np.asarray(X, dtype=np.float32))
        n = len(x)
        u = UMAP(n_neighbors=max(2, min(self.n_neighbors, n - 1)), n_components=self.n_components,
                 min_dist=0.0, metric="cosine", random_state=self.random_state, n_jobs=1,
                 low_memory=True).fit_transform(x)
        labels = HDBSCAN(min_cluster_size=self.min_cluster_size, min_samples=self.min_samples,
                         metric="euclidean", cluster_selection_method=self.selection,
                         prediction_data=False).fit(u).labels_.astype(int)
        self.report = ClusterReport()
        if (labels != -1).any() and self.max_topic_share < 1:
            labels = split_large(x, u, labels, self.max_topic_share, self.min_cluster_size,
                                 self.random_state, self.report)
        self.clustered_ = labels.copy()
        self.labels_ = reassign_noise(x, labels, self.fit_quantile, self.report)
        return self

    def predict(self, X):  # BERTopic.transform on a fitted model (voc assigns by centroids)
        raise NotImplementedError("voc assigns new texts by topic centroids (TopicModel.assign)")
