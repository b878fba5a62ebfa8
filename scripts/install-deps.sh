#!/usr/bin/env bash
# Installs the Debian packages fulcrum needs to build, test and demo, when any is missing.
# Run as root (or with sudo available). Idempotent and quiet when everything is there.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config make git
  liburing-dev libcli11-dev libyaml-cpp-dev libgtest-dev libgmock-dev
  python3 python3-websockets curl procps iproute2 clang-format
)
case "${1:-}" in
  # Google Benchmark and Node's http-parser for bench/parser_bench; the rest for bench/compare.sh.
  --bench) packages+=(libbenchmark-dev libhttp-parser-dev wrk haproxy nginx nghttp2-client) ;;
  # clang with its libFuzzer and sanitizer runtimes, for the fuzz preset (make test, make fuzz).
  --fuzz) packages+=(clang libclang-rt-14-dev) ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
