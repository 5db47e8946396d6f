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

# kv-type attn tol-max tol-mean
configs=(
  "f32  flash 0.25 0.10"
  "f32  plain 0.25 0.10"
  "f16  flash 0.25 0.10"
  "f16  plain 0.25 0.10"
  "q8_0 flash 0.25 0.10"
  "q8_0 plain 0.25 0.10"
  "q4_0 flash 1.50 0.50"
  "q4_0 plain 1.50 0.50"
)
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
  read -r kv attn tol tolmean <<<"$c"
  echo "--- kv $kv, attn $attn"
  "$py" tests/reference/compare.py --model "$model" --fitchat "$fitchat" --greedy 64 \
    --ref-cache "$cache" --kv-type "$kv" --attn "$attn" --tol "$tol" --tol-mean "$tolmean"
  rc=$?
  case $rc in
    0) echo "ok: kv $kv, attn $attn"; pass=$((pass + 1)) ;;
    77) echo "skip: kv $kv, attn $attn: not supported by fitchat yet"; skip=$((skip + 1)) ;;
    *) echo "FAIL: kv $kv, attn $attn (compare.py exit $rc)"; fail=$((fail + 1)) ;;
  esac
done
finish
