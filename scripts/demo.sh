#!/usr/bin/env bash
# The main demo, from a fresh machine: installs dependencies, builds (and installs the Python
# package, `import ckpt`), and runs the seed's
# workflow in C++ in the current directory (writes ./checkpoint_dir).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/install-deps.sh" --python
(cd "$ROOT" && scripts/build.sh && scripts/install-python.sh)
exec "$ROOT/examples/seed/run_demo.sh" "$ROOT/build"
