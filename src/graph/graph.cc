#include "ckpt/graph/graph.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <set>

#include "ckpt/format/tensor_proto.h"
#include "ckpt/graph/graph_def.h"
#include "graph/attr_value.h"
#include "graph/function_library.h"
#include "graph/graph_impl.h"
#include "graph/op_registry.h"
#include "graph/shape_fn.h"
#include "graph/while_loop_raising.h"

namespace ckpt {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// TF's node name rule: [A-Za-z0-9.][A-Za-z0-9_.\-/>]*
bool IsValidNodeName(std::string_view name) {
  if (name.empty()) return false;
  auto first_ok = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.'; };
  auto rest_ok = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
           c == '/' || c == '>';
  };
  if (!first_ok(name[0])) return false;
  return std::all_of(name.begin() + 1, name.end(), rest_ok);
}

std::string TypeName(int32_t t) {
  std::string s(DataTypeName(BaseType(t)));
  if (IsRefType(t)) s += "_ref";
  return s;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

// ---- Output -------------------------------------------------------------------------------

std::string Output::name() const { return node + ":" + std::to_string(index); }

std::string Output::InputString() const {
  return index == 0 ? node : node + ":" + std::to_string(index);
}

StatusOr<Output> Output::Parse(std::string_view tensor_name) {
  if (tensor_name.empty() || tensor_name[0] == '^') {
    return InvalidArgumentError("invalid tensor name " + Quote(tensor_name));
  }
  size_t colon = tensor_name.rfind(':');
  if (colon == std::string_view::npos) return Output(std::string(tensor_name), 0);
  std::string_view idx = tensor_name.substr(colon + 1);
  int index = 0;
  auto [p, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), index);
  if (idx.empty() || ec != std::errc() || p != idx.data() + idx.size() || index < 0 || colon == 0) {
    return InvalidArgumentError("invalid tensor name " + Quote(tensor_name) +
                                ": expected 'node:index'");
  }
  return Output(std::string(tensor_name.substr(0, colon)), index);
}

StatusOr<InputRef> ParseInputString(std::string_view input) {
  if (input.empty()) return InvalidArgumentError("empty input string");
  if (input[0] == '^') {
    if (input.size() == 1) return InvalidArgumentError("invalid control input '^'");
    return InputRef{input.substr(1), -1};
  }
  size_t colon = input.rfind(':');
  if (colon == std::string_view::npos) return InputRef{input, 0};
  std::string_view idx = input.substr(colon + 1);
  int index = 0;
  auto [p, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), index);
  if (idx.empty() || ec != std::errc() || p != idx.data() + idx.size() || index < 0 || colon == 0) {
    return InvalidArgumentError("invalid input string " + Quote(input));
  }
  return InputRef{input.substr(0, colon), index};
}

// ---- Graph basics -------------------------------------------------------------------------

Graph::Graph() : rep_(std::make_unique<Rep>()) {
  rep_->def.mutable_versions()->set_producer(kGraphDefProducer);
}
Graph::~Graph() = default;
Graph::Graph(Graph&&) noexcept = default;
Graph& Graph::operator=(Graph&&) noexcept = default;

Graph Graph::Clone() const {
  Graph g;
  *g.rep_ = *rep_;
  g.seed_ = seed_;
  return g;
}

const tensorflow::GraphDef& GetGraphDef(const Graph& graph) { return GraphImpl::Get(graph).def; }

Status SetAttrProto(Graph& g, std::string_view node, std::string_view attr,
                    tensorflow::AttrValue value) {
  GraphImpl::Rep& rep = GraphImpl::Mutable(g);
  auto it = rep.index.find(std::string(node));
  if (it == rep.index.end()) return NotFoundError("no node " + Quote(node));
  tensorflow::NodeDef* def = rep.def.mutable_node(it->second);
  (*def->mutable_attr())[std::string(attr)] = std::move(value);
  rep.shapes[it->second] =
      InferOutputShapes(rep, *def, static_cast<int>(rep.types[it->second].outputs.size()));
  return Status::OK();
}

void Graph::SetAttr(const Operation& node, std::string_view attr, const AttrValue& value) {
  if (!rep_->status.ok()) return;
  tensorflow::AttrValue proto;
  Status s = AttrValueToProto(value, &proto);
  if (s.ok()) s = SetAttrProto(*this, node.name, attr, std::move(proto));
  if (!s.ok())
    RecordError(s.WithContext("setting attr " + Quote(attr) + " of " + Quote(node.name)));
}

uint64_t Graph::version() const { return rep_->version; }

std::string Graph::SerializeGraphDef() const {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    rep_->def.SerializeToCodedStream(&coded);
  }
  return out;
}

std::string Graph::DebugString() const {
  std::string out;
  google::protobuf::TextFormat::PrintToString(rep_->def, &out);
  return out;
}

StatusOr<Graph> Graph::FromGraphDef(std::string_view serialized) {
  tensorflow::GraphDef def;
  if (serialized.size() > static_cast<size_t>(INT_MAX) ||
      !def.ParseFromArray(serialized.data(), static_cast<int>(serialized.size()))) {
    return DataLossError("cannot parse GraphDef (" + std::to_string(serialized.size()) + " bytes)");
  }
  return GraphFromGraphDef(std::move(def));
}

StatusOr<Graph> GraphFromGraphDef(tensorflow::GraphDef&& def) {
  // TF1 while loops become While nodes over library functions (graph/while_loop_raising.h),
  // and TF2 graphs call functions of their library: inline the calls (the session runs plain
  // graphs).
  CKPT_RETURN_IF_ERROR(RaiseWhileLoops(&def));
  CKPT_RETURN_IF_ERROR(InlineFunctionCalls(&def));
  Graph g;
  tensorflow::GraphDef& own = GraphImpl::Mutable(g).def;
  if (def.has_versions()) *own.mutable_versions() = def.versions();
  if (def.has_library()) own.mutable_library()->Swap(def.mutable_library());
  for (auto& node : *def.mutable_node()) {
    CKPT_RETURN_IF_ERROR(AddNodeDef(g, std::move(node), /*allow_forward_refs=*/true));
  }
  CKPT_RETURN_IF_ERROR(ValidateGraph(g));
  return g;
}

const Status& Graph::status() const { return rep_->status; }

void Graph::RecordError(const Status& s) {
  ++rep_->version;
  rep_->status.Update(s);
}

// ---- naming --------------------------------------------------------------------------------

std::string Graph::UniqueName(std::string_view name, bool mark_as_used) {
  std::string full =
      rep_->name_stack.empty() ? std::string(name) : rep_->name_stack + "/" + std::string(name);
  std::string key = Lower(full);
  auto& used = rep_->names_in_use;
  auto it = used.find(key);
  int i = it == used.end() ? 0 : it->second;
  if (mark_as_used) used[key] = i + 1;
  if (i > 0) {
    const std::string base_key = key;
    while (used.count(key)) {
      key = base_key + "_" + std::to_string(i);
      ++i;
    }
    if (mark_as_used) used[key] = 1;
    full += "_" + std::to_string(i - 1);
  }
  return full;
}

const std::string& Graph::name_scope() const { return rep_->name_stack; }

Graph::NameScope::NameScope(Graph& graph, std::string_view name)
    : graph_(graph), saved_(graph.rep_->name_stack) {
  if (name.empty()) {
    graph_.rep_->name_stack.clear();
    scope_.clear();
    return;
  }
  if (name.back() == '/') {
    scope_ = std::string(name);
    graph_.rep_->name_stack = std::string(name.substr(0, name.size() - 1));
    return;
  }
  std::string unique = graph_.UniqueName(name);
  graph_.rep_->name_stack = unique;
  scope_ = unique + "/";
}

Graph::NameScope::~NameScope() { graph_.rep_->name_stack = saved_; }

Graph::ControlDependencies::ControlDependencies(Graph& graph, std::vector<Operation> ops,
                                                bool clear)
    : graph_(graph), saved_(graph.rep_->control_deps) {
  auto& deps = graph_.rep_->control_deps;
  if (clear) deps.clear();
  for (const auto& op : ops) {
    if (!op.valid()) {
      graph_.RecordError(InvalidArgumentError("control dependency on an invalid operation"));
      continue;
    }
    if (std::find(deps.begin(), deps.end(), op.name) == deps.end()) deps.push_back(op.name);
  }
}

Graph::ControlDependencies::~ControlDependencies() { graph_.rep_->control_deps = saved_; }

std::pair<int64_t, int64_t> Graph::GetSeed(std::optional<int64_t> op_seed) const {
  constexpr int64_t kMod = int64_t{1} << 31;
  auto trunc = [](int64_t s) { return ((s % kMod) + kMod) % kMod; };
  std::pair<int64_t, int64_t> seeds{0, 0};
  if (seed_.has_value()) {
    // TF 2.x graphs no longer advance the op id used here, so the op seed is 0.
    int64_t op = op_seed.has_value() ? *op_seed : 0;
    seeds = {trunc(*seed_), trunc(op)};
  } else if (op_seed.has_value()) {
    seeds = {kDefaultGraphSeed, trunc(*op_seed)};
  } else {
    return {0, 0};
  }
  if (seeds.first == 0 && seeds.second == 0) return {0, INT32_MAX};
  return seeds;
}

// ---- adding nodes --------------------------------------------------------------------------

namespace {

// Records `s` in the graph and returns it.
Status Fail(Graph& g, Status s) {
  g.RecordError(s);
  return s;
}

// A Const's value must decode to a tensor of its dtype attr (shape and contents agreeing).
Status CheckConstValue(const tensorflow::NodeDef& node) {
  auto value = node.attr().find("value");
  auto dtype = node.attr().find("dtype");
  if (value == node.attr().end() || !value->second.has_tensor()) {
    return InvalidArgumentError("node " + Quote(node.name()) + " (Const): attr 'value' is not a " +
                                "tensor");
  }
  DataType dt = DataType::kInvalid;
  Status s = CheckTensorProto(value->second.tensor(), &dt);
  if (!s.ok()) return s.WithContext("node " + Quote(node.name()) + " (Const) attr 'value'");
  if (dtype != node.attr().end() && static_cast<int32_t>(dt) != dtype->second.type()) {
    return InvalidArgumentError("node " + Quote(node.name()) + " (Const): value is " +
                                TypeName(static_cast<int32_t>(dt)) + " but attr dtype is " +
                                TypeName(dtype->second.type()));
  }
  return Status::OK();
}

// A cycle is allowed only through a NextIteration node (the back edge of a TF1 while loop's
// frame; FromGraphDef has raised well-formed loops into While nodes before this check, so
// those remain only in graphs whose other cycles are reported here): Kahn's order over every
// other data and control edge must reach every node.
Status CheckAcyclic(const GraphImpl::Rep& rep) {
  const int n = rep.def.node_size();
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> consumers(n);
  for (int i = 0; i < n; ++i) {
    for (const auto& in : rep.def.node(i).input()) {
      auto ref = ParseInputString(in);
      if (!ref.ok()) continue;  // CheckInputs reports it
      auto it = rep.index.find(std::string(ref->node));
      if (it == rep.index.end() || rep.def.node(it->second).op() == "NextIteration") continue;
      ++pending[i];
      consumers[it->second].push_back(i);
    }
  }
  std::vector<int> ready;
  for (int i = 0; i < n; ++i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  int done = 0;
  while (!ready.empty()) {
    const int i = ready.back();
    ready.pop_back();
    ++done;
    for (int c : consumers[i]) {
      if (--pending[c] == 0) ready.push_back(c);
    }
  }
  if (done == n) return Status::OK();
  std::string names;
  int listed = 0;
  for (int i = 0; i < n && listed < 5; ++i) {
    if (pending[i] > 0) names += (listed++ ? ", " : "") + Quote(rep.def.node(i).name());
  }
  return InvalidArgumentError("graph has a cycle: " + std::to_string(n - done) +
                              " nodes wait on each other (" + names +
                              (n - done > listed ? ", ..." : "") +
                              "); a cycle is allowed only through a NextIteration node of a "
                              "while loop");
}

Status CheckInputs(const GraphImpl::Rep& rep, const tensorflow::NodeDef& node,
                   const std::vector<int32_t>& input_types, bool allow_forward_refs) {
  int data_inputs = 0;
  bool seen_control = false;
  for (const auto& in : node.input()) {
    CKPT_ASSIGN_OR_RETURN(InputRef ref, ParseInputString(in));
    if (ref.index < 0) {
      seen_control = true;
    } else if (seen_control) {
      return InvalidArgumentError("node " + Quote(node.name()) + ": data input " + Quote(in) +
                                  " after a control input");
    }
    auto it = rep.index.find(std::string(ref.node));
    if (it == rep.index.end()) {
      if (allow_forward_refs) {
        if (ref.index >= 0) ++data_inputs;
        continue;
      }
      return NotFoundError("node " + Quote(node.name()) + ": input " + Quote(in) +
                           " names an unknown node");
    }
    if (ref.index < 0) continue;
    const auto& outs = rep.types[it->second].outputs;
    if (ref.index >= static_cast<int>(outs.size())) {
      return InvalidArgumentError("node " + Quote(node.name()) + ": input " + Quote(in) +
                                  " names output " + std::to_string(ref.index) + " but " +
                                  std::string(ref.node) + " has " + std::to_string(outs.size()) +
                                  " outputs");
    }
    if (data_inputs < static_cast<int>(input_types.size())) {
      int32_t want = input_types[data_inputs];
      int32_t have = outs[ref.index];
      bool ok = IsRefType(want) ? have == want : BaseType(have) == BaseType(want);
      if (!ok) {
        return InvalidArgumentError("node " + Quote(node.name()) + " (" + node.op() + "): input " +
                                    std::to_string(data_inputs) + " (" + in + ") is " +
                                    TypeName(have) + ", expected " + TypeName(want));
      }
    }
    ++data_inputs;
  }
  if (data_inputs != static_cast<int>(input_types.size())) {
    return InvalidArgumentError("node " + Quote(node.name()) + " (" + node.op() + ") has " +
                                std::to_string(data_inputs) + " data inputs, its op expects " +
                                std::to_string(input_types.size()));
  }
  return Status::OK();
}

}  // namespace

Status AddNodeDef(Graph& g, tensorflow::NodeDef node, bool allow_forward_refs) {
  GraphImpl::Rep& rep = GraphImpl::Mutable(g);
  if (!IsValidNodeName(node.name())) {
    return Fail(g, InvalidArgumentError("invalid node name " + Quote(node.name())));
  }
  if (rep.index.count(node.name())) {
    return Fail(g, InvalidArgumentError("duplicate node name " + Quote(node.name())));
  }
  auto op_def = OpRegistry::Global().Lookup(node.op());
  if (!op_def.ok()) {
    return Fail(g, op_def.status().WithContext("node " + Quote(node.name())));
  }
  Status s = AddDefaultAttrs(**op_def, &node);
  if (s.ok()) s = ValidateAttrs(node, **op_def);
  if (s.ok() && node.op() == "Const") s = CheckConstValue(node);
  GraphImpl::Rep::NodeTypes types;
  if (s.ok()) s = InOutTypesForNode(node, **op_def, &types.inputs, &types.outputs);
  if (s.ok()) s = CheckInputs(rep, node, types.inputs, allow_forward_refs);
  if (!s.ok()) return Fail(g, s);
  const std::string name = node.name();
  rep.shapes.push_back(InferOutputShapes(rep, node, static_cast<int>(types.outputs.size())));
  rep.index.emplace(name, rep.def.node_size());
  rep.types.push_back(std::move(types));
  *rep.def.add_node() = std::move(node);
  std::string key = Lower(name);
  if (!rep.names_in_use.count(key)) rep.names_in_use[key] = 1;
  ++rep.last_id;
  return Status::OK();
}

Status ValidateGraph(const Graph& g) {
  const GraphImpl::Rep& rep = GraphImpl::Get(g);
  for (int i = 0; i < rep.def.node_size(); ++i) {
    CKPT_RETURN_IF_ERROR(CheckInputs(rep, rep.def.node(i), rep.types[i].inputs, false));
  }
  return CheckAcyclic(rep);
}

Operation Graph::AddNode(std::string_view op, std::string_view name, std::span<const Output> inputs,
                         AttrMap attrs, std::span<const Operation> control_inputs) {
  ++rep_->version;
  if (!rep_->status.ok()) return Operation();
  std::string node_name(name);
  if (!node_name.empty() && node_name.back() == '/') node_name.pop_back();
  auto op_def_or = OpRegistry::Global().Lookup(op);
  if (!op_def_or.ok()) {
    RecordError(op_def_or.status().WithContext("node " + Quote(node_name)));
    return Operation();
  }
  const tensorflow::OpDef& op_def = **op_def_or;
  for (const auto& in : inputs) {
    if (!in.valid()) {
      RecordError(InvalidArgumentError("node " + Quote(node_name) + " (" + std::string(op) +
                                       "): an input is an invalid Output"));
      return Operation();
    }
    if (OutputType(in) == DataType::kInvalid) {
      RecordError(NotFoundError("node " + Quote(node_name) + " (" + std::string(op) + "): input " +
                                Quote(in.name()) + " does not exist"));
      return Operation();
    }
  }

  // Infer list lengths and type attrs from the inputs, as TF's op helper does.
  int fixed_args = 0, list_args = 0;
  for (const auto& arg : op_def.input_arg()) {
    if (!arg.number_attr().empty() || !arg.type_list_attr().empty()) {
      ++list_args;
    } else {
      ++fixed_args;
    }
  }
  const int n_inputs = static_cast<int>(inputs.size());
  int pos = 0;
  for (const auto& arg : op_def.input_arg()) {
    int count = 1;
    if (!arg.number_attr().empty() || !arg.type_list_attr().empty()) {
      const std::string& len_attr =
          !arg.number_attr().empty() ? arg.number_attr() : arg.type_list_attr();
      auto it = attrs.find(len_attr);
      if (!arg.number_attr().empty() && it != attrs.end() && it->second.is<int64_t>()) {
        count = static_cast<int>(it->second.get<int64_t>());
      } else if (!arg.type_list_attr().empty() && it != attrs.end() &&
                 it->second.is<std::vector<DataType>>()) {
        count = static_cast<int>(it->second.get<std::vector<DataType>>().size());
      } else if (list_args == 1) {
        count = n_inputs - fixed_args;
      } else {
        RecordError(InvalidArgumentError("node " + Quote(node_name) + " (" + std::string(op) +
                                         "): attr '" + len_attr + "' must be given"));
        return Operation();
      }
      if (count < 0 || pos + count > n_inputs) {
        RecordError(InvalidArgumentError("node " + Quote(node_name) + " (" + std::string(op) +
                                         ") got " + std::to_string(n_inputs) +
                                         " inputs, too few for its arguments"));
        return Operation();
      }
      if (!arg.number_attr().empty()) {
        attrs.try_emplace(arg.number_attr(), AttrValue(int64_t{count}));
        if (!arg.type_attr().empty() && count > 0) {
          attrs.try_emplace(arg.type_attr(), AttrValue(OutputType(inputs[pos])));
        }
      } else {
        std::vector<DataType> types;
        for (int k = 0; k < count; ++k) types.push_back(OutputType(inputs[pos + k]));
        attrs.try_emplace(arg.type_list_attr(), AttrValue(std::move(types)));
      }
    } else if (!arg.type_attr().empty() && pos < n_inputs) {
      attrs.try_emplace(arg.type_attr(), AttrValue(OutputType(inputs[pos])));
    }
    pos += count;
  }

  tensorflow::NodeDef node;
  node.set_name(node_name);
  node.set_op(std::string(op));
  for (const auto& in : inputs) node.add_input(in.InputString());
  std::vector<std::string> controls = rep_->control_deps;
  for (const auto& c : control_inputs) {
    if (!c.valid()) {
      RecordError(InvalidArgumentError("node " + Quote(node_name) +
                                       ": control input is an invalid Operation"));
      return Operation();
    }
    controls.push_back(c.name);
  }
  std::set<std::string> seen;
  for (const auto& c : controls) {
    if (seen.insert(c).second) node.add_input("^" + c);
  }
  for (const auto& [key, value] : attrs) {
    tensorflow::AttrValue proto;
    Status s = AttrValueToProto(value, &proto);
    if (!s.ok()) {
      RecordError(s.WithContext("node " + Quote(node_name) + " attr '" + key + "'"));
      return Operation();
    }
    (*node.mutable_attr())[key] = std::move(proto);
  }
  if (!AddNodeDef(*this, std::move(node)).ok()) return Operation();
  return Operation(node_name);
}

void Graph::AddControlInput(const Operation& node, const Operation& dep) {
  ++rep_->version;
  if (!rep_->status.ok()) return;
  auto it = rep_->index.find(node.name);
  if (it == rep_->index.end() || !rep_->index.count(dep.name)) {
    RecordError(NotFoundError("control input " + Quote(dep.name) + " -> " + Quote(node.name) +
                              ": unknown node"));
    return;
  }
  auto* n = rep_->def.mutable_node(it->second);
  const std::string ctrl = "^" + dep.name;
  for (const auto& in : n->input()) {
    if (in == ctrl) return;
  }
  n->add_input(ctrl);
}

void Graph::SetDevice(const Operation& node, std::string_view device) {
  ++rep_->version;
  auto it = rep_->index.find(node.name);
  if (it == rep_->index.end()) {
    RecordError(NotFoundError("set device: unknown node " + Quote(node.name)));
    return;
  }
  rep_->def.mutable_node(it->second)->set_device(std::string(device));
}

// ---- lookups -------------------------------------------------------------------------------

int Graph::num_nodes() const { return rep_->def.node_size(); }

std::vector<std::string> Graph::node_names() const {
  std::vector<std::string> out;
  out.reserve(rep_->def.node_size());
  for (const auto& n : rep_->def.node()) out.push_back(n.name());
  return out;
}

bool Graph::HasNode(std::string_view name) const {
  return rep_->index.count(std::string(name)) > 0;
}

StatusOr<Operation> Graph::GetOperationByName(std::string_view name) const {
  if (name.find(':') != std::string_view::npos) {
    return InvalidArgumentError("the name " + Quote(name) +
                                " looks like a tensor name, not an operation name");
  }
  if (!HasNode(name)) {
    return NotFoundError("the name " + Quote(name) + " refers to an operation not in the graph");
  }
  return Operation(std::string(name));
}

StatusOr<Output> Graph::GetTensorByName(std::string_view name) const {
  if (name.find(':') == std::string_view::npos) {
    return InvalidArgumentError("the name " + Quote(name) +
                                " refers to an operation, not a tensor; tensor names must be "
                                "of the form \"<op_name>:<output_index>\"");
  }
  CKPT_ASSIGN_OR_RETURN(Output out, Output::Parse(name));
  auto it = rep_->index.find(out.node);
  if (it == rep_->index.end()) {
    return NotFoundError("the name " + Quote(name) +
                         " refers to a tensor which does not "
                         "exist: the operation " +
                         Quote(out.node) + " is not in the graph");
  }
  if (out.index >= static_cast<int>(rep_->types[it->second].outputs.size())) {
    return NotFoundError("the name " + Quote(name) +
                         " refers to a tensor which does not "
                         "exist: the operation " +
                         Quote(out.node) + " has " +
                         std::to_string(rep_->types[it->second].outputs.size()) + " outputs");
  }
  return out;
}

StatusOr<NodeInfo> Graph::GetNode(std::string_view name) const {
  auto it = rep_->index.find(std::string(name));
  if (it == rep_->index.end()) return NotFoundError("no node named " + Quote(name));
  const auto& n = rep_->def.node(it->second);
  NodeInfo info;
  info.name = n.name();
  info.op = n.op();
  info.device = n.device();
  info.inputs.assign(n.input().begin(), n.input().end());
  return info;
}

StatusOr<std::string> Graph::OpType(std::string_view node) const {
  auto it = rep_->index.find(std::string(node));
  if (it == rep_->index.end()) return NotFoundError("no node named " + Quote(node));
  return rep_->def.node(it->second).op();
}

StatusOr<AttrValue> Graph::GetAttr(std::string_view node, std::string_view attr) const {
  auto it = rep_->index.find(std::string(node));
  if (it == rep_->index.end()) return NotFoundError("no node named " + Quote(node));
  const auto& n = rep_->def.node(it->second);
  auto a = n.attr().find(std::string(attr));
  if (a == n.attr().end()) {
    return NotFoundError("node " + Quote(node) + " has no attr " + Quote(attr));
  }
  std::string type;
  if (const auto* op_def = OpRegistry::Global().Find(n.op())) {
    for (const auto& ad : op_def->attr()) {
      if (ad.name() == attr) type = ad.type();
    }
  }
  return AttrValueFromProto(a->second, type);
}

StatusOr<int> Graph::NumOutputs(std::string_view node) const {
  auto it = rep_->index.find(std::string(node));
  if (it == rep_->index.end()) return NotFoundError("no node named " + Quote(node));
  return static_cast<int>(rep_->types[it->second].outputs.size());
}

DataType Graph::OutputType(const Output& output) const {
  auto it = rep_->index.find(output.node);
  if (it == rep_->index.end()) return DataType::kInvalid;
  const auto& outs = rep_->types[it->second].outputs;
  if (output.index < 0 || output.index >= static_cast<int>(outs.size())) {
    return DataType::kInvalid;
  }
  return BaseType(outs[output.index]);
}

bool Graph::IsRefOutput(const Output& output) const {
  auto it = rep_->index.find(output.node);
  if (it == rep_->index.end()) return false;
  const auto& outs = rep_->types[it->second].outputs;
  if (output.index < 0 || output.index >= static_cast<int>(outs.size())) return false;
  return IsRefType(outs[output.index]);
}

std::vector<std::string> Graph::Consumers(std::string_view node) const {
  std::vector<std::string> out;
  for (const auto& n : rep_->def.node()) {
    for (const auto& in : n.input()) {
      auto ref = ParseInputString(in);
      if (ref.ok() && ref->node == node) {
        out.push_back(n.name());
        break;
      }
    }
  }
  return out;
}

// ---- collections / variables ---------------------------------------------------------------

void Graph::AddToCollection(std::string_view key, std::string value) {
  ++rep_->version;
  auto it = rep_->collections.find(key);
  if (it == rep_->collections.end()) {
    it = rep_->collections.emplace(std::string(key), std::vector<std::string>{}).first;
  }
  it->second.push_back(std::move(value));
}

const std::vector<std::string>& Graph::GetCollection(std::string_view key) const {
  static const std::vector<std::string> kEmpty;
  auto it = rep_->collections.find(key);
  return it == rep_->collections.end() ? kEmpty : it->second;
}

std::vector<std::string> Graph::collection_keys() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : rep_->collections) out.push_back(k);
  return out;
}

void Graph::ClearCollection(std::string_view key) {
  ++rep_->version;
  auto it = rep_->collections.find(key);
  if (it != rep_->collections.end()) rep_->collections.erase(it);
}

void Graph::RegisterVariable(VariableInfo info) {
  ++rep_->version;
  std::string key = info.variable_name;
  rep_->variables[key] = std::move(info);
}

const VariableInfo* Graph::FindVariable(std::string_view variable_name) const {
  auto it = rep_->variables.find(variable_name);
  return it == rep_->variables.end() ? nullptr : &it->second;
}

std::vector<VariableInfo> Graph::VariablesInCollection(std::string_view key) const {
  std::vector<VariableInfo> out;
  for (const auto& name : GetCollection(key)) {
    if (const VariableInfo* v = FindVariable(name)) out.push_back(*v);
  }
  return out;
}

}  // namespace ckpt
