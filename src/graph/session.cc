#include "ckpt/graph/session.h"

#include "ckpt/core/parallel.h"

#include <algorithm>
#include <unordered_map>

#include "graph/graph_impl.h"
#include "graph/kernel.h"
#include "graph/kernels/eigen.h"
#include "graph/session_impl.h"
#include "graph/tensor_proto.h"

// The executor: Session::Create/Run and variable access. Plans (which nodes run, in which
// slots) are built by session_planner.cc.
namespace ckpt {

using exec::FeedSpec;
using exec::NodeState;
using exec::Plan;
using exec::Quote;
using exec::Step;

namespace {

// When a Run ends, however it ends: drops the feeds and the step outputs, keeping the buffers
// nothing else holds as spares for the next run (folded values stay).
class ValuesReset {
 public:
  explicit ValuesReset(Plan* plan) : plan_(plan) {}
  ~ValuesReset() {
    auto& values = plan_->values;
    for (size_t i = 0; i < plan_->feed_slots.size(); ++i) values[i].tensor.Reset();
    for (size_t i = plan_->persistent_end; i < values.size(); ++i) {
      TensorValue& v = values[i];
      if (v.tensor.valid()) {
        if (v.tensor.RefCountIsOne()) {
          plan_->spares[i] = std::move(v.tensor);
        } else {
          v.tensor.Reset();
        }
      }
      v.ref = nullptr;
      v.resource = nullptr;
    }
    for (auto& v : plan_->deref_values) v.tensor.Reset();
  }

 private:
  Plan* plan_;
};

}  // namespace

Session::Session(const Graph* graph, const SessionOptions& options)
    : graph_(graph), impl_(std::make_unique<Impl>()) {
  impl_->graph = graph;
  impl_->options = options;
  impl_->env = options.env != nullptr ? options.env : Env::Default();
  if (!options.file_access.unrestricted) {
    impl_->restricted_env = NewRestrictedEnv(impl_->env, options.file_access);
    impl_->env = impl_->restricted_env.get();
  }
  int threads = options.intra_op_threads > 0 ? options.intra_op_threads : HardwareConcurrency();
  impl_->pool = std::make_unique<Eigen::ThreadPool>(threads);
  impl_->device = std::make_unique<Eigen::ThreadPoolDevice>(impl_->pool.get(), threads);
}

Session::~Session() = default;

Env* Session::env() const { return impl_->env; }

StatusOr<std::unique_ptr<Session>> Session::Create(const Graph* graph,
                                                   const SessionOptions& options) {
  if (graph == nullptr) return InvalidArgumentError("session graph is null");
  if (!graph->status().ok()) {
    return graph->status().WithContext("cannot create a session over a graph with an error");
  }
  std::unique_ptr<Session> s(new Session(graph, options));
  CKPT_RETURN_IF_ERROR(s->impl_->Extend());
  return s;
}

Status Session::Impl::Extend() {
  const GraphImpl::Rep& rep = GraphImpl::Get(*graph);
  if (!rep.status.ok()) return rep.status.WithContext("graph has an error");
  const int n = rep.def.node_size();
  const int old = static_cast<int>(nodes.size());
  if (n == old) return Status::OK();
  nodes.resize(n);
  for (int i = old; i < n; ++i) {
    NodeState& s = nodes[i];
    s.def = &rep.def.node(i);
    s.input_types = rep.types[i].inputs;
    s.output_types = rep.types[i].outputs;
    for (const auto& in : s.def->input()) {
      CKPT_ASSIGN_OR_RETURN(InputRef ref, ParseInputString(in));
      auto it = rep.index.find(std::string(ref.node));
      if (it == rep.index.end()) {
        nodes.resize(old);
        return NotFoundError("node " + Quote(s.def->name()) + ": input " + Quote(in) +
                             " names an unknown node");
      }
      if (ref.index < 0) {
        s.controls.push_back(it->second);
      } else {
        s.inputs.emplace_back(it->second, ref.index);
      }
    }
  }
  return Status::OK();
}

Status Session::Impl::EnsureKernel(NodeState& n) {
  if (n.kernel) return Status::OK();
  const KernelFactory* factory = KernelRegistry::Global().Find(n.def->op());
  if (factory == nullptr) {
    return UnimplementedError("no CPU kernel for op " + n.def->op() + " (node " +
                              Quote(n.def->name()) + ")");
  }
  n.construction =
      std::make_unique<OpKernelConstruction>(*n.def, n.input_types, n.output_types, env,
                                             device.get(), &GraphImpl::Get(*graph).def.library());
  auto k = (*factory)(*n.construction);
  Status s = k.ok() ? n.construction->status() : k.status();
  if (!s.ok()) return s.WithContext("node " + n.def->name() + " (" + n.def->op() + ")");
  n.kernel = std::move(k).value();
  return Status::OK();
}

// Checks a fed value against what its tensor accepts.
Status CheckFeed(const FeedSpec& spec, const Tensor& value) {
  if (!value.valid()) return InvalidArgumentError("feed " + Quote(spec.name) + " is empty");
  if (value.dtype() != spec.dtype) {
    return InvalidArgumentError(
        "cannot feed value of dtype " + std::string(DataTypeName(value.dtype())) + " for tensor " +
        Quote(spec.name) + " of dtype " + std::string(DataTypeName(spec.dtype)));
  }
  if (spec.check_shape && !spec.shape.IsCompatibleWith(value.shape())) {
    return InvalidArgumentError("cannot feed value of shape " + value.shape().DebugString() +
                                " for tensor " + Quote(spec.name) + ", which has shape " +
                                spec.shape.DebugString());
  }
  return Status::OK();
}

StatusOr<std::vector<Tensor>> Session::Run(const FeedList& feeds,
                                           const std::vector<std::string>& fetches,
                                           const std::vector<std::string>& targets) {
  return impl_->Run(nullptr, feeds, fetches, targets);
}

StatusOr<std::vector<Tensor>> Session::Run(const FeedList& feeds,
                                           const std::vector<std::string>& fetches,
                                           const std::vector<std::string>& targets,
                                           const RunOptions& options) {
  if (options.timeout_ms < 0 || options.memory_limit_bytes < 0) {
    return InvalidArgumentError("RunOptions: timeout_ms and memory_limit_bytes must be >= 0");
  }
  RunLimits limits;
  if (options.timeout_ms > 0) {
    limits.timeout_ms = options.timeout_ms;
    limits.deadline_micros =
        RunLimits::NowSteadyMicros() + static_cast<uint64_t>(options.timeout_ms) * 1000;
  }
  limits.cancel = options.cancel;
  if (options.memory_limit_bytes > 0) {
    limits.account = MemoryAccount::Create(options.memory_limit_bytes);
  }
  auto result = impl_->Run(&limits, feeds, fetches, targets);
  if (limits.account != nullptr) limits.account->Unref();
  return result;
}

StatusOr<int> Session::NumPlannedSteps(const FeedList& feeds,
                                       const std::vector<std::string>& fetches,
                                       const std::vector<std::string>& targets) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CKPT_RETURN_IF_ERROR(impl_->Extend());
  CKPT_ASSIGN_OR_RETURN(Plan * plan, impl_->GetPlan(feeds, fetches, targets));
  return static_cast<int>(plan->steps.size());
}

StatusOr<std::vector<Tensor>> Session::Impl::Run(const RunLimits* limits, const FeedList& feeds,
                                                 const std::vector<std::string>& fetches,
                                                 const std::vector<std::string>& targets) {
  std::lock_guard<std::mutex> lock(mu);
  const bool check = limits != nullptr && limits->checked();
  CKPT_RETURN_IF_ERROR(Extend());
  CKPT_ASSIGN_OR_RETURN(Plan * plan, GetPlan(feeds, fetches, targets));
  for (size_t i = 0; i < feeds.size(); ++i) {
    CKPT_RETURN_IF_ERROR(CheckFeed(plan->feed_specs[i], feeds[i].second));
  }

  ValuesReset reset(plan);
  std::vector<TensorValue>& values = plan->values;
  for (size_t i = 0; i < feeds.size(); ++i) values[plan->feed_slots[i]].tensor = feeds[i].second;
  const int64_t run_step_id = ++step_id;

  for (const Step& step : plan->steps) {
    NodeState& ns = nodes[step.node];
    TensorValue* outputs = &values[step.out_offset];
    const deadness::DeadInputs* dead =
        step.dead_inputs < 0 ? nullptr : &plan->dead_inputs[step.dead_inputs];
    if (dead != nullptr && deadness::SkipIfDead(*dead, plan->dead, outputs)) continue;
    for (size_t d = 0; d < step.derefs.size(); ++d) {
      const TensorValue& v = values[step.derefs[d].second];
      std::lock_guard<std::mutex> l(v.ref->mu);
      if (!v.ref->initialized()) {
        return FailedPreconditionError("attempting to use uninitialized value " + v.ref->name +
                                       " (read by node " + ns.def->name() + ")");
      }
      plan->deref_values[step.deref_offset + d].tensor = v.ref->value;
    }
    const int num_outputs = static_cast<int>(ns.output_types.size());
    OpKernelContext ctx(ns.construction.get(), plan->input_ptrs.data() + step.first_input,
                        step.num_inputs, outputs, num_outputs, &vars, run_step_id,
                        &plan->spares[step.out_offset]);
    ctx.set_limits(limits);
    Status s = check ? limits->Check() : Status::OK();
    if (s.ok()) s = (step.kernel != nullptr ? step.kernel : ns.kernel.get())->Compute(&ctx);
    if (!s.ok()) return s.WithContext("node " + ns.def->name() + " (" + ns.def->op() + ")");
    CKPT_RETURN_IF_ERROR(
        deadness::FinishOutputs(*ns.def, ns.output_types, outputs, dead, &plan->dead));
  }

  std::vector<Tensor> result;
  result.reserve(plan->fetch_slots.size());
  for (size_t i = 0; i < plan->fetch_slots.size(); ++i) {
    const int slot = plan->fetch_slots[i];
    const TensorValue& v = values[slot];
    if (!plan->dead.empty() && plan->dead[slot]) {
      return deadness::DeadValueError("fetch " + Quote(fetches[i]),
                                      Output::Parse(fetches[i])->node);
    }
    if (v.ref != nullptr) {
      std::lock_guard<std::mutex> l(v.ref->mu);
      if (!v.ref->initialized()) {
        return FailedPreconditionError("attempting to use uninitialized value " + v.ref->name);
      }
      result.push_back(v.ref->value);
    } else if (v.resource != nullptr) {
      return UnimplementedError("fetching resource handle " + Quote(fetches[i]) +
                                " is not supported; fetch a ReadVariableOp instead");
    } else {
      result.push_back(v.tensor);
    }
  }
  return result;
}

// ---- variables -----------------------------------------------------------------------------

StatusOr<VarSlot*> Session::Impl::FindVariableSlot(std::string_view name, bool create,
                                                   const tensorflow::NodeDef** def_out) const {
  std::string node(name);
  if (node.size() > 2 && node.compare(node.size() - 2, 2, ":0") == 0) node.resize(node.size() - 2);
  const GraphImpl::Rep& rep = GraphImpl::Get(*graph);
  auto it = rep.index.find(node);
  if (it == rep.index.end()) return NotFoundError("no variable node named " + Quote(node));
  const auto& def = rep.def.node(it->second);
  if (def.op() != "VariableV2" && def.op() != "VarHandleOp") {
    return NotFoundError("node " + Quote(node) + " is a " + def.op() + ", not a variable");
  }
  *def_out = &def;
  auto attr_s = [&](const char* a) {
    auto x = def.attr().find(a);
    return x == def.attr().end() ? std::string() : x->second.s();
  };
  auto dt = def.attr().find("dtype");
  const DataType dtype =
      dt == def.attr().end() ? DataType::kInvalid : static_cast<DataType>(dt->second.type());
  const std::string key = VariableStore::KeyFor(attr_s("container"), attr_s("shared_name"), node);
  auto* store = const_cast<VariableStore*>(&vars);
  if (def.op() == "VariableV2") {
    return create ? store->LookupOrCreateRef(key, dtype, node) : store->FindRef(key);
  }
  return create ? store->LookupOrCreateResource(key, dtype, node) : store->FindResource(key);
}

std::vector<SessionVariable> Session::ListVariables() const {
  std::vector<SessionVariable> out;
  for (const auto& def : GraphImpl::Get(*graph_).def.node()) {
    if (def.op() != "VariableV2" && def.op() != "VarHandleOp") continue;
    SessionVariable v;
    v.name = def.name();
    v.op = def.op();
    auto dt = def.attr().find("dtype");
    if (dt != def.attr().end()) v.dtype = static_cast<DataType>(dt->second.type());
    auto sh = def.attr().find("shape");
    if (sh != def.attr().end()) {
      auto ps = PartialShapeFromProto(sh->second.shape());
      if (ps.ok()) v.shape = *ps;
    }
    const tensorflow::NodeDef* d = nullptr;
    auto slot = impl_->FindVariableSlot(def.name(), false, &d);
    if (slot.ok() && *slot != nullptr) {
      std::lock_guard<std::mutex> l((*slot)->mu);
      v.initialized = (*slot)->initialized();
    }
    out.push_back(std::move(v));
  }
  return out;
}

StatusOr<Tensor> Session::GetVariable(std::string_view name) const {
  const tensorflow::NodeDef* def = nullptr;
  CKPT_ASSIGN_OR_RETURN(VarSlot * slot, impl_->FindVariableSlot(name, false, &def));
  if (slot == nullptr) {
    return FailedPreconditionError("attempting to use uninitialized value " + def->name());
  }
  std::lock_guard<std::mutex> l(slot->mu);
  if (!slot->initialized()) {
    return FailedPreconditionError("attempting to use uninitialized value " + def->name());
  }
  return slot->value.Clone();
}

Status Session::SetVariable(std::string_view name, const Tensor& value) {
  const tensorflow::NodeDef* def = nullptr;
  CKPT_ASSIGN_OR_RETURN(VarSlot * slot, impl_->FindVariableSlot(name, true, &def));
  if (!value.valid()) return InvalidArgumentError("variable " + def->name() + ": empty value");
  auto dt = def->attr().find("dtype");
  if (dt != def->attr().end() && static_cast<DataType>(dt->second.type()) != value.dtype()) {
    return InvalidArgumentError(
        "variable " + def->name() + " has dtype " +
        std::string(DataTypeName(static_cast<DataType>(dt->second.type()))) + ", cannot assign a " +
        std::string(DataTypeName(value.dtype())) + " value");
  }
  auto sh = def->attr().find("shape");
  if (sh != def->attr().end()) {
    CKPT_ASSIGN_OR_RETURN(PartialShape ps, PartialShapeFromProto(sh->second.shape()));
    if (!ps.IsCompatibleWith(value.shape())) {
      return InvalidArgumentError("variable " + def->name() + " has shape " + ps.DebugString() +
                                  ", cannot assign a value of shape " +
                                  value.shape().DebugString());
    }
  }
  std::lock_guard<std::mutex> l(slot->mu);
  slot->value = value.Clone();
  return Status::OK();
}

StatusOr<bool> Session::IsVariableInitialized(std::string_view name) const {
  const tensorflow::NodeDef* def = nullptr;
  CKPT_ASSIGN_OR_RETURN(VarSlot * slot, impl_->FindVariableSlot(name, false, &def));
  if (slot == nullptr) return false;
  std::lock_guard<std::mutex> l(slot->mu);
  return slot->initialized();
}

}  // namespace ckpt
