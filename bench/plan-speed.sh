#!/usr/bin/env bash
# plan-speed — wall time of `fitchat plan` on a Mistral-7B-shaped fixture
# (header-only GGUF, 4.07 GiB apparent size): open + parse + model
# description + the chosen plan + the 4 target rows + the 15-cell context
# table, printed. Whole process, median of N runs (default 21).
#   bash bench/plan-speed.sh [BUILD] [N]
set -eu
build=${1:-build}
n=${2:-21}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/tests/tools/mkfixture" mistral-7b-v0.1-q4_k_m "$tmp/m.gguf" >/dev/null
run() { # prints the median wall time in ms of "$@"
  local ts=()
  for _ in $(seq "$n"); do
    local t0 t1
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    ts+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${ts[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f ms (min %.2f, max %.2f)\n", a[int((NR+1)/2)]/1000, a[1]/1000, a[NR]/1000}'
}
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) cores)"
echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)   commit: $(git rev-parse --short HEAD 2>/dev/null || echo ?)"
echo "runs:    $n, median"
echo "plan text, 1 GPU : $(run "$build/fitchat" plan "$tmp/m.gguf" --gpu 'name=RTX 3070,total=8GiB,used=857MiB' -c 32768)"
echo "plan --json      : $(run "$build/fitchat" plan "$tmp/m.gguf" --gpu 'name=RTX 3070,total=8GiB,used=857MiB' -c 32768 --json)"
echo "plan -c auto -ctk auto -ctv auto, 2 GPUs: $(run "$build/fitchat" plan "$tmp/m.gguf" --gpu 8GiB --gpu 12GiB -c auto -ctk auto -ctv auto)"
echo "baseline (fitchat --help): $(run "$build/fitchat" --help)"
echo "in process (open + describe + plan + 4 targets + 15-cell table): $("$build/tests/tools/plan_bench" "$tmp/m.gguf" 200)"
