#include "graph/gradients/grad_util.h"

#include <algorithm>
#include <set>

namespace ckpt::grad {

bool GradOp::BoolAttr(std::string_view attr, bool dflt) const {
  auto v = g->GetAttr(name, attr);
  if (!v.ok() || !v->is<bool>()) return dflt;
  return v->get<bool>();
}

std::string GradOp::StringAttr(std::string_view attr, std::string dflt) const {
  auto v = g->GetAttr(name, attr);
  if (!v.ok() || !v->is<std::string>()) return dflt;
  return v->get<std::string>();
}

const GradRegistry& GradRegistry::Global() {
  static const GradRegistry* registry = [] {
    auto* r = new GradRegistry();
    RegisterArrayGradients(r);
    RegisterMathGradients(r);
    RegisterNnGradients(r);
    RegisterConvGradients(r);
    RegisterPoolingGradients(r);
    RegisterBatchNormGradients(r);
    RegisterStateGradients(r);
    RegisterRandomGradients(r);
    RegisterStatelessRandomGradients(r);
    RegisterTrainingGradients(r);
    RegisterControlFlowGradients(r);
    RegisterIoGradients(r);
    RegisterFunctionalGradients(r);
    RegisterResourceVariableGradients(r);
    RegisterLookupGradients(r);
    RegisterStringGradients(r);
    RegisterRaggedGradients(r);
    RegisterImageGradients(r);
    return r;
  }();
  return *registry;
}

Status InferenceOnly(const GradOp& op, const std::vector<Output>&, std::vector<Output>*) {
  return UnimplementedError("gradient of " + op.type + " (node " + op.name +
                            ") is not implemented: ckpt runs " + op.type +
                            " for inference only; training through it needs its backward op");
}

void GradRegistry::Register(std::string op, GradFunc fn) { fns_[std::move(op)] = std::move(fn); }
void GradRegistry::NoGradient(std::string op) { none_[std::move(op)] = true; }

const GradFunc* GradRegistry::Find(std::string_view op, bool* known) const {
  auto it = fns_.find(op);
  if (it != fns_.end()) {
    *known = true;
    return &it->second;
  }
  *known = none_.find(op) != none_.end();
  return nullptr;
}

std::vector<std::string> GradRegistry::FunctionOps() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : fns_) out.push_back(k);
  return out;
}

std::optional<Tensor> ConstValue(const Graph& g, const Output& t) {
  auto type = g.OpType(t.node);
  if (!type.ok() || *type != "Const" || t.index != 0) return std::nullopt;
  auto v = g.GetAttr(t.node, "value");
  if (!v.ok() || !v->is<Tensor>()) return std::nullopt;
  return v->get<Tensor>();
}

Output IntVectorConst(Graph& g, const std::vector<int64_t>& v, std::string_view name) {
  std::vector<int32_t> vals(v.begin(), v.end());
  return ops::Const(
      g, Tensor::FromVector<int32_t>(vals, TensorShape{static_cast<int64_t>(vals.size())}), name);
}

Output ShapeOf(Graph& g, const Output& x, std::string_view name) {
  PartialShape s = g.OutputShape(x);
  if (s.IsFullyDefined()) return IntVectorConst(g, s.dims(), name);
  return ops::Shape(g, x, DataType::kInt32, name);
}

Output ZerosLikeOf(Graph& g, const Output& x, bool optimize, std::string_view name) {
  PartialShape s = g.OutputShape(x);
  if (optimize && s.IsFullyDefined()) {
    auto shape = TensorShape::FromDims(s.dims());
    if (shape.ok()) return ops::Const(g, 0.0, g.OutputType(x), *shape, name);
  }
  return AddOp(g, "ZerosLike", name, {x});
}

Output ReduceSumAxes(Graph& g, const Output& x, const std::vector<int32_t>& axes, bool keep_dims,
                     std::string_view name) {
  Graph::NameScope scope(g, name);
  Output idx = ops::Const(
      g, Tensor::FromVector<int32_t>(axes, TensorShape{static_cast<int64_t>(axes.size())}),
      "reduction_indices");
  Output in[2] = {x, idx};
  return g.AddNode("Sum", scope.scope_name(), in, AttrMap{{"keep_dims", keep_dims}}).output(0);
}

Output ReshapeTo(Graph& g, const Output& x, const Output& shape, std::string_view name) {
  return ops::Reshape(g, x, shape, name);
}

void MarkManualControlDep(Graph& g, const std::string& node) {
  if (!g.HasNode(node)) return;
  g.SetAttr(Operation(node), "_has_manual_control_dependencies", true);
}

std::vector<std::string> ColocationOf(const Graph& g, const std::string& node) {
  auto v = g.GetAttr(node, "_class");
  if (v.ok() && v->is<std::vector<std::string>>() && !v->get<std::vector<std::string>>().empty()) {
    return v->get<std::vector<std::string>>();
  }
  return {"loc:@" + node};
}

Operation GroupOps(Graph& g, std::vector<std::string> deps, std::string_view name) {
  std::sort(deps.begin(), deps.end());
  deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
  std::vector<Operation> ctrl;
  for (const auto& d : deps) {
    MarkManualControlDep(g, d);
    ctrl.emplace_back(d);
  }
  return g.AddNode("NoOp", g.UniqueName(name), {}, {}, ctrl);
}

std::vector<Output> Tuple(Graph& g, const std::vector<Output>& tensors) {
  Graph::NameScope scope(g, "tuple");
  std::vector<std::string> gating;
  for (const auto& t : tensors) {
    if (t.valid()) gating.push_back(t.node);
  }
  Operation gate = GroupOps(g, gating, "group_deps");
  MarkManualControlDep(g, gate.name);
  std::vector<Output> out;
  for (const auto& t : tensors) {
    if (!t.valid()) {
      out.emplace_back();
      continue;
    }
    out.push_back(AddOp(g, "Identity", "control_dependency", {t},
                        AttrMap{{"_class", AttrValue(ColocationOf(g, t.node))}}, {gate.name}));
  }
  return out;
}

Output AddOp(Graph& g, std::string_view op, std::string_view name, std::vector<Output> inputs,
             AttrMap attrs, std::vector<std::string> control, int index) {
  std::vector<Operation> ctrl;
  for (auto& c : control) ctrl.emplace_back(c);
  Operation node = g.AddNode(op, g.UniqueName(name), inputs, std::move(attrs), ctrl);
  return node.valid() ? node.output(index) : Output();
}

Output Negate(Graph& g, const Output& x) { return AddOp(g, "Neg", "Neg", {x}); }

}  // namespace ckpt::grad
