// Gradient decisions for the ops of src/graph/ops/resource_variable_ops.cc.
// DisableCopyOnRead has no outputs (none in TF either). ResourceGather's gradient in TF is an
// IndexedSlices for the variable; sparse gradients are not built here, so backprop stops at
// it (train embeddings through ReadVariableOp + Gather instead).
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterResourceVariableGradients(GradRegistry* r) {
  r->NoGradient("DisableCopyOnRead");
  r->NoGradient("ResourceGather");
}

}  // namespace ckpt::grad
