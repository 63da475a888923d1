// Gradient decisions for the ops of src/graph/ops/nn_ops.cc (TF's nn_grad.py behaviour).
#include <climits>
#include <vector>

#include "graph/gradients/grad_util.h"

namespace ckpt::grad {
namespace {

using Outs = std::vector<Output>;

// _BroadcastMul(vec, mat): expand_dims(vec, -1) * mat.
Output BroadcastMul(Graph& g, const Output& vec, const Output& mat) {
  Output e;
  {
    Graph::NameScope s(g, "ExpandDims");
    Output dim = ops::Const(g, -1.0, DataType::kInt32, {}, "dim");
    Output ins[2] = {vec, dim};
    e = g.AddNode("ExpandDims", s.scope_name(), ins).output(0);
  }
  return AddOp(g, "Mul", "mul", {e, mat});
}

Status SoftmaxXentGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  Output grad = BroadcastMul(g, dy[0], op.output(1));
  Output ls = AddOp(g, "LogSoftmax", "LogSoftmax", {op.inputs[0]});
  Output neg = AddOp(g, "Neg", "Neg", {ls});
  Output gl = BroadcastMul(g, dy[0], neg);
  *dx = {grad, gl};
  return Status::OK();
}

Status SparseSoftmaxXentGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  *dx = {BroadcastMul(g, dy[0], op.output(1)), Output()};
  return Status::OK();
}

Status SoftmaxGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  Output y = op.output(0);
  Output m = AddOp(g, "Mul", "mul", {dy[0], y});
  Output s = ReduceSumAxes(g, m, {-1}, true, "Sum");
  Output d = AddOp(g, "Sub", "sub", {dy[0], s});
  *dx = {AddOp(g, "Mul", "mul", {d, y})};
  return Status::OK();
}

Status LogSoftmaxGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  Output sm = AddOp(g, "Exp", "Exp", {op.output(0)});
  Output s = ReduceSumAxes(g, dy[0], {-1}, true, "Sum");
  Output m = AddOp(g, "Mul", "mul", {s, sm});
  *dx = {AddOp(g, "Sub", "sub", {dy[0], m})};
  return Status::OK();
}

Status BiasAddGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  Output b = AddOp(g, "BiasAddGrad", "BiasAddGrad", {dy[0]},
                   AttrMap{{"data_format", op.StringAttr("data_format", "NHWC")}});
  *dx = {dy[0], b};
  return Status::OK();
}

Status L2LossGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  *dx = {AddOp(*op.g, "Mul", "mul", {op.inputs[0], dy[0]})};
  return Status::OK();
}

// TopKV2: the values' gradient added back at the input positions the indices name (TF's
// scatter_nd over the flattened input, here an UnsortedSegmentSum); k gets none. The row
// offsets are constants, so the input shape must be static.
Status TopKGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  *dx = {Output(), Output()};
  if (!dy[0].valid()) return Status::OK();
  const Output& x = op.inputs[0];
  const PartialShape in = g.OutputShape(x), out = g.OutputShape(op.output(1));
  if (!in.IsFullyDefined() || in.rank() < 1 || !out.known_rank() || out.rank() != in.rank() ||
      out.dims().back() < 0) {
    return UnimplementedError("gradient of TopKV2 '" + op.name +
                              "' needs a statically known input shape and k");
  }
  const int64_t cols = in.dims().back(), k = out.dims().back();
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < in.dims().size(); ++i) rows *= in.dims()[i];
  const DataType it = g.OutputType(op.output(1));
  std::vector<int64_t> off(rows);
  for (int64_t r = 0; r < rows; ++r) off[r] = r * cols;
  Tensor offsets;
  if (it == DataType::kInt32) {
    offsets = Tensor::FromVector<int32_t>(std::vector<int32_t>(off.begin(), off.end()),
                                          TensorShape{rows, 1});
  } else {
    offsets = Tensor::FromVector<int64_t>(off, TensorShape{rows, 1});
  }
  Output ind2d = ReshapeTo(g, op.output(1), IntVectorConst(g, {rows, k}, "Const"));
  Output flat = ReshapeTo(g, AddOp(g, "AddV2", "add", {ind2d, ops::Const(g, offsets, "Const")}),
                          IntVectorConst(g, {-1}, "Const"));
  Output vals = ReshapeTo(g, dy[0], IntVectorConst(g, {-1}, "Const"));
  const int64_t n = rows * cols;
  Output num = n <= INT32_MAX ? ops::Const(g, Tensor::Scalar<int32_t>(static_cast<int32_t>(n)))
                              : ops::Const(g, Tensor::Scalar<int64_t>(n));
  Output dense = AddOp(g, "UnsortedSegmentSum", "UnsortedSegmentSum", {vals, flat, num});
  (*dx)[0] = ReshapeTo(g, dense, IntVectorConst(g, in.dims(), "Const"));
  return Status::OK();
}

}  // namespace

void RegisterNnGradients(GradRegistry* r) {
  r->Register("Relu", [](const GradOp& op, const Outs& dy, Outs* dx) {
    *dx = {AddOp(*op.g, "ReluGrad", "ReluGrad", {dy[0], op.output(0)})};
    return Status::OK();
  });
  r->Register("Relu6", [](const GradOp& op, const Outs& dy, Outs* dx) {
    *dx = {AddOp(*op.g, "Relu6Grad", "Relu6Grad", {dy[0], op.inputs[0]})};
    return Status::OK();
  });
  r->Register("Elu", [](const GradOp& op, const Outs& dy, Outs* dx) {
    *dx = {AddOp(*op.g, "EluGrad", "EluGrad", {dy[0], op.output(0)})};
    return Status::OK();
  });
  r->Register("Softplus", [](const GradOp& op, const Outs& dy, Outs* dx) {
    *dx = {AddOp(*op.g, "SoftplusGrad", "SoftplusGrad", {dy[0], op.inputs[0]})};
    return Status::OK();
  });
  r->Register("Selu", [](const GradOp& op, const Outs& dy, Outs* dx) {
    *dx = {AddOp(*op.g, "SeluGrad", "SeluGrad", {dy[0], op.output(0)})};
    return Status::OK();
  });
  r->Register("LeakyRelu", [](const GradOp& op, const Outs& dy, Outs* dx) {
    auto alpha = op.g->GetAttr(op.name, "alpha");
    const float a = alpha.ok() && alpha->is<float>() ? alpha->get<float>() : 0.2f;
    *dx = {AddOp(*op.g, "LeakyReluGrad", "LeakyReluGrad", {dy[0], op.inputs[0]},
                 AttrMap{{"alpha", a}})};
    return Status::OK();
  });
  r->Register("TopKV2", TopKGrad);
  r->Register("BiasAdd", BiasAddGrad);
  r->Register("Softmax", SoftmaxGrad);
  r->Register("LogSoftmax", LogSoftmaxGrad);
  r->Register("L2Loss", L2LossGrad);
  r->Register("SoftmaxCrossEntropyWithLogits", SoftmaxXentGrad);
  r->Register("SparseSoftmaxCrossEntropyWithLogits", SparseSoftmaxXentGrad);
  // Gradient helpers: their own gradients are not needed.
  for (const char* op : {"ReluGrad", "Relu6Grad", "EluGrad", "SoftplusGrad", "SeluGrad",
                         "LeakyReluGrad", "BiasAddGrad"}) {
    r->NoGradient(op);
  }
}

}  // namespace ckpt::grad
