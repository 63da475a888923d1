#include "graph/function_runtime.h"

#include <deque>
#include <optional>
#include <unordered_map>

#include "graph/deadness.h"
#include "graph/graph_impl.h"
#include "graph/op_registry.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace ckpt {

namespace {

constexpr char kCallNode[] = "fn_call";

std::string ArgNode(int i) { return "fn_arg_" + std::to_string(i); }

}  // namespace

struct FunctionBody::Node {
  const tensorflow::NodeDef* def = nullptr;
  std::vector<int> input_slots;
  int out_offset = 0;
  int num_outputs = 0;
  std::vector<int32_t> output_types;
  std::optional<deadness::DeadInputs> dead;  // when a Switch reaches the node
  std::unique_ptr<OpKernelConstruction> construction;
  std::unique_ptr<OpKernel> kernel;
};

FunctionBody::~FunctionBody() = default;

StatusOr<std::unique_ptr<FunctionBody>> FunctionBody::Instantiate(
    const tensorflow::FunctionDefLibrary& library, const tensorflow::NameAttrList& func,
    const OpKernelConstruction& caller) {
  const std::string where = "function " + func.name() + " (called by node " + caller.name() + ")";
  const tensorflow::FunctionDef* fn = nullptr;
  for (const auto& f : library.function()) {
    if (f.signature().name() == func.name()) fn = &f;
  }
  if (fn == nullptr) {
    return NotFoundError("node " + caller.name() + " (" + caller.op() + ") calls function '" +
                         func.name() + "', which is not in the graph's function library");
  }
  // A graph of one call: placeholders for the arguments, the call (inlined by FromGraphDef).
  tensorflow::GraphDef def;
  *def.mutable_library() = library;
  tensorflow::NodeDef call;
  call.set_name(kCallNode);
  call.set_op(func.name());
  *call.mutable_attr() = func.attr();
  auto body = std::unique_ptr<FunctionBody>(new FunctionBody());
  body->name_ = func.name();
  for (int i = 0; i < fn->signature().input_arg_size(); ++i) {
    const auto& arg = fn->signature().input_arg(i);
    int type = arg.type();
    if (type == tensorflow::DT_INVALID) {
      auto it = func.attr().find(arg.type_attr());
      if (it == func.attr().end()) {
        return InvalidArgumentError(where + ": type attr '" + arg.type_attr() + "' of argument '" +
                                    arg.name() + "' is not bound");
      }
      type = it->second.type();
    }
    tensorflow::NodeDef* p = def.add_node();
    p->set_name(ArgNode(i));
    p->set_op("Placeholder");
    (*p->mutable_attr())["dtype"].set_type(static_cast<tensorflow::DataType>(type));
    call.add_input(ArgNode(i));
    body->arg_types_.push_back(static_cast<DataType>(type));
  }
  *def.add_node() = std::move(call);
  auto graph = Graph::FromGraphDef(def.SerializeAsString());
  if (!graph.ok()) return graph.status().WithContext(where);
  body->graph_ = std::make_unique<Graph>(std::move(*graph));
  // The graph's own index and per-node types (computed when its nodes were added).
  const GraphImpl::Rep& rep = GraphImpl::Get(*body->graph_);
  const tensorflow::GraphDef& g = rep.def;
  const auto& index = rep.index;

  // Execution order (Kahn): every node after its data and control inputs.
  const int n = g.node_size();
  std::vector<std::vector<std::pair<int, int>>> edges(n);  // data inputs (node, output)
  std::vector<std::vector<int>> controls(n);               // control inputs
  std::vector<std::vector<int>> consumers(n);
  std::vector<int> pending(n, 0);
  for (int i = 0; i < n; ++i) {
    for (const auto& in : g.node(i).input()) {
      CKPT_ASSIGN_OR_RETURN(InputRef ref, ParseInputString(in));
      auto it = index.find(std::string(ref.node));
      if (it == index.end()) return InternalError(where + ": unresolved input " + in);
      if (ref.index >= 0) {
        edges[i].emplace_back(it->second, ref.index);
      } else {
        controls[i].push_back(it->second);
      }
      consumers[it->second].push_back(i);
      ++pending[i];
    }
  }
  std::deque<int> ready;
  for (int i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  std::vector<int> order;
  while (!ready.empty()) {
    const int i = ready.front();
    ready.pop_front();
    order.push_back(i);
    for (int c : consumers[i]) {
      if (--pending[c] == 0) ready.push_back(c);
    }
  }
  if (static_cast<int>(order.size()) != n) return InvalidArgumentError(where + " has a cycle");

  // The nodes that can be dead (graph/deadness.h): a Switch and what it reaches.
  std::vector<char> reached(n, 0);
  for (int i : order) {
    reached[i] = deadness::IsSwitch(g.node(i).op());
    for (const auto& [src, o] : edges[i]) reached[i] = reached[i] || reached[src];
    for (int src : controls[i]) reached[i] = reached[i] || reached[src];
  }
  std::vector<int> offset(n, 0);
  std::vector<int> node_bit(n, -1);
  int num_node_bits = 0;
  for (int i : order) {
    const tensorflow::NodeDef& nd = g.node(i);
    std::vector<int32_t> in_types = rep.types[i].inputs, out_types = rep.types[i].outputs;
    offset[i] = body->num_slots_;
    body->num_slots_ += static_cast<int>(out_types.size());
    const bool is_arg = nd.name().rfind("fn_arg_", 0) == 0 && nd.op() == "Placeholder";
    if (is_arg) {
      body->arg_slots_.push_back(offset[i]);
      continue;
    }
    Node node;
    node.def = &nd;
    node.out_offset = offset[i];
    node.num_outputs = static_cast<int>(out_types.size());
    node.output_types = out_types;
    for (const auto& [src, o] : edges[i]) node.input_slots.push_back(offset[src] + o);
    if (reached[i]) {
      deadness::DeadInputs& d = node.dead.emplace();
      d.merge = nd.op() == "Merge";
      d.data = node.input_slots;
      // Node bits are numbered from 0 here and moved past the slots once those are counted.
      for (int src : controls[i]) {
        if (reached[src]) d.control.push_back(node_bit[src]);
      }
      d.first_output = node.out_offset;
      d.num_outputs = node.num_outputs;
      d.node_bit = node_bit[i] = num_node_bits++;
    }
    const KernelFactory* factory = KernelRegistry::Global().Find(nd.op());
    if (factory == nullptr) {
      return UnimplementedError(where + ": no CPU kernel for op " + nd.op() + " (node " +
                                nd.name() + ")");
    }
    node.construction =
        std::make_unique<OpKernelConstruction>(nd, std::move(in_types), std::move(out_types),
                                               caller.env(), caller.eigen_device(), &g.library());
    auto k = (*factory)(*node.construction);
    Status ks = k.ok() ? node.construction->status() : k.status();
    if (!ks.ok()) return ks.WithContext(where + ", node " + nd.name() + " (" + nd.op() + ")");
    node.kernel = std::move(k).value();
    if (nd.name() == kCallNode) {
      for (int o = 0; o < node.num_outputs; ++o) {
        body->ret_slots_.push_back(node.out_offset + o);
        body->ret_types_.push_back(BaseType(node.output_types[o]));
        auto src = o < nd.input_size() ? ParseInputString(nd.input(o)) : InputRef{nd.name(), 0};
        body->ret_sources_.emplace_back(src.ok() ? src->node : nd.name());
      }
    }
    body->nodes_.push_back(std::move(node));
  }
  if (num_node_bits > 0) {
    for (Node& node : body->nodes_) {
      if (!node.dead) continue;
      node.dead->node_bit += body->num_slots_;
      for (int& b : node.dead->control) b += body->num_slots_;
    }
    body->num_dead_bits_ = body->num_slots_ + num_node_bits;
  }
  // Argument slots in argument order (Kahn's order need not follow it).
  body->arg_slots_.clear();
  for (int i = 0; i < static_cast<int>(body->arg_types_.size()); ++i) {
    body->arg_slots_.push_back(offset[index.at(ArgNode(i))]);
  }
  return body;
}

StatusOr<std::vector<TensorValue>> FunctionBody::Run(OpKernelContext* ctx,
                                                     const std::vector<TensorValue>& args) {
  if (args.size() != arg_slots_.size()) {
    return InvalidArgumentError("function " + name_ + " takes " +
                                std::to_string(arg_slots_.size()) + " arguments, got " +
                                std::to_string(args.size()));
  }
  std::vector<TensorValue> values(num_slots_);
  for (size_t i = 0; i < args.size(); ++i) values[arg_slots_[i]] = args[i];
  std::vector<char> dead(num_dead_bits_, 0);
  std::vector<const TensorValue*> inputs;
  for (Node& node : nodes_) {
    TensorValue* outputs = values.data() + node.out_offset;
    if (node.dead && deadness::SkipIfDead(*node.dead, dead, outputs)) continue;
    inputs.clear();
    for (int s : node.input_slots) inputs.push_back(&values[s]);
    OpKernelContext sub(node.construction.get(), inputs.data(), static_cast<int>(inputs.size()),
                        outputs, node.num_outputs, ctx->variables(), ctx->step_id());
    sub.set_limits(ctx->limits());
    Status s = sub.CheckLimits();
    if (s.ok()) s = node.kernel->Compute(&sub);
    if (!s.ok()) {
      return s.WithContext("function " + name_ + ", node " + node.def->name() + " (" +
                           node.def->op() + ")");
    }
    Status fs = deadness::FinishOutputs(*node.def, node.output_types, outputs,
                                        node.dead ? &*node.dead : nullptr, &dead);
    if (!fs.ok()) return fs.WithContext("function " + name_);
  }
  std::vector<TensorValue> rets;
  rets.reserve(ret_slots_.size());
  for (size_t i = 0; i < ret_slots_.size(); ++i) {
    const int s = ret_slots_[i];
    if (!dead.empty() && dead[s]) {
      return deadness::DeadValueError("result " + std::to_string(i) + " of function " + name_,
                                      ret_sources_[i]);
    }
    rets.push_back(std::move(values[s]));
  }
  return rets;
}

}  // namespace ckpt
