#!/usr/bin/env bash
# fitchat chat end to end: --print-config with the original's example modelconf.json, config
# errors, then on the real default model ($FITCHAT_MODEL; skipped when absent): piped mode
# (three lines in, three replies out, exit 0), -p one-shot, and a pseudo-terminal session
# driven by tests/chat_pty.py (greedy reply, /reset, small context overflow, Ctrl-C, Ctrl-D,
# valid UTF-8). Replies are greedy (--temp 0), short (-n) and single-threaded (-t 1) so that
# they are fast and deterministic on a shared machine.
set -u
build=${1:-build}
bin=$(cd "$build" && pwd)/fitchat
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0; skip=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
unset FITCHAT_GPU

# --- configuration (no model needed) ---
mkdir -p "$tmp/conf"
cat >"$tmp/conf/modelconf.json" <<'EOF'
{
  "MODEL": "mistral_v0.1/mistral-7b-instruct-v0.1.Q4_K_M.gguf",
  "MODEL_TYPE": "mistral",
  "LAYERS": "auto",
  "TARGET_VRAM_USAGE": 0.8,
  "KV_CACHE_QUANT": "f16",
  ...
}
EOF
out=$(cd "$tmp/conf" && "$bin" chat --print-config --temp 0.2 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "^MODEL_TYPE  *mistral  *(modelconf.json)" <<<"$out" \
   && grep -q "^TEMPERATURE  *0.2  *(flag --temp)" <<<"$out" && grep -q "^TOP_K  *40  *(default)" <<<"$out"; then
  ok "--print-config with the original example"; else bad "--print-config (rc $rc)"; echo "$out"; fi

echo '{"TEMPRATURE": 0.5}' >"$tmp/typo.json"
out=$("$bin" chat --config "$tmp/typo.json" --print-config 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "unknown key 'TEMPRATURE' (did you mean 'TEMPERATURE'?)" <<<"$out"; then
  ok "unknown key warns"; else bad "unknown key warns (rc $rc)"; echo "$out"; fi

echo '{"TOP_P": 2}' >"$tmp/range.json"
out=$("$bin" chat --config "$tmp/range.json" 2>&1); rc=$?
if [ $rc -eq 2 ] && grep -q "TOP_P" <<<"$out" && grep -q "2" <<<"$out"; then
  ok "out of range is exit 2"; else bad "out of range (rc $rc)"; echo "$out"; fi

out=$("$bin" chat -m "$tmp/none.gguf" -p hi 2>&1 </dev/null); rc=$?
if [ $rc -eq 2 ] && grep -q "none.gguf" <<<"$out"; then ok "missing model is exit 2"; else bad "missing model (rc $rc)"; echo "$out"; fi

# --- on the real model ---
model=${FITCHAT_MODEL:-}
if [ -z "$model" ] || [ ! -f "$model" ]; then
  echo "skip chat on the default model (absent; make models)"
  echo "@@ $pass $fail 8"
  [ $fail -eq 0 ]; exit
fi
run() { (cd "$tmp" && "$bin" chat -m "$model" --temp 0 -t 1 -n 16 "$@"); }

printf 'What is 2+2?\nName a fruit.\nSay goodbye.\n' | run >"$tmp/piped.out" 2>"$tmp/piped.err"; rc=$?
n=$(python3 - "$tmp/piped.out" <<'PY'
import sys
t = open(sys.argv[1], "rb").read().decode("utf-8")
parts = t.split("\n\n")
# three replies, each followed by a blank line: three non-empty parts and an empty tail
print(len([p for p in parts[:-1] if p.strip()]) if t.endswith("\n\n") and not parts[-1] else -1)
PY
)
if [ $rc -eq 0 ] && [ "$n" = 3 ]; then ok "piped: three lines, three replies"; else
  bad "piped (rc $rc, $n replies)"; cat "$tmp/piped.out" "$tmp/piped.err"; fi

out=$(run -p "What is 2+2?" 2>"$tmp/p.err"); rc=$?
first=$(python3 -c 'import sys; print(open(sys.argv[1]).read().split("\n\n")[0])' "$tmp/piped.out")
if [ $rc -eq 0 ] && [ -n "$out" ] && [ "$out" = "$first" ]; then ok "-p one-shot equals the first piped reply"; else
  bad "-p one-shot (rc $rc)"; echo "[$out] vs [$first]"; cat "$tmp/p.err"; fi

# Commands work in piped mode too, on stdout; /reset makes the next reply equal the first.
printf 'What is 2+2?\nName a fruit.\n/reset\nWhat is 2+2?\n/stats\n' | run >"$tmp/cmd.out" 2>"$tmp/cmd.err"; rc=$?
python3 - "$tmp/cmd.out" <<'PY'
import sys
t = open(sys.argv[1]).read()
parts = t.split("\n\n")
assert parts[0] == parts[2], parts
assert "context:" in t and "tokens/s" in t
PY
prc=$?
if [ $rc -eq 0 ] && [ $prc -eq 0 ] && grep -q "conversation cleared" "$tmp/cmd.err"; then ok "piped /reset and /stats"; else
  bad "piped /reset and /stats (rc $rc)"; cat "$tmp/cmd.out" "$tmp/cmd.err"; fi

# a /command that fails makes a piped run exit 1, each failure one line naming the command;
# /save never replaces what is not a regular file
mkfifo "$tmp/fifo"
printf '/load %s/none.json\n/save %s/fifo\n/nosuch\n' "$tmp" "$tmp" | run >"$tmp/f.out" 2>"$tmp/f.err"; rc=$?
if [ $rc -eq 1 ] && grep -q "^fitchat chat: /load: $tmp/none.json: cannot open" "$tmp/f.err" &&
   grep -q "^fitchat chat: /save: $tmp/fifo: is a FIFO" "$tmp/f.err" && grep -q "^fitchat chat: 3 commands failed" "$tmp/f.err" &&
   [ -p "$tmp/fifo" ]; then ok "piped: failed /commands exit 1, named"; else bad "piped failed commands (rc $rc)"; cat "$tmp/f.err"; fi
# /save's file name as a shell takes it: ~/ is $HOME, trailing blanks dropped
mkdir -p "$tmp/home"
printf 'Hi\n/save ~/tilde.json  \n' | HOME="$tmp/home" run >/dev/null 2>&1
[ -f "$tmp/home/tilde.json" ] && ok "/save ~/FILE (trailing blanks) writes \$HOME/FILE" || bad "/save ~/: $(ls "$tmp/home")"
err=$(run -p "  " 2>&1 >/dev/null); rc=$?
if [ $rc -eq 2 ] && [ "$err" = "fitchat chat: -p: the message is empty" ]; then ok "-p with no text: exit 2"; else bad "-p '  ': rc $rc '$err'"; fi
# output that cannot be written is a failure
run -p "Hi" -n 4 >/dev/full 2>"$tmp/full.err"; rc=$?
if [ $rc -eq 1 ] && grep -q "could not write the output" "$tmp/full.err"; then ok "-p to a full disk: exit 1"; else
  bad "-p >/dev/full: rc $rc $(cat "$tmp/full.err")"; fi

res=$(python3 "$here/chat_pty.py" "$bin" "$model" 2>&1)
echo "$res" | grep -v '^@@pty'
read -r _ p f <<<"$(grep '^@@pty' <<<"$res" | tail -n 1)"
if [ -n "${p:-}" ]; then pass=$((pass + p)); fail=$((fail + f)); else bad "chat_pty.py did not finish"; fi

echo "@@ $pass $fail $skip"
[ $fail -eq 0 ]
