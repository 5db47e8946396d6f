#!/usr/bin/env bash
# fitchat vs the float64 reference on a real K-quant model of another
# architecture: Gemma 3 270M Q4_K_M (`make models-extra`; sliding-window
# layers, GELU, extra norms, two RoPE bases, 262144-token vocabulary).
# Prompts (tests/reference/prompts-gemma3.txt): "The capital of France is
# Paris. The capital of Germany is", a Python fibonacci stub, and a 43-token
# story opening. exact = float activations: tolerance 1e-4, greedy-64
# identical; fast = the normal engine: tolerance as for SmolLM2
# (tests/reference/README.md), greedy checked with near ties.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
pass=0 fail=0 skip=0
configs=(
  "exact f32  flash 1e-4 2e-5"
  "exact f32  plain 1e-4 2e-5"
  "fast  f32  flash 0.25 0.10"
  "fast  q8_0 plain 0.25 0.10"
)
case "$build" in *asan*) configs=("${configs[2]}") ;; esac
model=$(bash scripts/fetch-model.sh gemma3 --path 2>/dev/null || true)
if [ -z "$model" ] || [ ! -f "$model" ]; then
  echo "skip: Gemma 3 270M not fetched (make models-extra)"; echo "@@ 0 0 ${#configs[@]}"; exit 0
fi
py=$(bash scripts/setup-venv.sh) || { echo "FAIL: scripts/setup-venv.sh"; echo "@@ 0 1 0"; exit 0; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/fitchat/reference
for c in "${configs[@]}"; do
  read -r mode kv attn tol tolmean <<<"$c"
  extra=(); [ "$mode" = exact ] && extra=(--exact)
  greedy=64; case "$build" in *asan*) greedy=8 ;; esac
  echo "--- gemma3 $mode, kv $kv, attn $attn"
  "$py" tests/reference/compare.py --model "$model" --fitchat "$build/fitchat" --prompts tests/reference/prompts-gemma3.txt \
    --greedy "$greedy" --ref-cache "$cache" --kv-type "$kv" --attn "$attn" --tol "$tol" --tol-mean "$tolmean" "${extra[@]}"
  rc=$?
  if [ $rc -eq 0 ]; then echo "ok: gemma3 $mode, kv $kv, attn $attn"; pass=$((pass + 1));
  else echo "FAIL: gemma3 $mode, kv $kv, attn $attn (compare.py exit $rc)"; fail=$((fail + 1)); fi
done
echo "@@ $pass $fail $skip"
