#!/usr/bin/env bash
# The full test suite, from a fresh machine: installs dependencies (apt + pip), builds, runs
# the C++ tests (ctest), the same lower layers again under AddressSanitizer+UBSan, builds and
# installs the Python package (`import ckpt`), and runs the Python tests that check
# compatibility against real TensorFlow.
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
  echo "== C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer (core, format, checkpoint)"
  # Portable (-DCKPT_NATIVE_ARCH=OFF, the CMake default): the lower layers are also tested as
  # users build them by default.
  BUILD_DIR=build-asan scripts/build.sh -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCKPT_SANITIZE=ON \
    -DCKPT_NATIVE_ARCH=OFF \
    "-DCKPT_LAYERS=core;format;checkpoint" -DCKPT_BUILD_BENCHMARKS=OFF \
    -DCKPT_BUILD_EXAMPLES=OFF -DCKPT_BUILD_CLI=OFF -DCKPT_BUILD_TEST_TOOLS=OFF || exit 1
  ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j "$(nproc)" \
    --timeout 900 -E "Kill|Benchmark" || fail=1
fi

echo "== Python package (wheel in build/wheel, installed for python3)"
scripts/install-python.sh || exit 1

echo "== Python tests against TensorFlow"
CKPT_BINARY_DIR=$ROOT/build CKPT_WHEEL_DIR=$ROOT/build/wheel python3 tests/python/run_all.py || fail=1
exit $fail
