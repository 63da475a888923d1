// Gradient decisions for the ops of src/graph/ops/image_ops.cc: the resize backward kernels
// (ResizeBilinearGrad, ResizeNearestNeighborGrad) do not exist yet, so the resizes run for
// inference only (see InferenceOnly in grad_util.h).
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterImageGradients(GradRegistry* r) {
  r->Register("ResizeBilinear", InferenceOnly);
  r->Register("ResizeNearestNeighbor", InferenceOnly);
}

}  // namespace ckpt::grad
