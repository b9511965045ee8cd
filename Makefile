# A thin driver over CMake presets. Every target installs what it needs first.
#   make serve   install, build the binary only, start on http://localhost:8000 (embedded store, demo data on first start)
#   make test    every test on the release build (the heavy end-to-end ones too), unit and quick
#                integration tests under ASan+UBSan, clang's thread-safety analysis, and a fuzz smoke run
#   make bench   the benchmarks of docs/benchmarks.md
#   make fuzz    each libFuzzer target for FUZZ_SECONDS (default 300)
.PHONY: deps test-deps build build-binary build-asan build-fuzz serve test test-release test-asan check-thread-safety fuzz-smoke fuzz bench clean

DATA_DIR ?= ./data
DEMO_RECORDS ?= 10000
FUZZ_SECONDS ?= 300
SMOKE_SECONDS ?= 10
BIN := build/release/src/buildhub

deps:
	scripts/install-deps

# The S3 and SQS servers the sync tests start on 127.0.0.1 (npm; not needed to build or serve).
test-deps: deps
	scripts/install-deps --test-servers

build: deps
	cmake --preset release
	cmake --build --preset release

# What `serve` needs: the binary, not the tests and benchmarks.
build-binary: deps
	cmake --preset release
	cmake --build --preset release --target buildhub

build-asan: deps
	cmake --preset asan-ubsan
	cmake --build --preset asan-ubsan

build-fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz --target fuzz_all

serve: build-binary
	$(BIN) serve --data-dir $(DATA_DIR) --listen 127.0.0.1:8000 --demo-records $(DEMO_RECORDS)

test: test-release test-asan check-thread-safety fuzz-smoke

test-release: test-deps build
	ctest --preset release

test-asan: test-deps build-asan
	ctest --preset asan-ubsan

# The libraries and the binary under clang -Wthread-safety -Werror: a lock annotation that
# does not hold (GUARDED_BY, REQUIRES) fails here.
check-thread-safety: deps
	cmake --preset thread-safety
	cmake --build --preset thread-safety --target buildhub

fuzz-smoke: build-fuzz
	scripts/fuzz-smoke $(SMOKE_SECONDS)

fuzz: build-fuzz
	scripts/fuzz-smoke $(FUZZ_SECONDS)

bench: build
	scripts/install-deps --bench
	scripts/install-deps --test-servers
	bench/run-ingest.sh
	bench/run-http.sh
	bench/run-search.sh
	bench/run-mar.sh
	bench/run-diff.sh
	bench/run-partial.sh
	bench/run-partial-service.sh
	bench/run-v1.sh
	bench/run-load.sh
	bench/run-sync.sh
	bench/run-web.sh

clean:
	rm -rf build
