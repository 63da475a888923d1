#include "graph/while_loop_raising.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ckpt/graph/graph_def.h"
#include "graph/function_library.h"

namespace ckpt {

namespace {

using tensorflow::NodeDef;

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

bool IsFrameOp(const std::string& op) {
  return op == "Enter" || op == "Exit" || op == "NextIteration" || op == "LoopCond";
}

// `s` with every character outside [A-Za-z0-9_] replaced by '_', starting with a letter.
std::string Sanitize(std::string_view s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_';
  if (out.empty() || !std::isalpha(static_cast<unsigned char>(out[0]))) out = "loop_" + out;
  return out;
}

struct Edge {
  int node = 0;
  int index = 0;  // -1: a control edge
};

struct Frame {
  std::string name;  // frame_name; empty for the root frame
  int parent = -1;
  int depth = 0;
  std::vector<int> members;  // nodes whose outputs live in the frame (Enters included)
  std::vector<int> exits;    // Exits leaving the frame
};

// What a node of the frame being raised is to the loop.
enum class Role { kMerge, kSwitch, kConstEnter, kVarEnter, kLoopCond, kNextIteration };
struct Special {
  Role role;
  int k = 0;  // the loop variable (kMerge, kSwitch) or invariant (kConstEnter)
};

class Raiser {
 public:
  explicit Raiser(tensorflow::GraphDef* graph) : g_(graph) {}
  Status Run();

 private:
  Status Parse();
  bool Order();
  Status AssignFrames();
  Status Raise(int f);
  std::string Describe(int f) const {
    return f == 0 ? "the root frame (outside any while loop)"
                  : "while-loop frame " + Quote(frames_[f].name);
  }
  std::string Node(int i) const {
    return "node " + Quote(nodes_[i].name()) + " (" + nodes_[i].op() + ")";
  }
  std::string UniqueFunctionName(const std::string& base);
  std::string UniqueNodeName(const std::string& base) const;

  tensorflow::GraphDef* g_;
  std::vector<NodeDef> nodes_;
  std::vector<char> removed_;
  std::unordered_map<std::string, int> index_;
  std::vector<std::vector<Edge>> inputs_;  // per node, in the order of node.input()
  std::vector<int> order_;                 // topological, back edges from NextIteration skipped
  std::vector<int> frame_;                 // per node: the frame its outputs live in
  std::vector<Frame> frames_;
  std::set<std::string> function_names_;
};

Status Raiser::Parse() {
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    if (!index_.emplace(nodes_[i].name(), i).second) {
      return InvalidArgumentError("duplicate node name " + Quote(nodes_[i].name()));
    }
  }
  inputs_.resize(nodes_.size());
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    for (const auto& in : nodes_[i].input()) {
      auto ref = ParseInputString(in);
      if (!ref.ok()) return ref.status().WithContext(Node(i));
      auto it = index_.find(std::string(ref->node));
      if (it == index_.end()) {
        return NotFoundError(Node(i) + ": input " + Quote(in) + " names an unknown node");
      }
      inputs_[i].push_back({it->second, ref->index});
    }
  }
  return Status::OK();
}

bool Raiser::Order() {
  const int n = static_cast<int>(nodes_.size());
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> consumers(n);
  for (int i = 0; i < n; ++i) {
    for (const Edge& e : inputs_[i]) {
      if (nodes_[e.node].op() == "NextIteration") continue;
      ++pending[i];
      consumers[e.node].push_back(i);
    }
  }
  for (int i = 0; i < n; ++i) {
    if (pending[i] == 0) order_.push_back(i);
  }
  for (size_t k = 0; k < order_.size(); ++k) {
    for (int c : consumers[order_[k]]) {
      if (--pending[c] == 0) order_.push_back(c);
    }
  }
  return static_cast<int>(order_.size()) == n;
}

Status Raiser::AssignFrames() {
  frames_.push_back(Frame{});
  std::unordered_map<std::string, int> by_name;
  frame_.assign(nodes_.size(), 0);
  for (int i : order_) {
    const NodeDef& node = nodes_[i];
    int in_frame = -1, first = -1;
    for (const Edge& e : inputs_[i]) {
      if (nodes_[e.node].op() == "NextIteration") continue;  // a back edge, checked below
      const int f = frame_[e.node];
      if (in_frame < 0) {
        in_frame = f;
        first = e.node;
      } else if (f != in_frame) {
        return InvalidArgumentError(Node(i) + " has inputs from different frames: " +
                                    Quote(nodes_[first].name()) + " is in " + Describe(in_frame) +
                                    ", " + Quote(nodes_[e.node].name()) + " in " + Describe(f) +
                                    " (a value enters a while loop only through an Enter and "
                                    "leaves it only through an Exit)");
      }
    }
    if (in_frame < 0) in_frame = 0;
    if (node.op() == "Enter") {
      auto a = node.attr().find("frame_name");
      if (a == node.attr().end() || a->second.s().empty()) {
        return InvalidArgumentError(Node(i) +
                                    " has no frame_name: expected the name of the "
                                    "while-loop frame it enters");
      }
      auto [it, inserted] = by_name.emplace(a->second.s(), static_cast<int>(frames_.size()));
      if (inserted) {
        Frame fr;
        fr.name = a->second.s();
        fr.parent = in_frame;
        fr.depth = frames_[in_frame].depth + 1;
        frames_.push_back(std::move(fr));
      } else if (frames_[it->second].parent != in_frame) {
        return InvalidArgumentError(
            Node(i) + " enters " + Describe(it->second) + " from " + Describe(in_frame) +
            ", but other Enters of that frame enter it from " +
            Describe(frames_[it->second].parent) + " (mismatched frame names)");
      }
      frame_[i] = it->second;
    } else if (node.op() == "Exit") {
      if (in_frame == 0) {
        return InvalidArgumentError(Node(i) +
                                    " is outside any while loop: expected it to read "
                                    "output 0 of a Switch on a loop's LoopCond");
      }
      frames_[in_frame].exits.push_back(i);
      frame_[i] = frames_[in_frame].parent;
    } else {
      if (in_frame == 0 && (node.op() == "NextIteration" || node.op() == "LoopCond")) {
        return InvalidArgumentError(Node(i) +
                                    " is outside any while loop: expected its input to "
                                    "be computed inside a frame entered by an Enter");
      }
      frame_[i] = in_frame;
    }
  }
  // Back edges: a NextIteration feeds Merges of its own frame.
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    for (const Edge& e : inputs_[i]) {
      if (nodes_[e.node].op() != "NextIteration" || frame_[e.node] == frame_[i]) continue;
      return InvalidArgumentError(Node(i) + " in " + Describe(frame_[i]) + " reads NextIteration " +
                                  Quote(nodes_[e.node].name()) + " of " + Describe(frame_[e.node]) +
                                  ": expected the NextIteration of its own frame");
    }
  }
  for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
    if (nodes_[i].op() != "Exit") frames_[frame_[i]].members.push_back(i);
  }
  for (const auto& f : g_->library().function()) function_names_.insert(f.signature().name());
  return Status::OK();
}

std::string Raiser::UniqueFunctionName(const std::string& base) {
  std::string name = base;
  for (int k = 1; function_names_.count(name); ++k) name = base + "_" + std::to_string(k);
  function_names_.insert(name);
  return name;
}

std::string Raiser::UniqueNodeName(const std::string& base) const {
  std::string name = base;
  for (int k = 1; index_.count(name); ++k) name = base + "_" + std::to_string(k);
  return name;
}

Status Raiser::Raise(int f) {
  const Frame& frame = frames_[f];
  const std::string where = Describe(f);
  std::vector<int> members;
  for (int i : frame.members) {
    if (!removed_[i]) members.push_back(i);
  }
  std::sort(members.begin(), members.end());
  auto type_attr = [&](int i) -> StatusOr<int> {
    auto t = nodes_[i].attr().find("T");
    if (t == nodes_[i].attr().end() || t->second.value_case() != tensorflow::AttrValue::kType) {
      return InvalidArgumentError(Node(i) + " has no type attr 'T'");
    }
    return static_cast<int>(t->second.type());
  };
  // The frame's nodes by role.
  std::unordered_map<int, Special> special;
  std::vector<int> loop_conds, var_enters, const_enters;
  for (int i : members) {
    const std::string& op = nodes_[i].op();
    if (op == "LoopCond") {
      loop_conds.push_back(i);
      special[i] = {Role::kLoopCond};
    } else if (op == "NextIteration") {
      special[i] = {Role::kNextIteration};
    } else if (op == "Enter") {
      auto c = nodes_[i].attr().find("is_constant");
      const bool constant = c != nodes_[i].attr().end() && c->second.b();
      if (constant) {
        special[i] = {Role::kConstEnter, static_cast<int>(const_enters.size())};
        const_enters.push_back(i);
      } else {
        special[i] = {Role::kVarEnter};
        var_enters.push_back(i);
      }
    }
  }
  if (loop_conds.size() != 1) {
    return InvalidArgumentError(where + " has " + std::to_string(loop_conds.size()) +
                                " LoopCond nodes: expected exactly one (the loop's condition)");
  }
  const int loop_cond = loop_conds[0];
  if (var_enters.empty()) {
    return InvalidArgumentError(where +
                                " has no loop variable: expected an Enter with "
                                "is_constant false feeding a Merge");
  }
  auto data_inputs = [&](int i) {
    std::vector<Edge> d;
    for (const Edge& e : inputs_[i]) {
      if (e.index >= 0) d.push_back(e);
    }
    return d;
  };
  // Loop Merges: Merge(Enter, NextIteration).
  std::unordered_map<int, int> merge_of_enter, next_of_merge;
  for (int i : members) {
    if (nodes_[i].op() != "Merge") continue;
    const auto in = data_inputs(i);
    int enter = -1, next = -1;
    for (const Edge& e : in) {
      auto s = special.find(e.node);
      if (s == special.end()) continue;
      if (s->second.role == Role::kVarEnter) enter = e.node;
      if (s->second.role == Role::kNextIteration) next = e.node;
    }
    if (enter < 0 && next < 0) continue;  // a conditional's Merge inside the loop
    if (next < 0) {
      return InvalidArgumentError(Node(i) + " of " + where + " reads Enter " +
                                  Quote(nodes_[enter].name()) +
                                  " but has no NextIteration input: a loop Merge joins an Enter "
                                  "and a NextIteration of its frame");
    }
    if (enter < 0 || in.size() != 2) {
      return InvalidArgumentError(Node(i) + " of " + where + " reads NextIteration " +
                                  Quote(nodes_[next].name()) +
                                  ": expected exactly two inputs, an Enter (is_constant false) of "
                                  "the frame and that NextIteration");
    }
    if (!merge_of_enter.emplace(enter, i).second) {
      return InvalidArgumentError(
          "Enter " + Quote(nodes_[enter].name()) + " of " + where + " feeds two loop Merges, " +
          Quote(nodes_[merge_of_enter[enter]].name()) + " and " + Quote(nodes_[i].name()));
    }
    next_of_merge[i] = next;
  }
  // The loop variables, in the order of their Enters.
  const int num_vars = static_cast<int>(var_enters.size());
  std::vector<int> merges(num_vars), switches(num_vars, -1), types;
  for (int k = 0; k < num_vars; ++k) {
    auto m = merge_of_enter.find(var_enters[k]);
    if (m == merge_of_enter.end()) {
      return InvalidArgumentError("Enter " + Quote(nodes_[var_enters[k]].name()) + " of " + where +
                                  " (is_constant false) feeds no loop Merge: expected a Merge "
                                  "of it and a NextIteration");
    }
    merges[k] = m->second;
    special[m->second] = {Role::kMerge, k};
    CKPT_ASSIGN_OR_RETURN(int t, type_attr(var_enters[k]));
    types.push_back(t);
  }
  for (int i : members) {
    if (nodes_[i].op() != "Switch") continue;
    const auto in = data_inputs(i);
    if (in.size() != 2 || in[1].node != loop_cond) continue;  // a conditional's Switch
    auto s = special.find(in[0].node);
    if (s == special.end() || s->second.role != Role::kMerge || in[0].index != 0) {
      return InvalidArgumentError(Node(i) + " switches on LoopCond " +
                                  Quote(nodes_[loop_cond].name()) + " of " + where +
                                  " but its data is not output 0 of a loop Merge");
    }
    int& sw = switches[s->second.k];
    if (sw >= 0) {
      return InvalidArgumentError("loop Merge " + Quote(nodes_[in[0].node].name()) + " of " +
                                  where + " feeds two Switches on the LoopCond, " +
                                  Quote(nodes_[sw].name()) + " and " + Quote(nodes_[i].name()));
    }
    sw = i;
    special[i] = {Role::kSwitch, s->second.k};
  }
  for (int k = 0; k < num_vars; ++k) {
    if (switches[k] < 0) {
      return InvalidArgumentError("loop Merge " + Quote(nodes_[merges[k]].name()) + " of " + where +
                                  " feeds no Switch on LoopCond " +
                                  Quote(nodes_[loop_cond].name()));
    }
  }
  for (int i : members) {
    if (nodes_[i].op() != "NextIteration") continue;
    bool fed = false;
    for (const auto& [m, next] : next_of_merge) fed = fed || next == i;
    if (!fed) {
      return InvalidArgumentError(Node(i) + " of " + where + " feeds no loop Merge");
    }
  }
  std::vector<int> exit_var(frame.exits.size());
  for (size_t x = 0; x < frame.exits.size(); ++x) {
    const int e = frame.exits[x];
    const auto in = data_inputs(e);
    auto s = in.size() == 1 ? special.find(in[0].node) : special.end();
    if (s == special.end() || s->second.role != Role::kSwitch || in[0].index != 0) {
      return InvalidArgumentError(Node(e) + " leaves " + where +
                                  ": expected it to read output 0 of a Switch on LoopCond " +
                                  Quote(nodes_[loop_cond].name()));
    }
    exit_var[x] = s->second.k;
  }
  for (int i : const_enters) {
    CKPT_ASSIGN_OR_RETURN(int t, type_attr(i));
    types.push_back(t);
  }

  // The functions' arguments: the loop variables, then the invariants.
  std::set<std::string> member_names;
  for (int i : members) member_names.insert(nodes_[i].name());
  std::vector<std::string> args;
  for (size_t k = 0; k < types.size(); ++k) {
    std::string a = "arg_" + std::to_string(k);
    while (member_names.count(a)) a += "_";
    args.push_back(std::move(a));
  }
  // A frame node's input as the functions read it; nullopt for a control edge to drop.
  auto rewrite = [&](int consumer, const Edge& e) -> StatusOr<std::optional<std::string>> {
    auto s = special.find(e.node);
    if (s == special.end()) {
      if (frame_[e.node] != f) {
        return InternalError(Node(consumer) + " reads " + Quote(nodes_[e.node].name()) +
                             " of another frame");
      }
      if (e.index < 0) return std::optional<std::string>("^" + nodes_[e.node].name());
      CKPT_ASSIGN_OR_RETURN(std::string name,
                            FunctionDefOutputName(nodes_[e.node], e.index, g_->library()));
      return std::optional<std::string>(std::move(name));
    }
    if (e.index < 0) return std::optional<std::string>();  // the loop's own nodes: frame markers
    const Special& sp = s->second;
    if ((sp.role == Role::kMerge && e.index == 0) || (sp.role == Role::kSwitch && e.index == 1)) {
      return std::optional<std::string>(args[sp.k]);
    }
    if (sp.role == Role::kConstEnter) return std::optional<std::string>(args[num_vars + sp.k]);
    const char* expected = sp.role == Role::kMerge ? "output 1 (value_index) of a loop Merge"
                           : sp.role == Role::kSwitch
                               ? "output 0 of a loop Switch, which only an Exit reads"
                           : sp.role == Role::kVarEnter
                               ? "an Enter with is_constant false, which only its loop Merge reads"
                               : "the loop's own LoopCond or NextIteration";
    return InvalidArgumentError(Node(consumer) + " of " + where + " reads " +
                                Quote(nodes_[e.node].name()) + ", " + expected +
                                "; a loop's condition and body read a loop variable through its "
                                "Merge (output 0) or its Switch (output 1), an invariant through "
                                "an Enter with is_constant true");
  };
  // A function of the loop variables computing `rets` (name, value) after `roots` (the
  // consumers whose inputs to follow).
  const std::string base = Sanitize(frame.name);
  auto build = [&](const char* suffix, const std::vector<std::pair<int, Edge>>& rets,
                   const std::vector<int>& roots, const std::vector<std::string>& arg_rets,
                   const std::vector<int>& ret_types) -> StatusOr<std::string> {
    // The frame's nodes the roots need, stopping at the loop's own nodes.
    std::set<int> needed;
    std::vector<int> stack;
    for (int r : roots) {
      for (const Edge& e : inputs_[r]) stack.push_back(e.node);
    }
    while (!stack.empty()) {
      const int i = stack.back();
      stack.pop_back();
      if (special.count(i) || !needed.insert(i).second) continue;
      for (const Edge& e : inputs_[i]) stack.push_back(e.node);
    }
    tensorflow::FunctionDef fn;
    auto* sig = fn.mutable_signature();
    sig->set_name(UniqueFunctionName(base + suffix));
    for (size_t k = 0; k < args.size(); ++k) {
      auto* a = sig->add_input_arg();
      a->set_name(args[k]);
      a->set_type(static_cast<tensorflow::DataType>(types[k]));
    }
    for (int i : needed) {
      NodeDef copy = nodes_[i];
      copy.clear_input();
      for (const Edge& e : inputs_[i]) {
        CKPT_ASSIGN_OR_RETURN(auto in, rewrite(i, e));
        if (in) copy.add_input(std::move(*in));
      }
      *fn.add_node_def() = std::move(copy);
    }
    for (size_t r = 0; r < ret_types.size(); ++r) {
      const std::string out = "output_" + std::to_string(r);
      auto* o = sig->add_output_arg();
      o->set_name(out);
      o->set_type(static_cast<tensorflow::DataType>(ret_types[r]));
      std::string value;
      if (r < rets.size()) {
        CKPT_ASSIGN_OR_RETURN(auto in, rewrite(rets[r].first, rets[r].second));
        value = std::move(*in);  // a data edge: never dropped
      } else {
        value = arg_rets[r - rets.size()];
      }
      (*fn.mutable_ret())[out] = std::move(value);
    }
    std::string name = sig->name();
    *g_->mutable_library()->add_function() = std::move(fn);
    return name;
  };
  if (data_inputs(loop_cond).size() != 1) {
    return InvalidArgumentError(Node(loop_cond) + " must have one data input (the predicate)");
  }
  const Edge pred = data_inputs(loop_cond)[0];
  CKPT_ASSIGN_OR_RETURN(std::string cond, build("_cond", {{loop_cond, pred}}, {loop_cond}, {},
                                                {tensorflow::DT_BOOL}));
  std::vector<std::pair<int, Edge>> body_rets;
  std::vector<int> nexts;
  for (int k = 0; k < num_vars; ++k) {
    const int next = next_of_merge.at(merges[k]);
    const auto in = data_inputs(next);
    if (in.size() != 1) return InvalidArgumentError(Node(next) + " must have one data input");
    body_rets.emplace_back(next, in[0]);
    nexts.push_back(next);
  }
  std::vector<std::string> invariant_rets(args.begin() + num_vars, args.end());
  CKPT_ASSIGN_OR_RETURN(std::string body, build("_body", body_rets, nexts, invariant_rets, types));

  // The While node, in the parent frame.
  NodeDef loop;
  const bool valid_name = std::all_of(frame.name.begin(), frame.name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
           c == '/';
  });
  loop.set_name(UniqueNodeName(
      valid_name && std::isalnum(static_cast<unsigned char>(frame.name[0])) ? frame.name : base));
  loop.set_op("While");
  loop.set_device(nodes_[var_enters[0]].device());
  std::vector<Edge> loop_inputs;
  std::vector<int> controls;
  std::vector<int> enters = var_enters;
  enters.insert(enters.end(), const_enters.begin(), const_enters.end());
  for (int e : enters) {
    const auto in = data_inputs(e);
    if (in.size() != 1) return InvalidArgumentError(Node(e) + " must have one data input");
    loop_inputs.push_back(in[0]);
    for (const Edge& c : inputs_[e]) {
      if (c.index < 0 && std::find(controls.begin(), controls.end(), c.node) == controls.end()) {
        controls.push_back(c.node);
      }
    }
  }
  for (const Edge& e : loop_inputs) {
    loop.add_input(nodes_[e.node].name() + (e.index == 0 ? "" : ":" + std::to_string(e.index)));
  }
  for (int c : controls) {
    loop.add_input("^" + nodes_[c].name());
    loop_inputs.push_back({c, -1});
  }
  auto& attrs = *loop.mutable_attr();
  for (int t : types) {
    attrs["T"].mutable_list()->add_type(static_cast<tensorflow::DataType>(t));
    // Not inferred: a loop variable may change shape across iterations (shape invariants).
    attrs["output_shapes"].mutable_list()->add_shape()->set_unknown_rank(true);
  }
  attrs["cond"].mutable_func()->set_name(cond);
  attrs["body"].mutable_func()->set_name(body);
  auto pi = nodes_[var_enters[0]].attr().find("parallel_iterations");
  attrs["parallel_iterations"].set_i(pi == nodes_[var_enters[0]].attr().end() ? 10
                                                                              : pi->second.i());
  for (int i : members) removed_[i] = 1;
  const int w = static_cast<int>(nodes_.size());
  index_.emplace(loop.name(), w);
  nodes_.push_back(std::move(loop));
  removed_.push_back(0);
  inputs_.push_back(std::move(loop_inputs));
  frame_.push_back(frame.parent);
  frames_[frame.parent].members.push_back(w);
  // Each Exit: an Identity of the While's output.
  for (size_t x = 0; x < frame.exits.size(); ++x) {
    const int e = frame.exits[x];
    NodeDef& exit = nodes_[e];
    const int k = exit_var[x];
    std::vector<Edge> in{{w, k}};
    std::vector<std::string> in_strings{nodes_[w].name() + (k == 0 ? "" : ":" + std::to_string(k))};
    for (int j = 0; j < exit.input_size(); ++j) {
      if (inputs_[e][j].index < 0) {
        in.push_back(inputs_[e][j]);
        in_strings.push_back(exit.input(j));
      }
    }
    exit.set_op("Identity");
    exit.clear_input();
    for (auto& s : in_strings) exit.add_input(std::move(s));
    auto t = exit.attr().find("T");
    tensorflow::AttrValue type = t == exit.attr().end() ? tensorflow::AttrValue() : t->second;
    exit.clear_attr();
    (*exit.mutable_attr())["T"] = std::move(type);
    inputs_[e] = std::move(in);
    frames_[frame.parent].members.push_back(e);
  }
  return Status::OK();
}

Status Raiser::Run() {
  nodes_.assign(std::make_move_iterator(g_->mutable_node()->begin()),
                std::make_move_iterator(g_->mutable_node()->end()));
  g_->clear_node();
  auto restore = [&] {
    for (auto& n : nodes_) *g_->add_node() = std::move(n);
  };
  Status s = Parse();
  if (!s.ok() || !Order()) {
    restore();  // the import's own checks report the bad input or the cycle
    return Status::OK();
  }
  CKPT_RETURN_IF_ERROR(AssignFrames());
  removed_.assign(nodes_.size(), 0);
  std::vector<int> by_depth;
  for (int f = 1; f < static_cast<int>(frames_.size()); ++f) by_depth.push_back(f);
  std::stable_sort(by_depth.begin(), by_depth.end(),
                   [&](int a, int b) { return frames_[a].depth > frames_[b].depth; });
  for (int f : by_depth) CKPT_RETURN_IF_ERROR(Raise(f));
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!removed_[i]) *g_->add_node() = std::move(nodes_[i]);
  }
  return Status::OK();
}

}  // namespace

Status RaiseWhileLoops(tensorflow::GraphDef* graph) {
  bool any = false;
  for (const auto& node : graph->node()) {
    any = any || IsFrameOp(node.op());
    const std::string& op = node.op();
    if (op.rfind("Ref", 0) == 0 &&
        (IsFrameOp(op.substr(3)) || op == "RefSwitch" || op == "RefMerge")) {
      return UnimplementedError("node " + Quote(node.name()) + " (" + op +
                                "): TF1 control flow over ref tensors is not supported (a "
                                "RefVariable updated inside a cond or while loop); resource "
                                "variables are");
    }
  }
  if (!any) return Status::OK();
  return Raiser(graph).Run();
}

}  // namespace ckpt
