#!/usr/bin/env bash
# Scale-out behind an existing load balancer: two `fitchat serve` replicas
# behind HAProxy, everything on 127.0.0.1 with free ports. HAProxy health-checks
# GET /health (inter 300ms, fall 2); 100 small requests go through it, replica 1
# is SIGKILLed mid-run, and every later request succeeds on replica 2
# (tests/serve/lb_checks.py). The haproxy.cfg is the one in docs/serve.md
# ("Behind a load balancer"). Skips without haproxy (Debian package haproxy,
# scripts/setup.sh). Replicas and haproxy are killed by PID on exit.
. "$(dirname "$0")/lib/tally.sh" "${1:-build}"
. "$(dirname "$0")/lib/serve.sh"
haproxy=${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}  # $HAPROXY: another binary
if [ ! -x "$haproxy" ]; then skp "serve_lb.test.sh: haproxy not installed (apt-get install haproxy; scripts/setup.sh)"; finish; fi
if [ -z "${FITCHAT_MODEL:-}" ] || [ ! -f "$FITCHAT_MODEL" ]; then skp "serve_lb.test.sh: default model absent (make models)"; finish; fi
if [ ! -x "$py" ]; then skp "serve_lb.test.sh: no .venv (scripts/setup-venv.sh)"; finish; fi
lb_pid=""
lb_cleanup() {
  [ -n "$lb_pid" ] && kill -KILL "$lb_pid" 2>/dev/null
  serve_cleanup
}
trap lb_cleanup EXIT

# Two replicas, one model each, 2 slots, 1 thread each (the tests share the CPU).
serve_start -np 2 -t 1 || { bad "replica 1 starts"; cat "$srv_log"; finish; }
r1_url=$url r1_pid=$srv_pid r1_port=${url##*:}
disown "$r1_pid"  # SIGKILLed by the checks: no "Killed" job notice (still killed on exit)
serve_start -np 2 -t 1 || { bad "replica 2 starts"; cat "$srv_log"; finish; }
r2_url=$url r2_pid=$srv_pid r2_port=${url##*:}
ok "two replicas ready ($r1_url, $r2_url)"

free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cfg=$tmp/haproxy.cfg
# HAProxy cannot bind port 0 and tell us, so take two free ports and retry on a clash.
for attempt in 1 2 3; do
  lb_port=$(free_port) stats_port=$(free_port)
  cat >"$cfg" <<EOF
global
    maxconn 256
    nbthread 1
    log stdout format raw local0

defaults
    mode http
    log global
    option httplog
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch 1
    retry-on all-retryable-errors
    option http-buffer-request

frontend llm
    bind 127.0.0.1:$lb_port
    default_backend fitchat

backend fitchat
    balance leastconn
    option httpchk GET /health
    http-check expect status 200
    default-server check inter 300ms fall 2 rise 2
    http-response set-header X-Served-By %s
    server r1 127.0.0.1:$r1_port
    server r2 127.0.0.1:$r2_port

listen stats
    bind 127.0.0.1:$stats_port
    stats enable
    stats uri /stats
EOF
  "$haproxy" -c -q -f "$cfg" || { bad "haproxy -c accepts the configuration"; cat "$cfg"; finish; }
  "$haproxy" -db -f "$cfg" >"$tmp/haproxy.log" 2>&1 &
  lb_pid=$!
  up=""
  for i in $(seq 1 50); do
    kill -0 "$lb_pid" 2>/dev/null || break
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$stats_port/stats" && { up=1; break; }
    sleep 0.1
  done
  [ -n "$up" ] && break
  kill -KILL "$lb_pid" 2>/dev/null; wait "$lb_pid" 2>/dev/null; lb_pid=""
done
if [ -z "$lb_pid" ]; then bad "haproxy starts"; cat "$tmp/haproxy.log"; finish; fi
ok "haproxy $("$haproxy" -v | sed -n '1s/HAProxy version \([^ ]*\).*/\1/p') on 127.0.0.1:$lb_port"

serve_py tests/serve/lb_checks.py "http://127.0.0.1:$lb_port" "http://127.0.0.1:$stats_port/stats" \
  "$r1_url" "$r1_pid" "$r2_url"
grep -E ' 50[0-9] ' "$tmp/haproxy.log" | head -5  # HAProxy's log of any 5xx it answered
kill -0 "$lb_pid" 2>/dev/null && ok "haproxy still running" || { bad "haproxy died"; cat "$tmp/haproxy.log"; }
kill -TERM "$lb_pid" 2>/dev/null; wait "$lb_pid" 2>/dev/null; lb_pid=""
serve_stop
[ "$srv_rc" = 0 ] && ok "replica 2 exits 0 on SIGTERM" || bad "replica 2 exit $srv_rc"
finish
