#!/usr/bin/env bash
# Training benchmarks: the C++ figures (benchmarks/train_bench.cc) and TensorFlow's
# (benchmarks/tf_train_bench.py) measured in the same run on this machine, with ratios.
# Usage: benchmarks/run_train_bench.sh BUILD_DIR
set -euo pipefail
BUILD=${1:?usage: run_train_bench.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CPP=$("$BUILD/benchmarks/train_bench" "$WORK/cpp" 1000)
TF=$(python3 "$HERE/tf_train_bench.py" 2>/dev/null | tail -1)
python3 - "$CPP" "$TF" <<'PY'
import json, sys
cpp, tf = json.loads(sys.argv[1]), json.loads(sys.argv[2])
tf_s = tf['seed_loop_seconds']
print(f"seed loop (1400 steps + 7 saves), TF's durability (no fsync, SaveCallOptions::sync=false): "
      f"C++ {cpp['seed_loop_seconds_no_fsync']*1e3:.2f} ms, TF {tf_s*1e3:.1f} ms -> "
      f"{tf_s/cpp['seed_loop_seconds_no_fsync']:.1f}x faster (target >= 50x); "
      f"C++ step {cpp['seed_step_us_no_fsync']:.2f} us, save {cpp['seed_save_ms_no_fsync']:.2f} ms")
print(f"seed loop, crash-safe saves (default: fsync'ed): C++ {cpp['seed_loop_seconds']*1e3:.2f} ms -> "
      f"{tf_s/cpp['seed_loop_seconds']:.1f}x; save {cpp['seed_save_ms']:.2f} ms = "
      f"{cpp['seed_save_ms']/cpp['fsync_ms']:.1f} x this disk's fsync latency ({cpp['fsync_ms']:.3f} ms, "
      f"the hardware floor)")
print(f"classifier step (784-256-256-10, Adam, batch 64): C++ {cpp['classifier_steps_per_second_batch64']:.0f} steps/s, "
      f"TF {tf['classifier_steps_per_second_batch64']:.0f} steps/s -> "
      f"{cpp['classifier_steps_per_second_batch64']/tf['classifier_steps_per_second_batch64']:.2f}x (target >= 0.8x)")
print(json.dumps({"cpp": cpp, "tf": tf}))
PY
