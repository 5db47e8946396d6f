#!/usr/bin/env bash
# The AMX tiles' object code, read on any x86 machine (tests/tools/
# check_amx_object.py): the tile configuration table is valid, every
# ldtilecfg of the real build reads that table (GCC 12's _tile_loadconfig
# once let the compiler delete the stores of a stack copy: all tiles 0 x 0),
# and every tile product's shapes obey the instruction's rules. Running the
# instructions needs a CPU with AMX (test_quant_k test_repack_amx).
#   tests/amx_object.test.sh BUILD_DIR      (last line: @@ PASSED FAILED SKIPPED)
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
obj=$build/src/engine/quant_repack_amx.o
pass=0 fail=0 skip=0
if [ ! -f "$obj" ]; then
  echo "skip: $obj not built (AMX kernels are x86-64 only)"; echo "@@ 0 0 2"; exit 0
fi
out=$(python3 tests/tools/check_amx_object.py "$obj" 2>&1); rc=$?
echo "$out"
pass=$(grep -c '^ok ' <<<"$out")
fail=$(grep -c '^FAIL' <<<"$out")
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then echo "FAIL check_amx_object.py exited $rc"; fail=1; fi
echo "@@ $pass $fail $skip"
