// Gradient decisions for the ops of src/graph/ops/string_ops.cc: string ops are not
// differentiable (TF registers none either); backprop stops at them.
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterStringGradients(GradRegistry* r) {
  for (const char* op : {"StringJoin", "StaticRegexFullMatch", "StaticRegexReplace", "StringLower",
                         "StringSplitV2"}) {
    r->NoGradient(op);
  }
}

}  // namespace ckpt::grad
