#!/usr/bin/env bash
# info-speed — CPU time of `fitchat info` on a Llama-2-7B-shaped file.
#
# Writes a 7B-shaped GGUF (tests/tools/gen_7b_header.c: 32 layers, 32000-token
# vocabulary with scores, token types and 61000 merges, 291 Q4_K_M-like
# tensors; the ~3.8 GiB data region is a hole, so it takes ~2 MiB of disk),
# runs `fitchat info` on it RUNS times (default 10) after one warm-up, and
# reports the CPU time (user + sys, from getrusage of each child) as median,
# min and max. Appends/replaces the section in BENCHMARKS.md.
#
#   bash bench/info-speed.sh [BUILD_DIR]        (default build)
#   RUNS=20 bash bench/info-speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${RUNS:-10}
make -s -j2 BUILD="$build" "$build/fitchat" "$build/tests/tools/gen_7b_header" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
model=$tmp/llama2-7b-shape.Q4_K_M.gguf
"$build/tests/tools/gen_7b_header" "$model"
echo "on disk: $(du -h "$model" | cut -f1), apparent size: $(stat -c %s "$model") bytes"

python3 - "$build/fitchat" "$model" "$runs" "$tmp/result" <<'PY'
import os, resource, statistics, subprocess, sys, time
exe, model, runs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
cmd = [exe, "info", model]
subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)  # warm the page cache
cpu, wall = [], []
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    wall.append(time.perf_counter() - t0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
ms = lambda s: s * 1000.0
line = (f"cpu_ms median {ms(statistics.median(cpu)):.2f} min {ms(min(cpu)):.2f} max {ms(max(cpu)):.2f} "
        f"wall_ms median {ms(statistics.median(wall)):.2f} runs {runs}")
print(line)
open(out, "w").write(f"{ms(statistics.median(cpu)):.2f} {ms(min(cpu)):.2f} {ms(max(cpu)):.2f} {ms(statistics.median(wall)):.2f}\n")
PY

read -r med mn mx wmed <"$tmp/result"
machine=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git diff --quiet HEAD -- src 2>/dev/null || echo " (with uncommitted changes in src/)")
section=$(cat <<MD
## fitchat info on a 7B-size header

Reads metadata only: the time is parsing the header (32000 tokens with
scores and types, 61000 merges, 291 tensor infos) and printing the report;
tensor data is never touched. Target: well under 20 ms of CPU.

| | |
|---|---|
| machine | $machine ($(nproc) cores visible) |
| date | $(date -u +%Y-%m-%d) |
| commit | $commit$dirty |
| command | \`bash bench/info-speed.sh\` → \`fitchat info llama2-7b-shape.Q4_K_M.gguf\` ($(stat -c %s "$model") bytes apparent, $(du -k "$model" | cut -f1) KiB on disk, made by tests/tools/gen_7b_header) |
| CPU time (user+sys), median of $runs | **$med ms** |
| min / max | $mn ms / $mx ms |
| wall time, median | $wmed ms |
MD
)
python3 - "$section" <<'PY'
import os, re, sys
section = sys.argv[1].strip() + "\n"
path = "BENCHMARKS.md"
text = open(path).read() if os.path.exists(path) else "# fitchat benchmarks\n\nNumbers recorded by the scripts in bench/; each script owns its section.\n"
pat = re.compile(r"^## fitchat info on a 7B-size header\n.*?(?=^## |\Z)", re.S | re.M)
text = pat.sub(lambda m: section + "\n", text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
echo "BENCHMARKS.md updated: median $med ms CPU"
