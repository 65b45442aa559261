"""The typed records of the exchange format (voc.schema, docs/format.md)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from voc.cli import app
from voc.errors import InputError
from voc.schema import Analysis, Risk, Sentiment, mmss, read_analyses

runner = CliRunner()


def test_every_analysis_record_round_trips_through_the_dataclasses(tmp_path):
    demo, out = tmp_path / "demo", tmp_path / "a.jsonl"
    r = runner.invoke(app, ["demo", "generate", "--out", str(demo), "--calls", "30", "--no-store"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["analyze", str(demo / "transcripts.jsonl"), "--out", str(out), "--no-store"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    typed = read_analyses(out)
    assert len(typed) == len(lines) == 30
    for d, a in zip(lines, typed):
        assert a.to_dict() == d                       # nothing lost, nothing added, same order
        assert isinstance(a.risk, Risk) and isinstance(a.sentiment, Sentiment)
        assert a.risk.level in ("low", "medium", "high")
    assert any(a.sentiment_agent and a.utterances and a.trajectory for a in typed)


def test_unknown_fields_are_kept_and_bad_values_refused(tmp_path):
    d = {"id": "x", "sentiment": {"label": "neutral", "positive": 0.5},
         "risk": {"score": 0.1, "level": "low", "reasons": [], "signals": []}, "redacted": True,
         "dissatisfaction": {"score": 0.2}}
    assert Analysis.from_dict(d).to_dict() == d
    for bad in ({"sentiment": {"label": "angry", "positive": 0.5}},
                {"risk": {"score": 1.5, "level": "low"}},
                {"risk": {"score": 0.5, "level": "critical"}}):
        with pytest.raises(ValueError):
            Analysis.from_dict(d | bad)
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps(d) + "\n" + json.dumps(d | bad) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):
        read_analyses(f)


def test_one_mmss_for_reasons_pages_and_cli():
    assert mmss(187.6) == "03:07"                      # whole seconds, as a player shows them
    assert mmss(59.999) == "00:59" and mmss(0) == "00:00"
    assert mmss(3725.2) == "1:02:05" and mmss(None) == "—"
