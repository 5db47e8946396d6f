#!/usr/bin/env bash
# fitchat plan / fitchat gpu end to end on a hole-backed Mistral-7B fixture:
# --json carries what scripts need, bad flags fail with exit 2 and a message
# naming flag, value and allowed range, and no GPU is not an error.
set -u
build=${1:-build}
bin=$build/fitchat
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

"$build/tests/tools/mkfixture" mistral-7b-v0.1-q4_k_m "$tmp/m.gguf" >/dev/null || { echo "@@ 0 1 0"; exit 1; }

"$bin" plan "$tmp/m.gguf" --gpu "name=Quadro P4000,total=8GiB,used=857MiB" -c 32768 --json >"$tmp/p.json"
if python3 - "$tmp/p.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["n_gpu_layers"] == 20, p["n_gpu_layers"]
assert len(p["layers"]) == 32
assert all(l["kv_bytes"] == 128 << 20 for l in p["layers"])
assert all(l["weight_bytes"] > 0 for l in p["layers"])
d = p["devices"][0]
b = d["planned_bytes"]
assert b["weights"] + b["kv"] + b["buffers"] + b["fixed"] == b["total"] <= d["budget_bytes"]
assert [l["device"] for l in p["layers"]] == [-1] * 12 + [0] * 20
assert len(p["targets"]) == 4 and len(p["context_table"]) == 15
PY
then ok "plan --json"; else bad "plan --json"; fi
out=$("$bin" plan "$tmp/m.gguf" --gpu 8GiB 2>&1)
out2=$("$bin" plan "$tmp/m.gguf" --gpu 8GiB -ctk f16 -ctv f16 2>&1)
[[ "$out" == *"KV cache K f16, V f16: the default"* ]] && [[ "$out2" == *"KV cache K f16, V f16: set by KV_CACHE_QUANT"* ]] \
  && ok "the KV types' reason: the default, or set by the user" || bad "KV reason: $(grep 'KV cache K' <<<"$out$out2")"
err=$("$bin" plan "$tmp/m.gguf" -m "$tmp/other.gguf" 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$err" == *"more than one model"* ]] && ok "plan: a model and -m another: exit 2" || bad "two models: rc=$rc '$err'"
out=$("$bin" plan "$tmp/m.gguf" --gpu 8GiB -np 2 2>&1); rc=$?
[ $rc -eq 0 ] && [[ "$out" == *"slots: 2 (N_PARALLEL)"* ]] && ok "plan -np 2 (serve's spelling)" || bad "plan -np: rc=$rc"

out=$("$bin" plan "$tmp/m.gguf" --gpu 8GiB -c 32768 2>&1)
if grep -q "per layer: 124.8 MiB weights + 128.0 MiB KV (f16/f16) @ 32768" <<<"$out" && grep -q "context impact" <<<"$out" \
   && grep -q "^  - LAYERS auto" <<<"$out"; then ok "plan text"; else bad "plan text"; echo "$out"; fi

# No GPU (a library path that does not exist): every layer on the CPU, exit 0.
out=$(FITCHAT_NVML_LIB=/nonexistent/nvml.so FITCHAT_CUDART_LIB=/nonexistent/cudart.so "$bin" plan "$tmp/m.gguf" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "no GPU (NVML: /nonexistent/nvml.so not found" <<<"$out" && grep -q "plan: 0 of 32 layers" <<<"$out"; then
  ok "plan without GPU"; else bad "plan without GPU (rc $rc)"; echo "$out"; fi

check_err() { # name, expected substring, args...
  local name=$1 want=$2; shift 2
  local msg; msg=$("$bin" "$@" 2>&1 >/dev/null); local rc=$?
  if [ $rc -eq 2 ] && grep -qF -- "$want" <<<"$msg"; then ok "$name"; else bad "$name (rc $rc: $msg)"; fi
}
# fitchat plan reads its settings through the chat's loader: the same message per limit.
check_err "bad -ngl" "-ngl x: must be \"auto\" or an integer >= 0" plan "$tmp/m.gguf" --gpu 8GiB -ngl x
check_err "bad --target" "--target 1.2: must be a number with 0 < x <= 1, or a percentage (1%..100%)" plan "$tmp/m.gguf" --gpu 8GiB --target 1.2
check_err "bad -ctk" "-ctk q5_1: must be one of \"f16\", \"q8_0\", \"q4_0\", \"f32\", \"auto\"" plan "$tmp/m.gguf" -ctk q5_1
check_err "bad -c" "-c 0: must be \"auto\" or an integer from 16 to" plan "$tmp/m.gguf" -c 0
check_err "bad -fa" "--flash-attn maybe: must be \"auto\", \"on\", \"off\"" plan "$tmp/m.gguf" --flash-attn=maybe
check_err "bad --vram-reserve" "--vram-reserve lots: must be a size" plan "$tmp/m.gguf" --vram-reserve lots
check_err "bad --gpu" "total = '8XB' is not a size" gpu --gpu 8XB
check_err "bad model" "$tmp/none.gguf: cannot open" plan "$tmp/none.gguf" --gpu 8GiB

out=$(FITCHAT_GPU="name=A,total=8GiB;sim:512MiB" "$bin" gpu)
if grep -q "A " <<<"$out" && grep -q "emulated (host memory)" <<<"$out" && grep -q "FITCHAT_GPU" <<<"$out"; then ok "gpu env override"; else bad "gpu env override"; echo "$out"; fi
# a modelconf.json warning is printed once, by plan as by tokenize
printf '{"MODEL": "m.gguf", "TEMPRATURE": 1}\n' >"$tmp/modelconf.json"
abs=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
n=$(cd "$tmp" && "$abs" plan 2>&1 >/dev/null | grep -c "unknown key 'TEMPRATURE'")
t=$(cd "$tmp" && "$abs" tokenize hi 2>&1 >/dev/null | grep -c "unknown key 'TEMPRATURE'")
[ "$n" = 1 ] && [ "$t" = 1 ] && ok "modelconf.json warnings once (plan, tokenize)" || bad "warnings: plan $n, tokenize $t"
echo "@@ $pass $fail 0"
[ $fail -eq 0 ]
