# Sourced by the server tests after tally.sh. serve_start [FLAGS...] starts
# `fitchat serve` on 127.0.0.1 with any free port (--port 0; the port is read
# from its "listening on" line), waits (at most 60 s) for GET /health to
# answer 200, and sets url, srv_pid and srv_log; serve_stop sends SIGTERM and
# waits at most 10 s (then SIGKILL). Every server started is stopped on exit.
# $py is the repository's venv Python (openai, ollama: tests/reference/requirements.txt).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
py=$root/.venv/bin/python
srv_pids=()
serve_cleanup() {
  for p in "${srv_pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap serve_cleanup EXIT
serve_start() {
  srv_log=$(mktemp -p "$tmp" serve.XXXX.log)
  "$bin" serve --host 127.0.0.1 --port 0 -t 2 -m "$FITCHAT_MODEL" "$@" >"$srv_log" 2>&1 &
  srv_pid=$!
  srv_pids+=("$srv_pid")
  local port="" i
  for i in $(seq 1 600); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$srv_log")
    [ -n "$port" ] && break
    kill -0 "$srv_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  [ -n "$port" ] || return 1
  url=http://127.0.0.1:$port
  for i in $(seq 1 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/health")" = 200 ] && return 0
    kill -0 "$srv_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
serve_stop() {
  kill -TERM "$srv_pid" 2>/dev/null
  local i
  for i in $(seq 1 100); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$srv_pid" 2>/dev/null
  wait "$srv_pid" 2>/dev/null
  srv_rc=$?
}
# Runs a Python check script; its "ok NAME" / "FAIL NAME" / "skip NAME" lines count.
serve_py() {
  local line
  while IFS= read -r line; do
    case "$line" in
      "ok "*) ok "${line#ok }";;
      "FAIL "*) bad "${line#FAIL }";;
      "skip "*) skp "${line#skip }";;
      *) echo "$line";;
    esac
  done < <(timeout 120 "$py" "$@" 2>&1 || echo "FAIL $(basename "$1") exited with an error")
}
# Skips the whole file when the model or the Python clients are missing.
serve_need() {
  if [ -z "${FITCHAT_MODEL:-}" ] || [ ! -f "$FITCHAT_MODEL" ]; then skp "$1: default model absent (make models)"; finish; fi
  if ! "$py" -c "import openai, ollama" 2>/dev/null; then skp "$1: openai / ollama not in .venv (scripts/setup-venv.sh)"; finish; fi
}
