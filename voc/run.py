"""The nightly batch (`voc run`): every new recording of a night transcribed, analysed, stored
once, then passed to the later stages; incremental, resumable, parallel.

    summary = run_batch(["calls/2026-05-01/"], settings, RunOptions(workers=4), on_event=print)

Inputs are folders, globs, single files, or manifests (CSV/TSV/JSONL/XLSX with a `path` column and
metadata columns such as agent_id, team, product, started_at that go into the transcript's
meta). Each input is identified by the sha256 of its bytes; an input whose transcript and
analysis are already stored is skipped, so re-running a finished night does nothing.

Exactly once: a worker returns (transcript, analysis) and only this driver writes; both go in
one transaction keyed by the sha256 (Workspace.save_transcripts), so a kill leaves each input
wholly stored or not at all, and the restart redoes exactly the inputs that are not stored.
Writes replace by id, so redoing an input can never duplicate it. The journal (run_inputs,
stage_marks) is written after the records it describes; the store, not the journal, decides.

Later stages are the explicit list STAGES: each names a function that imports its hook. A
"batch" hook, `run_stage(batch, ws, run_id, settings)` with batch a list of (transcript,
analysis), is called after each commit and writes its own records keyed by transcript id
(idempotent); a "night" hook, `run_stage(ws, run_id, settings)`, runs once at the end when
anything changed, or when it is still due (night_marks: a run killed after its last input and
before its dashboard leaves the report due, and the restart renders it). The run record's
`stages` says what each stage did in the run (done with its count, nothing new, skipped,
failed, not needed). A hook raises StageSkipped when its model is not configured (skipped, with
the reason); a stage that cannot be imported is failed (the run fails and says why: a broken
install must not pass every night unnoticed). The run itself is a `ws.run(...)` of the store,
which records how it ended (ok, failed, interrupted) and holds the run lock note. Nothing here
prints: progress goes to `on_event(dict)`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable

from voc.errors import ConfigError, InputError, choices
from voc.run_inputs import Input, discover, hash_inputs

SHIP = ("auto", "yes", "no")


class StageSkipped(Exception):
    """Raised by a stage hook whose model or rules are not configured."""


@dataclass(frozen=True)
class Stage:
    name: str
    when: str                     # "batch": after each commit; "night": once at the end
    load: Callable[[], Callable]  # imports the stage and returns its hook


def _inspect_hook():
    from voc.inspect import run_stage

    return run_stage


def _topics_hook():
    from voc.topics import run_stage

    return run_stage


def _report_hook():
    from voc.report import run_stage

    return run_stage


def _export_hook():
    from voc.report import run_export_stage

    return run_export_stage


STAGES = [Stage("inspect", "batch", _inspect_hook), Stage("topics", "batch", _topics_hook),
          Stage("report", "night", _report_hook), Stage("export", "night", _export_hook)]


def stage_table() -> dict[str, Stage]:
    return {s.name: s for s in STAGES}


@dataclass
class RunOptions:
    engine: str = "local"
    workers: int = 0
    address: str = ""
    ship_audio: str = "auto"
    commit_every: int = 16
    commit_seconds: float = 5.0
    stages: list[str] = field(default_factory=lambda: ["inspect", "topics", "report"])
    lock_wait_s: float = 0.0
    input_timeout_s: float = 3600.0
    force: bool = False
    retry_failed: bool = False

    def __post_init__(self):
        from voc.engines import ENGINES

        if self.engine not in ENGINES:
            raise ConfigError(f"run.engine: {self.engine!r}; choose {choices(ENGINES)}")
        if self.ship_audio not in SHIP:
            raise ConfigError(f"run.ship_audio: {self.ship_audio!r}; choose {choices(SHIP)}")
        if (self.workers < 0 or self.commit_every < 1 or self.commit_seconds <= 0
                or self.input_timeout_s < 0):
            raise ConfigError("run.workers must be >= 0, run.commit_every >= 1, "
                              "run.commit_seconds > 0, run.input_timeout_s >= 0")
        known = stage_table()
        bad = [s for s in self.stages if s not in known]
        if bad:
            raise ConfigError(f"run.stages: unknown {', '.join(bad)}; valid: {choices(known)}")

    @classmethod
    def from_settings(cls, settings, **flags) -> "RunOptions":
        r = settings.section("run")
        kw = dict(engine=r["engine"], workers=r["workers"], address=r["ray_address"],
                  ship_audio=r["ship_audio"], commit_every=r["commit_every"],
                  commit_seconds=r["commit_seconds"], stages=list(r["stages"]),
                  lock_wait_s=r["lock_wait_s"], input_timeout_s=r["input_timeout_s"])
        kw.update({k: v for k, v in flags.items() if v is not None})
        return cls(**kw)


# -- the run -----------------------------------------------------------------------------------

def config_hash(settings) -> str:
    """sha256 of the settings that shape the results (not run.* or workspace.*)."""
    keep = {s: kv for s, kv in settings.values.items() if s not in ("run", "workspace")}
    return hashlib.sha256(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()


def worker_settings(settings, threads: int):
    """A copy of the settings with asr.threads set for one worker (unless set explicitly)."""
    s = copy.deepcopy(settings)
    if not s["asr.threads"]:
        s.values["asr"]["threads"] = threads
        s.sources["asr.threads"] = "voc run (cores / workers)"
    return s


def check_settings(settings, opts: RunOptions) -> None:
    """The settings the night needs, checked before anything starts (one-line ConfigError
    naming the setting), not when the first input or the first stage meets them."""
    from voc.transcribe import TranscribeOptions, engine_options

    TranscribeOptions.from_settings(settings)
    engine_options(settings)
    if "inspect" in opts.stages:
        try:
            from voc.inspect.scoring import agent_regex
        except Exception:  # noqa: BLE001 - the stage then fails to load, and says why
            return
        agent_regex(settings["inspect.agent_pattern"])


def run_batch(specs: list[str], settings, opts: RunOptions,
              on_event: Callable[[dict], None] | None = None) -> dict:
    """Run the night; returns the summary. Raises VocError when the run cannot start."""
    from voc.store import default_path, open_waiting

    emit = on_event or (lambda e: None)
    t0 = time.monotonic()
    check_settings(settings, opts)
    inputs, bad = discover(specs)
    if not inputs and not bad:
        raise InputError(", ".join(specs), "no recordings found")
    path = default_path(settings)
    ws = open_waiting(path, opts.lock_wait_s, lambda holder: emit(
        {"event": "waiting", "workspace": str(path), "holder": holder, "wait_s": opts.lock_wait_s}))
    night = _Night(ws, settings, opts, emit)
    try:
        night.plan(inputs, bad)
        with ws.run("run", night.run_config(specs), inputs=night.total, lock=True) as run:
            night.start(run)
            try:
                night.process()
                night.finish()
            except BaseException:
                night.salvage()
                raise
        night.status = run.status
    finally:
        ws.close()
    s = night.summary
    s["seconds"] = round(time.monotonic() - t0, 2)
    return s


def size_workers(opts: RunOptions, todo: int) -> tuple[int, int]:
    """(workers, ASR threads per worker): local, one per core but no more than the inputs,
    sharing the cores; Ray, as asked (0 = one per cluster CPU), one thread each."""
    if opts.engine != "local":
        return opts.workers, 1
    cores = len(os.sched_getaffinity(0))
    workers = min(opts.workers or cores, max(1, todo))
    return workers, max(1, cores // workers)


class _Night:
    def __init__(self, ws, settings, opts: RunOptions, emit):
        self.ws, self.settings, self.opts, self.emit = ws, settings, opts, emit
        self.buffer: list = []
        self.first_buffered = 0.0
        self.status = "running"
        self.run = None
        self.models = None
        self.stages: dict[str, Callable] = {}
        self.when: dict[str, str] = {}
        self.skipped_stages: dict[str, str] = {}
        self.failed_stages: dict[str, str] = {}
        self.n = dict(succeeded=0, failed=0, skipped=0, duplicates=0, failed_before=0,
                      stage_failed=0)
        self.audio_s = 0.0
        self.journal: list[dict] = []
        self.stage_counts: dict[str, int] = {}
        self.stage_state: dict[str, dict] = {}
        self.stage_failures: dict[str, int] = {}   # batch stages: contacts whose stage failed
        self.stages_record: dict[str, dict] = {}

    # -- planning
    def plan(self, inputs: list[Input], bad: list[dict]):
        """Hash the inputs and sort them: to do, already stored, duplicate, failed before."""
        ws, opts = self.ws, self.opts
        self.resumed = ws.interrupted  # marked when the workspace was opened for writing
        self.emit({"event": "hashing", "inputs": len(inputs)})
        bad = bad + hash_inputs(inputs, on_done=lambda i: self.emit({"event": "hashed",
                                                                     "source": i.source}))
        self.bad = bad
        hashed = [i for i in inputs if i.sha256]
        self.total = len(hashed) + len(bad)
        journal = [dict(b, status="failed") for b in bad]
        self.n["failed"] += len(bad)
        first: dict[str, str] = {}
        unique = []
        for i in hashed:
            if i.sha256 in first:
                journal.append({"source": i.source, "sha256": i.sha256, "status": "duplicate",
                                "reason": f"same content as {first[i.sha256]}"})
            else:
                first[i.sha256] = i.source
                unique.append(i)
        self.n["duplicates"] = len(hashed) - len(unique)
        self.night_ids = [i.sha256 for i in unique]
        stored = set() if opts.force else ws.stored_ids(self.night_ids)
        failed = {} if opts.retry_failed or opts.force else ws.failed_before(
            [i.sha256 for i in unique if i.sha256 not in stored])
        self.todo = [i for i in unique if i.sha256 not in stored and i.sha256 not in failed]
        for i in unique:
            if i.sha256 in stored:
                journal.append({"source": i.source, "sha256": i.sha256, "status": "skipped",
                                "reason": "already stored"})
            elif i.sha256 in failed:
                journal.append({"source": i.source, "sha256": i.sha256, "status": "skipped",
                                "reason": f"failed before: {failed[i.sha256]}"})
        self.n["skipped"], self.n["failed_before"] = len(stored), len(failed)
        self.journal = journal
        self.workers, threads = size_workers(opts, len(self.todo))
        self.settings = worker_settings(self.settings, threads)
        self.threads = self.settings["asr.threads"]  # an explicit setting wins

    def run_config(self, specs: list[str]) -> dict:
        opts = self.opts
        return {"settings": self.settings.flat(), "inputs": specs,
                "engine": opts.engine, "workers": self.workers, "address": opts.address,
                "force": opts.force, "retry_failed": opts.retry_failed, "stages": opts.stages}

    def start(self, run):
        """The run (voc.store.Run: settings, config hash) and the journal of what was planned."""
        ws, opts = self.ws, self.opts
        self.run, self.run_id = run, run.id
        self._count()
        ws.update_run(self.run_id, config_hash=config_hash(self.settings))
        ws.log_inputs(self.run_id, self.journal)
        self.emit({"event": "start", "run_id": self.run_id, "inputs": self.total,
                   "todo": len(self.todo), "skipped": self.n["skipped"],
                   "duplicates": self.n["duplicates"], "failed_before": self.n["failed_before"],
                   "unreadable": len(self.bad), "engine": opts.engine, "workers": self.workers,
                   "resumed_after": self.resumed})
        for b in self.bad:
            self.emit({"event": "input", "status": "failed", **b})
        self._resolve_stages()

    def _resolve_stages(self):
        table = stage_table()
        for name in self.opts.stages:
            stage = table[name]
            try:
                self.stages[name] = stage.load()
            except Exception as e:  # noqa: BLE001 - a broken install: the stage fails, say why
                self._fail_stage(name, f"cannot load: {type(e).__name__}: {e}")
                continue
            self.when[name] = stage.when

    def _batch_stages(self) -> list[str]:
        return [s for s in self.stages if self.when.get(s) == "batch"]

    def _fail_stage(self, name: str, reason: str):
        """A stage that cannot run at all this night: the run fails; its contacts stay
        unmarked, so the next run does the stage once it is mended."""
        self.stages.pop(name, None)
        self.failed_stages[name] = reason
        self.stage_state[name] = {"status": "failed", "reason": reason}
        self.ws.record_failure(self.run_id, f"stage {name}", reason)
        self.emit({"event": "stage", "stage": name, "status": "failed", "reason": reason})

    def _skip_stage(self, name: str, reason: str):
        self.stages.pop(name, None)
        self.skipped_stages[name] = reason
        self.stage_state[name] = {"status": "skipped", "reason": reason}
        self.emit({"event": "stage", "stage": name, "status": "skipped", "reason": reason})

    # -- processing
    def process(self):
        for name in self._batch_stages():  # stored before, stage not run
            pending = self.ws.stage_pending(self.night_ids, name)
            for k in range(0, len(pending), 256):
                self._post_stage(name, self.ws.stored_pairs(pending[k: k + 256]))
        if not self.todo:
            return
        from voc.engines import Work, make_engine

        self.models = self.run.models = preflight(self.settings)
        ship = self.opts.ship_audio == "yes" or (self.opts.ship_audio == "auto" and
                                                 self.opts.engine == "ray" and bool(self.opts.address))
        works = (Work(i.source, i.sha256, i.meta) for i in self.todo)
        with make_engine(self.opts.engine, self.settings, workers=self.workers, threads=self.threads,
                         address=self.opts.address, ship=ship,
                         timeout=self.opts.input_timeout_s) as eng:
            self.models = self.run.models = eng.models or self.models
            self.ws.update_run(self.run_id, models=self.models)
            self.emit({"event": "workers", "engine": self.opts.engine, "models": self.models})
            for res in eng.map(works):
                if not self.buffer:
                    self.first_buffered = time.monotonic()
                self.buffer.append(res)
                if (len(self.buffer) >= self.opts.commit_every
                        or time.monotonic() - self.first_buffered >= self.opts.commit_seconds):
                    self.commit()
        self.commit()

    def commit(self):
        batch, self.buffer = self.buffer, []
        if not batch:
            return
        ok = [r for r in batch if r.error is None]
        collisions = self.ws.save_transcripts([r.transcript for r in ok], self.run_id,
                                              analyses=[r.analysis for r in ok], force=self.opts.force)
        refused = {c["id"]: c["reason"] for c in collisions}  # an id a table's contact has
        for r in ok:
            if r.transcript.id in refused:
                r.error = refused[r.transcript.id]
        ok = [r for r in ok if r.error is None]
        rows = [{"source": r.source, "sha256": r.transcript.id if r.error is None else r.sha256,
                 "status": "failed" if r.error else "done", "reason": r.error,
                 "seconds": r.seconds, "worker": r.worker} for r in batch]
        self.ws.log_inputs(self.run_id, rows)
        self.n["succeeded"] += len(ok)
        self.n["failed"] += len(batch) - len(ok)
        self.audio_s += sum(r.transcript.duration_s or 0 for r in ok)
        self._count()
        for row in rows:
            self.emit({"event": "input", **{k: v for k, v in row.items() if v is not None}})
        for name in self._batch_stages():
            self._post_stage(name, [(r.transcript, r.analysis) for r in ok])

    def _post_stage(self, name: str, pairs: list):
        if not pairs or name not in self.stages:
            return
        try:
            self.stages[name](pairs, self.ws, self.run_id, self.settings)
        except StageSkipped as e:
            self._skip_stage(name, str(e))
            return
        except Exception as e:  # noqa: BLE001 - the contacts stay stored; the next run retries
            reason = f"stage {name}: {type(e).__name__}: {e}"
            self.ws.log_inputs(self.run_id, [{"source": t.source, "sha256": t.id,
                                              "status": "stage_failed", "reason": reason}
                                             for t, _ in pairs])
            for t, _ in pairs:
                self.ws.record_failure(self.run_id, t.source, reason)
            self.n["stage_failed"] += len(pairs)
            self.stage_failures[name] = self.stage_failures.get(name, 0) + len(pairs)
            self.emit({"event": "stage", "stage": name, "status": "failed", "reason": reason,
                       "contacts": len(pairs)})
            return
        self.ws.mark_stage([t.id for t, _ in pairs], name, self.run_id)
        self.stage_counts[name] = self.stage_counts.get(name, 0) + len(pairs)

    # -- the end
    def finish(self):
        changed = self.n["succeeded"] > 0 or bool(self.stage_counts)
        for name in [s for s in self.stages if self.when.get(s) == "night"]:
            if not changed and not self.ws.night_pending(name):
                self.stage_state[name] = {"status": "not needed"}
                continue
            self.emit({"event": "stage", "stage": name, "status": "started"})
            try:
                out = self.stages[name](self.ws, self.run_id, self.settings)
                self.ws.mark_night(name, self.run_id)
                self.stage_counts[name] = 1
                self.stage_state[name] = {"status": "done"}
                self.emit({"event": "stage", "stage": name, "status": "done",
                           "result": out if isinstance(out, (dict, int, str)) else None})
            except StageSkipped as e:
                self._skip_stage(name, str(e))
            except Exception as e:  # noqa: BLE001
                self.n["stage_failed"] += 1
                reason = f"{type(e).__name__}: {e}"
                self.stage_state[name] = {"status": "failed", "reason": reason}
                self.emit({"event": "stage", "stage": name, "status": "failed", "reason": reason})
        bad = (self.n["failed"] + self.n["failed_before"] + self.n["stage_failed"]
               + len(self.failed_stages))
        self.status = self.run.status = "failed" if bad else "ok"
        self._count()
        self._record_stages("finished")

    def _record_stages(self, ended: str = "not reached"):
        """The run record's stages: what each configured stage did in this run."""
        state = {}
        for name in self.opts.stages:
            st = dict(self.stage_state.get(name) or {})
            if not st:
                st = {"status": "done" if self.stage_counts.get(name) else
                      ("nothing new" if self.when.get(name) == "batch" and ended == "finished"
                       else ended)}
            if self.when.get(name) == "batch" and name in self.stage_counts:
                st["contacts"] = self.stage_counts[name]
            if name in self.stage_failures:
                st["failed_contacts"] = self.stage_failures[name]
            state[name] = st
        self.stages_record = state
        try:
            self.ws.update_run(self.run_id, stages=state)
        except Exception:  # noqa: BLE001 - the run record's end matters more
            pass

    def salvage(self):
        """Stopped or broken half-way: keep the finished results (whole records) of the buffer;
        the run context then records how the run ended."""
        try:
            self.commit()
        except Exception:  # noqa: BLE001 - the original error matters more
            pass
        self._count()
        self._record_stages()

    def _count(self):
        n, run = self.n, self.run
        run.succeeded, run.failed = n["succeeded"], n["failed"]
        run.skipped = n["skipped"] + n["duplicates"] + n["failed_before"]

    @property
    def summary(self) -> dict:
        return {"run_id": self.run_id, "status": self.status, "workspace": str(self.ws.path),
                "inputs": self.total, **self.n, "audio_seconds": round(self.audio_s, 1),
                "stages_run": dict(self.stage_counts), "stages_skipped": dict(self.skipped_stages),
                "stages_failed": dict(self.failed_stages),
                "stages": dict(self.stages_record),
                "nothing_to_do": not self.todo and not self.n["failed"] and not self.stage_counts}


def preflight(settings) -> dict:
    """Check (and assemble, once) the ASR model in the driver before any worker starts, so
    workers never race to do it; returns the model record for the run. The analyzer's models
    are loaded by the workers, whose start-up errors stop the run before any input."""
    from voc import models
    from voc.config import models_dir
    from voc.transcribe import Transcriber

    tr = Transcriber(settings, settings["asr.engine"])
    out: dict = {"asr": {"engine": tr.engine_name}}
    if tr.engine_name == "whisper":
        name = settings["asr.whisper_model"]
        models.ensure(name, models_dir(settings))
        out["asr"]["models"] = [models.model_info(name, models_dir(settings))]
    return out
