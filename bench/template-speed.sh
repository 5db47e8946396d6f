#!/usr/bin/env bash
# Chat-template rendering speed: a system prompt and 100 user + assistant turns rendered by
# the Jinja interpreter with a Llama-3 template (goal: under 1 ms). Medians of 31 renderings
# in one process, for two Llama-3 templates of the test data.
#   bash bench/template-speed.sh [BUILD]
set -u
build=${1:-build}
data=${FITCHAT_TESTDATA:-tests/data/external}/templates
make -s "$build/tests/tools/bench_template" >/dev/null || exit 1
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), commit $(git rev-parse --short HEAD 2>/dev/null)"
for t in ye-NX-llama.cpp/meta-llama-Llama-3.2-3B-Instruct.jinja chujiezheng/llama-3-instruct.jinja; do
  echo "$t: $("$build/tests/tools/bench_template" "$data/$t" 100 31)"
done
