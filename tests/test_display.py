"""Control characters in contacts reach no reviewer raw: bidi controls are shown as [U+XXXX]
and NULs dropped on the dashboard and in exports, while the stored text keeps them."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from voc.cli import app
from voc.store import Workspace
from voc.text.display import BIDI, neutral

runner = CliRunner()
TEXT = "我要投诉你们\u202e abc 您好\x00，\u2066年费\u2069"

pytestmark = pytest.mark.usefixtures("clean_env")


def test_neutral():
    assert neutral(TEXT) == "我要投诉你们[U+202E] abc 您好，[U+2066]年费[U+2069]"
    assert neutral("plain 文本") == "plain 文本" and neutral(None) is None and neutral(3) == 3


def test_dashboard_and_export_show_them_and_the_store_keeps_them(tmp_path):
    src = tmp_path / "t.jsonl"
    src.write_text(json.dumps({"id": "c1", "text": TEXT}, ensure_ascii=False) + "\n", encoding="utf-8")
    ws = tmp_path / "ws"
    r = runner.invoke(app, ["analyze", str(src), "--text-col", "text", "--id-col", "id", "-w", str(ws)])
    assert r.exit_code == 0, r.output
    with Workspace(ws) as w:
        assert w.transcripts()[0].text == TEXT            # the record of what was sent
    assert runner.invoke(app, ["report", "-w", str(ws), "--out", str(tmp_path / "dash")]).exit_code == 0
    pages = [p.read_text(encoding="utf-8") for p in (tmp_path / "dash").rglob("*.html")]
    call = [p for p in pages if "abc 您好" in p]
    assert call and all("[U+202E] abc 您好，[U+2066]年费[U+2069]" in p for p in call)
    assert not any(c in p for p in pages for c in BIDI + "\x00")
    r = runner.invoke(app, ["export", "-w", str(ws), "--out", str(tmp_path / "x"), "--min-risk", "low",
                            "--format", "csv"])
    assert r.exit_code == 0, r.output
    cells = [c for p in (tmp_path / "x").glob("*.csv")
             for row in csv.reader(open(p, encoding="utf-8-sig", newline="")) for c in row]
    assert not any(ch in c for c in cells for ch in BIDI + "\x00")
