// Builders of the array family (src/graph/ops/array_ops.cc): constants, placeholders,
// identities, zeros/ones/fill, shape ops, concatenation, slicing, gather, one_hot, range.
#include "ckpt/graph/ops.h"

#include "graph/builders/build_op.h"
#include "graph/op_registry.h"

namespace ckpt {
namespace ops {

// ---- constants, placeholders, identity -----------------------------------------------------

Output Const(Graph& g, const Tensor& value, std::string_view name) {
  return ConstNode(g, value, name);
}

Output Const(Graph& g, double v, DataType dtype, const TensorShape& shape, std::string_view name) {
  Tensor scalar = MakeScalar(dtype, v);
  if (!scalar.valid()) {
    g.RecordError(
        InvalidArgumentError("Const: unsupported dtype " + std::string(DataTypeName(dtype))));
    return Output();
  }
  if (shape.rank() == 0) return ConstNode(g, scalar, name);
  return SplatConstNode(g, scalar, shape, name);
}

Output Placeholder(Graph& g, DataType dtype, const PartialShape& shape, std::string_view name) {
  return Out(g.AddNode("Placeholder", g.UniqueName(name), {},
                       {{"dtype", AttrValue(dtype)}, {"shape", AttrValue(shape)}}));
}

Output PlaceholderWithDefault(Graph& g, Input input, const PartialShape& shape,
                              std::string_view name) {
  return Out(BuildOp(g, "PlaceholderWithDefault", name, {std::move(input)},
                     {{"shape", AttrValue(shape)}}));
}

Output Identity(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Identity", std::move(x), name);
}

std::vector<Output> IdentityN(Graph& g, const std::vector<Input>& xs, std::string_view name) {
  Operation op = BuildOp(g, "IdentityN", name, xs);
  std::vector<Output> out;
  for (size_t i = 0; i < xs.size(); ++i) out.push_back(Out(op, static_cast<int>(i)));
  return out;
}

Output StopGradient(Graph& g, Input x, std::string_view name) {
  return Unary(g, "StopGradient", std::move(x), name);
}

Output PreventGradient(Graph& g, Input x, std::string_view message, std::string_view name) {
  return Out(BuildOp(g, "PreventGradient", name, {std::move(x)},
                     {{"message", AttrValue(std::string(message))}}));
}

// ---- zeros, ones, fill -----------------------------------------------------------------------

namespace {
Output ZerosOrOnes(Graph& g, const TensorShape& shape, DataType dtype, double v,
                   std::string_view name) {
  Tensor scalar = MakeScalar(dtype, v);
  if (!scalar.valid()) {
    g.RecordError(InvalidArgumentError("unsupported dtype " + std::string(DataTypeName(dtype))));
    return Output();
  }
  if (shape.num_elements() < 1000) {
    if (shape.rank() == 0) return ConstNode(g, scalar, name);
    return SplatConstNode(g, scalar, shape, name);
  }
  Graph::NameScope scope(g, name);
  Output dims = ConstNode(g, Int32Vector(shape.dims()), "shape_as_tensor");
  Output value = ConstNode(g, scalar, "Const");
  return Out(g.AddNode("Fill", scope.scope_name(), std::vector<Output>{dims, value}));
}
}  // namespace

Output Zeros(Graph& g, const TensorShape& shape, DataType dtype, std::string_view name) {
  return ZerosOrOnes(g, shape, dtype, 0.0, name);
}

Output Ones(Graph& g, const TensorShape& shape, DataType dtype, std::string_view name) {
  return ZerosOrOnes(g, shape, dtype, 1.0, name);
}

Output Fill(Graph& g, Input dims, Input value, std::string_view name) {
  return Binary(g, "Fill", std::move(dims), std::move(value), name);
}

// ---- shapes, concatenation, slicing ----------------------------------------------------------

Output Reshape(Graph& g, Input tensor, Input shape, std::string_view name) {
  return Binary(g, "Reshape", std::move(tensor), std::move(shape), name);
}

Output ExpandDims(Graph& g, Input x, Input axis, std::string_view name) {
  return Binary(g, "ExpandDims", std::move(x), std::move(axis), name);
}

Output Squeeze(Graph& g, Input x, std::vector<int64_t> axis, std::string_view name) {
  return Out(
      BuildOp(g, "Squeeze", name, {std::move(x)}, {{"squeeze_dims", AttrValue(std::move(axis))}}));
}

Output Shape(Graph& g, Input x, DataType out_type, std::string_view name) {
  return Out(BuildOp(g, "Shape", name, {std::move(x)}, {{"out_type", AttrValue(out_type)}}));
}

Output Size(Graph& g, Input x, DataType out_type, std::string_view name) {
  return Out(BuildOp(g, "Size", name, {std::move(x)}, {{"out_type", AttrValue(out_type)}}));
}

Output Rank(Graph& g, Input x, std::string_view name) {
  // tf.rank: a Const when the rank is known statically, else the Rank op.
  if (!x.is_literal()) {
    PartialShape s = g.OutputShape(x.output());
    if (s.known_rank()) return ConstNode(g, Tensor::Scalar<int32_t>(s.rank()), name);
  }
  return Unary(g, "Rank", std::move(x), name);
}

namespace {
// tf.zeros_like / tf.ones_like: tf.zeros/tf.ones of the static shape when it is fully
// defined (a Const, or Fill when large), else the ZerosLike/OnesLike op.
Output ConstLike(Graph& g, Input x, double v, std::string_view op, std::string_view name) {
  if (!x.is_literal() && g.status().ok()) {
    PartialShape s = g.OutputShape(x.output());
    DataType dt = g.OutputType(x.output());
    if (s.IsFullyDefined() && dt != DataType::kVariant && dt != DataType::kResource) {
      auto shape = TensorShape::FromDims(s.dims());
      if (shape.ok()) return ZerosOrOnes(g, *shape, dt, v, name);
    }
  }
  return Unary(g, op, std::move(x), name);
}
}  // namespace

Output ZerosLike(Graph& g, Input x, std::string_view name) {
  return ConstLike(g, std::move(x), 0.0, "ZerosLike", name);
}
Output OnesLike(Graph& g, Input x, std::string_view name) {
  return ConstLike(g, std::move(x), 1.0, "OnesLike", name);
}

Output Tile(Graph& g, Input x, Input multiples, std::string_view name) {
  return Binary(g, "Tile", std::move(x), std::move(multiples), name);
}

Output Concat(Graph& g, const std::vector<Input>& values, int axis, std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  const tensorflow::OpDef* def = OpRegistry::Global().Find("ConcatV2");
  std::vector<Output> vals =
      ConvertInputs(g, *def, values, {{"N", AttrValue(int64_t(values.size()))}});
  Output axis_t = ConstNode(g, Tensor::Scalar<int32_t>(axis), "axis");
  vals.push_back(axis_t);
  return Out(g.AddNode("ConcatV2", scope.scope_name(), vals));
}

Output ConcatV2(Graph& g, const std::vector<Input>& values, Input axis, std::string_view name) {
  std::vector<Input> all = values;
  all.push_back(std::move(axis));
  return Out(BuildOp(g, "ConcatV2", name, all, {{"N", AttrValue(int64_t(values.size()))}}));
}

Output Pack(Graph& g, const std::vector<Input>& values, int axis, std::string_view name) {
  return Out(BuildOp(g, "Pack", name, values, {{"axis", AttrValue(int64_t{axis})}}));
}

Output Transpose(Graph& g, Input x, Input perm, std::string_view name) {
  return Binary(g, "Transpose", std::move(x), std::move(perm), name);
}

Output Slice(Graph& g, Input x, Input begin, Input size, std::string_view name) {
  return Out(BuildOp(g, "Slice", name, {std::move(x), std::move(begin), std::move(size)}));
}

Output StridedSlice(Graph& g, Input x, Input begin, Input end, Input strides,
                    const StridedSliceMasks& m, std::string_view name) {
  return Out(BuildOp(g, "StridedSlice", name,
                     {std::move(x), std::move(begin), std::move(end), std::move(strides)},
                     {{"begin_mask", AttrValue(m.begin_mask)},
                      {"end_mask", AttrValue(m.end_mask)},
                      {"ellipsis_mask", AttrValue(m.ellipsis_mask)},
                      {"new_axis_mask", AttrValue(m.new_axis_mask)},
                      {"shrink_axis_mask", AttrValue(m.shrink_axis_mask)}}));
}

Output Gather(Graph& g, Input params, Input indices, int axis, std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  const tensorflow::OpDef* def = OpRegistry::Global().Find("GatherV2");
  std::vector<Output> in = ConvertInputs(g, *def, {std::move(params), std::move(indices)}, {});
  in.push_back(ConstNode(g, Tensor::Scalar<int32_t>(axis), "axis"));
  return Out(
      g.AddNode("GatherV2", scope.scope_name(), in, {{"batch_dims", AttrValue(int64_t{0})}}));
}

Output OneHot(Graph& g, Input indices, int depth, double on_value, double off_value, int axis,
              DataType dtype, std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  Output on = ConstNode(g, MakeScalar(dtype, on_value), "on_value");
  Output off = ConstNode(g, MakeScalar(dtype, off_value), "off_value");
  Output idx = indices.is_literal() ? ConstNode(g, indices.literal(), "indices") : indices.output();
  Output d = ConstNode(g, Tensor::Scalar<int32_t>(depth), "depth");
  return Out(g.AddNode("OneHot", scope.scope_name(), std::vector<Output>{idx, d, on, off},
                       {{"axis", AttrValue(int64_t{axis})}}));
}

Output Range(Graph& g, Input start, Input limit, Input delta, std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  const tensorflow::OpDef* def = OpRegistry::Global().Find("Range");
  std::vector<Output> in =
      ConvertInputs(g, *def, {std::move(start), std::move(limit), std::move(delta)}, {});
  return Out(g.AddNode("Range", scope.scope_name(), in));
}

}  // namespace ops
}  // namespace ckpt
