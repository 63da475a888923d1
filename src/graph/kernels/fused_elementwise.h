// A chain of element-wise ops run as one step: the session planner (session_planner.cc) finds
// a value that flows through Mul/Add/AddV2/Sub/BiasAdd (with a second operand that is
// per channel, one value, same-shaped (a residual connection's other branch) or per row (a
// layer norm's mean and variance)), Relu/Relu6 and swish (x * Sigmoid(x), or Keras' x *
// Sigmoid(beta * x)), each the only reader of the one before, and runs the chain in one pass over
// memory, one row of the last dimension at a time while it is in L1.
//
// Each op computes exactly what its own kernel computes (same float operations, same order,
// one rounding per op; Sigmoid through the shared SigmoidFloat), so a fused run gives
// bit-identical results. Inputs the fast path does not cover (another dtype, a second operand
// that broadcasts some other way) run op by op on the ops' own kernels, which also
// report their own errors.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "graph/kernel.h"

namespace ckpt {

// One node's kernel (owned by the session) and how it reads the chained value, for the
// op-by-op path.
struct FusedNode {
  const OpKernelConstruction* construction = nullptr;
  OpKernel* kernel = nullptr;
  bool main_first = true;  // whether the chained value is the op's input 0 (binary ops)
};

struct FusedElementwiseOp {
  // kSwish is two nodes: Sigmoid(x), then Mul of x and that; kScaledSwish three: Mul of x
  // and beta (the side operand), Sigmoid of that, then Mul of x and the sigmoid.
  enum class Kind { kMul, kAdd, kBiasAdd, kSub, kReverseSub, kRelu, kRelu6, kSwish, kScaledSwish };
  Kind kind = Kind::kMul;
  int side_input = -1;  // the fused step's input holding the second operand; -1 when none
  FusedNode node;       // the op's own node; for a swish, the final Mul
  FusedNode scale;      // kScaledSwish: the Mul by beta
  FusedNode sigmoid;    // kSwish, kScaledSwish: the Sigmoid

  // The kind for node `op` reading the chained value as input `main_input`, or false when
  // `op` cannot be chained (Sub chooses kSub or kReverseSub by which side the value is on).
  static bool KindOf(std::string_view op, int main_input, Kind* kind);
};

// Step inputs: 0 is the chained value, the others the ops' second operands.
class FusedElementwiseKernel : public OpKernel {
 public:
  explicit FusedElementwiseKernel(std::vector<FusedElementwiseOp> ops) : ops_(std::move(ops)) {}
  Status Compute(OpKernelContext* ctx) override;

 private:
  bool FastPathApplies(const OpKernelContext& ctx) const;
  Status RunOneByOne(OpKernelContext* ctx) const;
  static Status RunNode(OpKernelContext* ctx, const FusedNode& node, const TensorValue& value,
                        const TensorValue* side, TensorValue* out);

  std::vector<FusedElementwiseOp> ops_;
};

}  // namespace ckpt
