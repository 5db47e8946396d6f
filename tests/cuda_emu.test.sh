#!/usr/bin/env bash
# The CUDA backend on the CUDA host emulator (make cuda-emu, build-cudaemu/):
# the kernel parity tests (test_cuda), the block decoders (test_cuda_blocks)
# and the end-to-end check (cuda.test.sh), every kernel executed on the CPU
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
echo "@@ $pass $fail $skip"
