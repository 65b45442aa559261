"""voc: voice-of-customer toolkit for Chinese bank contact centres.

The stages as a Python API, imported lazily (``import voc`` loads none of torch, duckdb or
faster-whisper; each name is imported on first use)::

    import voc

    settings = voc.load_settings()
    transcriber = voc.Transcriber(settings)
    t = voc.transcribe_file("call.wav", transcriber, voc.TranscribeOptions.from_settings(settings))
    analyzer = voc.Analyzer.from_settings(settings)
    [(t, analysis)] = analyzer.analyze([t])
    result = voc.Inspector(voc.load_rules()).inspect(t)
    with voc.Workspace("voc-workspace") as ws:
        ws.save_transcripts([t], analyses=[analysis])

    # a batch as `voc analyze` runs it: a run record that always ends (ok, failed, interrupted)
    with voc.Workspace("voc-workspace") as ws, ws.run("analyze", settings) as run:
        summary = voc.analyze_batch(voc.read_records("texts.csv", text_col="text"), analyzer, run)
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_API = {
    "load_settings": "voc.config",
    "Settings": "voc.config",
    "Transcript": "voc.schema",
    "Utterance": "voc.schema",
    "Failure": "voc.schema",
    "Analysis": "voc.schema",
    "Risk": "voc.schema",
    "read_transcripts": "voc.schema",
    "write_transcripts": "voc.schema",
    "read_records": "voc.sources",
    "Transcriber": "voc.transcribe",
    "TranscribeOptions": "voc.transcribe",
    "transcribe_file": "voc.transcribe",
    "transcribe_files": "voc.transcribe",
    "transcribe_batch": "voc.transcribe",
    "Analyzer": "voc.analyze.pipeline",
    "analyze_batch": "voc.analyze.pipeline",
    "Inspector": "voc.inspect",
    "inspect_batch": "voc.inspect",
    "load_rules": "voc.inspect",
    "Workspace": "voc.store",
    "Run": "voc.store",
    "RunOptions": "voc.run",
    "run_batch": "voc.run",
    "report": "voc.report",
    "export": "voc.report",
    "VocError": "voc.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'voc' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
