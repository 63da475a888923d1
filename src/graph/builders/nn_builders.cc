// Builders of the nn family (src/graph/ops/nn_ops.cc): BiasAdd, activations, softmax and
// the cross-entropy losses as TF's Python wrappers emit them.
#include "ckpt/graph/ops.h"

#include "graph/builders/build_op.h"

namespace ckpt {
namespace ops {

Output BiasAdd(Graph& g, Input value, Input bias, std::string_view name) {
  return Binary(g, "BiasAdd", std::move(value), std::move(bias), name);
}

Output Relu(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Relu", std::move(x), name);
}
Output Relu6(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Relu6", std::move(x), name);
}
Output Elu(Graph& g, Input x, std::string_view name) { return Unary(g, "Elu", std::move(x), name); }
Output Sigmoid(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Sigmoid", std::move(x), name);
}
Output Tanh(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Tanh", std::move(x), name);
}
Output Softplus(Graph& g, Input x, std::string_view name) {
  return Unary(g, "Softplus", std::move(x), name);
}
Output Softmax(Graph& g, Input logits, std::string_view name) {
  return Unary(g, "Softmax", std::move(logits), name);
}
Output LogSoftmax(Graph& g, Input logits, std::string_view name) {
  return Unary(g, "LogSoftmax", std::move(logits), name);
}
Output L2Loss(Graph& g, Input t, std::string_view name) {
  return Unary(g, "L2Loss", std::move(t), name);
}

Output SigmoidCrossEntropyWithLogits(Graph& g, Input labels, Input logits, std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  Output z = logits.is_literal() ? ConstNode(g, logits.literal(), "logits") : logits.output();
  Output y = labels.is_literal() ? ConstNode(g, labels.literal(), "labels") : labels.output();
  Output zeros = ZerosLike(g, z, "zeros_like");
  Output cond = GreaterEqual(g, z, zeros, "GreaterEqual");
  Output relu_logits = Select(g, cond, z, zeros, "Select");
  Output neg = Neg(g, z, "Neg");
  Output neg_abs_logits = Select(g, cond, neg, z, "Select");
  Output mul = Mul(g, z, y, "mul");
  Output sub = Sub(g, relu_logits, mul, "sub");
  Output exp = Exp(g, neg_abs_logits, "Exp");
  Output log1p = Log1p(g, exp, "Log1p");
  return Add(g, sub, log1p, scope.scope_name());
}

Output SoftmaxCrossEntropyWithLogitsOp(Graph& g, Input features, Input labels,
                                       std::string_view name) {
  return Binary(g, "SoftmaxCrossEntropyWithLogits", std::move(features), std::move(labels), name);
}

namespace {
// array_ops.slice(shape, [rank - 1], [1]) / ([0], [rank - 1]) as the xent wrapper emits it.
Output SliceOfShape(Graph& g, Output shape, Output rank_minus_1, bool tail) {
  Graph::NameScope scope(g, "Slice");
  Output begin, size;
  if (tail) {
    begin = Out(g.AddNode("Pack", g.UniqueName("begin"), std::vector<Output>{rank_minus_1},
                          {{"axis", AttrValue(int64_t{0})}}));
    size = ConstNode(g, Int32Vector({1}), "size");
  } else {
    begin = ConstNode(g, Int32Vector({0}), "begin");
    size = Out(g.AddNode("Pack", g.UniqueName("size"), std::vector<Output>{rank_minus_1},
                         {{"axis", AttrValue(int64_t{0})}}));
  }
  return Out(g.AddNode("Slice", scope.scope_name(), std::vector<Output>{shape, begin, size}));
}

// _flatten_outer_dims(x) for a rank-2 x: Reshape(x, concat([[-1], shape[-1:]])).
Output FlattenOuterDims(Graph& g, Output x, int rank) {
  Output rank_t = ConstNode(g, Tensor::Scalar<int32_t>(rank), "Rank");
  Output shape = Shape(g, x, DataType::kInt32, "Shape");
  Output rm1 = Sub(g, rank_t, 1, "Sub");
  Output last = SliceOfShape(g, shape, rm1, true);
  Graph::NameScope cs(g, "concat");
  Output v0 = ConstNode(g, Int32Vector({-1}), "values_0");
  Output axis = ConstNode(g, Tensor::Scalar<int32_t>(0), "axis");
  Output concat = Out(g.AddNode("ConcatV2", cs.scope_name(), std::vector<Output>{v0, last, axis}));
  return concat;
}
}  // namespace

Output SoftmaxCrossEntropyWithLogits(Graph& g, Input labels, Input logits, std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  Output z = logits.is_literal() ? ConstNode(g, logits.literal(), "logits") : logits.output();
  Output y = labels.is_literal() ? ConstNode(g, labels.literal(), "labels") : labels.output();
  PartialShape zs = g.OutputShape(z);
  if (zs.known_rank() && zs.rank() != 2) {
    g.RecordError(
        UnimplementedError("SoftmaxCrossEntropyWithLogits builder supports rank-2 "
                           "logits, got " +
                           zs.DebugString()));
    return Output();
  }
  // Input rank, input shape, then the flattened logits and labels (TF's order of nodes).
  Output rank_in = ConstNode(g, Tensor::Scalar<int32_t>(2), "Rank");
  Output shape_in = Shape(g, z, DataType::kInt32, "Shape");
  Output logits_shape = FlattenOuterDims(g, z, 2);
  Output flat_logits = Reshape(g, z, logits_shape, "Reshape");
  Output labels_shape = FlattenOuterDims(g, y, 2);
  Output flat_labels = Reshape(g, y, labels_shape, "Reshape");
  Operation xent = g.AddNode("SoftmaxCrossEntropyWithLogits", scope.scope_name(),
                             std::vector<Output>{flat_logits, flat_labels});
  if (!xent.valid()) return Output();
  Output rm1 = Sub(g, rank_in, 1, "Sub");
  Output out_shape = SliceOfShape(g, shape_in, rm1, false);
  return Reshape(g, xent.output(0), out_shape, "Reshape");
}

Output SparseSoftmaxCrossEntropyWithLogits(Graph& g, Input labels, Input logits,
                                           std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  Output z = logits.is_literal() ? ConstNode(g, logits.literal(), "logits") : logits.output();
  Output y = labels.is_literal() ? ConstNode(g, labels.literal(), "labels") : labels.output();
  Shape(g, y, DataType::kInt32, "Shape");
  Operation op =
      g.AddNode("SparseSoftmaxCrossEntropyWithLogits",
                g.UniqueName("SparseSoftmaxCrossEntropyWithLogits"), std::vector<Output>{z, y});
  return Out(op, 0);
}

}  // namespace ops
}  // namespace ckpt
