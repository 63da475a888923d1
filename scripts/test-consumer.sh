#!/usr/bin/env bash
# Installs the existing build (default ./build) into a temporary prefix and builds and runs
# tests/consumer against it twice: as a CMake project (find_package(ckpt)) and with a plain
# compiler command using pkg-config. Exit status 0 when both consumers run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cmake --install "$BUILD_DIR" --prefix "$TMP/prefix" >/dev/null
test -x "$TMP/prefix/bin/ckpt"
if find "$TMP/prefix/include" -name '*.pb.h' | grep -q .; then
  echo "test-consumer: generated proto headers were installed" >&2
  exit 1
fi

echo "== consumer: find_package(ckpt)"
export CCACHE_DISABLE=1
cmake -S tests/consumer -B "$TMP/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$TMP/prefix" >/dev/null
ninja -C "$TMP/cmake-build" -j "${JOBS:-2}" >/dev/null
"$TMP/cmake-build/consumer" "$TMP/run-cmake"
if [ -x "$TMP/cmake-build/consumer_all" ]; then
  "$TMP/cmake-build/consumer_all" "$TMP/run-cmake-all"
fi
if [ -x "$TMP/cmake-build/consumer_dist" ]; then
  "$TMP/cmake-build/consumer_dist" "$TMP/run-cmake-dist"
fi

echo "== consumer: pkg-config"
export PKG_CONFIG_PATH="$TMP/prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# shellcheck disable=SC2046
c++ -O1 -o "$TMP/consumer-pc" tests/consumer/main.cc $(pkg-config --cflags --libs ckpt)
"$TMP/consumer-pc" "$TMP/run-pc"
"$TMP/prefix/bin/ckpt" ls "$TMP/run-pc" >/dev/null
if [ -f "$TMP/prefix/lib/pkgconfig/ckpt-dist.pc" ]; then
  # shellcheck disable=SC2046
  c++ -O1 -o "$TMP/consumer-dist-pc" tests/consumer/dist_main.cc \
    $(pkg-config --cflags --libs ckpt-dist)
  "$TMP/consumer-dist-pc" "$TMP/run-dist-pc"
fi
echo "test-consumer: ok"
