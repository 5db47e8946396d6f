#!/usr/bin/env bash
# gpu-check — everything the CUDA backend promises, checked on a machine with
# an NVIDIA GPU, in one run that ends with one table:
#   1. builds with CUDA (make CUDA=1) unless build/fitchat already has it;
#   2. runs the kernel parity tests (build/tests/test_cuda) and the end-to-end
#      test (tests/cuda.test.sh: logits at 0 / half / all layers vs the CPU);
#   3. for three layer counts: the plan's GPU bytes, the bytes the engine
#      allocated (the allocation log), the CUDA context cost it measured, and
#      what nvidia-smi says the process holds;
#   4. generation and prompt-processing speed at 0 / half / all layers, with
#      the fraction of the card's memory bandwidth that generation reaches.
# Usage: scripts/gpu-check.sh [MODEL.gguf ...]   (default: the default model,
# plus the synthetic 1B Llama Q4_K_M when tests/tools/gen_llama_1b exists)
# Environment: JOBS (make -j, default nproc), REPS (bench repetitions, 5),
# GPU_BW_GBS (the card's bandwidth in GB/s when the name is not in the table).
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
REPS=${REPS:-5}
bin=build/fitchat
say() { printf '\n== %s\n' "$*"; }
fail=0

say "build"
if [ ! -x "$bin" ] || ! "$bin" gpu 2>/dev/null | grep -q "^CUDA backend: built"; then
  make -j"$JOBS" CUDA=1 all build/tests/test_cuda build/tests/tools/cmp_logits >/dev/null || { echo "build failed"; exit 1; }
fi
"$bin" gpu | tee /tmp/gpu-check.gpu
grep -q "^CUDA backend: built, [1-9]" /tmp/gpu-check.gpu || { echo "no usable GPU: nothing to check"; exit 1; }
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)

# Peak memory bandwidth (GB/s) of common cards, for the ceiling of generation.
bw=${GPU_BW_GBS:-}
if [ -z "$bw" ]; then
  case "$gpu_name" in
    *H200*) bw=4800;; *"H100 NVL"*) bw=3900;; *H100*PCIe*) bw=2000;; *H100*) bw=3350;;
    *A100*80GB*PCIe*) bw=1935;; *A100*80GB*) bw=2039;; *A100*) bw=1555;;
    *L40S*|*L40*) bw=864;; *"RTX 4090"*) bw=1008;; *"RTX 3090"*) bw=936;; *"RTX 4080"*) bw=717;;
    *"RTX 3070"*) bw=448;; *"RTX 4070"*) bw=504;; *T4*) bw=320;; *) bw=0;;
  esac
fi

models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=("$(bash scripts/fetch-model.sh --path)")
  if [ -x build/tests/tools/gen_llama_1b ] || make -s build/tests/tools/gen_llama_1b >/dev/null 2>&1; then
    one_b=${XDG_CACHE_HOME:-$HOME/.cache}/fitchat/bench/llama-1b-q4_k_m.gguf
    [ -f "$one_b" ] || build/tests/tools/gen_llama_1b "$one_b" >/dev/null 2>&1 || true
    [ -f "$one_b" ] && models+=("$one_b")
  fi
fi

say "kernel parity (CUDA against the CPU twin)"
build/tests/test_cuda | tee /tmp/gpu-check.parity | grep -v "^@@"
read -r _ p f s < <(grep '^@@' /tmp/gpu-check.parity)
[ "${f:-1}" -eq 0 ] && [ "${s:-1}" -eq 0 ] || fail=1

say "end to end (default model: logits and greedy at 0 / half / all layers)"
FITCHAT_MODEL=${models[0]} bash tests/cuda.test.sh build | tee /tmp/gpu-check.e2e | grep -v "^@@"
read -r _ p f s < <(grep '^@@' /tmp/gpu-check.e2e)
[ "${f:-1}" -eq 0 ] && [ "${s:-1}" -eq 0 ] || fail=1

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
# bytes from a --mem line's "planned weights X, KV Y, buffers Z, fixed F" / "allocated A, B, C"
to_bytes() { awk '{ v=$1; u=$2; m=1; if (u=="KiB") m=1024; else if (u=="MiB") m=1048576; else if (u=="GiB") m=1073741824; printf "%.0f", v*m }'; }

table=()
for m in "${models[@]}"; do
  name=$(basename "$m")
  L=$("$bin" info "$m" 2>/dev/null | awk '$1 == "layers" {print $2 + 0; exit}')
  [ -n "$L" ] && [ "$L" -gt 0 ] || { echo "$m: cannot read the layer count"; fail=1; continue; }
  gpu_weights=0
  half=$((L / 2))
  say "$name: memory, planned vs allocated vs nvidia-smi ($L layers)"
  for ngl in $((L / 4)) $half $L; do
    log=/tmp/gpu-check.mem.$ngl
    "$bin" run -m "$m" -p "Once upon a time" -n 200 --temp 0 -ngl $ngl --mem >/dev/null 2>"$log" &
    pid=$!
    peak=0
    while kill -0 $pid 2>/dev/null; do
      u=$(nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits 2>/dev/null | awk -F', *' -v p=$pid '$1==p {print $2}')
      [ -n "$u" ] && [ "$u" -gt "$peak" ] && peak=$u
      sleep 0.2
    done
    wait $pid || { echo "run with -ngl $ngl failed:"; cat "$log"; fail=1; continue; }
    dev=$(grep "^GPU " "$log" | head -1)
    echo "$dev"
    planned=$(sed -n 's/.*planned weights \([0-9.]* [KMG]*i*B\), KV \([0-9.]* [KMG]*i*B\), buffers \([0-9.]* [KMG]*i*B\), fixed \([0-9.]* [KMG]*i*B\).*/\1|\2|\3|\4/p' <<<"$dev")
    ctx=$(sed -n 's/.*CUDA context measured \([0-9.]* [KMG]*i*B\).*/\1/p' <<<"$dev")
    [ "$ngl" -eq "$L" ] && gpu_weights=$(cut -d'|' -f1 <<<"$planned" | to_bytes)
    match=$(grep -q "matches the plan to the byte" <<<"$dev" && echo equal || echo DIFFERS)
    [ "$match" = equal ] || fail=1
    table+=("$(printf '| %-28.28s | %5s | %-40s | %-9s | %-10s | %8s MiB |' "$name" "$ngl" "$planned" "$match" "$ctx" "$peak")")
  done
  say "$name: speed at 0 / half / all layers"
  for ngl in 0 $half $L; do
    "$bin" bench -m "$m" -p 512 -n 128 -r "$REPS" -ngl $ngl | tee /tmp/gpu-check.bench.$ngl | grep -E "pp|tg"
  done
  # bytes read per generated token with everything on the GPU: the weights
  # the GPU holds (the plan's number; KV reads are small at this context)
  tg=$(awk -F'|' '/tg128/ {split($9, a, " "); print a[1]}' /tmp/gpu-check.bench.$L)
  bytes=$gpu_weights
  if [ "$bw" -gt 0 ] && [ -n "$tg" ] && [ "$bytes" -gt 0 ]; then
    frac=$(awk -v b="$bytes" -v t="$tg" -v bw="$bw" 'BEGIN { printf "%.0f%%", 100 * b * t / (bw * 1e9) }')
    echo "$name: generation with all layers on the GPU reads $(mib "$bytes") MiB per token at $tg t/s = $frac of $bw GB/s"
    table+=("| $name: all layers, tg128 $tg t/s = $frac of the card's $bw GB/s |")
  fi
done

say "summary ($gpu_name)"
printf '| %-28s | %5s | %-40s | %-9s | %-10s | %12s |\n' model ngl "planned weights|KV|buffers|fixed" allocated "context" "nvidia-smi"
for row in "${table[@]}"; do echo "$row"; done
echo
[ $fail -eq 0 ] && echo "gpu-check: all checks passed" || echo "gpu-check: FAILURES above"
exit $fail
