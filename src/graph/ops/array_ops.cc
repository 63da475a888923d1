// The array ops (tf.raw_ops in array_ops: constants, placeholders, shape manipulation, slicing,
// gathering; Pad, BroadcastGradientArgs and StridedSliceGrad, which TF registers here too): each
// OpDef with its shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include <set>
#include <vector>

#include "graph/op_registry.h"
#include "graph/tensor_proto.h"

namespace ckpt {
namespace {

void ConstShape(ShapeContext& c) {
  if (const auto* a = c.attr("value")) {
    auto s = PartialShapeFromProto(a->tensor().tensor_shape());
    if (s.ok()) c.set_output(0, *s);
  }
}

void ReshapeShape(ShapeContext& c) {
  auto v = c.const_ints(1);
  if (!v) return;
  std::vector<int64_t> dims = *v;
  PartialShape in = c.input(0);
  int unknown = -1;
  int64_t known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      unknown = static_cast<int>(i);
    } else {
      known *= dims[i];
    }
  }
  if (unknown >= 0 && in.IsFullyDefined() && known > 0) {
    int64_t total = 1;
    for (int64_t d : in.dims()) total *= d;
    dims[unknown] = total / known;
  }
  c.set_output(0, PartialShape(dims));
}

void ExpandDimsShape(ShapeContext& c) {
  PartialShape in = c.input(0);
  auto axis = c.const_ints(1);
  if (!in.known_rank() || !axis || axis->size() != 1) return;
  const int64_t a = (*axis)[0];
  const int r = in.rank();
  if (a < -r - 1 || a > r) return;
  std::vector<int64_t> dims = in.dims();
  dims.insert(dims.begin() + (a < 0 ? a + r + 1 : a), 1);
  c.set_output(0, PartialShape(dims));
}

void SqueezeShape(ShapeContext& c) {
  PartialShape in = c.input(0);
  const auto* sd = c.attr("squeeze_dims");
  if (!in.known_rank() || sd == nullptr) return;
  const int r = in.rank();
  std::set<int64_t> drop;
  for (int64_t a : sd->list().i()) drop.insert(a < 0 ? a + r : a);
  std::vector<int64_t> dims;
  for (int i = 0; i < r; ++i) {
    const int64_t d = in.dims()[i];
    if (drop.empty()) {
      if (d == -1) return;  // squeezing all size-1 dims of an unknown dim: unknown rank
      if (d != 1) dims.push_back(d);
    } else if (!drop.count(i)) {
      dims.push_back(d);
    }
  }
  c.set_output(0, PartialShape(dims));
}

void ShapeShape(ShapeContext& c) {
  PartialShape in = c.input(0);
  c.set_output(0, PartialShape(std::vector<int64_t>{in.known_rank() ? in.rank() : -1}));
}

void TileShape(ShapeContext& c) {
  PartialShape in = c.input(0);
  auto m = c.const_ints(1);
  if (!in.known_rank() || !m || static_cast<int>(m->size()) != in.rank()) return;
  std::vector<int64_t> dims;
  for (int i = 0; i < in.rank(); ++i) {
    dims.push_back(in.dims()[i] < 0 ? -1 : in.dims()[i] * (*m)[i]);
  }
  c.set_output(0, PartialShape(dims));
}

void ConcatV2Shape(ShapeContext& c) {
  const int nv = c.num_inputs() - 1;
  auto axis = c.const_ints(nv);
  PartialShape first = c.input(0);
  if (!axis || axis->size() != 1 || !first.known_rank() || first.rank() == 0) return;
  const int r = first.rank();
  int64_t a = (*axis)[0];
  if (a < -r || a >= r) return;
  a = a < 0 ? a + r : a;
  std::vector<int64_t> dims = first.dims();
  int64_t total = 0;
  for (int i = 0; i < nv; ++i) {
    PartialShape s = c.input(i);
    if (s.rank() != r || s.dims()[a] < 0 || total < 0) {
      total = -1;
    } else {
      total += s.dims()[a];
    }
  }
  dims[a] = total;
  c.set_output(0, PartialShape(dims));
}

void PackShape(ShapeContext& c) {
  PartialShape in = c.input(0);
  const auto* axis = c.attr("axis");
  if (!in.known_rank() || axis == nullptr) return;
  const int r = in.rank() + 1;
  const int64_t a = axis->i();
  if (a < -r || a >= r) return;
  std::vector<int64_t> dims = in.dims();
  dims.insert(dims.begin() + (a < 0 ? a + r : a), c.num_inputs());
  c.set_output(0, PartialShape(dims));
}

void TransposeShape(ShapeContext& c) {
  PartialShape in = c.input(0);
  auto perm = c.const_ints(1);
  if (!in.known_rank() || !perm || static_cast<int>(perm->size()) != in.rank()) return;
  std::vector<int64_t> dims;
  for (int64_t p : *perm) {
    if (p < 0 || p >= in.rank()) return;
    dims.push_back(in.dims()[p]);
  }
  c.set_output(0, PartialShape(dims));
}

void OneHotShape(ShapeContext& c) {
  PartialShape in = c.input(0);
  auto depth = c.const_ints(1);
  const auto* axis = c.attr("axis");
  if (!in.known_rank() || !depth || depth->size() != 1 || axis == nullptr) return;
  std::vector<int64_t> dims = in.dims();
  const int64_t a = axis->i() == -1 ? in.rank() : axis->i();
  if (a < 0 || a > in.rank()) return;
  dims.insert(dims.begin() + a, (*depth)[0]);
  c.set_output(0, PartialShape(dims));
}

void SelectShape(ShapeContext& c) { c.set_output(0, c.input(1)); }

void SelectV2Shape(ShapeContext& c) {
  c.set_output(
      0, shape_fn::BroadcastShapes(shape_fn::BroadcastShapes(c.input(0), c.input(1)), c.input(2)));
}

}  // namespace

void RegisterArrayOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {ConstShape,
     R"pb(name: "Const" output_arg { name: "output" type_attr: "dtype" } attr { name: "value" type: "tensor" } attr { name: "dtype" type: "type" })pb"},
    {shape_fn::FromShapeAttr,
     R"pb(name: "Placeholder" output_arg { name: "output" type_attr: "dtype" } attr { name: "dtype" type: "type" } attr { name: "shape" type: "shape" default_value { shape { unknown_rank: true } } })pb"},
    {shape_fn::FromShapeAttr,
     R"pb(name: "PlaceholderWithDefault" input_arg { name: "input" type_attr: "dtype" } output_arg { name: "output" type_attr: "dtype" } attr { name: "dtype" type: "type" } attr { name: "shape" type: "shape" })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Identity" input_arg { name: "input" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" })pb"},
    {shape_fn::UnchangedN,
     R"pb(name: "IdentityN" input_arg { name: "input" type_list_attr: "T" } output_arg { name: "output" type_list_attr: "T" } attr { name: "T" type: "list(type)" has_minimum: true minimum: 1 })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "StopGradient" input_arg { name: "input" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "PreventGradient" input_arg { name: "input" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "message" type: "string" default_value { s: "" } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Snapshot" input_arg { name: "input" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" })pb"},
    {ReshapeShape,
     R"pb(name: "Reshape" input_arg { name: "tensor" type_attr: "T" } input_arg { name: "shape" type_attr: "Tshape" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Tshape" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {ExpandDimsShape,
     R"pb(name: "ExpandDims" input_arg { name: "input" type_attr: "T" } input_arg { name: "dim" type_attr: "Tdim" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Tdim" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {SqueezeShape,
     R"pb(name: "Squeeze" input_arg { name: "input" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "squeeze_dims" type: "list(int)" default_value { list { } } has_minimum: true })pb"},
    {ShapeShape,
     R"pb(name: "Shape" input_arg { name: "input" type_attr: "T" } output_arg { name: "output" type_attr: "out_type" } attr { name: "T" type: "type" } attr { name: "out_type" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "ShapeN" input_arg { name: "input" type_attr: "T" number_attr: "N" } output_arg { name: "output" type_attr: "out_type" number_attr: "N" } attr { name: "N" type: "int" has_minimum: true minimum: 1 } attr { name: "T" type: "type" } attr { name: "out_type" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Scalar,
     R"pb(name: "Size" input_arg { name: "input" type_attr: "T" } output_arg { name: "output" type_attr: "out_type" } attr { name: "T" type: "type" } attr { name: "out_type" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Scalar,
     R"pb(name: "Rank" input_arg { name: "input" type_attr: "T" } output_arg { name: "output" type: DT_INT32 } attr { name: "T" type: "type" })pb"},
    {shape_fn::FromShapeInput0,
     R"pb(name: "Fill" input_arg { name: "dims" type_attr: "index_type" } input_arg { name: "value" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "index_type" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "ZerosLike" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "OnesLike" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT8 type: DT_UINT8 type: DT_INT16 type: DT_UINT16 type: DT_INT32 type: DT_UINT32 type: DT_INT64 type: DT_UINT64 type: DT_COMPLEX64 type: DT_COMPLEX128 type: DT_BOOL } } })pb"},
    {TileShape,
     R"pb(name: "Tile" input_arg { name: "input" type_attr: "T" } input_arg { name: "multiples" type_attr: "Tmultiples" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Tmultiples" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {ConcatV2Shape,
     R"pb(name: "ConcatV2" input_arg { name: "values" type_attr: "T" number_attr: "N" } input_arg { name: "axis" type_attr: "Tidx" } output_arg { name: "output" type_attr: "T" } attr { name: "N" type: "int" has_minimum: true minimum: 2 } attr { name: "T" type: "type" } attr { name: "Tidx" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {PackShape,
     R"pb(name: "Pack" input_arg { name: "values" type_attr: "T" number_attr: "N" } output_arg { name: "output" type_attr: "T" } attr { name: "N" type: "int" has_minimum: true minimum: 1 } attr { name: "T" type: "type" } attr { name: "axis" type: "int" default_value { i: 0 } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "Unpack" input_arg { name: "value" type_attr: "T" } output_arg { name: "output" type_attr: "T" number_attr: "num" } attr { name: "num" type: "int" has_minimum: true } attr { name: "T" type: "type" } attr { name: "axis" type: "int" default_value { i: 0 } })pb"},
    {TransposeShape,
     R"pb(name: "Transpose" input_arg { name: "x" type_attr: "T" } input_arg { name: "perm" type_attr: "Tperm" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Tperm" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "StridedSlice" input_arg { name: "input" type_attr: "T" } input_arg { name: "begin" type_attr: "Index" } input_arg { name: "end" type_attr: "Index" } input_arg { name: "strides" type_attr: "Index" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Index" type: "type" allowed_values { list { type: DT_INT16 type: DT_INT32 type: DT_INT64 } } } attr { name: "begin_mask" type: "int" default_value { i: 0 } } attr { name: "end_mask" type: "int" default_value { i: 0 } } attr { name: "ellipsis_mask" type: "int" default_value { i: 0 } } attr { name: "new_axis_mask" type: "int" default_value { i: 0 } } attr { name: "shrink_axis_mask" type: "int" default_value { i: 0 } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "Slice" input_arg { name: "input" type_attr: "T" } input_arg { name: "begin" type_attr: "Index" } input_arg { name: "size" type_attr: "Index" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Index" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "Gather" input_arg { name: "params" type_attr: "Tparams" } input_arg { name: "indices" type_attr: "Tindices" } output_arg { name: "output" type_attr: "Tparams" } attr { name: "validate_indices" type: "bool" default_value { b: true } } attr { name: "Tparams" type: "type" } attr { name: "Tindices" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "GatherV2" input_arg { name: "params" type_attr: "Tparams" } input_arg { name: "indices" type_attr: "Tindices" } input_arg { name: "axis" type_attr: "Taxis" } output_arg { name: "output" type_attr: "Tparams" } attr { name: "batch_dims" type: "int" default_value { i: 0 } } attr { name: "Tparams" type: "type" } attr { name: "Tindices" type: "type" allowed_values { list { type: DT_INT16 type: DT_INT32 type: DT_INT64 } } } attr { name: "Taxis" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {OneHotShape,
     R"pb(name: "OneHot" input_arg { name: "indices" type_attr: "TI" } input_arg { name: "depth" type: DT_INT32 } input_arg { name: "on_value" type_attr: "T" } input_arg { name: "off_value" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "axis" type: "int" default_value { i: -1 } } attr { name: "T" type: "type" } attr { name: "TI" type: "type" default_value { type: DT_INT64 } allowed_values { list { type: DT_UINT8 type: DT_INT8 type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "Range" input_arg { name: "start" type_attr: "Tidx" } input_arg { name: "limit" type_attr: "Tidx" } input_arg { name: "delta" type_attr: "Tidx" } output_arg { name: "output" type_attr: "Tidx" } attr { name: "Tidx" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_UINT16 type: DT_UINT32 type: DT_UINT64 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Cast" input_arg { name: "x" type_attr: "SrcT" } output_arg { name: "y" type_attr: "DstT" } attr { name: "SrcT" type: "type" } attr { name: "DstT" type: "type" } attr { name: "Truncate" type: "bool" default_value { b: false } })pb"},
    {SelectShape,
     R"pb(name: "Select" input_arg { name: "condition" type: DT_BOOL } input_arg { name: "t" type_attr: "T" } input_arg { name: "e" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" })pb"},
    {SelectV2Shape,
     R"pb(name: "SelectV2" input_arg { name: "condition" type: DT_BOOL } input_arg { name: "t" type_attr: "T" } input_arg { name: "e" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" })pb"},
    {shape_fn::Unknown,
     R"pb(name: "BroadcastTo" input_arg { name: "input" type_attr: "T" } input_arg { name: "shape" type_attr: "Tidx" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Tidx" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "Pad" input_arg { name: "input" type_attr: "T" } input_arg { name: "paddings" type_attr: "Tpaddings" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Tpaddings" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "BroadcastGradientArgs" input_arg { name: "s0" type_attr: "T" } input_arg { name: "s1" type_attr: "T" } output_arg { name: "r0" type_attr: "T" } output_arg { name: "r1" type_attr: "T" } attr { name: "T" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "StridedSliceGrad" input_arg { name: "shape" type_attr: "Index" } input_arg { name: "begin" type_attr: "Index" } input_arg { name: "end" type_attr: "Index" } input_arg { name: "strides" type_attr: "Index" } input_arg { name: "dy" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Index" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 } } } attr { name: "begin_mask" type: "int" default_value { i: 0 } } attr { name: "end_mask" type: "int" default_value { i: 0 } } attr { name: "ellipsis_mask" type: "int" default_value { i: 0 } } attr { name: "new_axis_mask" type: "int" default_value { i: 0 } } attr { name: "shrink_axis_mask" type: "int" default_value { i: 0 } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "PadV2" input_arg { name: "input" type_attr: "T" } input_arg { name: "paddings" type_attr: "Tpaddings" } input_arg { name: "constant_values" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Tpaddings" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "MirrorPad" input_arg { name: "input" type_attr: "T" } input_arg { name: "paddings" type_attr: "Tpaddings" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Tpaddings" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } } attr { name: "mode" type: "string" allowed_values { list { s: "REFLECT" s: "SYMMETRIC" } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "SpaceToBatchND" input_arg { name: "input" type_attr: "T" } input_arg { name: "block_shape" type_attr: "Tblock_shape" } input_arg { name: "paddings" type_attr: "Tpaddings" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Tblock_shape" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } } attr { name: "Tpaddings" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "BatchToSpaceND" input_arg { name: "input" type_attr: "T" } input_arg { name: "block_shape" type_attr: "Tblock_shape" } input_arg { name: "crops" type_attr: "Tcrops" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Tblock_shape" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } } attr { name: "Tcrops" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
