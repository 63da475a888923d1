// The shape engine (see shape_fn.h): ShapeContext, the shared shape functions, and the lookup
// of each node's shape function in the op registry.
#include <algorithm>

#include "graph/graph_impl.h"
#include "graph/op_registry.h"
#include "graph/shape_fn.h"
#include "graph/tensor_proto.h"

namespace ckpt {

ShapeContext::ShapeContext(const GraphImpl::Rep& rep, const tensorflow::NodeDef& node,
                           int num_outputs)
    : rep_(rep), node_(node), outputs_(num_outputs) {
  for (const auto& in : node.input()) {
    auto ref = ParseInputString(in);
    if (!ref.ok() || ref->index < 0) break;
    auto it = rep.index.find(std::string(ref->node));
    inputs_.push_back(it == rep.index.end() ? std::make_pair(-1, 0)
                                            : std::make_pair(it->second, ref->index));
  }
}

PartialShape ShapeContext::input(int i) const {
  if (i < 0 || i >= num_inputs() || inputs_[i].first < 0) return PartialShape();
  const auto& v = rep_.shapes[inputs_[i].first];
  return inputs_[i].second < static_cast<int>(v.size()) ? v[inputs_[i].second] : PartialShape();
}

const tensorflow::NodeDef* ShapeContext::input_node(int i) const {
  if (i < 0 || i >= num_inputs() || inputs_[i].first < 0) return nullptr;
  return &rep_.def.node(inputs_[i].first);
}

std::optional<std::vector<int64_t>> ShapeContext::const_ints(int i) const {
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

const tensorflow::AttrValue* ShapeContext::attr(const char* name) const {
  auto a = node_.attr().find(name);
  return a == node_.attr().end() ? nullptr : &a->second;
}

bool ShapeContext::bool_attr(const char* name) const {
  const tensorflow::AttrValue* a = attr(name);
  return a != nullptr && a->b();
}

std::optional<PartialShape> ShapeContext::attr_shape(const char* name) const {
  const tensorflow::AttrValue* a = attr(name);
  if (a == nullptr || !a->has_shape()) return std::nullopt;
  auto s = PartialShapeFromProto(a->shape());
  if (!s.ok()) return std::nullopt;
  return *s;
}

namespace shape_fn {

void Unknown(ShapeContext&) {}
void NoOutputs(ShapeContext&) {}
void Scalar(ShapeContext& c) { c.set_output(0, PartialShape::Scalar()); }
void Unchanged(ShapeContext& c) { c.set_output(0, c.input(0)); }
void UnchangedN(ShapeContext& c) {
  for (int i = 0; i < c.num_outputs(); ++i) c.set_output(i, c.input(i));
}
void BroadcastBinary(ShapeContext& c) { c.set_output(0, BroadcastShapes(c.input(0), c.input(1))); }
void FromShapeInput0(ShapeContext& c) {
  if (auto v = c.const_ints(0)) c.set_output(0, PartialShape(*v));
}
void FromShapeAttr(ShapeContext& c) {
  if (auto s = c.attr_shape("shape")) c.set_output(0, *s);
}

namespace {
void Reduce(ShapeContext& c, bool keep_dims) {
  PartialShape in = c.input(0);
  auto axes = c.const_ints(1);
  if (!in.known_rank() || !axes) return;
  const int r = in.rank();
  std::vector<bool> reduced(r, false);
  for (int64_t a : *axes) {
    if (a < -r || a >= r) return;
    reduced[a < 0 ? a + r : a] = true;
  }
  std::vector<int64_t> dims;
  for (int i = 0; i < r; ++i) {
    if (!reduced[i]) {
      dims.push_back(in.dims()[i]);
    } else if (keep_dims) {
      dims.push_back(1);
    }
  }
  c.set_output(0, PartialShape(dims));
}
}  // namespace

void Reduction(ShapeContext& c) { Reduce(c, c.bool_attr("keep_dims")); }
void ReductionDropDims(ShapeContext& c) { Reduce(c, false); }

PartialShape BroadcastShapes(const PartialShape& a, const PartialShape& b) {
  if (!a.known_rank() || !b.known_rank()) return PartialShape();
  const int r = std::max(a.rank(), b.rank());
  std::vector<int64_t> dims(r);
  for (int i = 0; i < r; ++i) {
    int64_t da = i < r - a.rank() ? 1 : a.dims()[i - (r - a.rank())];
    int64_t db = i < r - b.rank() ? 1 : b.dims()[i - (r - b.rank())];
    if (da == 1) {
      dims[i] = db;
    } else if (db == 1 || db == -1) {
      dims[i] = da;
    } else {
      dims[i] = da == -1 ? db : da;  // db == da, or incompatible (the kernel reports that)
    }
  }
  return PartialShape(dims);
}

std::optional<PartialShape> ResourceVariableShape(const ShapeContext& c, int i) {
  const tensorflow::NodeDef* h = c.input_node(i);
  if (h == nullptr || h->op() != "VarHandleOp") return std::nullopt;
  auto a = h->attr().find("shape");
  if (a == h->attr().end()) return std::nullopt;
  auto s = PartialShapeFromProto(a->second.shape());
  if (!s.ok()) return std::nullopt;
  return *s;
}

PartialShape MergeShapes(const PartialShape& a, const PartialShape& b) {
  if (!a.known_rank()) return b;
  if (!b.known_rank() || a.rank() != b.rank()) return a;
  std::vector<int64_t> dims = a.dims();
  for (int i = 0; i < a.rank(); ++i) {
    if (dims[i] == -1) dims[i] = b.dims()[i];
  }
  return PartialShape(dims);
}

}  // namespace shape_fn

std::vector<PartialShape> InferOutputShapes(const GraphImpl::Rep& rep,
                                            const tensorflow::NodeDef& node, int num_outputs) {
  ShapeContext c(rep, node, num_outputs);
  if (ShapeFn fn = OpRegistry::Global().FindShapeFn(node.op())) fn(c);
  return c.TakeOutputs();
}

PartialShape Graph::OutputShape(const Output& output) const {
  auto it = rep_->index.find(output.node);
  if (it == rep_->index.end()) return PartialShape();
  const auto& v = rep_->shapes[it->second];
  if (output.index < 0 || output.index >= static_cast<int>(v.size())) return PartialShape();
  return v[output.index];
}

}  // namespace ckpt
