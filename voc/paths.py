"""Where voc's files are: what ships inside the package, and the folder voc writes to.

Packaged resources are read-only and live in the package, under `voc/data/`, read through
`importlib.resources` (so they are found wherever voc is installed, never from the checkout):

    default.toml          the default settings
    risk.yaml             complaint-risk rules (analyze.risk_rules)
    rules/*.yaml          the default quality-inspection rules (inspect.rules)
    lexicons/             banking_dict.txt (jieba user dictionary), stopwords.txt
    topics/               taxonomy.yaml (topics.taxonomy), stopwords.txt (topic keywords)
    demo/dialogues.yaml   the material of `voc demo generate`
    manifest.toml         the models voc knows: engine, source, revision, sha256 per file

The report templates stay beside their code (`voc/report/templates/`).

The data directory is voc's own writable folder: downloaded and assembled models
(`voc models fetch`) and caches such as the default sentiment model trained at first use.
It is the `paths.data_dir` setting (VOC_PATHS_DATA_DIR); empty means `$XDG_DATA_HOME/voc`, i.e.
`~/.local/share/voc`. Models live in `<data dir>/models` unless `models.dir` (VOC_MODELS_DIR)
names another folder.
"""

from __future__ import annotations

import atexit
import contextlib
import os
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

_EXTRACTED = contextlib.ExitStack()  # resources copied out of a zipped package, removed at exit
atexit.register(_EXTRACTED.close)


def resource(*parts: str) -> Path:
    """A packaged file or folder under voc/data/ as a real path."""
    return package_path("data", *parts)


def package_path(*parts: str) -> Path:
    """A file or folder inside the voc package (e.g. "report", "templates") as a real path.

    An installed package is a folder, so this is the file itself; from a zipped package it is
    extracted to a temporary copy for the life of the process (`as_file`).
    """
    t = files("voc").joinpath(*parts)
    if isinstance(t, Path):
        return t
    return _EXTRACTED.enter_context(as_file(t))


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/voc` (an absolute XDG_DATA_HOME only, as the XDG spec says), else
    `~/.local/share/voc`."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "voc"


def data_dir(settings: Any) -> Path:
    """voc's writable folder: the paths.data_dir setting, else `default_data_dir()`."""
    d = settings["paths.data_dir"]
    return Path(d).expanduser() if d else default_data_dir()


def models_dir(settings: Any) -> Path:
    """Where model folders live: the models.dir setting, else `<data dir>/models`."""
    d = settings["models.dir"]
    return Path(d).expanduser() if d else data_dir(settings) / "models"


def effective(settings: Any) -> dict[str, tuple[str, str]]:
    """Path settings left empty, with what voc uses instead and why: key -> (path, rule)."""
    out = {}
    if not settings["paths.data_dir"]:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        out["paths.data_dir"] = (str(data_dir(settings)),
                                 "$XDG_DATA_HOME/voc" if xdg and os.path.isabs(xdg) else "~/.local/share/voc")
    if not settings["models.dir"]:
        out["models.dir"] = (str(models_dir(settings)), "<paths.data_dir>/models")
    if not settings["analyze.sentiment_model"]:
        out["analyze.sentiment_model"] = (str(models_dir(settings) / "sentiment-default"),
                                          "<models.dir>/sentiment-default")
    for key, parts in (("analyze.risk_rules", ("risk.yaml",)), ("inspect.rules", ("rules",)),
                       ("topics.taxonomy", ("topics", "taxonomy.yaml"))):
        if not settings[key]:
            out[key] = (str(resource(*parts)), "packaged")
    return out
