// Gradient decisions for the ops of src/graph/ops/ragged_ops.cc. TF differentiates
// RaggedTensorToTensor (to its values and default_value) with ragged ops ckpt does not have:
// differentiating through it fails with one clear error instead of giving no gradient.
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterRaggedGradients(GradRegistry* r) {
  r->Register("RaggedTensorToTensor", InferenceOnly);
}

}  // namespace ckpt::grad
