#!/usr/bin/env bash
# Builds the `ckpt` Python package's wheel into build/wheel/ and installs it into python3's
# environment (`import ckpt`). Incremental: scikit-build-core keeps its CMake tree in
# build-python, and objects come from the compiler cache that scripts/build.sh shares.
# Needs scripts/install-deps.sh --python first (scikit-build-core, nanobind, numpy, ml_dtypes).
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(pwd)}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
export CMAKE_BUILD_PARALLEL_LEVEL=${JOBS:-$(nproc)}
mkdir -p build/wheel
rm -f build/wheel/ckpt-*.whl
# This wheel is installed on the machine that builds it, so it is compiled as scripts/build.sh
# compiles (-march=native), which also lets it reuse build/'s objects from the cache. A plain
# `pip install .` builds the portable default.
python3 -m pip wheel --no-deps --no-build-isolation -q -w build/wheel \
  -C cmake.define.CKPT_NATIVE_ARCH="${CKPT_NATIVE_ARCH:-ON}" .
wheel=$(ls build/wheel/ckpt-*.whl)
python3 -m pip install -q --no-deps --force-reinstall "$wheel" 2>/dev/null ||
  python3 -m pip install -q --no-deps --force-reinstall --break-system-packages "$wheel"
echo "install-python: installed $wheel"
