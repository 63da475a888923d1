#include "graph/function_runtime.h"

#include <deque>
#include <unordered_map>

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
  std::vector<std::vector<int>> consumers(n);
  std::vector<int> pending(n, 0);
  for (int i = 0; i < n; ++i) {
    for (const auto& in : g.node(i).input()) {
      CKPT_ASSIGN_OR_RETURN(InputRef ref, ParseInputString(in));
      auto it = index.find(std::string(ref.node));
      if (it == index.end()) return InternalError(where + ": unresolved input " + in);
      if (ref.index >= 0) edges[i].emplace_back(it->second, ref.index);
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

  std::vector<int> offset(n, 0);
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
      }
    }
    body->nodes_.push_back(std::move(node));
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
  std::vector<const TensorValue*> inputs;
  for (Node& node : nodes_) {
    inputs.clear();
    for (int s : node.input_slots) inputs.push_back(&values[s]);
    TensorValue* outputs = values.data() + node.out_offset;
    OpKernelContext sub(node.construction.get(), inputs.data(), static_cast<int>(inputs.size()),
                        outputs, node.num_outputs, ctx->variables(), ctx->step_id());
    sub.set_limits(ctx->limits());
    Status s = sub.CheckLimits();
    if (s.ok()) s = node.kernel->Compute(&sub);
    if (!s.ok()) {
      return s.WithContext("function " + name_ + ", node " + node.def->name() + " (" +
                           node.def->op() + ")");
    }
    for (int o = 0; o < node.num_outputs; ++o) {
      const int32_t want = node.output_types[o];
      const bool ok =
          BaseType(want) == DataType::kResource
              ? outputs[o].resource != nullptr
              : outputs[o].tensor.valid() && outputs[o].tensor.dtype() == BaseType(want);
      if (!ok) {
        return InternalError("function " + name_ + ", node " + node.def->name() + " output " +
                             std::to_string(o) + " was not set to a " +
                             std::string(DataTypeName(BaseType(want))) + " value");
      }
    }
  }
  std::vector<TensorValue> rets;
  rets.reserve(ret_slots_.size());
  for (int s : ret_slots_) rets.push_back(std::move(values[s]));
  return rets;
}

}  // namespace ckpt
