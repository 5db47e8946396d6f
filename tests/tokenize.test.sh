#!/usr/bin/env bash
# End-to-end checks of `fitchat tokenize`: output format, flags, exit codes.
# Prints "@@ passed failed skipped" last (tests/run.sh).
set -u
build=${1:-build}
bin=$build/fitchat
vocab=${FITCHAT_TESTDATA:-tests/data/external}/tokenizer/ggml-vocab-gpt-2.gguf
pass=0; fail=0; skip=0
check() { # name, expected, actual
  if [ "$2" == "$3" ]; then echo "ok   $1"; pass=$((pass + 1));
  else echo "FAIL $1: expected [$2], got [$3]"; fail=$((fail + 1)); fi
}
if [ -f "$vocab" ]; then
  check "gpt-2 ids" "15496 995" "$("$bin" tokenize -m "$vocab" "Hello world")"
  check "gpt-2 verbose" $' 15496 "Hello"\n   995 " world"' "$("$bin" tokenize -m "$vocab" -v "Hello world")"
  check "stdin" "15496 995" "$(printf 'Hello world' | "$bin" tokenize -m "$vocab" -)"
  check "special as text" "27 91 437 1659 5239 91 29" "$("$bin" tokenize -m "$vocab" "<|endoftext|>")"
  check "special parsed" "50256" "$("$bin" tokenize -m "$vocab" --special "<|endoftext|>")"
  check "bos" "50256 15496" "$("$bin" tokenize -m "$vocab" --bos "Hello")"
  check "empty text" "" "$("$bin" tokenize -m "$vocab" "")"
  # without -m: modelconf.json's MODEL in the working folder, as every command reads it
  mc=$(mktemp -d)
  printf '{"MODEL": "%s"}\n' "$(cd "$(dirname "$vocab")" && pwd)/$(basename "$vocab")" >"$mc/modelconf.json"
  abs_bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
  check "MODEL from modelconf.json" "15496 995" "$(cd "$mc" && "$abs_bin" tokenize "Hello world" 2>&1)"
  check "stdin (-)" "15496 995" "$(printf 'Hello world' | "$bin" tokenize -m "$vocab" - 2>&1)"
  big_err=$(head -c 70000000 /dev/zero | "$bin" tokenize -m "$vocab" - 2>&1 >/dev/null); big_rc=$?
  check "stdin over 64 MiB: exit 2, one line" "2 fitchat tokenize: standard input is larger than 64 MiB, the most it reads" \
    "$big_rc $big_err"
  rm -rf "$mc"
else
  echo "skip gpt-2 vocabulary: $vocab not found"; skip=$((skip + 1))
fi
if [ -n "${FITCHAT_MODEL:-}" ] && [ -f "$FITCHAT_MODEL" ]; then
  check "default model chat tokens" "1 4093 198 26843 2" "$("$bin" tokenize -m "$FITCHAT_MODEL" --special $'<|im_start|>user\nHi<|im_end|>')"
else
  echo "skip default model: not found"; skip=$((skip + 1))
fi
"$bin" tokenize -m /nonexistent.gguf x >/dev/null 2>"${TMPDIR:-/tmp}/tok.err.$$"; rc=$?
check "missing file exit 2" 2 "$rc"
check "one error line" 1 "$(wc -l < "${TMPDIR:-/tmp}/tok.err.$$")"
rm -f "${TMPDIR:-/tmp}/tok.err.$$"
"$bin" tokenize --bogus x >/dev/null 2>&1; check "bad flag exit 2" 2 "$?"
"$bin" tokenize -m x >/dev/null 2>&1; check "no text exit 2" 2 "$?"
"$bin" tokenize --help >/dev/null 2>&1; check "help exit 0" 0 "$?"
echo "@@ $pass $fail $skip"
