#!/usr/bin/env bash
# Throughput and latency of one fulcrum-backend hit directly and through fulcrum (--mode sp, one
# loop), with wrk: keep-alive connections, a small body. Not a test: it prints figures.
#
#   bench/direct_vs_proxy.sh [BUILD_DIR]   env: CONNS=200 DURATION=10 ROUNDS=3 PATH_=/bytes/6
#
# On two or more CPUs fulcrum runs on CPU 0 and wrk and the backend share CPU 1, so that the
# proxy's core is the one being measured. Rounds alternate direct and proxied; medians printed.
set -euo pipefail
build="${1:-build}"
conns="${CONNS:-200}"; duration="${DURATION:-10}"; rounds="${ROUNDS:-3}"; path="${PATH_:-/bytes/6}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

# Always run in a subshell (background job or pipeline), so exec leaves $! naming the program.
pin() { if [[ $(nproc) -ge 2 ]]; then exec taskset -c "$1" "${@:2}"; else exec "${@:2}"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 200); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done
  echo "port $1 did not open" >&2; exit 1
}

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
bport=$(free_port); pport=$(free_port)
pin 1 "$build/fulcrum-backend" --port "$bport" >/dev/null 2>&1 & pids+=($!)
pin 0 "$build/fulcrum" --mode sp -p "$pport" --host 127.0.0.1 -b "127.0.0.1:$bport" -l err >/dev/null 2>&1 & pids+=($!)
wait_port "$bport"; wait_port "$pport"

# One wrk run; prints "req/s p50_ms p99_ms".
run() {
  pin 1 wrk -t1 -c"$conns" -d"${duration}s" --latency "http://127.0.0.1:$1$path" | awk '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    END {printf "%.0f %.3f %.3f\n", rps, ms(p50), ms(p99)}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

direct=(); proxied=()
for r in $(seq "$rounds"); do
  direct+=("$(run "$bport")"); proxied+=("$(run "$pport")")
  echo "round $r: direct ${direct[-1]} | fulcrum ${proxied[-1]}" >&2
done
col() { local i=$1; shift; printf '%s\n' "$@" | awk -v i="$i" '{print $i}' | median; }
d_rps=$(col 1 "${direct[@]}"); p_rps=$(col 1 "${proxied[@]}")
echo "| target | req/s | p50 ms | p99 ms |"
echo "|---|---|---|---|"
echo "| direct | $d_rps | $(col 2 "${direct[@]}") | $(col 3 "${direct[@]}") |"
echo "| fulcrum | $p_rps | $(col 2 "${proxied[@]}") | $(col 3 "${proxied[@]}") |"
awk -v p="$p_rps" -v d="$d_rps" 'BEGIN {printf "fulcrum / direct: %.1f%% (%d connections, %s rounds of %ss, medians)\n", 100*p/d, '"$conns"', '"$rounds"', '"$duration"'}'
