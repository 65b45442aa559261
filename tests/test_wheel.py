"""The built wheel works on its own, outside the checkout.

The wheel is built from a copy of the source, installed (no dependencies) into a fresh virtual
environment that borrows the dependencies of the project's .venv through a .pth line (so torch
and the rest are not installed again; the editable voc of .venv does not come along: the .pth
files of a borrowed folder are not run), and run from a scratch folder with a scratch HOME.
It proves that settings, rules, lexicons, taxonomy, demo dialogues, the model manifest and the
report templates ship in the package, and that what voc writes for itself (the default
sentiment model, trained at first use) goes to the data directory, not into the package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

# every file voc reads from its package: the data folder and the dashboard templates, as they
# are in the checkout (a new data file that the package-data patterns miss fails here)
DATA_FILES = sorted(p.relative_to(ROOT).as_posix()
                    for folder in ("voc/data", "voc/report/templates") for p in (ROOT / folder).rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts)
TEXTS = "id,text\nc1,你们乱收年费，我要向银保监会投诉！\nc2,谢谢客服，问题解决了，非常满意\n"
CALL = {"id": "t1", "source": "calls/A0001_call1.wav", "channel": "call", "duration_s": 12.0,
        "meta": {"agent_id": "A0001"},
        "utterances": [
            {"start": 0.0, "end": 3.0, "speaker": "ch0", "role": "agent", "text": "您好，请问有什么可以帮您"},
            {"start": 3.5, "end": 8.0, "speaker": "ch1", "role": "customer",
             "text": "你们乱收我年费，我要投诉到银保监会"},
            {"start": 8.5, "end": 12.0, "speaker": "ch0", "role": "agent", "text": "你自己看合同去，跟我没关系"}],
        "text": "您好，请问有什么可以帮您 你们乱收我年费，我要投诉到银保监会 你自己看合同去，跟我没关系"}


def _tree(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # a clean copy of what the build reads: setuptools reuses a build/ folder in the source tree,
    # and files removed from the source since would come back from there
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "voc", src / "voc", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "-q", ".", "-w", str(out)], cwd=src, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    [whl] = out.glob("voc-*.whl")
    return whl


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """A fresh venv with the wheel installed; returns its python, site-packages and a scratch env."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # the wheel first (pip's --target installs only there, it never touches .venv) ...
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--no-compile", "-q",
                        "--target", str(site), str(wheel)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    # ... then the dependencies, borrowed from .venv (a line of a .pth file is added to sys.path after
    # site-packages itself; the .pth files inside the borrowed folder, such as voc's editable finder, are not run)
    (site / "zz_voc_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    home = tmp_path_factory.mktemp("home")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VOC_") and k not in ("PYTHONPATH", "PYTHONHOME", "XDG_DATA_HOME", "VIRTUAL_ENV")}
    env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1", COLUMNS="200")
    return {"py": py, "site": site, "home": home, "env": env}


def _voc(installed, cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    r = subprocess.run([str(installed["py"]), "-m", "voc", *args], cwd=cwd, env=env or installed["env"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"voc {' '.join(args)}: exit {r.returncode}\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r


def test_wheel_holds_the_data_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [f for f in DATA_FILES if f not in names]
    assert not missing, f"not in {wheel.name}: {missing}"
    assert not [n for n in names if n.startswith(("configs/", "models/", "tests/"))]


def test_voc_comes_from_the_wheel_not_the_checkout(installed, tmp_path):
    r = subprocess.run([str(installed["py"]), "-c", "import sys, voc; print(voc.__file__); print(sys.path)"],
                       cwd=tmp_path, env=installed["env"], capture_output=True, text=True, check=True)
    where, path = r.stdout.splitlines()
    assert Path(where).is_relative_to(installed["site"]), where
    assert str(ROOT) not in path.replace(str(ROOT / ".venv"), ""), path


def test_commands_run_outside_the_checkout(installed, tmp_path):
    site, home = installed["site"], installed["home"]
    package_before = _tree(site / "voc")
    work = tmp_path / "work"
    work.mkdir()
    (work / "texts.csv").write_text(TEXTS, encoding="utf-8")
    (work / "transcripts.jsonl").write_text(json.dumps(CALL, ensure_ascii=False) + "\n", encoding="utf-8")

    # config show: the packaged defaults, each setting with its source, the data directory
    xdg = tmp_path / "xdg"
    r = _voc(installed, work, "config", "show", "--json", env={**installed["env"], "XDG_DATA_HOME": str(xdg),
                                                               "VOC_ASR_BEAM_SIZE": "3"})
    rows = {d["key"]: d for d in map(json.loads, r.stdout.splitlines())}
    assert rows["asr.beam_size"]["value"] == 3 and rows["asr.beam_size"]["source"] == "env VOC_ASR_BEAM_SIZE"
    assert rows["asr.engine"] == {"key": "asr.engine", "value": "auto", "source": "default"}
    assert rows["paths.data_dir"]["effective"] == str(xdg / "voc")
    assert rows["models.dir"]["effective"] == str(xdg / "voc" / "models")
    assert Path(rows["inspect.rules"]["effective"]) == site / "voc" / "data" / "rules"
    r = _voc(installed, work, "config", "show")
    assert "asr.beam_size" in r.stdout and "default" in r.stdout
    assert f"defaults: {site / 'voc' / 'data' / 'default.toml'}" in r.stdout

    # analyze: lexicons, risk rules, and the default sentiment model trained into the data directory
    _voc(installed, work, "analyze", "texts.csv", "--text-col", "text", "--id-col", "id",
         "--out", "analysis.jsonl", "--workspace", "ws")
    a = {d["id"]: d for d in map(json.loads, (work / "analysis.jsonl").read_text(encoding="utf-8").splitlines())}
    assert a["c1"]["sentiment"]["label"] == "negative" and a["c1"]["risk"]["level"] == "high"
    assert any("监管" in reason for reason in a["c1"]["risk"]["reasons"])
    assert a["c2"]["sentiment"]["label"] == "positive" and a["c2"]["risk"]["level"] == "low"
    sentiment = home / ".local" / "share" / "voc" / "models" / "sentiment-default"
    assert (sentiment / "metrics.json").is_file(), sorted(map(str, home.rglob("*")))

    # inspect: the packaged QA rules
    _voc(installed, work, "inspect", "transcripts.jsonl", "--out", "findings.jsonl", "--workspace", "ws")
    [f] = map(json.loads, (work / "findings.jsonl").read_text(encoding="utf-8").splitlines())
    rules = {x["rule"] for x in f["findings"]}
    assert "escalation_unhandled" in rules and f["score"] < 100
    assert all(x["evidence"] for x in f["findings"])

    # the demo dialogues and the dashboard templates
    _voc(installed, work, "demo", "generate", "--out", "demo", "--calls", "20", "--no-store")
    assert (work / "demo" / "transcripts.jsonl").stat().st_size > 0
    _voc(installed, work, "report", "--workspace", "ws", "--out", "dashboard")
    assert "<html" in (work / "dashboard" / "index.html").read_text(encoding="utf-8").lower()

    # nothing was written into the installed package; voc's own files are in the data directory
    assert _tree(site / "voc") == package_before
    assert {p.name for p in (home / ".local" / "share" / "voc").iterdir()} == {"models"}
