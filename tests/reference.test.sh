#!/usr/bin/env bash
# fitchat vs the float64 reference on the default model (SmolLM2-135M-Instruct
# Q4_1, $FITCHAT_MODEL): logits at every position of the three prompts in
# tests/reference/prompts.txt and greedy-64 generations, for each KV cache type
# and attention mode, each with its own tolerance (tests/reference/README.md
# says where the numbers come from). One test per configuration.
#   tests/reference.test.sh BUILD_DIR      (last line: @@ PASSED FAILED SKIPPED)
# Reference results are cached in ${XDG_CACHE_HOME:-~/.cache}/fitchat/reference,
# keyed by the model file and ref_forward.py's source.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
pass=0 fail=0 skip=0
finish() { echo "@@ $pass $fail $skip"; exit 0; }

# mode kv-type attn tol-max tol-mean
# exact: fitchat --exact (float32 activations, dequantized weights): the only
#   difference from the float64 reference is float32 rounding (measured ~1e-6),
#   so the tolerance is 1e-4 and greedy-64 must be identical.
# fast: the normal engine (8-bit activations per block of 32, as llama.cpp):
#   tolerances from tests/reference/README.md, greedy checked with near ties.
configs=(
  "exact f32  flash 1e-4 2e-5"
  "exact f32  plain 1e-4 2e-5"
  "fast  f32  flash 0.25 0.10"
  "fast  f16  plain 0.25 0.10"
  "fast  q8_0 flash 0.25 0.10"
  "fast  q4_0 plain 1.50 0.50"
)
# Under the sanitizers the engine is ~10x slower: one exact and one fast run.
case "$build" in *asan*) configs=("${configs[0]}" "${configs[2]}") ;; esac
skip_all() {
  echo "skip: $1"
  skip=$((skip + ${#configs[@]}))
  finish
}

model=${FITCHAT_MODEL:-$(bash scripts/fetch-model.sh --path 2>/dev/null || true)}
[ -n "$model" ] && [ -f "$model" ] || skip_all "default model not found (FITCHAT_MODEL='$model'; run 'make models')"
fitchat=$build/fitchat
[ -x "$fitchat" ] || skip_all "$fitchat not built"
if ! py=$(bash scripts/setup-venv.sh); then
  echo "FAIL: scripts/setup-venv.sh failed (see above); cannot run the Python reference"
  fail=$((fail + 1))
  finish
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
probe=$("$fitchat" run -m "$model" --tokens "1" -n 0 --logits-out "$tmp/probe" 2>&1)
if echo "$probe" | grep -q "not available"; then
  skip_all "fitchat run is not available yet ($(echo "$probe" | tail -n 1))"
fi

cache=${XDG_CACHE_HOME:-$HOME/.cache}/fitchat/reference
for c in "${configs[@]}"; do
  read -r mode kv attn tol tolmean <<<"$c"
  echo "--- $mode, kv $kv, attn $attn"
  extra=()
  [ "$mode" = exact ] && extra=(--exact)
  "$py" tests/reference/compare.py --model "$model" --fitchat "$fitchat" --greedy 64 \
    --ref-cache "$cache" --kv-type "$kv" --attn "$attn" --tol "$tol" --tol-mean "$tolmean" "${extra[@]}"
  rc=$?
  case $rc in
    0) echo "ok: $mode, kv $kv, attn $attn"; pass=$((pass + 1)) ;;
    77) echo "skip: $mode, kv $kv, attn $attn: not supported by fitchat yet"; skip=$((skip + 1)) ;;
    *) echo "FAIL: $mode, kv $kv, attn $attn (compare.py exit $rc)"; fail=$((fail + 1)) ;;
  esac
done
# gguf_meta.py (compare.py's end-of-sequence id, kvquality.py's BOS) reads what
# the gguf package reads: every scalar key of the model, same value (plain build only)
case "$build" in *asan*) ;; *)
  if out=$("$py" - "$model" 2>&1 <<'PY'
import sys
sys.path.insert(0, "tests/reference")
import gguf
from gguf_meta import scalars
got = scalars(sys.argv[1])
want = {k: f.contents() for k, f in gguf.GGUFReader(sys.argv[1]).fields.items()
        if not k.startswith("GGUF.") and f.types[0] != gguf.GGUFValueType.ARRAY}
bad = sorted(k for k in set(got) | set(want) if got.get(k) != want.get(k)
             and not (isinstance(want.get(k), float) and abs(got.get(k, 0) - want[k]) <= 1e-6 * abs(want[k])))
print(f"{len(want)} keys, differing: {bad}")
sys.exit(1 if bad or not want else 0)
PY
  ); then echo "ok: gguf_meta.py = the gguf package on the model's scalar metadata ($out)"; pass=$((pass + 1))
  else echo "FAIL: gguf_meta.py vs the gguf package: $out"; fail=$((fail + 1)); fi ;;
esac
finish
