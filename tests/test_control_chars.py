"""A file name with a newline, an escape sequence or a bidi override never splits, colours or
reorders a line voc prints: control characters are escaped in every line naming a file."""

from __future__ import annotations

from typer.testing import CliRunner

from voc.cli import app
from voc.errors import one_line

runner = CliRunner()
NAME = "bad\nname\x1b[31m\u202e.wav"


def test_one_line_escapes_controls_and_keeps_the_rest():
    assert one_line("a\nb\r\x00\x1b[0m\u202e\u2066\u2028中文\t·") == \
        "a\\nb\\r\\x00\\x1b[0m\\u202e\\u2066\\u2028中文\t·"


def test_an_error_naming_the_file_is_one_line(tmp_path):
    r = runner.invoke(app, ["analyze", str(tmp_path / NAME), "--no-store"])
    assert r.exit_code == 1
    assert r.stderr.count("\n") == 1 and "\x1b" not in r.stderr and "\u202e" not in r.stderr
    assert r.stderr.startswith("voc: error: ") and "bad\\nname\\x1b[31m\\u202e.wav: no such file" in r.stderr


def test_a_failed_input_line_is_one_line(tmp_path):
    night = tmp_path / "night"
    night.mkdir()
    (night / NAME).write_bytes(b"RIFF but not audio")
    r = runner.invoke(app, ["transcribe", str(night), "--no-store"])
    assert r.exit_code == 1
    [line] = [x for x in r.stderr.splitlines() if x.startswith("voc: ")]
    assert "bad\\nname\\x1b[31m\\u202e.wav: " in line and "transcribed 0 of 1 files" in r.stderr
