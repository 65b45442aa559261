"""Topic discovery and trends for Chinese contact-centre text (BERTopic).

    from voc.topics.pipeline import collect, fit, assign      # files in, files out
    from voc.topics.model import fit_topics, TopicModel       # texts in, topics out
    from voc.topics.assign import assign_texts                # a saved model + new texts
    from voc.topics import trends, charts                     # tables and offline HTML

Modules: options (TopicOptions), taxonomy (guided / zero-shot categories), embed (jieba tokens,
LSA and sentence-transformers embedders), model (BERTopic assembly, fit, save/load), assign
(new texts, emerging topics), trends (per day/week, per class), charts (plotly, inlined),
pipeline (transcripts -> files and workspace). Heavy libraries (bertopic, umap, hdbscan,
torch) are imported inside functions only.

`run_stage` is the `voc run` hook: each committed batch of contacts is assigned to the model
named by the topics.model setting (StageSkipped when none is configured).
"""

from __future__ import annotations

_MODELS: dict = {}
# meta values kept with each assignment of `voc run`, for topics per class (only these: other
# meta columns of a manifest may hold customer data)
CLASS_KEYS = ("channel", "product", "product_line", "team", "agent_id", "risk_level", "产品",
              "业务", "渠道", "团队", "风险等级")


def run_stage(batch, ws, run_id, settings) -> int:
    """Assign the customer-side text of a batch of (transcript, analysis) to the configured
    topic model and store the assignments; returns how many were stored."""
    from pathlib import Path

    from voc.topics.model import TopicModel
    from voc.topics.options import TopicOptions
    from voc.topics.pipeline import collect

    path = settings["topics.model"] if "topics" in settings.values else ""
    if not path:
        from voc.run import StageSkipped

        raise StageSkipped("no topic model configured (topics.model)")
    key = str(Path(path).resolve())
    if key not in _MODELS:
        from voc.config import models_dir

        _MODELS[key] = TopicModel.load(path, models_root=models_dir(settings))
    model = _MODELS[key]
    roles = TopicOptions.from_settings(settings).roles
    docs, _ = collect([t for t, _ in batch], roles, redact=settings["privacy.redact"],
                      keep_last=settings["privacy.keep_last"])
    if not docs:
        return 0
    topics, scores = model.assign([d.text for d in docs])  # emerging topics need the whole night
    rows = [{"id": d.id, "topic": t, "topic_label": model.label(t), "score": round(float(s), 4),
             "time": d.time, **{k: v for k, v in d.fields.items() if k in CLASS_KEYS}}
            for d, t, s in zip(docs, topics, scores)]
    if not ws.topics(model.model_id):
        ws.save_topic_model(model.meta(), key, run_id)
    ws.save_topic_assignments(model.model_id, rows, run_id)
    return len(rows)
