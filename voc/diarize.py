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
import threading
import types
from contextlib import contextmanager
from pathlib import Path

import numpy as np

MODEL = "ge2e-speaker"
SAMPLE_RATE = 16000
MIN_ANCHOR_S = 1.0        # segments this long or longer decide the clusters
SAME_SPEAKER_COS = 0.80   # cluster centres at least this similar are merged into one speaker
_TORCH = threading.Lock()  # torch's thread count is the process's: one embedding at a time


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
        self.encoder = VoiceEncoder(device="cpu", verbose=False, weights_fpath=weights)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """One L2-normed 256-dim embedding of 16 kHz float32 speech: the mean of the encoder's
        1.6 s partial windows (resemblyzer's embed_utterance, with its mel front end in numpy)."""
        import torch

        wav = _normalize(np.asarray(samples, dtype=np.float32))
        wav_slices, mel_slices = self.encoder.compute_partial_slices(len(wav), 1.3, 0.75)
        if wav_slices[-1].stop >= len(wav):
            wav = np.pad(wav, (0, wav_slices[-1].stop - len(wav)))
        mel = mel_frames(wav)
        mels = torch.from_numpy(np.array([mel[s] for s in mel_slices]))
        # one thread: the small LSTM ran 4-5x faster so than on two busy cores (12 s: 0.3 s vs 1.4 s)
        with _TORCH:
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                with torch.no_grad():
                    partial = self.encoder(mels).numpy()
            finally:
                torch.set_num_threads(threads)
        return _unit(partial.mean(axis=0))

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


def _normalize(wav: np.ndarray, target_dbfs: float = -30.0) -> np.ndarray:
    """Raise quiet speech to -30 dBFS RMS, as resemblyzer's preprocessing does (never lowers)."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)))) if wav.size else 0.0
    if rms <= 0:
        return wav
    gain = 10 ** ((target_dbfs - 20 * np.log10(rms)) / 20)
    return wav * np.float32(gain) if gain > 1 else wav


def mel_frames(wav: np.ndarray, sr: int = SAMPLE_RATE, n_fft: int = 400, hop: int = 160,
               n_mels: int = 40) -> np.ndarray:
    """Power mel spectrogram (frames, 40), as librosa.feature.melspectrogram computes it for
    resemblyzer (Hann window, centred frames padded with zeros, Slaney mel filters) without
    librosa's numba warm-up, which took 30 s on a busy machine before the first embedding."""
    x = np.pad(wav.astype(np.float32), n_fft // 2)
    n = 1 + (len(x) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n)[:, None]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    power = np.abs(np.fft.rfft(x[idx] * window, axis=1)) ** 2
    return (power @ _mel_filters(sr, n_fft, n_mels).T).astype(np.float32)


def _mel_filters(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    def hz_to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        return np.where(f < 1000, f * 3 / 200, 15 + np.log(np.maximum(f, 1e-9) / 1000) / (np.log(6.4) / 27))

    def mel_to_hz(m):
        return np.where(m < 15, m * 200 / 3, 1000 * np.exp((m - 15) * np.log(6.4) / 27))

    freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    hz = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2), n_mels + 2))
    fdiff = np.diff(hz)
    ramps = hz[:, None] - freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return weights * (2.0 / (hz[2:n_mels + 2] - hz[:n_mels]))[:, None]


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
