"""`voc run --engine ray` on a local Ray instance started here (two CPUs): the same stage
functions in Ray actors, the driver writing, the same records as the local engine."""

from __future__ import annotations

import json

import pytest
from run_helpers import by_name, make_night, snapshot
from typer.testing import CliRunner

from voc.cli import app

runner = CliRunner()


@pytest.fixture()
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_engine_matches_local_engine_record_by_record(tmp_path, ray_cluster):
    night = tmp_path / "night"
    make_night(night, 4, bad=1)

    local = runner.invoke(app, ["run", str(night), "-w", str(tmp_path / "local"), "--workers", "2",
                                "--json"])
    assert local.exit_code == 1, local.output
    # the bytes travel through Ray's object store (as on a cluster without shared storage)
    r = runner.invoke(app, ["run", str(night), "-w", str(tmp_path / "ray"), "--engine", "ray",
                            "--workers", "2", "--ship-audio", "yes", "--json"])
    assert r.exit_code == 1, r.output
    events = [json.loads(x) for x in r.stdout.splitlines()]
    s = events[-1]
    assert (s["succeeded"], s["failed"]) == (4, 1)
    workers = {e["worker"] for e in events if e["event"] == "input" and e["status"] == "done"}
    assert len(workers) == 2  # both actors worked
    assert ray_cluster.is_initialized()  # a cluster the run did not start is left running

    a, b = snapshot(tmp_path / "local"), snapshot(tmp_path / "ray")
    assert by_name(a) == by_name(b)  # ids, texts, analyses, record by record
    assert a["transcripts"] == b["transcripts"] and a["utterances"] == b["utterances"]
    assert a["analyses"] == b["analyses"]
    [fail] = [e for e in events if e["event"] == "input" and e["status"] == "failed"]
    assert fail["source"].endswith("broken_0.wav") and "not a readable audio file" in fail["reason"]

    again = runner.invoke(app, ["run", str(night), "-w", str(tmp_path / "ray"), "--engine", "ray"])
    assert "nothing to do" in again.stderr  # no Ray work at all for a finished night
