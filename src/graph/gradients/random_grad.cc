// Gradient decisions for the ops of src/graph/ops/random_ops.cc: not differentiable, as in TF.
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterRandomGradients(GradRegistry* r) {
  for (const char* op : {"RandomStandardNormal", "RandomUniform", "TruncatedNormal"}) {
    r->NoGradient(op);
  }
}

}  // namespace ckpt::grad
