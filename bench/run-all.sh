#!/usr/bin/env bash
# make bench: every benchmark, each writing its own numbers (see BENCHMARKS.md).
#   bench/info-speed.sh     fitchat info on a 7B-size header
#   bench/plan-speed.sh     fitchat plan on a 7B model
#   bench/engine-speed.sh   generation / prompt speed vs llama.cpp and the bandwidth ceiling
#   bench/kquant-speed.sh   the same on K-quant models (a generated 1B Llama shape, Gemma 3 270M)
#   bench/template-speed.sh a 100-turn chat rendered by the Jinja interpreter
set -u
cd "$(dirname "$0")/.."
bash bench/info-speed.sh build
bash bench/plan-speed.sh build
bash bench/engine-speed.sh build
bash bench/kquant-speed.sh build
bash bench/template-speed.sh build
