"""Settings: defaults < VOC_CONFIG file < VOC_* environment < flags, each with its source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voc import config
from voc.config import DEFAULT_CONFIG, load_settings
from voc.errors import ConfigError

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("no_voc_env")


def _toml(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


# -- precedence -------------------------------------------------------------------------------

def test_defaults_come_from_default_toml():
    s = load_settings()
    assert s["asr.beam_size"] == 5 and s.sources["asr.beam_size"] == "default"
    assert s["audio.channel_roles"] == ["agent", "customer"]
    assert all(src == "default" for _, _, src in s.rows())
    # every row of default.toml is listed once
    import tomllib
    with open(DEFAULT_CONFIG, "rb") as f:
        raw = tomllib.load(f)
    assert sorted(k for k, _, _ in s.rows()) == sorted(f"{a}.{b}" for a, kv in raw.items() for b in kv)


def test_precedence_default_file_env_flag(tmp_path, monkeypatch):
    cfg = _toml(tmp_path / "site.toml", '[asr]\nbeam_size = 2\nengine = "whisper"\nlanguage = "yue"\n'
                                        '[audio]\nchunk_s = 60.0\n')
    monkeypatch.setenv("VOC_CONFIG", str(cfg))

    s = load_settings()
    assert (s["asr.beam_size"], s.sources["asr.beam_size"]) == (2, str(cfg))
    assert (s["asr.threads"], s.sources["asr.threads"]) == (0, "default")

    monkeypatch.setenv("VOC_ASR_BEAM_SIZE", "3")
    monkeypatch.setenv("VOC_ASR_LANGUAGE", "zh")
    s = load_settings()
    assert (s["asr.beam_size"], s.sources["asr.beam_size"]) == (3, "env VOC_ASR_BEAM_SIZE")
    assert (s["asr.engine"], s.sources["asr.engine"]) == ("whisper", str(cfg))  # file, env unset
    assert (s["asr.language"], s.sources["asr.language"]) == ("zh", "env VOC_ASR_LANGUAGE")
    assert (s["audio.chunk_s"], s.sources["audio.chunk_s"]) == (60.0, str(cfg))

    s = load_settings({"asr.beam_size": 7, "asr.language": None, "audio.chunk_s": 30})
    assert (s["asr.beam_size"], s.sources["asr.beam_size"]) == (7, "flag")
    # a flag that was not given (None) leaves the lower layer in place
    assert (s["asr.language"], s.sources["asr.language"]) == ("zh", "env VOC_ASR_LANGUAGE")
    # an int flag for a float setting is widened, not refused
    assert s["audio.chunk_s"] == 30.0 and isinstance(s["audio.chunk_s"], float)
    assert s.sources["audio.chunk_s"] == "flag"


def test_explicit_environ_and_config_file_arguments(tmp_path):
    cfg = _toml(tmp_path / "c.toml", "[asr]\nthreads = 4\n")
    s = load_settings(environ={"VOC_CONFIG": str(cfg), "VOC_ASR_COMPUTE_TYPE": "float32"})
    assert s["asr.threads"] == 4 and s.sources["asr.threads"] == str(cfg)
    assert s["asr.compute_type"] == "float32"
    s = load_settings(config_file=cfg, environ={})
    assert s["asr.threads"] == 4


def test_flag_with_wrong_type_or_unknown_key_fails():
    with pytest.raises(ConfigError, match="asr.beam_size"):
        load_settings({"asr.beam_size": "five"}, environ={})
    with pytest.raises(ConfigError, match="unknown key asr.beam.*valid: .*beam_size"):
        load_settings({"asr.beam": 3}, environ={})


# -- environment conversion ------------------------------------------------------------------

def test_env_values_take_the_type_of_the_default(monkeypatch):
    monkeypatch.setenv("VOC_ASR_THREADS", " 4 ")
    monkeypatch.setenv("VOC_AUDIO_SILENCE_DB", "-40")
    monkeypatch.setenv("VOC_AUDIO_MAX_DURATION_S", "3600.5")
    monkeypatch.setenv("VOC_AUDIO_CHANNEL_ROLES", "customer, agent,")
    monkeypatch.setenv("VOC_ASR_HOTWORDS", "信用卡,年费 , 分期")
    monkeypatch.setenv("VOC_ASR_FUNASR_MODEL_8K", "")  # underscores in key names resolve
    monkeypatch.setenv("VOC_NOT_A_SETTING", "x")  # not a setting: ignored
    s = load_settings()
    assert s["asr.threads"] == 4
    assert s["audio.silence_db"] == -40.0 and isinstance(s["audio.silence_db"], float)
    assert s["audio.max_duration_s"] == 3600.5
    assert s["audio.channel_roles"] == ["customer", "agent"]
    assert s["asr.hotwords"] == ["信用卡", "年费", "分期"]
    assert s["asr.funasr_model_8k"] == "" and s.sources["asr.funasr_model_8k"] == "env VOC_ASR_FUNASR_MODEL_8K"
    assert s.sources["audio.channel_roles"] == "env VOC_AUDIO_CHANNEL_ROLES"


@pytest.fixture()
def defaults_with_bool(tmp_path, monkeypatch):
    """A defaults file with a boolean setting (default.toml has none yet)."""
    d = _toml(tmp_path / "default.toml",
              '[privacy]\nredact = true\nkeep_audio = false\n[run]\nworkers = 2\nratio = 0.5\n'
              'tags = ["a"]\n')
    monkeypatch.setattr(config, "DEFAULT_CONFIG", d)
    return d


@pytest.mark.parametrize("raw,want", [("1", True), ("true", True), ("Yes", True), (" on ", True),
                                      ("0", False), ("FALSE", False), ("no", False), ("off", False)])
def test_env_bool(defaults_with_bool, raw, want):
    s = load_settings(environ={"VOC_PRIVACY_KEEP_AUDIO": raw, "VOC_PRIVACY_REDACT": raw})
    assert s["privacy.keep_audio"] is want and s["privacy.redact"] is want
    assert s.sources["privacy.redact"] == "env VOC_PRIVACY_REDACT"


@pytest.mark.parametrize("name,raw,expect", [
    ("VOC_PRIVACY_REDACT", "maybe", "true or false"),
    ("VOC_RUN_WORKERS", "2.5", "integer"),
    ("VOC_RUN_RATIO", "half", "number"),
])
def test_env_bad_value_names_the_variable(defaults_with_bool, name, raw, expect):
    with pytest.raises(ConfigError) as e:
        load_settings(environ={name: raw})
    msg = str(e.value)
    assert name in msg and repr(raw) in msg and expect in msg
    assert "\n" not in msg


@pytest.mark.parametrize("name,raw", [("VOC_ASR_BEAM_SIZE", "five"), ("VOC_AUDIO_CHUNK_S", "5min"),
                                      ("VOC_ASR_THREADS", "")])
def test_env_bad_value_real_settings(monkeypatch, name, raw):
    monkeypatch.setenv(name, raw)
    with pytest.raises(ConfigError, match=name):
        load_settings()


# -- VOC_CONFIG file errors --------------------------------------------------------------------

def test_unknown_key_in_config_file_names_key_and_choices(tmp_path, monkeypatch):
    cfg = _toml(tmp_path / "bad.toml", '[asr]\nbeam = 3\n')
    monkeypatch.setenv("VOC_CONFIG", str(cfg))
    with pytest.raises(ConfigError) as e:
        load_settings()
    msg = str(e.value)
    assert str(cfg) in msg and "asr.beam" in msg
    assert "valid:" in msg and "beam_size" in msg and "engine" in msg


def test_unknown_section_in_config_file(tmp_path, monkeypatch):
    cfg = _toml(tmp_path / "bad.toml", '[asrr]\nengine = "whisper"\n')
    monkeypatch.setenv("VOC_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match=r"unknown section \[asrr\]; valid: .*\basr\b.*") as e:
        load_settings()
    import tomllib

    from voc.config import DEFAULT_CONFIG

    for section in tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8")):
        assert section in str(e.value)


def test_key_outside_a_section_is_a_config_error(tmp_path, monkeypatch):
    cfg = _toml(tmp_path / "bad.toml", 'engine = "whisper"\n')
    monkeypatch.setenv("VOC_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match="engine.*section.*asr"):
        load_settings()


def test_config_file_wrong_type_unreadable_and_broken(tmp_path, monkeypatch):
    cfg = _toml(tmp_path / "bad.toml", '[asr]\nbeam_size = "5"\n')
    monkeypatch.setenv("VOC_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match=r"asr.beam_size: expected int"):
        load_settings()
    monkeypatch.setenv("VOC_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="missing.toml: cannot read config"):
        load_settings()
    monkeypatch.setenv("VOC_CONFIG", str(_toml(tmp_path / "broken.toml", "[asr\n")))
    with pytest.raises(ConfigError, match="broken.toml: cannot read config"):
        load_settings()


# -- `voc config show` -------------------------------------------------------------------------

def test_config_show_table_reports_env_source(tmp_path):
    from voc.cli import app

    cfg = _toml(tmp_path / "site.toml", '[asr]\nengine = "whisper"\n')
    long_dir = str(tmp_path / ("a-rather-long-folder-name-" * 3) / "models")
    r = runner.invoke(app, ["config", "show"],
                      env={"VOC_ASR_BEAM_SIZE": "3", "VOC_CONFIG": str(cfg), "VOC_MODELS_DIR": long_dir,
                           "COLUMNS": "120"})
    assert r.exit_code == 0, r.output
    lines = {ln.split("│")[1].strip(): ln for ln in r.stdout.splitlines() if ln.count("│") == 4
             and ln.split("│")[1].strip()}
    beam = [c.strip() for c in lines["asr.beam_size"].split("│")[1:4]]
    assert beam == ["asr.beam_size", "3", "env VOC_ASR_BEAM_SIZE"]
    assert [c.strip() for c in lines["asr.threads"].split("│")[1:4]] == ["asr.threads", "0", "default"]
    assert "whisper" in lines["asr.engine"] and "site.toml" in r.stdout
    # a long value is folded over lines, never cut with an ellipsis
    assert "…" not in r.stdout
    folded = "".join(ln.split("│")[2].strip() for ln in r.stdout.splitlines() if ln.count("│") == 4)
    assert long_dir in folded


def test_config_show_json(tmp_path):
    from voc.cli import app

    r = runner.invoke(app, ["config", "show", "--json"],
                      env={"VOC_AUDIO_CHANNEL_ROLES": "customer,agent", "VOC_ASR_THREADS": "2"})
    assert r.exit_code == 0, r.output
    rows = {d["key"]: d for d in map(json.loads, r.stdout.splitlines())}
    assert rows["audio.channel_roles"] == {"key": "audio.channel_roles", "value": ["customer", "agent"],
                                           "source": "env VOC_AUDIO_CHANNEL_ROLES"}
    assert rows["asr.threads"]["value"] == 2 and rows["asr.threads"]["source"] == "env VOC_ASR_THREADS"
    assert rows["asr.engine"] == {"key": "asr.engine", "value": "auto", "source": "default"}
    assert len(rows) == len(load_settings().rows())


@pytest.mark.parametrize("env,needle", [
    ({"VOC_ASR_BEAM_SIZE": "five"}, "VOC_ASR_BEAM_SIZE='five': expected an integer"),
    ({"VOC_AUDIO_MAX_DURATION_S": "long"}, "VOC_AUDIO_MAX_DURATION_S"),
])
def test_config_show_bad_env_is_one_line_error(env, needle):
    from voc.cli import app

    r = runner.invoke(app, ["config", "show"], env=env)
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.splitlines() == [r.stderr.strip()]
    assert r.stderr.startswith("voc: error: ") and needle in r.stderr
    assert "Traceback" not in r.output
    assert isinstance(r.exception, SystemExit)


def test_config_show_bad_config_file_through_cli(tmp_path):
    from voc.cli import app

    cfg = _toml(tmp_path / "bad.toml", "top = 1\n")
    r = runner.invoke(app, ["config", "show", "--json"], env={"VOC_CONFIG": str(cfg)})
    assert r.exit_code == 1
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("voc: error: ")
    assert "top" in r.stderr and "valid sections" in r.stderr


def test_unknown_env_setting_is_an_error_naming_valid_keys():
    from voc.config import load_settings
    from voc.errors import ConfigError

    with pytest.raises(ConfigError, match=r"VOC_ASR_ENGIN: unknown setting asr.engin.*engine"):
        load_settings(environ={"VOC_ASR_ENGIN": "whisper"})
    # variables outside voc's sections are left alone
    assert load_settings(environ={"VOC_SOMETHING_ELSE": "x"})["asr.engine"] == "auto"


# -- the data directory and packaged files ----------------------------------------------------

def test_data_dir_defaults_to_xdg_data_home_not_the_checkout(tmp_path, monkeypatch):
    from voc.config import data_dir, models_dir

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    s = load_settings(environ={})
    assert data_dir(s) == tmp_path / "xdg" / "voc" and models_dir(s) == tmp_path / "xdg" / "voc" / "models"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")  # the XDG spec: only absolute paths count
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir(load_settings(environ={})) == tmp_path / "home" / ".local" / "share" / "voc"


def test_data_dir_and_models_dir_settings(tmp_path, monkeypatch):
    from voc.config import data_dir, models_dir

    cfg = _toml(tmp_path / "site.toml", f'[paths]\ndata_dir = "{tmp_path / "site"}"\n')
    s = load_settings(environ={"VOC_CONFIG": str(cfg)})
    assert (data_dir(s), models_dir(s)) == (tmp_path / "site", tmp_path / "site" / "models")
    s = load_settings(environ={"VOC_CONFIG": str(cfg), "VOC_PATHS_DATA_DIR": str(tmp_path / "env")})
    assert s.sources["paths.data_dir"] == "env VOC_PATHS_DATA_DIR" and models_dir(s) == tmp_path / "env" / "models"
    # models.dir still overrides the models folder alone
    s = load_settings({"paths.data_dir": str(tmp_path / "flag")}, environ={"VOC_MODELS_DIR": str(tmp_path / "m")})
    assert (data_dir(s), models_dir(s)) == (tmp_path / "flag", tmp_path / "m")


def test_defaults_are_packaged_files():
    import voc
    from voc.analyze import risk
    from voc.inspect import rules
    from voc.models import MANIFEST
    from voc.topics import taxonomy

    pkg = Path(voc.__file__).parent
    for p in (DEFAULT_CONFIG, risk.DEFAULT_RULES, rules.DEFAULT_RULES, MANIFEST, taxonomy.DEFAULT_TAXONOMY):
        assert p.exists() and p.is_relative_to(pkg / "data"), p


def test_config_show_names_what_empty_paths_mean(tmp_path):
    from voc.cli import app

    r = runner.invoke(app, ["config", "show", "--json"], env={"VOC_PATHS_DATA_DIR": str(tmp_path)})
    assert r.exit_code == 0, r.output
    rows = {d["key"]: d for d in map(json.loads, r.stdout.splitlines())}
    assert rows["paths.data_dir"] == {"key": "paths.data_dir", "value": str(tmp_path),
                                      "source": "env VOC_PATHS_DATA_DIR"}
    assert rows["models.dir"]["value"] == "" and rows["models.dir"]["effective"] == str(tmp_path / "models")
    assert rows["inspect.rules"]["effective"].endswith("voc/data/rules")
    r = runner.invoke(app, ["config", "show"], env={"VOC_PATHS_DATA_DIR": str(tmp_path), "COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    line = next(ln for ln in r.stdout.splitlines() if "│ models.dir " in ln)
    assert [c.strip() for c in line.split("│")[1:4]] == ["models.dir", str(tmp_path / "models"),
                                                         "default: <paths.data_dir>/models"]
    assert f"defaults: {DEFAULT_CONFIG}" in r.stdout
