// tf.compat.v1.train optimizers: slot/non-slot variables, hyperparameter constants, update ops
// and the train op, node for node as TF 2.21 builds them.
#include "ckpt/graph/optimizers.h"

#include <algorithm>

#include "ckpt/graph/gradients.h"
#include "ckpt/graph/ops.h"
#include "graph/gradients/grad_util.h"

namespace ckpt {
namespace {

std::string NodeOf(const std::string& tensor_name) {
  auto o = Output::Parse(tensor_name);
  return o.ok() ? o->node : tensor_name;
}

AttrValue Loc(const std::string& node) {
  return AttrValue(std::vector<std::string>{"loc:@" + node});
}

std::vector<Operation> SortedOps(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::vector<Operation> out;
  for (auto& n : names) out.emplace_back(n);
  return out;
}

// Adds a node with exactly these control inputs (sorted by name, as TF's GraphDef lists them).
Operation Node(Graph& g, std::string_view op, const std::string& final_name,
               std::vector<Output> inputs, AttrMap attrs, std::vector<std::string> control = {}) {
  std::vector<Operation> ctrl = SortedOps(std::move(control));
  return g.AddNode(op, final_name, inputs, std::move(attrs), ctrl);
}

// A zeros/ones initializer value as array_ops.zeros builds it in the current scope: a Const
// named `name` below 1000 elements, else shape_as_tensor + Const + Fill.
Output FilledValue(Graph& g, double value, DataType dtype, const PartialShape& shape,
                   std::string_view name, const AttrValue& colocate) {
  auto ts = TensorShape::FromDims(shape.dims());
  if (!shape.IsFullyDefined() || !ts.ok()) {
    g.RecordError(InvalidArgumentError("slot variable needs a fully defined shape, got " +
                                       shape.DebugString()));
    return Output();
  }
  Graph::NameScope s(g, name);
  if (ts->num_elements() < 1000) {
    return ops::Const(g, value, dtype, *ts, s.scope_name());
  }
  std::vector<int32_t> dims(ts->dims().begin(), ts->dims().end());
  Output shape_t = ops::Const(
      g, Tensor::FromVector<int32_t>(dims, TensorShape{static_cast<int64_t>(dims.size())}),
      "shape_as_tensor");
  Output v = ops::Const(g, value, dtype, {}, "Const");
  Output ins[2] = {shape_t, v};
  return g.AddNode("Fill", s.scope_name(), ins, AttrMap{{"_class", colocate}}).output(0);
}

// Sets `attr` on every node created since `first_index` (used to colocate a block of nodes).
void SetAttrOnNewNodes(Graph& g, int first_index, const std::string& attr, const AttrValue& v) {
  if (!v.is<std::vector<std::string>>()) return;
  auto names = g.node_names();
  for (int i = first_index; i < static_cast<int>(names.size()); ++i) {
    g.SetAttr(Operation(names[i]), attr, v);
  }
}

struct VarSpec {
  std::string name;         // requested node name (made unique)
  double init_value = 0.0;  // zeros/ones/scalar initial value
  bool filled = true;       // "Initializer/zeros|ones" (slot) vs "initial_value" (non-slot)
  DataType dtype = DataType::kFloat;
  PartialShape shape;
  bool resource = false;
  std::string colocate;  // primary variable node; empty = itself
  std::vector<std::string> collections = {std::string(kGlobalVariables)};
};

// Builds a non-trainable variable the way TF's slot_creator / get_variable do.
StatusOr<VariableInfo> BuildVariable(Graph& g, const VarSpec& spec) {
  Graph::NameScope root(g, "");
  Graph::ControlDependencies no_deps(g, {}, /*clear=*/true);
  Graph::NameScope scope(g, spec.name);
  const std::string var = scope.scope_name().substr(0, scope.scope_name().size() - 1);
  const std::string coloc_node = spec.colocate.empty() ? var : spec.colocate;
  const AttrValue colocate = Loc(coloc_node);
  const bool colocated_with_other = !spec.colocate.empty();
  VariableInfo info;
  info.trainable = false;
  info.is_resource = spec.resource;

  // Initial value.
  Output init;
  if (spec.filled) {
    Graph::NameScope s(g, "Initializer");
    const char* fname = spec.init_value == 1.0 ? "ones" : "zeros";
    const int before = g.num_nodes();
    init = FilledValue(g, spec.init_value, spec.dtype, spec.shape, fname, colocate);
    SetAttrOnNewNodes(g, before, "_class", colocate);
  } else {
    auto ts = TensorShape::FromDims(spec.shape.dims());
    if (!ts.ok()) return ts.status();
    const int before = g.num_nodes();
    if (spec.resource) {
      Graph::NameScope s(g, "Initializer");
      init = ops::Const(g, spec.init_value, spec.dtype, *ts, "initial_value");
    } else {
      init = ops::Const(g, spec.init_value, spec.dtype, *ts, "initial_value");
    }
    SetAttrOnNewNodes(g, before, "_class", colocate);
  }
  if (!init.valid()) return g.status().ok() ? InternalError("variable init failed") : g.status();
  info.initial_value_name = init.name();

  Operation v, assign;
  Output snapshot;
  if (!spec.resource) {
    v = Node(g, "VariableV2", scope.scope_name(), {},
             AttrMap{{"shape", AttrValue(spec.shape)},
                     {"dtype", AttrValue(spec.dtype)},
                     {"container", AttrValue(std::string())},
                     {"shared_name", AttrValue(std::string())},
                     {"_class", colocate}});
    assign = Node(g, "Assign", g.UniqueName("Assign"), {v.output(0), init},
                  AttrMap{{"use_locking", true}, {"validate_shape", true}, {"_class", colocate}});
    snapshot =
        Node(g, "Identity", g.UniqueName("read"), {v.output(0)}, AttrMap{{"_class", colocate}})
            .output(0);
  } else {
    v = Node(g, "VarHandleOp", scope.scope_name(), {},
             AttrMap{{"shape", AttrValue(spec.shape)},
                     {"dtype", AttrValue(spec.dtype)},
                     {"container", AttrValue(std::string())},
                     {"shared_name", AttrValue(var)},
                     {"debug_name", AttrValue(var + "/")},
                     {"allowed_devices", AttrValue(std::vector<std::string>{})},
                     {"_class", colocate}});
    {
      Graph::NameScope s(g, "IsInitialized");
      AttrMap a;
      if (colocated_with_other) a["_class"] = colocate;
      Node(g, "VarIsInitializedOp", g.UniqueName("VarIsInitializedOp"), {v.output(0)}, a);
    }
    assign = Node(g, "AssignVariableOp", g.UniqueName("Assign"), {v.output(0), init},
                  AttrMap{{"dtype", AttrValue(spec.dtype)}, {"validate_shape", false}});
    {
      Graph::NameScope s(g, "Read");
      AttrMap a{{"dtype", AttrValue(spec.dtype)}};
      if (colocated_with_other) a["_class"] = colocate;
      snapshot =
          Node(g, "ReadVariableOp", g.UniqueName("ReadVariableOp"), {v.output(0)}, a).output(0);
    }
  }
  if (!g.status().ok()) return g.status();
  info.variable_name = v.output(0).name();
  info.initializer_name = assign.name;
  info.snapshot_name = snapshot.name();
  g.RegisterVariable(info);
  for (const auto& c : spec.collections) g.AddToCollection(c, info.variable_name);
  return info;
}

}  // namespace

// ---- global step ----------------------------------------------------------------------------

StatusOr<Output> GetGlobalStep(const Graph& g) {
  const auto& c = g.GetCollection(kGlobalStep);
  if (c.empty()) return NotFoundError("no global step variable in collection 'global_step'");
  if (c.size() > 1) {
    return InvalidArgumentError("collection 'global_step' holds " + std::to_string(c.size()) +
                                " variables; expected 1");
  }
  return g.GetTensorByName(c[0]);
}

StatusOr<Output> GetOrCreateGlobalStep(Graph& g, bool use_resource) {
  if (!g.GetCollection(kGlobalStep).empty()) return GetGlobalStep(g);
  VarSpec spec;
  spec.name = "global_step";
  spec.dtype = DataType::kInt64;
  spec.shape = PartialShape::Scalar();
  spec.resource = use_resource;
  spec.collections = {std::string(kGlobalVariables), std::string(kGlobalStep)};
  CKPT_ASSIGN_OR_RETURN(VariableInfo info, BuildVariable(g, spec));
  if (use_resource) {
    // get_variable's VarIsInitializedOp / Read carry no colocation for the variable itself.
  }
  return g.GetTensorByName(info.variable_name);
}

// ---- Optimizer ------------------------------------------------------------------------------

Optimizer::Optimizer(std::string name, bool use_locking)
    : name_(std::move(name)), use_locking_(use_locking) {}
Optimizer::~Optimizer() = default;

const VariableInfo* Optimizer::GetSlot(std::string_view var, std::string_view slot) const {
  for (const auto& [key, info] : slots_) {
    if (key.first == var && key.second == slot) return &info;
  }
  return nullptr;
}

StatusOr<VariableInfo> Optimizer::CreateSlot(Graph& g, const VariableInfo& primary, double value,
                                             std::string_view slot) {
  const std::string var = NodeOf(primary.variable_name);
  if (const VariableInfo* existing = GetSlot(var, slot)) return *existing;
  VarSpec spec;
  spec.name = var + "/" + name_;
  spec.init_value = value;
  auto dt = g.OutputType(Output(var, 0));
  auto shape_attr = g.GetAttr(var, "shape");
  spec.dtype = primary.is_resource ? [&] {
    auto a = g.GetAttr(var, "dtype");
    return a.ok() && a->is<DataType>() ? a->get<DataType>() : DataType::kFloat;
  }() : dt;
  if (shape_attr.ok() && shape_attr->is<PartialShape>())
    spec.shape = shape_attr->get<PartialShape>();
  spec.resource = primary.is_resource;
  spec.colocate = var;
  CKPT_ASSIGN_OR_RETURN(VariableInfo info, BuildVariable(g, spec));
  slots_.push_back({{var, std::string(slot)}, info});
  return info;
}

StatusOr<VariableInfo> Optimizer::CreateNonSlot(Graph& g, double value, std::string_view name,
                                                const VariableInfo& colocate_with) {
  for (const auto& [n, info] : non_slots_) {
    if (n == name) return info;
  }
  VarSpec spec;
  spec.name = std::string(name);
  spec.init_value = value;
  spec.filled = false;
  spec.dtype = dtype_;
  spec.shape = PartialShape::Scalar();
  spec.resource = colocate_with.is_resource;
  spec.colocate = NodeOf(colocate_with.variable_name);
  CKPT_ASSIGN_OR_RETURN(VariableInfo info, BuildVariable(g, spec));
  non_slots_.push_back({std::string(name), info});
  return info;
}

Output Optimizer::HyperConst(Graph& g, double v, std::string_view name, DataType dtype) {
  return ops::Const(g, v, dtype, {}, name);
}

StatusOr<std::vector<GradAndVar>> Optimizer::ComputeGradients(Graph& g, const Output& loss,
                                                              std::vector<VariableInfo> var_list) {
  if (!g.status().ok()) return g.status();
  if (var_list.empty()) var_list = g.VariablesInCollection(kTrainableVariables);
  if (var_list.empty()) return InvalidArgumentError("No variables to optimize.");
  std::vector<Output> xs;
  for (const auto& v : var_list) {
    CKPT_ASSIGN_OR_RETURN(Output x, g.GetTensorByName(v.variable_name));
    xs.push_back(x);
  }
  GradientsOptions opts;
  opts.gate_gradients = true;
  CKPT_ASSIGN_OR_RETURN(std::vector<Output> grads, Gradients(g, {loss}, xs, {}, opts));
  std::vector<GradAndVar> out;
  for (size_t i = 0; i < var_list.size(); ++i) out.push_back({grads[i], var_list[i]});
  return out;
}

StatusOr<Operation> Optimizer::Finish(Graph& g, const std::vector<Operation>& update_ops,
                                      const std::string& name_scope) {
  std::vector<std::string> names;
  for (const auto& op : update_ops) {
    names.push_back(op.name);
    grad::MarkManualControlDep(g, op.name);
  }
  std::string final_name = name_scope;
  if (!final_name.empty() && final_name.back() != '/') final_name = g.UniqueName(final_name);
  Operation group = Node(g, "NoOp", final_name, {}, {}, names);
  if (!group.valid()) return g.status();
  return group;
}

StatusOr<Operation> Optimizer::ApplyGradients(Graph& g,
                                              const std::vector<GradAndVar>& grads_and_vars,
                                              const Output& global_step, std::string_view name) {
  if (!g.status().ok()) return g.status();
  std::vector<VariableInfo> var_list;
  std::vector<const GradAndVar*> pairs;
  for (const auto& gv : grads_and_vars) {
    if (!gv.gradient.valid()) continue;
    var_list.push_back(gv.variable);
    pairs.push_back(&gv);
  }
  if (var_list.empty()) {
    std::string names;
    for (const auto& gv : grads_and_vars)
      names += (names.empty() ? "" : ", ") + gv.variable.variable_name;
    return InvalidArgumentError("No gradients provided for any variable: [" + names + "]");
  }
  {
    const std::string v0 = NodeOf(var_list[0].variable_name);
    auto a = g.GetAttr(v0, "dtype");
    dtype_ = a.ok() && a->is<DataType>() ? a->get<DataType>() : DataType::kFloat;
  }
  CKPT_RETURN_IF_ERROR(CreateSlots(g, var_list));
  Graph::NameScope scope(g, name.empty() ? name_ : std::string(name));
  const std::string scope_name = scope.scope_name();
  CKPT_RETURN_IF_ERROR(Prepare(g));
  std::vector<Operation> update_ops;
  for (const GradAndVar* gv : pairs) {
    const std::string var = NodeOf(gv->variable.variable_name);
    Graph::NameScope us(g, "update_" + var);
    CKPT_ASSIGN_OR_RETURN(Operation op, ApplyDense(g, gv->gradient, gv->variable));
    update_ops.push_back(op);
  }
  Operation train_op;
  if (!global_step.valid()) {
    CKPT_ASSIGN_OR_RETURN(train_op, Finish(g, update_ops, scope_name));
  } else {
    CKPT_ASSIGN_OR_RETURN(Operation update, Finish(g, update_ops, "update"));
    grad::MarkManualControlDep(g, update.name);
    const std::string gs = global_step.node;
    const bool resource = g.OutputType(global_step) == DataType::kResource;
    auto dt_attr = g.GetAttr(gs, "dtype");
    const DataType gdt =
        dt_attr.ok() && dt_attr->is<DataType>() ? dt_attr->get<DataType>() : DataType::kInt64;
    const std::string final_name = scope_name.substr(0, scope_name.size() - 1);
    Output one;
    if (resource) {
      one = ops::Const(g, 1.0, gdt, {}, "Const");
    } else {
      one = ops::Const(g, 1.0, gdt, {}, "value");
    }
    g.AddControlInput(Operation(one.node), update);
    SetAttrOnNewNodes(g, g.num_nodes() - 1, "_class", Loc(gs));
    if (resource) {
      train_op = Node(g, "AssignAddVariableOp", scope_name, {global_step, one},
                      AttrMap{{"dtype", AttrValue(gdt)}, {"_class", Loc(gs)}});
    } else {
      train_op = Node(g, "AssignAdd", scope_name, {global_step, one},
                      AttrMap{{"use_locking", false}, {"_class", Loc(gs)}});
    }
    (void)final_name;
  }
  if (!g.status().ok()) return g.status();
  if (!train_op.valid()) return InternalError("train op was not created");
  const auto& tc = g.GetCollection(kTrainOp);
  if (std::find(tc.begin(), tc.end(), train_op.name) == tc.end()) {
    g.AddToCollection(kTrainOp, train_op.name);
  }
  return train_op;
}

StatusOr<Operation> Optimizer::Minimize(Graph& g, const Output& loss,
                                        const MinimizeOptions& options) {
  CKPT_ASSIGN_OR_RETURN(std::vector<GradAndVar> gv, ComputeGradients(g, loss, options.var_list));
  return ApplyGradients(g, gv, options.global_step, options.name);
}

// ---- GradientDescent ------------------------------------------------------------------------

GradientDescentOptimizer::GradientDescentOptimizer(double learning_rate, bool use_locking,
                                                   std::string name)
    : Optimizer(std::move(name), use_locking), lr_(learning_rate) {}

Status GradientDescentOptimizer::Prepare(Graph& g) {
  lr_t_ = HyperConst(g, lr_, "learning_rate", dtype_);
  return g.status();
}

StatusOr<Operation> GradientDescentOptimizer::ApplyDense(Graph& g, const Output& grad,
                                                         const VariableInfo& var) {
  const std::string v = NodeOf(var.variable_name);
  const char* op = var.is_resource ? "ResourceApplyGradientDescent" : "ApplyGradientDescent";
  Operation n = Node(g, op, g.UniqueName(op), {Output(v, 0), lr_t_, grad},
                     AttrMap{{"use_locking", use_locking_}, {"_class", Loc(v)}});
  if (!n.valid()) return g.status();
  return n;
}

// ---- Momentum -------------------------------------------------------------------------------

MomentumOptimizer::MomentumOptimizer(double learning_rate, double momentum, bool use_locking,
                                     std::string name, bool use_nesterov)
    : Optimizer(std::move(name), use_locking),
      lr_(learning_rate),
      momentum_(momentum),
      nesterov_(use_nesterov) {}

Status MomentumOptimizer::CreateSlots(Graph& g, const std::vector<VariableInfo>& vars) {
  for (const auto& v : vars) CKPT_RETURN_IF_ERROR(CreateSlot(g, v, 0.0, "momentum").status());
  return Status::OK();
}

Status MomentumOptimizer::Prepare(Graph& g) {
  lr_t_ = HyperConst(g, lr_, "learning_rate", dtype_);
  momentum_t_ = HyperConst(g, momentum_, "momentum", dtype_);
  return g.status();
}

StatusOr<Operation> MomentumOptimizer::ApplyDense(Graph& g, const Output& grad,
                                                  const VariableInfo& var) {
  const std::string v = NodeOf(var.variable_name);
  const VariableInfo* accum = GetSlot(v, "momentum");
  if (accum == nullptr) return InternalError("missing Momentum slot for " + v);
  const char* op = var.is_resource ? "ResourceApplyMomentum" : "ApplyMomentum";
  Operation n =
      Node(g, op, g.UniqueName(op),
           {Output(v, 0), Output(NodeOf(accum->variable_name), 0), lr_t_, grad, momentum_t_},
           AttrMap{{"use_locking", use_locking_}, {"use_nesterov", nesterov_}, {"_class", Loc(v)}});
  if (!n.valid()) return g.status();
  return n;
}

// ---- Adam -----------------------------------------------------------------------------------

AdamOptimizer::AdamOptimizer(double learning_rate, double beta1, double beta2, double epsilon,
                             bool use_locking, std::string name)
    : Optimizer(std::move(name), use_locking),
      lr_(learning_rate),
      beta1_(beta1),
      beta2_(beta2),
      epsilon_(epsilon) {}

Status AdamOptimizer::CreateSlots(Graph& g, const std::vector<VariableInfo>& vars) {
  const VariableInfo* first = &vars[0];
  for (const auto& v : vars) {
    if (v.variable_name < first->variable_name) first = &v;
  }
  CKPT_ASSIGN_OR_RETURN(beta1_power_, CreateNonSlot(g, beta1_, "beta1_power", *first));
  CKPT_ASSIGN_OR_RETURN(beta2_power_, CreateNonSlot(g, beta2_, "beta2_power", *first));
  for (const auto& v : vars) {
    CKPT_RETURN_IF_ERROR(CreateSlot(g, v, 0.0, "m").status());
    CKPT_RETURN_IF_ERROR(CreateSlot(g, v, 0.0, "v").status());
  }
  return Status::OK();
}

Status AdamOptimizer::Prepare(Graph& g) {
  lr_t_ = HyperConst(g, lr_, "learning_rate", dtype_);
  beta1_t_ = HyperConst(g, beta1_, "beta1", dtype_);
  beta2_t_ = HyperConst(g, beta2_, "beta2", dtype_);
  epsilon_t_ = HyperConst(g, epsilon_, "epsilon", dtype_);
  return g.status();
}

StatusOr<Operation> AdamOptimizer::ApplyDense(Graph& g, const Output& grad,
                                              const VariableInfo& var) {
  const std::string v = NodeOf(var.variable_name);
  const VariableInfo* m = GetSlot(v, "m");
  const VariableInfo* vv = GetSlot(v, "v");
  if (m == nullptr || vv == nullptr) return InternalError("missing Adam slots for " + v);
  const std::string b1 = NodeOf(beta1_power_.variable_name);
  const std::string b2 = NodeOf(beta2_power_.variable_name);
  AttrMap attrs{{"use_locking", use_locking_}, {"use_nesterov", false}, {"_class", Loc(v)}};
  Operation n;
  if (!var.is_resource) {
    CKPT_ASSIGN_OR_RETURN(Output b1r, g.GetTensorByName(beta1_power_.snapshot_name));
    CKPT_ASSIGN_OR_RETURN(Output b2r, g.GetTensorByName(beta2_power_.snapshot_name));
    n = Node(
        g, "ApplyAdam", g.UniqueName("ApplyAdam"),
        {Output(v, 0), Output(NodeOf(m->variable_name), 0), Output(NodeOf(vv->variable_name), 0),
         b1r, b2r, lr_t_, beta1_t_, beta2_t_, epsilon_t_, grad},
        attrs);
  } else {
    Graph::NameScope s(g, "ResourceApplyAdam");
    Output r1 = Node(g, "ReadVariableOp", g.UniqueName("ReadVariableOp"), {Output(b1, 0)},
                     AttrMap{{"dtype", AttrValue(dtype_)}})
                    .output(0);
    Output r2 = Node(g, "ReadVariableOp", g.UniqueName("ReadVariableOp"), {Output(b2, 0)},
                     AttrMap{{"dtype", AttrValue(dtype_)}})
                    .output(0);
    n = Node(
        g, "ResourceApplyAdam", s.scope_name(),
        {Output(v, 0), Output(NodeOf(m->variable_name), 0), Output(NodeOf(vv->variable_name), 0),
         r1, r2, lr_t_, beta1_t_, beta2_t_, epsilon_t_, grad},
        attrs);
  }
  if (!n.valid()) return g.status();
  return n;
}

StatusOr<Operation> AdamOptimizer::Finish(Graph& g, const std::vector<Operation>& update_ops,
                                          const std::string& name_scope) {
  std::vector<std::string> deps;
  for (const auto& op : update_ops) deps.push_back(op.name);
  const std::string b1 = NodeOf(beta1_power_.variable_name);
  const std::string b2 = NodeOf(beta2_power_.variable_name);
  const AttrValue coloc(grad::ColocationOf(g, b1));
  std::vector<Operation> all = update_ops;
  if (!beta1_power_.is_resource) {
    for (int k = 0; k < 2; ++k) {
      const VariableInfo& p = k == 0 ? beta1_power_ : beta2_power_;
      CKPT_ASSIGN_OR_RETURN(Output read, g.GetTensorByName(p.snapshot_name));
      Output mul = Node(g, "Mul", g.UniqueName("mul"), {read, k == 0 ? beta1_t_ : beta2_t_},
                        AttrMap{{"_class", coloc}}, deps)
                       .output(0);
      Operation assign =
          Node(g, "Assign", g.UniqueName("Assign"), {Output(k == 0 ? b1 : b2, 0), mul},
               AttrMap{{"use_locking", use_locking_}, {"validate_shape", true}, {"_class", coloc}});
      all.push_back(assign);
    }
  } else {
    for (int k = 0; k < 2; ++k) {
      const std::string p = k == 0 ? b1 : b2;
      Output read = Node(g, "ReadVariableOp", g.UniqueName("ReadVariableOp"), {Output(p, 0)},
                         AttrMap{{"dtype", AttrValue(dtype_)}}, deps)
                        .output(0);
      Output mul = Node(g, "Mul", g.UniqueName("mul"), {read, k == 0 ? beta1_t_ : beta2_t_},
                        AttrMap{{"_class", coloc}})
                       .output(0);
      Operation assign =
          Node(g, "AssignVariableOp", g.UniqueName("AssignVariableOp"), {Output(p, 0), mul},
               AttrMap{{"dtype", AttrValue(dtype_)}, {"validate_shape", true}, {"_class", coloc}});
      grad::MarkManualControlDep(g, assign.name);
      std::vector<std::string> after = deps;
      after.push_back(assign.name);
      Node(g, "ReadVariableOp", g.UniqueName("ReadVariableOp"), {Output(p, 0)},
           AttrMap{{"dtype", AttrValue(dtype_)}, {"_class", coloc}}, after);
      all.push_back(assign);
    }
  }
  if (!g.status().ok()) return g.status();
  return Optimizer::Finish(g, all, name_scope);
}

// ---- RMSProp --------------------------------------------------------------------------------

RMSPropOptimizer::RMSPropOptimizer(double learning_rate, double decay, double momentum,
                                   double epsilon, bool use_locking, std::string name)
    : Optimizer(std::move(name), use_locking),
      lr_(learning_rate),
      decay_(decay),
      momentum_(momentum),
      epsilon_(epsilon) {}

Status RMSPropOptimizer::CreateSlots(Graph& g, const std::vector<VariableInfo>& vars) {
  for (const auto& v : vars) {
    CKPT_RETURN_IF_ERROR(CreateSlot(g, v, 1.0, "rms").status());
    CKPT_RETURN_IF_ERROR(CreateSlot(g, v, 0.0, "momentum").status());
  }
  return Status::OK();
}

Status RMSPropOptimizer::Prepare(Graph& g) {
  lr_t_ = HyperConst(g, lr_, "learning_rate", dtype_);
  decay_t_ = HyperConst(g, decay_, "decay", dtype_);
  momentum_t_ = HyperConst(g, momentum_, "momentum", dtype_);
  epsilon_t_ = HyperConst(g, epsilon_, "epsilon", dtype_);
  return g.status();
}

StatusOr<Operation> RMSPropOptimizer::ApplyDense(Graph& g, const Output& grad,
                                                 const VariableInfo& var) {
  const std::string v = NodeOf(var.variable_name);
  const VariableInfo* rms = GetSlot(v, "rms");
  const VariableInfo* mom = GetSlot(v, "momentum");
  if (rms == nullptr || mom == nullptr) return InternalError("missing RMSProp slots for " + v);
  const char* op = var.is_resource ? "ResourceApplyRMSProp" : "ApplyRMSProp";
  Operation n =
      Node(g, op, g.UniqueName(op),
           {Output(v, 0), Output(NodeOf(rms->variable_name), 0),
            Output(NodeOf(mom->variable_name), 0), lr_t_, decay_t_, momentum_t_, epsilon_t_, grad},
           AttrMap{{"use_locking", use_locking_}, {"_class", Loc(v)}});
  if (!n.valid()) return g.status();
  return n;
}

}  // namespace ckpt
