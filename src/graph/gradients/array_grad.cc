// Gradients of array and state ops (TF's array_grad.py behaviour), and the ops TF declares
// not differentiable.
#include <numeric>

#include "graph/gradients/grad_util.h"

namespace ckpt::grad {
namespace {

using Outs = std::vector<Output>;

Status IdGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  (void)op;
  *dx = {dy[0]};
  return Status::OK();
}

// _ReshapeToInput: reshape(grad, shape(op.inputs[0])).
Status ReshapeToInputGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  Output shape = ShapeOf(g, op.inputs[0], "Shape");
  Output r = ReshapeTo(g, dy[0], shape);
  dx->assign(op.inputs.size(), Output());
  (*dx)[0] = r;
  return Status::OK();
}

Status ReshapeGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  PartialShape in = StaticShape(g, op.inputs[0]);
  Output shape;
  if (in.known_rank() && !in.IsFullyDefined()) {
    int unknown = 0;
    for (int64_t d : in.dims()) unknown += d == -1;
    if (unknown == 1) {
      std::vector<int64_t> dims = in.dims();
      Output r;
      {
        Graph::NameScope s(g, "Reshape");
        Output sh = IntVectorConst(g, dims, "shape");
        Output ins[2] = {dy[0], sh};
        r = g.AddNode("Reshape", s.scope_name(), ins).output(0);
      }
      *dx = {r, Output()};
      return Status::OK();
    }
  }
  shape = ShapeOf(g, op.inputs[0], "Shape");
  *dx = {ReshapeTo(g, dy[0], shape), Output()};
  return Status::OK();
}

Status PackGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  auto axis = g.GetAttr(op.name, "axis");
  int64_t a = axis.ok() && axis->is<int64_t>() ? axis->get<int64_t>() : 0;
  const int n = static_cast<int>(op.inputs.size());
  Operation u = g.AddNode("Unpack", g.UniqueName("unstack"), std::span<const Output>(&dy[0], 1),
                          AttrMap{{"num", int64_t{n}}, {"axis", a}});
  dx->clear();
  for (int i = 0; i < n; ++i) dx->push_back(u.output(i));
  return Status::OK();
}

Status UnpackGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  auto axis = g.GetAttr(op.name, "axis");
  int64_t a = axis.ok() && axis->is<int64_t>() ? axis->get<int64_t>() : 0;
  std::vector<Output> ins = dy;  // missing ones were filled with zeros_like by the driver
  Operation p = g.AddNode("Pack", g.UniqueName("stack"), ins, AttrMap{{"axis", a}});
  *dx = {p.output(0)};
  return Status::OK();
}

Status TransposeGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  auto perm = ConstValue(g, op.inputs[1]);
  if (!perm) {
    return UnimplementedError("gradient of Transpose '" + op.name +
                              "' needs a constant permutation");
  }
  std::vector<int64_t> p;
  if (perm->dtype() == DataType::kInt32) {
    for (int32_t v : perm->flat<int32_t>()) p.push_back(v);
  } else {
    for (int64_t v : perm->flat<int64_t>()) p.push_back(v);
  }
  std::vector<int64_t> inv(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] < 0 || p[i] >= static_cast<int64_t>(p.size())) {
      return InvalidArgumentError("Transpose '" + op.name + "': bad permutation");
    }
    inv[p[i]] = static_cast<int64_t>(i);
  }
  Output ip = IntVectorConst(g, inv, "InvertPermutation");
  *dx = {AddOp(g, "Transpose", "transpose", {dy[0], ip}), Output()};
  return Status::OK();
}

// Gradient of an op that broadcast input 0 to the output's shape: sum over broadcast axes.
Status BroadcastToGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  Output in_shape = ShapeOf(g, op.inputs[0], "Shape");
  Output out_shape = ShapeOf(g, op.output(0), "Shape");
  Output bga = AddOp(g, "BroadcastGradientArgs", "BroadcastGradientArgs", {in_shape, out_shape});
  Output s = AddOp(g, "Sum", "Sum", {dy[0], bga}, AttrMap{{"keep_dims", true}});
  *dx = {ReshapeTo(g, s, in_shape), Output()};
  return Status::OK();
}

Status TileGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  PartialShape in = StaticShape(g, op.inputs[0]);
  auto mult = ConstValue(g, op.inputs[1]);
  if (!in.IsFullyDefined() || !mult) {
    return UnimplementedError("gradient of Tile '" + op.name +
                              "' needs a static input shape and constant multiples");
  }
  std::vector<int64_t> m;
  if (mult->dtype() == DataType::kInt32) {
    for (int32_t v : mult->flat<int32_t>()) m.push_back(v);
  } else {
    for (int64_t v : mult->flat<int64_t>()) m.push_back(v);
  }
  std::vector<int64_t> split;
  std::vector<int32_t> axes;
  for (int i = 0; i < in.rank(); ++i) {
    split.push_back(m[i]);
    split.push_back(in.dims()[i]);
    axes.push_back(2 * i);
  }
  Output sh = IntVectorConst(g, split, "Reshape/shape");
  Output r = ReshapeTo(g, dy[0], sh);
  *dx = {ReduceSumAxes(g, r, axes, false, "Sum"), Output()};
  return Status::OK();
}

Status ConcatV2Grad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const int n = static_cast<int>(op.inputs.size()) - 1;
  auto axis_t = ConstValue(g, op.inputs[n]);
  std::vector<PartialShape> shapes;
  for (int i = 0; i < n; ++i) shapes.push_back(StaticShape(g, op.inputs[i]));
  bool ok = axis_t.has_value();
  for (const auto& s : shapes) ok = ok && s.IsFullyDefined();
  if (!ok) {
    return UnimplementedError("gradient of ConcatV2 '" + op.name +
                              "' needs static input shapes and a constant axis");
  }
  int64_t axis = axis_t->dtype() == DataType::kInt32 ? axis_t->flat<int32_t>()[0]
                                                     : axis_t->flat<int64_t>()[0];
  const int rank = shapes[0].rank();
  if (axis < 0) axis += rank;
  dx->clear();
  int64_t offset = 0;
  for (int i = 0; i < n; ++i) {
    std::vector<int64_t> begin(rank, 0);
    begin[axis] = offset;
    Output b = IntVectorConst(g, begin, "Const");
    Output s = IntVectorConst(g, shapes[i].dims(), "Const");
    dx->push_back(AddOp(g, "Slice", "Slice", {dy[0], b, s}));
    offset += shapes[i].dims()[axis];
  }
  dx->push_back(Output());
  return Status::OK();
}

Status FillGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  PartialShape s = StaticShape(g, dy[0]);
  Output sum;
  if (s.known_rank()) {
    std::vector<int32_t> all(s.rank());
    std::iota(all.begin(), all.end(), 0);
    sum = ReduceSumAxes(g, dy[0], all, false, "Sum");
  } else {
    return UnimplementedError("gradient of Fill '" + op.name + "' needs a known rank");
  }
  *dx = {Output(), sum};
  return Status::OK();
}

}  // namespace

void RegisterArrayGradients(GradRegistry* r) {
  r->Register("Identity", IdGrad);
  r->Register("Snapshot", IdGrad);
  r->Register("ReadVariableOp", IdGrad);
  r->Register("PlaceholderWithDefault", IdGrad);
  r->Register("IdentityN", [](const GradOp& op, const Outs& dy, Outs* dx) {
    (void)op;
    *dx = dy;
    return Status::OK();
  });
  r->Register("PreventGradient", [](const GradOp& op, const Outs& dy, Outs* dx) {
    (void)dy;
    (void)dx;
    return InvalidArgumentError("Gradient explicitly disabled. Reason: " +
                                op.StringAttr("message"));
  });
  r->Register("ExpandDims", ReshapeToInputGrad);
  r->Register("Squeeze", ReshapeToInputGrad);
  r->Register("Reshape", ReshapeGrad);
  r->Register("Pack", PackGrad);
  r->Register("Unpack", UnpackGrad);
  r->Register("Transpose", TransposeGrad);
  r->Register("BroadcastTo", BroadcastToGrad);
  r->Register("Tile", TileGrad);
  r->Register("ConcatV2", ConcatV2Grad);
  r->Register("Fill", FillGrad);
  for (const char* op :
       {"Const", "Placeholder", "Shape", "ShapeN", "Rank", "Size", "ZerosLike", "OnesLike",
        "StopGradient", "OneHot", "RandomStandardNormal", "RandomUniform", "TruncatedNormal",
        "VariableV2", "VarHandleOp", "VarIsInitializedOp", "IsVariableInitialized", "Assign",
        "AssignAdd", "AssignSub", "AssignVariableOp", "AssignAddVariableOp",
        "AssignSubVariableOp", "NoOp", "SaveV2", "RestoreV2", "MergeV2Checkpoints",
        "ReluGrad", "Relu6Grad", "EluGrad", "SoftplusGrad", "SigmoidGrad", "TanhGrad",
        "SqrtGrad", "RsqrtGrad", "ReciprocalGrad", "BiasAddGrad",
        "ApplyGradientDescent", "ResourceApplyGradientDescent", "ApplyMomentum",
        "ResourceApplyMomentum", "ApplyAdam", "ResourceApplyAdam", "ApplyRMSProp",
        "ResourceApplyRMSProp"}) {
    r->NoGradient(op);
  }
}

}  // namespace ckpt::grad
