#!/usr/bin/env bash
# Installs what building and testing ckpt needs on a Debian/Ubuntu machine: the C++ toolchain
# and libraries from Debian's packages (with clang and its sanitizer and libFuzzer runtimes for
# the sanitizer and fuzzing builds, and clang-format for the style check) and, with --python,
# what the Python package and the tests need from PyPI (requirements-test.txt: TensorFlow
# (CPU), numpy, ml_dtypes, pytest, safetensors, and scikit-build-core + nanobind to build the
# package; scripts/install-python.sh then builds and installs it). Safe to run repeatedly: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi

PKGS=(build-essential cmake ninja-build ccache pkg-config
      libleveldb-dev libsnappy-dev libprotobuf-dev protobuf-compiler
      zlib1g-dev libeigen3-dev libdnnl-dev libre2-dev libcli11-dev libfmt-dev nlohmann-json3-dev
      libgtest-dev libgmock-dev libbenchmark-dev
      clang clang-format libclang-rt-14-dev libfuzzer-14-dev
      # Open MPI for the scale-out layer ckpt::dist and its mpirun tests (issue #13); without
      # it the build skips that layer.
      libopenmpi-dev openmpi-bin)
# A python3 outside Debian's (e.g. pyenv) is fine; Debian's is installed only if none is on PATH.
command -v python3 >/dev/null || PKGS+=(python3 python3-pip python3-venv)
# The Python package's install test makes a virtualenv: Debian's python3 needs python3-venv.
if [ "$(command -v python3 || true)" = /usr/bin/python3 ] &&
   ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  PKGS+=(python3-venv)
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "--python" ]; then
  if ! python3 -c "import tensorflow, numpy, pytest, ml_dtypes, safetensors, tensorboard, nanobind, scikit_build_core" >/dev/null 2>&1; then
    echo "install-deps: pip install -r requirements-test.txt (TensorFlow CPU; this takes a minute)"
    python3 -m pip install -q -r requirements-test.txt 2>/dev/null ||
      python3 -m pip install -q --break-system-packages -r requirements-test.txt
  fi
fi
