"""`voc topics INPUT --out DIR` and `voc topics assign` through the CLI (CliRunner)."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys

import pytest
import topics_helpers as H
from typer.testing import CliRunner

from voc.cli import app

runner = CliRunner()


def _csv(path, texts, with_meta=True):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        if with_meta:
            w.writerow(["编号", "内容", "时间", "产品"])
            for i, t in enumerate(texts):
                w.writerow([f"n{i:04d}", t, f"2026-05-{1 + i % 9:02d} 09:30",
                            ["信用卡", "消费贷", "借记卡"][i % 3]])
        else:
            w.writerows([[t, 0] for t in texts])
    return path


@pytest.fixture(scope="module")
def fitted_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("topics")
    src = _csv(d / "complaints.csv", H.celine(300)[0])
    out = d / "out"
    r = runner.invoke(app, ["topics", str(src), "--out", str(out), "--text-col", "内容",
                            "--id-col", "编号", "--time-col", "时间", "-c", "产品", "-c", "channel",
                            "--min-cluster-size", "10", "-w", str(d / "ws"), "--json",
                            "--embedding", "lsa"])  # plumbing: the e5 default is fitted in test_topics
    assert r.exit_code == 0, r.output
    return d, out, json.loads(r.stdout.strip().splitlines()[-1])


def test_fit_writes_the_contract_files(fitted_dir):
    d, out, summary = fitted_dir
    with open(out / "assignments.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["id", "topic", "topic_label"]
    assert len(rows) == 301 and rows[1][0] == "n0000"
    assert all(r[2] for r in rows[1:]) and {r[1] for r in rows[1:]} - {"-1"}
    assert (out / "model" / "topic_embeddings.safetensors").exists()
    assert (out / "model" / "voc_topics.json").exists()
    for name in ("topics.csv", "topics.json", "trends_day.csv", "per_class_产品.csv",
                 "per_class_channel.csv", "topics.html"):
        assert (out / name).exists(), name
    # 3 to 7 topics over BLAS builds and seeds (docs/reproducibility.md)
    assert summary["texts"] == 300 and summary["topics"] >= 2 and summary["bad_rows"] == 0
    rep = summary["fit_report"]  # --json carries the fit report: noise, reassigned, splits
    assert rep["noise"] == summary["outliers_clustered"] and rep["noise"] - rep["reassigned"] == summary["outliers"]
    html = (out / "topics.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src\s*=\s*[\"']?(https?:)?//", html, re.I)
    assert json.dumps("信用卡")[1:-1] in html  # the per-product chart (JSON-escaped)


def test_fit_stores_in_the_workspace(fitted_dir):
    from voc.store import Workspace

    d, out, summary = fitted_dir
    with Workspace(d / "ws", read_only=True) as ws:
        rows = ws.topic_assignments()
        assert len(rows) == 300 and rows[0]["fields"]["产品"] in ("信用卡", "消费贷", "借记卡")
        assert ws.runs()[-1]["command"] == "topics" and ws.runs()[-1]["status"] == "ok"


def test_headerless_csv_by_column_number(tmp_path):
    src = _csv(tmp_path / "c.csv", H.celine(120, every=31)[0], with_meta=False)
    r = runner.invoke(app, ["topics", str(src), "--out", str(tmp_path / "o"), "--text-col", "0",
                            "--min-cluster-size", "8", "--no-store", "--embedding", "lsa"])
    assert r.exit_code == 0, r.output
    lines = (tmp_path / "o" / "assignments.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,topic,topic_label"
    # the summary line says how many texts fit no topic, as assignments.csv holds them
    unfit = sum(1 for row in lines[1:] if row.split(",")[1] == "-1")
    assert re.search(rf"120 texts -> \d+ topics, {unfit} 未归类 \(\d+ outliers, \d+ joined their nearest topic\)",
                     r.output), r.output


def test_assign_a_new_night_with_emerging_topics(fitted_dir, tmp_path):
    d, out, _ = fitted_dir
    night = H.celine(60, every=17)[0] + H.waimai(60)
    src = _csv(tmp_path / "night.csv", night)
    r = runner.invoke(app, ["topics", "assign", str(src), "--model", str(out), "--out",
                            str(tmp_path / "night"), "--text-col", "内容", "--id-col", "编号",
                            "--time-col", "时间", "-w", str(d / "ws"), "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout.strip().splitlines()[-1])
    assert s["texts"] == 120 and s["emerging"] and s["emerging"][0]["label"].startswith("新话题E1")
    with open(tmp_path / "night" / "assignments.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["id", "topic", "topic_label", "score", "emerging"]
    assert sum(r["emerging"] == "E1" for r in rows[60:]) >= 5
    assert (tmp_path / "night" / "emerging.csv").exists() and (tmp_path / "night" / "rising.csv").exists()
    assert json.dumps("新话题E1")[1:-1] in (tmp_path / "night" / "topics.html").read_text(encoding="utf-8")


def test_errors_are_one_line(tmp_path):
    src = _csv(tmp_path / "c.csv", H.celine(20)[0])
    r = runner.invoke(app, ["topics", str(src), "--out", str(tmp_path / "o"), "--text-col", "内容",
                            "--mode", "magic", "--no-store"])
    assert r.exit_code == 1 and "free, guided or zeroshot" in r.output
    r = runner.invoke(app, ["topics", "assign", str(src), "--out", str(tmp_path / "o"),
                            "--model", str(tmp_path), "--no-store"])
    assert r.exit_code == 1 and "not a voc topic model" in r.output
    r = runner.invoke(app, ["topics", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "no such file" in r.output


def test_help_does_not_import_bertopic():
    code = ("import sys; from voc.cli import app; from typer.testing import CliRunner; "
            "r = CliRunner().invoke(app, ['topics', '--help']); assert r.exit_code == 0; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('bertopic', 'torch', 'umap', 'hdbscan', 'sentence_transformers', 'plotly')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
