"""Topics in the workspace (`voc topics`), mixed into Workspace.

One row per fitted model (topic_models) with its topic table (topics); assignments are keyed
by (contact id, model id), so assigning the same contacts again replaces them, and the time
and class values (channel, product, team ...) travel with them for trends without a join.
"""

from __future__ import annotations

import json

from voc.store.tables import utc_now


class TopicStore:
    """Workspace methods for `voc topics` (mixed into Workspace)."""

    def save_topic_model(self, meta: dict, path: str, run_id: str | None) -> None:
        """A model's description and its topic table, replacing an earlier copy by model_id."""
        mid = meta["model_id"]
        tax = (meta.get("taxonomy") or {}).get("name")
        row = [(mid, path, meta.get("created_at"), meta.get("n_docs"), len(meta.get("topic_ids", [])),
                json.dumps(meta.get("options"), ensure_ascii=False),
                json.dumps(meta.get("embedder"), ensure_ascii=False), tax, run_id, utc_now())]
        topics = [(mid, int(r["topic"]), r["label"], int(r["size"]), r.get("category"),
                   json.dumps(r.get("keywords") or [], ensure_ascii=False),
                   json.dumps(r.get("representative") or [], ensure_ascii=False))
                  for r in meta.get("table", [])]
        with self.transaction():
            self.db.execute("DELETE FROM topic_models WHERE model_id = ?", [mid])
            self.db.execute("DELETE FROM topics WHERE model_id = ?", [mid])
            self._insert("topic_models", row)
            self._insert("topics", topics)

    def save_topic_assignments(self, model_id: str, rows: list[dict], run_id: str | None) -> None:
        """Rows {id, topic, topic_label[, score, emerging, time, <class fields>]}, one
        transaction, replacing earlier assignments of the same ids to the same model."""
        if not rows:
            return
        core = {"id", "topic", "topic_label", "score", "emerging", "time"}
        now = utc_now()
        data = [(str(r["id"]), model_id, int(r["topic"]), r.get("topic_label"), r.get("score"),
                 r.get("emerging") or None, None if r.get("time") is None else str(r["time"]),
                 json.dumps({k: v for k, v in r.items() if k not in core}, ensure_ascii=False,
                            default=str), run_id, now) for r in rows]
        with self.transaction():
            self.db.execute("DELETE FROM topic_assignments WHERE model_id = ? AND id IN "
                            "(SELECT unnest(?))", [model_id, [d[0] for d in data]])
            self._insert("topic_assignments", data)

    def topic_models(self) -> list[dict]:
        return self._dicts("SELECT * FROM topic_models ORDER BY created_at, model_id")

    def topics(self, model_id: str | None = None) -> list[dict]:
        """The topic table of a model (default: the newest stored)."""
        mid = model_id or self._latest_topic_model()
        return self._dicts("SELECT * FROM topics WHERE model_id = ? ORDER BY topic", [mid])

    def topic_assignments(self, model_id: str | None = None) -> list[dict]:
        """Assignments to a model (default: the newest stored), fields JSON decoded."""
        mid = model_id or self._latest_topic_model()
        rows = self._dicts("SELECT * FROM topic_assignments WHERE model_id = ? ORDER BY id", [mid])
        for r in rows:
            r["fields"] = json.loads(r["fields"]) if r["fields"] else {}
        return rows

    def _latest_topic_model(self) -> str | None:
        row = self.latest_topic_model()   # voc/store/reports.py
        return row["model_id"] if row else None
