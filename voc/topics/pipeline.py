"""`voc topics` as library calls: texts from transcripts, fit or assign, files and workspace.

- `collect(records, roles)`: the customer-side text of each transcript by default (what the
  customer is calling about; agent script would otherwise dominate), PII redacted and
  normalised; time and class values (meta columns, channel) kept for trends.
- `fit(docs, opts, out)` / `assign(docs, model, out)`: run and write
  assignments.csv (id,topic,topic_label[,score,emerging]), topics.csv/.json, trends CSVs and
  topics.html (offline charts) into `out`; the fitted model goes to `out/model`.
- `store(ws, ...)`: topic model, topics and assignments into the workspace.
- `fit_batch(records, opts, out, run)` / `assign_batch(records, model, out, run)`: the
  commands, inside a run of the workspace (voc.store.Run).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from voc.files import open_staged, write_text
from voc.schema import Transcript
from voc.topics import charts, trends
from voc.topics.model import TopicModel, fit_topics
from voc.topics.options import TopicOptions

ASSIGN_COLUMNS = ["id", "topic", "topic_label"]


@dataclass
class Doc:
    id: str
    text: str
    time: Any = None
    fields: dict[str, Any] = field(default_factory=dict)


def strip_script(text: str, names: Iterable[str] = ()) -> str:
    """A text without agent script phrases (voc/text/script.py, the list the QA rules and the
    analysis share) and without the given names (the agent's): what is left is the caller's."""
    import re

    from voc.text.script import script_patterns

    for p in script_patterns():
        text = p.sub(" ", text)
    for n in names:
        if n and len(n) >= 2:
            text = text.replace(n, " ")
    text = re.sub(r"\s+", " ", text).strip(" ，,。")
    # a leftover of punctuation or a single character is no speech of the customer's
    return text if sum(ch.isalnum() for ch in text) >= 2 else ""


def topic_text(t: Transcript, roles: Iterable[str] = ("customer",)) -> str:
    """The text of the utterances with the given roles ("all": every utterance), agent script
    phrases and the agent's name taken out. A dialogue whose roles are all unknown gives every
    utterance, script taken out too."""
    roles = set(roles)
    names = [str((t.meta or {}).get(k) or "") for k in ("agent_name", "agent")]
    if not t.utterances:
        return strip_script(t.text, names)
    if "all" in roles or (all(u.role == "unknown" for u in t.utterances) and "unknown" not in roles):
        keep = t.utterances
    else:
        keep = [u for u in t.utterances if u.role in roles]
    parts = [strip_script(u.text, names) for u in keep]
    return "，".join(x for x in parts if x)


def collect(records: Iterable[Transcript], roles: Iterable[str] = ("customer",), *,
            redact: bool = True, keep_last: int = 0) -> tuple[list[Doc], list[str]]:
    """(docs, ids of records without text for the roles). Transcripts are redacted unless
    `redact` is False or they say they already were."""
    from voc.text.normalize import normalize
    from voc.transcribe import redact as redact_transcript

    docs, empty = [], []
    for t in records:
        if redact and t.meta.get("redacted") is not True:
            t = redact_transcript(t, True, keep_last)
        text = normalize(topic_text(t, roles))
        if not text:
            empty.append(t.id)
            continue
        meta = t.meta or {}
        fields = {k: v for k, v in meta.items() if isinstance(v, (str, int, float, bool))
                  and k not in ("time", "source_row", "redacted")}
        fields["channel"] = t.channel
        docs.append(Doc(t.id, text, meta.get("time") or meta.get("started_at"), fields))
    return docs, empty


ANALYSIS_CLASSES = ("risk_level", "sentiment", "category")


def add_analysis_classes(ws, docs: list[Doc], classes: list[str]) -> int:
    """Fill risk_level / sentiment / category classes from the workspace's analyses (stored by
    `voc analyze` or `voc run`) for docs that do not carry them; returns how many were found."""
    wanted = [c for c in classes if c in ANALYSIS_CLASSES
              and not any(c in d.fields for d in docs)]
    if not wanted or not docs:
        return 0
    found = ws.analysis_classes([d.id for d in docs])
    for d in docs:
        if d.id in found:
            d.fields.update({c: v for c, v in found[d.id].items() if c in wanted})
    return sum(d.id in found for d in docs)


def _rows(docs: list[Doc], topics, labels, classes: list[str], extra=None) -> list[dict]:
    rows = []
    for i, (d, t, lab) in enumerate(zip(docs, topics, labels)):
        r = {"id": d.id, "topic": int(t), "topic_label": lab, "time": d.time,
             **{c: d.fields.get(c) for c in classes}}
        if extra:
            r.update(extra[i])
        rows.append(r)
    return rows


def _write_csv(path: Path, rows: list[dict], columns: list[str]) -> Path:
    with open_staged(path, newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def write_trends(out: Path, rows: list[dict], classes: list[str], freq: str,
                 title: str, extra_figs=()) -> dict[str, str]:
    """CSV tables and topics.html; returns {name: path}."""
    files: dict[str, str] = {}
    sizes = trends.topic_sizes(rows)
    figs = [charts.sizes_figure(sizes), *extra_figs]
    cols = ["topic", "topic_label", "count", "share"]
    if any(r.get("time") for r in rows):
        ot = trends.over_time(rows, freq)
        if ot:
            files["trends"] = str(_write_csv(out / f"trends_{freq}.csv", ot,
                                             ["period", *cols, "total"]))
            figs.append(charts.time_figure(ot))
    for c in classes:
        pc = trends.per_class(rows, c)
        if pc:
            files[f"class:{c}"] = str(_write_csv(out / f"per_class_{_safe(c)}.csv", pc,
                                                 ["class", *cols, "total"]))
            figs.append(charts.class_figure(pc, c))
    files["charts"] = str(charts.write_html(out / "topics.html", figs, title))
    return files


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


def write_topics(out: Path, model: TopicModel, sizes: dict[int, int]) -> dict[str, str]:
    total = sum(sizes.values()) or 1
    table = [{**r.to_dict(), "size": sizes.get(r.topic, 0),
              "share": round(sizes.get(r.topic, 0) / total, 4)} for r in model.table]
    write_text(out / "topics.json", json.dumps({"model_id": model.model_id, "topics": table},
                                               ensure_ascii=False, indent=1))
    flat = [{**r, "topic_label": r["label"], "keywords": " ".join(r["keywords"]),
             "matched": " ".join(r["matched"]), "representative": " | ".join(r["representative"])}
            for r in table]
    _write_csv(out / "topics.csv", flat, ["topic", "topic_label", "size", "share", "category",
                                          "keywords", "matched", "representative"])
    return {"topics": str(out / "topics.csv"), "topics_json": str(out / "topics.json")}


def fit(docs: list[Doc], opts: TopicOptions, out: str | Path, *, classes: list[str] = (),
        freq: str = "day", models_root: Path | None = None, on_step=None) -> dict:
    """Fit on docs and write everything into `out`. Returns a summary with `rows`, `result`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = fit_topics([d.text for d in docs], opts, models_root=models_root, on_step=on_step)
    model = result.model
    model.save(out / "model")
    labels = [model.label(t) for t in result.topics]
    rows = _rows(docs, result.topics, labels, list(classes))
    files = {"assignments": str(_write_csv(out / "assignments.csv", rows, ASSIGN_COLUMNS)),
             "model": str(out / "model")}
    sizes: dict[int, int] = {}
    for t in result.topics:
        sizes[t] = sizes.get(t, 0) + 1
    files.update(write_topics(out, model, sizes))
    files.update(write_trends(out, rows, list(classes), freq, "话题分析"))
    return {"model_id": model.model_id, "texts": len(docs),
            "topics": len(model.topic_ids), "outliers_clustered": result.clustered.count(-1),
            "outliers": result.topics.count(-1), "fit_report": result.report, "files": files, "rows": rows,
            "result": result, "model": model, "seconds": result.seconds}


def assign(docs: list[Doc], model: TopicModel, out: str | Path, *, classes: list[str] = (),
           freq: str = "day", emerging_min_size: int | None = None,
           history: list[dict] = ()) -> dict:
    """Assign docs to a saved model, find emerging topics and known topics whose share rose
    sharply against their history (earlier assignment rows with `topic` and `time`; the
    workspace's, in `assign_batch`), write files into `out`."""
    from voc.topics.assign import assign_texts

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    res = assign_texts(model, [d.text for d in docs], emerging_min_size=emerging_min_size)
    extra = [{"score": round(s, 4), "emerging": e or ""} for s, e in zip(res.scores, res.emerging)]
    rows = _rows(docs, res.topics, res.labels(model), list(classes), extra)
    files = {"assignments": str(_write_csv(out / "assignments.csv", rows,
                                           [*ASSIGN_COLUMNS, "score", "emerging"]))}
    groups = [g.to_dict() for g in res.groups]
    _write_csv(out / "emerging.csv",
               [{**g, "keywords": " ".join(g["keywords"]),
                 "representative": " | ".join(g["representative"])} for g in groups],
               ["emerging", "size", "label", "keywords", "nearest_topic", "nearest_label",
                "nearest_similarity", "representative"])
    files["emerging"] = str(out / "emerging.csv")
    rises = trends.share_rises([*({"topic": h["topic"], "topic_label": h.get("topic_label"),
                                   "time": h.get("time")} for h in history), *rows], freq)
    files["rising"] = str(_write_csv(out / "rising.csv", rises,
                                     ["topic", "topic_label", "period", "count", "share",
                                      "previous_share", "ratio", "z"]))
    extra_figs = [charts.emerging_figure(groups)] if groups else []
    files.update(write_trends(out, rows, list(classes), freq, "话题分析（新数据）", extra_figs))
    return {"model_id": model.model_id, "texts": len(docs),
            "unassigned": res.topics.count(-1), "emerging": groups, "rising": rises, "files": files,
            "rows": rows, "result": res}


def store(ws, model: TopicModel, rows: list[dict], run_id: str | None, *,
          model_path: str | None = None) -> None:
    """The model's topic table and the assignments into the workspace (one transaction each)."""
    ws.save_topic_model(model.meta(), model_path or "", run_id)
    # emerging keys restart at E1 every night: the workspace keeps the night's label instead
    rows = [{**r, "emerging": r["topic_label"]} if r.get("emerging") else r for r in rows]
    ws.save_topic_assignments(model.model_id, rows, run_id)


# -- `voc topics` and `voc topics assign`: a batch inside a run of the workspace ----------------

def read_docs(records: Iterable, roles: Iterable[str], run, *, redact: bool = True,
              keep_last: int = 0, on_note: Callable[[str], None] | None = None
              ) -> tuple[list[Doc], int]:
    """(docs, bad rows) of `records` (Transcripts, and voc.sources.RowError for rows that cannot
    be used, which go to `run.fail`); contacts without text for the roles are left out and
    `on_note` says how many."""
    from voc.sources import RowError

    good, bad = [], 0
    for rec in records:
        if isinstance(rec, RowError):
            bad += 1
            run.fail(rec.where, rec.reason)
        else:
            good.append(rec)
    roles = list(roles)
    docs, empty = collect(good, roles, redact=redact, keep_last=keep_last)
    if empty and on_note:
        on_note(f"{len(empty)} contacts have no text for roles {','.join(roles)}; skipped")
    return docs, bad


def _public(s: dict, run, n_bad: int) -> dict:
    return {**{k: v for k, v in s.items() if k not in ("rows", "result", "model")},
            "seconds_total": round(run.seconds, 1), "bad_rows": n_bad}


def fit_batch(records: Iterable, opts: TopicOptions, out: str | Path, run, *,
              classes: list[str] = (), freq: str = "day", models_root: Path | None = None,
              redact: bool = True, keep_last: int = 0, on_step=None,
              on_note: Callable[[str], None] | None = None) -> dict:
    """`voc topics INPUT --out DIR`: read the contacts, fit, write the files into `out` (the
    model into out/model), store model, topics and assignments in the run's workspace (with
    risk/sentiment/category classes from its analyses). Returns the summary (texts, topics,
    outliers, files, seconds, seconds_total, bad_rows ...)."""
    docs, n_bad = read_docs(records, opts.roles, run, redact=redact, keep_last=keep_last,
                            on_note=on_note)
    classes = list(classes)
    if run.ws is not None:
        add_analysis_classes(run.ws, docs, classes)
    s = fit(docs, opts, out, classes=classes, freq=freq, models_root=models_root, on_step=on_step)
    run.models = [s["model"].embedder.info()]
    if run.ws is not None:
        store(run.ws, s["model"], s["rows"], run.id, model_path=str(Path(out) / "model"))
    run.ok(s["texts"])
    return _public(s, run, n_bad)


def assign_batch(records: Iterable, model: TopicModel, out: str | Path, run, *,
                 roles: Iterable[str] | None = None, classes: list[str] = (), freq: str = "day",
                 emerging_min_size: int | None = None, model_path: str | None = None,
                 redact: bool = True, keep_last: int = 0,
                 on_note: Callable[[str], None] | None = None) -> dict:
    """`voc topics assign`: read the contacts, assign them to a saved model (roles: the
    model's by default), find emerging topics, write the files into `out` and store the
    assignments in the run's workspace. Returns the summary (texts, unassigned, emerging,
    files, seconds_total, bad_rows ...)."""
    docs, n_bad = read_docs(records, roles or model.opts.roles, run, redact=redact,
                            keep_last=keep_last, on_note=on_note)
    classes = list(classes)
    run.models = [model.embedder.info()]
    if run.ws is not None:
        add_analysis_classes(run.ws, docs, classes)
    history = []
    if run.ws is not None and run.ws.topic_models():
        ids = {d.id for d in docs}  # assigned again tonight: tonight's rows count, not these
        history = [a for a in run.ws.topic_assignments(model.model_id) if a["id"] not in ids]
    s = assign(docs, model, out, classes=classes, freq=freq, emerging_min_size=emerging_min_size,
               history=history)
    if run.ws is not None:
        store(run.ws, model, s["rows"], run.id, model_path=model_path)
    run.ok(s["texts"])
    return _public(s, run, n_bad)
