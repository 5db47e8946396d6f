#!/usr/bin/env bash
# Creates .venv in the repository root with the Python packages of the
# reference tests (tests/reference/requirements.txt). Idempotent: when .venv
# already holds exactly these requirements (stamp file with their sha256 and
# the Python version) it returns at once. Prints the venv's python on success.
#   scripts/setup-venv.sh            create/update .venv, print .venv/bin/python
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
req=$root/tests/reference/requirements.txt
venv=$root/.venv
stamp=$venv/.fitchat-requirements.sha256

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup-venv: $python not found; run scripts/setup.sh (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
want="$(sha256sum "$req" | cut -d' ' -f1) $("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$venv"
  if ! "$python" -m venv "$venv" >&2; then
    echo "setup-venv: '$python -m venv' failed; install the venv module (Debian: apt-get install python3-venv)" >&2
    rm -rf "$venv"
    exit 1
  fi
fi
rm -f "$stamp"
echo "setup-venv: installing $(grep -v '^#' "$req" | xargs) into $venv ..." >&2
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      --progress-bar off -r "$req" >&2; then
  echo "setup-venv: 'pip install -r tests/reference/requirements.txt' failed: pip could not reach PyPI" >&2
  echo "setup-venv: (or a pinned version is missing there); check the network or set PIP_INDEX_URL to a mirror, then rerun" >&2
  exit 1
fi
echo "$want" >"$stamp"
echo "$venv/bin/python"
