// Static shape inference for the common ops (a subset of TF's shape functions), used by the
// builders (variable shapes, reductions over all axes, tf.rank) and exposed as
// Graph::OutputShape. Anything not covered is an unknown shape, which is always safe.
#include <set>

#include "graph/graph_impl.h"
#include "graph/tensor_proto.h"

namespace ckpt {

namespace {

class Ctx {
 public:
  Ctx(const Graph::Rep& rep, const tensorflow::NodeDef& node) : rep_(rep), node_(node) {
    for (const auto& in : node.input()) {
      auto ref = ParseInputString(in);
      if (!ref.ok() || ref->index < 0) break;
      auto it = rep.index.find(std::string(ref->node));
      inputs_.push_back(it == rep.index.end() ? std::make_pair(-1, 0)
                                              : std::make_pair(it->second, ref->index));
    }
  }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  PartialShape in(int i) const {
    if (i >= num_inputs() || inputs_[i].first < 0) return PartialShape();
    const auto& v = rep_.shapes[inputs_[i].first];
    return inputs_[i].second < static_cast<int>(v.size()) ? v[inputs_[i].second] : PartialShape();
  }
  const tensorflow::NodeDef* input_node(int i) const {
    if (i >= num_inputs() || inputs_[i].first < 0) return nullptr;
    return &rep_.def.node(inputs_[i].first);
  }
  // Values of a small int32/int64 Const input; nullopt when not a Const.
  std::optional<std::vector<int64_t>> const_ints(int i) const {
    const tensorflow::NodeDef* n = input_node(i);
    if (n == nullptr || n->op() != "Const") return std::nullopt;
    auto a = n->attr().find("value");
    if (a == n->attr().end()) return std::nullopt;
    // Only small index vectors matter here; never decode big constants.
    int64_t count = 1;
    for (const auto& d : a->second.tensor().tensor_shape().dim()) {
      if (d.size() < 0 || d.size() > 64) return std::nullopt;
      count *= d.size();
    }
    if (count > 64) return std::nullopt;
    auto t = TensorFromProto(a->second.tensor());
    if (!t.ok() || t->num_elements() > 64) return std::nullopt;
    std::vector<int64_t> out;
    if (t->dtype() == DataType::kInt32) {
      for (int32_t v : t->flat<int32_t>()) out.push_back(v);
    } else if (t->dtype() == DataType::kInt64) {
      for (int64_t v : t->flat<int64_t>()) out.push_back(v);
    } else {
      return std::nullopt;
    }
    return out;
  }
  std::optional<PartialShape> attr_shape(const char* name) const {
    auto a = node_.attr().find(name);
    if (a == node_.attr().end() || !a->second.has_shape()) return std::nullopt;
    auto s = PartialShapeFromProto(a->second.shape());
    if (!s.ok()) return std::nullopt;
    return *s;
  }
  const tensorflow::AttrValue* attr(const char* name) const {
    auto a = node_.attr().find(name);
    return a == node_.attr().end() ? nullptr : &a->second;
  }

 private:
  const Graph::Rep& rep_;
  const tensorflow::NodeDef& node_;
  std::vector<std::pair<int, int>> inputs_;
};

PartialShape Broadcast(const PartialShape& a, const PartialShape& b) {
  if (!a.known_rank() || !b.known_rank()) return PartialShape();
  const int r = std::max(a.rank(), b.rank());
  std::vector<int64_t> dims(r);
  for (int i = 0; i < r; ++i) {
    int64_t da = i < r - a.rank() ? 1 : a.dims()[i - (r - a.rank())];
    int64_t db = i < r - b.rank() ? 1 : b.dims()[i - (r - b.rank())];
    if (da == 1) {
      dims[i] = db;
    } else if (db == 1) {
      dims[i] = da;
    } else if (da == -1) {
      dims[i] = db;
    } else {
      dims[i] = da;  // db == da, -1, or incompatible (the kernel reports that)
    }
  }
  return PartialShape(dims);
}

PartialShape ShapeFromValues(const std::optional<std::vector<int64_t>>& v) {
  if (!v) return PartialShape();
  return PartialShape(*v);
}

const std::set<std::string>& SameShapeOps() {
  static const std::set<std::string> ops = {
      "Identity", "StopGradient", "PreventGradient", "Snapshot", "Neg", "Square", "Sqrt",
      "Rsqrt", "Exp", "Log", "Log1p", "Abs", "Sign", "Reciprocal", "Round", "Floor", "Ceil",
      "Sigmoid", "Tanh", "Relu", "Relu6", "Elu", "Softplus", "Softmax", "LogSoftmax",
      "ZerosLike", "OnesLike", "Cast", "LogicalNot", "BiasAdd", "AssignAdd", "AssignSub",
      "AddN", "PlaceholderWithDefault"};
  return ops;
}

const std::set<std::string>& BroadcastOps() {
  static const std::set<std::string> ops = {
      "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "DivNoNan", "FloorDiv", "FloorMod",
      "Maximum", "Minimum", "Pow", "SquaredDifference", "Equal", "NotEqual", "Less",
      "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr"};
  return ops;
}

PartialShape Reduce(const Ctx& c, bool keep_dims) {
  PartialShape in = c.in(0);
  auto axes = c.const_ints(1);
  if (!in.known_rank() || !axes) return PartialShape();
  const int r = in.rank();
  std::vector<bool> red(r, false);
  for (int64_t a : *axes) {
    if (a < -r || a >= r) return PartialShape();
    red[a < 0 ? a + r : a] = true;
  }
  std::vector<int64_t> dims;
  for (int i = 0; i < r; ++i) {
    if (!red[i]) {
      dims.push_back(in.dims()[i]);
    } else if (keep_dims) {
      dims.push_back(1);
    }
  }
  return PartialShape(dims);
}

std::vector<PartialShape> Infer(const Ctx& c, const std::string& op, int n) {
  std::vector<PartialShape> out(n);
  if (n == 0) return out;
  if (op == "Placeholder" || op == "VariableV2") {
    if (auto s = c.attr_shape("shape")) out[0] = *s;
  } else if (op == "Const") {
    if (const auto* a = c.attr("value")) {
      auto s = PartialShapeFromProto(a->tensor().tensor_shape());
      if (s.ok()) out[0] = *s;
    }
  } else if (op == "VarHandleOp" || op == "Rank" || op == "Size" || op == "L2Loss" ||
             op == "IsVariableInitialized" || op == "VarIsInitializedOp") {
    out[0] = PartialShape::Scalar();
  } else if (op == "ReadVariableOp") {
    const tensorflow::NodeDef* h = c.input_node(0);
    if (h != nullptr && h->op() == "VarHandleOp") {
      auto a = h->attr().find("shape");
      if (a != h->attr().end()) {
        auto s = PartialShapeFromProto(a->second.shape());
        if (s.ok()) out[0] = *s;
      }
    }
  } else if (op == "Assign") {
    out[0] = c.in(1);
  } else if (SameShapeOps().count(op)) {
    out[0] = c.in(0);
  } else if (op == "IdentityN") {
    for (int i = 0; i < n; ++i) out[i] = c.in(i);
  } else if (BroadcastOps().count(op)) {
    out[0] = Broadcast(c.in(0), c.in(1));
  } else if (op == "Select") {
    out[0] = c.in(1);
  } else if (op == "SelectV2") {
    out[0] = Broadcast(Broadcast(c.in(0), c.in(1)), c.in(2));
  } else if (op == "MatMul") {
    PartialShape a = c.in(0), b = c.in(1);
    if (a.rank() == 2 && b.rank() == 2) {
      const auto* ta = c.attr("transpose_a");
      const auto* tb = c.attr("transpose_b");
      const bool xa = ta && ta->b(), xb = tb && tb->b();
      out[0] = PartialShape(std::vector<int64_t>{a.dims()[xa ? 1 : 0], b.dims()[xb ? 0 : 1]});
    }
  } else if (op == "Sum" || op == "Mean" || op == "Max" || op == "Min" || op == "Prod") {
    const auto* kd = c.attr("keep_dims");
    out[0] = Reduce(c, kd && kd->b());
  } else if (op == "ArgMax" || op == "ArgMin") {
    out[0] = Reduce(c, false);
  } else if (op == "Shape") {
    PartialShape in = c.in(0);
    out[0] = PartialShape(std::vector<int64_t>{in.known_rank() ? in.rank() : -1});
  } else if (op == "RandomStandardNormal" || op == "RandomUniform" ||
             op == "TruncatedNormal" || op == "Fill") {
    out[0] = ShapeFromValues(c.const_ints(0));
  } else if (op == "Reshape") {
    auto v = c.const_ints(1);
    if (v) {
      std::vector<int64_t> dims = *v;
      PartialShape in = c.in(0);
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
      out[0] = PartialShape(dims);
    }
  } else if (op == "ExpandDims") {
    PartialShape in = c.in(0);
    auto axis = c.const_ints(1);
    if (in.known_rank() && axis && axis->size() == 1) {
      int64_t a = (*axis)[0];
      const int r = in.rank();
      if (a >= -r - 1 && a <= r) {
        std::vector<int64_t> dims = in.dims();
        dims.insert(dims.begin() + (a < 0 ? a + r + 1 : a), 1);
        out[0] = PartialShape(dims);
      }
    }
  } else if (op == "Squeeze") {
    PartialShape in = c.in(0);
    const auto* sd = c.attr("squeeze_dims");
    if (in.known_rank() && sd) {
      const int r = in.rank();
      std::set<int64_t> drop;
      for (int64_t a : sd->list().i()) drop.insert(a < 0 ? a + r : a);
      std::vector<int64_t> dims;
      bool ok = true;
      for (int i = 0; i < r; ++i) {
        const int64_t d = in.dims()[i];
        if (drop.empty()) {
          if (d == -1) ok = false;
          if (d != 1) dims.push_back(d);
        } else if (!drop.count(i)) {
          dims.push_back(d);
        }
      }
      if (ok) out[0] = PartialShape(dims);
    }
  } else if (op == "SparseSoftmaxCrossEntropyWithLogits" ||
             op == "SoftmaxCrossEntropyWithLogits") {
    PartialShape l = c.in(0);
    if (l.rank() == 2) {
      out[0] = PartialShape(std::vector<int64_t>{l.dims()[0]});
      if (n > 1) out[1] = l;
    }
  } else if (op == "Pack") {
    PartialShape in = c.in(0);
    const auto* axis = c.attr("axis");
    if (in.known_rank() && axis) {
      const int r = in.rank() + 1;
      int64_t a = axis->i();
      if (a >= -r && a < r) {
        std::vector<int64_t> dims = in.dims();
        dims.insert(dims.begin() + (a < 0 ? a + r : a), c.num_inputs());
        out[0] = PartialShape(dims);
      }
    }
  } else if (op == "ConcatV2") {
    const int nv = c.num_inputs() - 1;
    auto axis = c.const_ints(nv);
    PartialShape first = c.in(0);
    if (axis && axis->size() == 1 && first.known_rank() && first.rank() > 0) {
      const int r = first.rank();
      int64_t a = (*axis)[0];
      if (a >= -r && a < r) {
        a = a < 0 ? a + r : a;
        std::vector<int64_t> dims = first.dims();
        int64_t total = 0;
        for (int i = 0; i < nv; ++i) {
          PartialShape s = c.in(i);
          if (s.rank() != r || s.dims()[a] < 0 || total < 0) {
            total = -1;
          } else {
            total += s.dims()[a];
          }
        }
        dims[a] = total;
        out[0] = PartialShape(dims);
      }
    }
  } else if (op == "Transpose") {
    PartialShape in = c.in(0);
    auto perm = c.const_ints(1);
    if (in.known_rank() && perm && static_cast<int>(perm->size()) == in.rank()) {
      std::vector<int64_t> dims;
      for (int64_t p : *perm) {
        if (p < 0 || p >= in.rank()) return out;
        dims.push_back(in.dims()[p]);
      }
      out[0] = PartialShape(dims);
    }
  } else if (op == "Tile") {
    PartialShape in = c.in(0);
    auto m = c.const_ints(1);
    if (in.known_rank() && m && static_cast<int>(m->size()) == in.rank()) {
      std::vector<int64_t> dims;
      for (int i = 0; i < in.rank(); ++i) {
        dims.push_back(in.dims()[i] < 0 ? -1 : in.dims()[i] * (*m)[i]);
      }
      out[0] = PartialShape(dims);
    }
  } else if (op == "OneHot") {
    PartialShape in = c.in(0);
    auto depth = c.const_ints(1);
    const auto* axis = c.attr("axis");
    if (in.known_rank() && depth && depth->size() == 1 && axis) {
      std::vector<int64_t> dims = in.dims();
      int64_t a = axis->i() == -1 ? in.rank() : axis->i();
      if (a >= 0 && a <= in.rank()) {
        dims.insert(dims.begin() + a, (*depth)[0]);
        out[0] = PartialShape(dims);
      }
    }
  }
  return out;
}

}  // namespace

std::vector<PartialShape> InferOutputShapes(const Graph::Rep& rep, const tensorflow::NodeDef& node,
                                            int num_outputs) {
  Ctx c(rep, node);
  return Infer(c, node.op(), num_outputs);
}

PartialShape Graph::OutputShape(const Output& output) const {
  auto it = rep_->index.find(output.node);
  if (it == rep_->index.end()) return PartialShape();
  const auto& v = rep_->shapes[it->second];
  if (output.index < 0 || output.index >= static_cast<int>(v.size())) return PartialShape();
  return v[output.index];
}

}  // namespace ckpt
