"""Shared fixtures for the Python interop tests.

The C++ helper programs are found in the build tree: $CKPT_BINARY_DIR (default <repo>/build),
under tests/tools/. TensorFlow is imported once per session (it takes seconds).
"""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def binary_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("CKPT_BINARY_DIR", REPO / "build"))


def find_tool(name: str) -> pathlib.Path:
    for candidate in (binary_dir() / "tests" / "tools" / name, binary_dir() / name):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise FileNotFoundError(
        f"helper program {name!r} not found under {binary_dir()} (build it with "
        f"`ninja -C {binary_dir()} {name}` or set CKPT_BINARY_DIR)")


def ckpt_cli() -> pathlib.Path:
    """The `ckpt` command-line tool of the build tree (fails the test when it is not built)."""
    p = binary_dir() / "tools" / "ckpt" / "ckpt"
    if not p.is_file():
        pytest.fail(f"ckpt CLI not built at {p} (ninja -C {binary_dir()} ckpt)")
    return p


def run_command(*args, check=True, timeout=600):
    """Runs a command (TF's C++ logging quieted); a failure with `check` fails the test with the
    end of its stderr."""
    proc = subprocess.run([str(a) for a in args], capture_output=True, timeout=timeout,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if check and proc.returncode != 0:
        pytest.fail(f"{[str(a) for a in args[:3]]} failed: "
                    f"{proc.stderr.decode(errors='replace')[-3000:]}")
    return proc


class Tool:
    """Runs one helper program and turns a failure into a readable test failure."""

    def __init__(self, path: pathlib.Path):
        self.path = path

    def run(self, *args, check=True, timeout=300):
        proc = subprocess.run([str(self.path), *map(str, args)], capture_output=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            pytest.fail(f"{self.path.name} {' '.join(map(str, args))} exited with "
                        f"{proc.returncode}: {proc.stderr.decode(errors='replace')}")
        return proc


@pytest.fixture(scope="session")
def ckpt_interop() -> Tool:
    return Tool(find_tool("ckpt_interop"))


@pytest.fixture(scope="session")
def tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf  # noqa: PLC0415  (required: scripts/install-deps.sh --python)
    return tf
