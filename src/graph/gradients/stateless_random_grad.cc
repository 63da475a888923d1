// Gradient decisions for the ops of src/graph/ops/stateless_random_ops.cc: not differentiable, as
// in TF.
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterStatelessRandomGradients(GradRegistry* r) {
  r->NoGradient("StatelessRandomGetKeyCounter");
  r->NoGradient("StatelessRandomUniformV2");
  r->NoGradient("StatelessRandomNormalV2");
  r->NoGradient("StatelessTruncatedNormalV2");
}

}  // namespace ckpt::grad
