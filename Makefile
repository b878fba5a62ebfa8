# The two entry points of the README: `make run` and `make test`. Everything else is a helper.
BUILD      ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc)

.PHONY: all build deps run test test-release test-asan test-tsan test-fuzz bench fuzz clean
FUZZ_SECONDS ?= 60

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	scripts/demo.sh $(BUILD)

# Every test in the release build, then again under ASan+UBSan and TSan, then each libFuzzer
# target (clang) for a few seconds (scripts/test.sh says which tests each suite runs); the
# sanitizer and fuzz builds compile while the suites before them run.
test: build
	@scripts/install-deps.sh --fuzz
	BUILD=$(BUILD) JOBS=$(JOBS) scripts/test.sh all

test-release: build
	BUILD=$(BUILD) JOBS=$(JOBS) scripts/test.sh release

test-asan test-tsan: deps
	JOBS=$(JOBS) scripts/test.sh $(@:test-%=%)

test-fuzz:
	@scripts/install-deps.sh --fuzz
	JOBS=$(JOBS) scripts/test.sh fuzz

# The parser benchmark, then fulcrum, HAProxy and nginx side by side (bench/compare.sh; ROUNDS,
# DURATION, CONFIGS... in its header). FULCRUM_BENCH=ON: the benchmark libraries must be there.
bench: deps
	@scripts/install-deps.sh --bench
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DFULCRUM_BENCH=ON
	cmake --build $(BUILD) -j $(JOBS)
	$(BUILD)/parser_bench
	bench/compare.sh $(BUILD)

# libFuzzer (clang) on every target for FUZZ_SECONDS each; the seeds are in tests/fuzz/corpus.
fuzz:
	@scripts/install-deps.sh --fuzz
	cmake --preset fuzz
	cmake --build --preset fuzz --target fuzz_targets
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/fuzz.sh build-fuzz

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
