#!/usr/bin/env bash
# Configures and builds ckpt into ./build (Release, Ninja, ccache when present) for this
# machine's CPU (-DCKPT_NATIVE_ARCH=ON: the tests and benchmarks run here; CMake's own default
# is portable). Extra arguments are passed to cmake's configure step and win over these.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
# One compiler cache for every clone on this machine (CI's fresh clones reuse what a previous
# build compiled): outside the clone, with paths inside the clone hashed relative to it.
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(pwd)}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCKPT_NATIVE_ARCH=ON "$@" >/dev/null
ninja -C "$BUILD_DIR" -j "${JOBS:-$(nproc)}"
