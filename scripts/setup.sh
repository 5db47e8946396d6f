#!/usr/bin/env bash
# Installs what fitchat needs to build and test on Debian/Ubuntu: a C
# compiler, cJSON, libedit, libmicrohttpd (fitchat serve), haproxy (the
# load-balancer test, tests/serve_lb.test.sh), Python with venv (for the model
# fetch and the reference tests), clang (for make fuzz). Uses sudo when not root.
set -euo pipefail
pkgs=(build-essential libcjson-dev libedit-dev libmicrohttpd-dev haproxy python3 python3-pip python3-venv clang)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# A python3 outside Debian's packages (pyenv, /usr/local) is fine too.
if command -v python3 >/dev/null && python3 -m venv --help >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
  missing=("${missing[@]/python3-pip}"); missing=("${missing[@]/python3-venv}"); missing=("${missing[@]/python3}")
fi
todo=()
for p in "${missing[@]}"; do [ -n "$p" ] && todo+=("$p"); done
if [ ${#todo[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "setup: installing ${todo[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${todo[@]}" >/dev/null
fi
echo "setup: build dependencies present" >&2
