"""Settings: the packaged default.toml < VOC_CONFIG file < VOC_* environment < command-line flags.

`load_settings()` returns a `Settings` that knows the value of each key and where it came from,
so `voc config show` can explain it. Types come from the defaults: an environment value is
converted to the type of the default and a wrong type fails with the variable named.
The defaults ship inside the package (voc/data/default.toml, see voc.paths).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voc.errors import ConfigError, choices
from voc.paths import data_dir as data_dir  # noqa: F401 - callers import these from voc.config
from voc.paths import models_dir as models_dir  # noqa: F401
from voc.paths import resource

DEFAULT_CONFIG = resource("default.toml")


@dataclass
class Settings:
    values: dict[str, dict[str, Any]]
    sources: dict[str, str] = field(default_factory=dict)  # "section.key" -> source

    def __getitem__(self, dotted: str) -> Any:
        section, key = dotted.split(".", 1)
        return self.values[section][key]

    def section(self, name: str) -> dict[str, Any]:
        return dict(self.values[name])

    def flat(self) -> dict[str, Any]:
        """{"section.key": value}: the settings as a run records them."""
        return {f"{s}.{k}": v for s, kv in self.values.items() for k, v in kv.items()}

    def rows(self) -> list[tuple[str, Any, str]]:
        return [(f"{s}.{k}", v, self.sources.get(f"{s}.{k}", "default"))
                for s, kv in self.values.items() for k, v in kv.items()]


def _convert(value: str, default: Any, where: str) -> Any:
    try:
        if isinstance(default, bool):
            low = value.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true or false")
        if isinstance(default, int):
            try:
                return int(value)
            except ValueError:
                raise ValueError("expected an integer") from None
        if isinstance(default, float):
            try:
                return float(value)
            except ValueError:
                raise ValueError("expected a number") from None
        if isinstance(default, list):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value
    except ValueError as e:
        raise ConfigError(f"{where}={value!r}: {e}") from None


def _check_type(value: Any, default: Any, where: str) -> Any:
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not type(default):
        raise ConfigError(f"{where}: expected {type(default).__name__}, got {value!r}")
    return value


def load_settings(overrides: dict[str, Any] | None = None, config_file: Path | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    """Effective settings. `overrides` maps "section.key" to CLI values (None = not given)."""
    with open(DEFAULT_CONFIG, "rb") as f:
        values = tomllib.load(f)
    sources = {f"{s}.{k}": "default" for s, kv in values.items() for k in kv}

    config_file = config_file or (os.environ.get("VOC_CONFIG") if environ is None else environ.get("VOC_CONFIG"))
    if config_file:
        path = Path(config_file)
        try:
            with open(path, "rb") as f:
                user = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"{path}: cannot read config ({e})") from None
        for s, kv in user.items():
            if not isinstance(kv, dict):  # a key outside any [section]
                raise ConfigError(f"{path}: {s} must be inside a section; "
                                  f"valid sections: {choices(values)}")
            for k, v in kv.items():
                _known(values, s, k, str(path))
                values[s][k] = _check_type(v, values[s][k], f"{path}: {s}.{k}")
                sources[f"{s}.{k}"] = str(path)

    env = os.environ if environ is None else environ
    for name, raw in env.items():
        if not name.startswith("VOC_") or name == "VOC_CONFIG":
            continue
        rest = name[4:].lower()
        for s in values:
            if rest.startswith(s + "_"):
                k = rest[len(s) + 1:]
                if k not in values[s]:
                    raise ConfigError(f"{name}: unknown setting {s}.{k}; valid in [{s}]: "
                                      f"{choices(values[s])}")
                values[s][k] = _convert(raw, values[s][k], name)
                sources[f"{s}.{k}"] = f"env {name}"
                break

    for dotted, v in (overrides or {}).items():
        if v is None:
            continue
        s, k = dotted.split(".", 1)
        _known(values, s, k, "flag")
        values[s][k] = _check_type(v, values[s][k], f"flag for {dotted}")
        sources[dotted] = "flag"
    return Settings(values, sources)


def _known(values: dict, section: str, key: str, where: str) -> None:
    if section not in values:
        raise ConfigError(f"{where}: unknown section [{section}]; valid: {choices(values)}")
    if key not in values[section]:
        raise ConfigError(f"{where}: unknown key {section}.{key}; valid: {choices(values[section])}")
