"""Audit exports: findings with their review history, high-risk contacts with reasons, and the
run records an auditor needs to reproduce a result, as one xlsx workbook and/or CSV files.

CSV: UTF-8 with a BOM (Excel then opens Chinese correctly), comma-separated, CRLF, one header
row of the column names below. xlsx: one sheet per table with the same columns, plus a first
sheet 说明 describing every table and column. Values: numbers stay numbers, times are ISO 8601
strings, lists and objects are JSON text.

For people (issue 16): every time column X is followed by X_local, the same time as
"YYYY-MM-DD HH:MM:SS" in report.timezone (default Asia/Shanghai; the zone is named in the column's
description, the 说明 sheet and manifest.json), and every coded column (severity, state, action,
channel, risk level, sentiment, run status) by X_zh, its Chinese name as the dashboard shows it.
The machine columns are unchanged.

Spreadsheet formula injection: transcripts are untrusted, so a text cell that starts with = + -
@ or a tab/CR is written to CSV with a leading apostrophe (Excel shows it as text); in xlsx the
cell is typed as text (no formula), with its value unchanged. Text longer than an xlsx cell
allows (32,767 characters) is cut in the workbook only and marked; the CSV keeps all of it.

Every exported text that can hold customer words (evidence, messages, risk reasons) goes
through the PII safeguard of `voc.report.data`.
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from voc.files import open_staged, staged, write_text
from voc.report import data as D
from voc.report import runs as R

XLSX_NAME = "voc-audit.xlsx"
XLSX_CELL_MAX = 32767
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# table -> [(column, description)], in column order
TABLES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "findings": ("质检发现及其复核历史（含已不再出现的旧发现，active = false）", [
        ("finding_id", "发现编号（规则、联络与证据的哈希，重复质检不变）"),
        ("transcript_id", "联络编号"), ("source", "来源文件或表格"), ("call_at", "联络时间"),
        ("agent_id", "坐席"), ("team", "班组"), ("rule_id", "规则编号"), ("rule_name", "规则名称"),
        ("category", "规则类别"), ("severity", "严重度"), ("deduct", "扣分"),
        ("message", "规则说明"), ("evidence", "证据（第几句、时间、命中词，可读文本）"),
        ("evidence_json", "证据（JSON 原文）"), ("state", "当前复核状态"),
        ("review_events", "复核事件数"), ("last_reviewer", "最后复核人"),
        ("last_reviewed_at", "最后复核时间（UTC）"),
        ("review_history", "复核历史（{tz} 本地时间 复核人 动作 状态变化（中文）：理由，每行一条）"),
        ("counts_in_score", "是否计入得分（已撤销、申诉成立的不计）"),
        ("active", "是否为该联络最近一次质检的结果"), ("first_seen", "首次发现时间（UTC）"),
        ("last_seen", "最近一次发现时间（UTC）"), ("inspect_run_id", "产生该发现的运行"),
        ("rules_digest", "规则文件摘要（sha256）"), ("veto", "是否一票否决规则（命中即不合格）")]),
    "qa_contacts": ("质检联络：覆盖情况（已质检 / 部分质检 / 未质检）、得分、一票否决；只有已质检的联络计入合格率", [
        ("transcript_id", "联络编号"), ("source", "来源"), ("channel", "渠道"), ("call_at", "联络时间"),
        ("agent_id", "坐席"), ("team", "班组"), ("coverage", "覆盖（full / partial / none）"),
        ("coverage_zh", "质检覆盖（已质检 / 部分质检 / 未质检）"),
        ("coverage_note", "未能适用的核心规则及原因"), ("roles", "说话人角色来源（guess = 按话术推测）"),
        ("qa_score", "质检得分（仅已质检）"), ("partial_score", "部分质检得分（不计入合格率）"),
        ("vetoed", "命中的一票否决规则"), ("findings", "有效质检发现数"),
        ("not_applicable", "不适用的规则及原因（JSON）"), ("inspect_run_id", "质检运行")]),
    "review_events": ("复核事件（只追加，不修改）", [
        ("finding_id", "发现编号"), ("seq", "序号"), ("action", "动作"), ("from_state", "原状态"),
        ("to_state", "新状态"), ("reviewer", "复核人"), ("reason", "理由"),
        ("event_at", "时间（UTC）"), ("rule_id", "规则编号"), ("transcript_id", "联络编号")]),
    "high_risk_contacts": ("高投诉风险联络及原因", [
        ("id", "联络编号"), ("source", "来源"), ("call_at", "联络时间"), ("channel", "渠道"),
        ("agent_id", "坐席"), ("team", "班组"), ("product_line", "产品线"),
        ("risk_level", "风险等级"), ("risk_score", "风险分值（0–1）"),
        ("risk_reasons", "风险原因（每行一条）"), ("risk_signals", "风险信号（JSON：规则、权重、句子）"),
        ("sentiment", "客户情绪"), ("positive", "客户正面概率"), ("category", "投诉类别"),
        ("qa_score", "质检得分"), ("findings", "有效质检发现数"),
        ("analysis_run_id", "产生该分析的运行"), ("redacted_at_analysis", "分析时是否遮蔽敏感信息")]),
    "runs": ("运行记录：谁、何时、运行了什么，用了哪些模型（含校验和）与配置", [
        ("run_id", "运行编号"), ("command", "命令"), ("status", "状态"),
        ("error", "失败或中断的原因"), ("started_at", "开始（UTC）"), ("ended_at", "结束（UTC）"),
        ("user_name", "操作人"),
        ("host", "主机"), ("voc_version", "voc 版本"), ("inputs", "输入数"),
        ("succeeded", "成功"), ("failed", "失败"), ("skipped", "跳过"),
        ("config_hash", "配置哈希（voc run）"), ("config_sha256", "配置 JSON 的 sha256（键排序）"),
        ("models_summary", "模型（名称、路径、sha256，可读）"), ("models", "模型（JSON 原文）"),
        ("config", "生效配置（JSON 原文）")]),
    "run_contacts": ("每次运行处理的输入与写入的联络（输入日志与各阶段写入的记录）", [
        ("run_id", "运行编号"), ("stage", "阶段：journal（voc run 输入日志）、transcripts、analyses、"
                                           "inspections、topic_assignments"),
        ("contact_id", "联络编号（录音为文件内容的 sha256）"), ("source", "来源"),
        ("status", "结果（输入日志）"), ("reason", "原因（输入日志）"), ("at", "时间（UTC）")]),
    "failures": ("无法处理的输入及原因", [
        ("run_id", "运行编号"), ("source", "来源"), ("reason", "原因"), ("failed_at", "时间（UTC）")]),
}


# readable twins of machine columns: X -> X_local (a time in report.timezone), X -> X_zh
TIME_COLUMNS = {"call_at", "last_reviewed_at", "first_seen", "last_seen", "event_at", "started_at",
                "ended_at", "at", "failed_at"}
ACTION_NAMES = {"confirm": "确认", "dismiss": "撤销", "appeal": "申诉", "resolve": "申诉裁定"}


def _zh_names() -> dict[str, dict[str, str]]:
    from voc.report.pages import (
        CHANNEL_NAMES,
        LEVEL_NAMES,
        RUN_STATUS_NAMES,
        SENTIMENT_NAMES,
        SEVERITY_NAMES,
        STATE_NAMES,
    )

    return {"severity": SEVERITY_NAMES, "state": STATE_NAMES, "from_state": STATE_NAMES,
            "to_state": STATE_NAMES, "action": ACTION_NAMES, "channel": CHANNEL_NAMES,
            "risk_level": LEVEL_NAMES, "sentiment": SENTIMENT_NAMES, "status": RUN_STATUS_NAMES}


_ZH_TABLES = {"findings", "review_events", "qa_contacts", "high_risk_contacts", "runs"}  # run_contacts'
# status is a journal result (ok / failed / skipped), not a run status: left as it is


def _with_readable(table: str, cols: list[tuple[str, str]]) -> list[tuple[str, str]]:
    zh = _zh_names() if table in _ZH_TABLES else {}
    out = []
    for col, what in cols:
        out.append((col, what))
        if col in TIME_COLUMNS:
            out.append((f"{col}_local", what.replace("（UTC）", "") + "（{tz} 本地时间）"))
        if col in zh:
            out.append((f"{col}_zh", what.split("（")[0] + "（中文）"))
    return out


for _name, (_desc, _cols) in list(TABLES.items()):
    TABLES[_name] = (_desc, _with_readable(_name, _cols))


def local_text(v: Any, tz) -> str | None:
    """A time as "YYYY-MM-DD HH:MM:SS" in zone `tz` (a time without a zone is taken as in it)."""
    t = D.local(v, tz)
    return t.strftime("%Y-%m-%d %H:%M:%S") if t is not None else None


def _add_readable(out: dict[str, list[dict]], tz) -> None:
    zh = _zh_names()
    for name, rows in out.items():
        cols = {c for c, _ in TABLES[name][1]}
        times = [c for c in TIME_COLUMNS if f"{c}_local" in cols]
        codes = [c for c in zh if f"{c}_zh" in cols]
        for r in rows:
            for c in times:
                r[f"{c}_local"] = local_text(r.get(c), tz)
            for c in codes:
                v = r.get(c)
                r[f"{c}_zh"] = None if v is None else zh[c].get(v, v)


def plain(v: Any) -> Any:
    """A value as it goes into a cell: str, int, float, bool or None; text with bidi controls
    shown and NULs dropped (voc/text/display.py)."""
    from voc.text.display import neutral

    if isinstance(v, str):
        return neutral(v)
    if v is None or isinstance(v, (bool, int, float)):
        return v
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, (list, dict, tuple)):
        return neutral(json.dumps(v, ensure_ascii=False, default=str))
    return neutral(str(v))


def _evidence_text(evidence: list[dict]) -> str:
    from voc.report.pages import ROLE_NAMES
    from voc.schema import mmss

    lines = []
    for e in evidence:
        parts = []
        if e.get("utterance") is not None:
            parts.append(f"第{e['utterance'] + 1}句")
        elif e.get("utterances"):
            a, b = e["utterances"][0], e["utterances"][-1]
            parts.append(f"第{a + 1}–{b + 1}句")
        if e.get("start") is not None:
            parts.append(f"({mmss(e['start'])})")
        if e.get("role"):
            parts.append(ROLE_NAMES.get(e["role"], e["role"]))
        if e.get("match"):
            parts.append(f"命中「{e['match']}」")
        if e.get("missing"):
            parts.append(e["missing"])
        if e.get("detail"):
            parts.append(e["detail"])
        if e.get("text"):
            parts.append(f"原话「{e['text']}」")
        lines.append(" ".join(parts))
    return "\n".join(lines)


# -- the tables ------------------------------------------------------------------------------------

def _qa_contacts(ws, contacts: dict[str, dict], guard) -> list[dict]:
    """One row per inspected contact: coverage, score, vetoes (issue 13)."""
    from voc.inspect.model import COVERAGE_ZH

    rows = []
    for r in ws.inspections():
        c = contacts.get(r["transcript_id"])
        if c is None:
            continue
        rows.append({"transcript_id": r["transcript_id"], "source": guard.name(r["source"]),
                     "channel": r["channel"], "call_at": r["call_at"], "agent_id": r["agent_id"],
                     "team": r["team"], "coverage": r["coverage"], "coverage_zh": COVERAGE_ZH[r["coverage"]],
                     "coverage_note": r.get("coverage_note") or "", "roles": r.get("roles"),
                     "qa_score": c["qa_score"], "partial_score": c.get("qa_partial_score"),
                     "vetoed": c.get("qa_veto") or [], "findings": c["findings"],
                     "not_applicable": r["not_applicable"], "inspect_run_id": r["run_id"]})
    return rows


def tables(ws, *, since=None, until=None, levels=("high",), redact: bool = True,
           keep_last: int = 0, timezone: str | None = None) -> dict[str, list[dict]]:
    """The rows of every exported table (dicts keyed by the column names of TABLES); the _local
    columns in `timezone` (report.timezone, default Asia/Shanghai)."""
    from voc.inspect.scoring import VOID_STATES

    tz = D.zone(timezone)
    zh = _zh_names()

    guard = D.Safeguard(enabled=redact, keep_last=keep_last)
    contacts = {c["id"]: c for c in D.contacts(ws, since, until, guard,
                                              findings=D.findings(ws, guard=guard))}
    events = ws.review_events()
    by_finding: dict[str, list[dict]] = {}
    for e in events:
        by_finding.setdefault(e["finding_id"], []).append(e)
    found = [f for f in ws.findings(include_inactive=True) if f["transcript_id"] in contacts]
    rule_of = {f["finding_id"]: (f["rule_id"], f["transcript_id"]) for f in found}
    out: dict[str, list[dict]] = {k: [] for k in TABLES}
    for f in found:
        asr = contacts[f["transcript_id"]]["channel"] == "call"
        ev = [{k: guard.text(v, asr) if k in ("text", "match") else v for k, v in e.items()}
              for e in f["evidence"]]
        hist = by_finding.get(f["finding_id"], [])
        out["findings"].append({
            "finding_id": f["finding_id"], "transcript_id": f["transcript_id"],
            "source": guard.name(f["source"]),
            "call_at": f["call_at"], "agent_id": f["agent_id"], "team": f["team"],
            "rule_id": f["rule_id"], "rule_name": f["rule_name"], "category": f["category"],
            "severity": f["severity"], "deduct": f["deduct"], "message": guard.text(f["message"], asr),
            "evidence": _evidence_text(ev), "evidence_json": ev, "state": f["state"],
            "review_events": f["events"], "last_reviewer": f["reviewer"],
            "last_reviewed_at": f["reviewed_at"],
            "review_history": "\n".join(
                f"{local_text(e['event_at'], tz) or plain(e['event_at'])} {e['reviewer']} {e['action']} "
                f"{e['from_state']}→{e['to_state']}（{zh['action'].get(e['action'], e['action'])}："
                f"{zh['state'].get(e['from_state'], e['from_state'])}→{zh['state'].get(e['to_state'], e['to_state'])}）"
                + (f"：{guard.text(e['reason'], False)}" if e["reason"] else "") for e in hist),
            "counts_in_score": bool(f["active"]) and f["state"] not in VOID_STATES,
            "active": bool(f["active"]), "first_seen": f["first_seen"], "last_seen": f["last_seen"],
            "inspect_run_id": f["run_id"], "rules_digest": contacts[f["transcript_id"]]["rules_digest"],
            "veto": bool(f.get("veto"))})
    out["qa_contacts"] = _qa_contacts(ws, contacts, guard)
    for e in events:
        if e["finding_id"] in rule_of:
            rid, tid = rule_of[e["finding_id"]]
            out["review_events"].append({**{k: e[k] for k in ("finding_id", "seq", "action", "from_state",
                                                              "to_state", "reviewer", "event_at")},
                                         "reason": guard.text(e["reason"], False),
                                         "rule_id": rid, "transcript_id": tid})
    risky = D.risk_queue(list(contacts.values()), levels=levels, limit=0)
    signals = _signals(ws, [c["id"] for c in risky], guard)
    for c in risky:
        out["high_risk_contacts"].append({
            **{k: c[k] for k in ("id", "source", "call_at", "channel", "agent_id", "team",
                                 "product_line", "risk_level", "risk_score", "sentiment", "positive",
                                 "category", "qa_score", "findings", "redacted_at_analysis")},
            "risk_reasons": "\n".join(c["risk_reasons"]), "risk_signals": signals.get(c["id"], []),
            "analysis_run_id": c["analysis_run"]})
    for r in R.runs(ws):
        out["runs"].append({**{k: r.get(k) for k, _ in TABLES["runs"][1] if k != "models_summary"},
                            "models_summary": R.models_summary(r.get("models"))})
    out["run_contacts"] = [{**r, "source": guard.name(r["source"]), "reason": guard.name(r["reason"])}
                           for r in _run_contacts(ws, set(contacts))]
    out["failures"] = [{**f, "source": guard.name(f["source"]), "reason": guard.name(f["reason"])}
                       for f in ws.failures()]
    _add_readable(out, tz)
    return out


def _signals(ws, ids: list[str], guard: D.Safeguard) -> dict[str, list]:
    if not ids:
        return {}
    out = {}
    for i, rec in ws.analysis_records(ids).items():
        sig = (rec.get("risk") or {}).get("signals") or []
        out[i] = [{**s, "text": guard.text(s.get("text")), "match": guard.text(s.get("match"))}
                  for s in sig]
    return out


def _run_contacts(ws, ids: set[str]) -> list[dict]:
    rows = [{"run_id": r["run_id"], "stage": "journal", "contact_id": r["sha256"],
             "source": r["source"], "status": r["status"], "reason": r["reason"], "at": r["logged_at"]}
            for r in ws.run_inputs()]
    rows += [{**{k: r[k] for k in ("run_id", "stage", "contact_id", "source")},
              "status": "stored", "reason": None, "at": r["at"]}
             for r in ws.stored_records() if r["contact_id"] in ids]
    return rows


# -- writing ------------------------------------------------------------------------------------

def csv_cell(v: Any) -> Any:
    v = plain(v)
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return "" if v is None else v


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with open_staged(path, encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for r in rows:
            w.writerow([csv_cell(r.get(c)) for c in columns])


def _xlsx_value(v: Any) -> tuple[Any, bool]:
    """(value, cut) for an xlsx cell: no control characters openpyxl refuses, at most 32,767."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    v = plain(v)
    if not isinstance(v, str):
        return v, False
    v = ILLEGAL_CHARACTERS_RE.sub("", v)
    if len(v) > XLSX_CELL_MAX:
        return v[: XLSX_CELL_MAX - 20] + "…[截断，见 CSV]", True
    return v, False


def write_xlsx(path: Path, tables_: dict[str, list[dict]], about: list[tuple[str, str]],
               timezone: str | None = None) -> int:
    """One workbook: 说明 first (`timezone` named in the descriptions of the _local columns),
    then a sheet per table. Returns how many cells were cut."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def cell(sheet, v, header=False):
        value, cut = _xlsx_value(v)
        c = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            c.data_type = "s"    # text, never a formula, whatever it starts with
            if "\n" in value:
                c.alignment = wrap
        if header:
            c.font = bold
        return c, cut

    n_cut = 0
    readme = wb.create_sheet("说明")
    readme.column_dimensions["A"].width = 28
    readme.column_dimensions["B"].width = 100
    for k, v in about:
        readme.append([cell(readme, k, True)[0], cell(readme, v)[0]])
    readme.append([])
    for name, (desc, cols) in TABLES.items():
        readme.append([cell(readme, name, True)[0], cell(readme, desc, True)[0]])
        for col, what in cols:
            what = what.replace("{tz}", timezone or D.DEFAULT_TZ)
            readme.append([cell(readme, "  " + col)[0], cell(readme, what)[0]])
    for name, (_, cols) in TABLES.items():
        sheet = wb.create_sheet(name)
        columns = [c for c, _ in cols]
        sheet.freeze_panes = "A2"
        for i, c in enumerate(columns):
            letter = _col_letter(i)
            sheet.column_dimensions[letter].width = 40 if c in _WIDE else 18
        sheet.auto_filter.ref = f"A1:{_col_letter(len(columns) - 1)}{len(tables_[name]) + 1}"
        sheet.append([cell(sheet, c, True)[0] for c in columns])
        for r in tables_[name]:
            row = []
            for c in columns:
                x, cut = cell(sheet, r.get(c))
                n_cut += cut
                row.append(x)
            sheet.append(row)
    with staged(path) as tmp:
        wb.save(tmp)
    return n_cut


_WIDE = {"message", "evidence", "review_history", "risk_reasons", "models_summary", "reason",
         "source"}


def _col_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_export(ws, out: Path, *, fmt: str = "both", since=None, until=None, levels=("high",),
                 redact: bool = True, keep_last: int = 0, run_id: str | None = None,
                 timezone: str | None = None) -> dict:
    from voc import __version__

    out = Path(out).absolute()
    out.mkdir(parents=True, exist_ok=True)
    tz_name = timezone or D.DEFAULT_TZ
    t = tables(ws, since=since, until=until, levels=levels, redact=redact, keep_last=keep_last,
               timezone=tz_name)
    generated = datetime.now(D.zone(tz_name)).isoformat(timespec="seconds")
    about = [("生成工具", f"voc export {__version__}"), ("生成时间", generated),
             ("时区", f"{tz_name}（report.timezone）：*_local 列为该时区的本地时间（YYYY-MM-DD HH:MM:SS）；"
                     "原列保持 ISO 8601 原值（标 UTC 的为 UTC）"),
             ("中文值", "*_zh 列为旁边代码列的中文名（严重度、复核状态、动作、渠道、风险等级、情绪、运行状态）"),
             ("工作区", str(ws.path)), ("导出运行", run_id or ""),
             ("范围", f"{since or '最早'} 至 {until or '最新'}（按联络日期）"),
             ("高风险联络", "风险等级：" + "、".join(levels)),
             ("敏感信息", "已遮蔽（银行卡、身份证、手机号、电话、邮箱）" if redact
              else "未遮蔽（--no-redact），请按客户信息管理规定保管"),
             ("复现", "runs 表记录每次运行的操作人、时间、voc 版本、模型（含 sha256）与完整配置；"
                     "run_contacts 表列出每次运行处理的联络；用相同版本、模型、配置与输入重跑即可复现。"),
             ("公式防护", "以 = + - @ 开头的文本在 CSV 中前加单引号，在 xlsx 中存为文本")]
    files: dict[str, str] = {}
    n_cut = 0
    if fmt in ("csv", "both"):
        for name, (_, cols) in TABLES.items():
            p = out / f"{name}.csv"
            write_csv(p, [c for c, _ in cols], t[name])
            files[p.name] = _sha256(p)
    if fmt in ("xlsx", "both"):
        p = out / XLSX_NAME
        n_cut = write_xlsx(p, t, about, tz_name)
        files[p.name] = _sha256(p)
    summary = {"out": str(out), "format": fmt, "files": files,
               "rows": {k: len(v) for k, v in t.items()}, "cells_cut_in_xlsx": n_cut,
               "redacted": redact, "since": str(since) if since else None,
               "until": str(until) if until else None, "risk_levels": list(levels),
               "generated_at": generated, "timezone": tz_name, "run_id": run_id, "workspace": str(ws.path),
               "voc_version": __version__}
    write_text(out / "manifest.json",
               json.dumps({"generator": "voc export", **summary}, ensure_ascii=False, indent=2) + "\n")
    return summary
