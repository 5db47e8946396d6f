#!/usr/bin/env bash
# fitchat serve's ollama endpoints (/api/chat, /api/generate, /api/tags) through
# the official ollama package, on 127.0.0.1: the same greedy answers as the
# OpenAI endpoint, NDJSON streams, ollama's error shape.
. "$(dirname "$0")/lib/tally.sh" "${1:-build}"
. "$(dirname "$0")/lib/serve.sh"
serve_need serve_ollama.test.sh
# -c 512: a slot's context small enough to fill quickly (num_predict past it), under ASan too
if ! serve_start -np 1 -c 512; then bad "server starts"; cat "$srv_log"; finish; fi
want=$(curl -s "$url/v1/chat/completions" -d '{"messages":[{"role":"user","content":"What is the capital of France?"}],"temperature":0,"max_tokens":30}' \
  | "$py" -c 'import json,sys; print(json.load(sys.stdin)["choices"][0]["message"]["content"])')
[ -n "$want" ] && ok "greedy answer from /v1/chat/completions" || bad "no answer"
serve_py tests/serve/ollama_checks.py "$url" "$want"
serve_stop
finish
