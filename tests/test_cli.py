"""The `voc` command: lazy imports, help for every command, version, demo, --debug."""

from __future__ import annotations

import csv
import json
import os
import subprocess

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from voc import __version__
from voc.cli import app
from voc.store import Workspace

runner = CliRunner()
PY = str(ROOT / ".venv" / "bin" / "python")
HEAVY = {"torch", "funasr", "bertopic", "faster_whisper", "ctranslate2", "duckdb", "modelscope",
         "sentence_transformers", "hdbscan", "umap", "sklearn", "av"}


pytestmark = pytest.mark.usefixtures("clean_env")


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("VOC_")}


# -- lazy imports ------------------------------------------------------------------------------

def test_help_imports_nothing_heavy(tmp_path):
    script = f"""
import json, sys
from typer.testing import CliRunner
from voc.cli import app
r = CliRunner()
codes = [r.invoke(app, args).exit_code for args in (
    ["--help"], ["transcribe", "--help"], ["models", "--help"], ["models", "list", "--help"],
    ["models", "fetch", "--help"], ["config", "--help"], ["demo", "generate", "--help"])]
print(json.dumps({{"codes": codes,
                  "heavy": sorted(m for m in sys.modules if m.split(".")[0] in {sorted(HEAVY)!r})}}))
"""
    r = subprocess.run([PY, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                       env=_env())
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["codes"] == [0] * 7
    assert out["heavy"] == []


def test_real_voc_help_process(tmp_path):
    r = subprocess.run([PY, "-X", "importtime", "-m", "voc", "--help"], capture_output=True, text=True,
                       timeout=30, cwd=tmp_path, env=_env())
    assert r.returncode == 0, r.stderr
    assert "Usage:" in r.stdout and "transcribe" in r.stdout and "models" in r.stdout
    imported = {ln.split("|")[-1].strip().split(".")[0] for ln in r.stderr.splitlines()
                if ln.startswith("import time:")}
    assert "typer" in imported and "voc" in imported  # the import log was read
    assert not imported & HEAVY, imported & HEAVY
    assert not (tmp_path / "voc-workspace").exists()


# -- help for every command --------------------------------------------------------------------

@pytest.mark.parametrize("args,words", [
    ([], ["transcribe", "models", "config", "demo", "--debug", "--version"]),
    (["transcribe"], ["--out", "--engine", "--channel-roles", "--hotword", "--workspace", "--no-store"]),
    (["models"], ["list", "fetch", "verify", "path"]),
    (["models", "list"], ["--json"]),
    (["models", "fetch"], ["names", "--force"]),
    (["models", "verify"], ["--json"]),
    (["models", "path"], ["name"]),
    (["config"], ["show"]),
    (["config", "show"], ["--json"]),
    (["demo"], ["generate"]),
    (["demo", "generate"], ["--out", "--calls", "--seed", "--workspace", "--no-store"]),
])
def test_help(args, words):
    r = runner.invoke(app, [*args, "--help"])
    assert r.exit_code == 0, r.output
    assert "Usage:" in r.stdout
    for w in words:
        assert w in r.stdout.lower(), (args, w)


@pytest.mark.parametrize("args", [[], ["models"], ["config"], ["demo"]])
def test_group_without_command_shows_help(args):
    r = runner.invoke(app, args)
    assert "Usage:" in r.output
    assert r.exit_code in (0, 2)


def test_version_with_a_command():
    r = runner.invoke(app, ["--version", "config", "show", "--json"])
    assert r.exit_code == 0
    assert r.stdout.strip() == __version__


def test_version():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0
    assert r.stdout.strip() == __version__


def test_version_real_process(tmp_path):
    r = subprocess.run([PY, "-m", "voc", "--version"], capture_output=True, text=True, timeout=30,
                       cwd=tmp_path, env=_env())
    assert (r.returncode, r.stdout.strip()) == (0, __version__)


# -- demo generate -----------------------------------------------------------------------------

def test_demo_generate_writes_files_and_workspace(tmp_path):
    out, ws_path = tmp_path / "demo", tmp_path / "ws"
    r = runner.invoke(app, ["demo", "generate", "--out", str(out), "--calls", "20", "--workspace", str(ws_path)])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == str(out / "transcripts.jsonl")
    assert "wrote 20 demo contacts" in r.stderr and "workspace" in r.stderr

    lines = (out / "transcripts.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(ln) for ln in lines]
    assert len(records) == 20 and len({d["id"] for d in records}) == 20
    with open(out / "contacts.csv", encoding="utf-8-sig", newline="") as f:
        contacts = list(csv.DictReader(f))
    texts = [d for d in records if d["channel"] != "call"]
    assert len(contacts) == len(texts) and contacts

    with Workspace(ws_path) as ws:
        stored = ws.transcripts()
        assert sorted(t.id for t in stored) == sorted(d["id"] for d in records)
        by_id = {d["id"]: d for d in records}
        # stored redacted: timing and roles as written, card/ID/phone numbers masked
        from voc.text.pii import find_pii

        for t in stored:
            d = by_id[t.id]
            assert [(u.start, u.role) for u in t.utterances] == [(u["start"], u["role"]) for u in d["utterances"]]
            assert t.meta["redacted"] is True and not find_pii(t.text, asr=True)
        assert any(t.meta.get("pii") for t in stored)
        runs = ws.runs()
        assert [(x["command"], x["status"], x["succeeded"], x["inputs"]) for x in runs] == [
            ("demo generate", "ok", 20, 20)]
        n_utts = ws.db.execute("SELECT count(*) FROM utterances").fetchone()[0]
        assert n_utts == sum(len(d["utterances"]) for d in records)

    # again: same records, not duplicated; the second run is recorded too
    r = runner.invoke(app, ["demo", "generate", "--out", str(out), "--calls", "20", "--workspace", str(ws_path)])
    assert r.exit_code == 0, r.output
    with Workspace(ws_path) as ws:
        assert ws.db.execute("SELECT count(*) FROM transcripts").fetchone()[0] == 20
        assert ws.db.execute("SELECT count(*) FROM utterances").fetchone()[0] == n_utts
        assert len(ws.runs()) == 2


def test_demo_generate_no_store(tmp_path):
    r = runner.invoke(app, ["demo", "generate", "--out", "d", "--calls", "3", "--no-store"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "d" / "transcripts.jsonl").is_file()
    assert not (tmp_path / "voc-workspace").exists()


def test_demo_generate_default_workspace_from_env(tmp_path):
    r = runner.invoke(app, ["demo", "generate", "--out", "d", "--calls", "2"],
                      env={"VOC_WORKSPACE_PATH": str(tmp_path / "from-env")})
    assert r.exit_code == 0, r.output
    with Workspace(tmp_path / "from-env", read_only=True) as ws:
        assert len(ws.transcripts()) == 2


def test_demo_generate_bad_calls_is_usage_error():
    r = runner.invoke(app, ["demo", "generate", "--calls", "0", "--no-store"])
    assert r.exit_code == 2
    assert "--calls" in r.output


def test_demo_generate_workspace_in_use(tmp_path):
    ws_path = tmp_path / "ws"
    Workspace(ws_path).close()
    holder = subprocess.Popen(
        [PY, "-c", f"from voc.store import Workspace; import sys; ws = Workspace({str(ws_path)!r}); "
                   f"print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert holder.stdout.readline().strip() == "ready"
        r = runner.invoke(app, ["demo", "generate", "--out", "d", "--calls", "2", "-w", str(ws_path)])
        assert r.exit_code == 1
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("voc: error: ") and "in use" in r.stderr
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


# -- errors and --debug ------------------------------------------------------------------------

BOGUS = ["transcribe", "/nonexistent.wav", "--engine", "bogus"]


def test_error_is_one_line_without_debug():
    r = runner.invoke(app, BOGUS)
    assert r.exit_code == 1
    assert r.stderr == "voc: error: unknown engine 'bogus'; choose auto, funasr or whisper\n"
    assert isinstance(r.exception, SystemExit)


def test_debug_lets_the_exception_through():
    from voc.errors import ConfigError

    r = runner.invoke(app, ["--debug", *BOGUS])
    assert r.exit_code == 1
    assert isinstance(r.exception, ConfigError) and "bogus" in str(r.exception)
    # the flag does not stick to the next invocation in the same process
    r = runner.invoke(app, BOGUS)
    assert isinstance(r.exception, SystemExit) and r.stderr.startswith("voc: error: ")


@pytest.mark.parametrize("debug", [False, True])
def test_debug_traceback_real_process(tmp_path, debug):
    args = [PY, "-m", "voc", *(["--debug"] if debug else []), *BOGUS]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=tmp_path, env=_env())
    assert r.returncode == 1
    assert r.stdout == ""
    if debug:
        assert "Traceback" in r.stderr and "ConfigError" in r.stderr and "bogus" in r.stderr
    else:
        assert r.stderr == "voc: error: unknown engine 'bogus'; choose auto, funasr or whisper\n"
    assert not (tmp_path / "voc-workspace").exists()


def test_unusable_workspace_is_one_line_error(tmp_path):
    (tmp_path / "ws" / "voc.duckdb").mkdir(parents=True)  # a folder where the DuckDB file goes
    r = runner.invoke(app, ["demo", "generate", "--out", "d", "--calls", "1", "-w", str(tmp_path / "ws")])
    assert r.exit_code == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("voc: error: "), r.stderr
    assert f"{tmp_path / 'ws'}: cannot open voc.duckdb" in r.stderr
    assert "Traceback" not in r.output


# -- help ends with examples, --json described, no silent empty workspace (issue 16) ----------

def _leaves():
    import typer.main

    def walk(cmd, path):
        subs = getattr(cmd, "commands", None)
        if subs:
            yield path, cmd
            for name, c in subs.items():
                yield from walk(c, [*path, name])
        else:
            yield path, cmd
    return list(walk(typer.main.get_command(app), []))


def test_every_help_ends_with_examples_that_are_real_commands():
    from rich.cells import cell_len

    from voc.cli.examples import EXAMPLES

    leaves = _leaves()
    assert len(leaves) > 25
    for path, cmd in leaves:
        r = runner.invoke(app, [*path, "--help"], terminal_width=80)
        assert r.exit_code == 0, (path, r.output)
        tail = r.stdout[r.stdout.rindex("Examples:"):]
        examples = [ln.strip() for ln in tail.splitlines()[1:] if ln.strip()]
        assert 1 <= len(examples) <= 2 and examples == EXAMPLES[" ".join(path)], path
        assert all(cell_len(x) <= 76 for x in examples), path                 # one line at 80 columns
        if getattr(cmd, "commands", None):
            continue
        opts = {o for p in cmd.params for o in getattr(p, "opts", [])} | {"--help"}
        for ex in examples:
            words = ex.split("|")[0].split()
            words = words[next(k for k, w in enumerate(words) if w == "voc"):]
            assert words[1:1 + len(path)] == path, (path, ex)
            flags = {w.split("=")[0] for w in words if w.startswith("-") and not w.startswith("---")}
            assert flags <= opts, (path, ex, flags - opts)


def test_every_json_option_says_what_it_prints():
    described = 0
    for path, cmd in _leaves():
        for p in cmd.params:
            if "--json" in getattr(p, "opts", []):
                assert p.help and len(p.help) > 45 and "JSON" in p.help, (path, p.help)
                described += 1
    assert described >= 20


def test_a_reading_command_names_the_workspaces_it_can_see(tmp_path):
    (tmp_path / "demo" / "out").mkdir(parents=True)
    Workspace(tmp_path / "demo" / "out" / "workspace").close()
    for args in (["review", "list"], ["review", "history"], ["review", "scorecard"], ["report"], ["export", "--out", "x"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 1, (args, r.output)
        assert "voc-workspace: no workspace here" in r.stderr and "workspaces here: demo/out/workspace" in r.stderr
    assert not (tmp_path / "voc-workspace").exists()                    # none created silently
    r = runner.invoke(app, ["review", "list", "-w", "demo/out/workspace"])
    assert r.exit_code == 0 and "0 findings" in r.stderr


def test_tables_have_headers_and_align_cjk(tmp_path, capsys):
    from rich.cells import cell_len

    from voc.cli import common

    common.table(["班组", "contacts"], [["信用卡一组", 19], ["A", 3]])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["班组", "contacts"]
    assert len({cell_len(ln[:ln.index(str(n))]) for ln, n in zip(lines[1:], (19, 3))}) == 1  # the 2nd column lines up
