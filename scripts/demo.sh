#!/usr/bin/env bash
# The demo of `make run`: two backends on 127.0.0.1:9001 and :9002, fulcrum on :8080 in front
# of them, in the foreground. Ctrl-C stops all three.
set -euo pipefail
build="${1:-build}"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

"$build/fulcrum-backend" --port 9001 --id backend-1 & pids+=($!)
"$build/fulcrum-backend" --port 9002 --id backend-2 & pids+=($!)
echo "fulcrum on http://localhost:8080 -> 127.0.0.1:9001, 127.0.0.1:9002 (Ctrl-C stops)"
"$build/fulcrum" --mode sp -p 8080 -b 127.0.0.1:9001 -b 127.0.0.1:9002 & pids+=($!)
wait "${pids[-1]}"
