// Gradient decisions for the ops of src/graph/ops/conv_ops.cc: Conv2D runs for inference only
// (see InferenceOnly in grad_util.h).
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterConvGradients(GradRegistry* r) { r->Register("Conv2D", InferenceOnly); }

}  // namespace ckpt::grad
