#!/usr/bin/env bash
# fitchat serve under bounded load, on 127.0.0.1 only: 8 concurrent requests
# at temperature 0 on 4 slots (prompts in chunks of 16), each equal to the same request alone (batch
# invariance); prefix reuse; clients that leave mid-stream or mid-request free
# their slot; a full queue answers 503 with Retry-After; /metrics; 300
# requests at concurrency 16 with clients leaving and malformed bodies (only
# 200/400/503, slots free at the end, RSS steady).
. "$(dirname "$0")/lib/tally.sh" "${1:-build}"
. "$(dirname "$0")/lib/serve.sh"
serve_need serve_load.test.sh
if serve_start -np 4 --queue 8 -b 16; then
  ok "server with 4 slots starts"
  serve_py tests/serve/load_checks.py "$url" parallel
  m=$(curl -s "$url/metrics")
  for name in fitchat_requests_total fitchat_prompt_tokens_total fitchat_generated_tokens_total \
      fitchat_generated_tokens_per_second fitchat_requests_active fitchat_requests_queued \
      'fitchat_kv_cells_used{slot="3"}' 'fitchat_device_planned_bytes{device="CPU"}' 'fitchat_device_allocated_bytes{device="CPU"}'; do
    grep -qF "$name" <<<"$m" || { bad "/metrics lacks $name"; continue; }
  done
  planned=$(sed -n 's/^fitchat_device_planned_bytes{device="CPU"} //p' <<<"$m")
  alloc=$(sed -n 's/^fitchat_device_allocated_bytes{device="CPU"} //p' <<<"$m")
  [ -n "$planned" ] && [ "$planned" = "$alloc" ] && ok "/metrics: every series; CPU allocated = planned ($alloc bytes, 4 slots)" \
    || bad "/metrics: planned $planned, allocated $alloc"
  serve_stop
  [ "$srv_rc" = 0 ] && ok "exit 0 after the load" || bad "exit $srv_rc"
else bad "server with 4 slots starts"; cat "$srv_log"; fi
# Bounded load with faults: 300 requests at concurrency 16.
if serve_start -np 4 --queue 8; then
  # Under ASan the allocator's quarantine holds freed memory: RSS says nothing about leaks
  # there (LeakSanitizer checks those at exit), so the RSS bound is for the plain build.
  rss_check=1; case "$build" in *asan*) rss_check=0 ;; esac
  serve_py tests/serve/load_checks.py "$url" soak "$srv_pid" "$rss_check"
  serve_stop
  [ "$srv_rc" = 0 ] && ok "exit 0 after the soak" || bad "exit $srv_rc after the soak"
else bad "server for the soak starts"; cat "$srv_log"; fi
if serve_start -np 1 --queue 1; then
  serve_py tests/serve/load_checks.py "$url" queue
  serve_stop
else bad "server with 1 slot starts"; cat "$srv_log"; fi
finish
