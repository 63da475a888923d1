// Gradient decisions for the ops of src/graph/ops/functional_ops.cc. TF differentiates
// If/Case/While by building gradient functions of their branches and bodies; that is not
// built here, so backprop stops at them (Gradients() treats them as constants) instead of
// failing on an unknown op. Serving TF2 SavedModels needs only the forward pass.
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterFunctionalGradients(GradRegistry* r) {
  for (const char* op : {"If", "StatelessIf", "Case", "StatelessCase", "While", "StatelessWhile"}) {
    r->NoGradient(op);
  }
}

}  // namespace ckpt::grad
