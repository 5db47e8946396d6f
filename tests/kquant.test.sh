#!/usr/bin/env bash
# fitchat on a tiny random-weight llama whose matrices are K-quants and IQ4
# (tests/tools/make_kquant_llama.py; legacy types mixed into the same layers,
# so one input is quantized to both activation forms), against the float64
# reference (tests/reference/ref_forward.py, gguf's dequantization).
#   tests/kquant.test.sh BUILD_DIR      (last line: @@ PASSED FAILED SKIPPED)
# Tolerances: random weights make this model ill-conditioned: with Q8_0
# weights only (kernels known good) exact mode is already at 2.5e-4 rel err and
# fast mode at 1.6e-2; the K-quant model measured 9.2e-3 max / 1.1e-3 mean
# (exact) and 0.46 max / 0.064 mean (fast, one sensitive position). A wrong
# layout, scale or offset in any tensor gives rel errors of order 1 everywhere.
set -u
cd "$(dirname "$0")/.."
. tests/lib/refsetup.sh "${1:-build}" 4
if ! "$py" tests/tools/make_kquant_llama.py "$tmp/kq.gguf"; then
  echo "FAIL: make_kquant_llama.py"; fail=1; finish
fi
run() { # name, tol max, tol mean, extra args
  if "$py" tests/reference/compare.py --model "$tmp/kq.gguf" --fitchat "$fitchat" --tokens "$toks" --greedy 0 \
      --tol "$2" --tol-mean "$3" --ref-cache "$tmp/ref" "${@:4}"; then
    echo "ok   $1"; pass=$((pass + 1))
  else
    echo "FAIL $1"; fail=$((fail + 1))
  fi
}
run "K-quant llama, exact mode vs reference" 0.03 0.005 --exact
run "K-quant llama, fast mode (Q8/Q8K activations) vs reference" 1.0 0.15
# Repacked weights (REPACK, on where the CPU's kernels have a layout for a
# type): the same logits bit for bit as the original rows, and the plan item
# for item in the allocation (matches the plan to the byte). On the tiny
# K-quant llama (Q4_K, Q4_0 among its types) and on the default model (Q4_1).
repack_same() { # name, model, tokens
  if "$fitchat" run -m "$2" --tokens "$3" -n 0 -t 2 --logits-out "$tmp/rp_on.bin" --mem 2>"$tmp/rp_on.err" >/dev/null &&
     "$fitchat" run -m "$2" --tokens "$3" -n 0 -t 2 --logits-out "$tmp/rp_off.bin" --no-repack 2>/dev/null >/dev/null &&
     cmp -s "$tmp/rp_on.bin" "$tmp/rp_off.bin" && grep -q "matches the plan to the byte" "$tmp/rp_on.err"; then
    echo "ok   repacked weights, $1: the same logits as REPACK off ($(grep -o 'repacked [0-9.]* [KMG]*i*B' "$tmp/rp_on.err" | head -1 || echo 'none on this CPU'))"; pass=$((pass + 1))
  else
    echo "FAIL repacked weights, $1: logits differ from REPACK off, or the allocation from the plan"; cat "$tmp/rp_on.err"; fail=$((fail + 1))
  fi
}
repack_same "tiny K-quant llama" "$tmp/kq.gguf" "$toks"
tok_model=${XDG_CACHE_HOME:-$HOME/.cache}/fitchat/models/SmolLM2-135M-Instruct.Q4_1.gguf
if [ -r "$tok_model" ]; then
  repack_same "SmolLM2-135M Q4_1" "$tok_model" "1 504 3570 282 2913 314 260 1329 28 1953 30 2 198 1004 7223 3085 353 3765 314 1296"
else
  echo "skip repacked weights on the default model: not fetched (make models)"; skip=$((skip + 1))
fi
gemma=${XDG_CACHE_HOME:-$HOME/.cache}/fitchat/models/gemma-3-270m-q4_k_m.gguf
if [ -r "$gemma" ]; then # Q8_0, Q5_0, Q4_K and Q6_K layer matrices
  repack_same "Gemma 3 270M Q4_K_M" "$gemma" "2 105 2364 107 3048 563 506 2864 529 9405 236881 1599 2203 532 2864 4906 236761 108 13 204 1004 7223"
else
  echo "skip repacked weights on Gemma 3 270M: not fetched (make models-extra)"; skip=$((skip + 1))
fi
# The 256-bit and 512-bit AVX-512 dots of Q4_0-Q8_0 (FITCHAT_DOTS; generation's kernels): the
# same logits bit for bit (a prompt fed one token at a time, -b 1, runs the dots), on the
# default model (Q4_1, the Q8_0 head) and Gemma 3 (Q5_0, Q8_0); fitchat bench names the width.
dots_same() { # name, model, tokens
  local line
  line=$(FITCHAT_DOTS=512 "$fitchat" bench -m "$2" -p 8 -n 0 -t 1 -r 1 2>/dev/null | grep '^CPU: ')
  if [[ "$line" != *"4/5/8-bit dots: 512-bit (FITCHAT_DOTS=256 forces 256)"* ]]; then
    echo "skip 512-bit dots, $1: not AVX-512 kernels here (${line:-no CPU line})"; skip=$((skip + 1)); return
  fi
  if FITCHAT_DOTS=512 "$fitchat" run -m "$2" --tokens "$3" -n 0 -b 1 -t 2 --logits-out "$tmp/d512.bin" >/dev/null 2>&1 &&
     FITCHAT_DOTS=256 "$fitchat" run -m "$2" --tokens "$3" -n 0 -b 1 -t 2 --logits-out "$tmp/d256.bin" >/dev/null 2>&1 &&
     [ -s "$tmp/d512.bin" ] && cmp -s "$tmp/d512.bin" "$tmp/d256.bin" &&
     FITCHAT_DOTS=256 "$fitchat" bench -m "$2" -p 8 -n 0 -t 1 -r 1 2>/dev/null | grep -q '4/5/8-bit dots: 256-bit'; then
    echo "ok   512-bit dots, $1: the same logits as the 256-bit ones (the prompt one token at a time: generation's path)"; pass=$((pass + 1))
  else
    echo "FAIL 512-bit dots, $1: logits differ from the 256-bit dots' (or bench does not name the width)"; fail=$((fail + 1))
  fi
}
if [ -r "$tok_model" ]; then
  dots_same "SmolLM2-135M Q4_1" "$tok_model" "1 504 3570 282 2913 314 260 1329 28 1953 30 2 198 1004 7223 3085 353 3765 314 1296"
else
  echo "skip 512-bit dots on the default model: not fetched (make models)"; skip=$((skip + 1))
fi
if [ -r "$gemma" ]; then
  dots_same "Gemma 3 270M Q4_K_M" "$gemma" "2 105 2364 107 3048 563 506 2864 529 9405 236881 1599 2203 532 2864 4906 236761 108 13 204 1004 7223"
else
  echo "skip 512-bit dots on Gemma 3 270M: not fetched (make models-extra)"; skip=$((skip + 1))
fi
# The logits generation samples from (run --gen-logits-out): on the tiny K-quant llama (IQ4,
# K and legacy types), 6 greedy tokens, one token at a time (-b 1); row k must be what a
# prompt run of the same ids gives at that position, bit for bit (the same dots), and its
# argmax the token chosen.
gen_logits() {
  local ids n_p=12
  if "$fitchat" run -m "$tmp/kq.gguf" --tokens "$toks" -n 6 --greedy -b 1 -t 2 --gen-logits-out "$tmp/gen.bin" \
       --ids-out "$tmp/gen.ids" >/dev/null 2>"$tmp/gen.err" &&
     ids=$(cut -d' ' -f1-5 "$tmp/gen.ids") &&
     "$fitchat" run -m "$tmp/kq.gguf" --tokens "$toks $ids" -n 0 -b 1 -t 2 --logits-out "$tmp/all.bin" >/dev/null 2>>"$tmp/gen.err" &&
     "$py" - "$tmp/gen.bin" "$tmp/all.bin" "$tmp/gen.ids" "$n_p" <<'PY'
import sys, numpy as np
gen, allp, ids, n_p = np.fromfile(sys.argv[1], np.float32), np.fromfile(sys.argv[2], np.float32), sys.argv[3], int(sys.argv[4])
ids = [int(t) for t in open(ids).read().split()]
n_vocab = allp.size // (n_p + 5)
gen, allp = gen.reshape(-1, n_vocab), allp.reshape(-1, n_vocab)
assert gen.shape[0] == len(ids) == 6, (gen.shape, ids)
assert (gen.view(np.uint32) == allp[n_p - 1:].view(np.uint32)).all(), "rows differ from the prompt run"
assert list(gen.argmax(1)) == ids, (list(gen.argmax(1)), ids)
PY
  then
    echo "ok   run --gen-logits-out: the logits of 6 greedy tokens = a prompt run of the same ids, bit for bit; argmax = each token"
    pass=$((pass + 1))
  else
    echo "FAIL run --gen-logits-out"; cat "$tmp/gen.err"; fail=$((fail + 1))
  fi
}
gen_logits
# Batch invariance on K-quant weights (Q4_K, Q6_K: the dot4 kernels that serve several
# sequences' generation tokens in one step): test_engine's check (8 sequences alone and in
# one batch, bit for bit) on gen_llama_1b's tiny Q4_K_M llama.
if [ ! -r "$tok_model" ] || [ ! -x "$build/tests/test_engine" ]; then
  echo "skip batch invariance on a Q4_K_M llama: needs the default model's tokenizer (make models) and $build/tests/test_engine"
  skip=$((skip + 1))
elif "$build/tests/tools/gen_llama_1b" -s tiny "$tok_model" "$tmp/tiny.gguf" >/dev/null 2>&1 &&
   FITCHAT_MODEL="$tmp/tiny.gguf" T_ONLY=test_batch_invariance "$build/tests/test_engine" >"$tmp/bi.out" 2>&1 &&
   grep -q "^ok   test_batch_invariance" "$tmp/bi.out"; then
  echo "ok   batch invariance on a Q4_K_M llama (one step for 8 sequences = each alone, bit for bit)"; pass=$((pass + 1))
else
  echo "FAIL batch invariance on a Q4_K_M llama"; tail -5 "$tmp/bi.out" 2>/dev/null; fail=$((fail + 1))
fi
finish
