#!/usr/bin/env bash
# fitchat run end to end on the default model: a greedy completion from a
# text prompt, the raw ids mode, and the bad-input paths (exit 2, one line).
set -u
bin=${1:-build}/fitchat
pass=0; fail=0; skip=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
if [ -z "${FITCHAT_MODEL:-}" ] || [ ! -f "$FITCHAT_MODEL" ]; then
  echo "skip run.test.sh: default model absent (make models)"; echo "@@ 0 0 1"; exit 0
fi
m=$FITCHAT_MODEL
chat=$'<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n'
out=$("$bin" run -m "$m" -p "$chat" -n 32 --greedy -t 2 2>/dev/null)
[ "$out" = "The capital of France is Paris." ] && ok "greedy chat answer" || bad "greedy chat answer: '$out'"
# the same prompt as ids gives the same first tokens (ids from the tokenizer)
ids=$("$bin" tokenize -m "$m" --special "$chat")
gen=$("$bin" run -m "$m" --tokens "$ids" -n 3 --greedy -t 1 2>/dev/null)
want=$("$bin" tokenize -m "$m" "The capital of")
[ "$gen" = "$want" ] && ok "ids mode matches text mode" || bad "ids mode: '$gen' vs '$want'"
# same seed, same sample
a=$("$bin" run -m "$m" -p "Once upon a time" -n 16 --temp 0.9 -s 42 2>/dev/null)
b=$("$bin" run -m "$m" -p "Once upon a time" -n 16 --temp 0.9 -s 42 2>/dev/null)
[ -n "$a" ] && [ "$a" = "$b" ] && ok "seeded sampling is reproducible" || bad "seeded sampling: '$a' vs '$b'"
# prompt longer than the context
err=$("$bin" run -m "$m" -p "$(printf 'word %.0s' $(seq 1 200))" -n 8 -c 64 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ "$err" == *context* ]] && ok "prompt longer than the context: exit 2, one line" || bad "long prompt: rc=$rc '$err'"
err=$("$bin" run -m "$m" -p hi --temp -1 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [[ "$err" == *--temp* ]] && ok "bad flag value names the flag" || bad "bad value: rc=$rc '$err'"
err=$("$bin" run -m /nonexistent.gguf -p hi 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [[ "$err" == */nonexistent.gguf* ]] && ok "missing model names the file" || bad "missing model: rc=$rc '$err'"
err=$("$bin" run -m "$m" --tokens "1 999999" -n 1 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [[ "$err" == *vocabulary* ]] && ok "token id outside the vocabulary" || bad "bad id: rc=$rc '$err'"
err=$("$bin" run -m "$m" --tokens "1 2 abc" -n 1 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [ "$err" = "fitchat run: --tokens: entry 3 'abc' is not a token id (a number >= 0)" ] &&
  ok "--tokens names the entry that is not an id" || bad "--tokens 1 2 abc: rc=$rc '$err'"
# architectures the engine cannot run: refused with their name, exit 2 (plan still works)
mk=${1:-build}/tests/tools/mkfixture
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for fx in mixtral-8x7b-q4_k:experts; do
  name=${fx%%:*}; want=${fx##*:}
  "$mk" "$name" "$tmp/$name.gguf" >/dev/null 2>&1 || { bad "mkfixture $name"; continue; }
  err=$("$bin" run -m "$tmp/$name.gguf" --tokens "1 2" -n 1 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] && [[ "$err" == *"$want"* ]] && [[ "$err" == *"not supported"* ]] && ok "refuses $name ($want)" || bad "$name: rc=$rc '$err'"
  out=$("$bin" plan -m "$tmp/$name.gguf" --gpu 24GiB 2>/dev/null) && [[ "$out" == *"engine cannot run this model yet"* ]] &&
    [ "$("$bin" plan -m "$tmp/$name.gguf" --gpu 24GiB --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["runnable"])')" = False ] &&
    ok "plans $name, saying the engine cannot run it (text and --json)" || bad "plan $name"
  out=$("$bin" plan -m "$FITCHAT_MODEL" --gpu 24GiB --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["runnable"])')
  [ "$out" = True ] && ok "plan --json: the default model is runnable" || bad "plan --json runnable: '$out'"
  rm -f "$tmp/$name.gguf"
done
# an output file that cannot be written fails before the model is loaded (a
# model the engine refuses at load says so only when the outputs are fine)
if "$mk" mixtral-8x7b-q4_k "$tmp/refused.gguf" >/dev/null 2>&1; then
  for flag in --logits-out --gen-logits-out --ids-out; do
    err=$("$bin" run -m "$tmp/refused.gguf" --tokens "1 2" -n 1 $flag "$tmp/no/such/dir/out" 2>&1 >/dev/null); rc=$?
    [ $rc -eq 1 ] && [[ "$err" == *"$tmp/no/such/dir/out: cannot write"* ]] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] &&
      ok "$flag to a path that cannot be written: one line, before the load" || bad "$flag unwritable: rc=$rc '$err'"
  done
  rm -f "$tmp/refused.gguf"
else bad "mkfixture mixtral-8x7b-q4_k"; fi
# a write that fails later (a full disk: /dev/full takes the open, refuses
# the bytes): exit 1, one line with the path and the system's reason
if [ -w /dev/full ]; then
  for flag in --logits-out --gen-logits-out --ids-out; do
    err=$("$bin" run -m "$m" -p hi -n 2 --greedy $flag /dev/full 2>&1 >/dev/null); rc=$?
    [ $rc -eq 1 ] && [[ "$err" == *"/dev/full: cannot write"*"No space left on device"* ]] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] &&
      ok "$flag on a full disk: one line with the reason" || bad "$flag /dev/full: rc=$rc '$err'"
  done
else echo "skip /dev/full checks: no writable /dev/full"; skip=$((skip + 1)); fi
# qwen2 and gemma3 now run: these header-only fixtures get past the
# architecture check (and stop at their missing tokenizer)
for name in gemma-3-12b-q8_0 qwen2.5-7b-q4_k; do
  "$mk" "$name" "$tmp/$name.gguf" >/dev/null 2>&1 || { bad "mkfixture $name"; continue; }
  err=$("$bin" run -m "$tmp/$name.gguf" --tokens "1 2" -n 1 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] && [[ "$err" != *"not supported"* ]] && ok "accepts the architecture of $name" || bad "$name: rc=$rc '$err'"
  rm -f "$tmp/$name.gguf"
done
# fitchat bench: a row per test with a rate, at depth too (-d: the tests start
# after that many tokens in the context); a bad value exits 2 naming it
out=$("$bin" bench -m "$m" -p 16 -n 4 -d 40 -t 1 -r 1 2>/dev/null); rc=$?
[ $rc -eq 0 ] && grep -Eq '\| +pp16 @ d40 \| +[0-9.]+ \(' <<<"$out" && grep -Eq '\| +tg4 @ d40 \| +[0-9.]+ \(' <<<"$out" &&
  ok "bench at depth 40: pp16 and tg4 rows" || bad "bench -d: rc=$rc '$out'"
out=$("$bin" bench -m "$m" -p 8 -n 2 -t 1 -r 1 2>/dev/null); rc=$?
[ $rc -eq 0 ] && grep -Eq '\| +pp8 \| +[0-9.]+ \(' <<<"$out" && grep -Eq '\| +tg2 \| +[0-9.]+ \(' <<<"$out" &&
  ok "bench: pp8 and tg2 rows" || bad "bench: rc=$rc '$out'"
# the kernels it ran on are named, and FITCHAT_ISA caps them
out=$(FITCHAT_ISA=avx2 "$bin" bench -m "$m" -p 8 -n 0 -t 1 -r 1 --no-repack 2>/dev/null); rc=$?
want=avx2; [ "$(uname -m)" = x86_64 ] && grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo && grep -qw f16c /proc/cpuinfo || want=scalar
[ $rc -eq 0 ] && grep -Eq "^CPU: .+; kernels: $want \(FITCHAT_ISA caps them\); repacked weights: off\$" <<<"$out" &&
  ok "bench names the CPU and the kernels ($want)" || bad "bench CPU line: rc=$rc '$out'"
# -np P: the generation test as the server runs it (P sequences per batched step)
out=$("$bin" bench -m "$m" -p 0 -n 3 -np 4 -t 1 -r 1 2>/dev/null); rc=$?
[ $rc -eq 0 ] && grep -Eq '\| +tg3 x4 \| +[0-9.]+ \(' <<<"$out" && ! grep -Eq '\| +pp[0-9]' <<<"$out" &&
  ok "bench -np 4: a tg3 x4 row" || bad "bench -np 4: rc=$rc '$out'"
err=$("$bin" bench -m "$m" -np 65 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [[ "$err" == *"-np 65"* ]] && ok "bench -np 65: exit 2 naming it" || bad "bench -np 65: rc=$rc '$err'"
err=$("$bin" bench -m "$m" -d -5 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] && [[ "$err" == *"-d -5"* ]] && ok "bench -d -5: exit 2 naming it" || bad "bench -d -5: rc=$rc '$err'"
# what a bench cannot honour is an error, not ignored: nothing to measure, a context the
# tests outgrow, zero threads, the chat's --prompt / --n-predict
n_ok=0
for args in "-p 0 -n 0" "-p 0 -n 300 -c 256" "-t 0" "--prompt hi" "--n-predict 4"; do
  # shellcheck disable=SC2086
  err=$("$bin" bench -m "$m" -r 1 $args 2>&1 >/dev/null); rc=$?
  if [ $rc -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]; then n_ok=$((n_ok + 1)); else echo "bench $args: rc=$rc '$err'"; fi
done
[ $n_ok -eq 5 ] && ok "bench: 5 settings it cannot honour, each exit 2 with one line" || bad "bench refusals: $n_ok of 5"
out=$("$bin" bench --help)
[ "$(grep -c -- '--temp\|--prompt\|--n-predict' <<<"$out")" -eq 0 ] && [ "$(grep -c -- '^  -t' <<<"$out")" -eq 1 ] &&
  ok "bench --help: no chat-only flags, -t once" || bad "bench --help lists chat-only flags"
echo "@@ $pass $fail $skip"
