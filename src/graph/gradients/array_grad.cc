// Gradient decisions for the ops of src/graph/ops/array_ops.cc (TF's array_grad.py behaviour):
// gradient functions, and the ops TF declares not differentiable.
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
  PartialShape in = g.OutputShape(op.inputs[0]);
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
  PartialShape in = g.OutputShape(op.inputs[0]);
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
  for (int i = 0; i < n; ++i) shapes.push_back(g.OutputShape(op.inputs[i]));
  bool ok = axis_t.has_value();
  for (const auto& s : shapes) ok = ok && s.IsFullyDefined();
  if (!ok) {
    return UnimplementedError("gradient of ConcatV2 '" + op.name +
                              "' needs static input shapes and a constant axis");
  }
  int64_t axis =
      axis_t->dtype() == DataType::kInt32 ? axis_t->flat<int32_t>()[0] : axis_t->flat<int64_t>()[0];
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
  // reduce_sum(grad) over all axes (Range(Rank) when the rank is not static).
  *dx = {Output(), ops::Sum(*op.g, dy[0])};
  return Status::OK();
}

Status SliceGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const Output &x = op.inputs[0], &begin = op.inputs[1];
  const DataType idx = g.OutputType(begin);
  Output rank = ops::Rank(g, x);
  if (idx != DataType::kInt32) rank = ops::Cast(g, rank, idx);
  Output slice_size = ops::Shape(g, op.output(0), idx);
  Output one = ops::Const(g, 1.0, idx, {}, "Const");
  Output shape = ops::Pack(g, {rank, one}, 0);
  Output before = ReshapeTo(g, begin, shape);
  Output in_shape = ops::Shape(g, x, idx);
  Output rest = ops::Sub(g, ops::Sub(g, in_shape, slice_size, "sub"), begin, "sub");
  Output after = ReshapeTo(g, rest, shape);
  Output paddings = ops::Concat(g, {before, after}, 1);
  *dx = {AddOp(g, "Pad", "Pad", {dy[0], paddings}), Output(), Output()};
  return Status::OK();
}

Status StridedSliceGradFn(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const DataType idx = g.OutputType(op.inputs[1]);
  Output shape = idx == DataType::kInt32 ? ShapeOf(g, op.inputs[0], "Shape")
                                         : ops::Shape(g, op.inputs[0], idx);
  AttrMap attrs;
  for (const char* m :
       {"begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"}) {
    auto a = g.GetAttr(op.name, m);
    attrs[m] = a.ok() && a->is<int64_t>() ? a->get<int64_t>() : int64_t{0};
  }
  Output r = AddOp(g, "StridedSliceGrad", "StridedSliceGrad",
                   {shape, op.inputs[1], op.inputs[2], op.inputs[3], dy[0]}, attrs);
  *dx = {r, Output(), Output(), Output()};
  return Status::OK();
}

// Dense form of TF's IndexedSlices gradient of gather along axis 0:
// UnsortedSegmentSum(reshape(grad, [size(indices)] + params_shape[1:]), indices, params_shape[0]).
Status GatherGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const Output &params = op.inputs[0], &indices = op.inputs[1];
  if (op.type == "GatherV2") {
    auto axis = ConstValue(g, op.inputs[2]);
    int64_t a = -1;
    if (axis && axis->num_elements() == 1) {
      a = axis->dtype() == DataType::kInt32 ? axis->flat<int32_t>()[0] : axis->flat<int64_t>()[0];
    }
    auto bd = g.GetAttr(op.name, "batch_dims");
    const int64_t batch_dims = bd.ok() && bd->is<int64_t>() ? bd->get<int64_t>() : 0;
    if (a != 0 || batch_dims != 0) {
      return UnimplementedError("gradient of GatherV2 '" + op.name +
                                "' is implemented for a constant axis 0 and batch_dims 0");
    }
  }
  Output params_shape = ops::Shape(g, params, DataType::kInt32, "Shape");
  Output size = ops::ExpandDims(g, ops::Size(g, indices, DataType::kInt32), 0);
  Output tail = ops::Slice(g, params_shape, IntVectorConst(g, {1}, "Const"),
                           IntVectorConst(g, {-1}, "Const"));
  Output values_shape = ops::Concat(g, {size, tail}, 0);
  Output values = ReshapeTo(g, dy[0], values_shape);
  Output flat_idx = ReshapeTo(g, indices, size);
  Output first =
      ops::Slice(g, params_shape, IntVectorConst(g, {0}, "Const"), IntVectorConst(g, {1}, "Const"));
  Output num = ReshapeTo(g, first, IntVectorConst(g, {}, "Const"));
  Output dense = AddOp(g, "UnsortedSegmentSum", "UnsortedSegmentSum", {values, flat_idx, num});
  dx->assign(op.inputs.size(), Output());
  (*dx)[0] = dense;
  return Status::OK();
}

Status PadGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const Output& paddings = op.inputs[1];
  const DataType idx = g.OutputType(paddings);
  Output b0 = idx == DataType::kInt32 ? IntVectorConst(g, {0, 0}, "Const")
                                      : ops::Cast(g, IntVectorConst(g, {0, 0}, "Const"), idx);
  Output s0 = idx == DataType::kInt32 ? IntVectorConst(g, {-1, 1}, "Const")
                                      : ops::Cast(g, IntVectorConst(g, {-1, 1}, "Const"), idx);
  Output first_col = ops::Slice(g, paddings, b0, s0);
  Output begin = ReshapeTo(g, first_col, IntVectorConst(g, {-1}, "Const"));
  Output size = ops::Shape(g, op.inputs[0], idx);
  *dx = {ops::Slice(g, dy[0], begin, size), Output()};
  if (op.type == "PadV2") dx->push_back(Output());
  return Status::OK();
}

// SpaceToBatchND and BatchToSpaceND are each other's gradient (paddings and crops agree).
Status SpaceBatchGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  const char* inverse = op.type == "SpaceToBatchND" ? "BatchToSpaceND" : "SpaceToBatchND";
  *dx = {AddOp(*op.g, inverse, inverse, {dy[0], op.inputs[1], op.inputs[2]}), Output(), Output()};
  return Status::OK();
}

}  // namespace

void RegisterArrayGradients(GradRegistry* r) {
  r->Register("Identity", IdGrad);
  r->Register("Snapshot", IdGrad);
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
  r->Register("Slice", SliceGrad);
  r->Register("StridedSlice", StridedSliceGradFn);
  r->Register("Gather", GatherGrad);
  r->Register("GatherV2", GatherGrad);
  r->Register("Pad", PadGrad);
  r->Register("PadV2", PadGrad);
  r->Register("MirrorPad", InferenceOnly);
  r->Register("SpaceToBatchND", SpaceBatchGrad);
  r->Register("BatchToSpaceND", SpaceBatchGrad);
  for (const char* op :
       {"Const", "Placeholder", "Shape", "ShapeN", "Rank", "Size", "ZerosLike", "OnesLike",
        "StopGradient", "OneHot", "BroadcastGradientArgs", "StridedSliceGrad"}) {
    r->NoGradient(op);
  }
}

}  // namespace ckpt::grad
