"""`voc analyze` end to end: exchange format, tables, redaction, workspace, training CLI."""

from __future__ import annotations

import csv
import json

import pytest
from conftest import SHARED
from typer.testing import CliRunner

from voc.cli import app
from voc.store import Workspace

runner = CliRunner()
CARD = "6222021234567890128"  # Luhn-valid


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    r = runner.invoke(app, ["demo", "generate", "--out", str(out), "--calls", "40", "--no-store"])
    assert r.exit_code == 0, r.output
    return out / "transcripts.jsonl"


def _records(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_transcripts_in_design_format_out_and_stored(tmp_path, demo_file):
    out, ws = tmp_path / "a.jsonl", tmp_path / "ws"
    r = runner.invoke(app, ["analyze", str(demo_file), "--out", str(out), "--workspace", str(ws), "--json"])
    assert r.exit_code == 0, r.output
    recs = _records(out)
    assert len(recs) == 40
    for a in recs:
        assert a["sentiment"]["label"] in ("negative", "neutral", "positive")
        assert 0 <= a["sentiment"]["positive"] <= 1
        assert 0 <= a["risk"]["score"] <= 1 and a["risk"]["level"] in ("low", "medium", "high")
        assert isinstance(a["risk"]["reasons"], list)
    calls = [a for a in recs if a["channel"] == "call"]
    assert all("trajectory" in a and "sentiment_agent" in a and a["utterances"] for a in calls)
    # the demo's high-risk scripts come out with reasons that quote the call
    truth = {json.loads(x)["id"]: json.loads(x)["meta"]["truth"]["risk"]
             for x in demo_file.read_text(encoding="utf-8").splitlines()}
    high = [a for a in recs if truth[a["id"]] == "high"]
    assert high and all(a["risk"]["level"] != "low" and a["risk"]["reasons"] for a in high)
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["analyzed"] == 40 and summary["redacted"] is True
    with Workspace(ws) as w:
        assert len(w.analyses()) == 40 and len(w.transcripts()) == 40
    # a second run replaces, never duplicates
    assert runner.invoke(app, ["analyze", str(demo_file), "--workspace", str(ws)]).exit_code == 0
    with Workspace(ws) as w:
        assert len(w.analyses()) == 40
        n = w.db.execute("SELECT count(*), count(DISTINCT id) FROM analyses").fetchone()
        assert n[0] == n[1] == 40


def test_pii_never_reaches_output_or_workspace(tmp_path):
    src = tmp_path / "t.csv"
    with open(src, "w", encoding="gb18030", newline="") as f:
        w = csv.writer(f)
        w.writerow(["工单号", "内容"])
        w.writerow(["A1", f"我的卡号{CARD}被盗刷了，我要打12378投诉你们"])
        w.writerow(["A2", "服务很好，问题解决了，很满意"])
    out, ws = tmp_path / "a.jsonl", tmp_path / "ws"
    r = runner.invoke(app, ["analyze", str(src), "--text-col", "内容", "--id-col", "工单号",
                            "--out", str(out), "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    a1, a2 = _records(out)
    assert a1["id"] == "A1" and a1["pii"] == {"card": 1}
    assert a1["risk"]["level"] in ("medium", "high") and any("12378" in x for x in a1["risk"]["reasons"])
    assert a1["sentiment"]["label"] == "negative" and a2["sentiment"]["label"] == "positive"
    assert CARD not in out.read_text(encoding="utf-8")
    with Workspace(ws) as w:
        dump = json.dumps([t.to_dict() for t in w.transcripts()], ensure_ascii=False)
        dump += json.dumps(w.analyses(), ensure_ascii=False)
    assert CARD not in dump and "[银行卡]" in dump


def test_no_redact_keeps_numbers_and_is_recorded(tmp_path):
    src = tmp_path / "t.jsonl"
    src.write_text(json.dumps({"id": "x", "text": f"卡号{CARD}"}, ensure_ascii=False) + "\n", encoding="utf-8")
    out, ws = tmp_path / "a.jsonl", tmp_path / "ws"
    r = runner.invoke(app, ["analyze", str(src), "--text-col", "text", "--id-col", "id",
                            "--no-redact", "--out", str(out), "--workspace", str(ws)])
    assert r.exit_code == 0, r.output
    assert _records(out)[0]["redacted"] is False
    with Workspace(ws) as w:
        assert CARD in w.transcripts()[0].text
        assert json.loads(w.runs()[0]["config"])["privacy.redact"] is False


def test_bad_rows_reported_and_skipped(tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("id,text\n1,还款日是哪天\n2,\n3,年费怎么收\n", encoding="utf-8")
    out = tmp_path / "a.jsonl"
    r = runner.invoke(app, ["analyze", str(src), "--text-col", "text", "--id-col", "id",
                            "--out", str(out), "--no-store"])
    assert r.exit_code == 1
    assert f"{src}: row 3" in r.stderr and "empty" in r.stderr
    assert [a["id"] for a in _records(out)] == ["1", "3"]


def test_missing_column_is_one_line(tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("id,text\n1,你好\n", encoding="utf-8")
    r = runner.invoke(app, ["analyze", str(src), "--text-col", "内容", "--no-store"])
    assert r.exit_code == 1
    assert r.stderr.count("\n") == 1 and "内容" in r.stderr and "text" in r.stderr


def test_train_category_then_analyze_with_it(tmp_path):
    rows = (SHARED / "text" / "celine_train.csv").read_text(encoding="utf-8").splitlines()[:600]
    train = tmp_path / "train.csv"
    train.write_text("\n".join(rows) + "\n", encoding="utf-8")
    model = tmp_path / "cat"
    r = runner.invoke(app, ["train", "category", "--input", str(train), "--text-col", "0",
                            "--label-col", "1", "--out", str(model), "--json"])
    assert r.exit_code == 0, r.output
    metrics = json.loads(r.stdout.strip().splitlines()[-1])
    assert 0 < metrics["macro_f1"] <= 1
    assert (model / "metrics.json").exists()
    src = tmp_path / "t.csv"
    src.write_text("text\n催收人员天天打电话骚扰我的家人和同事\n", encoding="utf-8")
    out = tmp_path / "a.jsonl"
    r = runner.invoke(app, ["analyze", str(src), "--text-col", "text", "--category-model", str(model),
                            "--out", str(out), "--no-store"])
    assert r.exit_code == 0, r.output
    (a,) = _records(out)
    assert a["category"]["label"] and 0 <= a["category"]["score"] <= 1


def test_train_risk_then_analyze_with_it(tmp_path):
    """Filed complaints (label 1) against routine bank questions (label 0): plumbing of the
    learned risk part through the CLI; real texts, small sample."""
    complaints = [ln.rsplit(",", 1)[0] for ln in
                  (SHARED / "text" / "celine_train.csv").read_text(encoding="utf-8").splitlines()[:120]]
    questions = [ln.split("\t")[0] for ln in
                 (SHARED / "text" / "bq_dev.tsv").read_text(encoding="utf-8").splitlines()[:120]]
    src = tmp_path / "labelled.csv"
    with open(src, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "escalated"])
        w.writerows([(x, 1) for x in complaints] + [(x, 0) for x in questions])
    model = tmp_path / "risk"
    r = runner.invoke(app, ["train", "risk", "--input", str(src), "--text-col", "text",
                            "--label-col", "escalated", "--out", str(model), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.strip().splitlines()[-1])["roc_auc"] > 0.8
    texts = tmp_path / "t.csv"
    texts.write_text("text\n你们银行乱扣我的年费，打了三次电话都没人处理，太过分了\n请问信用卡怎么办理\n",
                     encoding="utf-8")
    out = tmp_path / "a.jsonl"
    r = runner.invoke(app, ["analyze", str(texts), "--text-col", "text", "--risk-model", str(model),
                            "--out", str(out), "--no-store"])
    assert r.exit_code == 0, r.output
    complaint, question = _records(out)
    assert complaint["risk"]["score"] > question["risk"]["score"]
