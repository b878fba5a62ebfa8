#!/usr/bin/env bash
# Fuzzes every target (or those named) for FUZZ_SECONDS each, one after another, with the libFuzzer
# binaries of a build made with the fuzz preset (DESIGN principle 11: fuzzing runs longer on
# demand; ctest only replays the corpora and fuzzes a few seconds).
#
# usage: tests/fuzz/fuzz.sh [BUILD_DIR [TARGET...]]      (default build-fuzz, every target)
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_JOBS     parallel fuzzing processes per target (default 1; libFuzzer -fork)
#   FUZZ_ARGS     more libFuzzer flags, e.g. "-use_value_profile=1 -max_len=8192"
#
# New inputs go to BUILD_DIR/fuzz-corpus/<target>/, never into the repository's seed corpus;
# crashes go to BUILD_DIR/fuzz-artifacts/. To keep new inputs worth having as regression tests,
# merge them into the seeds (this only adds inputs that reach new coverage):
#   BUILD_DIR/fuzz_<target> -merge=1 tests/fuzz/corpus/<target> BUILD_DIR/fuzz-corpus/<target>
# Exits 1 if any target found a crash, timeout or out-of-memory, after running all of them.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build-fuzz}"
shift || true
seconds="${FUZZ_SECONDS:-60}"
jobs="${FUZZ_JOBS:-1}"
read -r -a extra <<< "${FUZZ_ARGS:-}"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for dir in "$here"/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

failed=()
for target in "${targets[@]}"; do
  binary="$build/fuzz_$target"
  if [ ! -x "$binary" ]; then
    echo "fuzz.sh: $binary is missing: cmake --preset fuzz && cmake --build --preset fuzz" >&2
    exit 2
  fi
  dict="$here/http.dict"
  if [ -f "$here/$target.dict" ]; then dict="$here/$target.dict"; fi
  fork=()
  if [ "$jobs" -gt 1 ]; then fork=(-fork="$jobs" -ignore_crashes=0); fi
  echo "== $target: ${seconds}s"
  if ! "$binary" -max_total_time="$seconds" -print_final_stats=1 -create_missing_dirs=1 \
      -dict="$dict" -artifact_prefix="$build/fuzz-artifacts/$target-" \
      "${fork[@]}" "${extra[@]}" "$build/fuzz-corpus/$target" "$here/corpus/$target"; then
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: failures in: ${failed[*]}; reproducers in $build/fuzz-artifacts/" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets fuzzed ${seconds}s each, no failure"
