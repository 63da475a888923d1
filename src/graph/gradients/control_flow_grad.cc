// Gradient decisions for the ops of src/graph/ops/control_flow_ops.cc: NoOp has no outputs to
// differentiate. TF1 control flow (Switch, Merge, Enter, Exit, NextIteration, LoopCond) is
// run, not differentiated: TF's control-flow-v1 gradients (the gradient while loop with its
// stacks) are not built, so these ops are NoGradient and Gradients() through a TF1 cond or
// while_loop yields no gradient rather than a wrong one.
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterControlFlowGradients(GradRegistry* r) {
  for (const char* op : {"NoOp", "Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond"}) {
    r->NoGradient(op);
  }
}

}  // namespace ckpt::grad
