"""What the dashboards and exports show, read from a workspace as plain dicts and lists.

Nothing here renders or writes files. A *contact* is anything stored by transcribe/analyze
(`transcripts`, `analyses`) or inspect (`inspections`), keyed by its id; its date is the local
date of its call time (meta started_at / time / created_at / date, else the inspection's
call_at), or the day it was stored when none is known.

PII: every text that leaves the workspace through a report or an export (utterances, risk
reasons, finding evidence, topic examples) goes through `Safeguard`, which re-applies
`voc.text.pii` redaction. Stored text is normally redacted already (every command redacts
before storing, and redaction is idempotent), but an operator may have run a stage with
--no-redact: the safeguard makes the report's own setting (privacy.redact, `--no-redact`) the
one that decides what is shown.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable

UNKNOWN = "(未知)"
DEFAULT_TZ = "Asia/Shanghai"
CHANNEL_NAMES = {"call": "电话", "chat": "在线客服", "ticket": "工单", "email": "邮件", "sms": "短信",
                 "complaint": "投诉单", "app": "App", "wechat": "微信"}
LEVELS = ("high", "medium", "low")
SENTIMENTS = ("negative", "neutral", "positive")
TIME_KEYS = ("started_at", "time", "created_at", "date")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


@dataclass
class Safeguard:
    """Re-applies PII redaction to text shown or exported (see the module docstring)."""

    enabled: bool = True
    keep_last: int = 0
    _cache: dict = field(default_factory=dict)

    def text(self, s: Any, asr: bool = True) -> Any:
        if not self.enabled or not isinstance(s, str) or not s:
            return s
        key = (s, asr)
        if key not in self._cache:
            from voc.text.pii import redact

            self._cache[key] = redact(s, keep_last=self.keep_last, asr=asr)[0]
            if len(self._cache) > 200_000:
                self._cache.clear()
        return self._cache[key]

    def name(self, s: Any) -> Any:
        """A file name or path (recordings are often named after the caller's number)."""
        if not self.enabled or not isinstance(s, str) or not s:
            return s
        from voc.text.pii import redact_name

        return redact_name(s, keep_last=self.keep_last)

    def transcript(self, t):
        if not self.enabled:
            return t
        from voc.text.pii import redact_transcript

        return redact_transcript(t, keep_last=self.keep_last)[0]


def page_name(contact_id: str) -> str:
    """File name of a contact's detail page (ids from tables can hold any character)."""
    if _SAFE_NAME.match(contact_id) and not contact_id.startswith("."):
        return f"{contact_id}.html"
    return "c-" + hashlib.sha256(contact_id.encode("utf-8")).hexdigest()[:32] + ".html"


def has_table(ws, name: str) -> bool:
    return ws.has_table(name)


def _day(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    s = str(value).strip()
    if re.match(r"^\d{4}-\d{2}-\d{2}", s):
        return s[:10]
    if re.match(r"^\d{4}/\d{1,2}/\d{1,2}", s):
        y, m, d = re.split(r"[/ T]", s)[:3]
        return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"
    return None


def _str(v) -> str | None:
    return None if v is None or v == "" else str(v)


def _call_time(meta: dict) -> str | None:
    for k in TIME_KEYS:
        v = meta.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def zone(name: str | None = None):
    """The bank's time zone (report.timezone, default Asia/Shanghai) as a tzinfo."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from voc.errors import ConfigError

    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"report.timezone {name!r}: not a time zone name (like Asia/Shanghai)") from None


def local(value, tz) -> datetime | None:
    """A time (datetime or ISO text) in zone `tz`; times without a zone are taken as already
    in it. None when `value` is not a time."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, date):
        return None
    else:
        try:
            t = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return t.astimezone(tz) if t.tzinfo else t.replace(tzinfo=tz)


def _local_day(value, tz) -> str | None:
    """The date of a time in zone `tz` (a bare date, or a time without a zone, as written)."""
    if tz is not None and (isinstance(value, datetime) or
                           (isinstance(value, str) and re.search(r"\d[T ]\d{1,2}:\d{2}", value))):
        t = local(value, tz)
        if t is not None:
            return t.date().isoformat()
    return _day(value)


def contacts(ws, since=None, until=None, guard: Safeguard | None = None,
             findings: list[dict] | None = None, tz=None, titles: bool = False) -> list[dict]:
    """One dict per contact in the date range, with sentiment, risk, QA score and topic. With
    `tz`, dates are the local dates in that zone; with `titles`, each gets a readable `title`
    (a call: its recording's name; a chat or ticket: channel, id and first customer line)."""
    guard = guard or Safeguard(enabled=False)
    rows = ws.contact_rows()
    since, until = (str(since) if since else None), (str(until) if until else None)
    out = []
    for r in rows:
        meta = json.loads(r.pop("meta") or "{}")
        call_at = _call_time(meta) or r["call_at"]
        day = _local_day(call_at, tz) or _local_day(r["stored_at"], tz)
        if (since and (day or "") < since) or (until and (day or "9999") > until):
            continue
        asr = (r["channel"] or "call") == "call"
        reasons = json.loads(r.pop("risk_reasons") or "[]")
        out.append({
            "source": guard.name(r["source"]),
            **{k: r[k] for k in ("id", "duration_s", "n_utterances", "sentiment",
                                 "positive", "agent_positive", "trajectory_delta", "risk_score",
                                 "risk_level", "category", "category_score", "analysis_run",
                                 "inspect_run", "rules_digest", "inspected", "qa_coverage")},
            "channel": r["channel"] or "call",
            "call_at": call_at, "date": day, "dated": bool(_day(call_at)),
            "stored_at": r["stored_at"],
            "agent_id": _str(r["agent_id"] or meta.get("agent_id") or meta.get("agent")),
            "agent_name": _str(meta.get("agent_name")),
            "team": _str(r["team"] or meta.get("team")),
            "product_line": _str(meta.get("product_line") or meta.get("product")),
            "risk_reasons": [guard.text(x, asr) for x in reasons],
            "redacted_at_analysis": r["redacted"] == "true" if r["redacted"] is not None else None,
            "page": page_name(r["id"]),
            # where a call's recording is (not redacted: only to find the file, never shown)
            "recording": r["source"] if (r["channel"] or "call") == "call" else None,
        })
    _add_qa(out, findings if findings is not None else [])
    if titles:
        _add_titles(ws, out, guard)
    _add_topics(ws, out)
    out.sort(key=lambda c: (c["date"] or "", c["call_at"] or "", c["id"]))
    return out


def _add_titles(ws, contacts_: list[dict], guard: Safeguard, width: int = 24) -> None:
    first: dict[str, str] = {}
    for u in ws.utterance_rows([c["id"] for c in contacts_ if c["channel"] != "call"]):
        if u["role"] != "agent" and u["transcript_id"] not in first and (u["text"] or "").strip():
            first[u["transcript_id"]] = u["text"]
    for c in contacts_:
        if c["channel"] == "call":
            c["title"] = c["source"] or c["id"][:12]
            continue
        line = " ".join(str(guard.text(first.get(c["id"]) or "", False)).split())
        line = line[:width] + ("…" if len(line) > width else "")
        c["title"] = " · ".join(x for x in (CHANNEL_NAMES.get(c["channel"], c["channel"]), c["id"][:12], line) if x)


def contact_channels(ws) -> dict[str, str]:
    """Contact id -> channel (call, chat, ticket ...): calls are redacted with the ASR rules."""
    return ws.contact_channels()


def findings(ws, contact_ids: Iterable[str] | None = None, guard: Safeguard | None = None,
             channels: dict[str, str] | None = None) -> list[dict]:
    """Active findings (of the latest inspection) with their review state, evidence redacted."""
    guard = guard or Safeguard(enabled=False)
    keep = set(contact_ids) if contact_ids is not None else None
    if channels is None and guard.enabled:
        channels = contact_channels(ws)
    out = []
    for f in ws.findings():
        if keep is not None and f["transcript_id"] not in keep:
            continue
        asr = (channels or {}).get(f["transcript_id"], "call") == "call"
        f["evidence"] = [{k: guard.text(v, asr) if k in ("text", "match") else v
                          for k, v in e.items()} for e in f["evidence"]]
        f["message"] = guard.text(f["message"], asr)
        f["source"] = guard.name(f.get("source"))
        out.append(f)
    return out


def _add_qa(contacts_: list[dict], findings_: list[dict]) -> None:
    """QA score = 100 minus the deductions of the findings that still stand after review
    (dismissed and overturned ones deduct nothing; each rule at most once per contact, as the
    inspector counts), the definition of `voc review scorecard`."""
    from voc.inspect.scoring import VOID_STATES

    by_id: dict[str, list[dict]] = defaultdict(list)
    for f in findings_:
        by_id[f["transcript_id"]].append(f)
    for c in contacts_:
        fs = by_id.get(c["id"], [])
        standing = [f for f in fs if f["state"] not in VOID_STATES]
        c["findings"] = len(standing)
        c["findings_voided"] = len(fs) - len(standing)
        # issue 13: only a fully inspected contact (已质检) has a QA score; 部分质检 keeps its score
        # apart (qa_partial_score), 未质检 has none; a standing veto finding fails the contact
        c["qa_coverage"] = (c.get("qa_coverage") or "full") if c["inspected"] else None
        score = max(0.0, 100.0 - sum(f["deduct"] or 0 for f in standing))
        c["qa_score"] = score if c["qa_coverage"] == "full" else None
        c["qa_partial_score"] = score if c["qa_coverage"] == "partial" else None
        c["qa_veto"] = sorted({f["rule_id"] for f in standing if f.get("veto")})


def _add_topics(ws, contacts_: list[dict]) -> None:
    model = ws.latest_topic_model()
    assigned = ws.topic_of(model["model_id"]) if model else {}
    for c in contacts_:
        c["topic"], c["topic_label"] = assigned.get(c["id"], (None, None))


# -- overview ------------------------------------------------------------------------------------

def overview_cells(contacts_: list[dict], pass_score: float) -> list[dict]:
    """Counts per (date, team, product line, channel): the overview's filters sum these cells
    in the browser, so the page stays small however many contacts there are."""
    cells: dict[tuple, dict] = {}
    for c in contacts_:
        key = (c["date"] or "", c["team"] or UNKNOWN, c["product_line"] or UNKNOWN, c["channel"])
        cell = cells.get(key)
        if cell is None:
            cell = cells[key] = {"d": key[0], "team": key[1], "product": key[2], "channel": key[3],
                                 "n": 0, "neg": 0, "neu": 0, "pos": 0, "psum": 0.0, "pn": 0,
                                 "high": 0, "medium": 0, "low": 0, "insp": 0, "pass": 0,
                                 "ssum": 0.0, "findings": 0, "topics": {}}
        cell["n"] += 1
        s = {"negative": "neg", "neutral": "neu", "positive": "pos"}.get(c["sentiment"] or "")
        if s:
            cell[s] += 1
        if c["positive"] is not None:
            cell["psum"] += c["positive"]
            cell["pn"] += 1
        if c["risk_level"] in LEVELS:
            cell[c["risk_level"]] += 1
        if c["qa_score"] is not None:
            cell["insp"] += 1
            cell["ssum"] += c["qa_score"]
            cell["pass"] += c["qa_score"] >= pass_score and not c["qa_veto"]
            cell["findings"] += c["findings"]
        if c["topic"] is not None:
            t = str(c["topic"])
            cell["topics"][t] = cell["topics"].get(t, 0) + 1
    for cell in cells.values():
        cell["psum"] = round(cell["psum"], 4)
        cell["ssum"] = round(cell["ssum"], 2)
    return sorted(cells.values(), key=lambda x: (x["d"], x["team"], x["product"], x["channel"]))


def summary(contacts_: list[dict], pass_score: float) -> dict:
    """Headline numbers of a set of contacts (the whole range, or one night)."""
    n = len(contacts_)
    sent = Counter(c["sentiment"] for c in contacts_ if c["sentiment"])
    risk = Counter(c["risk_level"] for c in contacts_ if c["risk_level"])
    scored = [c["qa_score"] for c in contacts_ if c["qa_score"] is not None]
    passed = sum(c["qa_score"] >= pass_score and not c["qa_veto"] for c in contacts_ if c["qa_score"] is not None)
    return {"contacts": n, "sentiment": {k: sent.get(k, 0) for k in SENTIMENTS},
            "risk": {k: risk.get(k, 0) for k in LEVELS},
            "inspected": len(scored),
            "qa_partial": sum(c["qa_coverage"] == "partial" for c in contacts_),
            "qa_uninspected": sum(c["qa_coverage"] == "none" for c in contacts_),
            "qa_vetoed": sum(bool(c["qa_veto"]) for c in contacts_ if c["qa_score"] is not None),
            "qa_pass": passed,
            "qa_pass_rate": round(passed / len(scored), 4) if scored else None,
            "mean_score": round(sum(scored) / len(scored), 1) if scored else None,
            "findings": sum(c["findings"] for c in contacts_)}


# -- risk queue --------------------------------------------------------------------------------

def risk_queue(contacts_: list[dict], levels=("high", "medium"), limit: int = 500) -> list[dict]:
    rows = [c for c in contacts_ if c["risk_level"] in levels and c["risk_score"] is not None]
    rows.sort(key=lambda c: (-c["risk_score"], c["date"] or "", c["id"]))
    return rows[:limit] if limit else rows


# -- QA ----------------------------------------------------------------------------------------

def qa(contacts_: list[dict], findings_: list[dict], applied: dict[str, dict],
       rules=None, pass_score: float = 80.0) -> dict:
    """Rule hit rates, agent and team scorecards (findings that stand after review; passed and
    pass rate at `pass_score`, a veto finding fails the contact) and the findings by review state."""
    from voc.inspect.review import STATES
    from voc.inspect.scoring import VOID_STATES, hit_rates, scorecards

    ids = {c["id"] for c in contacts_ if c["inspected"]}
    by_id: dict[str, list[dict]] = defaultdict(list)
    for f in findings_:
        by_id[f["transcript_id"]].append(f)
    calls = []
    for c in contacts_:
        if c["id"] not in ids:
            continue
        fs = [{"rule": f["rule_id"], "category": f["category"], "deduct": f["deduct"] or 0,
               "veto": bool(f.get("veto"))}
              for f in by_id.get(c["id"], []) if f["state"] not in VOID_STATES]
        calls.append({"agent_id": c["agent_id"], "team": c["team"], "score": c["qa_score"],
                      "coverage": c["qa_coverage"],
                      "findings": fs, **applied.get(c["id"], {"rules_applied": [],
                                                               "not_applicable": {}})})
    rates = hit_rates(calls, rules)
    names = {f["rule_id"]: (f["rule_name"], f["category"], f["severity"]) for f in findings_}
    for r in rates:
        if "name" not in r and r["rule"] in names:
            r["name"], r["category"], r["severity"] = names[r["rule"]]
    states = Counter(f["state"] for f in findings_)
    by_rule: dict[str, Counter] = defaultdict(Counter)
    for f in findings_:
        by_rule[f["rule_id"]][f["state"]] += 1
    order = [s for s in STATES] + sorted(set(states) - set(STATES))
    return {"rules": rates, "agents": scorecards(calls, "agent", pass_score) if calls else [],
            "teams": scorecards(calls, "team", pass_score) if calls else [],
            "states": [{"state": s, "findings": states.get(s, 0)} for s in order],
            "state_by_rule": [{"rule": rid, "name": names.get(rid, (rid,))[0],
                               **{s: cnt.get(s, 0) for s in order}, "total": sum(cnt.values())}
                              for rid, cnt in sorted(by_rule.items(), key=lambda x: -sum(x[1].values()))],
            "state_names": order, "inspected": len(calls)}


def rules_applied(ws, ids: Iterable[str]) -> dict[str, dict]:
    """rules_applied / not_applicable of each inspected contact among `ids` (for hit rates)."""
    keep = set(ids)
    return {r["transcript_id"]: {"rules_applied": r["rules_applied"],
                                 "not_applicable": r["not_applicable"]}
            for r in ws.inspections() if r["transcript_id"] in keep}


# -- topics ------------------------------------------------------------------------------------

def topics(ws, contacts_: list[dict], guard: Safeguard | None = None, since=None,
           until=None) -> dict | None:
    """The newest topic model's topics, sizes, trend per day, emerging topics and examples;
    None when no topics were computed."""
    guard = guard or Safeguard(enabled=False)
    model = ws.latest_topic_model()
    if not model:
        return None
    table = ws.topics(model["model_id"])
    assigns = ws.topic_assignments(model["model_id"])
    if not table and not assigns:
        return None
    cdate = {c["id"]: c["date"] for c in contacts_}
    since, until = (str(since) if since else None), (str(until) if until else None)
    rows = []
    for a in assigns:
        d = cdate.get(a["id"]) or _day(a["time"])
        if (since and (d or "") < since) or (until and (d or "9999") > until):
            continue
        rows.append({**a, "date": d})
    labels = {t["topic"]: t["label"] for t in table}
    for a in rows:
        labels.setdefault(a["topic"], a["topic_label"])
    sizes = Counter(a["topic"] for a in rows)
    days = sorted({a["date"] for a in rows if a["date"]})
    last = days[-1] if days else None
    per_day: dict[str, Counter] = defaultdict(Counter)
    for a in rows:
        if a["date"]:
            per_day[a["date"]][a["topic"]] += 1
    topic_rows = []
    for t in sorted(set(labels) | set(sizes), key=lambda k: (-sizes.get(k, 0), k)):
        meta = next((x for x in table if x["topic"] == t), {})
        n_last = per_day[last][t] if last else 0
        before = [per_day[d][t] for d in days[:-1]]
        mean_before = sum(before) / len(before) if before else None
        topic_rows.append({
            "topic": t, "label": labels.get(t) or str(t), "size": sizes.get(t, 0),
            "share": round(sizes.get(t, 0) / len(rows), 4) if rows else 0,
            "fit_size": meta.get("size"), "category": meta.get("category"),
            "keywords": json.loads(meta.get("keywords") or "[]"),
            "representative": [guard.text(x) for x in json.loads(meta.get("representative") or "[]")],
            "last_day": n_last, "mean_before": None if mean_before is None else round(mean_before, 2),
            "rising": bool(mean_before is not None and n_last >= 3 and n_last >= 2 * max(mean_before, 0.5)),
            # the topic's contacts (newest first, for links to their pages) and its count per day
            "ids": [a["id"] for a in sorted(rows, key=lambda a: a["date"] or "", reverse=True)
                    if a["topic"] == t][:200],
            "per_day": [per_day[d][t] for d in days],
        })
    emerging: dict[str, list[dict]] = defaultdict(list)
    for a in rows:
        if a["emerging"]:
            emerging[a["emerging"]].append(a)
    emerging_rows = [{"label": k, "size": len(v), "first": min((a["date"] or "" for a in v), default=""),
                      "last": max((a["date"] or "" for a in v), default=""),
                      "ids": [a["id"] for a in v][:50]}
                     for k, v in sorted(emerging.items(), key=lambda x: -len(x[1]))]
    ex_ids = [i for e in emerging_rows for i in e["ids"][:3]]
    examples = _customer_text(ws, ex_ids, guard)
    for e in emerging_rows:
        e["examples"] = [examples[i] for i in e["ids"][:3] if examples.get(i)]
    return {"model": {k: model[k] for k in ("model_id", "path", "created_at", "n_docs", "n_topics",
                                            "taxonomy", "run_id")},
            "topics": topic_rows, "days": days, "last_day": last,
            "trend": [{"date": d, "topic": t, "count": n} for d in days for t, n in per_day[d].items()],
            "emerging": emerging_rows, "assigned": len(rows)}


def _customer_text(ws, ids: list[str], guard: Safeguard, limit: int = 160) -> dict[str, str]:
    if not ids:
        return {}
    return {i: guard.text(t or "")[:limit] for i, t in ws.customer_texts(ids).items()}


# -- call detail -------------------------------------------------------------------------------

def calls(ws, contacts_: list[dict], findings_: list[dict], guard: Safeguard,
          batch: int = 500) -> Iterable[dict]:
    """Everything a call detail page shows, one contact at a time (read in batches)."""
    by_id: dict[str, list[dict]] = defaultdict(list)
    for f in findings_:
        by_id[f["transcript_id"]].append(f)
    for k in range(0, len(contacts_), batch):
        chunk = contacts_[k: k + batch]
        ids = [c["id"] for c in chunk]
        records = ws.analysis_records(ids)
        utts: dict[str, list[dict]] = defaultdict(list)
        for u in ws.utterance_rows(ids):
            utts[u["transcript_id"]].append(u)
        texts = ws.transcript_texts(ids)
        for c in chunk:
            rec = records.get(c["id"], {})
            us = _redacted_utterances(c, utts.get(c["id"], []), guard)
            if not us and texts.get(c["id"]):  # a text contact stored without utterances
                us = [{"idx": 0, "start_s": None, "end_s": None, "speaker": "", "role": "unknown",
                       "text": guard.text(texts[c["id"]], False), "emotion": None, "events": []}]
            per = {u.get("i"): u for u in rec.get("utterances") or []}
            for u in us:
                s = per.get(u["idx"]) or {}
                u["sentiment"], u["positive"] = s.get("label"), s.get("positive")
            asr = c["channel"] == "call"
            signals = [{**s, "text": guard.text(s.get("text"), asr), "match": guard.text(s.get("match"), asr)}
                       for s in (rec.get("risk") or {}).get("signals") or []]
            yield {"contact": c, "utterances": us, "findings": by_id.get(c["id"], []),
                   "signals": signals, "analysis": rec}


def _redacted_utterances(c: dict, rows: list[dict], guard: Safeguard) -> list[dict]:
    if not rows or not guard.enabled:
        return [dict(r) for r in rows]
    from voc.schema import Transcript, Utterance

    t = Transcript(id=c["id"], source=c["source"] or "", channel=c["channel"], duration_s=None,
                   utterances=[Utterance(start=r["start_s"], end=r["end_s"], speaker=r["speaker"] or "",
                                         role=r["role"] if r["role"] in ("agent", "customer") else "unknown",
                                         text=r["text"] or "") for r in rows], text="-")
    red = guard.transcript(t)
    return [{**r, "text": u.text} for r, u in zip(rows, red.utterances)]
