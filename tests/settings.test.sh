#!/usr/bin/env bash
# One settings path: in a folder with a modelconf.json that sets N_CTX,
# KV_CACHE_QUANT, TARGET_VRAM_USAGE, LAYERS, N_THREADS, N_BATCH and
# VRAM_RESERVE, `fitchat plan --json` and `fitchat run --mem` (an emulated
# GPU) agree on every device's layer range, n_ctx, KV types and bytes, and
# the run's allocation equals its plan to the byte. The settings themselves
# are checked in the plan against the file (not against fitchat's own
# defaults). Needs the default model ($FITCHAT_MODEL).
set -u
. "$(dirname "$0")/lib/tally.sh" "${1:-build}"
unset FITCHAT_RAM
model=${FITCHAT_MODEL:-}
if [ -z "$model" ] || [ ! -f "$model" ]; then skp "settings: default model absent (make models)"; finish; fi
cd "$tmp"
cat >modelconf.json <<EOF
{"MODEL": "$model", "N_CTX": 2048, "KV_CACHE_QUANT": "q8_0", "TARGET_VRAM_USAGE": 0.5, "LAYERS": 20,
 "N_THREADS": 2, "N_BATCH": 256, "VRAM_RESERVE": "100MiB"}
EOF
gpu="name=Card,total=1GiB,used=0,sim=1"
"$bin" plan --gpu "$gpu" --json >plan.json 2>plan.err || { bad "plan: $(cat plan.err)"; finish; }
"$bin" run --gpu "$gpu" -p "The capital of France is" -n 2 --mem >run.out 2>run.err || { bad "run: $(cat run.err)"; finish; }
out=$(python3 - plan.json run.err 2>&1 <<'PY'
import json, re, sys
plan = json.load(open(sys.argv[1]))
run = open(sys.argv[2]).read()
def fmt(b):  # src/util/fmt.c fmt_bytes
    v, u = float(b), 0
    while v >= 1024 and u < 4:
        v /= 1024; u += 1
    if u == 0: return "%d B" % b
    return ("%.0f %s" if v >= 100 else "%.1f %s" if v >= 10 else "%.2f %s") % (v, ["B", "KiB", "MiB", "GiB", "TiB"][u])
res = []
def check(name, cond, why=""):
    res.append(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + why))
# the file's settings reached the plan
check("plan reads N_CTX, KV, N_BATCH", plan["n_ctx"] == 2048 and plan["type_k"] == "q8_0" and plan["type_v"] == "q8_0"
      and plan["n_batch"] == 256, str((plan["n_ctx"], plan["type_k"], plan["n_batch"])))
check("plan reads LAYERS", plan["n_gpu_layers"] == 20, str(plan["n_gpu_layers"]))
budget = plan["devices"][0]["budget_bytes"]
check("plan reads TARGET and VRAM_RESERVE", budget == min(0.5 * 2**30, 2**30 - 128 * 2**20) - 100 * 2**20, str(budget))
m = re.search(r"plan: (\d+)/(\d+) layers on .*, KV (\S+), (\d+) ctx", run)
check("run's plan line", m is not None and int(m.group(1)) == plan["n_gpu_layers"] and m.group(3) == plan["type_k"]
      and int(m.group(4)) == plan["n_ctx"], m.group(0) if m else run[:300])
# per device: the same layer range and bytes, and allocation == plan to the byte
lines = [l for l in run.splitlines() if "planned weights" in l]
cpu = [l for l in lines if l.startswith("CPU")]
gpus = [l for l in lines if l.startswith("emulated GPU")]
def same(line, b):
    want = "planned weights %s, KV %s, buffers %s" % (fmt(b["weights"]), fmt(b["kv"]), fmt(b["buffers"]))
    return want in line and "matches the plan to the byte" in line, want
ok_, want = same(cpu[0], plan["cpu"]["planned_bytes"]) if cpu else (False, "no CPU line")
check("CPU bytes and allocation", ok_, want + " vs " + (cpu[0] if cpu else ""))
d = [x for x in plan["devices"] if x["n_layers"] or x["output"]]
check("one GPU line per device", len(gpus) == len(d), "%d vs %d" % (len(gpus), len(d)))
for x, line in zip(d, gpus):
    rng = "layers %d-%d%s" % (x["first_layer"], x["first_layer"] + x["n_layers"] - 1, " + head" if x["output"] else "")
    ok_, want = same(line, x["planned_bytes"])
    check("GPU %d range, bytes and allocation" % x["gpu"], rng in line and ok_, rng + "; " + want + " vs " + line)
print("\n".join(res))
PY
)
echo "$out"
pass=$((pass + $(grep -c '^ok' <<<"$out"))); fail=$((fail + $(grep -c '^FAIL' <<<"$out")))
grep -q '^ok\|^FAIL' <<<"$out" || fail=$((fail + 1))
# N_THREADS reaches the plan: the CPU's scratch grows with the threads of the file's setting.
b2=$(python3 -c 'import json,sys; print(json.load(open("plan.json"))["cpu"]["planned_bytes"]["buffers"])')
b1=$("$bin" plan --gpu "$gpu" -t 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["cpu"]["planned_bytes"]["buffers"])')
if [ "$b2" -gt "$b1" ]; then ok "plan reads N_THREADS ($b1 bytes of buffers at 1 thread, $b2 at 2)"; else bad "plan reads N_THREADS: $b1 vs $b2"; fi
# bench in the same folder runs what the chat runs: the file's LAYERS and KV types.
out=$("$bin" bench --gpu "$gpu" -p 8 -n 2 -r 1 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -Eq '\| +2 \| +20 \| +Q8_0/Q8_0 \|.*\| +tg2 \|' <<<"$out"; then ok "bench reads the file: 20 layers on the GPU, KV q8_0, 2 threads"
else bad "bench reads the file: rc=$rc $out"; fi
# --parallel N plans what `fitchat serve -np N` runs: N KV caches, logits for each.
"$bin" plan --parallel 3 --json >par.json 2>par.err || bad "plan --parallel 3: $(cat par.err)"
out=$(python3 - plan.json par.json <<'PY'
import json, sys
one, three = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
kv1 = sum(l["kv_bytes"] for l in one["layers"]); kv3 = sum(l["kv_bytes"] for l in three["layers"])
ok = three["n_parallel"] == 3 and one["n_parallel"] == 1 and kv3 == 3 * kv1 and \
     three["cpu"]["planned_bytes"]["kv"] + sum(d["planned_bytes"]["kv"] for d in three["devices"]) == kv3
print(("ok   " if ok else "FAIL ") + "plan --parallel 3: three KV caches (%d vs %d bytes)" % (kv3, kv1))
PY
)
echo "$out"
pass=$((pass + $(grep -c '^ok' <<<"$out"))); fail=$((fail + $(grep -c '^FAIL' <<<"$out")))
# The manifest (--items): every device's items add up to its planned bytes
# by kind, KV halves one per layer, and the CPU's weights are mapped.
"$bin" plan --gpu "$gpu" --json --items >items.json 2>items.err || bad "plan --items: $(cat items.err)"
out=$(python3 - items.json <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
res = []
devs = [("CPU", o["cpu"], 0, o["cpu"]["n_layers"])] + [("GPU %d" % d["gpu"], d, d["first_layer"], d["n_layers"]) for d in o["devices"]]
for name, d, first, n in devs:
    items = d["items"]
    sums = {"weights": 0, "kv": 0, "buffers": 0, "fixed": 0, "repacked": 0}
    for it in items:
        sums[{"weights": "weights", "kv k": "kv", "kv v": "kv", "buffer": "buffers", "fixed": "fixed", "repacked": "repacked"}[it["kind"]]] += it["bytes"]
    pb = d["planned_bytes"]
    ok = all(sums[k] == pb[k] for k in sums) and sum(sums.values()) == pb["total"]
    print(("ok   " if ok else "FAIL ") + "%s: %d items add up to the planned bytes %s" % (name, len(items), "" if ok else str((sums, pb))))
    kl = sorted(it["layer"] for it in items if it["kind"] == "kv k")
    ok = kl == list(range(first, first + n))
    print(("ok   " if ok else "FAIL ") + "%s: one KV item per layer %d..%d" % (name, first, first + n - 1))
cpu_w = [it for it in o["cpu"]["items"] if it["kind"] == "weights"]
ok = cpu_w and all(it["mapped"] for it in cpu_w) and any(it["name"] == "token_embd.weight" for it in cpu_w)
print(("ok   " if ok else "FAIL ") + "CPU weights are mapped, token embeddings among them")
PY
)
echo "$out"
pass=$((pass + $(grep -c '^ok' <<<"$out"))); fail=$((fail + $(grep -c '^FAIL' <<<"$out")))
finish
