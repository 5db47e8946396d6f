#!/usr/bin/env bash
# The CUDA backend on the CUDA host emulator (make cuda-emu, build-cudaemu/):
# the kernel parity tests (test_cuda), the block decoders (test_cuda_blocks)
# the end-to-end check (cuda.test.sh) and tiny models of every architecture,
# every kernel executed on the CPU
# by tests/cuda_emu/emu.cpp. Results are real runs of the kernels' code and
# count as passes, each labelled [cuda-emu]. Run by `make test` (which builds
# the emulator first and names its folder in FITCHAT_CUDA_EMU_BUILD) and by
# `make test-cuda-emu`; elsewhere (make asan, a folder not built) it reports
# nothing. The argument (the suite's build folder) is not used.
set -u
emu=${FITCHAT_CUDA_EMU_BUILD:-}
if [ -z "$emu" ] || [ ! -x "$emu/tests/test_cuda" ] || [ ! -x "$emu/fitchat" ]; then
  echo "skip cuda_emu.test.sh: no emulator build in this run (make test-cuda-emu)"; echo "@@ 0 0 0"; exit 0
fi
cd "$(dirname "$0")/.."
pass=0; fail=0; skip=0
run() { # label, command...: its lines with [cuda-emu] after ok/FAIL/skip, its tally added
  local log; log=$(mktemp)
  local t0=$SECONDS
  "${@:2}" >"$log" 2>&1
  local rc=$?
  sed -E '/^@@ /d; s/^(ok|FAIL|skip)( +)(\[cuda-emu\] )?/\1\2[cuda-emu] /' "$log"
  local tally; tally=$(grep '^@@ ' "$log" | tail -n 1)
  if [ -n "$tally" ]; then
    read -r _ p f s <<<"$tally"
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && { echo "FAIL [cuda-emu] $1 exited $rc"; fail=$((fail + 1)); }
  else
    echo "FAIL [cuda-emu] $1 (exit $rc, no tally)"; fail=$((fail + 1))
  fi
  echo "   ($1 on the emulator: $((SECONDS - t0)) s)"
  rm -f "$log"
}
run test_cuda "$emu/tests/test_cuda"
# again with each device allocation starting right after a guard page (reads before it fault)
run "test_cuda, guard pages in front" env FITCHAT_CUDA_EMU_GUARD=front "$emu/tests/test_cuda"
[ -x "$emu/tests/test_cuda_blocks" ] && run test_cuda_blocks "$emu/tests/test_cuda_blocks"
run cuda.test.sh bash tests/cuda.test.sh "$emu"
# Batch invariance with the CUDA stage (the server's slots on a GPU): 8 sequences alone and
# in one batch, the last half of the layers and the head on the emulated CUDA device, bit
# for bit (test_engine), on gen_llama_1b's tiny Q4_K_M llama (the default model's tokenizer).
tok_model=${FITCHAT_MODEL:-$(bash scripts/fetch-model.sh --path 2>/dev/null)}
if [ -x "$emu/tests/test_engine" ] && [ -n "$tok_model" ] && [ -r "$tok_model" ]; then
  bi_tmp=$(mktemp -d)
  if "$emu/tests/tools/gen_llama_1b" -s tiny "$tok_model" "$bi_tmp/tiny.gguf" >/dev/null 2>&1; then
    run "batch invariance on the CUDA stage" env FITCHAT_MODEL="$bi_tmp/tiny.gguf" T_ONLY=test_batch_invariance_devices "$emu/tests/test_engine"
  else
    echo "FAIL [cuda-emu] batch invariance: gen_llama_1b failed"; fail=$((fail + 1))
  fi
  rm -rf "$bi_tmp"
else
  echo "skip [cuda-emu] batch invariance on the CUDA stage: needs $emu/tests/test_engine and the default model (make models)"; skip=$((skip + 1))
fi

# NVML numbers GPUs in PCI order, CUDA fastest first and only those
# CUDA_VISIBLE_DEVICES leaves: the plan's GPUs map to CUDA devices by UUID.
# A scripted NVML (tests/so/fake_nvml.so of the suite's build) lists a GPU
# CUDA cannot see, then the emulated device under its UUID: the inventory
# keeps the second (NVML's GPU 1) and says why the first left, and a run
# with every layer on it reaches CUDA device 0 (by index it would ask for 1).
so=${1:-build}/tests/so/fake_nvml.so
# the emulator's fitchat with the scripted NVML: with_nvml SCRIPT ARGS...
with_nvml() { env -u FITCHAT_GPU FITCHAT_NVML_LIB="$so" FAKE_NVML_SCRIPT="$1" "$emu/fitchat" "${@:2}"; }
if [ -f "$so" ] && [ -x "$emu/tests/tools/gen_llama_1b" ] && [ -n "$tok_model" ] && [ -r "$tok_model" ]; then
  map_tmp=$(mktemp -d)
  printf '%s\n' "device Hidden GPU|GPU-00000000-0000-0000-0000-000000000000|8589934592|0|8589934592" \
    "device Emulated GPU|GPU-66697463-6861-742d-6375-64612d656d75|2147483648|0|2147483648" >"$map_tmp/nvml.txt"
  gpu_out=$(with_nvml "$map_tmp/nvml.txt" gpu 2>&1)
  if grep -qE '^  1 +Emulated GPU' <<<"$gpu_out" && ! grep -q 'Hidden GPU' <<<"$gpu_out" &&
     grep -q 'NVML GPU 0 not visible to CUDA' <<<"$gpu_out"; then
    echo "ok   [cuda-emu] NVML's GPUs mapped to CUDA's by UUID: the one CUDA cannot see left out, said in the path"; pass=$((pass + 1))
  else
    echo "FAIL [cuda-emu] NVML to CUDA by UUID: $gpu_out"; fail=$((fail + 1))
  fi
  if "$emu/tests/tools/gen_llama_1b" -s tiny "$tok_model" "$map_tmp/tiny.gguf" >/dev/null 2>&1 &&
     with_nvml "$map_tmp/nvml.txt" run -m "$map_tmp/tiny.gguf" \
       --tokens "1 2 3" -n 1 --greedy -ngl 99 --mem >/dev/null 2>"$map_tmp/err" &&
     grep -q 'GPU 1 (Emulated GPU' "$map_tmp/err"; then
    echo "ok   [cuda-emu] a run on NVML's GPU 1 reaches the CUDA device with its UUID (ordinal 0)"; pass=$((pass + 1))
  else
    echo "FAIL [cuda-emu] run on NVML's GPU 1: $(tail -n 3 "$map_tmp/err")"; fail=$((fail + 1))
  fi
  # CUDA_VISIBLE_DEVICES= (empty: no device for CUDA) while NVML lists them: plan for the CPU
  gpu_out=$(CUDA_VISIBLE_DEVICES= with_nvml "$map_tmp/nvml.txt" gpu 2>&1)
  if grep -q 'no GPU: NVML lists GPU 0, 1, none visible to CUDA (CUDA_VISIBLE_DEVICES=)' <<<"$gpu_out"; then
    echo "ok   [cuda-emu] CUDA_VISIBLE_DEVICES= hides NVML's GPUs: no GPU, the reason named"; pass=$((pass + 1))
  else
    echo "FAIL [cuda-emu] CUDA_VISIBLE_DEVICES= with NVML's GPUs: $gpu_out"; fail=$((fail + 1))
  fi
  # MIG: GPU 0 in MIG mode; its MIG devices carry their own UUIDs and
  # memory (CUDA sees MIG devices, not the card). The emulated device is
  # the MIG device in slot 2 (2 GiB); the one in slot 0 is not visible.
  printf '%s\n' "device NVIDIA H200|GPU-11111111-0000-0000-0000-000000000000|150000000000|0|150000000000" \
    "mig 0 0 NVIDIA H200 MIG 1g.18gb|MIG-00000000-0000-0000-0000-000000000000|19327352832|0|19327352832" \
    "mig 0 2 NVIDIA H200 MIG 1g.2gb|MIG-66697463-6861-742d-6375-64612d656d75|2147483648|0|2147483648" >"$map_tmp/mig.txt"
  gpu_out=$(with_nvml "$map_tmp/mig.txt" gpu 2>&1)
  if grep -qE '^  0 +NVIDIA H200 MIG 1g.2gb +2.00 GiB' <<<"$gpu_out" && ! grep -q '1g.18gb' <<<"$gpu_out" &&
     grep -q 'NVML GPU 0 (MIG-00000000-0000-0000-0000-000000000000) not visible to CUDA' <<<"$gpu_out"; then
    echo "ok   [cuda-emu] MIG: the MIG device CUDA sees (by its MIG- UUID) with its own memory, not the card's"; pass=$((pass + 1))
  else
    echo "FAIL [cuda-emu] MIG devices mapped by UUID: $gpu_out"; fail=$((fail + 1))
  fi
  rm -rf "$map_tmp"
else
  echo "skip [cuda-emu] NVML to CUDA by UUID: needs $so, gen_llama_1b and the default model"; skip=$((skip + 4))
fi

# Every architecture the engine runs, as the tiny random-weight models of
# tests/archs.test.sh (qwen2 biases, qwen3 Q/K norms, phi3, gemma3 post-norms,
# GeGLU, two RoPE bases and a sliding window of 5 whose ring wraps, llama3
# RoPE factors; Q8_0 and a Q4_K/Q6_K mix): all layers and the head on the
# emulated GPU against the CPU, float activations and f32 KV, so only the
# summation order differs (measured <= 1.3e-5): logits within 1e-4, greedy ids identical.
archs() {
  local py tmp t0=$SECONDS
  if ! py=$(bash scripts/setup-venv.sh 2>/dev/null); then
    echo "skip [cuda-emu] architectures: no Python venv (scripts/setup-venv.sh)"; skip=$((skip + 10)); return
  fi
  tmp=$(mktemp -d)
  if ! "$py" tests/tools/make_arch_models.py "$tmp" >/dev/null 2>&1; then
    echo "FAIL [cuda-emu] architectures: make_arch_models.py"; fail=$((fail + 1)); rm -rf "$tmp"; return
  fi
  local toks="1 5 9 33 200 17 88 4 250 100 3 7" f n res
  for f in "$tmp"/*.gguf; do
    n=$(basename "$f" .gguf)
    if ! "$emu/fitchat" run -m "$f" --tokens "$toks" -n 8 --greedy --exact --kv-type f32 -ngl 0 \
          --logits-out "$tmp/cpu.bin" --ids-out "$tmp/cpu.ids" >/dev/null 2>"$tmp/err" ||
       ! FITCHAT_GPU=2GiB "$emu/fitchat" run -m "$f" --tokens "$toks" -n 8 --greedy --exact --kv-type f32 -ngl 99 \
          --logits-out "$tmp/gpu.bin" --ids-out "$tmp/gpu.ids" >/dev/null 2>>"$tmp/err"; then
      echo "FAIL [cuda-emu] $n, all layers on the GPU: $(tail -n 1 "$tmp/err")"; fail=$((fail + 1)); continue
    fi
    local v=$(( $(stat -c %s "$tmp/cpu.bin") / 4 / 12 ))
    if res=$("$emu/tests/tools/cmp_logits" "$tmp/cpu.bin" "$tmp/gpu.bin" $v 1e-4) && cmp -s "$tmp/cpu.ids" "$tmp/gpu.ids"; then
      echo "ok   [cuda-emu] $n, all layers on the GPU: logits within 1e-4 ($res), same greedy ids"; pass=$((pass + 1))
    else
      echo "FAIL [cuda-emu] $n, all layers on the GPU: $res; ids $(cat "$tmp/gpu.ids") vs CPU $(cat "$tmp/cpu.ids")"; fail=$((fail + 1))
    fi
  done
  rm -rf "$tmp"
  echo "   (architectures on the emulator: $((SECONDS - t0)) s)"
}
archs
echo "@@ $pass $fail $skip"
