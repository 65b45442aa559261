"""Who spoke when on one channel: GE2E voice embeddings (resemblyzer) clustered into N speakers.

The encoder's weights (`ge2e-speaker` in the manifest) are copied out of the resemblyzer wheel
and checked by sha256 like every other model; nothing is downloaded. The encoder (a 3-layer
LSTM) runs in numpy, so transcription imports neither torch nor resemblyzer. Each speech segment gets
one embedding; segments of at least `MIN_ANCHOR_S` seconds are clustered (average linkage on
cosine distance) and every segment then goes to the nearest cluster centre. Two centres closer
than `SAME_SPEAKER_COS` are one speaker: a monologue stays one speaker even when N is 2
(resemblyzer's own check on real clips: halves of one speaker >= 0.69, two speakers <= 0.66;
centres of several segments are closer still).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MODEL = "ge2e-speaker"
SAMPLE_RATE = 16000
MIN_ANCHOR_S = 1.0        # segments this long or longer decide the clusters
SAME_SPEAKER_COS = 0.80   # cluster centres at least this similar are merged into one speaker


class Diarizer:
    """Speaker labels for segments of one channel; load once per batch."""

    def __init__(self, models_root: Path, speakers: int = 2):
        from voc import models

        self.speakers = speakers
        self.weights = load_state(models.ensure(MODEL, models_root) / "pretrained.pt")
        self._info = models.model_info(MODEL, models_root)

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """One L2-normed 256-dim embedding of 16 kHz float32 speech: the mean of the encoder's
        1.6 s partial windows (resemblyzer's embed_utterance, in numpy)."""
        return self.embed_all([samples])[0]

    def embed_all(self, pieces: list[np.ndarray]) -> list[np.ndarray]:
        """embed() of each piece, all their partial windows in one encoder batch (the numpy LSTM
        takes 37 ms for one window, 13 ms a window in 16)."""
        mels, owner = [], []
        for k, samples in enumerate(pieces):
            wav = _normalize(np.asarray(samples, dtype=np.float32))
            wav_slices, mel_slices = partial_slices(len(wav))
            if wav_slices[-1].stop >= len(wav):
                wav = np.pad(wav, (0, wav_slices[-1].stop - len(wav)))
            mel = mel_frames(wav)
            mels += [mel[s] for s in mel_slices]
            owner += [k] * len(mel_slices)
        partial, owner = self.encode(np.array(mels)), np.array(owner)
        return [_unit(partial[owner == k].mean(axis=0)) for k in range(len(pieces))]

    def encode(self, mels: np.ndarray) -> np.ndarray:
        """resemblyzer's VoiceEncoder.forward in numpy: a 3-layer LSTM over (batch, frames, 40)
        mels, the last layer's final state through linear and ReLU, L2-normed. Without torch:
        its import took 3.4-4.5 s of a `voc transcribe` run; the embeddings agree to 1e-6."""
        w, x = self.weights, np.ascontiguousarray(mels.transpose(1, 0, 2), dtype=np.float32)  # time first
        for layer in range(3):
            gates_x = x @ w[f"lstm.weight_ih_l{layer}"].T + w[f"lstm.bias_ih_l{layer}"] + w[f"lstm.bias_hh_l{layer}"]
            w_hh = np.ascontiguousarray(w[f"lstm.weight_hh_l{layer}"].T)
            h, c = np.zeros((x.shape[1], 256), np.float32), np.zeros((x.shape[1], 256), np.float32)
            out = np.empty((len(x), x.shape[1], 256), np.float32)
            for t in range(len(x)):  # gates in torch's order: input, forget, cell, output
                z = gates_x[t] + h @ w_hh
                s = _sigmoid(z)
                c = s[:, 256:512] * c + s[:, :256] * np.tanh(z[:, 512:768])
                h = out[t] = s[:, 768:] * np.tanh(c)
            x = out
        e = np.maximum(0, h @ w["linear.weight"].T + w["linear.bias"])
        return e / np.linalg.norm(e, axis=1, keepdims=True)

    def labels(self, embeddings: list[np.ndarray], durations: list[float]) -> list[int]:
        """Speaker index per segment, numbered in order of first appearance."""
        return cluster(np.array(embeddings), np.array(durations), self.speakers)

    def info(self) -> dict:
        return {"engine": "resemblyzer", "speakers": self.speakers, "models": [self._info]}


def load_state(path: Path) -> dict[str, np.ndarray]:
    """The model state of resemblyzer's pretrained.pt (torch.save's legacy format: pickles, then
    each float32 storage as a length and its bytes), read with pickle and numpy only."""
    import pickle
    from collections import OrderedDict

    storages: dict[str, list] = {}

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                return lambda key, offset, size, stride, *_: (key, offset, tuple(size), tuple(stride))
            if (module, name) == ("collections", "OrderedDict"):
                return OrderedDict
            if (module, name) == ("torch", "FloatStorage"):
                return name
            raise pickle.UnpicklingError(f"unexpected {module}.{name} in {path}")

        def persistent_load(self, pid):  # ("storage", type, key, location, numel, ...)
            storages[pid[2]] = [None]
            return pid[2]

    with open(path, "rb") as f:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(f)
        checkpoint = Unpickler(f).load()
        for key in pickle.load(f):
            n = int.from_bytes(f.read(8), "little")
            storages[key][0] = np.frombuffer(f.read(4 * n), dtype="<f4")
    out = {}
    for name, (key, offset, size, stride) in checkpoint["model_state"].items():
        data = storages[key][0][offset:]
        out[name] = np.lib.stride_tricks.as_strided(data, size, [4 * s for s in stride]).astype(np.float32)
    return out


def partial_slices(n_samples: int, rate: float = 1.3, min_coverage: float = 0.75,
                   hop: int = 160, frames: int = 160, sr: int = SAMPLE_RATE) -> tuple[list[slice], list[slice]]:
    """Where an utterance is cut into 1.6 s partial windows (samples, mel frames):
    resemblyzer's VoiceEncoder.compute_partial_slices with its defaults."""
    n_frames = int(np.ceil((n_samples + 1) / hop))
    step = int(np.round((sr / rate) / hop))
    wav_slices, mel_slices = [], []
    for i in range(0, max(1, n_frames - frames + step + 1), step):
        mel_slices.append(slice(i, i + frames))
        wav_slices.append(slice(i * hop, (i + frames) * hop))
    last = wav_slices[-1]
    if (n_samples - last.start) / (last.stop - last.start) < min_coverage and len(mel_slices) > 1:
        mel_slices, wav_slices = mel_slices[:-1], wav_slices[:-1]
    return wav_slices, mel_slices


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * x))


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
