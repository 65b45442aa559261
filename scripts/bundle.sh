#!/usr/bin/env bash
# `make bundle [BUNDLE=dir]`: everything an air-gapped machine needs to install voc, in one folder
# (default dist/voc-bundle), made on a connected machine after `make install`:
#
#   wheels/            a wheel for every package of requirements/runtime.lock (hash-checked against
#                      the lock; the few packages published only as sdists are built into wheels
#                      here, so the air-gapped machine needs no compiler) and voc's own wheel
#   models/NAME/       each model of the manifest installed here (at least whisper-base)
#   requirements.lock  the lock, plus the sha256 of each wheel built here from an sdist
#   install.sh         the offline install (scripts/install-offline.sh): `bash install.sh --venv DIR`
#   README.txt         what to do on the air-gapped machine, and the Debian packages it needs
#   SHA256SUMS         of every file above; install.sh checks it first
#
# BUNDLE_TAR=1 also writes dir.tar beside the folder. VOC_BUNDLE_MODELS="a b" picks the models.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-${BUNDLE:-dist/voc-bundle}}
OUT=${OUT%/}
LOCK=${VOC_BUNDLE_LOCK:-requirements/runtime.lock}
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
VOC="$VENV/bin/voc"
[ -x "$VOC" ] || { echo "bundle: no $VOC: run make install first" >&2; exit 1; }
[ -f "$LOCK" ] || { echo "bundle: no lock $LOCK" >&2; exit 1; }

tmp="$OUT.partial"
rm -rf "$tmp"
mkdir -p "$tmp/wheels" "$tmp/models"
start=$SECONDS

# 1. the wheels of the lock, each checked against its sha256 there. pip wheel saves the published
#    wheel of a package as it is and builds one from the sdist only where none is published.
pip_args=(--require-hashes --no-deps -r "$LOCK" -w "$tmp/wheels")
if ! "$PY" -m pip install -q --dry-run --ignore-installed --no-deps --no-index \
    "torch==2.13.0+cpu" >/dev/null 2>&1; then
  pip_args+=(--extra-index-url "${VOC_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}")
fi
echo "bundle: wheels of $LOCK"
"$PY" -m pip wheel -q "${pip_args[@]}"

# 2. voc's own wheel, from this checkout (its dependencies are the lock's)
# (setuptools builds in build/lib, where a stale copy of a deleted module would get into the wheel)
echo "bundle: voc's wheel"
rm -rf build/lib build/bdist.*
"$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$tmp/wheels" .
rm -rf build/lib build/bdist.*

# 3. the lock, with the sha256 of the wheels built from sdists added to their entries, so that
#    pip --require-hashes accepts them offline; every other entry is unchanged
"$PY" - "$LOCK" "$tmp/wheels" "$tmp/requirements.lock" <<'EOF'
import hashlib, re, sys
from pathlib import Path

lock, wheels, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
norm = lambda s: re.sub(r"[-_.]+", "-", s).lower()
lines = lock.read_text().splitlines()
known = set(re.findall(r"sha256:([0-9a-f]{64})", lock.read_text()))
entries = {}  # (name, version) -> index of its last --hash line
for i, line in enumerate(lines):
    m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
    if m:
        key = (norm(m[1]), m[2])
    elif line.strip().startswith("--hash=sha256:"):
        entries[key] = i
added = []
for whl in sorted(wheels.glob("*.whl")):
    digest = hashlib.sha256(whl.read_bytes()).hexdigest()
    if digest in known:
        continue
    name, version = whl.name.split("-")[:2]
    key = (norm(name), version)
    if name == "voc":
        continue  # installed beside the lock, not from it
    if key not in entries:
        sys.exit(f"bundle: {whl.name} is not in {lock}")
    i = entries[key]
    lines[i] = lines[i].rstrip(" \\") + " \\"
    lines.insert(i + 1, f"    --hash=sha256:{digest}")
    entries = {k: (j + 1 if j > i else j) for k, j in entries.items()}
    added.append(whl.name)
head = [f"# bundle: {lock.name} as locked, plus the sha256 of the wheels that `make bundle` built",
        f"# from their locked sdists: {', '.join(added) or 'none'}"]
out.write_text("\n".join(head + lines) + "\n")
print(f"bundle: built from sdists: {', '.join(added) or 'none'}")
EOF
nlock=$(grep -c '^[A-Za-z0-9]' "$LOCK")
nwheels=$(find "$tmp/wheels" -name '*.whl' ! -name 'voc-*' | wc -l)
[ "$nlock" = "$nwheels" ] || { echo "bundle: $nwheels wheels for the $nlock packages of $LOCK" >&2; exit 1; }
if find "$tmp/wheels" -type f ! -name '*.whl' | grep -q .; then
  echo "bundle: not wheels: $(find "$tmp/wheels" -type f ! -name '*.whl')" >&2; exit 1
fi

# 4. the models installed here, wherever voc keeps them (`voc models path`)
names=${VOC_BUNDLE_MODELS:-$("$VOC" models list --json | "$PY" -c '
import json, sys
print(" ".join(r["name"] for r in map(json.loads, sys.stdin) if r["installed"]))')}
for name in $names; do
  src=$("$VOC" models path "$name")
  "$VOC" models verify "$name" >/dev/null || { echo "bundle: model $name in $src fails voc models verify" >&2; exit 1; }
  echo "bundle: model $name from $src"
  cp -r "$src" "$tmp/models/$name"
  rm -f "$tmp/models/$name/.voc-verified.json"  # mtimes change with the copy; verify writes a new one
done

# 5. the offline installer, its README, the checksums
cp scripts/install-offline.sh "$tmp/install.sh"
chmod +x "$tmp/install.sh"
cat >"$tmp/README.txt" <<EOF
voc $(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml), offline bundle made $(date -u +%Y-%m-%dT%H:%MZ) from $(git rev-parse --short HEAD 2>/dev/null || echo "a checkout")$(git diff --quiet HEAD 2>/dev/null || echo " with local changes")
For Linux x86-64 with CPython 3.11 (the wheels are cp311).

On the air-gapped machine:
  1. Debian packages, from your own mirror or media:
       ffmpeg            needed: voc transcribe decodes audio with ffmpeg/ffprobe
       python3.11 python3.11-venv   if the machine has no Python 3.11 with venv
       fonts-noto-cjk    optional: Chinese glyphs in dashboard screenshots on this machine
       chromium chromium-driver   only for voc's browser tests, not for voc itself
  2. bash install.sh --venv /opt/voc/.venv      (default: ./.venv in the current folder)
     It checks SHA256SUMS, creates the venv, installs every wheel with pip --no-index
     --require-hashes (no package index is used or needed), copies models/ into voc's model
     folder (\`voc models path NAME\`; ~/.local/share/voc/models unless VOC_MODELS_DIR or
     VOC_PATHS_DATA_DIR says otherwise) and runs \`voc models verify\`.
  3. /opt/voc/.venv/bin/voc --help

Models in this bundle: ${names:-none}
EOF
(cd "$tmp" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum) \
  >"$tmp.SHA256SUMS"
mv "$tmp.SHA256SUMS" "$tmp/SHA256SUMS"

rm -rf "$OUT"
mv "$tmp" "$OUT"
if [ -n "${BUNDLE_TAR:-}" ]; then
  tar -cf "$OUT.tar" -C "$(dirname "$OUT")" "$(basename "$OUT")"
  echo "bundle: $OUT.tar ($(du -h "$OUT.tar" | cut -f1))"
fi
echo "bundle: $OUT ($(du -sh "$OUT" | cut -f1), $nwheels wheels + voc, models: ${names:-none}) in $((SECONDS - start)) s"
echo "bundle: on the air-gapped machine: bash $(basename "$OUT")/install.sh --venv DIR  (see README.txt there)"
