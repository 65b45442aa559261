"""`voc report`: the pages, their numbers, escaping, the PII safeguard, optional topics, the
`voc run` stage. The same pages in a real browser: tests/test_report_browser.py."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import report_workspace as RW
from typer.testing import CliRunner

from voc.cli import app
from voc.store import Workspace

runner = CliRunner()
CHART_PAGES = ("index.html", "qa.html", "topics.html")


pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture(scope="module")
def ws_dir(tmp_path_factory):
    return RW.shared(tmp_path_factory)


@pytest.fixture(scope="module")
def report(ws_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "dash"
    r = runner.invoke(app, ["report", "--workspace", str(ws_dir), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == str(out / "index.html")
    return out


def page(out: Path, name: str) -> str:
    return (out / name).read_text(encoding="utf-8")


def page_data(text: str) -> dict:
    m = re.search(r'<script type="application/json" id="voc-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1))


def plotly_js() -> str:
    from voc.report.pages import plotly_js as js

    return js()


def plotly_banner() -> str:
    return plotly_js()[:80]


def test_pages_written_with_one_page_per_contact(report, ws_dir):
    for name in ("index.html", "risk.html", "qa.html", "topics.html", "runs.html", "manifest.json"):
        assert (report / name).is_file(), name
    with Workspace(ws_dir) as ws:
        n = ws.db.execute("SELECT count(*) FROM transcripts").fetchone()[0]
    assert len(list((report / "calls").glob("*.html"))) == n == 61
    manifest = json.loads(page(report, "manifest.json"))
    assert manifest["contacts"] == n and manifest["call_pages"] == n and manifest["redacted"] is True
    assert manifest["topics_model"] == "topics-test"


def test_self_contained_plotly_inlined_once_no_urls(report):
    banner = plotly_banner()
    for name in ("index.html", "risk.html", "qa.html", "topics.html",
                 *[f"calls/{p.name}" for p in sorted((report / "calls").glob("*.html"))[:5]]):
        text = page(report, name)
        assert text.count(banner) == (1 if name in CHART_PAGES else 0), name
        ours = text.replace(plotly_js(), "")                  # plotly's bundle names URLs it never loads here
        assert not re.search(r"<script[^>]*\bsrc=", ours), name
        assert not re.search(r"<link[^>]*stylesheet", ours), name
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", ours, re.I), name
        assert "Content-Security-Policy" in text and "connect-src 'none'" in text
        assert "Noto Sans CJK SC" in text                      # the CJK font first in the CSS


def test_overview_cells_add_up(report, ws_dir):
    data = page_data(page(report, "index.html"))
    cells = data["cells"]
    with Workspace(ws_dir) as ws:
        n = ws.db.execute("SELECT count(*) FROM transcripts").fetchone()[0]
        levels = dict(ws.db.execute("SELECT risk_level, count(*) FROM analyses GROUP BY 1").fetchall())
        neg = ws.db.execute("SELECT count(*) FROM analyses WHERE sentiment = 'negative'").fetchone()[0]
        full = ws.db.execute("SELECT count(*) FROM inspections WHERE coverage = 'full'").fetchone()[0]
    assert sum(c["n"] for c in cells) == n
    assert sum(c["high"] for c in cells) == levels.get("high", 0)
    assert sum(c["neg"] for c in cells) == neg
    assert sum(c["insp"] for c in cells) == full < n        # 未质检 tickets are not in the pass rate
    assert {c["channel"] for c in cells} >= {"call", "chat"}
    f = data["filters"]
    assert f["min"] == "2026-11-01" and f["min"] <= f["max"]
    assert set(f["teams"]) == {c["team"] for c in cells}
    assert sum(sum(c["topics"].values()) for c in cells) == n      # every contact has a topic


def test_qa_scores_match_voc_review_scorecard(report, ws_dir):
    from voc.inspect.review import workspace_scorecards
    from voc.report import data as D

    with Workspace(ws_dir) as ws:
        expected = {r["agent"]: r["mean_score"] for r in workspace_scorecards(ws, "agent")}
        contacts = D.contacts(ws, findings=D.findings(ws))
        qa = D.qa(contacts, D.findings(ws), D.rules_applied(ws, {c["id"] for c in contacts}))
    assert {r["agent"]: r["mean_score"] for r in qa["agents"]} == expected
    states = {s["state"]: s["findings"] for s in qa["states"]}
    assert states["confirmed"] == 1 and states["dismissed"] == 1 and states["overturned"] == 1
    assert states["appealed"] == 1
    text = page(report, "qa.html")
    for name in ("规则命中率", "班组记分卡", "坐席记分卡", "按复核状态的发现", "已撤销", "申诉成立"):
        assert name in text


def test_dismissed_finding_no_longer_deducts(tmp_path, ws_dir):
    from voc.report import data as D

    ws_copy = RW.copy(ws_dir, tmp_path / "ws")
    with Workspace(ws_copy) as ws:
        f = next(x for x in ws.findings() if x["state"] == "open" and x["deduct"])
        before = next(c for c in D.contacts(ws, findings=D.findings(ws)) if c["id"] == f["transcript_id"])
        ws.append_review_events([{"finding_id": f["finding_id"], "action": "dismiss", "from_state": "open",
                                  "to_state": "dismissed", "reviewer": "t", "reason": "误报"}])
        after = next(c for c in D.contacts(ws, findings=D.findings(ws)) if c["id"] == f["transcript_id"])
    assert after["qa_score"] == min(100.0, before["qa_score"] + f["deduct"])
    assert after["findings"] == before["findings"] - 1


def test_risk_queue_ranked_with_reasons_and_links(report):
    text = page(report, "risk.html")
    rows = re.findall(r'<tr data-d="[^"]*".*?</tr>', text, re.S)
    assert rows
    scores = [float(re.search(r'<td class="num score">([0-9.]+)</td>', r).group(1)) for r in rows]
    assert scores == sorted(scores, reverse=True)
    for r in rows:
        assert 'data-level="high"' in r or 'data-level="medium"' in r
        link = re.search(r'href="calls/([^"]+)"', r).group(1)
        assert (report / "calls" / html.unescape(link)).is_file()
        assert "<li>" in r                                        # at least one reason


def test_hostile_text_is_escaped_everywhere(report):
    from voc.report.data import page_name

    call = page(report, "calls/" + page_name(RW.HOSTILE_ID))
    assert page_name(RW.HOSTILE_ID).startswith("c-")            # no path from the id
    for text in [call, *(page(report, n) for n in ("index.html", "risk.html", "qa.html", "topics.html"))]:
        assert "<script>alert" not in text
        assert "<img src=x" not in text and "<svg onload" not in text and "<b>A9</b>" not in text
        data = re.search(r'id="voc-data">(.*?)</script>', text, re.S)
        if data:
            assert "<" not in data.group(1)                       # tojson escapes every <
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in call
    assert "&lt;img src=x onerror=alert(3)&gt;" in call
    assert "[银行卡]" in call and RW.card_number() not in call


def test_call_detail_transcript_findings_highlighted(report, ws_dir):
    from voc.report.data import page_name

    with Workspace(ws_dir) as ws:
        f = next(x for x in ws.findings() if any(e.get("match") for e in x["evidence"])
                 and x["transcript_id"] != RW.HOSTILE_ID)
        utts = ws.db.execute("SELECT count(*) FROM utterances WHERE transcript_id = ?",
                             [f["transcript_id"]]).fetchone()[0]
    text = page(report, "calls/" + page_name(f["transcript_id"]))
    assert text.count('<tr id="u-') == utts
    match = next(e["match"] for e in f["evidence"] if e.get("match")).split("、")[0]
    assert re.search(r'<mark class="finding[^"]*" title="[^"]*">[^<]*' + re.escape(html.escape(match)), text)
    assert f'id="finding-{f["finding_id"]}"' in text and f["rule_name"] in text
    assert re.search(r'<span class="role (agent|customer)">(坐席|客户)</span>', text)
    assert re.search(r'<td class="t"><a class="ts" href="#u-\d+" data-t="[\d.]+">\d\d:\d\d–\d\d:\d\d</a></td>', text)
    assert 'class="sent ' in text                                # per-utterance sentiment


def test_topics_page_with_a_model(report):
    text = page(report, "topics.html")
    for label in RW.TOPIC_LABELS.values():
        assert label in text
    assert 'id="emerging-table"' in text and "新兴·数字人民币" in text
    assert "[银行卡]" in text and RW.card_number() not in text      # representative text masked
    data = page_data(text)
    assert set(data["charts"]) == {"topic_sizes", "topic_trend"}


def test_no_topics_says_so(tmp_path):
    ws_dir = RW.build(tmp_path / "b", n=12, topics=False, reviews=False)
    r = runner.invoke(app, ["report", "-w", str(ws_dir), "--out", "dash"])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "dash" / "topics.html").read_text(encoding="utf-8")
    assert 'id="no-topics"' in text and "voc topics" in text and plotly_banner() not in text
    assert 'id="no-topics"' in (tmp_path / "dash" / "index.html").read_text(encoding="utf-8")
    with Workspace(ws_dir) as ws:                       # topic tables missing altogether
        ws.db.execute("DROP TABLE topic_assignments; DROP TABLE topics; DROP TABLE topic_models")
    r = runner.invoke(app, ["report", "-w", str(ws_dir), "--out", "dash2", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["topics"] is False
    assert 'id="no-topics"' in (tmp_path / "dash2" / "topics.html").read_text(encoding="utf-8")


def _transcript_cells(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", " ".join(re.findall(r'<td class="text">(.*?)</td>', text, re.S))))


def test_pii_safeguard_on_raw_transcripts(tmp_path):
    """Transcripts stored unredacted (`--no-redact`): the report masks them anyway, unless told
    not to (then every page says so)."""
    from voc.text.pii import find_pii

    ws_dir = RW.build(tmp_path / "raw", n=40, analyze=False, topics=False, reviews=False, raw=True)
    with Workspace(ws_dir) as ws:
        raw = [t for t in ws.transcripts() if find_pii(t.text, asr=True)]
    assert raw, "the demo set should contain read-out numbers"
    assert runner.invoke(app, ["report", "-w", str(ws_dir), "--out", "masked"]).exit_code == 0
    assert runner.invoke(app, ["report", "-w", str(ws_dir), "--out", "open", "--no-redact"]).exit_code == 0
    from voc.report.data import page_name

    for t in raw:
        masked = (tmp_path / "masked" / "calls" / page_name(t.id)).read_text(encoding="utf-8")
        assert not find_pii(_transcript_cells(masked), asr=True), t.id
        assert "pii-warning" not in masked
    opened = (tmp_path / "open" / "calls" / page_name(raw[0].id)).read_text(encoding="utf-8")
    assert find_pii(_transcript_cells(opened), asr=True)
    assert 'id="pii-warning"' in opened
    with Workspace(ws_dir) as ws:
        runs = [r for r in ws.runs() if r["command"] == "report"]
    assert [json.loads(r["config"])["privacy.redact"] for r in runs] == [True, False]
    assert all(r["status"] == "ok" for r in runs)


def test_runs_page_shows_the_run_record_and_failures_masked(tmp_path, ws_dir):
    ws_copy = RW.copy(ws_dir, tmp_path / "ws")
    with Workspace(ws_copy) as ws:
        run_id = ws.start_run("run", {"inputs": ["/rec"]}, inputs=2)
        ws.update_run(run_id, config_hash="ab" * 32)
        ws.record_failure(run_id, "/rec/0001_13812345678_20261101.wav", "empty file (0 bytes)")
        ws.finish_run(run_id, succeeded=1, failed=1, status="failed",
                      models={"asr": {"models": [{"name": "whisper-base",
                                                  "sha256": {"model.bin": "d01c" + "0" * 60}}]},
                              "analyze": {"sentiment": {"path": "/m/sentiment-default",
                                                        "sha256": "f5ec" + "1" * 60}}})
        recorded = [r["run_id"] for r in ws.runs()]
    out = tmp_path / "dash"
    r = runner.invoke(app, ["report", "-w", str(ws_copy), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["pages"]["runs"] == "runs.html"
    text = page(out, "runs.html")
    table = text.split('id="runs-table"')[1].split("</table>")[0]
    shown = re.findall(r"<tr data-status[^>]*>\s*<td><code>([^<]+)</code>", table)
    assert shown == [summary["run_id"]] + recorded[::-1]        # every run, newest first
    assert "生成本报告" in table.split(summary["run_id"])[1].split("</tr>")[0]  # the report itself
    row = table.split(run_id)[1].split("</tr>")[0]
    assert "有失败" in row and "voc run" in row and "abababababab" in row
    assert "whisper-base <code" in row and "d01c00000000" in row and "sentiment-default" in row
    fails = text.split('id="failures-table"')[1].split("</table>")[0]
    assert "0001_[手机号]_20261101.wav" in fails and "13812345678" not in text
    assert "empty file (0 bytes)" in fails
    assert 'id="nav-runs"' in page(out, "index.html")
    r = runner.invoke(app, ["report", "-w", str(ws_copy), "--out", str(tmp_path / "open"),
                            "--no-redact"])
    assert "0001_13812345678_20261101.wav" in page(tmp_path / "open", "runs.html")


def test_date_range_and_stale_pages(tmp_path, ws_dir):
    out = tmp_path / "dash"
    assert runner.invoke(app, ["report", "-w", str(ws_dir), "--out", str(out)]).exit_code == 0
    n_all = len(list((out / "calls").glob("*.html")))
    r = runner.invoke(app, ["report", "-w", str(ws_dir), "--out", str(out), "--since", "2026-11-03",
                            "--until", "2026-11-05", "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert 0 < s["contacts"] < n_all and s["since"] == "2026-11-03"
    assert len(list((out / "calls").glob("*.html"))) == s["contacts"]      # old pages removed
    cells = page_data((out / "index.html").read_text(encoding="utf-8"))["cells"]
    assert {c["d"] for c in cells} <= {"2026-11-03", "2026-11-04", "2026-11-05"}


def test_files_voc_did_not_write_are_kept(tmp_path, ws_dir):
    mine = tmp_path / "site" / "calls" / "notes.html"
    mine.parent.mkdir(parents=True)
    mine.write_text("my notes", encoding="utf-8")
    r = runner.invoke(app, ["report", "-w", str(ws_dir), "--out", str(tmp_path / "site"), "--since", "2026-11-14"])
    assert r.exit_code == 0, r.output
    assert mine.read_text(encoding="utf-8") == "my notes"


def test_errors_are_one_line(tmp_path):
    r = runner.invoke(app, ["report", "-w", str(tmp_path / "nothing"), "--out", "x"])
    assert r.exit_code == 1 and "no workspace here" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "nothing").exists()                  # no empty workspace created
    ws_dir = tmp_path / "ws"
    Workspace(ws_dir).close()
    r = runner.invoke(app, ["report", "-w", str(ws_dir), "--since", "yesterday"])
    assert r.exit_code == 1 and "--since 'yesterday'" in r.output


def test_empty_workspace_renders(tmp_path):
    Workspace(tmp_path / "ws").close()
    r = runner.invoke(app, ["report", "-w", str(tmp_path / "ws"), "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    assert s["contacts"] == 0 and Path(s["index"]) == tmp_path / "ws" / "reports" / "index.html"
    assert "还没有联络记录" in Path(s["index"]).read_text(encoding="utf-8")


def test_voc_run_night_stage(tmp_path, ws_dir):
    from voc.config import load_settings
    from voc.report import run_stage

    ws_copy = RW.copy(ws_dir, tmp_path / "ws")
    with Workspace(ws_copy) as ws:
        s = run_stage(ws, "run-1", load_settings({"workspace.path": str(ws_copy)}))
    assert Path(s["index"]) == ws_copy / "reports" / "index.html" and s["run_id"] == "run-1"
    assert "run-1" in (ws_copy / "reports" / "index.html").read_text(encoding="utf-8")


def test_cli_import_stays_light():
    code = ("import sys, voc.cli; bad = [m for m in ('plotly', 'jinja2', 'openpyxl', 'voc.report.pages') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


# -- the QA workbench (issue 16) -------------------------------------------------------------------

CLIP = RW.SHARED_AUDIO / "asr_example.wav"


def test_search_index_is_the_redacted_transcripts_with_filters(report, ws_dir):
    data = page_data(page(report, "search.html"))
    index = {e["p"]: e for e in data["contacts"]}
    with Workspace(ws_dir) as ws:
        n = ws.db.execute("SELECT count(*) FROM transcripts").fetchone()[0]
        rows = ws.db.execute("SELECT transcript_id, idx, text FROM utterances").fetchall()
        agents = {r[0] for r in ws.db.execute("SELECT agent_id FROM inspections").fetchall() if r[0]}
    assert len(index) == n
    from voc.report.data import page_name

    some = next(r for r in rows if r[0] != RW.HOSTILE_ID)
    assert [some[1], some[2]] in [[u[0], u[2]] for u in index[page_name(some[0])]["u"]]
    hostile = index[page_name(RW.HOSTILE_ID)]
    text = " ".join(u[2] for u in hostile["u"])
    assert "[银行卡]" in text and RW.card_number() not in page(report, "search.html")
    assert RW.XSS in text                                  # kept as text: the page sets it as text only
    assert set(data["filters"]["agents"]) >= agents
    assert {"dismissive_language"} <= {r for r, _ in data["filters"]["rules"]}
    assert set(data["filters"]["states"]) >= {"open", "confirmed", "appealed"}
    assert all(e["r"] for e in data["contacts"] if e["st"])
    chat = next(e for e in data["contacts"] if e["ch"] == "chat")
    assert chat["t"].startswith("在线客服 · ") and ".jsonl" not in chat["t"]


def test_agent_pages_carry_the_scorecard_figures(report, ws_dir):
    from voc.inspect.review import workspace_scorecards
    from voc.report.workbench import agent_page_name

    with Workspace(ws_dir) as ws:
        cards = workspace_scorecards(ws, "agent")
    qa_page = page(report, "qa.html")
    assert len(list((report / "agents").glob("*.html"))) == len(cards)
    for card in cards:
        name = agent_page_name(card["agent"])
        assert f'href="agents/{name}"' in qa_page
        text = page(report, f"agents/{name}")
        got = dict(re.findall(r'<div class="v" data-k="(\w+)">([^<]*)</div>', text))
        assert got["contacts"] == str(card["contacts"]) and got["mean_score"] == str(card["mean_score"])
        assert got["findings"] == str(card["findings"]) and float(got["min_score"]) == card["min_score"]
        assert got["pass_rate"] == _pct(card["pass_rate"]) and got["vetoed"] == str(card["vetoed"])
        assert 'id="agent-compare"' in text and "上期" in text
    appealed = next(c for c in cards if "A1005" != c["agent"])  # appeals listed on their agent's page
    assert appealed


def _pct(x) -> str:
    return "—" if x is None else "%.1f%%" % (100 * x)


def test_a_vetoed_contact_never_passes_on_the_agent_page(tmp_path):
    """A call with a veto finding (complaint_obstruction) scoring above the pass score: the
    agent page, the qa.html scorecard and `voc review scorecard` all count it as failed."""
    from voc.config import load_settings
    from voc.inspect.review import workspace_scorecards
    from voc.report import data as D
    from voc.report import report as build
    from voc.report.workbench import agent_page_name

    ws_dir = RW.build_recordings(tmp_path, [RW.recording_call(CLIP, "rec-1", "A7001"),
                                            RW.recording_call(CLIP, "rec-2", "A7002")])
    with Workspace(ws_dir) as ws:
        contacts = D.contacts(ws, findings=D.findings(ws))
        build(ws, tmp_path / "d", load_settings({"report.qa_pass_score": 30.0}))
        cards = {c["agent"]: c for c in workspace_scorecards(ws, "agent", pass_score=30.0)}
    assert all(c["qa_veto"] == ["complaint_obstruction"] and c["qa_score"] >= 30 for c in contacts)
    assert {a: (c["vetoed"], c["passed"], c["pass_rate"]) for a, c in cards.items()} == {
        "A7001": (1, 0, 0.0), "A7002": (1, 0, 0.0)}
    for agent, card in cards.items():
        text = page(tmp_path / "d", f"agents/{agent_page_name(agent)}")
        got = dict(re.findall(r'<div class="v" data-k="(\w+)">([^<]*)</div>', text))
        assert got["pass_rate"] == _pct(card["pass_rate"]) == "0.0%" and got["vetoed"] == "1", got
        assert "合格率（≥ 30 分且无一票否决）" in text


def test_chat_and_ticket_contacts_get_readable_titles(report):
    titles = re.findall(r'<a class="call-link" href="calls/[^"]+">([^<]+)</a>', page(report, "risk.html"))
    texts = [t for t in titles if not t.endswith(".wav")]
    assert texts and all(re.match(r"^(在线客服|工单) · \w{12} · .+", html.unescape(t)) for t in texts), texts[:3]


def test_critical_rules_first_on_the_qa_page(report):
    text = page(report, "qa.html")
    body = text[text.index('id="rules-table"'):]
    sev = re.findall(r"<tr><td><code>[^<]+</code></td><td>[^<]*</td><td>[^<]*</td><td>([^<]*)</td>", body)
    assert sev and sev[0] == "严重" and sev == sorted(sev, key=lambda s: ["严重", "高", "中", "低", "提示"].index(s))


def test_times_in_the_bank_time_zone(tmp_path):
    from voc.config import load_settings
    from voc.report import data as D
    from voc.report import report as build

    ws_dir = RW.build_recordings(tmp_path, [RW.recording_call(CLIP)])      # 2026-11-05T02:30Z
    page_ = f"calls/{D.page_name('rec-1')}"
    with Workspace(ws_dir) as ws:
        build(ws, tmp_path / "sh", load_settings({}))
        build(ws, tmp_path / "ny", load_settings({"report.timezone": "America/New_York"}))
    sh, ny = (tmp_path / "sh" / page_).read_text(encoding="utf-8"), (tmp_path / "ny" / page_).read_text(encoding="utf-8")
    assert "2026-11-05 10:30" in sh and "时间均为 Asia/Shanghai" in sh
    assert "2026-11-04 21:30" in ny and "时间均为 America/New_York" in ny
    assert page_data((tmp_path / "ny" / "search.html").read_text(encoding="utf-8"))["contacts"][0]["d"] == "2026-11-04"
    with Workspace(ws_dir) as ws, pytest.raises(Exception, match="report.timezone 'Mars/Base'"):
        build(ws, tmp_path / "x", load_settings({"report.timezone": "Mars/Base"}))


def test_recordings_linked_copied_withheld_or_missing(tmp_path):
    import shutil

    from voc.report.data import page_name

    pii = tmp_path / "clips" / "13812345678_0001.wav"
    pii.parent.mkdir()
    shutil.copyfile(CLIP, pii)
    calls = [RW.recording_call(CLIP, "rec-1"), RW.recording_call(pii, "rec-2"),
             RW.recording_call(tmp_path / "gone" / "call-9.wav", "rec-3")]
    ws_dir = RW.build_recordings(tmp_path, calls)
    r = runner.invoke(app, ["report", "-w", str(ws_dir), "--out", str(tmp_path / "d"), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["audio"] == {"referenced": 1, "copied": 0, "missing": 1, "withheld": 1}
    one, two, three = ((tmp_path / "d" / "calls" / page_name(i)).read_text(encoding="utf-8")
                       for i in ("rec-1", "rec-2", "rec-3"))
    assert f'<audio id="audio" controls preload="metadata" src="{CLIP.resolve().as_uri()}"' in one
    assert 'id="audio-missing"' in two and "13812345678" not in two and "--with-audio" in two
    assert 'id="audio-missing"' in three and "找不到录音文件" in three and "call-9.wav" in three
    # every piece of evidence seeks: the dismissive line starts at 3.2 s
    assert re.search(r'<a class="evidence" href="#u-2" data-t="3.20">', one)
    assert 'id="timeline"' in one and 'class="silence"' in one and 'class="overtalk"' in one
    r = runner.invoke(app, ["report", "-w", str(ws_dir), "--out", str(tmp_path / "d2"), "--with-audio", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["audio"] == {"referenced": 0, "copied": 2, "missing": 1, "withheld": 0}
    copied = sorted(p.name for p in (tmp_path / "d2" / "audio").iterdir())
    assert len(copied) == 2 and not any("138" in n for n in copied)
    assert (tmp_path / "d2" / "audio" / copied[0]).read_bytes() == CLIP.read_bytes()
    two = (tmp_path / "d2" / "calls" / page_name("rec-2")).read_text(encoding="utf-8")
    assert re.search(r'<audio id="audio" controls preload="metadata" src="../audio/[0-9a-f]{24}\.wav"', two)
    assert "13812345678" not in two


def test_timeline_is_what_the_timing_rules_see():
    from voc.report.workbench import timeline

    us = [{"idx": k, "start_s": u.start, "end_s": u.end, "speaker": u.speaker, "role": u.role}
          for k, u in enumerate(RW.recording_call(CLIP).utterances)]
    t = timeline(us)
    assert t["duration"] == 5.4
    assert [(s["start"], s["end"]) for s in t["silences"]] == [(2.4, 3.2), (4.6, 4.7)]
    assert [(s["idx"], s["start"], s["end"]) for s in t["overtalk"]] == [(1, 1.2, 1.4)]
    assert timeline([{**us[0], "start_s": None, "end_s": None}]) is None     # a chat: no strip


def test_since_with_no_contacts_says_so(report, ws_dir, tmp_path):
    r = runner.invoke(app, ["report", "-w", str(RW.copy(ws_dir, tmp_path / "w")), "--out", str(tmp_path / "d"),
                            "--since", "2030-01-01"])
    assert r.exit_code == 0, r.output
    assert "no contacts from 2030-01-01" in r.stderr
