#!/usr/bin/env bash
# The scale-out workflow on one machine (issue: ckpt::dist): train the MLP classifier
# data-parallel on 4 processes saving distributed checkpoints every 100 steps, kill them all
# mid-training, resume from the latest checkpoint on 2 processes, evaluate it on 1, and read
# the result with TensorFlow (when it is installed).
#
#   examples/distributed/run_demo.sh BUILD_DIR [WORK_DIR]
set -euo pipefail
BUILD=${1:?usage: run_demo.sh BUILD_DIR [WORK_DIR]}
WORK=${2:-$(mktemp -d /tmp/ckpt_dist_demo.XXXXXX)}
BIN=$BUILD/examples/distributed/mlp_data_parallel
[ -x "$BIN" ] || { echo "$BIN not built (needs MPI: apt install libopenmpi-dev openmpi-bin)"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_mpi_yield_when_idle=1  # oversubscribed ranks yield instead of spinning
MPIRUN=(mpirun --oversubscribe)
mkdir -p "$WORK"
rm -rf "$WORK/run"

echo "== train on 4 processes (killed once the checkpoint of step 300 is written)"
"${MPIRUN[@]}" -np 4 "$BIN" train "$WORK/run" 100000 > "$WORK/train.log" 2>&1 &
pid=$!
until grep -q "step 300:" "$WORK/train.log" 2>/dev/null; do
  kill -0 $pid 2>/dev/null || { cat "$WORK/train.log"; exit 1; }
  sleep 0.2
done
kill -9 $pid 2>/dev/null || true
pkill -9 -f "$BIN train $WORK/run" 2>/dev/null || true
wait $pid 2>/dev/null || true
for _ in $(seq 100); do  # every rank gone (their locks released) before resuming
  pgrep -f "$BIN train $WORK/run" >/dev/null || break
  sleep 0.1
done
grep "^step" "$WORK/train.log" || true
echo "checkpoint state after the kill:"; cat "$WORK/run/checkpoint"

latest=$(sed -n 's/^model_checkpoint_path: "model.ckpt-\([0-9]*\)"$/\1/p' "$WORK/run/checkpoint")
echo "== resume on 2 processes from step $latest up to step $((latest + 300))"
"${MPIRUN[@]}" -np 2 "$BIN" resume "$WORK/run" $((latest + 300))

echo "== evaluate the latest on 1 process"
"${MPIRUN[@]}" -np 1 "$BIN" evaluate "$WORK/run"

if python3 -c "import tensorflow" 2>/dev/null; then
  echo "== TensorFlow reads it"
  TF_CPP_MIN_LOG_LEVEL=3 python3 - "$WORK/run" <<'PY'
import sys
import tensorflow as tf
latest = tf.train.latest_checkpoint(sys.argv[1])
reader = tf.train.load_checkpoint(latest)
shapes = reader.get_variable_to_shape_map()
print(f"{latest}: {len(shapes)} tensors, global_step = {reader.get_tensor('global_step')}")
PY
fi
echo "demo files in $WORK"
