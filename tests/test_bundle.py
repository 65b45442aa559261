"""The air-gapped install, for real: `make bundle` (scripts/bundle.sh) packs the wheels of
requirements/runtime.lock, voc's wheel and the installed models; the bundle's install.sh then
installs all of it into a fresh venv inside `unshare -n` (a network namespace with no interface
but a down loopback: every connection is refused), and the installed voc runs there.

The install is the full one (torch, ray, funasr, ... from the bundle's wheels): a few minutes.
A bundle that lacks a wheel fails twice over: at the SHA256SUMS check, and, with its SHA256SUMS
made to match, at pip, which may use nothing but the bundle (not this machine's /opt/wheels).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

TEXTS = ["我的信用卡被盗刷了，打了三次电话都没人处理，我要投诉到银保监会！",
         "谢谢你们，贷款审批很快，服务很好。",
         "请问手机银行怎么修改登录密码？"]

# run inside the namespace, with the address that pypi.org has outside it: the network must really
# be gone (/proc/net/dev, which is per namespace unlike /sys/class/net, lists only lo; no route out)
NO_NET = """
import socket, sys
print("interfaces", sorted(line.split(":")[0].strip() for line in open("/proc/net/dev") if ":" in line))
for host in sys.argv[1:]:
    try:
        socket.create_connection((host, 443), timeout=5).close()
        print("connected", host)
    except OSError as e:
        print("refused", host, type(e).__name__, e.errno)
"""


def _unshare_problem() -> str | None:
    if not shutil.which("unshare"):
        return "no unshare here (util-linux)"
    r = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if r.returncode:
        return f"unshare -n is not permitted here (needs root or user namespaces): {r.stderr.strip()}"
    return None


def offline(*cmd, env, cwd=None, timeout=1800) -> subprocess.CompletedProcess:
    return subprocess.run(["unshare", "-n", "--", *map(str, cmd)], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory):
    problem = _unshare_problem()
    if problem:
        pytest.skip(problem)
    home = tmp_path_factory.mktemp("offline-home")
    # this machine's environment as it is (PIP_FIND_LINKS and all: install.sh must ignore them), but
    # no VOC_* settings of the test run, a home and data directory of its own, and no venv on PATH
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOC_") and k != "VIRTUAL_ENV"}
    venv_bin = str(Path(sys.prefix) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", os.defpath).split(os.pathsep) if p != venv_bin)
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), PYTHON=sys._base_executable,
               LC_ALL="C.UTF-8")
    return env


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "voc-bundle"
    t0 = time.monotonic()
    r = subprocess.run(["bash", str(ROOT / "scripts" / "bundle.sh"), str(out)], cwd=ROOT,
                       env={**os.environ, "VENV": sys.prefix}, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    print(f"bundle built in {time.monotonic() - t0:.0f} s")
    yield out
    shutil.rmtree(out.parent, ignore_errors=True)


def test_bundle_contents(bundle):
    sums = dict(reversed(line.split(None, 1)) for line in (bundle / "SHA256SUMS").read_text().splitlines())
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert files == set(sums)
    wheels = sorted(p.name for p in (bundle / "wheels").iterdir())
    assert all(w.endswith(".whl") for w in wheels)  # sdists were built here, not on the target
    assert any(w.startswith("torch-2.13.0+cpu-cp311") for w in wheels)
    assert any(w.startswith("voc-") for w in wheels)
    lock = (ROOT / "requirements" / "runtime.lock").read_text()
    assert len(wheels) - 1 == sum(1 for line in lock.splitlines() if line[:1].isalnum())
    assert (bundle / "models" / "whisper-base" / "model.bin").stat().st_size > 100_000_000
    assert "ffmpeg" in (bundle / "README.txt").read_text()


@pytest.fixture()
def venv(tmp_path):
    yield tmp_path / "venv"
    shutil.rmtree(tmp_path / "venv", ignore_errors=True)  # 3 GB: not left for pytest's last 3 runs


def test_offline_install_and_run(bundle, offline_env, venv, tmp_path):
    env = offline_env
    try:
        outside = [socket.getaddrinfo("pypi.org", 443, type=socket.SOCK_STREAM)[0][4][0]]
    except OSError:
        outside = []  # no DNS out here either: the namespace is checked by name alone
    r = offline(sys._base_executable, "-c", NO_NET, "pypi.org", *outside, env=env)
    assert r.returncode == 0, r.stderr
    assert "interfaces ['lo']" in r.stdout and "connected" not in r.stdout, r.stdout
    assert r.stdout.count("refused") == 1 + len(outside), r.stdout

    t0 = time.monotonic()
    r = offline("bash", bundle / "install.sh", "--venv", venv, env=env)
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    print(f"offline install in {took:.0f} s")
    assert "whisper-base: ok" in r.stdout
    voc = venv / "bin" / "voc"
    # the wheel is installed, not this checkout: voc's code lies in the venv
    r = subprocess.run([venv / "bin" / "python", "-c", "import voc; print(voc.__file__)"], env=env,
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.stdout.startswith(str(venv)), r.stdout + r.stderr

    r = offline(voc, "--help", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "analyze" in r.stdout and "models" in r.stdout

    r = offline(voc, "models", "verify", "--json", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    wb = next(row for row in rows if row["name"] == "whisper-base")
    assert wb["ok"] and len(wb["files"]) >= 4
    # copied into the data directory of this (temporary) home, where the installed voc looks
    r = offline(voc, "models", "path", "whisper-base", env=env, cwd=tmp_path)
    assert r.stdout.strip().startswith(env["XDG_DATA_HOME"]), r.stdout

    csv = tmp_path / "texts.csv"
    csv.write_text("text\n" + "\n".join(TEXTS) + "\n", encoding="utf-8")
    r = offline(voc, "analyze", csv, "--no-store", "--out", tmp_path / "analysis.jsonl", env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [json.loads(line) for line in (tmp_path / "analysis.jsonl").read_text().splitlines()]
    assert len(rows) == 3
    assert rows[0]["risk"]["level"] == "high" and rows[0]["sentiment"]["label"] == "negative"
    assert rows[1]["sentiment"]["label"] == "positive"
    assert rows[2]["risk"]["level"] == "low" and rows[2]["risk"]["reasons"] == []


def _copy_without(bundle: Path, dest: Path, prefix: str, fix_sums: bool) -> Path:
    """A copy of the bundle (hard links) without the wheel whose name starts with prefix."""
    shutil.copytree(bundle, dest, copy_function=os.link)
    gone = next((dest / "wheels").glob(prefix + "*.whl"))
    gone.unlink()
    if fix_sums:
        sums = dest / "SHA256SUMS"
        sums.write_text("".join(line for line in sums.read_text().splitlines(True)
                                if not line.rstrip().endswith("wheels/" + gone.name)))
    return dest


def test_missing_wheel_fails_the_checksums(bundle, offline_env, venv, tmp_path):
    broken = _copy_without(bundle, tmp_path / "b", "rapidfuzz-", fix_sums=False)
    r = offline("bash", broken / "install.sh", "--venv", venv, env=offline_env)
    assert r.returncode != 0
    assert "SHA256SUMS" in r.stderr and "rapidfuzz" in r.stdout + r.stderr
    assert not venv.exists()


def test_missing_wheel_fails_pip_even_with_local_wheels_configured(bundle, offline_env, venv, tmp_path):
    # torch lies in this machine's /opt/wheels (pip.conf and PIP_FIND_LINKS): pip must not look there
    broken = _copy_without(bundle, tmp_path / "b", "torch-", fix_sums=True)
    r = offline("bash", broken / "install.sh", "--venv", venv, env=offline_env)
    assert r.returncode != 0, r.stdout
    assert "torch" in r.stderr and ("No matching distribution" in r.stderr or "Could not find" in r.stderr), r.stderr
    assert not (venv / "bin" / "voc").exists()
