#!/usr/bin/env bash
# The full test suite, from a fresh machine: installs dependencies (apt + pip), checks the C++
# style, builds, runs the C++ tests (ctest), runs them again under AddressSanitizer+UBSan and
# under ThreadSanitizer, fuzzes every parser for a fixed budget (CKPT_FUZZ_SECONDS per target),
# builds and installs the Python package (`import ckpt`), and runs the Python tests that check
# compatibility against real TensorFlow. CKPT_SKIP_SANITIZERS=1 leaves out the sanitizer and
# fuzzing builds.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
scripts/install-deps.sh --python || exit 1

fail=0
echo "== C++ style (clang-format 14, .clang-format)"
scripts/format.sh --check || fail=1
echo "== build (Release)"
scripts/build.sh || exit 1
echo "== C++ tests"
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600 || fail=1

echo "== consumer project against the installed build (find_package and pkg-config)"
scripts/test-consumer.sh || fail=1

if [ "${CKPT_SKIP_SANITIZERS:-0}" != 1 ]; then
  # One Clang build per sanitizer, portable (-DCKPT_NATIVE_ARCH=OFF, the CMake default, as users
  # build), every layer, the CLI and the examples.
  SAN_ARGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCKPT_NATIVE_ARCH=OFF -DCKPT_BUILD_BENCHMARKS=OFF
            -DCKPT_BUILD_TEST_TOOLS=OFF -DCKPT_INSTALL=OFF)
  echo "== C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer (every layer, CLI, examples)"
  # The same build holds the libFuzzer targets (CKPT_FUZZ); the Kill tests' SIGKILL loop and
  # the benchmarks are left to the Release run.
  CC=clang CXX=clang++ BUILD_DIR=build-asan scripts/build.sh "${SAN_ARGS[@]}" -DCKPT_SANITIZE=ON \
    -DCKPT_FUZZ=ON || exit 1
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --timeout 900 \
    -E "Kill|Benchmark" || fail=1
  echo "== fuzzing: every target for ${CKPT_FUZZ_SECONDS:-10} s (CKPT_FUZZ_SECONDS)"
  CKPT_FUZZ_BUILD_DIR=build-asan scripts/fuzz.sh "${CKPT_FUZZ_SECONDS:-10}" || fail=1

  echo "== C++ tests of every layer under ThreadSanitizer"
  # The layers' tests hold the concurrency tests (async saves, pins, evaluator iteration,
  # sessions run from several threads, the executor's thread pool); the CLI and the examples
  # are single-threaded. oneDNN runs on OpenMP, whose runtime TSan cannot see into: Eigen's
  # MatMul here.
  CC=clang CXX=clang++ BUILD_DIR=build-tsan scripts/build.sh "${SAN_ARGS[@]}" -DCKPT_TSAN=ON \
    -DCKPT_WITH_ONEDNN=OFF -DCKPT_BUILD_CLI=OFF -DCKPT_BUILD_EXAMPLES=OFF \
    -DCKPT_BUILD_FUZZ_REPLAY=OFF || exit 1
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ctest --test-dir build-tsan --output-on-failure -j "$(nproc)" --timeout 900 \
    -E "Kill|Benchmark" || fail=1
fi

echo "== Python package (wheel in build/wheel, installed for python3)"
scripts/install-python.sh || exit 1

echo "== Python tests against TensorFlow (the whole keras.applications zoo: CKPT_ZOO)"
CKPT_ZOO=${CKPT_ZOO:-all} CKPT_BINARY_DIR=$ROOT/build CKPT_WHEEL_DIR=$ROOT/build/wheel \
  python3 tests/python/run_all.py || fail=1
exit $fail
