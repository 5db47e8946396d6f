#!/usr/bin/env bash
# fitchat serve with real clients, on 127.0.0.1 only: the openai package
# (chat and completions, streamed and not, models, its exception types for
# 400 / 404 / 413), curl -N for the SSE framing, hostile bodies (400, never a
# crash), the API key (401 through openai.AuthenticationError), --help and
# bad settings, and a clean exit on SIGTERM. Needs the default model and the
# venv's openai / ollama (tests/reference/requirements.txt).
. "$(dirname "$0")/lib/tally.sh" "${1:-build}"
. "$(dirname "$0")/lib/serve.sh"
serve_need serve.test.sh

out=$("$bin" serve --help); rc=$?
[ $rc -eq 0 ] && [[ "$out" == *--parallel* ]] && [[ "$out" == *--api-key* ]] && [[ "$out" == *--temp* ]] \
  && ok "serve --help lists the server's and the model's flags" || bad "serve --help: rc=$rc"
err=$("$bin" serve --port 70000 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$err" == *--port* ]] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] \
  && ok "bad --port: exit 2, one line naming it" || bad "bad --port: rc=$rc '$err'"
err=$("$bin" serve --host nowhere 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$err" == *HOST* || "$err" == *--host* ]] && ok "bad --host: exit 2 naming it" || bad "bad --host: rc=$rc '$err'"
err=$("$bin" serve -np 0 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$err" == *-np* ]] && ok "bad -np: exit 2 naming it" || bad "bad -np: rc=$rc '$err'"
echo '{"PORT": 1234, "N_PARALLEL": "auto", "API_KEY": "k", "CORS_ORIGINS": "http://a.example:3000"}' > "$tmp/modelconf.json"
out=$("$bin" serve --config "$tmp/modelconf.json" --print-config)
[[ "$out" == *"PORT"*1234* ]] && [[ "$out" == *"API_KEY"*"not shown"* ]] && [[ "$out" != *" k "* ]] \
  && [[ "$out" == *"CORS_ORIGINS"*"http://a.example:3000"* ]] \
  && ok "settings from modelconf.json (the key not printed)" || bad "print-config: $out"
err=$("$bin" serve --cors-origins 'http://a b' --print-config 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$err" == *--cors-origins* ]] && ok "bad --cors-origins: exit 2 naming it" || bad "bad --cors-origins: rc=$rc '$err'"
err=$("$bin" chat --port 1 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$err" == *"unknown flag '--port'"* ]] && ok "the chat does not take the server's flags" || bad "chat --port: rc=$rc '$err'"

run_text=$("$bin" run -m "$FITCHAT_MODEL" -t 2 -p "Once upon a time" -n 16 --temp 0 2>/dev/null)
if ! serve_start -np 2; then bad "server starts"; cat "$srv_log"; finish; fi
ok "server starts, /health 200"
serve_py tests/serve/openai_checks.py "$url" "$run_text"

# SSE framing as curl -N sees it: "data: " lines, each event ended by a blank line, [DONE] last.
curl -sN "$url/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"messages":[{"role":"user","content":"Say hi"}],"temperature":0,"max_tokens":8,"stream":true}' > "$tmp/sse"
awk 'NR % 2 == 1 && !/^data: / {bad=1} NR % 2 == 0 && $0 != "" {bad=1} END {exit bad}' "$tmp/sse" \
  && [ "$(tail -n 2 "$tmp/sse" | head -n 1)" = "data: [DONE]" ] && [ "$(grep -c '^data: {' "$tmp/sse")" -ge 2 ] \
  && ok "curl -N: SSE events 'data: ...' + blank line, ending with data: [DONE]" || { bad "SSE framing"; cat -A "$tmp/sse" | head; }

# Hostile bodies: each a 400 with OpenAI's error shape; the server lives on.
i=0; n_ok=0
for body in '' '{' '[]' 'null' '"x"' '{"messages": 5}' '{"messages": [5]}' '{"messages": [{"role": "user"}]}' \
    '{"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}' '{"messages":[{"role":"user","content":"a\u0000b"}]}' \
    '{"messages":[{"role":"user","content":"hi"}],"max_tokens":-1}' '{"messages":[{"role":"user","content":"hi"}],"stop":[1]}' \
    '{"messages":[{"role":"user","content":"hi"}],"top_p":0}' '{"messages":[{"role":"user","content":"hi"}]} x' \
    "$(printf '%0.s[' $(seq 1 3000))" $'\xff\xfe{' '{"prompt": 1}' ; do
  i=$((i + 1))
  ep=/v1/chat/completions; [ $i -eq 17 ] && ep=/v1/completions
  code=$(curl -s -o "$tmp/b" -w '%{http_code}' "$url$ep" --data-binary "$body")
  if [ "$code" = 400 ] && "$py" -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["message"] and e["type"] == "invalid_request_error" and "\n" not in e["message"]' "$tmp/b" 2>/dev/null; then
    n_ok=$((n_ok + 1))
  else echo "body $i: $code $(head -c 200 "$tmp/b")"; fi
done
[ $n_ok -eq $i ] && ok "$i malformed bodies: 400 with a one-line error each" || bad "malformed bodies: $n_ok of $i"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health")" = 200 ] && ok "alive after the hostile bodies" || bad "server died"
code=$(curl -s -o "$tmp/b" -w '%{http_code}' "$url/api/nothing")
[ "$code" = 404 ] && grep -q '"error":"' "$tmp/b" && ok "404 on /api/: ollama's error shape" || bad "404 /api: $code $(cat "$tmp/b")"

serve_stop
[ "$srv_rc" = 0 ] && grep -q "SIGTERM: stopping" "$srv_log" && ok "SIGTERM: exit 0" || { bad "SIGTERM: rc=$srv_rc"; tail -3 "$srv_log"; }

# Graceful shutdown: SIGTERM during a stream: /health 503 "draining" at once, a new request
# 503 server_shutting_down, the running stream goes on to its [DONE] (300 tokens), exit 0.
sse_tokens() { grep -c '"text"' "$1"; }
if serve_start -np 2; then
  curl -sN "$url/v1/completions" -d '{"prompt":"Once upon a time","max_tokens":300,"ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}}' >"$tmp/drain.sse" &
  cpid=$!
  for i in $(seq 1 100); do grep -q '"text"' "$tmp/drain.sse" 2>/dev/null && break; sleep 0.05; done
  kill -TERM "$srv_pid"
  sleep 0.2
  h=$(curl -s -w ' %{http_code}' "$url/health")
  n=$(curl -s -w ' %{http_code}' "$url/v1/completions" -d '{"prompt":"x","max_tokens":2}')
  wait "$cpid"
  for i in $(seq 1 100); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
  wait "$srv_pid"; rc=$?
  [ "$h" = '{"status":"draining"} 503' ] && ok "draining: /health 503 {\"status\":\"draining\"}" || bad "draining /health: $h"
  [[ "$n" == *server_shutting_down*" 503" ]] && ok "draining: a new request gets 503 server_shutting_down" || bad "draining new request: $n"
  [ "$(tail -n 2 "$tmp/drain.sse" | head -n 1)" = "data: [DONE]" ] && grep -q '"completion_tokens":300' "$tmp/drain.sse" &&
    grep -q '"finish_reason":"length"' "$tmp/drain.sse" && ok "draining: the running stream finishes (300 tokens, [DONE])" ||
    bad "draining: the stream was cut: $(sse_tokens "$tmp/drain.sse") chunks; $(tail -c 300 "$tmp/drain.sse")"
  [ "$rc" = 0 ] && grep -q "every request finished: stopping" "$srv_log" && ok "draining: exit 0 after the last reply" ||
    { bad "draining exit: rc=$rc"; tail -3 "$srv_log"; }
else bad "server starts (drain)"; cat "$srv_log"; fi
# A second SIGTERM stops at once, cutting the stream.
if serve_start -np 1; then
  curl -sN "$url/v1/completions" -d '{"prompt":"Once upon a time","max_tokens":4000,"ignore_eos":true,"stream":true}' >"$tmp/cut.sse" &
  cpid=$!
  for i in $(seq 1 100); do grep -q '"text"' "$tmp/cut.sse" 2>/dev/null && break; sleep 0.05; done
  kill -TERM "$srv_pid"; sleep 0.3; kill -TERM "$srv_pid"
  for i in $(seq 1 50); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$srv_pid" 2>/dev/null && { bad "second SIGTERM: still running after 5 s"; kill -KILL "$srv_pid"; }
  wait "$srv_pid"; rc=$?
  wait "$cpid"; crc=$?
  [ "$rc" = 0 ] && grep -q "SIGTERM again: stopping now; 1 request cut short" "$srv_log" &&
    [ "$(sse_tokens "$tmp/cut.sse")" -lt 4000 ] && ok "a second SIGTERM stops at once (the stream cut short)" ||
    { bad "second SIGTERM: rc=$rc"; tail -3 "$srv_log"; }
  # cut short is not a finished reply: no finish_reason stop/length but an error event, and the
  # stream is ended properly (curl exit 0: the chunked body's last chunk was sent)
  ! grep -qE '"finish_reason":"(stop|length)"' "$tmp/cut.sse" && grep -q '"code":"server_stopping"' "$tmp/cut.sse" &&
    [ "$crc" = 0 ] && ok "the cut stream ends with an error event (server_stopping), properly closed" ||
    bad "cut stream's end (curl rc $crc): $(tail -c 400 "$tmp/cut.sse")"
else bad "server starts (second SIGTERM)"; cat "$srv_log"; fi
# While the model loads: /health 503 {"status":"loading"} with Retry-After, requests 503.
srv_log=$(mktemp -p "$tmp" serve.XXXX.log)
FITCHAT_TEST_LOAD_DELAY_MS=1500 "$bin" serve --host 127.0.0.1 --port 0 -t 2 -m "$FITCHAT_MODEL" >"$srv_log" 2>&1 &
srv_pid=$!; srv_pids+=("$srv_pid")
for i in $(seq 1 100); do port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$srv_log"); [ -n "$port" ] && break; sleep 0.05; done
url=http://127.0.0.1:$port
h=$(curl -s -D "$tmp/lh" -w ' %{http_code}' "$url/health")
n=$(curl -s -w ' %{http_code}' "$url/v1/models")
[ "$h" = '{"status":"loading"} 503' ] && grep -qi '^retry-after: 1' "$tmp/lh" && ok "loading: /health 503 {\"status\":\"loading\"}, Retry-After" ||
  bad "loading /health: $h"
[[ "$n" == *model_loading*" 503" ]] && ok "loading: other routes 503 model_loading" || bad "loading /v1/models: $n"
for i in $(seq 1 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health")" = 200 ] && break; sleep 0.1; done
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health")" = 200 ] && ok "loading: then /health 200" || bad "loading: never ready"
serve_stop

# The API key: openai's AuthenticationError without it; /health stays open.
echo "  s3cret-key  " > "$tmp/key"
if serve_start -np 1 --api-key-file "$tmp/key"; then
  "$py" - "$url" <<'PY' | while read -r line; do case "$line" in "ok "*) echo "$line";; *) echo "$line";; esac; done > "$tmp/auth"
import sys, openai, httpx
url = sys.argv[1]
def c(key): return openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0, timeout=30)
try:
    c("wrong").models.list(); print("FAIL wrong key accepted")
except openai.AuthenticationError as e:
    print("ok 401 AuthenticationError with a wrong key" if e.status_code == 401 and e.code == "invalid_api_key" else "FAIL 401: %s" % e)
try:
    c("s3cret-ke").chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}], max_tokens=2); print("FAIL prefix of the key accepted")
except openai.AuthenticationError:
    print("ok 401 with a prefix of the key")
r = c("s3cret-key").chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
print("ok the right key (from --api-key-file, trimmed) works" if r.choices else "FAIL right key")
h = httpx.get(url + "/metrics")
print("ok /metrics needs the key" if h.status_code == 401 else "FAIL /metrics without key: %d" % h.status_code)
h = httpx.get(url + "/health")
print("ok /health needs no key" if h.status_code == 200 else "FAIL /health: %d" % h.status_code)
PY
  while IFS= read -r line; do case "$line" in "ok "*) ok "${line#ok }";; "FAIL "*) bad "${line#FAIL }";; *) echo "$line";; esac; done < "$tmp/auth"
  [ -s "$tmp/auth" ] || bad "auth checks printed nothing"
  serve_stop
else bad "server with --api-key-file starts"; cat "$srv_log"; fi
finish
