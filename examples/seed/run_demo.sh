#!/usr/bin/env bash
# The seed's workflow end to end, in the current directory:
#   1. train sigmoid(x + A) for 1400 steps, saving every 200 steps into ./checkpoint_dir
#   2. show the `checkpoint` state file and list the directory with `ckpt ls`
#   3. kill-and-resume: restore checkpoint_model-999 and continue training
#   4. pick the best step: evaluate every kept checkpoint
#   5. warm start a changed model from a checkpoint
#   6. deploy: a separate program with none of the model code imports the .meta and predicts
# Usage: examples/seed/run_demo.sh BUILD_DIR
# CKPT_DEMO_SKIP_TF=1 skips step 7 (TensorFlow); ctest runs the demo so (Examples.SeedWorkflow).
set -euo pipefail
BUILD=${1:?usage: run_demo.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
DEMO="$BUILD/examples/seed/seed_demo"
DEPLOY="$BUILD/examples/seed/seed_deploy"
CKPT_CLI="$BUILD/tools/ckpt/ckpt"
for p in "$DEMO" "$DEPLOY"; do
  [[ -x $p ]] || { echo "missing $p: build the examples first" >&2; exit 1; }
done
section() { printf '\n==== %s ====\n' "$*"; }

rm -rf ./checkpoint_dir
mkdir -p ./checkpoint_dir

section "1. Train: 1400 steps of GradientDescent(0.05), save every 200 steps (max_to_keep=5)"
"$DEMO" train ./checkpoint_dir 1400

section "2. The directory: the 'checkpoint' state file names the latest and all kept checkpoints"
cat ./checkpoint_dir/checkpoint
echo
ls -1 ./checkpoint_dir
if [[ -x $CKPT_CLI ]]; then
  echo
  echo "\$ ckpt ls ./checkpoint_dir"
  "$CKPT_CLI" ls ./checkpoint_dir
else
  echo "(ckpt CLI not built at $CKPT_CLI; skipping 'ckpt ls')"
fi

section "3. Kill and resume: rebuild the graph, restore checkpoint_model-999, train on to 1400"
"$DEMO" resume ./checkpoint_dir ./checkpoint_dir/checkpoint_model-999 1400

section "4. Pick the best step: evaluate every kept checkpoint on the 100 points"
"$DEMO" evaluate ./checkpoint_dir
echo "(TensorBoard curves: tensorboard --logdir ./checkpoint_dir  -> runs train (loss) and eval (loss, accuracy))"

section "5. Warm start: new loss, variable renamed (Variable -> A_warm), one new variable"
"$DEMO" warmstart ./checkpoint_dir/checkpoint_model-999

section "6. Deploy: import checkpoint_model-999.meta, restore, run predict_op on input [2.4]"
"$DEPLOY" ./checkpoint_dir/checkpoint_model-999 2.4

HERE=$(cd "$(dirname "$0")" && pwd)
if [[ ${CKPT_DEMO_SKIP_TF:-0} != 1 ]] && python3 -c "import tensorflow" >/dev/null 2>&1; then
  section "7. TensorFlow (Python) imports the C++-written checkpoint_model-999.meta and runs it"
  # (TensorFlow's start-up log lines are filtered out.)
  TF_CPP_MIN_LOG_LEVEL=3 python3 "$HERE/tf_deploy.py" ./checkpoint_dir/checkpoint_model-999 2>&1 |
    grep -vE "oneDNN|InitializeLog|deprecated|Instructions for updating|non-resource variables" || true
fi

MLP="$BUILD/examples/mlp/mlp_demo"
if [[ -x $MLP ]]; then
  section "8. A softmax classifier (MLP) with Adam: train 300 steps, stop, resume to 500"
  rm -rf ./mlp_dir
  "$MLP" train ./mlp_dir 300
  "$MLP" resume ./mlp_dir 500
  cat ./mlp_dir/checkpoint
fi
