#!/usr/bin/env bash
# Runs the test suites that `make test` (and so CI) runs, through ctest:
#   release  everything, in the release build (BUILD, built by `make build`), and that the C++
#            sources keep to .clang-format (the test `format`)
#   asan     ASan + UBSan (preset asan, build-asan/): the unit tests, the alloc test, the fuzz
#            corpora, and the integration tests in every process model (sp on io_uring and
#            epoll, mt, mp)
#   tsan     TSan (preset tsan, build-tsan/): the unit tests, and the integration tests that run
#            fulcrum with worker threads (mt, and test_process_models)
#   fuzz     libFuzzer with clang, ASan and UBSan (preset fuzz, build-fuzz/, the fuzz targets
#            only): each target replays its corpus, then fuzzes for FULCRUM_FUZZ_SMOKE_SECONDS
#            (tests/fuzz; `make fuzz` fuzzes for as long as asked)
#   all      the four (release, tsan, asan, fuzz); the sanitizer and fuzz builds compile at the
#            lowest CPU priority while the suites before them run, which leave much of the CPU
#            idle as they wait on sockets and timers
# (DESIGN principle 12.) The presets set the sanitizers' options (CMakePresets.json); an
# integration test also fails when a sanitizer reports in a server's output (tests/integration).
#
# usage: scripts/test.sh [release|asan|tsan|fuzz|all]    (default all)
#   BUILD  the release build directory (default build)
#   JOBS   parallel compile jobs and tests (default nproc)
# Runs every suite asked for, even after a failure; exits 1 if any failed, naming them.
set -euo pipefail
cd "$(dirname "$0")/.."

build="${BUILD:-build}"
jobs="${JOBS:-$(nproc)}"
what="${1:-all}"

# TSan takes only the tests labelled unit or mt (ctest -L).
tsan_labels='^(unit|mt)$'

failed=()

at() { printf '%d:%02d' $((SECONDS / 60)) $((SECONDS % 60)); }

run() {  # NAME COMMAND...: runs a suite, remembering a failure
  local name="$1"
  shift
  echo "== $name (at $(at))"
  local started=$SECONDS
  if "$@"; then
    echo "== $name: passed in $((SECONDS - started))s"
  else
    echo "== $name: FAILED after $((SECONDS - started))s"
    failed+=("$name")
  fi
}

# TSan's suite needs three of the binaries only, the fuzz suite the fuzz targets.
build_preset() {
  local targets=()
  if [ "$1" = tsan ]; then targets=(--target fulcrum fulcrum-backend fulcrum_unit_tests); fi
  if [ "$1" = fuzz ]; then targets=(--target fuzz_targets); fi
  cmake --preset "$1" >/dev/null && cmake --build --preset "$1" -j "$jobs" "${targets[@]}"
}
release() { (cd "$build" && ctest --output-on-failure -j "$jobs" --timeout 900); }
asan() { ctest --preset asan -j "$jobs"; }
tsan() { ctest --preset tsan -j "$jobs" -L "$tsan_labels"; }
fuzz() { ctest --preset fuzz -j "$jobs"; }

# Waits for the background build of preset $1 to end; true if it succeeded, else shows its output.
# Meanwhile nothing else runs, so the builds get their normal priority back (when allowed to: as
# root), and the lowest again for the suite that follows.
built() {
  local status_file="$logs/$1.status"
  if [ ! -s "$status_file" ]; then
    echo "== waiting for the $1 build (at $(at))"
    renice -n 0 -g "$builder" >/dev/null 2>&1 || true
    while [ ! -s "$status_file" ]; do sleep 1; done
    renice -n 19 -g "$builder" >/dev/null 2>&1 || true
  fi
  [ "$(cat "$status_file")" = 0 ] && return 0
  echo "== $1-build failed:"
  cat "$logs/$1.log"
  return 1
}

case "$what" in
  release) run release release ;;
  asan | tsan | fuzz)
    run "$what-build" build_preset "$what"
    if [ ${#failed[@]} -eq 0 ]; then run "$what" "$what"; fi
    ;;
  all)
    logs="$(mktemp -d)"
    builder=""
    # On an early exit (Ctrl-C), the builds stop too: they are in a process group of their own.
    trap 'if [ -n "$builder" ]; then kill -- "-$builder" 2>/dev/null || true; fi; rm -rf "$logs"' EXIT
    # The builds, one after the other at the lowest priority, each leaving its exit status in a
    # file: the suites that run meanwhile keep the CPU when they need it. set -m gives them a
    # process group, which renice and kill take as a whole.
    set -m
    # TSan's build is the longer (optimised) and the release suite the lighter on the CPU, so
    # they go together; the debug ASan build goes with the TSan suite, and the fuzz targets'
    # build (clang) with the ASan suite.
    (
      renice -n 19 -p "$BASHPID" >/dev/null
      for preset in tsan asan fuzz; do
        status=0
        build_preset "$preset" >"$logs/$preset.log" 2>&1 || status=$?
        echo "$status" >"$logs/$preset.status"
      done
    ) &
    builder=$!
    set +m
    run release release
    if built tsan; then run tsan tsan; else failed+=(tsan-build); fi
    if built asan; then run asan asan; else failed+=(asan-build); fi
    if built fuzz; then run fuzz fuzz; else failed+=(fuzz-build); fi
    wait "$builder"
    builder=""
    ;;
  *)
    echo "usage: $0 [release|asan|tsan|fuzz|all]" >&2
    exit 2
    ;;
esac

if [ ${#failed[@]} -gt 0 ]; then
  echo "scripts/test.sh: failed: ${failed[*]}" >&2
  exit 1
fi
echo "scripts/test.sh: $what passed (in $(at))"
