#!/usr/bin/env bash
# Generation and prompt-processing speed of fitchat vs llama.cpp on K-quant
# models (issue 6), interleaved in one sitting (bench/vs_llamacpp.py), with
# the read-bandwidth ceiling of generation (tests/tools/membw):
#   - a random Llama-3.2-1B-shaped Q4_K_M model (tests/tools/gen_llama_1b,
#     written to $XDG_CACHE_HOME/fitchat/bench/ the first time, ~640 MB);
#   - Gemma 3 270M Q4_K_M, when `make models-extra` has fetched it.
#   bench/kquant-speed.sh [BUILD] [REPS] [THREADS]
# llama.cpp: llama-cpp-python from $BENCH_PYTHON (a python with llama_cpp),
# else .venv-bench as bench/engine-speed.sh builds it. $BASE_FITCHAT (another
# fitchat binary, e.g. a build of the previous commit) joins the same rounds.
# $DEPTH (e.g. 1024) adds, per model, a table of both tests with that many
# tokens already in the context (attention over a long conversation; without
# the base binary, which may predate `fitchat bench -d`).
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}; reps=${2:-5}; threads=${3:-1,2}
make -s "$build/fitchat" "$build/tests/tools/membw" "$build/tests/tools/gen_llama_1b" >/dev/null
py=${BENCH_PYTHON:-.venv-bench/bin/python}
if ! "$py" -c "import llama_cpp" 2>/dev/null; then
  echo "kquant-speed: building llama-cpp-python into .venv-bench (first time only) ..." >&2
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q llama-cpp-python
  py=.venv-bench/bin/python
fi
dir=${XDG_CACHE_HOME:-$HOME/.cache}/fitchat/bench
llama1b=$dir/llama-1b-shape.Q4_K_M.gguf
if [ ! -f "$llama1b" ]; then
  mkdir -p "$dir"
  "$build/tests/tools/gen_llama_1b" "$(bash scripts/fetch-model.sh)" "$llama1b" >&2
fi
models=("$llama1b")
gemma=$(bash scripts/fetch-model.sh gemma3 --path 2>/dev/null || true)
[ -n "$gemma" ] && [ -f "$gemma" ] && models+=("$gemma")

ver=$("$py" -c "import llama_cpp; print(llama_cpp.__version__)")
bw1=$("$build/tests/tools/membw" 1024 1 7 2>/dev/null); bw2=$("$build/tests/tools/membw" 1024 2 7 2>/dev/null)
echo "## Engine speed on K-quant models (bench/kquant-speed.sh)"
echo
echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; date $(date -u +%F); commit $(git rev-parse --short HEAD); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- fitchat kernels: FITCHAT_ISA=${FITCHAT_ISA:-unset (automatic: AVX-512 VNNI tiles where the CPU has them)}"
echo "- peer: llama.cpp through llama-cpp-python $ver (low-level API, CPU), same file, interleaved runs, median of $reps"
echo "- read bandwidth (tests/tools/membw, 1 GiB): ${bw1} GB/s with 1 thread, ${bw2} GB/s with 2"
for m in "${models[@]}"; do
  weights=$("$build/fitchat" info --json "$m" | python3 -c "import json,sys; print(json.load(sys.stdin)['tensor_bytes'])")
  echo
  echo "### $(basename "$m")"
  echo
  echo "$weights bytes of weights read per generated token: ceiling $(python3 -c "print(f'{$bw1*1e9/$weights:.1f}')") t/s with 1 thread, $(python3 -c "print(f'{$bw2*1e9/$weights:.1f}')") with 2"
  echo
  table=$("$py" bench/vs_llamacpp.py --fitchat "$build/fitchat" ${BASE_FITCHAT:+--base "$BASE_FITCHAT"} --model "$m" --threads "$threads" --reps "$reps" 2>/dev/null)
  echo "$table"
  echo
  # fraction of the bandwidth ceiling in generation: t/s x bytes per token / bandwidth
  if [ "${DEPTH:-0}" -gt 0 ]; then
    echo "With ${DEPTH} tokens already in the context (--depth ${DEPTH}):"
    echo
    "$py" bench/vs_llamacpp.py --fitchat "$build/fitchat" --model "$m" --threads "$threads" --reps "$reps" --depth "$DEPTH" 2>/dev/null
    echo
  fi
  echo "$table" | python3 -c "
import re, sys
bw = {'1': $bw1, '2': $bw2}
for line in sys.stdin:
    c = [x.strip() for x in line.strip().strip('|').split('|')]
    if len(c) >= 5 and c[0] in bw and c[1].startswith('tg'):
        k = 3 if len(c) > 6 else 2  # with a base column, fitchat is the 4th cell
        t, f, l = c[0], float(c[k].split()[0]), float(c[k + 1].split()[0])
        print(f'- generation, {t} thread(s): fitchat {100 * f * $weights / (bw[t] * 1e9):.0f} % of the bandwidth ceiling, llama.cpp {100 * l * $weights / (bw[t] * 1e9):.0f} %')
"
done
