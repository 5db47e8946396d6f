#!/usr/bin/env bash
# Serving speed, fitchat serve vs llama-cpp-python's server (BENCHMARKS.md,
# "Serving: aggregate tokens/s and TTFT at 1-8 streams"): starts both on
# 127.0.0.1 with free ports and the same GGUF and threads, runs
# bench/serve-speed.py against them (1, 2, 4, 8 streams, interleaved rounds),
# prints the machine, the commands and the Markdown table, stops both.
#   bash bench/serve-speed.sh [BUILD] [MODEL.gguf] [ROUNDS] [REQUESTS_PER_STREAM]
# Defaults: build, the default model, 3 rounds, 2 requests per stream.
# Environment: BENCH_PYTHON (a python with llama_cpp and its server extras,
# default /tmp/venv-llama/bin/python; `pip install "llama-cpp-python[server]"`),
# THREADS (2), NP (fitchat's slots, 8), CTX (2048: fitchat's per slot,
# llama.cpp's one context), LEVELS (1,2,4,8), FITCHAT_ONLY=1 to leave llama.cpp
# out. llama.cpp runs with OMP_WAIT_POLICY=passive unless OMP_WAIT_POLICY is
# set (see BENCHMARKS.md: its OpenMP threads spin otherwise).
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
model=${2:-$(bash scripts/fetch-model.sh --path)}
rounds=${3:-3}; per=${4:-2}; levels=${LEVELS:-1,2,4,8}
threads=${THREADS:-2}; np=${NP:-8}; ctx=${CTX:-2048}
py=${BENCH_PYTHON:-/tmp/venv-llama/bin/python}
make -s "$build/fitchat" >/dev/null
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
wait_ok() {  # URL PATH PID: at most 120 s for a 200
  local i
  for i in $(seq 1 1200); do
    [ "$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$1$2")" = 200 ] && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

: >"$tmp/fitchat.log"  # exists before the server writes it (sed below, set -e)
fit_cmd=("$build/fitchat" serve -m "$model" --host 127.0.0.1 --port 0 -np "$np" -t "$threads" -c "$ctx" --queue 16)
"${fit_cmd[@]}" >"$tmp/fitchat.log" 2>&1 &
pids+=($!); fit_pid=$!
port=""
for i in $(seq 1 600); do
  port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/fitchat.log" || true)
  [ -n "$port" ] && break
  kill -0 "$fit_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] && wait_ok "http://127.0.0.1:$port" /health "$fit_pid" || { cat "$tmp/fitchat.log" >&2; exit 1; }
fit_url=http://127.0.0.1:$port
servers=(--server "fitchat=$fit_url")

if [ "${FITCHAT_ONLY:-0}" != 1 ]; then
  lport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # llama-cpp-python's server: one Llama object, one request at a time (no slots);
  # interrupt_requests off, else a new request cuts the running stream short.
  llama_cmd=("$py" -m llama_cpp.server --model "$model" --host 127.0.0.1 --port "$lport"
             --n_threads "$threads" --n_threads_batch "$threads" --n_ctx "$ctx" --n_gpu_layers 0
             --interrupt_requests False --verbose False)
  OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} "${llama_cmd[@]}" >"$tmp/llama.log" 2>&1 &
  pids+=($!); llama_pid=$!
  wait_ok "http://127.0.0.1:$lport" /v1/models "$llama_pid" || { cat "$tmp/llama.log" >&2; exit 1; }
  servers+=(--server "llama.cpp=http://127.0.0.1:$lport")
fi

echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores;" \
     "SIMD flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|fma|f16c|avx512.*|amx.*|avx_vnni)$' | tr '\n' ' ')"
echo "- date $(date -u '+%F %H:%M') UTC; commit $(git rev-parse --short HEAD); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- model: $(basename "$model")"
echo "- fitchat: \`${fit_cmd[*]}\`"
echo "  $(grep -m1 'ready:' "$tmp/fitchat.log" | sed 's/^fitchat serve: //')"
if [ "${FITCHAT_ONLY:-0}" != 1 ]; then
  echo "- llama.cpp: \`OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} ${llama_cmd[*]}\`"
  echo "  llama-cpp-python $("$py" -c 'import llama_cpp; print(llama_cpp.__version__)')," \
       "$("$py" -c 'import llama_cpp; print(llama_cpp.llama_print_system_info().decode().strip())' 2>/dev/null)"
fi
echo "- driver: \`python3 bench/serve-speed.py ${servers[*]} --rounds $rounds --per-stream $per --levels $levels\`"
echo
python3 bench/serve-speed.py "${servers[@]}" --rounds "$rounds" --per-stream "$per" --levels "$levels"
