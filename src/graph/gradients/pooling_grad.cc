// Gradient decisions for the ops of src/graph/ops/pooling_ops.cc: pooling runs for inference only
// (see InferenceOnly in grad_util.h).
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterPoolingGradients(GradRegistry* r) {
  r->Register("MaxPool", InferenceOnly);
  r->Register("AvgPool", InferenceOnly);
}

}  // namespace ckpt::grad
