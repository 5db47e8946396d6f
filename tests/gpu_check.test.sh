#!/usr/bin/env bash
# scripts/gpu-check.sh end to end on the CUDA host emulator (--emu), in a
# fresh clone of this repository with an empty home and model cache and the
# package index pointing nowhere, so that the script cannot rot between the
# rare runs on a real GPU: it must need nothing but the repository (models
# generated from its own vocabulary, the emulator build carried in as the
# device tool carries build/), finish every phase, print every row of its
# summary and leave at most 8 files in $OUT. The clone gets the working tree
# as git sees it (tracked and untracked files that are not ignored) over
# HEAD, so uncommitted changes are what is tested. Needs the emulator build
# (make test names it in FITCHAT_CUDA_EMU_BUILD; make cuda-emu); about a
# minute and a half on 2 busy cores. The argument (the suite's build folder)
# is not used.
set -u
N_CHECKS=7
emu=${FITCHAT_CUDA_EMU_BUILD:-}
cd "$(dirname "$0")/.."
repo=$(pwd)
[ -n "$emu" ] && [ "${emu#/}" = "$emu" ] && emu=$repo/$emu
carried=(fitchat tests/test_cuda tests/tools/gen_llama_1b tests/tools/cmp_logits)
for f in "${carried[@]}"; do
  if [ -z "$emu" ] || [ ! -x "$emu/$f" ]; then
    echo "skip gpu_check.test.sh: no emulator build with $f (make cuda-emu; make test names it)"; echo "@@ 0 0 $N_CHECKS"; exit 0
  fi
done
if ! git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
  echo "skip gpu_check.test.sh: $repo is not a git checkout (the test clones it)"; echo "@@ 0 0 $N_CHECKS"; exit 0
fi
pass=0; fail=0
ok() { echo "ok   [cuda-emu] $1"; pass=$((pass + 1)); }
bad() { echo "FAIL [cuda-emu] $1"; fail=$((fail + 1)); }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if ! git clone -q "$repo" "$tmp/clone" 2>"$tmp/err"; then
  bad "git clone: $(tail -n 1 "$tmp/err")"; echo "@@ $pass $((fail + N_CHECKS - 1)) 0"; exit 1
fi
git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$tmp/clone"
for f in "${carried[@]}"; do mkdir -p "$(dirname "$tmp/clone/build-cudaemu/$f")"; cp "$emu/$f" "$tmp/clone/build-cudaemu/$f"; done
mkdir -p "$tmp/home" "$tmp/out" "$tmp/bin"
# a stand-in nvidia-smi, so the memory rows' sampling and arithmetic run too:
# each fitchat of the clone holds 100 MiB, the device 50 MiB more than idle
cat >"$tmp/bin/nvidia-smi" <<EOF
#!/usr/bin/env bash
case "\$*" in
  *query-compute-apps*) for p in \$(pgrep -f "^build-cudaemu/fitchat run"); do echo "\$p, 100"; done;;
  *memory.used*) echo 50;;
  *) echo "fake nvidia-smi (tests/gpu_check.test.sh)";;
esac
EOF
chmod +x "$tmp/bin/nvidia-smi"
t0=$SECONDS
(cd "$tmp/clone" && env -u FITCHAT_MODEL -u FITCHAT_TESTDATA -u FITCHAT_GPU -u FITCHAT_BUILD \
   PATH="$tmp/bin:$PATH" HOME="$tmp/home" XDG_CACHE_HOME="$tmp/home/.cache" PIP_INDEX_URL=http://127.0.0.1:9/ \
   OUT="$tmp/out" JOBS=2 GPU_CHECK_MODELS="$tmp/models" bash scripts/gpu-check.sh --emu) >"$tmp/log" 2>&1
rc=$?
secs=$((SECONDS - t0))
sed 's/^/   /' "$tmp/out/summary.txt" 2>/dev/null
[ $rc -eq 0 ] && grep -q "^| result   | all checks passed" "$tmp/out/summary.txt" &&
  ok "gpu-check.sh --emu in a fresh clone: all checks passed in $secs s" ||
  { bad "gpu-check.sh --emu in a fresh clone: exit $rc after $secs s"; tail -n 20 "$tmp/log"; }
# every phase has its rows: 2 models x 3 layer counts for memory and speed
want="build:1 gpu:1 models:1 parity:1 e2e:1 slots:1 memory:6 speed:6 context:1 result:1"
got=""; for w in $want; do got+="${w%%:*}:$(grep -c "^| ${w%%:*} " "$tmp/out/summary.txt" 2>/dev/null) "; done
[ "$got" = "$want " ] && ok "summary rows per phase: $want" || bad "summary rows per phase: $got, want $want"
# the summary on stdout is the file's (printed as it goes)
grep '^| ' "$tmp/log" | cmp -s - "$tmp/out/summary.txt" && ok "the summary printed as it goes equals summary.txt" ||
  bad "the printed summary differs from summary.txt"
n=$(find "$tmp/out" -type f | wc -l)
[ "$n" -le 8 ] && [ "$n" -ge 1 ] && ok "\$OUT holds $n files (at most 8)" || bad "\$OUT holds $n files, want 1..8"
# nothing fetched, nothing cached: the empty home stays empty
n=$(find "$tmp/home" -type f | wc -l)
[ "$n" -eq 0 ] && ok "nothing written under the empty HOME (no model fetched or cached)" || bad "$n files under HOME: $(find "$tmp/home" -type f | head -3 | tr '\n' ' ')"
n=$(grep -c "^| memory   | .*nvidia-smi 100 MiB (process; planned + context" "$tmp/out/summary.txt")
[ "$n" -eq 6 ] && ok "every memory row has the process's nvidia-smi bytes (a stand-in nvidia-smi)" ||
  bad "$n of 6 memory rows have the stand-in nvidia-smi's 100 MiB"
grep -q "^| build    | CUDA host emulator: build-cudaemu/ as it is" "$tmp/out/summary.txt" &&
  ok "the carried emulator build was used as it is" || bad "the build row: $(grep '^| build' "$tmp/out/summary.txt")"
echo "@@ $pass $fail 0"
