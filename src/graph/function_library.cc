#include "graph/function_library.h"

#include <charconv>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

#include "ckpt/core/dtype.h"
#include "ckpt/graph/graph_def.h"
#include "graph/op_registry.h"

namespace ckpt {

namespace {

using AttrMap = google::protobuf::Map<std::string, tensorflow::AttrValue>;
using tensorflow::FunctionDef;
using tensorflow::NodeDef;

// More nodes than this after inlining means a call tree that multiplies without bound.
constexpr size_t kMaxInlinedNodes = size_t{1} << 22;

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

bool IsCallOp(std::string_view op) {
  return op == "PartitionedCall" || op == "StatefulPartitionedCall";
}

std::string TypeName(int t) { return std::string(DataTypeName(static_cast<DataType>(t))); }

std::string TypeList(const std::vector<int>& types) {
  std::string s = "[";
  for (size_t i = 0; i < types.size(); ++i) s += (i ? ", " : "") + TypeName(types[i]);
  return s + "]";
}

// Where a node sits, for error messages: "node 'x'" or "node 'x' of function 'f'".
std::string Where(const NodeDef& node, std::string_view function) {
  std::string s = "node " + Quote(node.name()) + " (" + node.op() + ")";
  if (!function.empty()) s += " of function " + Quote(function);
  return s;
}

class Inliner {
 public:
  explicit Inliner(const tensorflow::FunctionDefLibrary& lib) : lib_(lib) {
    for (const auto& f : lib.function()) functions_.emplace(f.signature().name(), &f);
  }

  // Every call (in the graph and in bodies) names a defined function; no recursion.
  Status CheckCallGraph(const tensorflow::GraphDef& graph) const;
  Status Run(tensorflow::GraphDef* graph);
  // The function `node` calls ("" when none): `f` of a call op, or the op itself when the
  // library defines it.
  std::string Callee(const NodeDef& node) const {
    if (IsCallOp(node.op())) {
      auto f = node.attr().find("f");
      return f == node.attr().end() ? std::string() : f->second.func().name();
    }
    return functions_.count(node.op()) ? node.op() : std::string();
  }

 private:
  const FunctionDef* Find(std::string_view name) const {
    auto it = functions_.find(std::string(name));
    return it == functions_.end() ? nullptr : it->second;
  }
  // The attrs a call binds for the function's placeholders.
  static const AttrMap& Bindings(const NodeDef& call) {
    if (IsCallOp(call.op())) return call.attr().at("f").func().attr();
    return call.attr();
  }
  // A While whose body returns other dtypes than its loop variables: InvalidArgument.
  Status CheckLoopBody(const NodeDef& node, std::string_view in_fn) const;
  // Type of a signature arg with the call's bindings; InvalidArgument if unbound.
  StatusOr<int> ArgType(const tensorflow::OpDef::ArgDef& arg, const AttrMap& bind,
                        const NodeDef& call, const FunctionDef& fn) const;
  Status Expand(const NodeDef& call, const FunctionDef& fn, std::vector<NodeDef>* out);

  const tensorflow::FunctionDefLibrary& lib_;
  std::unordered_map<std::string, const FunctionDef*> functions_;
  // "CALL:i" -> the tensor the function returns there (graph input form).
  std::unordered_map<std::string, std::string> returned_;
};

Status Inliner::CheckCallGraph(const tensorflow::GraphDef& graph) const {
  auto check_missing = [&](const NodeDef& node, std::string_view in_fn) -> Status {
    // Functions named by attrs (If/Case branches, While cond and body) must exist too.
    for (const auto& [attr, v] : node.attr()) {
      std::vector<const tensorflow::NameAttrList*> funcs;
      if (v.has_func()) funcs.push_back(&v.func());
      if (v.has_list()) {
        for (const auto& f : v.list().func()) funcs.push_back(&f);
      }
      for (const auto* f : funcs) {
        if (Find(f->name()) == nullptr) {
          return NotFoundError(Where(node, in_fn) + ": attr '" + attr + "' names function " +
                               Quote(f->name()) + ", which is not in the graph's function library");
        }
      }
    }
    CKPT_RETURN_IF_ERROR(CheckLoopBody(node, in_fn));
    if (IsCallOp(node.op())) {
      auto f = node.attr().find("f");
      if (f == node.attr().end() || !f->second.has_func()) {
        return InvalidArgumentError(Where(node, in_fn) + " has no function attr 'f'");
      }
      if (Find(f->second.func().name()) == nullptr) {
        return NotFoundError(Where(node, in_fn) + " calls function " +
                             Quote(f->second.func().name()) +
                             ", which is not in the graph's function library");
      }
    }
    return Status::OK();
  };
  for (const auto& node : graph.node()) CKPT_RETURN_IF_ERROR(check_missing(node, ""));
  for (const auto& f : lib_.function()) {
    for (const auto& node : f.node_def()) {
      CKPT_RETURN_IF_ERROR(check_missing(node, f.signature().name()));
    }
  }
  // Depth-first search over the call graph; 1 = on the current path, 2 = done.
  std::unordered_map<std::string, int> state;
  std::vector<std::string> path;
  std::function<Status(const FunctionDef&)> visit = [&](const FunctionDef& f) -> Status {
    const std::string& name = f.signature().name();
    state[name] = 1;
    path.push_back(name);
    for (const auto& node : f.node_def()) {
      // Called functions, and those run by control flow (If/Case branches, While bodies).
      const std::vector<std::string> callees =
          FunctionsCalledBy(node, [&](const std::string& op) { return functions_.count(op) > 0; });
      for (const std::string& callee : callees) {
        int& s = state[callee];
        if (s == 1) {
          std::string cycle;
          bool on = false;
          for (const auto& p : path) {
            on = on || p == callee;
            if (on) cycle += p + " -> ";
          }
          return InvalidArgumentError("function " + Quote(callee) + " is recursive (" + cycle +
                                      callee + ", through " + Where(node, name) +
                                      "): recursive functions cannot be "
                                      "inlined and are not supported");
        }
        if (s == 0) CKPT_RETURN_IF_ERROR(visit(*Find(callee)));
      }
    }
    path.pop_back();
    state[name] = 2;
    return Status::OK();
  };
  for (const auto& f : lib_.function()) {
    if (state[f.signature().name()] == 0) CKPT_RETURN_IF_ERROR(visit(f));
  }
  return Status::OK();
}

Status Inliner::CheckLoopBody(const NodeDef& node, std::string_view in_fn) const {
  if (node.op() != "While" && node.op() != "StatelessWhile") return Status::OK();
  auto body = node.attr().find("body");
  auto t = node.attr().find("T");
  if (body == node.attr().end() || t == node.attr().end()) return Status::OK();
  const FunctionDef* fn = Find(body->second.func().name());
  if (fn == nullptr) return Status::OK();  // reported by the caller
  std::vector<int> vars(t->second.list().type().begin(), t->second.list().type().end());
  std::vector<int> outs;
  for (const auto& arg : fn->signature().output_arg()) {
    CKPT_ASSIGN_OR_RETURN(int type, ArgType(arg, body->second.func().attr(), node, *fn));
    outs.push_back(type);
  }
  if (outs != vars) {
    return InvalidArgumentError(Where(node, in_fn) + ": loop body " +
                                Quote(fn->signature().name()) + " returns " + TypeList(outs) +
                                " but the loop variables are " + TypeList(vars) +
                                " (a While body must keep each loop variable's dtype)");
  }
  return Status::OK();
}

StatusOr<int> Inliner::ArgType(const tensorflow::OpDef::ArgDef& arg, const AttrMap& bind,
                               const NodeDef& call, const FunctionDef& fn) const {
  if (!arg.number_attr().empty() || !arg.type_list_attr().empty()) {
    return UnimplementedError("function " + Quote(fn.signature().name()) + " (called by " +
                              Where(call, "") + ") has list argument " + Quote(arg.name()) +
                              "; only single-tensor arguments are supported");
  }
  if (arg.type() != tensorflow::DT_INVALID) return static_cast<int>(arg.type());
  auto it = bind.find(arg.type_attr());
  if (it == bind.end() || it->second.value_case() != tensorflow::AttrValue::kType) {
    return InvalidArgumentError(Where(call, "") + " calls function " +
                                Quote(fn.signature().name()) + " without binding its type attr " +
                                Quote(arg.type_attr()) + " (argument " + Quote(arg.name()) + ")");
  }
  return static_cast<int>(it->second.type());
}

// Replaces attr placeholders by the call's bindings (recursively into func attrs).
Status Substitute(tensorflow::AttrValue* v, const AttrMap& bind, const NodeDef& node,
                  std::string_view fn) {
  if (v->value_case() == tensorflow::AttrValue::kPlaceholder) {
    auto it = bind.find(v->placeholder());
    if (it == bind.end()) {
      return InvalidArgumentError(Where(node, fn) + ": attr placeholder " +
                                  Quote(v->placeholder()) + " is not bound by the call");
    }
    *v = it->second;
    return Status::OK();
  }
  if (v->value_case() == tensorflow::AttrValue::kFunc) {
    for (auto& [k, a] : *v->mutable_func()->mutable_attr()) {
      CKPT_RETURN_IF_ERROR(Substitute(&a, bind, node, fn));
    }
  }
  return Status::OK();
}

// Number of tensors each output arg of `node` produces, keyed by arg name, in order.
// `callee`: the function `node` calls as its op, or nullptr.
StatusOr<std::vector<std::pair<std::string, int>>> OutputLayout(const FunctionDef* callee,
                                                                const NodeDef& node,
                                                                std::string_view fn) {
  std::vector<std::pair<std::string, int>> layout;
  if (IsCallOp(node.op())) {  // one list output, "output" (Tout)
    auto tout = node.attr().find("Tout");
    layout.emplace_back("output", tout == node.attr().end() ? 0 : tout->second.list().type_size());
    return layout;
  }
  const tensorflow::OpDef* op_def =
      callee != nullptr ? &callee->signature() : OpRegistry::Global().Find(node.op());
  if (op_def == nullptr) {
    return NotFoundError(Where(node, fn) + ": op " + Quote(node.op()) + " is not registered");
  }
  NodeDef with_defaults = node;
  CKPT_RETURN_IF_ERROR(AddDefaultAttrs(*op_def, &with_defaults));
  for (const auto& arg : op_def->output_arg()) {
    int n = 1;
    if (!arg.number_attr().empty() || !arg.type_list_attr().empty()) {
      const std::string& a = arg.number_attr().empty() ? arg.type_list_attr() : arg.number_attr();
      auto it = with_defaults.attr().find(a);
      if (it == with_defaults.attr().end()) {
        return InvalidArgumentError(Where(node, fn) + ": missing attr " + Quote(a));
      }
      n = arg.number_attr().empty() ? it->second.list().type_size()
                                    : static_cast<int>(it->second.i());
    }
    layout.emplace_back(arg.name(), n);
  }
  return layout;
}

Status Inliner::Expand(const NodeDef& call, const FunctionDef& fn, std::vector<NodeDef>* out) {
  const std::string& fname = fn.signature().name();
  const AttrMap& bind = Bindings(call);
  const std::string prefix = call.name() + "/";
  std::vector<std::string> data_inputs, control_inputs;
  for (const auto& in : call.input()) {
    (in.empty() || in[0] != '^' ? data_inputs : control_inputs).push_back(in);
  }
  const auto& sig = fn.signature();
  if (static_cast<int>(data_inputs.size()) != sig.input_arg_size()) {
    return InvalidArgumentError(Where(call, "") + " passes " + std::to_string(data_inputs.size()) +
                                " inputs to function " + Quote(fname) + ", which takes " +
                                std::to_string(sig.input_arg_size()));
  }
  std::vector<int> in_types, out_types;
  for (const auto& arg : sig.input_arg()) {
    CKPT_ASSIGN_OR_RETURN(int t, ArgType(arg, bind, call, fn));
    in_types.push_back(t);
  }
  for (const auto& arg : sig.output_arg()) {
    CKPT_ASSIGN_OR_RETURN(int t, ArgType(arg, bind, call, fn));
    out_types.push_back(t);
  }
  if (IsCallOp(call.op())) {
    for (const char* attr : {"Tin", "Tout"}) {
      auto it = call.attr().find(attr);
      std::vector<int> declared;
      if (it != call.attr().end()) {
        for (int t : it->second.list().type()) declared.push_back(t);
      }
      const std::vector<int>& want = attr[1] == 'i' ? in_types : out_types;
      if (declared != want) {
        return InvalidArgumentError(Where(call, "") + " declares " + attr + " " +
                                    TypeList(declared) + " but function " + Quote(fname) + " has " +
                                    (attr[1] == 'i' ? "inputs " : "outputs ") + TypeList(want));
      }
    }
  }
  std::unordered_map<std::string, std::string> args;  // arg name -> call input
  for (int i = 0; i < sig.input_arg_size(); ++i) args[sig.input_arg(i).name()] = data_inputs[i];
  // Output layouts of body nodes, for `node:out_arg:index` names.
  std::unordered_map<std::string, std::vector<std::pair<std::string, int>>> layouts;
  for (const auto& node : fn.node_def()) {
    if (layouts.count(node.name())) {
      return InvalidArgumentError("function " + Quote(fname) + " has two nodes named " +
                                  Quote(node.name()));
    }
    NodeDef bound = node;
    for (auto& [k, v] : *bound.mutable_attr()) {
      CKPT_RETURN_IF_ERROR(Substitute(&v, bind, node, fname));
    }
    CKPT_ASSIGN_OR_RETURN(
        layouts[node.name()],
        OutputLayout(IsCallOp(bound.op()) ? nullptr : Find(bound.op()), bound, fname));
  }
  // Body input string -> graph input string.
  auto map_input = [&](const std::string& in, const NodeDef& consumer) -> StatusOr<std::string> {
    if (!in.empty() && in[0] == '^') {
      const std::string src = in.substr(1);
      auto a = args.find(src);
      if (a != args.end()) {
        std::string_view n = a->second;
        if (!n.empty() && n[0] == '^') n.remove_prefix(1);
        n = n.substr(0, n.rfind(':') == std::string_view::npos ? n.size() : n.rfind(':'));
        return "^" + std::string(n);
      }
      if (!layouts.count(src)) {
        return InvalidArgumentError(Where(consumer, fname) + ": control input " + Quote(in) +
                                    " names no node of the function");
      }
      return "^" + prefix + src;
    }
    const size_t c1 = in.find(':');
    if (c1 == std::string::npos) {
      auto a = args.find(in);
      if (a != args.end()) return a->second;
      if (layouts.count(in)) return prefix + in;  // output 0 in GraphDef form
      return InvalidArgumentError(Where(consumer, fname) + ": input " + Quote(in) +
                                  " names neither an argument nor a node of the function");
    }
    const std::string src = in.substr(0, c1);
    auto l = layouts.find(src);
    if (l == layouts.end()) {
      return InvalidArgumentError(Where(consumer, fname) + ": input " + Quote(in) +
                                  " names no node of the function");
    }
    const size_t c2 = in.find(':', c1 + 1);
    int index = 0;
    std::string_view idx = std::string_view(in).substr(c2 == std::string::npos ? c1 + 1 : c2 + 1);
    auto [p, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), index);
    if (ec != std::errc() || p != idx.data() + idx.size() || index < 0) {
      return InvalidArgumentError(Where(consumer, fname) + ": malformed input " + Quote(in));
    }
    int flat = index;
    if (c2 != std::string::npos) {
      const std::string arg = in.substr(c1 + 1, c2 - c1 - 1);
      flat = 0;
      bool found = false;
      for (const auto& [name, n] : l->second) {
        if (name == arg) {
          if (index >= n) break;
          flat += index;
          found = true;
          break;
        }
        flat += n;
      }
      if (!found) {
        return InvalidArgumentError(Where(consumer, fname) + ": input " + Quote(in) +
                                    " names no output of node " + Quote(src));
      }
    }
    return prefix + src + (flat == 0 ? "" : ":" + std::to_string(flat));
  };

  std::string input_control;
  if (!control_inputs.empty()) {
    NodeDef noop;
    noop.set_name(prefix + "input_control_node");
    noop.set_op("NoOp");
    for (const auto& c : control_inputs) noop.add_input(c);
    input_control = "^" + noop.name();
    out->push_back(std::move(noop));
  }
  for (const auto& node : fn.node_def()) {
    NodeDef n = node;
    n.set_name(prefix + node.name());
    for (auto& [k, v] : *n.mutable_attr()) {
      CKPT_RETURN_IF_ERROR(Substitute(&v, bind, node, fname));
    }
    for (auto& in : *n.mutable_input()) {
      CKPT_ASSIGN_OR_RETURN(in, map_input(in, node));
    }
    if (!input_control.empty()) n.add_input(input_control);
    if (n.device().empty()) n.set_device(call.device());
    out->push_back(std::move(n));
  }
  // The call node: the returned tensors, after the function's side effects.
  NodeDef result;
  result.set_name(call.name());
  result.set_device(call.device());
  result.set_op(sig.output_arg_size() == 0 ? "NoOp" : "IdentityN");
  auto* types = (*result.mutable_attr())["T"].mutable_list();
  for (int i = 0; i < sig.output_arg_size(); ++i) {
    const std::string& arg = sig.output_arg(i).name();
    auto r = fn.ret().find(arg);
    if (r == fn.ret().end()) {
      return InvalidArgumentError("function " + Quote(fname) + " returns nothing for output " +
                                  Quote(arg) + " (called by " + Where(call, "") + ")");
    }
    CKPT_ASSIGN_OR_RETURN(std::string t, map_input(r->second, call));
    returned_[call.name() + ":" + std::to_string(i)] = t;
    if (i == 0) returned_[call.name()] = t;
    result.add_input(std::move(t));
    types->add_type(static_cast<tensorflow::DataType>(out_types[i]));
  }
  if (sig.output_arg_size() == 0) result.mutable_attr()->erase("T");
  for (const auto& [name, node] : fn.control_ret()) {
    if (!layouts.count(node)) {
      return InvalidArgumentError("function " + Quote(fname) + ": control_ret " + Quote(name) +
                                  " names no node " + Quote(node));
    }
    result.add_input("^" + prefix + node);
  }
  if (!input_control.empty()) result.add_input(input_control);
  out->push_back(std::move(result));
  return Status::OK();
}

Status Inliner::Run(tensorflow::GraphDef* graph) {
  std::deque<NodeDef> pending;
  for (auto& n : *graph->mutable_node()) pending.push_back(std::move(n));
  graph->clear_node();
  std::vector<NodeDef> done;
  std::vector<NodeDef> expansion;
  while (!pending.empty()) {
    NodeDef node = std::move(pending.front());
    pending.pop_front();
    const std::string callee = Callee(node);
    if (callee.empty()) {
      done.push_back(std::move(node));
      continue;
    }
    expansion.clear();
    CKPT_RETURN_IF_ERROR(Expand(node, *Find(callee), &expansion));
    if (done.size() + pending.size() + expansion.size() > kMaxInlinedNodes) {
      return ResourceExhaustedError("inlining the graph's function calls yields more than " +
                                    std::to_string(kMaxInlinedNodes) + " nodes (at " +
                                    Where(node, "") + ", function " + Quote(callee) + ")");
    }
    for (auto& n : expansion) pending.push_back(std::move(n));
  }
  // Consumers read returned tensors directly (chains of nested calls resolved).
  auto resolve = [&](std::string in) {
    for (size_t hops = 0; hops <= returned_.size(); ++hops) {
      auto it = returned_.find(in);
      if (it == returned_.end()) break;
      in = it->second;
    }
    return in;
  };
  for (auto& n : done) {
    const bool is_result = n.op() == "IdentityN" && returned_.count(n.name() + ":0");
    if (is_result) continue;  // keeps naming the returned tensors, for fetches by name
    for (auto& in : *n.mutable_input()) {
      if (!in.empty() && in[0] != '^') in = resolve(in);
    }
    *graph->add_node() = std::move(n);
  }
  for (auto& n : done) {
    if (n.op() == "IdentityN" && returned_.count(n.name() + ":0")) {
      *graph->add_node() = std::move(n);
    }
  }
  return Status::OK();
}

}  // namespace

Status InlineFunctionCalls(tensorflow::GraphDef* graph) {
  Inliner inliner(graph->library());
  bool any = false;
  for (const auto& node : graph->node()) any = any || !inliner.Callee(node).empty();
  if (!any && graph->library().function_size() == 0) return Status::OK();
  CKPT_RETURN_IF_ERROR(inliner.CheckCallGraph(*graph));
  return inliner.Run(graph);
}

StatusOr<std::string> FunctionDefOutputName(const tensorflow::NodeDef& node, int index,
                                            const tensorflow::FunctionDefLibrary& library) {
  const FunctionDef* callee = nullptr;
  for (const auto& f : library.function()) {
    if (f.signature().name() == node.op()) callee = &f;
  }
  CKPT_ASSIGN_OR_RETURN(auto layout, OutputLayout(callee, node, ""));
  int first = 0;
  for (const auto& [arg, n] : layout) {
    if (index < first + n) return node.name() + ":" + arg + ":" + std::to_string(index - first);
    first += n;
  }
  return InvalidArgumentError(Where(node, "") + " has " + std::to_string(first) +
                              " outputs, output " + std::to_string(index) + " was asked for");
}

}  // namespace ckpt
