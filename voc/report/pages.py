"""The dashboard pages: Jinja2 templates (autoescaped) filled from `voc.report.data`.

Every page is one self-contained HTML file: its CSS, its JavaScript and its data are inlined,
plotly.js (from the installed plotly package) is inlined once on each page that has charts, and
a Content-Security-Policy forbids every request to any host, so the pages open from file:// on a
machine without network. Transcripts are untrusted input: templates autoescape all text, page
data goes through `tojson` (which escapes <, >, & and '), and strings handed to plotly are
HTML-escaped because plotly reads a few tags in labels.

Pages: index.html (overview, with client-side filters), risk.html (risk queue), qa.html,
topics.html, runs.html (the run record and failure list), calls/<id>.html (one page per
contact) and manifest.json.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from voc.files import write_text
from voc.paths import package_path
from voc.report import data as D
from voc.report import runs as R
from voc.report import workbench as W
from voc.schema import mmss

TEMPLATES = package_path("report", "templates")
CHANNEL_NAMES = D.CHANNEL_NAMES
LEVEL_NAMES = {"high": "高", "medium": "中", "low": "低"}
SENTIMENT_NAMES = {"negative": "负面", "neutral": "中性", "positive": "正面"}
ROLE_NAMES = {"agent": "坐席", "customer": "客户", "unknown": "未知"}
STATE_NAMES = {"open": "待复核", "confirmed": "已确认", "dismissed": "已撤销", "appealed": "申诉中",
               "upheld": "申诉驳回", "overturned": "申诉成立"}
SEVERITY_NAMES = {"critical": "严重", "high": "高", "medium": "中", "low": "低", "info": "提示"}
RUN_STATUS_NAMES = {"ok": "成功", "failed": "有失败", "interrupted": "中断", "error": "出错",
                    "running": "运行中"}
MAX_FINDINGS_LISTED = 1000


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.min.js from the installed plotly package (no CDN)."""
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    if "</script" in js.lower():  # cannot happen with plotly's bundle; never break out of <script>
        js = js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
    return js


def _asset(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from voc.text.display import neutral, neutral_dumps

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      finalize=neutral)  # bidi controls shown, NULs dropped (voc/text/display.py)
    env.globals.update(channel_names=CHANNEL_NAMES, level_names=LEVEL_NAMES,
                       sentiment_names=SENTIMENT_NAMES, role_names=ROLE_NAMES,
                       state_names=STATE_NAMES, severity_names=SEVERITY_NAMES, mmss=mmss,
                       unknown=D.UNKNOWN)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}  # CJK as is: half the size
    env.policies["json.dumps_function"] = neutral_dumps
    env.filters["when"] = when
    return env


def when(value: Any, tz=None) -> str:
    """A time as people read it: 2026-11-01 09:58, in zone `tz` (report.timezone) when given;
    a time without a zone is taken as already in it."""
    if value is None or value == "":
        return ""
    t = D.local(value, tz) if tz is not None else None
    if t is not None:
        return t.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def _pl(s: Any) -> str:
    """A label for plotly (it reads <b>, <br>, <a href> ... in strings)."""
    return html.escape(str(s), quote=False)


# -- charts built here (QA and topics pages) ------------------------------------------------------

def _fig(fig) -> dict:
    spec = json.loads(fig.to_json())
    return {"data": spec["data"], "layout": spec["layout"]}


SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")


def by_severity(rules: list[dict]) -> list[dict]:
    """Critical rules first, then by hit rate (highest first)."""
    rank = {s: k for k, s in enumerate(SEVERITY_ORDER)}
    return sorted(rules, key=lambda r: (rank.get(r.get("severity"), len(rank)), -(r.get("rate") or 0),
                                        str(r["rule"])))


def qa_charts(qa: dict) -> dict:
    import plotly.graph_objects as go

    # plotly draws a horizontal bar chart bottom-up: reversed, the critical rules stand on top
    rules = list(reversed(by_severity([r for r in qa["rules"] if r.get("rate") is not None])))
    rate = go.Figure(go.Bar(
        x=[round(100 * r["rate"], 1) for r in rules],
        y=[_pl(("【严重】" if r.get("severity") == "critical" else "") + (r.get("name") or r["rule"]))
           for r in rules],
        orientation="h", marker_color="#d97706",
        customdata=[[r["hits"], r["applied"]] for r in rules],
        hovertemplate="%{y}：%{x}%（%{customdata[0]} / %{customdata[1]}）<extra></extra>"))
    rate.update_layout(template="plotly_white", title="规则命中率（%）", xaxis_title="命中率 %",
                       margin={"l": 170, "r": 20, "t": 40, "b": 40})
    states = [s for s in qa["states"]]
    st = go.Figure(go.Bar(x=[_pl(STATE_NAMES.get(s["state"], s["state"])) for s in states],
                          y=[s["findings"] for s in states], marker_color="#2563eb"))
    st.update_layout(template="plotly_white", title="质检发现的复核状态", yaxis_title="发现数")
    return {"rule_rates": _fig(rate), "states": _fig(st)}


def topic_charts(t: dict, top: int = 8) -> dict:
    import plotly.graph_objects as go

    rows = sorted(t["topics"], key=lambda r: r["size"])
    sizes = go.Figure(go.Bar(x=[r["size"] for r in rows],
                             y=[_pl(f"{r['topic']} · {r['label']}") for r in rows], orientation="h",
                             marker_color="#0e7490"))
    sizes.update_layout(template="plotly_white", title="话题规模（条）",
                        margin={"l": 240, "r": 20, "t": 40, "b": 40})
    biggest = [r["topic"] for r in sorted(t["topics"], key=lambda r: -r["size"])[:top]]
    labels = {r["topic"]: r["label"] for r in t["topics"]}
    counts = {(x["date"], x["topic"]): x["count"] for x in t["trend"]}
    trend = go.Figure([go.Scatter(x=t["days"], y=[counts.get((d, k), 0) for d in t["days"]],
                                  mode="lines+markers", name=_pl(f"{k} · {labels.get(k, k)}"))
                       for k in biggest])
    trend.update_layout(template="plotly_white", title=f"话题趋势（每日条数，前 {top} 个话题）",
                        xaxis={"type": "date", "tickformat": "%m-%d", "hoverformat": "%Y-%m-%d",
                               **({"dtick": 86400000} if len(t["days"]) <= 31 else {})},
                        legend={"orientation": "h", "y": -0.2})
    return {"topic_sizes": _fig(sizes), "topic_trend": _fig(trend)}


# -- call detail: marks in the text -------------------------------------------------------------

def _pieces(match: str) -> list[str]:
    return [p for p in [match, *match.split("、")] if p and p.strip()]


def annotate(utterances: list[dict], findings: list[dict], signals: list[dict]) -> None:
    """Give each utterance `segments` (text pieces, the highlighted ones with their kinds and a
    title) and `tags` (which findings and risk signals point at it)."""
    marks: dict[int, list[tuple[str, str, str]]] = {}  # idx -> (kind, title, match)
    tags: dict[int, list[dict]] = {}
    for f in findings:
        for e in f["evidence"]:
            i = e.get("utterance")
            if i is None:
                continue
            marks.setdefault(i, []).append(("finding", f["rule_name"], e.get("match") or ""))
            label = f"质检·{f['rule_name']}" + (f"（{e['detail']}）" if e.get("detail") else "")
            tags.setdefault(i, []).append({"kind": "finding", "label": label})
    for s in signals:
        i = s.get("utterance")
        if i is None:
            continue
        marks.setdefault(i, []).append(("risk", s.get("name") or s.get("id") or "", s.get("match") or ""))
        tags.setdefault(i, []).append({"kind": "risk", "label": f"风险·{s.get('name') or s.get('id')}"})
    for u in utterances:
        text = u["text"] or ""
        kinds: list[set] = [set() for _ in text]
        titles: list[set] = [set() for _ in text]
        for kind, title, match in marks.get(u["idx"], []):
            for piece in _pieces(match):
                start = text.find(piece)
                while start >= 0:
                    for k in range(start, start + len(piece)):
                        kinds[k].add(kind)
                        titles[k].add(title)
                    start = text.find(piece, start + len(piece))
        segs: list[dict] = []
        for ch, k, t in zip(text, kinds, titles):
            key = (tuple(sorted(k)), tuple(sorted(t)))
            if segs and segs[-1]["key"] == key:
                segs[-1]["text"] += ch
            else:
                segs.append({"key": key, "text": ch})
        u["segments"] = [{"text": s["text"], "kinds": list(s["key"][0]), "title": "、".join(s["key"][1])}
                         for s in segs]
        seen, u["tags"] = set(), []
        for t in tags.get(u["idx"], []):
            if (t["kind"], t["label"]) not in seen:
                seen.add((t["kind"], t["label"]))
                u["tags"].append(t)


# -- recordings, agent charts, the search index ------------------------------------------------

AUDIO_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".opus": "audio/ogg",
               ".flac": "audio/flac", ".m4a": "audio/mp4", ".aac": "audio/aac", ".webm": "audio/webm"}


def recording(c: dict, out: Path, guard: D.Safeguard, copy: bool) -> dict:
    """The audio player of a call page: {status, src, type, name}. status: copied (into
    out/audio under a hashed name, with --with-audio), referenced (a file:// link to where it
    is), withheld (its file name holds PII that redaction would mask: copy it instead) or
    missing (no such file now)."""
    import hashlib
    import os
    import shutil

    raw = c.get("recording") or ""
    path = Path(raw)
    name = guard.name(raw) if raw else ""
    base = {"name": name, "type": AUDIO_TYPES.get(path.suffix.lower(), "")}
    if not raw or not path.is_file():
        return {**base, "status": "missing", "src": None}
    if copy:
        dest = out / "audio" / (hashlib.sha256(c["id"].encode("utf-8")).hexdigest()[:24] + path.suffix.lower())
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.exists():
            try:
                os.link(path, dest)        # the same disk: no copy needed
            except OSError:
                shutil.copyfile(path, dest)
        return {**base, "status": "copied", "src": f"../audio/{dest.name}"}
    if guard.enabled and name != raw:
        return {**base, "status": "withheld", "src": None}
    return {**base, "status": "referenced", "src": path.resolve().as_uri()}


def seek_times(utterances: list[dict], findings: list[dict], signals: list[dict]) -> None:
    """The moment each utterance, piece of evidence, finding and risk signal seeks the player
    to (`seek`, seconds as text; a finding's: (utterance, seconds) of its first evidence)."""
    starts = {}
    for u in utterances:
        if u.get("start_s") is not None:
            u["seek"] = starts[u["idx"]] = f"{u['start_s']:.2f}"
            u["seek_end"] = f"{u['end_s'] if u.get('end_s') is not None else u['start_s']:.2f}"
    for f in findings:
        f["seek"] = None
        for e in f["evidence"]:
            i = e.get("utterance")
            if i is None and e.get("utterances"):
                i = e["utterances"][0]
            e["seek"] = f"{e['start']:.2f}" if e.get("start") is not None else starts.get(i)
            if f["seek"] is None and e["seek"] is not None and i is not None:
                f["seek"] = (i, e["seek"])
    for sig in signals:
        sig["seek"] = starts.get(sig.get("utterance"))


def timeline_svg(t: dict):
    """The timeline strip of a call page as inline SVG (speech per role, silences, overtalk);
    every shape seeks the player (data-t). Built here: thousands of shapes per report."""
    from markupsafe import Markup

    dur = t["duration"] or 1.0
    lanes = {"agent": 4, "customer": 26}

    def rect(cls: str, y: int, a: float, b: float, title: str, extra: str = "") -> str:
        return (f'<rect class="{cls}" x="{50 + 948 * a / dur:.2f}" y="{y}" width="{max(948 * (b - a) / dur, 1):.2f}" '
                f'height="16" data-t="{a:.2f}"{extra}><title>{title}</title></rect>')

    parts = [f'<svg id="timeline" class="timeline" data-duration="{dur:.2f}" viewBox="0 0 1000 74" '
             'preserveAspectRatio="none" role="img" aria-label="讲话时间条">',
             '<text x="2" y="16" class="lane">坐席</text><text x="2" y="38" class="lane">客户</text>'
             '<text x="2" y="60" class="lane">静音/抢话</text>']
    for s in t["spans"]:
        role = s["role"] if s["role"] in ROLE_NAMES else "unknown"
        parts.append(rect(f"sp {role}", lanes.get(role, 15), s["start"], s["end"],
                          f"第 {s['idx'] + 1} 句 {ROLE_NAMES[role]} {mmss(s['start'])}–{mmss(s['end'])}",
                          f' data-u="{int(s["idx"])}"'))
    for s in t["silences"]:
        parts.append(rect("silence", 48, s["start"], s["end"],
                          f"静音 {s['end'] - s['start']:.1f} 秒（{mmss(s['start'])}，第 {s['idx'] + 1} 句前）"))
    for s in t["overtalk"]:
        parts.append(rect("overtalk", 48, s["start"], s["end"],
                          f"抢话 {s['end'] - s['start']:.1f} 秒（{mmss(s['start'])}，第 {s['idx'] + 1} 句）"))
    parts.append('<line id="playhead" x1="50" x2="50" y1="0" y2="74" class="playhead"/></svg>')
    return Markup("".join(parts))   # numbers, fixed labels and whitelisted roles only: nothing to escape


def _index_bytes(page: str, data: dict) -> int:
    """Size in bytes of the search index inlined in the search page."""
    start = page.find('id="voc-data">')
    end = page.find("</script>", start)
    return len(page[start + len('id="voc-data">'):end].encode("utf-8")) if start >= 0 else 0


# -- the whole report ---------------------------------------------------------------------------

def _was_ours(out: Path) -> bool:
    """Is `out` a folder an earlier `voc report` wrote (its manifest says so)?"""
    try:
        return json.loads((out / "manifest.json").read_text(encoding="utf-8")).get("generator") == "voc report"
    except (OSError, ValueError, AttributeError):
        return False


def build(ws, out: Path, *, redact: bool = True, keep_last: int = 0, since=None, until=None,
          pass_score: float = 80.0, risk_queue_size: int = 500, rules=None,
          run_id: str | None = None, timezone: str | None = None, with_audio: bool = False,
          period_days: int = 7) -> dict:
    """Write the dashboard into `out` and return a summary (paths and counts). Times are shown
    in `timezone` (report.timezone); `with_audio` copies the recordings into out/audio."""
    from voc import __version__

    out = Path(out).absolute()
    ours = _was_ours(out)
    (out / "calls").mkdir(parents=True, exist_ok=True)
    (out / "agents").mkdir(parents=True, exist_ok=True)
    tz_name = timezone or D.DEFAULT_TZ
    tz = D.zone(tz_name)
    guard = D.Safeguard(enabled=redact, keep_last=keep_last)
    all_findings = D.findings(ws, guard=guard)
    contacts = D.contacts(ws, since, until, guard, findings=all_findings, tz=tz, titles=True)
    ids = {c["id"] for c in contacts}
    pages_by_id = {c["id"]: c["page"] for c in contacts}
    findings = [dict(f, page=pages_by_id.get(f["transcript_id"])) for f in all_findings
                if f["transcript_id"] in ids]
    summary = D.summary(contacts, pass_score)
    qa = D.qa(contacts, findings, D.rules_applied(ws, ids), rules, pass_score)
    topics = D.topics(ws, contacts, guard, since, until)
    days = sorted({c["date"] for c in contacts if c["date"]})
    info = {"voc_version": __version__, "generated_at": datetime.now(tz).strftime("%Y-%m-%d %H:%M:%S %z"),
            "timezone": tz_name,
            "workspace": str(ws.path), "run_id": run_id, "redacted": redact,
            "since": str(since) if since else None, "until": str(until) if until else None,
            "contacts": len(contacts), "last_day": days[-1] if days else None}
    env = _env()
    env.filters["when"] = lambda v: when(v, tz)
    rule_names = {r["rule"]: r.get("name") or r["rule"] for r in qa["rules"]}
    env.filters["rule_name"] = lambda rid: rule_names.get(rid, rid)
    css, common_js, call_js = _asset("report.css"), _asset("common.js"), _asset("call.js")
    filters = {"min": days[0] if days else "", "max": days[-1] if days else "",
               "teams": sorted({c["team"] or D.UNKNOWN for c in contacts}),
               "products": sorted({c["product_line"] or D.UNKNOWN for c in contacts}),
               "channels": sorted({c["channel"] for c in contacts})}

    def render(template: str, page: str, root: str = "", charts: bool = False, data=None, **kw) -> str:
        return env.get_template(template).render(
            title=kw.pop("title"), page=page, root=root, info=info, css=css, common_js=common_js,
            plotly_js=plotly_js() if charts else "", data=data, **kw)

    written = {}
    topic_labels = {str(t["topic"]): t["label"] for t in (topics or {}).get("topics", [])}
    span = W.periods(days, period_days)
    overview_data = {"cells": D.overview_cells(contacts, pass_score), "filters": filters,
                     "pass_score": _num(pass_score), "topic_labels": topic_labels,
                     "channel_names": CHANNEL_NAMES}
    write_text(out / "index.html", render(
        "overview.html", "overview", title="总览", charts=True, data=overview_data,
        page_js=_asset("overview.js"), pass_score=_num(pass_score), has_topics=bool(topic_labels),
        compare=W.compare(contacts, span, pass_score),
        topics_model=(topics or {}).get("model", {}).get("model_id")))
    written["overview"] = "index.html"

    queue = D.risk_queue(contacts, limit=0)
    write_text(out / "risk.html", render(
        "risk.html", "risk", title="风险队列", data={"filters": filters},
        rows=queue[:risk_queue_size] if risk_queue_size else queue, total=len(queue),
        truncated=bool(risk_queue_size) and len(queue) > risk_queue_size))
    written["risk"] = "risk.html"

    state_order = {s: k for k, s in enumerate(qa["state_names"])}
    listed = sorted(findings, key=lambda f: f["call_at"] or "", reverse=True)  # newest first,
    listed = sorted(listed, key=lambda f: state_order.get(f["state"], 99))[:MAX_FINDINGS_LISTED]
    # ... grouped by review state (open first)
    agent_names = {c["agent_id"]: c["agent_name"] for c in contacts if c["agent_id"] and c["agent_name"]}
    coach = W.agents(contacts, findings, qa, pass_score, span)
    agent_pages = {a["agent"]: a["page"] for a in coach}
    qa = {**qa, "rules": by_severity(qa["rules"])}
    write_text(out / "qa.html", render(
        "qa.html", "qa", title="质检", charts=bool(qa["inspected"]), agent_pages=agent_pages,
        finding_filters={"rules": sorted({(f["rule_id"], f["rule_name"]) for f in listed}),
                         "agents": sorted({f["agent_id"] or D.UNKNOWN for f in listed}),
                         "severities": [s for s in SEVERITY_ORDER if any(f["severity"] == s for f in listed)]},
        data={"charts": qa_charts(qa)} if qa["inspected"] else None, qa=qa, summary=summary,
        pass_score=_num(pass_score), findings=listed, findings_total=len(findings),
        findings_truncated=len(findings) > len(listed), agent_names=agent_names,
        open_findings=sum(1 for f in findings if f["state"] == "open")))
    written["qa"] = "qa.html"

    rising = [t for t in (topics or {}).get("topics", []) if t["rising"]]
    write_text(out / "topics.html", render(
        "topics.html", "topics", title="话题", charts=bool(topics),
        data={"charts": topic_charts(topics)} if topics else None, topics=topics,
        topics_tables=D.has_table(ws, "topic_models"), pages=pages_by_id, rising=rising))
    written["topics"] = "topics.html"

    write_text(out / "runs.html", render("runs.html", "runs", title="运行记录",
                                     log=R.run_log(ws, guard), status_names=RUN_STATUS_NAMES))
    written["runs"] = "runs.html"

    for a in coach:
        write_text(out / "agents" / a["page"], render(
            "agent.html", "agent", root="../", title=f"坐席 {a['agent']}", a=a, pass_score=_num(pass_score),
            rule_names=rule_names))

    n_calls, keep, index, audio = 0, set(), [], {"referenced": 0, "copied": 0, "missing": 0, "withheld": 0}
    for item in D.calls(ws, contacts, findings, guard):
        c = item["contact"]
        annotate(item["utterances"], item["findings"], item["signals"])
        seek_times(item["utterances"], item["findings"], item["signals"])
        player = recording(c, out, guard, with_audio) if c["channel"] == "call" else None
        if player:
            audio[player["status"]] += 1
        write_text(out / "calls" / c["page"], render(
            "call.html", "call", root="../", title=f"{'通话' if c['channel'] == 'call' else '联络'}详情 {c['title']}",
            c=c, utterances=item["utterances"], findings=item["findings"], signals=item["signals"],
            player=player, timeline=W.timeline(item["utterances"]), agent_page=agent_pages.get(c["agent_id"]),
            call_js=call_js, timeline_svg=timeline_svg,
            agent_sentiment={"label": None, "positive": None,
                             **(item["analysis"].get("sentiment_agent") or {})}))
        index.append(W.search_entry(c, item["utterances"], item["findings"]))
        keep.add(c["page"])
        n_calls += 1
    search = {"contacts": index, "filters": {
        **filters, "agents": sorted({e["a"] for e in index}),
        "rules": sorted({(f["rule_id"], f["rule_name"]) for f in findings}),
        "topics": sorted({e["tp"] for e in index if e["tp"]}),
        "states": [st for st in qa["state_names"] if any(st in e["st"] for e in index)]},
        "pass_score": _num(pass_score),
        "names": {"level": LEVEL_NAMES, "sentiment": SENTIMENT_NAMES, "state": STATE_NAMES, "channel": CHANNEL_NAMES}}
    search_html = render("search.html", "search", title="搜索", data=search, page_js=_asset("search.js"))
    write_text(out / "search.html", search_html)
    written["search"] = "search.html"
    if ours:  # pages of contacts no longer in the report (never files voc did not write)
        for stale in (out / "calls").glob("*.html"):
            if stale.name not in keep:
                stale.unlink()
    result = {"out": str(out), "index": str(out / "index.html"), "pages": written,
              "call_pages": n_calls, "contacts": len(contacts), "findings": len(findings),
              "risk_queue": len(queue), "topics": bool(topics), "agent_pages": len(coach),
              "audio": audio, "timezone": tz_name, "search_index_bytes": _index_bytes(search_html, search),
              "topics_model": (topics or {}).get("model", {}).get("model_id"),
              "redacted": redact, "since": info["since"], "until": info["until"],
              "generated_at": info["generated_at"], "run_id": run_id, "voc_version": __version__,
              "workspace": str(ws.path), "last_day": info["last_day"]}
    write_text(out / "manifest.json", json.dumps({"generator": "voc report", **result},
                                             ensure_ascii=False, indent=2) + "\n")
    return result
