#!/usr/bin/env bash
# Hostile and unlucky input (issue 14's defects, each a regression test):
# FIFOs, devices and directories where files are expected (refused at once,
# never waited on), /load of a device or an oversized file, NUL bytes in
# piped lines, modelconf.json and conversations, terminal escapes in the
# model's name, a 100 001-message conversation (dropping old turns is no
# longer quadratic), messages that name the right limit, the exit status of
# a piped chat whose messages failed, and the cached model's verified record
# (a changed file is noticed at start). Needs the default model
# ($FITCHAT_MODEL) for the chat cases; the rest run without it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/tally.sh" "${1:-build}"
cd "$tmp"

# expect NAME STATUS PATTERN -- CMD...: CMD exits with STATUS within 20 s and
# its stderr (one line) matches PATTERN.
expect() {
  local name=$1 want=$2 pat=$3; shift 4
  local err rc
  err=$(timeout 20 "$@" 2>&1 >/dev/null </dev/null); rc=$?
  if [ "$rc" -eq "$want" ] && grep -qE -- "$pat" <<<"$err" && [ "$(wc -l <<<"$err")" -le 2 ]; then ok "$name"
  else bad "$name: exit $rc, stderr: $(head -c 300 <<<"$err")"; fi
}

mkfifo fifo
mkdir adir
expect fifo_model 2 'fifo: is a FIFO' -- "$bin" run -m fifo -p hi
expect fifo_config 2 'fifo: is a FIFO' -- "$bin" --config fifo -p hi
expect dir_config 2 'adir: is a directory' -- "$bin" --config adir -p hi
expect dev_model 2 '/dev/zero: is a character device' -- "$bin" info /dev/zero
(mkdir -p cwd_dir/modelconf.json && cd cwd_dir && expect modelconf_dir 2 'modelconf.json: is a directory' -- "$bin" --print-config)
(mkdir -p cwd_fifo && cd cwd_fifo && mkfifo modelconf.json && expect modelconf_fifo 2 'modelconf.json: is a FIFO' -- "$bin" --print-config)
printf '{"SYSTEM_PROMPT": "a\\u0000b"}\n' >nul.json
expect nul_escape_config 2 'nul.json: line 1: a \\u0000 escape is not allowed' -- "$bin" --config nul.json --print-config
printf '{"TARGET_VRAM_USAGE": 1e400}\n' >big.json
expect infinite_number 2 'TARGET_VRAM_USAGE = \(a number too large to represent\)' -- "$bin" --config big.json --print-config
expect info_m_no_value 2 'info: -m: needs a value' -- "$bin" info -m
expect run_n_negative 2 'must be an integer >= 0 \(0: evaluate the prompt only\)' -- "$bin" run -n -5 -p hi

model=${FITCHAT_MODEL:-}
if [ -z "$model" ] || [ ! -f "$model" ]; then
  skp "chat cases: default model absent (make models)"
  finish
fi
chat=("$bin" chat -m "$model" --temp 0 -t 1 -n 2)

# Host memory is planned: an explicit N_CTX whose CPU-side KV cannot fit is
# one line before anything is allocated; N_CTX auto shrinks to the largest
# multiple of 256 that fits (256 more would not), and the engine allocates
# what that plan says.
expect ram_explicit_ctx 2 'N_CTX 8388608 needs 180 GiB of host memory .* but 1.00 GiB set by --ram' -- "$bin" run -m "$model" --ram 1GiB -c 8388608 -p hi
"$bin" plan -m "$model" --ram 100MiB -c auto --json >plan.json 2>/dev/null
read -r nctx alloc <<<"$(python3 -c 'import json,sys; j=json.load(open("plan.json")); print(j["n_ctx"] if "n_ctx" in j else j["config"]["n_ctx"], j["host"]["allocated_bytes"])' 2>/dev/null)"
if [ -n "${nctx:-}" ] && [ "$nctx" -lt 4096 ] && [ $((nctx % 256)) -eq 0 ] && [ "$alloc" -le $((100 << 20)) ] &&
   ! "$bin" plan -m "$model" --ram 100MiB -c $((nctx + 256)) >/dev/null 2>&1; then ok "ram_auto_shrinks (n_ctx $nctx)"
else bad "ram_auto_shrinks: n_ctx '${nctx:-}' allocated '${alloc:-}': $(head -c 300 plan.json)"; fi
out=$("$bin" run -m "$model" --ram 100MiB -c auto -t 1 -p hi -n 1 --mem 2>&1 >/dev/null)
if grep -q "KV f16, $nctx ctx" <<<"$out" && grep -q 'matches the plan to the byte' <<<"$out"; then ok ram_run_equals_plan
else bad "ram_run_equals_plan: $out"; fi
# The same through a real cgroup (v2 or v1), where this machine lets us make one.
cgdir=""
if [ -w /sys/fs/cgroup/cgroup.subtree_control ] && mkdir /sys/fs/cgroup/fitchat-test-$$ 2>/dev/null; then
  cgdir=/sys/fs/cgroup/fitchat-test-$$; echo $((100 << 20)) >"$cgdir/memory.max" 2>/dev/null || cgdir=""
elif [ -d /sys/fs/cgroup/memory ] && mkdir /sys/fs/cgroup/memory/fitchat-test-$$ 2>/dev/null; then
  cgdir=/sys/fs/cgroup/memory/fitchat-test-$$; echo $((100 << 20)) >"$cgdir/memory.limit_in_bytes" 2>/dev/null || cgdir=""
fi
if [ -n "$cgdir" ]; then
  out=$(bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" plan -m "$3" -c auto' _ "$cgdir" "$bin" "$model" 2>&1)
  if grep -q 'of cgroup memory limit 100 MiB' <<<"$out" && grep -qE 'n_ctx [0-9]+: N_CTX auto gave 4096, but the CPU side would need' <<<"$out"; then ok cgroup_limit_planned
  else bad "cgroup_limit_planned: $(grep -E 'allocates|n_ctx' <<<"$out" | head -3)"; fi
  rmdir "$cgdir" 2>/dev/null
else
  skp "cgroup_limit_planned: cannot make a memory cgroup here"
fi

# /load of a device or an oversized file: one line, at once, the chat goes on (and, piped,
# exits 1: a /command failed).
out=$(printf '/load /dev/zero\n/load fifo\n' | timeout 20 "${chat[@]}" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q '/dev/zero: is a character device' <<<"$out" && grep -q 'fifo: is a FIFO' <<<"$out" &&
   grep -q '2 commands failed' <<<"$out"; then ok load_device_fifo
else bad "load_device_fifo: exit $rc: $(head -c 300 <<<"$out")"; fi
truncate -s 65M huge.json
out=$(printf '/load huge.json\n' | timeout 20 "${chat[@]}" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q 'huge.json: 65.0 MiB is larger than the limit of 64.0 MiB' <<<"$out"; then ok load_too_large
else bad "load_too_large: exit $rc: $(head -c 300 <<<"$out")"; fi
printf '{"messages": [{"role": "user", "content": "a\\u0000b"}]}\n' >nulconv.json
out=$(printf '/load nulconv.json\n' | timeout 20 "${chat[@]}" 2>&1)
if grep -q 'nulconv.json: line 1: a \\u0000 escape is not allowed' <<<"$out"; then ok load_nul_escape
else bad "load_nul_escape: $(head -c 300 <<<"$out")"; fi

# A piped line with a NUL byte is refused (not cut to "hello"), and the exit
# status says that a message failed.
out=$(printf 'hello\0world\n' | timeout 60 "${chat[@]}" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q 'stdin line 1: contains a NUL byte' <<<"$out" && grep -q '1 of 1 message failed' <<<"$out"; then ok piped_nul
else bad "piped_nul: exit $rc: $(head -c 300 <<<"$out")"; fi
# Every message failing (each longer than the context) is exit 1, not 0.
long=$(printf 'word %.0s' $(seq 1 300))
out=$(printf '%s\n%s\n' "$long" "$long" | timeout 60 "${chat[@]}" -c 64 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q '2 of 2 messages failed' <<<"$out"; then ok piped_failures_exit_1
else bad "piped_failures_exit_1: exit $rc: $(tail -c 300 <<<"$out")"; fi

# 100 001 messages: the next message drops the old turns in a few renders
# (it was > 2 minutes of re-rendering); -c 256 keeps the prompt short.
python3 - conv.json <<'PY'
import json, sys
m = []
for i in range(50000):
    m += [{"role": "user", "content": "question %d" % i}, {"role": "assistant", "content": "answer %d" % i}]
m.append({"role": "user", "content": "one more"})
json.dump({"messages": m}, open(sys.argv[1], "w"))
PY
start=$(date +%s)
out=$(printf '/load conv.json\nhello\n' | timeout 120 "${chat[@]}" -c 256 2>&1); rc=$?
secs=$(( $(date +%s) - start ))
if [ $rc -eq 0 ] && grep -qE 'loaded 10000[12] messages' <<<"$out" && grep -qE 'dropped the [0-9]+ oldest turns' <<<"$out"; then ok "load_100001_messages (${secs} s)"
else bad "load_100001_messages: exit $rc after ${secs} s: $(tail -c 300 <<<"$out")"; fi

# Terminal escapes in general.name: the banner shows them as '?'. The name
# is patched in place (same length) in a copy of the default model.
python3 - "$model" evil.gguf <<'PY'
import struct, sys, shutil
shutil.copyfile(sys.argv[1], sys.argv[2])
with open(sys.argv[2], "r+b") as f:
    head = f.read(1 << 20)
    i = head.index(b"general.name")
    n = struct.unpack("<Q", head[i + 16:i + 24])[0]
    evil = b"\x1b[2J\x1b]0;pwned\x07"
    f.seek(i + 24)
    f.write((evil + b"x" * n)[:n])
PY
res=$(python3 - "$bin" evil.gguf <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execve(sys.argv[1], [sys.argv[1], "chat", "-m", sys.argv[2], "-t", "1"], dict(os.environ, TERM="xterm", NO_COLOR="1"))
out, deadline = b"", time.time() + 60
while b"\n> " not in out and time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 1)
    if r:
        try: out += os.read(fd, 4096)
        except OSError: break
# Ctrl-D until it exits (one sent before readline reads may be eaten), at most 20 s.
status = None
for _ in range(40):
    try:
        os.write(fd, b"\x04")
    except OSError:
        pass
    t_end = time.time() + 0.5
    while time.time() < t_end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                d = b""
            out += d
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
ok = b"\n> " in out and b"\x1b" not in out and b"?[2J?]0;pwned?" in out
print("ok" if ok else "FAIL %r" % out[:300])
PY
)
if [ "$res" = ok ]; then ok banner_escapes; else bad "banner_escapes: $res"; fi

# The cached model's record: a file changed after it was verified is
# refused at start with a message saying what to run.
cache=$tmp/cache/fitchat/models
mkdir -p "$cache"
cp "$model" "$cache/SmolLM2-135M-Instruct.Q4_1.gguf"
sha=$(awk '$2 == "SmolLM2-135M-Instruct.Q4_1.gguf" {print $1}' "$here/../models.sha256")
echo "$sha $(stat -c '%s %.9Y' "$cache/SmolLM2-135M-Instruct.Q4_1.gguf")" >"$cache/SmolLM2-135M-Instruct.Q4_1.gguf.verified"
out=$(XDG_CACHE_HOME=$tmp/cache timeout 60 "$bin" run -t 1 -p hi -n 1 2>&1); rc=$?
if [ $rc -eq 0 ]; then ok cache_record_matches; else bad "cache_record_matches: exit $rc: $out"; fi
printf 'x' | dd of="$cache/SmolLM2-135M-Instruct.Q4_1.gguf" bs=1 seek=50000000 conv=notrunc status=none
expect cache_changed 2 'changed since its sha256 was checked .*make models' -- env XDG_CACHE_HOME="$tmp/cache" "$bin" run -t 1 -p hi -n 1
rm "$cache/SmolLM2-135M-Instruct.Q4_1.gguf.verified"
expect cache_unverified 2 'its sha256 was never checked' -- env XDG_CACHE_HOME="$tmp/cache" "$bin" run -t 1 -p hi -n 1
finish
