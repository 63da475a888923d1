// Private helpers of the gradient builders: the gradient registry, the context a gradient
// function receives, and node-building helpers that reproduce what TF's Python gradient code
// emits (static shape folding, control-dependency marking, colocation attrs).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/graph/gradients.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"

namespace ckpt::grad {

// The forward op whose gradient is being built.
struct GradOp {
  Graph* g = nullptr;
  std::string name;
  std::string type;
  std::vector<Output> inputs;  // data inputs
  int num_outputs = 0;

  Output output(int i = 0) const { return Output(name, i); }
  // Attr of the forward node; the default when absent or of another kind.
  bool BoolAttr(std::string_view attr, bool dflt = false) const;
  std::string StringAttr(std::string_view attr, std::string dflt = "") const;
};

// Computes the gradients of op's inputs (one entry per data input, invalid = None) from the
// gradients of its outputs (one per output; invalid = None only for non-float outputs).
// Runs inside the "<op>_grad" name scope.
using GradFunc =
    std::function<Status(const GradOp& op, const std::vector<Output>& dy, std::vector<Output>* dx)>;

class GradRegistry {
 public:
  static const GradRegistry& Global();
  void Register(std::string op, GradFunc fn);
  void NoGradient(std::string op);
  // nullptr with *known=false when unknown; nullptr with *known=true for "no gradient".
  const GradFunc* Find(std::string_view op, bool* known) const;
  std::vector<std::string> FunctionOps() const;

 private:
  std::map<std::string, GradFunc, std::less<>> fns_;
  std::map<std::string, bool, std::less<>> none_;
};

// One per op family: src/graph/gradients/<family>_grad.cc registers a gradient function or a
// NoGradient decision for every op of src/graph/ops/<family>_ops.cc.
void RegisterArrayGradients(GradRegistry* r);
void RegisterMathGradients(GradRegistry* r);
void RegisterNnGradients(GradRegistry* r);
void RegisterConvGradients(GradRegistry* r);
void RegisterPoolingGradients(GradRegistry* r);
void RegisterBatchNormGradients(GradRegistry* r);
void RegisterStateGradients(GradRegistry* r);
void RegisterRandomGradients(GradRegistry* r);
void RegisterStatelessRandomGradients(GradRegistry* r);
void RegisterTrainingGradients(GradRegistry* r);
void RegisterControlFlowGradients(GradRegistry* r);
void RegisterIoGradients(GradRegistry* r);
void RegisterFunctionalGradients(GradRegistry* r);
void RegisterResourceVariableGradients(GradRegistry* r);
void RegisterLookupGradients(GradRegistry* r);
void RegisterStringGradients(GradRegistry* r);
void RegisterRaggedGradients(GradRegistry* r);
void RegisterImageGradients(GradRegistry* r);

// The gradient function of ops that run for inference only (convolution, pooling, batch
// normalization: their backward kernels, Conv2DBackpropInput/Filter, MaxPoolGrad,
// FusedBatchNormGradV3, ..., do not exist yet): differentiating through them fails with one
// clear Unimplemented error instead of silently producing no gradient.
Status InferenceOnly(const GradOp& op, const std::vector<Output>& dy, std::vector<Output>* dx);

// ---- node helpers ------------------------------------------------------------------------
// The value of a Const node output (nullopt otherwise).
std::optional<Tensor> ConstValue(const Graph& g, const Output& t);
// array_ops.shape(x): a Const int32 vector named `name` when x's static shape is fully
// defined, else a Shape op.
Output ShapeOf(Graph& g, const Output& x, std::string_view name = "Shape");
// array_ops.zeros_like(x): Const "zeros_like" of zeros when x's shape is fully defined,
// else ZerosLike (optimize=false forces ZerosLike).
Output ZerosLikeOf(Graph& g, const Output& x, bool optimize = true,
                   std::string_view name = "zeros_like");
// math_ops.reduce_sum(x, axes, keepdims): Sum with Const "<name>/reduction_indices".
Output ReduceSumAxes(Graph& g, const Output& x, const std::vector<int32_t>& axes, bool keep_dims,
                     std::string_view name = "Sum");
// array_ops.reshape(x, shape): shape is an Output (Const or computed).
Output ReshapeTo(Graph& g, const Output& x, const Output& shape, std::string_view name = "Reshape");
// Const int32 vector named `name`.
Output IntVectorConst(Graph& g, const std::vector<int64_t>& v, std::string_view name);
// Sets _has_manual_control_dependencies=true on `node` (TF marks every op used as a control
// dependency of a tf.control_dependencies block or a group).
void MarkManualControlDep(Graph& g, const std::string& node);
// The colocation group of `node`: its "_class" values, or {"loc:@node"}.
std::vector<std::string> ColocationOf(const Graph& g, const std::string& node);
// tf.group(*ops, name): NoOp with control inputs on the ops sorted by name, marking them.
Operation GroupOps(Graph& g, std::vector<std::string> ops, std::string_view name = "group_deps");
// control_flow_ops.tuple(tensors): gates every valid tensor on all of them.
std::vector<Output> Tuple(Graph& g, const std::vector<Output>& tensors);
// Adds a node with explicit control inputs (none of the graph's active ones are assumed).
Output AddOp(Graph& g, std::string_view op, std::string_view name, std::vector<Output> inputs,
             AttrMap attrs = {}, std::vector<std::string> control = {}, int index = 0);
// Python's unary minus: Neg named "Neg".
Output Negate(Graph& g, const Output& x);

}  // namespace ckpt::grad
