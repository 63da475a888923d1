// Gradient decisions for the ops of src/graph/ops/training_ops.cc: the optimizer updates are not
// differentiable, as in TF.
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterTrainingGradients(GradRegistry* r) {
  for (const char* op : {"ApplyGradientDescent", "ResourceApplyGradientDescent", "ApplyMomentum",
                         "ResourceApplyMomentum", "ApplyAdam", "ResourceApplyAdam", "ApplyRMSProp",
                         "ResourceApplyRMSProp"}) {
    r->NoGradient(op);
  }
}

}  // namespace ckpt::grad
