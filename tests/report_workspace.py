"""Workspaces for the `voc report` / `voc export` tests: the demo set through the real pipeline
(demo generate -> analyze -> inspect), review events, a hostile contact (HTML and script in
every text field, a raw card number) and, without fitting BERTopic, a stored topic model with
assignments (emerging topics included) written through the workspace's own topic methods."""

from __future__ import annotations

import shutil
from pathlib import Path

from shared_data import SHARED
from typer.testing import CliRunner

from voc.cli import app
from voc.schema import Transcript, Utterance, read_transcripts, write_transcripts
from voc.store import Workspace
from voc.text.pii import luhn_ok

runner = CliRunner()
SHARED_AUDIO = SHARED / "audio"
HOSTILE_ID = "../hostile <1>"
XSS = "<script>alert('xss')</script>"
IMG = "<img src=x onerror=alert(3)>"
TOPIC_LABELS = {0: "年费·投诉·扣", 1: "挂失·补卡·尾号", 2: "分期·手续费·提前", -1: "未归类"}


def card_number() -> str:
    body = "62220202001122334"
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def hostile() -> Transcript:
    u = [Utterance(0.5, 3.0, "ch0", "agent", "您好，请问有什么可以帮您？"),
         Utterance(3.5, 9.0, "ch1", "customer", f"{XSS}你们乱扣我年费，卡号{card_number()}，我要去银保监会投诉！"),
         Utterance(9.5, 12.0, "ch0", "agent", f"这个不归我们管，你要投诉随便你。{IMG}"),
         Utterance(12.5, 14.0, "ch1", "customer", "行，你等着！")]
    return Transcript(id=HOSTILE_ID, source=f"evil/{IMG}.wav", channel="call", duration_s=14.0,
                      meta={"agent_id": "<b>A9</b>", "team": '"><svg onload=alert(1)>组',
                            "product_line": f"信用卡</script>{XSS}",
                            "started_at": "2026-11-05T10:00:00+08:00"}, utterances=u)


def _ok(args: list[str]) -> str:
    r = runner.invoke(app, args)
    assert r.exit_code == 0, (args, r.output)
    return r.stdout


def add_topics(ws: Workspace) -> None:
    ids = [r[0] for r in ws.db.execute("SELECT id FROM transcripts ORDER BY id").fetchall()]
    table = [{"topic": t, "label": lab, "size": 0, "keywords": lab.split("·"),
              "representative": [f"我的卡号是{card_number()}，{lab}怎么回事？{XSS}"]}
             for t, lab in TOPIC_LABELS.items()]
    meta = {"model_id": "topics-test", "created_at": "2026-11-15T00:00:00+00:00", "n_docs": len(ids),
            "topic_ids": list(TOPIC_LABELS), "options": {"mode": "free"}, "embedder": {"kind": "lsa"},
            "table": table}
    ws.save_topic_model(meta, "/nowhere/model", None)
    rows = []
    for k, i in enumerate(ids):
        t = [0, 1, 2, 0, -1][k % 5]
        rows.append({"id": i, "topic": t, "topic_label": TOPIC_LABELS[t],
                     "emerging": "新兴·数字人民币" if k % 7 == 0 else None})
    ws.save_topic_assignments("topics-test", rows, None)


def add_reviews(ws: Workspace) -> dict[str, str]:
    """Review a few findings; returns finding id -> final state."""
    fids = [r[0] for r in ws.db.execute("SELECT finding_id FROM findings ORDER BY finding_id LIMIT 5").fetchall()]
    ev = [{"finding_id": fids[0], "action": "confirm", "from_state": "open", "to_state": "confirmed",
           "reviewer": "王质检", "reason": ""},
          {"finding_id": fids[1], "action": "dismiss", "from_state": "open", "to_state": "dismissed",
           "reviewer": "王质检", "reason": "=误报，录音不清"},
          {"finding_id": fids[2], "action": "appeal", "from_state": "open", "to_state": "appealed",
           "reviewer": "A1005", "reason": "已按流程核实"},
          {"finding_id": fids[3], "action": "appeal", "from_state": "open", "to_state": "appealed",
           "reviewer": "A1005", "reason": "不同意"}]
    ws.append_review_events(ev)
    ws.append_review_events([{"finding_id": fids[3], "action": "resolve", "from_state": "appealed",
                              "to_state": "overturned", "reviewer": "李主管", "reason": "申诉成立"}])
    return {fids[0]: "confirmed", fids[1]: "dismissed", fids[2]: "appealed", fids[3]: "overturned",
            fids[4]: "open"}


def build(root: Path, n: int = 60, *, analyze: bool = True, topics: bool = True,
          reviews: bool = True, raw: bool = False) -> Path:
    """A workspace at root/ws; the demo set (plus the hostile contact) at root/demo."""
    ws_dir = root / "ws"
    _ok(["demo", "generate", "--out", str(root / "demo"), "-n", str(n), "--workspace", str(ws_dir),
         *(["--no-redact"] if raw else [])])
    src = root / "demo" / "transcripts.jsonl"
    if analyze:
        write_transcripts(src, [*read_transcripts(src), hostile()])
        _ok(["analyze", str(src), "--workspace", str(ws_dir)])
        _ok(["inspect", str(src), "--workspace", str(ws_dir)])
    with Workspace(ws_dir) as ws:
        if reviews and analyze:
            add_reviews(ws)
        if topics:
            add_topics(ws)
    return ws_dir


_CACHE: dict[tuple, Path] = {}


def shared(factory, **kw) -> Path:
    """One built workspace per kind for the whole session; copy it before changing it."""
    key = tuple(sorted(kw.items()))
    if key not in _CACHE:
        _CACHE[key] = build(factory.mktemp("report-ws"), **kw)
    return _CACHE[key]


def copy(ws_dir: Path, dest: Path) -> Path:
    shutil.copytree(ws_dir, dest)
    return dest


def recording_call(audio: Path, cid: str = "rec-1", agent: str = "A7001") -> Transcript:
    """A call whose recording is `audio` (a real clip), with utterance times inside it and an
    agent line that the default rules flag (dismissive language) and a pause (dead air)."""
    u = [Utterance(0.2, 1.4, "ch0", "agent", "您好，工号七零零一，请问有什么可以帮您？"),
         Utterance(1.2, 2.4, "ch1", "customer", "我的年费被乱扣了，我要投诉！"),
         Utterance(3.2, 4.6, "ch0", "agent", "这个不归我们管，你要投诉随便你。"),
         Utterance(4.7, 5.4, "ch1", "customer", "行，你等着。")]
    return Transcript(id=cid, source=str(audio), channel="call", duration_s=5.5,
                      meta={"agent_id": agent, "team": "信用卡一组", "started_at": "2026-11-05T02:30:00+00:00"},
                      utterances=u)


def build_recordings(root: Path, calls: list[Transcript]) -> Path:
    """A workspace with these calls stored (as `voc transcribe` stores them, redacted) and
    inspected; no analysis (no models needed)."""
    from voc.transcribe import redact

    ws_dir = root / "ws"
    src = root / "calls.jsonl"
    write_transcripts(src, calls)
    with Workspace(ws_dir) as ws, ws.run("test recordings", {}) as run:
        ws.save_transcripts([redact(t, True, 0) for t in calls], run.id)
        run.ok(len(calls))
    _ok(["inspect", str(src), "--workspace", str(ws_dir)])
    return ws_dir
