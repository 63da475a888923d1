// Gradient decisions for the ops of src/graph/ops/conv_ops.cc: Conv2D and
// DepthwiseConv2dNative run for inference only (see InferenceOnly in grad_util.h).
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterConvGradients(GradRegistry* r) {
  r->Register("Conv2D", InferenceOnly);
  r->Register("DepthwiseConv2dNative", InferenceOnly);
}

}  // namespace ckpt::grad
