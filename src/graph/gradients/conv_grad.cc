// Gradient decisions for the convolution, pooling, batch-norm and stateless-random ops.
//
// Convolution, pooling and batch normalization run for inference (Keras/TF models deployed in
// C++); their backward kernels (Conv2DBackpropInput/Filter, MaxPoolGrad, FusedBatchNormGradV3,
// ...) do not exist yet, so differentiating through them fails with one clear error instead
// of silently producing no gradient. Stateless random ops are not differentiable, as in TF.
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {
namespace {

Status InferenceOnly(const GradOp& op, const std::vector<Output>&, std::vector<Output>*) {
  return UnimplementedError("gradient of " + op.type + " (node " + op.name +
                            ") is not implemented: ckpt runs " + op.type +
                            " for inference only; training through it needs its backward op");
}

}  // namespace

void RegisterConvGradients(GradRegistry* r) {
  for (const char* op : {"Conv2D", "MaxPool", "AvgPool", "FusedBatchNorm", "FusedBatchNormV2",
                         "FusedBatchNormV3"}) {
    r->Register(op, InferenceOnly);
  }
  r->NoGradient("StatelessRandomGetKeyCounter");
  r->NoGradient("StatelessRandomUniformV2");
}

}  // namespace ckpt::grad
