#!/usr/bin/env bash
# gpu-check — everything the CUDA backend promises, checked on a machine with
# an NVIDIA GPU from the repository alone (no model download, no network), in
# well under 8 minutes on a 16-core machine with an H100/H200:
#   build    build/ as it is when gpu-check built it from these very sources
#            (a hash of them in build/gpu-check.stamp: a carried build), else
#            make CUDA=1 -j$(nproc) when nvcc is on the PATH, else the carried
#            build/ anyway, said which;
#   gpu      fitchat gpu and nvidia-smi: the card, driver and memory bandwidth;
#   models   random-weight Llama GGUFs written on the spot by
#            tests/tools/gen_llama_1b from the repository's vocabulary
#            (tests/data/external/tokenizer/ggml-vocab-llama-spm.gguf): "tiny"
#            for the end-to-end check, the Llama 3.2 1B shape and the Llama 3
#            8B shape (4.9 GB) in Q4_K_M, vocabulary padded to Llama 3's 128256;
#   parity   build/tests/test_cuda: every kernel against its CPU twin;
#   e2e      tests/cuda.test.sh on "tiny": logits and greedy ids, GPU against
#            CPU, at 0 / half / all layers, KV f16 and q8_0, allocations = plan;
#   slots    the server's slots on the GPU: test_engine's batch invariance on
#            "tiny" (8 sequences alone and in one batch, half the layers and the
#            head on the GPU, bit for bit); with --emu only a row pointing to
#            tests/cuda_emu.test.sh, which runs it on the emulator;
#   memory   per model at a quarter / half / all layers: the plan's GPU bytes,
#            the allocation log (equal by construction), the CUDA context the
#            engine measured and what nvidia-smi says the process holds;
#   speed    per model at 0 / half / all layers: pp512 and tg128 tokens/s, and
#            the fraction of the card's bandwidth that generation reaches;
#   context  the measured context as the row to add to the table of measured
#            CUDA contexts (src/plan/memory.c, docs/gpu.md).
# Each phase prints its row of the summary as it ends (so a run cut short still
# reports) and appends it to $OUT/summary.txt; the logs go beside it (8 files
# at most). The 8B's memory and speed rows are skipped when the run has
# already used GPU_CHECK_BUDGET_S (default 300) seconds.
# Usage: bash scripts/gpu-check.sh [--emu] [--build-only]
#   --emu         the CUDA host emulator (make cuda-emu, build-cudaemu/ used as
#                 it is when complete): the kernels run on the CPU, small shapes
#                 ("tiny", "mini" as the 1B and 8B), short benches; what
#                 tests/gpu_check.test.sh runs so that this script cannot rot.
#   --build-only  build (and stamp) build/, nothing else: to carry it to a
#                 machine without nvcc.
# Environment: OUT (folder for the summary and logs; default a new temp
# folder), JOBS (make -j, default nproc), REPS (bench repetitions on the GPU,
# default 3), GPU_BW_GBS (the card's bandwidth in GB/s when the name is not in
# the table), GPU_CHECK_MODELS (where the models are written; default a temp
# folder, removed at the end), GPU_CHECK_BUDGET_S.
set -u
cd "$(dirname "$0")/.."
emu=0; build_only=0
for a in "$@"; do
  case "$a" in
    --emu) emu=1;; --build-only) build_only=1;;
    *) echo "usage: bash scripts/gpu-check.sh [--emu] [--build-only]" >&2; exit 2;;
  esac
done
JOBS=${JOBS:-$(nproc)}
REPS=${REPS:-3}
BUDGET=${GPU_CHECK_BUDGET_S:-300}
T0=$SECONDS
out=${OUT:-}
[ -n "$out" ] || out=$(mktemp -d /tmp/gpu-check.XXXXXX)
mkdir -p "$out" || { echo "gpu-check: cannot create $out"; exit 1; }
sum=$out/summary.txt
: >"$sum"
# the logs (with summary.txt: 8 files)
L_BUILD=$out/build.log L_GPU=$out/gpu.log L_MODELS=$out/models.log L_PARITY=$out/parity.log
L_E2E=$out/e2e.log L_MEM=$out/memory.log L_SPEED=$out/speed.log
: >"$L_BUILD"; : >"$L_GPU"; : >"$L_MODELS"; : >"$L_PARITY"; : >"$L_E2E"; : >"$L_MEM"; : >"$L_SPEED"
fail=0
# row PHASE TEXT: one line of the summary, printed now and kept in summary.txt
row() { local r; r=$(printf '| %-8s | %s' "$1" "$2"); echo "$r"; echo "$r" >>"$sum"; }
since() { echo $((SECONDS - $1)); }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }
# bytes of a size as fitchat prints it ("1.5 GiB", "300 MiB", "12 B")
to_bytes() { awk '{ v=$1; u=$2; m=1; if (u=="KiB") m=1024; else if (u=="MiB") m=1048576; else if (u=="GiB") m=1073741824; printf "%.0f", v*m }'; }
# sources hash: which sources a build/ was made from (no git needed)
src_hash() { find src tests Makefile mk -type f \( -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' -o -name '*.cpp' -o -name '*.mk' -o -name Makefile \) -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-16; }
echo "gpu-check: summary and logs in $out"

# --- build -----------------------------------------------------------------
t=$SECONDS
if [ $emu -eq 1 ]; then
  B=build-cudaemu
  need=("$B/fitchat" "$B/tests/test_cuda" "$B/tests/tools/gen_llama_1b" "$B/tests/tools/cmp_logits")
  have=1; for f in "${need[@]}"; do [ -x "$f" ] || have=0; done
  if [ $have -eq 1 ]; then
    how="CUDA host emulator: $B/ as it is (make cuda-emu not run)"
  elif make -j"$JOBS" cuda-emu >"$L_BUILD" 2>&1; then
    how="CUDA host emulator: make cuda-emu -j$JOBS"
  else
    row build "FAILED: make cuda-emu (build.log)"; exit 1
  fi
else
  B=build
  need=("$B/fitchat" "$B/tests/test_cuda" "$B/tests/tools/gen_llama_1b" "$B/tests/tools/cmp_logits")
  hash=$(src_hash)
  have=1; for f in "${need[@]}"; do [ -x "$f" ] || have=0; done
  stamp=$(cat "$B/gpu-check.stamp" 2>/dev/null)
  if [ $have -eq 1 ] && [ "$stamp" = "$hash" ] && "$B/fitchat" gpu 2>/dev/null | grep -q "^CUDA backend: built,"; then
    # a build/ this script made from these very sources (carried here, or an earlier run)
    how="build/ as it is: built by gpu-check from these sources (stamp $hash)"
  elif command -v nvcc >/dev/null 2>&1; then
    nv=$(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')
    if make -j"$JOBS" CUDA=1 all "$B/tests/test_cuda" "$B/tests/test_engine" >"$L_BUILD" 2>&1; then
      echo "$hash" >"$B/gpu-check.stamp"
      how="make CUDA=1 -j$JOBS with nvcc $nv"
    else
      row build "FAILED: make CUDA=1 with nvcc $nv (build.log)"; exit 1
    fi
  else
    [ $have -eq 1 ] || { row build "FAILED: no nvcc on the PATH and no carried build/ (${need[*]})"; exit 1; }
    if [ -z "$stamp" ]; then how="no nvcc: the carried build/, from unknown sources (no gpu-check stamp)"
    else how="no nvcc: the carried build/, built from OTHER sources (stamp $stamp, these $hash)"; fi
  fi
fi
row build "$how ($(since $t) s)"
[ $build_only -eq 1 ] && exit 0
bin=$B/fitchat

# --- gpu -------------------------------------------------------------------
t=$SECONDS
unset FITCHAT_GPU
"$bin" gpu >"$L_GPU" 2>&1
line=$(grep "^CUDA backend:" "$L_GPU")
if [ $emu -eq 1 ]; then
  grep -q "built (host emulator), [1-9]" <<<"$line" || { row gpu "FAILED: $line"; exit 1; }
  # the emulated device's size as GPU 0 of the plan (no NVML to list it)
  export FITCHAT_GPU=2GiB
  gpu_name="CUDA host emulator"; driver="-"; bw=0
  # an nvidia-smi on the PATH is sampled as on a GPU (tests/gpu_check.test.sh puts a fake one there)
  smi=0; command -v nvidia-smi >/dev/null 2>&1 && smi=1
  row gpu "$gpu_name, 2 GiB, $([ $smi -eq 1 ] && echo "nvidia-smi $(command -v nvidia-smi)" || echo "no nvidia-smi"), no bandwidth ($(since $t) s)"
else
  grep -q "^CUDA backend: built, [1-9]" <<<"$line" || { row gpu "FAILED: no usable GPU: ${line:-fitchat gpu failed} (gpu.log)"; exit 1; }
  smi=0; command -v nvidia-smi >/dev/null 2>&1 && smi=1
  gpu_name=unknown; driver=unknown; total=?
  if [ $smi -eq 1 ]; then
    nvidia-smi >>"$L_GPU" 2>&1
    IFS=, read -r gpu_name driver total < <(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader,nounits | head -1)
    gpu_name=$(echo $gpu_name); driver=$(echo $driver); total=$(echo $total)
  fi
  # Peak memory bandwidth (GB/s) of common cards: the ceiling of generation.
  bw=${GPU_BW_GBS:-}
  if [ -z "$bw" ]; then
    case "$gpu_name" in
      *H200*) bw=4800;; *"H100 NVL"*) bw=3900;; *H100*PCIe*) bw=2000;; *H100*) bw=3350;;
      *A100*80GB*PCIe*) bw=1935;; *A100*80GB*) bw=2039;; *A100*) bw=1555;;
      *L40S*|*L40*) bw=864;; *"RTX 4090"*) bw=1008;; *"RTX 3090"*) bw=936;; *"RTX 4080"*) bw=717;;
      *"RTX 3070"*) bw=448;; *"RTX 4070"*) bw=504;; *T4*) bw=320;; *) bw=0;;
    esac
  fi
  row gpu "$gpu_name, $total MiB, driver $driver, bandwidth ${bw} GB/s$([ $smi -eq 1 ] || echo ', no nvidia-smi') ($(since $t) s)"
fi

# --- models ----------------------------------------------------------------
t=$SECONDS
mdir=${GPU_CHECK_MODELS:-}
if [ -z "$mdir" ]; then mdir=$(mktemp -d /tmp/gpu-check-models.XXXXXX); trap 'rm -rf "$mdir"' EXIT; fi
mkdir -p "$mdir"
vocab=tests/data/external/tokenizer/ggml-vocab-llama-spm.gguf
gen() { # SHAPE [ -v N ]: writes $mdir/SHAPE.gguf unless present
  [ -f "$mdir/$1.gguf" ] && return 0
  "$B/tests/tools/gen_llama_1b" -s "$1" "${@:2}" -j "$JOBS" "$vocab" "$mdir/$1.gguf.part" >>"$L_MODELS" 2>&1 &&
    mv "$mdir/$1.gguf.part" "$mdir/$1.gguf"
}
if [ $emu -eq 1 ]; then big=(tiny mini); else big=(1b 8b); fi
made=()
gen tiny && made+=(tiny) || { fail=1; row models "FAILED: tiny (models.log)"; }
for s in "${big[@]}"; do
  [ "$s" = tiny ] && continue
  # the 8B needs 4.9 GB: leave it out when the disk has less than twice that
  if [ "$s" = 8b ] && [ "$(df -Pk "$mdir" | awk 'NR == 2 {print $4}')" -lt $((10 * 1024 * 1024)) ]; then
    row models "8b left out: less than 10 GB free in $mdir"; continue
  fi
  # Llama 3's vocabulary size on a GPU; the emulator keeps the 32000 of the file (its head would take minutes)
  if [ $emu -eq 1 ]; then pad=(); else pad=(-v 128256); fi
  gen "$s" "${pad[@]}" && made+=("$s") || { fail=1; row models "FAILED: $s (models.log)"; }
done
sizes=""; for s in "${made[@]}"; do sizes+="$s $(mib "$(stat -c %s "$mdir/$s.gguf")") MiB, "; done
row models "${sizes%, } from $(basename "$vocab"), in $mdir ($(since $t) s)"

# --- parity ----------------------------------------------------------------
t=$SECONDS
"$B/tests/test_cuda" >"$L_PARITY" 2>&1
rc=$?
read -r _ p f s < <(grep '^@@' "$L_PARITY" | tail -1)
# (one skip is expected: test_no_gpu_reports, which needs the absence of a GPU)
if [ -n "${p:-}" ] && [ "$rc" -eq 0 ] && [ "$f" -eq 0 ] && [ "$p" -gt 0 ]; then
  row parity "kernels against their CPU twins: $p passed, $s skipped ($(since $t) s)"
else
  fail=1; row parity "FAILED: ${p:-?} passed, ${f:-?} failed, ${s:-?} skipped, exit $rc (parity.log) ($(since $t) s)"
fi

# --- e2e -------------------------------------------------------------------
t=$SECONDS
if [ -f "$mdir/tiny.gguf" ]; then
  FITCHAT_MODEL=$mdir/tiny.gguf FITCHAT_CUDA_PROMPT="Once upon a time, in a small village by the sea, there lived" \
    bash tests/cuda.test.sh "$B" >"$L_E2E" 2>&1
  read -r _ p f s < <(grep '^@@' "$L_E2E" | tail -1)
  if [ -n "${p:-}" ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
    row e2e "tiny: logits + greedy ids GPU = CPU at 0 / half / all layers, KV f16 and q8_0, allocations = plan: $p passed ($(since $t) s)"
  else
    fail=1; row e2e "FAILED: ${p:-?} passed, ${f:-?} failed, ${s:-?} skipped (e2e.log) ($(since $t) s)"
  fi
fi

# --- slots -------------------------------------------------------------------
t=$SECONDS
if [ $emu -eq 1 ]; then
  row slots "batch invariance of the CUDA stage: run on the emulator by tests/cuda_emu.test.sh, not here"
elif [ -f "$mdir/tiny.gguf" ] && [ -x "$B/tests/test_engine" ]; then
  FITCHAT_MODEL=$mdir/tiny.gguf T_ONLY=test_batch_invariance_devices "$B/tests/test_engine" >>"$L_E2E" 2>&1
  if grep -q "^ok   test_batch_invariance_devices" "$L_E2E"; then
    row slots "tiny: 8 sequences alone = in one batch, half the layers and the head on the GPU, bit for bit ($(since $t) s)"
  else
    fail=1; row slots "FAILED: batch invariance with the CUDA stage (e2e.log) ($(since $t) s)"
  fi
else
  row slots "not run: no tiny model or no $B/tests/test_engine (make CUDA=1 $B/tests/test_engine)"
fi

# --- memory and speed, per model ---------------------------------------------
ctx_seen=""
for s in "${made[@]}"; do
  [ "$s" = tiny ] && [ $emu -eq 0 ] && continue
  m=$mdir/$s.gguf
  if [ "$s" = 8b ] && [ $((SECONDS - T0)) -gt "$BUDGET" ]; then
    row memory "8b: left out, $((SECONDS - T0)) s used of the ${BUDGET} s budget"; continue
  fi
  L=$("$bin" info "$m" 2>/dev/null | awk '$1 == "layers" {print $2 + 0; exit}')
  [ -n "$L" ] && [ "$L" -gt 0 ] || { row memory "FAILED: $s: cannot read the layer count"; fail=1; continue; }
  half=$((L / 2)); gpu_weights=0
  if [ $emu -eq 1 ]; then n_mem=2; else n_mem=64; fi
  for ngl in $((L / 4)) $half $L; do
    t=$SECONDS
    log=$(mktemp)
    idle=0; [ $smi -eq 1 ] && idle=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 2>/dev/null | head -1)
    idle=${idle:-0}
    "$bin" run -m "$m" -p "Once upon a time" -n $n_mem --temp 0 -ngl $ngl --mem >/dev/null 2>"$log" &
    pid=$!
    # the process's own line in nvidia-smi; in a container its pid may not be
    # ours (another pid namespace), then the device's used memory above idle
    peak=0; dpeak=0
    while kill -0 $pid 2>/dev/null; do
      if [ $smi -eq 1 ]; then
        u=$(nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits 2>/dev/null | awk -F', *' -v p=$pid '$1 == p {print $2}')
        [ -n "$u" ] && [ "$u" -gt "$peak" ] && peak=$u
        u=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 2>/dev/null | head -1)
        [ -n "$u" ] && [ $((u - idle)) -gt "$dpeak" ] && dpeak=$((u - idle))
      fi
      sleep 0.1
      [ $((SECONDS - t)) -gt 120 ] && kill $pid 2>/dev/null # stuck: the row says it failed
    done
    wait $pid; rc=$?
    how_smi="process"
    [ "$peak" -eq 0 ] && { peak=$dpeak; how_smi="device used above idle"; }
    { echo "== $s, -ngl $ngl (exit $rc, nvidia-smi peak $peak MiB, $how_smi)"; cat "$log"; } >>"$L_MEM"
    dev=$(grep -E "^(CUDA host emulator )?GPU [0-9]" "$log" | head -1)
    rm -f "$log"
    if [ $rc -ne 0 ] || [ -z "$dev" ]; then row memory "FAILED: $s, $ngl of $L layers: exit $rc (memory.log)"; fail=1; continue; fi
    IFS='|' read -r pw pk pb pf < <(sed -n 's/.*planned weights \([0-9.]* [KMG]*i*B\), KV \([0-9.]* [KMG]*i*B\), buffers \([0-9.]* [KMG]*i*B\), fixed \([0-9.]* [KMG]*i*B\).*/\1|\2|\3|\4/p' <<<"$dev")
    ctx=$(sed -n 's/.*CUDA context measured \([0-9.]* [KMG]*i*B\).*/\1/p' <<<"$dev")
    [ -n "$ctx" ] && ctx_seen=$ctx
    planned=$(( $(to_bytes <<<"${pw:-0 B}") + $(to_bytes <<<"${pk:-0 B}") + $(to_bytes <<<"${pb:-0 B}") ))
    [ "$ngl" -eq "$L" ] && gpu_weights=$(to_bytes <<<"${pw:-0 B}")
    if grep -q "matches the plan to the byte" <<<"$dev"; then alloc="allocated = planned"; else alloc="allocated DIFFERS"; fail=1; fi
    if [ $smi -eq 1 ]; then
      expect=$(( planned + $(to_bytes <<<"${ctx:-0 B}") ))
      smitxt="nvidia-smi $peak MiB ($how_smi; planned + context $(mib $expect) MiB, $(awk -v a="$peak" -v b="$(mib $expect)" 'BEGIN { printf "%+d", a - b }') MiB)"
    else
      smitxt="nvidia-smi n/a"
    fi
    row memory "$s $ngl/$L layers: planned $(mib $planned) MiB (weights $pw, KV $pk, buffers $pb), $alloc, plan's fixed $pf, context measured ${ctx:-?}, $smitxt ($(since $t) s)"
  done
  if [ "$s" = 8b ] && [ $((SECONDS - T0)) -gt "$BUDGET" ]; then
    row speed "8b: left out, $((SECONDS - T0)) s used of the ${BUDGET} s budget"; continue
  fi
  for ngl in 0 $half $L; do
    t=$SECONDS
    if [ $emu -eq 1 ]; then args=(-p 4 -n 1 -r 1)
    elif [ "$ngl" -eq 0 ]; then args=(-p 128 -n 16 -r 1) # the CPU alone: a reference, kept short
    elif [ "$ngl" -lt "$L" ]; then args=(-p 512 -n 128 -r 1) # the CPU's half dominates: once (after the warm-up)
    else args=(-p 512 -n 128 -r "$REPS"); fi
    res=$(timeout 180 "$bin" bench -m "$m" "${args[@]}" -ngl $ngl 2>&1)
    rc=$?
    { echo "== $s, -ngl $ngl ${args[*]} (exit $rc)"; echo "$res"; } >>"$L_SPEED"
    pp=$(awk -F'|' '$8 ~ /pp/ {split($9, a, " "); print a[1]}' <<<"$res")
    tg=$(awk -F'|' '$8 ~ /tg/ {split($9, a, " "); print a[1]}' <<<"$res")
    if [ $rc -ne 0 ] || [ -z "$tg" ]; then row speed "FAILED: $s, $ngl of $L layers (speed.log)"; fail=1; continue; fi
    frac=""
    # bytes read per generated token with every layer on the GPU: the weights it holds
    # (the plan's number; the KV reads are small at this context)
    if [ "$ngl" -eq "$L" ] && [ "$bw" -gt 0 ] && [ "$gpu_weights" -gt 0 ]; then
      frac=$(awk -v b="$gpu_weights" -v t="$tg" -v bw="$bw" 'BEGIN { printf ", %.0f%% of %d GB/s (%.0f MiB read per token)", 100 * b * t / (bw * 1e9), bw, b / 1048576 }')
    fi
    row speed "$s $ngl/$L layers: ${args[1]} tokens at $pp t/s, ${args[3]} generated at $tg t/s$frac ($(since $t) s)"
  done
done

# --- context ---------------------------------------------------------------
if [ -n "$ctx_seen" ]; then
  cb=$(to_bytes <<<"$ctx_seen")
  if [ $emu -eq 1 ]; then
    row context "$ctx_seen on the emulator (its fixed stand-in, not a measurement: not for the table)"
  else
    row context "$ctx_seen on $gpu_name, driver $driver: for src/plan/memory.c MEM_CUDA_CONTEXTS: {\"$gpu_name\", \"${driver%%.*}\", $cb}, /* gpu-check $(date -u +%F) */"
  fi
fi

if [ $fail -eq 0 ]; then row result "all checks passed in $((SECONDS - T0)) s"; else row result "FAILURES (see the logs in $out) after $((SECONDS - T0)) s"; fi
exit $fail
