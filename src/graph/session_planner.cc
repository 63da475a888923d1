// The session planner: from a (feeds, fetches, targets) signature to an executable Plan:
// resolves and checks feeds, prunes to the nodes the fetches and targets need (stopping at
// feeds), folds constant subgraphs, elides NoOps and plain Identities, and assigns value slots.
// Plans are cached per signature.
#include <algorithm>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "graph/deadness.h"
#include "graph/graph_impl.h"
#include "graph/kernels/fused_elementwise.h"
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
  if (op == "ReadFile") return false;  // pure in TF's OpDef, but the file may change
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

// One plan's construction. Each phase reads what the earlier ones left in the members below.
class Session::Impl::Planner {
 public:
  explicit Planner(Session::Impl& session)
      : s_(session), rep_(GraphImpl::Get(*session.graph)), plan_(std::make_unique<Plan>()) {}

  StatusOr<std::unique_ptr<Plan>> Build(const FeedList& feeds,
                                        const std::vector<std::string>& fetches,
                                        const std::vector<std::string>& targets) {
    plan_->fetch_names = fetches;
    plan_->target_names = targets;
    CKPT_RETURN_IF_ERROR(ResolveFeeds(feeds));
    CKPT_RETURN_IF_ERROR(ResolveRoots(fetches, targets));
    CKPT_RETURN_IF_ERROR(Prune());
    FindDeadRegion();
    CKPT_RETURN_IF_ERROR(Fold());
    AssignFoldedSlots();
    ElideAndAssignStepSlots();
    if (s_.options.fuse_elementwise) FuseElementwiseChains();
    ResolveStepInputs();
    FillSlots();
    return std::move(plan_);
  }

 private:
  using Edge = std::pair<int, int>;  // (node, output)

  // Feeds: each names an existing output, at most once; feeds occupy the first slots.
  Status ResolveFeeds(const FeedList& feeds) {
    for (const auto& [name, t] : feeds) {
      CKPT_ASSIGN_OR_RETURN(Output out, Output::Parse(name));
      CKPT_ASSIGN_OR_RETURN(int node, FindOutput("feed", name, out));
      auto [pos, inserted] = fed_.emplace(Edge(node, out.index), plan_->num_slots);
      if (!inserted) return InvalidArgumentError("tensor " + Quote(name) + " is fed twice");
      CKPT_ASSIGN_OR_RETURN(FeedSpec spec, s_.MakeFeedSpec(out, node));
      plan_->feed_specs.push_back(std::move(spec));
      plan_->feed_names.push_back(name);
      plan_->feed_slots.push_back(plan_->num_slots++);
    }
    return Status::OK();
  }

  // The node of `out` ("feed"/"fetch" `name`), checking it has that output.
  StatusOr<int> FindOutput(const char* what, const std::string& name, const Output& out) const {
    auto it = rep_.index.find(out.node);
    if (it == rep_.index.end()) {
      return NotFoundError(std::string(what) + " " + Quote(name) + ": no node named " +
                           Quote(out.node));
    }
    const size_t outputs = rep_.types[it->second].outputs.size();
    if (out.index >= static_cast<int>(outputs)) {
      return NotFoundError(std::string(what) + " " + Quote(name) + ": node " + Quote(out.node) +
                           " has " + std::to_string(outputs) + " outputs");
    }
    return it->second;
  }

  // Roots of the pruning: the nodes of unfed fetches, and the targets.
  Status ResolveRoots(const std::vector<std::string>& fetches,
                      const std::vector<std::string>& targets) {
    for (const auto& f : fetches) {
      CKPT_ASSIGN_OR_RETURN(Output out, Output::Parse(f));
      CKPT_ASSIGN_OR_RETURN(int node, FindOutput("fetch", f, out));
      fetch_refs_.emplace_back(node, out.index);
      if (!fed_.count({node, out.index})) roots_.push_back(node);
    }
    for (const auto& t : targets) {
      std::string_view name = t;
      if (!name.empty() && name[0] == '^') name.remove_prefix(1);
      auto it = rep_.index.find(std::string(name));
      if (it == rep_.index.end()) {
        return NotFoundError("target " + Quote(t) + ": no node named " + Quote(name));
      }
      roots_.push_back(it->second);
    }
    return Status::OK();
  }

  // Pruning: the nodes the roots need (stopping at fed edges), in execution order, by an
  // iterative post-order DFS; 0 = unvisited, 1 = on stack, 2 = done.
  Status Prune() {
    const std::vector<NodeState>& nodes = s_.nodes;
    std::vector<char> state(nodes.size(), 0);
    for (int root : roots_) {
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
            if (fed_.count(edge)) continue;
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
        order_.push_back(node);
        stack.pop_back();
      }
    }
    return Status::OK();
  }

  // The nodes that can be dead (graph/deadness.h): those a Switch reaches over unfed data
  // edges and control edges, the Switch included. Empty without a Switch.
  void FindDeadRegion() {
    const std::vector<NodeState>& nodes = s_.nodes;
    for (int node : order_) {
      const NodeState& ns = nodes[node];
      bool reached = deadness::IsSwitch(ns.def->op());
      for (const auto& edge : ns.inputs) {
        reached = reached || (!fed_.count(edge) && dead_region_.count(edge.first));
      }
      for (int c : ns.controls) reached = reached || dead_region_.count(c);
      if (reached) dead_region_.insert(node);
    }
  }

  // Constant folding: a node whose outputs cannot change between runs (a pure op whose data
  // inputs are all folded, e.g. a Const, a shape computation over Consts, or a gradient's
  // seed) is computed here once; its outputs stay in the plan's slots and it is not a step.
  // Its control inputs still run as steps if nothing else folds them. Builds every kernel.
  Status Fold() {
    for (int node : order_) {
      NodeState& ns = s_.nodes[node];
      CKPT_RETURN_IF_ERROR(s_.EnsureKernel(ns));
      if (!Foldable(ns) || dead_region_.count(node)) continue;
      std::vector<const TensorValue*> in;
      bool all_folded = true;
      for (const auto& edge : ns.inputs) {
        auto f = folded_.find(edge.first);
        if (fed_.count(edge) || f == folded_.end()) {
          all_folded = false;
          break;
        }
        in.push_back(&f->second[edge.second]);
      }
      if (!all_folded) continue;
      std::vector<TensorValue> out(ns.output_types.size());
      OpKernelContext ctx(ns.construction.get(), in.data(), static_cast<int>(in.size()), out.data(),
                          static_cast<int>(out.size()), &s_.vars, /*step_id=*/0);
      // A failing node is left to fail at run time, where its error belongs.
      if (!ns.kernel->Compute(&ctx).ok()) continue;
      bool ok = true;
      size_t bytes = 0;
      for (size_t o = 0; o < out.size(); ++o) {
        const Tensor& t = out[o].tensor;
        ok = ok && t.valid() && t.dtype() == BaseType(ns.output_types[o]);
        if (ok) bytes += t.dtype() == DataType::kString ? 0 : t.TotalBytes();
      }
      if (ok && bytes <= kMaxFoldedBytes) folded_.emplace(node, std::move(out));
    }
    return Status::OK();
  }

  // Folded nodes' outputs take the slots after the feeds; they persist across runs.
  void AssignFoldedSlots() {
    for (int node : order_) {
      if (!folded_.count(node)) continue;
      offset_[node] = plan_->num_slots;
      plan_->num_slots += static_cast<int>(s_.nodes[node].output_types.size());
    }
    plan_->persistent_end = plan_->num_slots;
  }

  // Elision, then the steps' slots. Nodes that do nothing at run time are not steps: a NoOp
  // (its control inputs are already ordered before whatever depends on it) unless it can be
  // dead (its deadness passes on to its control consumers), and an Identity of a plain value,
  // whose consumers read its input's slot instead (and its deadness, the slot's, so not when
  // a control input can be dead). (An Identity of a ref edge, like Variable/read, is a step:
  // it snapshots the variable.)
  void ElideAndAssignStepSlots() {
    const std::vector<NodeState>& nodes = s_.nodes;
    for (int node : order_) {
      if (folded_.count(node)) continue;
      const NodeState& ns = nodes[node];
      const std::string& op = ns.def->op();
      if (op == "NoOp" && ns.output_types.empty() && !dead_region_.count(node)) continue;
      if ((op == "Identity" || op == "StopGradient") && ns.inputs.size() == 1 &&
          ns.output_types.size() == 1 && !IsRefType(ns.output_types[0]) &&
          BaseType(ns.output_types[0]) != DataType::kResource &&
          std::none_of(ns.controls.begin(), ns.controls.end(),
                       [&](int c) { return dead_region_.count(c) > 0; })) {
        const auto& edge = ns.inputs[0];
        const int32_t src_type = nodes[edge.first].output_types[edge.second];
        if (fed_.count(edge) ||
            (!IsRefType(src_type) && BaseType(src_type) != DataType::kResource)) {
          alias_[node] = {SlotOf(edge)};
          continue;
        }
      }
      if (op == "IdentityN" && ElidableIdentityN(node)) {
        std::vector<int> slots;
        for (const auto& edge : ns.inputs) slots.push_back(SlotOf(edge));
        alias_[node] = std::move(slots);
        continue;
      }
      offset_[node] = plan_->num_slots;
      plan_->num_slots += static_cast<int>(ns.output_types.size());
      step_nodes_.push_back(node);
    }
  }

  // An IdentityN (tf.custom_gradient wraps every Keras swish in one) passes each input on
  // unchanged: elided like an Identity when no input or output is a ref or resource and it
  // cannot be dead (an Identity's deadness is its one input's; IdentityN's would be several).
  bool ElidableIdentityN(int node) const {
    const NodeState& ns = s_.nodes[node];
    if (dead_region_.count(node) || ns.inputs.size() != ns.output_types.size()) return false;
    auto plain_type = [](int32_t t) { return !IsRefType(t) && BaseType(t) != DataType::kResource; };
    for (size_t i = 0; i < ns.inputs.size(); ++i) {
      const Edge& edge = ns.inputs[i];
      if (!plain_type(ns.output_types[i])) return false;
      if (!fed_.count(edge) && !plain_type(s_.nodes[edge.first].output_types[edge.second])) {
        return false;
      }
    }
    return true;
  }

  // Element-wise chains (graph/kernels/fused_elementwise.h): a value read only by a Mul, Add,
  // AddV2, Sub, BiasAdd (NHWC), Relu, Relu6 or a swish, whose float output is read only by the
  // next, and so on, becomes one step at the chain's last node reading the first value and the
  // ops' second operands. The chain's other nodes are no longer steps. Nodes that can be dead,
  // read a ref edge or are fetched are left alone. A chain of one node gains nothing and stays.
  void FuseElementwiseChains() {
    const std::vector<NodeState>& nodes = s_.nodes;
    std::unordered_map<int, int> reads;  // slot -> how many step inputs and fetches read it
    std::unordered_map<int, std::vector<int>> readers;  // slot -> the step nodes reading it
    std::unordered_set<int> steps(step_nodes_.begin(), step_nodes_.end());
    for (int node : step_nodes_) {
      for (const auto& edge : nodes[node].inputs) {
        const int slot = SlotOf(edge);
        ++reads[slot];
        readers[slot].push_back(node);
      }
    }
    for (const auto& edge : fetch_refs_) reads[SlotOf(edge)] += 2;
    std::unordered_set<int> in_chain;
    // Whether `node` is a step that can join a chain: not yet in one, not possibly dead, one
    // float output, no ref inputs.
    auto plain = [&](int node) {
      const NodeState& ns = nodes[node];
      if (!steps.count(node) || in_chain.count(node) || dead_region_.count(node) ||
          ns.output_types.size() != 1 ||
          ns.output_types[0] != static_cast<int32_t>(DataType::kFloat)) {
        return false;
      }
      return std::none_of(ns.inputs.begin(), ns.inputs.end(), [&](const Edge& edge) {
        return !fed_.count(edge) && IsRefType(nodes[edge.first].output_types[edge.second]);
      });
    };
    // The input of `node` reading `slot` (-1 when none; -2 when more than one does).
    auto input_reading = [&](int node, int slot) {
      int found = -1;
      for (size_t i = 0; i < nodes[node].inputs.size(); ++i) {
        if (SlotOf(nodes[node].inputs[i]) != slot) continue;
        if (found >= 0) return -2;
        found = static_cast<int>(i);
      }
      return found;
    };
    auto fused_node = [&](int node, int main_input) {
      return FusedNode{nodes[node].construction.get(), nodes[node].kernel.get(), main_input == 0};
    };
    // Whether `node` can take the chained value in `slot` as its main operand; fills `op`.
    auto chainable = [&](int node, int slot, FusedElementwiseOp* op) {
      const NodeState& ns = nodes[node];
      const int main_input = input_reading(node, slot);
      if (!plain(node) || main_input < 0 ||
          !FusedElementwiseOp::KindOf(ns.def->op(), main_input, &op->kind)) {
        return false;
      }
      if (op->kind == FusedElementwiseOp::Kind::kBiasAdd) {
        auto f = ns.def->attr().find("data_format");
        if (f != ns.def->attr().end() && f->second.s() != "NHWC") return false;
      }
      op->node = fused_node(node, main_input);
      return true;
    };
    // A swish of the value in `slot`, whose only readers are its nodes: Sigmoid(x) and
    // Mul(x, sigmoid), or (Keras) Mul(x, beta), Sigmoid of that and Mul(x, sigmoid). Fills
    // `op` and `members` (the nodes, the final Mul last).
    auto swish = [&](int slot, FusedElementwiseOp* op, std::vector<int>* members) {
      const std::vector<int>& rs = readers[slot];
      if (reads[slot] != 2 || rs.size() != 2 || rs[0] == rs[1]) return false;
      for (int m = 0; m < 2; ++m) {
        const int mul = rs[m], other = rs[1 - m];
        const int x_input = input_reading(mul, slot);
        if (nodes[mul].def->op() != "Mul" || !plain(mul) || x_input < 0) continue;
        const Edge sig_edge = nodes[mul].inputs[1 - x_input];
        const int sig = sig_edge.first;
        if (fed_.count(sig_edge) || nodes[sig].def->op() != "Sigmoid" || !plain(sig) ||
            reads[offset_.at(sig)] != 1) {
          continue;
        }
        const int sig_in = SlotOf(nodes[sig].inputs[0]);
        op->node = fused_node(mul, x_input);
        op->sigmoid = fused_node(sig, 0);
        if (sig_in == slot && other == sig) {
          op->kind = FusedElementwiseOp::Kind::kSwish;
          *members = {sig, mul};
          return true;
        }
        const int scale_input = input_reading(other, slot);
        if (nodes[other].def->op() == "Mul" && plain(other) && scale_input >= 0 &&
            sig_in == offset_.at(other) && reads[sig_in] == 1) {
          op->kind = FusedElementwiseOp::Kind::kScaledSwish;
          op->scale = fused_node(other, scale_input);
          *members = {other, sig, mul};
          return true;
        }
      }
      return false;
    };
    // The slot of the operand that is not the chained value, of a node with two inputs.
    auto side_slot = [&](int node, const FusedNode& f) {
      return nodes[node].inputs.size() == 2 ? SlotOf(nodes[node].inputs[f.main_first ? 1 : 0]) : -1;
    };
    for (int node : step_nodes_) {
      if (in_chain.count(node) || nodes[node].output_types.empty()) continue;
      const int first_slot = offset_.at(node);
      std::vector<int> members;  // every node of the chain, in order
      std::vector<FusedElementwiseOp> ops;
      Fusion fusion;
      fusion.inputs.push_back(first_slot);
      for (int slot = first_slot;;) {
        FusedElementwiseOp op;
        std::vector<int> link;  // the op's nodes
        int side = -1;
        if (reads[slot] == 1) {
          const int next = readers[slot][0];
          if (!chainable(next, slot, &op)) break;
          link = {next};
          side = side_slot(next, op.node);
        } else if (swish(slot, &op, &link)) {
          if (op.kind == FusedElementwiseOp::Kind::kScaledSwish)
            side = side_slot(link[0], op.scale);
        } else {
          break;
        }
        if (side >= 0) {
          op.side_input = static_cast<int>(fusion.inputs.size());
          fusion.inputs.push_back(side);
        }
        for (int m : link) in_chain.insert(m);
        members.insert(members.end(), link.begin(), link.end());
        ops.push_back(op);
        slot = offset_.at(link.back());
      }
      if (members.size() < 2) {
        for (int m : members) in_chain.erase(m);
        continue;
      }
      plan_->fused_kernels.push_back(std::make_unique<FusedElementwiseKernel>(std::move(ops)));
      fusion.kernel = plan_->fused_kernels.back().get();
      fusions_.emplace(members.back(), std::move(fusion));
    }
    std::erase_if(step_nodes_,
                  [&](int node) { return in_chain.count(node) && !fusions_.count(node); });
  }

  // The slot holding `edge`'s value: its feed, the slot an elided Identity passes on, or the
  // producing node's output slot.
  int SlotOf(Edge edge) const {
    auto f = fed_.find(edge);
    if (f != fed_.end()) return f->second;
    auto a = alias_.find(edge.first);
    if (a != alias_.end()) return a->second[edge.second];
    return offset_.at(edge.first) + edge.second;
  }

  // The steps with their input slots; a ref edge read by a non-ref input (an unfed VariableV2
  // output) is dereferenced into scratch before the step runs. Steps that can be dead get
  // their dead bits: their slots, then one node bit each after the last slot.
  void ResolveStepInputs() {
    const std::vector<NodeState>& nodes = s_.nodes;
    std::unordered_map<int, int> node_bit;  // step that can be dead -> its node bit
    for (int node : step_nodes_) {
      const NodeState& ns = nodes[node];
      Step step;
      step.node = node;
      step.out_offset = offset_.at(node);
      step.num_inputs = static_cast<int>(ns.inputs.size());
      step.first_input = static_cast<int>(input_slots_.size());
      step.deref_offset = num_derefs_;
      if (auto f = fusions_.find(node); f != fusions_.end()) {
        step.num_inputs = static_cast<int>(f->second.inputs.size());
        step.kernel = f->second.kernel;
        input_slots_.insert(input_slots_.end(), f->second.inputs.begin(), f->second.inputs.end());
        plan_->steps.push_back(std::move(step));
        continue;
      }
      for (size_t i = 0; i < ns.inputs.size(); ++i) {
        const auto& edge = ns.inputs[i];
        const int slot = SlotOf(edge);
        input_slots_.push_back(slot);
        const bool src_is_ref =
            !fed_.count(edge) && IsRefType(nodes[edge.first].output_types[edge.second]);
        if (src_is_ref && !IsRefType(ns.input_types[i])) {
          step.derefs.emplace_back(static_cast<int>(i), slot);
          ++num_derefs_;
        }
      }
      if (dead_region_.count(node)) {
        deadness::DeadInputs d;
        d.merge = ns.def->op() == "Merge";
        d.data.assign(input_slots_.begin() + step.first_input, input_slots_.end());
        for (int c : ns.controls) {
          if (!dead_region_.count(c)) continue;
          auto bit = node_bit.find(c);
          // A control source that is not a step is an elided Identity: its input's slot.
          d.control.push_back(bit != node_bit.end() ? bit->second : alias_.at(c)[0]);
        }
        d.first_output = step.out_offset;
        d.num_outputs = static_cast<int>(ns.output_types.size());
        d.node_bit = plan_->num_slots + static_cast<int>(node_bit.size());
        node_bit.emplace(node, d.node_bit);
        step.dead_inputs = static_cast<int>(plan_->dead_inputs.size());
        plan_->dead_inputs.push_back(std::move(d));
      }
      plan_->steps.push_back(std::move(step));
    }
    if (!node_bit.empty()) plan_->dead.assign(plan_->num_slots + node_bit.size(), 0);
    for (const auto& edge : fetch_refs_) plan_->fetch_slots.push_back(SlotOf(edge));
  }

  // The slot storage: folded values moved in, every step input pointing at its slot (or its
  // dereference scratch).
  void FillSlots() {
    Plan& plan = *plan_;
    plan.values.resize(plan.num_slots);
    plan.spares.resize(plan.num_slots);
    for (auto& [node, outs] : folded_) {
      const int base = offset_.at(node);
      for (size_t o = 0; o < outs.size(); ++o) plan.values[base + o] = std::move(outs[o]);
    }
    plan.deref_values.resize(num_derefs_);
    plan.input_ptrs.resize(input_slots_.size());
    for (size_t k = 0; k < input_slots_.size(); ++k) {
      plan.input_ptrs[k] = &plan.values[input_slots_[k]];
    }
    for (const Step& step : plan.steps) {
      for (size_t d = 0; d < step.derefs.size(); ++d) {
        plan.input_ptrs[step.first_input + step.derefs[d].first] =
            &plan.deref_values[step.deref_offset + d];
      }
    }
  }

  Session::Impl& s_;
  const GraphImpl::Rep& rep_;
  std::unique_ptr<Plan> plan_;
  std::map<Edge, int> fed_;                                   // fed output -> its slot
  std::vector<Edge> fetch_refs_;                              // per fetch
  std::vector<int> roots_;                                    // nodes the fetches and targets need
  std::vector<int> order_;                                    // pruned nodes, in execution order
  std::unordered_map<int, std::vector<TensorValue>> folded_;  // node -> its folded outputs
  std::unordered_map<int, int> offset_;                       // node -> first output slot
  std::unordered_map<int, std::vector<int>> alias_;  // elided Identity(N) -> slot per output
  std::unordered_set<int> dead_region_;              // nodes that can be dead (FindDeadRegion)
  std::vector<int> step_nodes_;                      // what remains to execute, in order
  struct Fusion {
    std::vector<int> inputs;  // slots: the chained value, then the ops' second operands
    OpKernel* kernel = nullptr;
  };
  std::unordered_map<int, Fusion> fusions_;  // a chain's last node -> its fused step
  std::vector<int> input_slots_;             // every step's input slots, in order
  int num_derefs_ = 0;
};

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
  CKPT_ASSIGN_OR_RETURN(std::unique_ptr<Plan> plan, Planner(*this).Build(feeds, fetches, targets));
  Plan* result = plan.get();
  plans.emplace(key, std::move(plan));
  last_plan = result;
  return result;
}

}  // namespace ckpt
