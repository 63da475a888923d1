// The session planner: from a (feeds, fetches, targets) signature to an executable Plan:
// resolves and checks feeds, prunes to the nodes the fetches and targets need (stopping at
// feeds), folds constant subgraphs, elides NoOps and plain Identities, and assigns value slots.
// Plans are cached per signature.
#include <algorithm>
#include <unordered_map>

#include "graph/graph_impl.h"
#include "graph/op_registry.h"
#include "graph/session_impl.h"

namespace ckpt {

using exec::FeedSpec;
using exec::NodeState;
using exec::Plan;
using exec::Quote;
using exec::Step;

namespace {

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

}  // namespace

StatusOr<FeedSpec> Session::Impl::MakeFeedSpec(const Output& out, int node_index) const {
  const GraphImpl::Rep& rep = GraphImpl::Get(*graph);
  FeedSpec spec;
  spec.name = out.name();
  spec.dtype = BaseType(rep.types[node_index].outputs[out.index]);
  const auto& node = rep.def.node(node_index);
  if (node.op() == "Placeholder" || node.op() == "PlaceholderWithDefault") {
    // The placeholder's static shape (its shape attr, from the shape engine).
    spec.shape = rep.shapes[node_index][out.index];
    spec.check_shape = true;
  }
  return spec;
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

  const GraphImpl::Rep& rep = GraphImpl::Get(*graph);
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

}  // namespace ckpt
