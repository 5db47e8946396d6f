# Sourced by the shell tests that compare fitchat with the float64 Python
# reference (tests/archs.test.sh, tests/kquant.test.sh): the build folder,
# the counters and finish() (prints the "@@ PASSED FAILED SKIPPED" line),
# the reference's Python in $py (scripts/setup-venv.sh), a temporary folder
# $tmp removed on exit, and the prompt $toks both tests feed.
#   cd to the project root, then: . tests/lib/refsetup.sh BUILD_DIR N_SKIPPED_WHEN_UNBUILT
build=${1:-build}
pass=0 fail=0 skip=0
finish() { echo "@@ $pass $fail $skip"; exit 0; }
fitchat=$build/fitchat
[ -x "$fitchat" ] || { echo "skip: $fitchat not built"; skip=$2; finish; }
if ! py=$(bash scripts/setup-venv.sh); then
  echo "FAIL: scripts/setup-venv.sh failed; cannot run the Python reference"; fail=1; finish
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
toks="1 5 9 33 200 17 88 4 250 100 3 7"
