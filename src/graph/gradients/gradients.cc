// Gradients(): TF's backprop graph construction (pending counts over the ops between xs and
// ys, a ready queue, gradient aggregation with AddN, per-op gradient functions in
// "<op>_grad" scopes).
#include "ckpt/graph/gradients.h"

#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "graph/gradients/grad_util.h"

namespace ckpt {
namespace {

bool IsFloat(DataType t) {
  return t == DataType::kFloat || t == DataType::kDouble || t == DataType::kHalf ||
         t == DataType::kBFloat16;
}

// Data inputs of every node, and data consumers.
struct GraphIndex {
  std::unordered_map<std::string, std::vector<Output>> inputs;
  std::unordered_map<std::string, std::vector<std::string>> consumers;
};

GraphIndex BuildIndex(const Graph& g) {
  GraphIndex idx;
  for (const std::string& name : g.node_names()) {
    auto info = g.GetNode(name);
    if (!info.ok()) continue;
    auto& ins = idx.inputs[name];
    for (const std::string& in : info->inputs) {
      if (!in.empty() && in[0] == '^') continue;
      auto o = Output::Parse(in);
      if (!o.ok()) continue;
      ins.push_back(*o);
      auto& c = idx.consumers[o->node];
      if (c.empty() || c.back() != name) c.push_back(name);
    }
  }
  return idx;
}

}  // namespace

GradientRegistration LookupGradientRegistration(std::string_view op) {
  bool known = false;
  const grad::GradFunc* fn = grad::GradRegistry::Global().Find(op, &known);
  if (fn != nullptr) return GradientRegistration::kFunction;
  return known ? GradientRegistration::kNoGradient : GradientRegistration::kUnknown;
}

std::vector<std::string> OpsWithGradient() { return grad::GradRegistry::Global().FunctionOps(); }

StatusOr<std::vector<Output>> Gradients(Graph& g, const std::vector<Output>& ys,
                                        const std::vector<Output>& xs,
                                        const std::vector<Output>& grad_ys,
                                        const GradientsOptions& options) {
  if (!g.status().ok()) return g.status();
  if (!grad_ys.empty() && grad_ys.size() != ys.size()) {
    return InvalidArgumentError("Gradients: passed " + std::to_string(grad_ys.size()) +
                                " grad_ys for " + std::to_string(ys.size()) + " ys");
  }
  for (const auto& y : ys) {
    if (!y.valid() || g.OutputType(y) == DataType::kInvalid) {
      return InvalidArgumentError("Gradients: y '" + y.name() + "' is not a tensor of the graph");
    }
  }
  for (const auto& x : xs) {
    if (!x.valid() || g.OutputType(x) == DataType::kInvalid) {
      return InvalidArgumentError("Gradients: x '" + x.name() + "' is not a tensor of the graph");
    }
  }

  GraphIndex index = BuildIndex(g);
  std::vector<Output> result(xs.size());
  {
    Graph::NameScope grad_scope(g, options.name);
    g.UniqueName("uid");

    // Default output gradients: ones of y's shape.
    std::vector<Output> gys(ys.size());
    for (size_t i = 0; i < ys.size(); ++i) {
      if (!grad_ys.empty() && grad_ys[i].valid()) {
        if (g.OutputType(grad_ys[i]) != g.OutputType(ys[i])) {
          return InvalidArgumentError("Gradients: grad_ys[" + std::to_string(i) + "] has dtype " +
                                      std::string(DataTypeName(g.OutputType(grad_ys[i]))) +
                                      ", expected " +
                                      std::string(DataTypeName(g.OutputType(ys[i]))));
        }
        gys[i] = grad_ys[i];
        continue;
      }
      const DataType dt = g.OutputType(ys[i]);
      if (!IsFloat(dt)) {
        return InvalidArgumentError("Gradients: y '" + ys[i].name() + "' has dtype " +
                                    std::string(DataTypeName(dt)) +
                                    "; only floating-point ys can be differentiated");
      }
      Output shape = grad::ShapeOf(g, ys[i], "Shape");
      Graph::NameScope s(g, "grad_ys_" + std::to_string(i));
      Output one = ops::Const(g, 1.0, dt, {}, "Const");
      Output in[2] = {shape, one};
      gys[i] = g.AddNode("Fill", s.scope_name(), in).output(0);
    }

    std::vector<std::string> to_ops, from_ops;
    for (const auto& y : ys) to_ops.push_back(y.node);
    for (const auto& x : xs) from_ops.push_back(x.node);

    // Ops reachable forward from xs.
    std::unordered_set<std::string> reached;
    {
      std::deque<std::string> q(from_ops.begin(), from_ops.end());
      while (!q.empty()) {
        std::string op = q.front();
        q.pop_front();
        if (!reached.insert(op).second) continue;
        for (const auto& c : index.consumers[op]) q.push_back(c);
      }
    }
    // Ops between: reached and backward-reachable from ys.
    std::vector<std::string> between_list;
    std::unordered_set<std::string> between;
    {
      std::unordered_set<std::string> open = reached;
      std::deque<std::string> q(to_ops.begin(), to_ops.end());
      while (!q.empty()) {
        std::string op = q.front();
        q.pop_front();
        if (!open.count(op)) continue;
        open.erase(op);
        between.insert(op);
        between_list.push_back(op);
        for (const auto& in : index.inputs[op]) q.push_back(in.node);
      }
    }
    std::unordered_map<std::string, int> pending;
    for (const auto& op : between_list) {
      for (const auto& in : index.inputs[op]) {
        if (between.count(in.node)) ++pending[in.node];
      }
    }

    // grads[node][output] = list of contributions.
    std::unordered_map<std::string, std::vector<std::vector<Output>>> grads;
    auto set_grad = [&](const Output& t, const Output& gr) {
      auto& v = grads[t.node];
      auto n = g.NumOutputs(t.node);
      if (v.empty()) v.resize(n.ok() ? *n : t.index + 1);
      if (static_cast<int>(v.size()) <= t.index) v.resize(t.index + 1);
      v[t.index].push_back(gr);
    };
    for (size_t i = 0; i < ys.size(); ++i) set_grad(ys[i], gys[i]);

    std::deque<std::string> queue;
    std::set<std::string> to_set;
    for (const auto& op : to_ops) {
      if (pending[op] == 0 && !to_set.count(op) && between.count(op)) {
        to_set.insert(op);
        queue.push_back(op);
      }
    }
    std::set<std::string> stop_ops;
    for (const auto& op : from_ops) {
      bool stop = true;
      for (const auto& in : index.inputs[op]) {
        if (pending[in.node] > 0) {
          stop = false;
          break;
        }
      }
      if (stop) stop_ops.insert(op);
    }

    // Aggregated gradients per output (AddN where several arrive).
    std::unordered_map<std::string, std::vector<Output>> final_grads;

    while (!queue.empty()) {
      std::string op = queue.front();
      queue.pop_front();
      auto n_out = g.NumOutputs(op);
      const int num_outputs = n_out.ok() ? *n_out : 0;
      std::vector<Output> out_grads(num_outputs);
      auto git = grads.find(op);
      if (git != grads.end()) {
        for (int i = 0; i < num_outputs && i < static_cast<int>(git->second.size()); ++i) {
          auto& list = git->second[i];
          if (list.empty()) continue;
          if (list.size() == 1) {
            out_grads[i] = list[0];
          } else {
            std::vector<Output> ins = list;
            out_grads[i] =
                grad::AddOp(g, "AddN", "AddN", ins,
                            AttrMap{{"_class", AttrValue(grad::ColocationOf(g, list[0].node))}});
          }
        }
      }
      final_grads[op] = out_grads;
      bool has_out_grads = false;
      for (const auto& o : out_grads) has_out_grads |= o.valid();

      const grad::GradFunc* fn = nullptr;
      auto type = g.OpType(op);
      if (!type.ok()) return type.status();
      if (has_out_grads && !stop_ops.count(op)) {
        bool known = false;
        fn = grad::GradRegistry::Global().Find(*type, &known);
        if (fn == nullptr && !known) {
          return NotFoundError("No gradient defined for operation '" + op + "' (op type: " + *type +
                               ")");
        }
      }
      const std::vector<Output>& op_inputs = index.inputs[op];
      std::vector<Output> in_grads(op_inputs.size());
      if (fn != nullptr && has_out_grads) {
        for (int i = 0; i < num_outputs; ++i) {
          if (!out_grads[i].valid() && IsFloat(g.OutputType(Output(op, i)))) {
            out_grads[i] = grad::AddOp(g, "ZerosLike", "zeros_like", {Output(op, i)});
          }
        }
        grad::GradOp gop;
        gop.g = &g;
        gop.name = op;
        gop.type = *type;
        gop.inputs = op_inputs;
        gop.num_outputs = num_outputs;
        Graph::NameScope op_scope(g, op + "_grad");
        Status s = (*fn)(gop, out_grads, &in_grads);
        if (!s.ok()) return s;
        if (!g.status().ok()) return g.status();
        if (in_grads.size() != op_inputs.size()) {
          return InternalError("gradient of " + *type + " returned " +
                               std::to_string(in_grads.size()) + " gradients for " +
                               std::to_string(op_inputs.size()) + " inputs");
        }
        int n_valid = 0;
        for (const auto& o : in_grads) n_valid += o.valid();
        if (options.gate_gradients && n_valid > 1) in_grads = grad::Tuple(g, in_grads);
      }
      for (size_t i = 0; i < op_inputs.size(); ++i) {
        if (in_grads[i].valid()) set_grad(op_inputs[i], in_grads[i]);
      }
      for (const auto& in : op_inputs) {
        if (--pending[in.node] == 0) queue.push_back(in.node);
      }
    }
    if (!g.status().ok()) return g.status();
    for (size_t i = 0; i < xs.size(); ++i) {
      auto it = final_grads.find(xs[i].node);
      if (it != final_grads.end() && xs[i].index < static_cast<int>(it->second.size())) {
        result[i] = it->second[xs[i].index];
      }
    }
  }
  return result;
}

}  // namespace ckpt
