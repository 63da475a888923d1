// Builders of the math family (src/graph/ops/math_ops.cc): element-wise ops, comparisons,
// Cast, Select, MatMul, reductions and arg-min/max.
#include "ckpt/graph/ops.h"

#include "graph/builders/build_op.h"

namespace ckpt {
namespace ops {

// ---- element-wise ----------------------------------------------------------------------------

Output Add(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "AddV2", std::move(x), std::move(y), name);
}
Output AddLegacy(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "Add", std::move(x), std::move(y), name);
}
Output AddN(Graph& g, const std::vector<Input>& xs, std::string_view name) {
  return Out(BuildOp(g, "AddN", name, xs));
}
Output Sub(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "Sub", std::move(x), std::move(y), name);
}
Output Mul(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "Mul", std::move(x), std::move(y), name);
}
Output RealDiv(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "RealDiv", std::move(x), std::move(y), name);
}
Output TrueDiv(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "RealDiv", std::move(x), std::move(y), name);
}
Output Div(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "Div", std::move(x), std::move(y), name);
}
Output FloorDiv(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "FloorDiv", std::move(x), std::move(y), name);
}
Output FloorMod(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "FloorMod", std::move(x), std::move(y), name);
}
Output Maximum(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "Maximum", std::move(x), std::move(y), name);
}
Output Minimum(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "Minimum", std::move(x), std::move(y), name);
}
Output Pow(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "Pow", std::move(x), std::move(y), name);
}
Output SquaredDifference(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "SquaredDifference", std::move(x), std::move(y), name);
}
Output Neg(Graph& g, Input x, std::string_view name) { return Unary(g, "Neg", std::move(x), name); }
Output Square(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Square", std::move(x), name);
}
Output Sqrt(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Sqrt", std::move(x), name);
}
Output Rsqrt(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Rsqrt", std::move(x), name);
}
Output Exp(Graph& g, Input x, std::string_view name) { return Unary(g, "Exp", std::move(x), name); }
Output Log(Graph& g, Input x, std::string_view name) { return Unary(g, "Log", std::move(x), name); }
Output Log1p(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Log1p", std::move(x), name);
}
Output Abs(Graph& g, Input x, std::string_view name) { return Unary(g, "Abs", std::move(x), name); }
Output Sign(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Sign", std::move(x), name);
}
Output Reciprocal(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Reciprocal", std::move(x), name);
}
Output Round(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Round", std::move(x), name);
}
Output Floor(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Floor", std::move(x), name);
}
Output Ceil(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Ceil", std::move(x), name);
}

Output Cast(Graph& g, Input x, DataType dst, std::string_view name) {
  return Out(BuildOp(g, "Cast", name, {std::move(x)}, {{"DstT", AttrValue(dst)}}));
}

Output Equal(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "Equal", std::move(x), std::move(y), name);
}
Output NotEqual(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "NotEqual", std::move(x), std::move(y), name);
}
Output Less(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "Less", std::move(x), std::move(y), name);
}
Output LessEqual(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "LessEqual", std::move(x), std::move(y), name);
}
Output Greater(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "Greater", std::move(x), std::move(y), name);
}
Output GreaterEqual(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "GreaterEqual", std::move(x), std::move(y), name);
}
Output LogicalAnd(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "LogicalAnd", std::move(x), std::move(y), name);
}
Output LogicalOr(Graph& g, Input x, Input y, std::string_view name) {
  return Binary(g, "LogicalOr", std::move(x), std::move(y), name);
}
Output LogicalNot(Graph& g, Input x, std::string_view name) {
  return Unary(g, "LogicalNot", std::move(x), name);
}

Output Select(Graph& g, Input cond, Input x, Input y, std::string_view name) {
  return Out(BuildOp(g, "Select", name, {std::move(cond), std::move(x), std::move(y)}));
}
Output SelectV2(Graph& g, Input cond, Input x, Input y, std::string_view name) {
  return Out(BuildOp(g, "SelectV2", name, {std::move(cond), std::move(x), std::move(y)}));
}

// ---- matrix ----------------------------------------------------------------------------------

Output MatMul(Graph& g, Input a, Input b, bool transpose_a, bool transpose_b,
              std::string_view name) {
  return Out(
      BuildOp(g, "MatMul", name, {std::move(a), std::move(b)},
              {{"transpose_a", AttrValue(transpose_a)}, {"transpose_b", AttrValue(transpose_b)}}));
}

// ---- reductions ------------------------------------------------------------------------------

namespace {
Output ReduceBuilder(Graph& g, std::string_view op, Input x, std::optional<std::vector<int>> axes,
                     bool keep_dims, std::string_view name) {
  if (!g.status().ok()) return Output();
  if (!axes.has_value()) {
    // axis=None: reduce every dim; Python builds the axes before the op's scope.
    Output xo = x.is_literal() ? ConstNode(g, x.literal(), "Const") : x.output();
    PartialShape s = g.OutputShape(xo);
    Output axes_t;
    if (s.known_rank()) {
      std::vector<int64_t> all(s.rank());
      for (int i = 0; i < s.rank(); ++i) all[i] = i;
      axes_t = ConstNode(g, Int32Vector(all), "Const");
    } else {
      Graph::NameScope rs(g, "range");
      Output start = ConstNode(g, Tensor::Scalar<int32_t>(0), "start");
      Output limit = Rank(g, xo, "Rank");
      Output delta = ConstNode(g, Tensor::Scalar<int32_t>(1), "delta");
      axes_t = Out(g.AddNode("Range", rs.scope_name(), std::vector<Output>{start, limit, delta}));
    }
    return Out(BuildOp(g, op, name, {xo, axes_t}, {{"keep_dims", AttrValue(keep_dims)}}));
  }
  Graph::NameScope scope(g, name);
  Output xo = x.is_literal() ? ConstNode(g, x.literal(), "input") : x.output();
  Tensor axes_value = axes->size() == 1
                          ? Tensor::Scalar<int32_t>((*axes)[0])
                          : Int32Vector(std::vector<int64_t>(axes->begin(), axes->end()));
  Output axes_t = ConstNode(g, axes_value, "reduction_indices");
  return Out(g.AddNode(op, scope.scope_name(), std::vector<Output>{xo, axes_t},
                       {{"keep_dims", AttrValue(keep_dims)}}));
}
}  // namespace

Output Sum(Graph& g, Input x, std::optional<std::vector<int>> axes, bool keep_dims,
           std::string_view name) {
  return ReduceBuilder(g, "Sum", std::move(x), std::move(axes), keep_dims, name);
}
Output Mean(Graph& g, Input x, std::optional<std::vector<int>> axes, bool keep_dims,
            std::string_view name) {
  return ReduceBuilder(g, "Mean", std::move(x), std::move(axes), keep_dims, name);
}
Output Max(Graph& g, Input x, std::optional<std::vector<int>> axes, bool keep_dims,
           std::string_view name) {
  return ReduceBuilder(g, "Max", std::move(x), std::move(axes), keep_dims, name);
}
Output Min(Graph& g, Input x, std::optional<std::vector<int>> axes, bool keep_dims,
           std::string_view name) {
  return ReduceBuilder(g, "Min", std::move(x), std::move(axes), keep_dims, name);
}
Output Prod(Graph& g, Input x, std::optional<std::vector<int>> axes, bool keep_dims,
            std::string_view name) {
  return ReduceBuilder(g, "Prod", std::move(x), std::move(axes), keep_dims, name);
}

Output Reduce(Graph& g, std::string_view op, Input x, Input axis, bool keep_dims,
              std::string_view name) {
  return Out(BuildOp(g, op, name.empty() ? op : name, {std::move(x), std::move(axis)},
                     {{"keep_dims", AttrValue(keep_dims)}}));
}

Output ArgMax(Graph& g, Input x, int axis, DataType output_type, std::string_view name) {
  Graph::NameScope scope(g, name);
  Output xo = x.is_literal() ? ConstNode(g, x.literal(), "input") : x.output();
  Output dim = ConstNode(g, Tensor::Scalar<int32_t>(axis), "dimension");
  return Out(g.AddNode("ArgMax", scope.scope_name(), std::vector<Output>{xo, dim},
                       {{"output_type", AttrValue(output_type)}}));
}

Output ArgMin(Graph& g, Input x, int axis, DataType output_type, std::string_view name) {
  Graph::NameScope scope(g, name);
  Output xo = x.is_literal() ? ConstNode(g, x.literal(), "input") : x.output();
  Output dim = ConstNode(g, Tensor::Scalar<int32_t>(axis), "dimension");
  return Out(g.AddNode("ArgMin", scope.scope_name(), std::vector<Output>{xo, dim},
                       {{"output_type", AttrValue(output_type)}}));
}

}  // namespace ops
}  // namespace ckpt
