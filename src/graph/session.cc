#include "ckpt/graph/session.h"

#include <algorithm>
#include <thread>
#include <unordered_map>

#include "graph/graph_impl.h"
#include "graph/kernel.h"
#include "graph/kernels/eigen.h"
#include "graph/op_registry.h"
#include "graph/tensor_proto.h"

namespace ckpt {

namespace {

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// A compiled node: resolved input edges and its kernel (built on first use).
struct NodeState {
  const tensorflow::NodeDef* def = nullptr;
  std::vector<std::pair<int, int>> inputs;  // (src node, output index)
  std::vector<int> controls;
  std::vector<int32_t> input_types, output_types;
  std::unique_ptr<OpKernelConstruction> construction;
  std::unique_ptr<OpKernel> kernel;
};

// One node of a plan: where it reads its inputs and writes its outputs.
struct Step {
  int node = 0;
  int out_offset = 0;              // first output slot
  int num_inputs = 0;
  int first_input = 0;             // into Plan::input_ptrs
  // Data inputs that read a ref edge as a value: (input index, source slot). The executor
  // copies the variable's current tensor into Plan::deref_values[deref_offset + k].
  std::vector<std::pair<int, int>> derefs;
  int deref_offset = 0;
};

// What Run checks of each fed value (computed once per plan).
struct FeedSpec {
  std::string name;
  DataType dtype = DataType::kInvalid;
  bool check_shape = false;
  PartialShape shape;
};

// An executable subgraph for one (feeds, fetches, targets) signature. Its value array is
// reused by every Run of the plan (Run is serialized), so a step allocates nothing but the
// kernels' own outputs.
struct Plan {
  std::vector<std::string> feed_names, fetch_names, target_names;  // the signature
  std::vector<Step> steps;
  int num_slots = 0;
  std::vector<int> feed_slots;     // slot of each feed (in the caller's order)
  std::vector<int> fetch_slots;    // slot of each fetch
  std::vector<FeedSpec> feed_specs;
  std::vector<TensorValue> values;             // num_slots; only folded values between runs
  // Per slot, the buffer the slot held at the end of the last run: the slot's kernel reuses
  // it when nothing else holds it any more (no malloc, no page faults for big outputs).
  std::vector<Tensor> spares;
  // Slots [0, feeds) hold feeds, [feeds, persistent_end) folded values that persist across
  // runs, the rest the steps' outputs.
  int persistent_end = 0;
  std::vector<TensorValue> deref_values;       // scratch for dereferenced refs
  std::vector<const TensorValue*> input_ptrs;  // every step's inputs, pointing into the above

  bool Matches(const Session::FeedList& feeds, const std::vector<std::string>& fetches,
               const std::vector<std::string>& targets) const {
    if (feeds.size() != feed_names.size() || fetches != fetch_names ||
        targets != target_names) {
      return false;
    }
    for (size_t i = 0; i < feeds.size(); ++i) {
      if (feeds[i].first != feed_names[i]) return false;
    }
    return true;
  }
};

// Folded outputs above this size are recomputed each run instead of held by the plan.
constexpr size_t kMaxFoldedBytes = 1 << 20;

// Whether a node's outputs depend only on its data inputs: not stateful (random ops, I/O,
// resource ops are), no ref or resource edges (variables and their updates), and not a
// placeholder (its value comes from a feed).
bool Foldable(const NodeState& ns) {
  const std::string& op = ns.def->op();
  if (op == "Placeholder" || op == "PlaceholderWithDefault" || op == "PlaceholderV2") {
    return false;
  }
  const tensorflow::OpDef* def = OpRegistry::Global().Find(op);
  if (def == nullptr || def->is_stateful()) return false;
  auto plain = [](int32_t t) { return !IsRefType(t) && BaseType(t) != DataType::kResource; };
  return std::all_of(ns.input_types.begin(), ns.input_types.end(), plain) &&
         std::all_of(ns.output_types.begin(), ns.output_types.end(), plain);
}

uint64_t SignatureHash(const Session::FeedList& feeds, const std::vector<std::string>& fetches,
                       const std::vector<std::string>& targets) {
  uint64_t h = 0x9e3779b97f4a7c15ull;
  auto mix = [&h](std::string_view s) {
    h ^= std::hash<std::string_view>()(s) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  };
  for (const auto& f : feeds) mix(f.first);
  mix("|");
  for (const auto& f : fetches) mix(f);
  mix("|");
  for (const auto& t : targets) mix(t);
  return h;
}

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

struct Session::Impl {
  const Graph* graph;
  SessionOptions options;
  Env* env;
  std::unique_ptr<Eigen::ThreadPool> pool;
  std::unique_ptr<Eigen::ThreadPoolDevice> device;
  VariableStore vars;
  std::mutex mu;  // serializes Run
  std::vector<NodeState> nodes;
  std::unordered_multimap<uint64_t, std::unique_ptr<Plan>> plans;
  Plan* last_plan = nullptr;
  int64_t step_id = 0;

  Status Extend();
  StatusOr<Plan*> GetPlan(const FeedList& feeds, const std::vector<std::string>& fetches,
                                const std::vector<std::string>& targets);
  Status EnsureKernel(NodeState& n);
  // What Run checks of a value fed to output `out` of node `node` (both already resolved).
  StatusOr<FeedSpec> MakeFeedSpec(const Output& out, int node) const;
  StatusOr<VarSlot*> FindVariableSlot(std::string_view name, bool create,
                                      const tensorflow::NodeDef** def_out) const;
};

Session::Session(const Graph* graph, const SessionOptions& options)
    : graph_(graph), impl_(std::make_unique<Impl>()) {
  impl_->graph = graph;
  impl_->options = options;
  impl_->env = options.env != nullptr ? options.env : Env::Default();
  int threads = options.intra_op_threads > 0
                    ? options.intra_op_threads
                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
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
  const Graph::Rep& rep = *graph->rep();
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
  n.construction = std::make_unique<OpKernelConstruction>(
      *n.def, n.input_types, n.output_types, env, device.get(), &graph->rep()->def.library());
  auto k = (*factory)(*n.construction);
  if (!k.ok()) {
    return k.status().WithContext("node " + n.def->name() + " (" + n.def->op() + ")");
  }
  n.kernel = std::move(k).value();
  return Status::OK();
}

StatusOr<FeedSpec> Session::Impl::MakeFeedSpec(const Output& out, int node_index) const {
  const Graph::Rep& rep = *graph->rep();
  FeedSpec spec;
  spec.name = out.name();
  spec.dtype = BaseType(rep.types[node_index].outputs[out.index]);
  const auto& node = rep.def.node(node_index);
  if (node.op() == "Placeholder" || node.op() == "PlaceholderWithDefault") {
    auto a = node.attr().find("shape");
    if (a != node.attr().end()) {
      CKPT_ASSIGN_OR_RETURN(spec.shape, PartialShapeFromProto(a->second.shape()));
      spec.check_shape = true;
    }
  }
  return spec;
}

// Checks a fed value against what its tensor accepts.
Status CheckFeed(const FeedSpec& spec, const Tensor& value) {
  if (!value.valid()) return InvalidArgumentError("feed " + Quote(spec.name) + " is empty");
  if (value.dtype() != spec.dtype) {
    return InvalidArgumentError("cannot feed value of dtype " +
                                std::string(DataTypeName(value.dtype())) + " for tensor " +
                                Quote(spec.name) + " of dtype " +
                                std::string(DataTypeName(spec.dtype)));
  }
  if (spec.check_shape && !spec.shape.IsCompatibleWith(value.shape())) {
    return InvalidArgumentError("cannot feed value of shape " + value.shape().DebugString() +
                                " for tensor " + Quote(spec.name) + ", which has shape " +
                                spec.shape.DebugString());
  }
  return Status::OK();
}

StatusOr<Plan*> Session::Impl::GetPlan(const FeedList& feeds,
                                       const std::vector<std::string>& fetches,
                                       const std::vector<std::string>& targets) {
  if (last_plan != nullptr && last_plan->Matches(feeds, fetches, targets)) return last_plan;
  const uint64_t key = SignatureHash(feeds, fetches, targets);
  auto [first, last] = plans.equal_range(key);
  for (auto it = first; it != last; ++it) {
    if (it->second->Matches(feeds, fetches, targets)) {
      last_plan = it->second.get();
      return last_plan;
    }
  }

  const Graph::Rep& rep = *graph->rep();
  auto plan = std::make_unique<Plan>();
  plan->fetch_names = fetches;
  plan->target_names = targets;
  // Feeds occupy the first slots.
  std::map<std::pair<int, int>, int> fed;  // (node, output) -> slot
  for (const auto& [name, t] : feeds) {
    CKPT_ASSIGN_OR_RETURN(Output out, Output::Parse(name));
    auto it = rep.index.find(out.node);
    if (it == rep.index.end()) {
      return NotFoundError("feed " + Quote(name) + ": no node named " + Quote(out.node));
    }
    if (out.index >= static_cast<int>(rep.types[it->second].outputs.size())) {
      return NotFoundError("feed " + Quote(name) + ": node " + Quote(out.node) + " has " +
                           std::to_string(rep.types[it->second].outputs.size()) + " outputs");
    }
    auto [pos, inserted] = fed.emplace(std::make_pair(it->second, out.index), plan->num_slots);
    if (!inserted) return InvalidArgumentError("tensor " + Quote(name) + " is fed twice");
    CKPT_ASSIGN_OR_RETURN(FeedSpec spec, MakeFeedSpec(out, it->second));
    plan->feed_specs.push_back(std::move(spec));
    plan->feed_names.push_back(name);
    plan->feed_slots.push_back(plan->num_slots++);
  }
  // Roots.
  std::vector<std::pair<int, int>> fetch_refs;
  std::vector<int> roots;
  for (const auto& f : fetches) {
    CKPT_ASSIGN_OR_RETURN(Output out, Output::Parse(f));
    auto it = rep.index.find(out.node);
    if (it == rep.index.end()) {
      return NotFoundError("fetch " + Quote(f) + ": no node named " + Quote(out.node));
    }
    if (out.index >= static_cast<int>(rep.types[it->second].outputs.size())) {
      return NotFoundError("fetch " + Quote(f) + ": node " + Quote(out.node) + " has " +
                           std::to_string(rep.types[it->second].outputs.size()) + " outputs");
    }
    fetch_refs.emplace_back(it->second, out.index);
    if (!fed.count({it->second, out.index})) roots.push_back(it->second);
  }
  for (const auto& t : targets) {
    std::string_view name = t;
    if (!name.empty() && name[0] == '^') name.remove_prefix(1);
    auto it = rep.index.find(std::string(name));
    if (it == rep.index.end()) {
      return NotFoundError("target " + Quote(t) + ": no node named " + Quote(name));
    }
    roots.push_back(it->second);
  }
  // Iterative post-order DFS; 0 = unvisited, 1 = on stack, 2 = done.
  std::vector<char> state(nodes.size(), 0);
  std::vector<int> order;
  for (int root : roots) {
    if (state[root] == 2) continue;
    std::vector<std::pair<int, size_t>> stack{{root, 0}};
    state[root] = 1;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      const NodeState& ns = nodes[node];
      const size_t n_data = ns.inputs.size();
      const size_t n_all = n_data + ns.controls.size();
      if (next < n_all) {
        int src;
        if (next < n_data) {
          auto edge = ns.inputs[next];
          ++next;
          if (fed.count(edge)) continue;
          src = edge.first;
        } else {
          src = ns.controls[next - n_data];
          ++next;
        }
        if (state[src] == 1) {
          return InvalidArgumentError("graph has a cycle through node " +
                                      Quote(nodes[src].def->name()));
        }
        if (state[src] == 0) {
          state[src] = 1;
          stack.emplace_back(src, 0);
        }
        continue;
      }
      state[node] = 2;
      order.push_back(node);
      stack.pop_back();
    }
  }
  // Constant folding: a node whose outputs cannot change between runs (a pure op whose data
  // inputs are all folded, e.g. a Const, a shape computation over Consts, or a gradient's
  // seed) is computed here once; its outputs stay in the plan's slots and it is not a step.
  // Its control inputs still run as steps if nothing else folds them.
  std::unordered_map<int, std::vector<TensorValue>> folded;
  for (int node : order) {
    NodeState& ns = nodes[node];
    CKPT_RETURN_IF_ERROR(EnsureKernel(ns));
    if (!Foldable(ns)) continue;
    std::vector<const TensorValue*> in;
    bool all_folded = true;
    for (const auto& edge : ns.inputs) {
      auto f = folded.find(edge.first);
      if (fed.count(edge) || f == folded.end()) {
        all_folded = false;
        break;
      }
      in.push_back(&f->second[edge.second]);
    }
    if (!all_folded) continue;
    std::vector<TensorValue> out(ns.output_types.size());
    OpKernelContext ctx(ns.construction.get(), in.data(), static_cast<int>(in.size()),
                        out.data(), static_cast<int>(out.size()), &vars, /*step_id=*/0);
    // A failing node is left to fail at run time, where its error belongs.
    if (!ns.kernel->Compute(&ctx).ok()) continue;
    bool ok = true;
    size_t bytes = 0;
    for (size_t o = 0; o < out.size(); ++o) {
      const Tensor& t = out[o].tensor;
      ok = ok && t.valid() && t.dtype() == BaseType(ns.output_types[o]);
      if (ok) bytes += t.dtype() == DataType::kString ? 0 : t.TotalBytes();
    }
    if (ok && bytes <= kMaxFoldedBytes) folded.emplace(node, std::move(out));
  }

  // Assign output slots: folded nodes first (slots that persist across runs), then the steps
  // in execution order; then resolve inputs.
  std::unordered_map<int, int> offset;
  for (int node : order) {
    if (!folded.count(node)) continue;
    offset[node] = plan->num_slots;
    plan->num_slots += static_cast<int>(nodes[node].output_types.size());
  }
  plan->persistent_end = plan->num_slots;
  // Nodes that do nothing at run time are not steps: a NoOp (its control inputs are already
  // ordered before whatever depends on it), and an Identity of a plain value, whose consumers
  // read its input's slot instead. (An Identity of a ref edge, like Variable/read, is a step:
  // it snapshots the variable.)
  std::unordered_map<int, int> alias;  // elided Identity -> the slot it passes on
  std::vector<int> step_nodes;         // what remains to execute, in order
  auto slot_of = [&](std::pair<int, int> edge) -> int {
    auto f = fed.find(edge);
    if (f != fed.end()) return f->second;
    auto a = alias.find(edge.first);
    if (a != alias.end()) return a->second;
    return offset.at(edge.first) + edge.second;
  };
  for (int node : order) {
    if (folded.count(node)) continue;
    const NodeState& ns = nodes[node];
    const std::string& op = ns.def->op();
    if (op == "NoOp" && ns.output_types.empty()) continue;
    if ((op == "Identity" || op == "StopGradient") && ns.inputs.size() == 1 &&
        ns.output_types.size() == 1 && !IsRefType(ns.output_types[0]) &&
        BaseType(ns.output_types[0]) != DataType::kResource) {
      const auto& edge = ns.inputs[0];
      const int32_t src_type = nodes[edge.first].output_types[edge.second];
      if (fed.count(edge) || (!IsRefType(src_type) && BaseType(src_type) != DataType::kResource)) {
        alias[node] = slot_of(edge);
        continue;
      }
    }
    offset[node] = plan->num_slots;
    plan->num_slots += static_cast<int>(nodes[node].output_types.size());
    step_nodes.push_back(node);
  }
  std::vector<std::pair<int, int>> input_slots;  // (step, slot) for each input, in order
  int num_derefs = 0;
  for (int node : step_nodes) {
    NodeState& ns = nodes[node];
    Step step;
    step.node = node;
    step.out_offset = offset[node];
    step.num_inputs = static_cast<int>(ns.inputs.size());
    step.first_input = static_cast<int>(input_slots.size());
    step.deref_offset = num_derefs;
    for (size_t i = 0; i < ns.inputs.size(); ++i) {
      const auto& edge = ns.inputs[i];
      const int slot = slot_of(edge);
      input_slots.emplace_back(static_cast<int>(plan->steps.size()), slot);
      // A ref edge read by a non-ref input (an unfed VariableV2 output) is read as a value.
      const bool src_is_ref =
          !fed.count(edge) && IsRefType(nodes[edge.first].output_types[edge.second]);
      if (src_is_ref && !IsRefType(ns.input_types[i])) {
        step.derefs.emplace_back(static_cast<int>(i), slot);
        ++num_derefs;
      }
    }
    plan->steps.push_back(std::move(step));
  }
  for (const auto& edge : fetch_refs) plan->fetch_slots.push_back(slot_of(edge));
  plan->values.resize(plan->num_slots);
  plan->spares.resize(plan->num_slots);
  for (auto& [node, outs] : folded) {
    for (size_t o = 0; o < outs.size(); ++o) plan->values[offset[node] + o] = std::move(outs[o]);
  }
  plan->deref_values.resize(num_derefs);
  plan->input_ptrs.resize(input_slots.size());
  for (size_t k = 0; k < input_slots.size(); ++k) {
    plan->input_ptrs[k] = &plan->values[input_slots[k].second];
  }
  for (const Step& step : plan->steps) {
    for (size_t d = 0; d < step.derefs.size(); ++d) {
      plan->input_ptrs[step.first_input + step.derefs[d].first] =
          &plan->deref_values[step.deref_offset + d];
    }
  }
  Plan* result = plan.get();
  plans.emplace(key, std::move(plan));
  last_plan = result;
  return result;
}

StatusOr<std::vector<Tensor>> Session::Run(const FeedList& feeds,
                                           const std::vector<std::string>& fetches,
                                           const std::vector<std::string>& targets) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  CKPT_RETURN_IF_ERROR(impl_->Extend());
  CKPT_ASSIGN_OR_RETURN(Plan* plan, impl_->GetPlan(feeds, fetches, targets));
  for (size_t i = 0; i < feeds.size(); ++i) {
    CKPT_RETURN_IF_ERROR(CheckFeed(plan->feed_specs[i], feeds[i].second));
  }

  ValuesReset reset(plan);
  std::vector<TensorValue>& values = plan->values;
  for (size_t i = 0; i < feeds.size(); ++i) values[plan->feed_slots[i]].tensor = feeds[i].second;
  const int64_t step_id = ++impl_->step_id;

  for (const Step& step : plan->steps) {
    NodeState& ns = impl_->nodes[step.node];
    for (size_t d = 0; d < step.derefs.size(); ++d) {
      const TensorValue& v = values[step.derefs[d].second];
      std::lock_guard<std::mutex> l(v.ref->mu);
      if (!v.ref->initialized()) {
        return FailedPreconditionError("attempting to use uninitialized value " + v.ref->name +
                                       " (read by node " + ns.def->name() + ")");
      }
      plan->deref_values[step.deref_offset + d].tensor = v.ref->value;
    }
    TensorValue* outputs = &values[step.out_offset];
    const int num_outputs = static_cast<int>(ns.output_types.size());
    OpKernelContext ctx(ns.construction.get(), plan->input_ptrs.data() + step.first_input,
                        step.num_inputs, outputs, num_outputs, &impl_->vars, step_id,
                        &plan->spares[step.out_offset]);
    Status s = ns.kernel->Compute(&ctx);
    if (!s.ok()) return s.WithContext("node " + ns.def->name() + " (" + ns.def->op() + ")");
    for (int o = 0; o < num_outputs; ++o) {
      const TensorValue& out = outputs[o];
      const int32_t want = ns.output_types[o];
      const bool ok = IsRefType(want) ? out.ref != nullptr
                      : BaseType(want) == DataType::kResource
                          ? out.resource != nullptr
                          : out.tensor.valid() && out.tensor.dtype() == BaseType(want);
      if (!ok) {
        return InternalError("node " + ns.def->name() + " (" + ns.def->op() + ") output " +
                             std::to_string(o) + " was not set to a " +
                             std::string(DataTypeName(BaseType(want))) + " value");
      }
    }
  }

  std::vector<Tensor> result;
  result.reserve(plan->fetch_slots.size());
  for (size_t i = 0; i < plan->fetch_slots.size(); ++i) {
    const TensorValue& v = values[plan->fetch_slots[i]];
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
  const Graph::Rep& rep = *graph->rep();
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
  for (const auto& def : graph_->rep()->def.node()) {
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
  CKPT_ASSIGN_OR_RETURN(VarSlot* slot, impl_->FindVariableSlot(name, false, &def));
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
  CKPT_ASSIGN_OR_RETURN(VarSlot* slot, impl_->FindVariableSlot(name, true, &def));
  if (!value.valid()) return InvalidArgumentError("variable " + def->name() + ": empty value");
  auto dt = def->attr().find("dtype");
  if (dt != def->attr().end() && static_cast<DataType>(dt->second.type()) != value.dtype()) {
    return InvalidArgumentError(
        "variable " + def->name() + " has dtype " +
        std::string(DataTypeName(static_cast<DataType>(dt->second.type()))) +
        ", cannot assign a " + std::string(DataTypeName(value.dtype())) + " value");
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
  CKPT_ASSIGN_OR_RETURN(VarSlot* slot, impl_->FindVariableSlot(name, false, &def));
  if (slot == nullptr) return false;
  std::lock_guard<std::mutex> l(slot->mu);
  return slot->initialized();
}

}  // namespace ckpt
