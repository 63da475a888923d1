// A chain of element-wise ops run as one step: the session planner (session_planner.cc) finds
// a value that flows through Mul/Add/AddV2/Sub/BiasAdd (with a per-channel or scalar second
// operand) and Relu/Relu6, each the only reader of the one before, and runs the chain in one
// pass over memory, one row of the last dimension at a time while it is in L1.
//
// Each op computes exactly what its own kernel computes (same float operations, same order,
// one rounding per op), so a fused run gives bit-identical results. Inputs the fast path does
// not cover (another dtype, a second operand that is not per-channel, mismatched shapes) run
// op by op on the ops' own kernels, which also report their own errors.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "graph/kernel.h"

namespace ckpt {

struct FusedElementwiseOp {
  enum class Kind { kMul, kAdd, kBiasAdd, kSub, kReverseSub, kRelu, kRelu6 };
  Kind kind = Kind::kMul;
  int side_input = -1;     // the fused step's input holding the second operand; -1 when unary
  bool main_first = true;  // whether the chained value is the op's input 0 (binary ops)
  // The op's own node and kernel (owned by the session), for the op-by-op path.
  const OpKernelConstruction* construction = nullptr;
  OpKernel* kernel = nullptr;

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

  std::vector<FusedElementwiseOp> ops_;
};

}  // namespace ckpt
