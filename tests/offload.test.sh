#!/usr/bin/env bash
# Offloading end to end on the default model (and Gemma 3 270M when
# fetched), through host-emulated GPUs ("--gpu sim:SIZE"): the split, the
# hidden-state handoff and the memory accounting run in CI without a GPU.
#  - logits of every prompt position with 0, half and all layers on one
#    emulated GPU, and split over two, are bit-identical to the CPU-only run
#    (the emulated device runs the CPU kernels: any difference is a handoff,
#    layer-range or weight-copy bug), and greedy generations are identical;
#  - every device's allocation equals the plan to the byte (fitchat run --mem);
#  - a device too small for a forced LAYERS runs out of memory, and the run
#    retries with fewer layers and says so, with the numbers;
#  - a GPU override with no CUDA device behind it is refused in one line.
set -u
build=${1:-build}
bin=$build/fitchat
cmp=$build/tests/tools/cmp_logits
pass=0; fail=0; skip=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
if [ -z "${FITCHAT_MODEL:-}" ] || [ ! -f "$FITCHAT_MODEL" ]; then
  echo "skip offload.test.sh: default model absent (make models)"; echo "@@ 0 0 1"; exit 0
fi
unset FITCHAT_GPU
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
prompt=$'<|im_start|>user\nWhat is the capital of France? Answer in one sentence.<|im_end|>\n<|im_start|>assistant\n'

# check_model NAME MODEL N_LAYER N_VOCAB SIM_SIZE
check_model() {
  local name=$1 m=$2 L=$3 V=$4 sim=$5
  "$bin" run -m "$m" -p "$prompt" -n 24 --greedy -t 2 -b 7 --logits-out "$tmp/cpu.bin" --ids-out "$tmp/cpu.ids" >/dev/null 2>"$tmp/err" \
    || { bad "$name: CPU run: $(cat "$tmp/err")"; return; }
  for spec in "0|$sim" "$((L / 2))|$sim" "$L|$sim" "$L|$sim;$sim" "$((L - 3))|$sim;$sim"; do
    local ngl=${spec%%|*} gpus=${spec#*|}
    local what="$name, $ngl of $L layers on $(tr ';' '\n' <<<"$gpus" | wc -l) emulated GPU(s)"
    # --mem: the accounting of this same run (keeping every position's logits: n_batch rows, planned so)
    FITCHAT_GPU="$gpus" "$bin" run -m "$m" -p "$prompt" -n 24 --greedy -t 2 -b 7 -ngl "$ngl" --mem \
      --logits-out "$tmp/dev.bin" --ids-out "$tmp/dev.ids" >/dev/null 2>"$tmp/err" || { bad "$what: run failed: $(cat "$tmp/err")"; continue; }
    local res; res=$("$cmp" "$tmp/cpu.bin" "$tmp/dev.bin" "$V" 0)
    [ $? -eq 0 ] && [[ "$res" == *bit-identical* ]] && ok "$what: logits bit-identical to the CPU ($res)" || bad "$what: $res"
    cmp -s "$tmp/cpu.ids" "$tmp/dev.ids" && ok "$what: same greedy generation" || bad "$what: generation differs"
    grep -q "^plan: $ngl/$L layers on" "$tmp/err" && ok "$what: the plan has $ngl layers on the GPU" || bad "$what: plan line: $(grep plan: "$tmp/err")"
    local n_dev; n_dev=$(grep -c "^emulated GPU" "$tmp/err")
    local n_match; n_match=$(grep -c "matches the plan to the byte" "$tmp/err")
    local want=$(( ngl > 0 ? 1 : 0 ))
    [ "$ngl" -gt 0 ] && [[ "$gpus" == *";"* ]] && want=2
    [ "$n_dev" -ge "$want" ] && [ "$n_match" -eq $((n_dev + 1)) ] && ! grep -q differs "$tmp/err" \
      && ok "$what: allocations equal the plan on the CPU and $n_dev device(s)" || { bad "$what: accounting"; cat "$tmp/err"; }
  done
}

check_model smollm2 "$FITCHAT_MODEL" 30 49152 sim:256MiB
g3=$(bash scripts/fetch-model.sh gemma3 --path 2>/dev/null)
if [ -n "$g3" ] && [ -f "$g3" ]; then
  prompt=$'<start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n<start_of_turn>model\n'
  check_model gemma3 "$g3" 18 262144 sim:1GiB
else
  echo "skip gemma3: not fetched (make models-extra)"; skip=$((skip + 1))
fi
m=$FITCHAT_MODEL

# Out of memory on the device: LAYERS=30 forced onto 60 MiB.
out=$("$bin" run -m "$m" -p "The capital of France is" -n 8 --greedy -ngl 30 --gpu sim:60MiB --mem 2>"$tmp/err"); rc=$?
want=$("$bin" run -m "$m" -p "The capital of France is" -n 8 --greedy 2>/dev/null)
if [ $rc -eq 0 ] && [ "$out" = "$want" ] && grep -q "out of memory allocating .* MiB) with .* MiB already held, cap 60.0 MiB; retrying with [0-9]* of 30 layers" "$tmp/err"; then
  ok "device out of memory: retried with fewer layers, said so with the numbers, same output"
else
  bad "device out of memory: rc=$rc out='$out'"; cat "$tmp/err"
fi
grep -q "differs" "$tmp/err" && bad "accounting after the retry" || ok "accounting after the retry equals the new plan"

# A GPU given by numbers is a real device only where CUDA has one.
if ! "$bin" gpu 2>/dev/null | grep -q "CUDA backend: .*[1-9] device"; then
  err=$("$bin" run -m "$m" -p hi -n 2 --gpu 8GiB -ngl 4 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ "$err" == *"no CUDA device behind it"* ]] \
    && ok "GPU override without a CUDA device: exit 2, one line" || bad "override without CUDA: rc=$rc '$err'"
  out=$("$bin" run -m "$m" -p "The capital of France is" -n 8 --greedy --gpu 8GiB -ngl 0 2>/dev/null)
  [ "$out" = "$want" ] && ok "GPU override with LAYERS 0 runs on the CPU" || bad "override, 0 layers: '$out'"
else
  echo "skip override checks: a CUDA device is present"; skip=$((skip + 2))
fi
echo "@@ $pass $fail $skip"
