// Gradient decisions for the ops of src/graph/ops/io_ops.cc: checkpoint I/O and parsing ops
// have none (as in TF); DynamicStitch routes each slice of the gradient back to
// the data input it came from (TF's _DynamicStitchGrads: gather(grad, indices[i])).
#include "ckpt/graph/ops.h"
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

namespace {

Status DynamicStitchGrad(const GradOp& op, const std::vector<Output>& dy, std::vector<Output>* dx) {
  const size_t n = op.inputs.size() / 2;
  dx->assign(op.inputs.size(), Output());
  if (!dy[0].valid()) return Status::OK();
  for (size_t i = 0; i < n; ++i) {
    (*dx)[n + i] = ops::Gather(*op.g, dy[0], op.inputs[i], 0);
  }
  return op.g->status();
}

}  // namespace

void RegisterIoGradients(GradRegistry* r) {
  r->Register("DynamicStitch", DynamicStitchGrad);
  for (const char* op : {"SaveV2", "RestoreV2", "MergeV2Checkpoints", "Save", "SaveSlices",
                         "Restore", "RestoreSlice", "ShardedFilename", "ShardedFilespec",
                         "ParseExample", "ParseExampleV2", "Variable", "ReadFile", "WriteFile"}) {
    r->NoGradient(op);
  }
}

}  // namespace ckpt::grad
