# Sourced by the shell tests that count their own checks: $build, $bin (the
# fitchat binary), a temporary folder $tmp removed on exit, the counters and
# ok / bad / skp (one line each), and finish (prints the "@@ PASSED FAILED
# SKIPPED" line tests/run.sh reads, then exits 0). FITCHAT_GPU is unset so a
# caller's override does not leak into the plans under test.
#   . "$(dirname "$0")/lib/tally.sh" BUILD_DIR
build=${1:-build}
bin=$(cd "$build" 2>/dev/null && pwd)/fitchat
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0; skip=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
skp() { echo "skip $1"; skip=$((skip + 1)); }
finish() { echo "@@ $pass $fail $skip"; exit 0; }
unset FITCHAT_GPU
