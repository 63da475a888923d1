// Gradient decisions for the ops of src/graph/ops/batchnorm_ops.cc: batch normalization runs for
// inference only (see InferenceOnly in grad_util.h).
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterBatchNormGradients(GradRegistry* r) {
  for (const char* op : {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"}) {
    r->Register(op, InferenceOnly);
  }
}

}  // namespace ckpt::grad
