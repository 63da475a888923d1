// Gradient decisions for the ops of src/graph/ops/nn_ops.cc (TF's nn_grad.py behaviour).
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
  r->Register("TopKV2", InferenceOnly);
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
