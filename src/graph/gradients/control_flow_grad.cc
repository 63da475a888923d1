// Gradient decisions for the ops of src/graph/ops/control_flow_ops.cc: NoOp has no outputs to
// differentiate.
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterControlFlowGradients(GradRegistry* r) { r->NoGradient("NoOp"); }

}  // namespace ckpt::grad
