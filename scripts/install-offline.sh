#!/usr/bin/env bash
# Install voc from an offline bundle (made by `make bundle`; this file is the bundle's install.sh)
# on a machine with no network: no package index is used, nor pip's configuration of this machine.
#
#   bash BUNDLE/install.sh [--venv DIR]      default DIR: ./.venv; `make install-offline BUNDLE=...`
#
# 1. checks BUNDLE/SHA256SUMS (sha256sum -c) and that wheels/ holds nothing else
# 2. creates DIR with Python 3.11 (PYTHON=...), unless it is a venv already
# 3. pip install --no-index --find-links BUNDLE/wheels --require-hashes -r BUNDLE/requirements.lock,
#    then voc's wheel (--no-deps: its dependencies are the lock's), then pip check
# 4. copies BUNDLE/models/* into voc's model folder (`voc models path NAME`) and runs voc models verify
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VENV=.venv
while (($#)); do
  case $1 in
    --venv) VENV=${2:?--venv needs a folder}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-offline: unknown argument $1 (usage: install.sh [--venv DIR])" >&2; exit 2 ;;
  esac
done
PY=${PYTHON:-python3}
say() { echo "install-offline: $*"; }

say "checking $HERE/SHA256SUMS"
(cd "$HERE" && sha256sum --quiet --strict -c SHA256SUMS) || {
  echo "install-offline: the bundle in $HERE is incomplete or damaged (SHA256SUMS); copy it again" >&2; exit 1; }
extra=$(cd "$HERE" && comm -23 <(find wheels models -type f | LC_ALL=C sort) \
                               <(sed 's/^[0-9a-f]*  //' SHA256SUMS | LC_ALL=C sort))
[ -z "$extra" ] || { echo "install-offline: files not in SHA256SUMS: $extra" >&2; exit 1; }

[ "$(uname -sm)" = "Linux x86_64" ] || { echo "install-offline: the wheels are for Linux x86-64, this is $(uname -sm)" >&2; exit 1; }
if [ -x "$VENV/bin/python" ]; then
  PYV="$VENV/bin/python"
else
  "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || {
    echo "install-offline: the wheels are for CPython 3.11; $PY is $("$PY" --version 2>&1) (PYTHON=python3.11 bash install.sh)" >&2; exit 1; }
  say "creating $VENV"
  "$PY" -m venv "$VENV"
  PYV="$VENV/bin/python"
fi
"$PYV" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || {
  echo "install-offline: $VENV is not a CPython 3.11 venv" >&2; exit 1; }

# pip sees the bundle and nothing else: no index, no find-links or constraints from this machine's
# pip.conf (PIP_CONFIG_FILE=/dev/null loads none) or PIP_* environment
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^PIP_' || true)
export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
pip=("$PYV" -m pip install -q --no-index --find-links "$HERE/wheels")
say "installing $(grep -c '^[A-Za-z0-9]' "$HERE/requirements.lock") locked packages from $HERE/wheels"
"${pip[@]}" --require-hashes -r "$HERE/requirements.lock"
voc_whl=$(find "$HERE/wheels" -name 'voc-*.whl' | head -n1)
[ -n "$voc_whl" ] || { echo "install-offline: no voc wheel in $HERE/wheels" >&2; exit 1; }
say "installing $(basename "$voc_whl")"
"${pip[@]}" --no-deps --force-reinstall "$voc_whl"
"$PYV" -m pip check

VOC="$VENV/bin/voc"
for src in "$HERE"/models/*/; do
  [ -d "$src" ] || continue
  name=$(basename "$src")
  dest=$("$VOC" models path "$name")
  say "model $name -> $dest"
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest.partial"
  cp -r "$src" "$dest.partial"
  rm -rf "$dest"
  mv "$dest.partial" "$dest"
done
"$VOC" models verify

if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then
  say "warning: no ffmpeg/ffprobe: voc transcribe needs the Debian package ffmpeg (apt-get install ffmpeg);" \
      "analyze, inspect, topics and report work without it"
fi
say "done: $VOC --help  (Debian packages: ffmpeg for transcribe; chromium only for voc's browser tests)"
