#!/usr/bin/env bash
# Generation and prompt-processing speed of fitchat vs llama.cpp on the default
# model, at 1 and 2 threads, interleaved in one sitting (bench/vs_llamacpp.py),
# and the read-bandwidth ceiling of generation (tests/tools/membw).
#   bench/engine-speed.sh [BUILD] [REPS]
# llama.cpp comes from PyPI (llama-cpp-python, built from source by pip into
# .venv-bench; takes ~10-20 minutes the first time on 2 cores).
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}; reps=${2:-7}
model=$(bash scripts/fetch-model.sh)
make -s "$build/fitchat" "$build/tests/tools/membw" >/dev/null
if [ ! -x .venv-bench/bin/python ] || ! .venv-bench/bin/python -c "import llama_cpp" 2>/dev/null; then
  echo "engine-speed: building llama-cpp-python into .venv-bench (first time only) ..." >&2
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q llama-cpp-python
fi
ver=$(.venv-bench/bin/python -c "import llama_cpp; print(llama_cpp.__version__)")
weights=$("$build/fitchat" info --json "$model" | python3 -c "import json,sys; print(json.load(sys.stdin)['tensor_bytes'])")
bw1=$("$build/tests/tools/membw" 1024 1 7 2>/dev/null); bw2=$("$build/tests/tools/membw" 1024 2 7 2>/dev/null)
echo "## Engine speed vs llama.cpp (bench/engine-speed.sh)"
echo
echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; date $(date -u +%F); commit $(git rev-parse --short HEAD)"
echo "- model: $(basename "$model") ($weights bytes of weights, all read once per generated token)"
echo "- peer: llama.cpp through llama-cpp-python $ver (low-level API, CPU), same file, interleaved runs, median of $reps"
echo "- read bandwidth (tests/tools/membw, 1 GiB): ${bw1} GB/s with 1 thread, ${bw2} GB/s with 2 -> generation ceiling $(python3 -c "print(f'{$bw1*1e9/$weights:.0f}')") / $(python3 -c "print(f'{$bw2*1e9/$weights:.0f}')") tokens/s"
echo
.venv-bench/bin/python bench/vs_llamacpp.py --fitchat "$build/fitchat" --model "$model" --threads 1,2 --reps "$reps"
