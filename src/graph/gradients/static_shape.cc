// Static shape inference for the gradient builders: the subset of TF's shape functions whose
// results TF's Python gradient code folds into constants.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "graph/gradients/grad_util.h"

namespace ckpt {
namespace {

using Memo = std::map<std::pair<std::string, int>, PartialShape>;

PartialShape Unknown() { return PartialShape(); }

std::optional<std::vector<int64_t>> ConstInts(const Graph& g, const Output& t) {
  auto v = grad::ConstValue(g, t);
  if (!v) return std::nullopt;
  std::vector<int64_t> out;
  if (v->dtype() == DataType::kInt32) {
    for (int32_t x : v->flat<int32_t>()) out.push_back(x);
  } else if (v->dtype() == DataType::kInt64) {
    for (int64_t x : v->flat<int64_t>()) out.push_back(x);
  } else {
    return std::nullopt;
  }
  return out;
}

PartialShape Broadcast(const PartialShape& a, const PartialShape& b) {
  if (!a.known_rank() || !b.known_rank()) return Unknown();
  const int r = std::max(a.rank(), b.rank());
  std::vector<int64_t> dims(r);
  for (int i = 0; i < r; ++i) {
    int ia = i - (r - a.rank()), ib = i - (r - b.rank());
    int64_t da = ia >= 0 ? a.dims()[ia] : 1;
    int64_t db = ib >= 0 ? b.dims()[ib] : 1;
    if (da == 1) {
      dims[i] = db;
    } else if (db == 1) {
      dims[i] = da;
    } else if (da == -1 || db == -1) {
      dims[i] = da == -1 ? db : da;
      if (da == -1 && db == -1) dims[i] = -1;
    } else {
      dims[i] = da;
    }
  }
  return PartialShape(dims);
}

PartialShape AttrShape(const Graph& g, const std::string& node, std::string_view attr) {
  auto v = g.GetAttr(node, attr);
  if (v.ok() && v->is<PartialShape>()) return v->get<PartialShape>();
  return Unknown();
}

PartialShape Infer(const Graph& g, const Output& t, Memo& memo);

PartialShape InputShape(const Graph& g, const NodeInfo& n, int i, Memo& memo) {
  if (i >= static_cast<int>(n.inputs.size())) return Unknown();
  auto o = Output::Parse(n.inputs[i]);
  if (!o.ok()) return Unknown();
  return Infer(g, *o, memo);
}

Output InputAt(const NodeInfo& n, int i) {
  if (i >= static_cast<int>(n.inputs.size())) return Output();
  auto o = Output::Parse(n.inputs[i]);
  return o.ok() ? *o : Output();
}

const std::set<std::string, std::less<>>& SameShapeOps() {
  static const std::set<std::string, std::less<>> k = {
      "Identity", "Neg", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Log1p", "Abs", "Sign",
      "Reciprocal", "Round", "Floor", "Ceil", "Cast", "Sigmoid", "Tanh", "Relu", "Relu6",
      "Elu", "Softplus", "Softmax", "LogSoftmax", "ZerosLike", "OnesLike", "StopGradient",
      "PreventGradient", "Snapshot", "SigmoidGrad", "TanhGrad", "ReluGrad", "Relu6Grad",
      "EluGrad", "SoftplusGrad", "ReciprocalGrad", "RsqrtGrad", "SqrtGrad", "BiasAdd",
      "LogicalNot", "Assign", "AssignAdd", "AssignSub", "AddN"};
  return k;
}

const std::set<std::string, std::less<>>& BinaryOps() {
  static const std::set<std::string, std::less<>> k = {
      "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "DivNoNan", "FloorDiv", "FloorMod",
      "Maximum", "Minimum", "Pow", "SquaredDifference", "Equal", "NotEqual", "Less",
      "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr"};
  return k;
}

PartialShape Compute(const Graph& g, const Output& t, Memo& memo) {
  auto info = g.GetNode(t.node);
  if (!info.ok()) return Unknown();
  const NodeInfo& n = *info;
  const std::string& op = n.op;
  if (op == "Placeholder" || op == "VariableV2") return AttrShape(g, n.name, "shape");
  if (op == "PlaceholderWithDefault") return AttrShape(g, n.name, "shape");
  if (op == "Const") {
    auto v = grad::ConstValue(g, t);
    return v ? PartialShape(v->shape()) : Unknown();
  }
  if (op == "ReadVariableOp") {
    Output h = InputAt(n, 0);
    auto htype = g.OpType(h.node);
    if (htype.ok() && *htype == "VarHandleOp") return AttrShape(g, h.node, "shape");
    return Unknown();
  }
  if (SameShapeOps().count(op)) return InputShape(g, n, 0, memo);
  if (BinaryOps().count(op)) {
    return Broadcast(InputShape(g, n, 0, memo), InputShape(g, n, 1, memo));
  }
  if (op == "Select") return InputShape(g, n, 1, memo);
  if (op == "SelectV2") {
    return Broadcast(InputShape(g, n, 0, memo),
                     Broadcast(InputShape(g, n, 1, memo), InputShape(g, n, 2, memo)));
  }
  if (op == "ExpandDims") {
    PartialShape in = InputShape(g, n, 0, memo);
    auto dim = ConstInts(g, InputAt(n, 1));
    if (!in.known_rank() || !dim || dim->size() != 1) return Unknown();
    int64_t d = (*dim)[0];
    const int r = in.rank();
    if (d < 0) d += r + 1;
    if (d < 0 || d > r) return Unknown();
    std::vector<int64_t> dims = in.dims();
    dims.insert(dims.begin() + d, 1);
    return PartialShape(dims);
  }
  if (op == "Reshape") {
    auto shape = ConstInts(g, InputAt(n, 1));
    if (!shape) return Unknown();
    std::vector<int64_t> dims = *shape;
    auto wild = std::find(dims.begin(), dims.end(), -1);
    if (wild != dims.end()) {
      PartialShape in = InputShape(g, n, 0, memo);
      if (!in.IsFullyDefined()) return PartialShape(dims);
      int64_t total = 1, known = 1;
      for (int64_t d : in.dims()) total *= d;
      for (int64_t d : dims) {
        if (d != -1) known *= d;
      }
      *wild = known == 0 ? 0 : total / known;
    }
    return PartialShape(dims);
  }
  if (op == "Squeeze") {
    PartialShape in = InputShape(g, n, 0, memo);
    if (!in.known_rank()) return Unknown();
    std::vector<int64_t> axes;
    auto a = g.GetAttr(n.name, "squeeze_dims");
    if (a.ok() && a->is<std::vector<int64_t>>()) axes = a->get<std::vector<int64_t>>();
    std::vector<int64_t> dims;
    for (int i = 0; i < in.rank(); ++i) {
      bool drop;
      if (axes.empty()) {
        if (in.dims()[i] == -1) return Unknown();
        drop = in.dims()[i] == 1;
      } else {
        drop = std::find_if(axes.begin(), axes.end(), [&](int64_t x) {
                 return x == i || x + in.rank() == i;
               }) != axes.end();
      }
      if (!drop) dims.push_back(in.dims()[i]);
    }
    return PartialShape(dims);
  }
  if (op == "MatMul") {
    PartialShape a = InputShape(g, n, 0, memo), b = InputShape(g, n, 1, memo);
    if (a.rank() != 2 || b.rank() != 2) return Unknown();
    auto ta = g.GetAttr(n.name, "transpose_a");
    auto tb = g.GetAttr(n.name, "transpose_b");
    bool tra = ta.ok() && ta->is<bool>() && ta->get<bool>();
    bool trb = tb.ok() && tb->is<bool>() && tb->get<bool>();
    return PartialShape(std::vector<int64_t>{tra ? a.dims()[1] : a.dims()[0],
                                             trb ? b.dims()[0] : b.dims()[1]});
  }
  if (op == "Sum" || op == "Mean" || op == "Max" || op == "Min" || op == "Prod") {
    PartialShape in = InputShape(g, n, 0, memo);
    auto axes = ConstInts(g, InputAt(n, 1));
    if (!in.known_rank() || !axes) return Unknown();
    auto kd = g.GetAttr(n.name, "keep_dims");
    bool keep = kd.ok() && kd->is<bool>() && kd->get<bool>();
    std::vector<bool> reduced(in.rank(), false);
    for (int64_t a : *axes) {
      if (a < 0) a += in.rank();
      if (a < 0 || a >= in.rank()) return Unknown();
      reduced[a] = true;
    }
    std::vector<int64_t> dims;
    for (int i = 0; i < in.rank(); ++i) {
      if (!reduced[i]) {
        dims.push_back(in.dims()[i]);
      } else if (keep) {
        dims.push_back(1);
      }
    }
    return PartialShape(dims);
  }
  if (op == "Fill") {
    auto dims = ConstInts(g, InputAt(n, 0));
    return dims ? PartialShape(*dims) : Unknown();
  }
  if (op == "Shape") {
    PartialShape in = InputShape(g, n, 0, memo);
    return in.known_rank() ? PartialShape(std::vector<int64_t>{in.rank()})
                           : PartialShape(std::vector<int64_t>{-1});
  }
  if (op == "Rank" || op == "Size" || op == "L2Loss") return PartialShape::Scalar();
  if (op == "SoftmaxCrossEntropyWithLogits" || op == "SparseSoftmaxCrossEntropyWithLogits") {
    PartialShape in = InputShape(g, n, 0, memo);
    if (t.index == 1) return in;
    if (in.rank() != 2) return Unknown();
    return PartialShape(std::vector<int64_t>{in.dims()[0]});
  }
  if (op == "Tile") {
    PartialShape in = InputShape(g, n, 0, memo);
    auto m = ConstInts(g, InputAt(n, 1));
    if (!in.known_rank() || !m || static_cast<int>(m->size()) != in.rank()) return Unknown();
    std::vector<int64_t> dims = in.dims();
    for (size_t i = 0; i < dims.size(); ++i) dims[i] = dims[i] == -1 ? -1 : dims[i] * (*m)[i];
    return PartialShape(dims);
  }
  if (op == "BiasAddGrad") {
    PartialShape in = InputShape(g, n, 0, memo);
    if (!in.known_rank() || in.rank() < 1) return Unknown();
    return PartialShape(std::vector<int64_t>{in.dims().back()});
  }
  return Unknown();
}

PartialShape Infer(const Graph& g, const Output& t, Memo& memo) {
  auto key = std::make_pair(t.node, t.index);
  auto it = memo.find(key);
  if (it != memo.end()) return it->second;
  memo[key] = PartialShape();  // guards against cycles
  PartialShape s = Compute(g, t, memo);
  memo[key] = s;
  return s;
}

}  // namespace

PartialShape StaticShape(const Graph& g, const Output& t) {
  PartialShape builder = g.OutputShape(t);
  if (builder.IsFullyDefined()) return builder;
  Memo memo;
  PartialShape mine = Infer(g, t, memo);
  return mine.known_rank() ? mine : builder;
}

}  // namespace ckpt
