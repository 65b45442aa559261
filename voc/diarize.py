"""Who spoke when on one channel: GE2E voice embeddings (resemblyzer) clustered into N speakers.

The encoder's weights (`ge2e-speaker` in the manifest) are copied out of the resemblyzer wheel
and checked by sha256 like every other model; nothing is downloaded. Each speech segment gets
one embedding; segments of at least `MIN_ANCHOR_S` seconds are clustered (average linkage on
cosine distance) and every segment then goes to the nearest cluster centre. Two centres closer
than `SAME_SPEAKER_COS` are one speaker: a monologue stays one speaker even when N is 2
(resemblyzer's own check on real clips: halves of one speaker >= 0.69, two speakers <= 0.66;
centres of several segments are closer still).
"""

from __future__ import annotations

import sys
import types
from contextlib import contextmanager
from pathlib import Path

import numpy as np

MODEL = "ge2e-speaker"
SAMPLE_RATE = 16000
MIN_ANCHOR_S = 1.0        # segments this long or longer decide the clusters
SAME_SPEAKER_COS = 0.80   # cluster centres at least this similar are merged into one speaker


@contextmanager
def _pkg_resources_shim():
    """webrtcvad (imported by resemblyzer) asks pkg_resources for its version; setuptools 80+
    no longer ships pkg_resources. A stand-in answers that one call during the import only."""
    if "pkg_resources" in sys.modules:
        yield
        return
    shim = types.ModuleType("pkg_resources")

    def get_distribution(name):
        from importlib.metadata import version

        return types.SimpleNamespace(project_name=name, version=version(name))

    shim.get_distribution = get_distribution
    sys.modules["pkg_resources"] = shim
    try:
        yield
    finally:
        sys.modules.pop("pkg_resources", None)


class Diarizer:
    """Speaker labels for segments of one channel; load once per batch."""

    def __init__(self, models_root: Path, speakers: int = 2):
        from voc import models

        self.speakers = speakers
        weights = models.ensure(MODEL, models_root) / "pretrained.pt"
        self._info = models.model_info(MODEL, models_root)
        with _pkg_resources_shim():
            from resemblyzer import VoiceEncoder
            from resemblyzer.audio import normalize_volume
        self._normalize = normalize_volume
        self.encoder = VoiceEncoder(device="cpu", verbose=False, weights_fpath=weights)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """One L2-normed 256-dim embedding of 16 kHz float32 speech."""
        wav = self._normalize(np.asarray(samples, dtype=np.float32), -30, increase_only=True)
        if len(wav) < SAMPLE_RATE // 2:  # the encoder wants 1.6 s windows: repeat a short clip
            wav = np.tile(wav, int(np.ceil(SAMPLE_RATE / 2 / max(1, len(wav)))) + 1)
        return self.encoder.embed_utterance(wav)

    def labels(self, embeddings: list[np.ndarray], durations: list[float]) -> list[int]:
        """Speaker index per segment, numbered in order of first appearance."""
        return cluster(np.array(embeddings), np.array(durations), self.speakers)

    def info(self) -> dict:
        return {"engine": "resemblyzer", "speakers": self.speakers, "models": [self._info]}


def cluster(X: np.ndarray, durations: np.ndarray, n: int) -> list[int]:
    """Labels 0..k-1 (k <= n) for rows of X (L2-normed), in order of first appearance."""
    m = len(X)
    if m == 0:
        return []
    if n <= 1 or m == 1:
        return [0] * m
    anchors = np.flatnonzero(durations >= MIN_ANCHOR_S)
    if len(anchors) < 2:
        anchors = np.arange(m)
    k = min(n, len(anchors))
    groups = _average_linkage(X[anchors], k)
    centres = [_unit(X[anchors[groups == g]].mean(axis=0)) for g in np.unique(groups)]
    centres = _merge_close(centres)
    labels = np.argmax(X @ np.array(centres).T, axis=1)
    order: dict[int, int] = {}
    for lab in labels:
        order.setdefault(int(lab), len(order))
    return [order[int(lab)] for lab in labels]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _average_linkage(X: np.ndarray, k: int) -> np.ndarray:
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(X) <= k:
        return np.arange(len(X))
    z = linkage(X, method="average", metric="cosine")
    return fcluster(z, t=k, criterion="maxclust") - 1


def _merge_close(centres: list[np.ndarray]) -> list[np.ndarray]:
    """Join the closest pair of centres while they are more similar than SAME_SPEAKER_COS."""
    centres = list(centres)
    while len(centres) > 1:
        C = np.array(centres)
        sim = C @ C.T
        np.fill_diagonal(sim, -1)
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] < SAME_SPEAKER_COS:
            break
        merged = _unit(centres[i] + centres[j])
        centres = [c for t, c in enumerate(centres) if t not in (i, j)] + [merged]
    return centres
