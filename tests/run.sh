#!/usr/bin/env bash
# Runs every test binary (BUILD/tests/test_*) and every script test
# (tests/*.test.sh), each of which prints "@@ passed failed skipped" last,
# and closes with the line "N passed, N failed, N skipped".
# A binary that crashes or prints no tally counts as one failure.
set -u
build=${1:-build}
cd "$(dirname "$0")/.."
if [ -z "${FITCHAT_MODEL:-}" ]; then
  FITCHAT_MODEL=$(bash scripts/fetch-model.sh --path 2>/dev/null || true)
  export FITCHAT_MODEL
fi
export FITCHAT_BUILD=$build
# Temporary files on a RAM disk where one has room: the suite writes GiBs of
# logits (kvquality.test.sh 3.6 GiB, 3 at once), which took dd 9 s per GiB
# to this VM's disk and 0.4 s to tmpfs. One folder per run, removed at the end.
shm_free=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')
if [ -z "${FITCHAT_TEST_TMP_DISK:-}" ] && [ -w /dev/shm ] && [ "${shm_free:-0}" -ge $((8 * 1024 * 1024)) ] &&
   shm_dir=$(mktemp -d /dev/shm/fitchat-tests.XXXXXX 2>/dev/null); then
  export TMPDIR=$shm_dir
  trap 'rm -rf "$shm_dir"' EXIT
fi
export FITCHAT_TESTDATA=${FITCHAT_TESTDATA:-$(pwd)/tests/data/external}
pass=0; fail=0; skip=0; broken=()
run_one() {
  local name=$1; shift
  local log; log=$(mktemp)
  echo "== $name"
  local t0=$SECONDS
  "$@" >"$log" 2>&1
  local rc=$?
  echo "   ($name: $((SECONDS - t0)) s)" >>"$log"
  grep -v '^@@ ' "$log"
  local tally; tally=$(grep '^@@ ' "$log" | tail -n 1)
  if [ -n "$tally" ]; then
    read -r _ p f s <<<"$tally"
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then fail=$((fail + 1)); broken+=("$name (exit $rc)"); fi
  else
    fail=$((fail + 1)); broken+=("$name (exit $rc, no tally)")
  fi
  rm -f "$log"
}
for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  case "$t" in *.o|*.d) continue;; esac
  run_one "$(basename "$t")" "$t"
done
for s in tests/*.test.sh; do
  [ -f "$s" ] || continue
  run_one "$(basename "$s")" bash "$s" "$build"
done
for b in "${broken[@]}"; do echo "BROKEN: $b"; done
echo "$pass $fail $skip" > "$build/tests/summary.txt"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
