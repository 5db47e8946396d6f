#!/usr/bin/env bash
# fitchat on tiny random-weight qwen2, qwen3, phi3, gemma3 and llama3 (Llama 3.1
# RoPE frequency factors, rope_freqs.weight) models
# (tests/tools/make_arch_models.py: real tensor names and layouts, Q8_0 and a
# Q4_K/Q6_K mix) against the float64 reference (tests/reference/ref_forward.py).
#   tests/archs.test.sh BUILD_DIR      (last line: @@ PASSED FAILED SKIPPED)
# Per model: exact mode (float activations, f32 KV) must match to 1e-4 rel
# (measured: <= 1e-6 with Q8_0, 9.3e-6 gemma3 K-mix; llama3 3.0e-7 / 1.6e-6,
# and a mean 1.6e-2 / 1.0e-2 if the engine ignored rope_freqs) with greedy ids
# identical; fast mode (Q8/Q8K activations, default KV) within kquant.test.sh's
# loose bounds (measured: 0.016-0.038 max with Q8_0, up to 0.42 max / 0.077
# mean for gemma3 K-mix); both attention modes. The gemma3 prompt (12 tokens)
# and its greedy run outgrow the window (5), so its KV ring wraps. Last, a
# 600-token prompt (several batches and attention tiles) on gemma3 and llama3.
# The same checks with FITCHAT_ISA=scalar (portable kernels). Under ASan
# (build dir containing "asan") a reduced set runs.
set -u
cd "$(dirname "$0")/.."
. tests/lib/refsetup.sh "${1:-build}" 1
if ! "$py" tests/tools/make_arch_models.py "$tmp"; then
  echo "FAIL: make_arch_models.py"; fail=1; finish
fi
check() { # name, model, tol max, tol mean, extra args
  if "$py" tests/reference/compare.py --model "$tmp/$2.gguf" --fitchat "$fitchat" --tokens "$toks" --greedy 8 \
      --tol "$3" --tol-mean "$4" --ref-cache "$tmp/ref" "${@:5}" >"$tmp/log" 2>&1; then
    echo "ok   $1: $(grep -o 'rel err max [^ ]*' "$tmp/log" | head -1)"; pass=$((pass + 1))
  else
    cat "$tmp/log"; echo "FAIL $1"; fail=$((fail + 1))
  fi
}
for arch in qwen2 qwen3 phi3 gemma3 llama3; do
  for w in q8 kmix; do
    for attn in flash plain; do
      case "$build" in *asan*) # reduced: one exact and one fast run per architecture
        [ "$w/$attn" = q8/flash ] || [ "$w/$attn" = kmix/plain ] || continue;;
      esac
      check "$arch $w exact $attn" "$arch-$w" 1e-4 2e-5 --exact --kv-type f32 --attn "$attn"
      case "$build" in *asan*) [ "$w" = kmix ] || continue;; esac
      check "$arch $w fast $attn" "$arch-$w" 1.0 0.15 --attn "$attn"
    done
  done
done
# Once more with the portable kernels (FITCHAT_ISA=scalar: the scalar block
# kernels and the portable float loops of vecmath.c), exact and fast, so the
# builds that machines without AVX2 run are checked against the reference too.
case "$build" in *asan*) ;; *)
  for arch in qwen2 qwen3 phi3 gemma3 llama3; do
    for w in q8 kmix; do
      FITCHAT_ISA=scalar check "$arch $w exact flash, portable kernels" "$arch-$w" 1e-4 2e-5 --exact --kv-type f32 --attn flash
      FITCHAT_ISA=scalar check "$arch $w fast flash, portable kernels" "$arch-$w" 1.0 0.15 --attn flash
    done
  done;;
esac
# A prompt of 600 tokens: two batches (512 + 88), so attention reads keys from
# the cache and from the batch, over three tiles of 256 positions; gemma3's
# ring of 5 rows wraps many times. Exact mode and f32 KV in both kernels.
toks=$(awk 'BEGIN { for (i = 0; i < 600; i++) printf "%s%d", (i ? " " : ""), (i * 37 + 11) % 250 }')
for arch in gemma3 llama3; do
  for attn in flash plain; do
    case "$build" in *asan*) [ "$attn" = flash ] || continue;; esac
    check "$arch q8 exact $attn, 600 tokens" "$arch-q8" 1e-4 2e-5 --exact --kv-type f32 --attn "$attn"
  done
done
finish
