"""The Python API of the README: `import voc` is cheap, and the README's example runs as written."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT


def test_import_voc_loads_no_heavy_library():
    code = ("import sys, voc; voc.load_settings; voc.Workspace; "
            "heavy = [m for m in ('torch', 'duckdb', 'faster_whisper', 'ctranslate2', 'bertopic', 'funasr') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        import voc

        voc.nope  # noqa: B018


@pytest.mark.slow
def test_the_readme_python_example_runs_on_a_real_call(tmp_path, stereo_call):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [example] = re.findall(r"## Python API\n\n```python\n(.*?)```", readme, re.S)
    shutil.copy(stereo_call, tmp_path / "call.wav")
    out = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    level, _, rest = out.stdout.strip().partition(" ")
    assert level in ("low", "medium", "high")
    assert float(rest.rsplit(" ", 1)[1]) <= 100
    # the example stored the call and its analysis in the workspace it named
    from voc.store import Workspace

    with Workspace(tmp_path / "voc-workspace", read_only=True) as ws:
        [t] = ws.transcripts()
        assert len(t.utterances) >= 4 and {u.role for u in t.utterances} == {"agent", "customer"}
        assert len(ws.analyses()) == 1
