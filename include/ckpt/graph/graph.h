// Graph: a TensorFlow computation graph, stored as exactly the GraphDef TensorFlow would hold.
//
// "One representation": every node is a tensorflow.NodeDef (op name, attrs with their OpDef
// defaults filled in, inputs written "node", "node:1", "^ctrl") kept in insertion order, so
// serializing is writing the GraphDef down and a GraphDef produced by TensorFlow is run by the
// same executor. The builder functions of ckpt/graph/ops.h emit the NodeDefs TF 1.x-style
// Python emits for the same calls (names, attrs, inputs).
//
// Naming follows tf.Graph: UniqueName() applies the current name scope and appends "_1",
// "_2", ... to names already used (compared case-insensitively, as TF does). A name ending in
// '/' is an already-unique scope name and is used verbatim without the slash.
//
// Building never throws and never returns a Status per node: the first error (unknown op,
// wrong input count or dtype, duplicate name) is kept as the graph's sticky status(); later
// additions are no-ops that return invalid handles. Check status() (Session::Create does) once
// after building.
//
// Collections hold strings, as in a MetaGraphDef: node names ("init") or tensor names
// ("loss:0"). The variable collections (kGlobalVariables, kTrainableVariables, ...) hold
// variable tensor names ("W:0"); the VariableDef fields for each are kept by
// RegisterVariable()/FindVariable().
//
// Thread safety: a Graph is a value owned by one thread; const methods may be called
// concurrently when no thread mutates it. Session keeps a pointer to its Graph: the graph must
// outlive the session and must not be mutated while Session::Run executes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ckpt/core/dtype.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/core/tensor_shape.h"

namespace ckpt {

// tf.GraphKeys collection names.
inline constexpr std::string_view kGlobalVariables = "variables";
inline constexpr std::string_view kTrainableVariables = "trainable_variables";
inline constexpr std::string_view kLocalVariables = "local_variables";
inline constexpr std::string_view kModelVariables = "model_variables";
inline constexpr std::string_view kTrainOp = "train_op";
inline constexpr std::string_view kSummaries = "summaries";
inline constexpr std::string_view kLosses = "losses";
inline constexpr std::string_view kUpdateOps = "update_ops";
inline constexpr std::string_view kGlobalStep = "global_step";
inline constexpr std::string_view kSaversCollection = "savers";

// TF's DEFAULT_GRAPH_SEED: the graph seed used when only an op seed is given.
inline constexpr int64_t kDefaultGraphSeed = 87654321;

// One output of a node: the tensor named "node:index".
struct Output {
  std::string node;  // node name; empty = invalid handle
  int index = 0;

  Output() = default;
  Output(std::string node_name, int output_index = 0)  // NOLINT(implicit)
      : node(std::move(node_name)), index(output_index) {}

  bool valid() const { return !node.empty(); }
  // Tensor name "node:index" (always with the index).
  std::string name() const;
  // As a NodeDef input string: "node" for index 0, "node:index" otherwise.
  std::string InputString() const;
  // Parses "node:index" or "node" (index 0). InvalidArgument for "", "^node", "node:x",
  // a negative index.
  static StatusOr<Output> Parse(std::string_view tensor_name);

  friend bool operator==(const Output& a, const Output& b) {
    return a.node == b.node && a.index == b.index;
  }
};

// A node of the graph, by name (a handle; stays valid as the graph grows).
struct Operation {
  std::string name;  // empty = invalid handle

  Operation() = default;
  Operation(std::string node_name) : name(std::move(node_name)) {}  // NOLINT(implicit)
  bool valid() const { return !name.empty(); }
  Output output(int index = 0) const { return Output(name, index); }
  friend bool operator==(const Operation& a, const Operation& b) { return a.name == b.name; }
};

// An attribute value of a NodeDef (tensorflow.AttrValue without the protobuf types).
// kFunc/kPlaceholder attrs of imported graphs are kept verbatim in the GraphDef but read back
// as std::monostate.
struct AttrValue {
  using Value = std::variant<std::monostate, std::string, int64_t, float, bool, DataType,
                             PartialShape, Tensor, std::vector<std::string>, std::vector<int64_t>,
                             std::vector<float>, std::vector<bool>, std::vector<DataType>,
                             std::vector<PartialShape>, std::vector<Tensor>>;
  Value value;

  AttrValue() = default;
  AttrValue(const char* s) : value(std::string(s)) {}              // NOLINT(implicit)
  AttrValue(std::string s) : value(std::move(s)) {}                // NOLINT(implicit)
  AttrValue(std::string_view s) : value(std::string(s)) {}         // NOLINT(implicit)
  AttrValue(int v) : value(int64_t{v}) {}                          // NOLINT(implicit)
  AttrValue(int64_t v) : value(v) {}                               // NOLINT(implicit)
  AttrValue(float v) : value(v) {}                                 // NOLINT(implicit)
  AttrValue(bool v) : value(v) {}                                  // NOLINT(implicit)
  AttrValue(DataType v) : value(v) {}                              // NOLINT(implicit)
  AttrValue(PartialShape v) : value(std::move(v)) {}               // NOLINT(implicit)
  AttrValue(TensorShape v) : value(PartialShape(v)) {}             // NOLINT(implicit)
  AttrValue(Tensor v) : value(std::move(v)) {}                     // NOLINT(implicit)
  AttrValue(std::vector<std::string> v) : value(std::move(v)) {}   // NOLINT(implicit)
  AttrValue(std::vector<int64_t> v) : value(std::move(v)) {}       // NOLINT(implicit)
  AttrValue(std::vector<float> v) : value(std::move(v)) {}         // NOLINT(implicit)
  AttrValue(std::vector<bool> v) : value(std::move(v)) {}          // NOLINT(implicit)
  AttrValue(std::vector<DataType> v) : value(std::move(v)) {}      // NOLINT(implicit)
  AttrValue(std::vector<PartialShape> v) : value(std::move(v)) {}  // NOLINT(implicit)
  AttrValue(std::vector<Tensor> v) : value(std::move(v)) {}        // NOLINT(implicit)

  template <typename T>
  bool is() const {
    return std::holds_alternative<T>(value);
  }
  // REQUIRES: is<T>().
  template <typename T>
  const T& get() const {
    return std::get<T>(value);
  }
};

using AttrMap = std::map<std::string, AttrValue, std::less<>>;

// The VariableDef fields of a variable (tf.Variable in TF1 graph mode).
struct VariableInfo {
  std::string variable_name;       // "W:0": the VariableV2 / VarHandleOp output
  std::string initializer_name;    // "W/Assign": the op that initializes it
  std::string snapshot_name;       // "W/read:0" (ref) or "W/Read/ReadVariableOp:0" (resource)
  std::string initial_value_name;  // "truncated_normal:0"; may be empty
  bool trainable = true;
  bool is_resource = false;
};

// A read-only description of one node.
struct NodeInfo {
  std::string name;
  std::string op;
  std::string device;
  std::vector<std::string> inputs;  // NodeDef input strings: "x", "x:1", "^ctrl"
};

class Graph {
 public:
  Graph();
  ~Graph();
  Graph(Graph&&) noexcept;
  Graph& operator=(Graph&&) noexcept;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  // A deep copy (nodes, collections, variables, naming state, status).
  Graph Clone() const;

  // ---- GraphDef -----------------------------------------------------------------------------
  // Parses a serialized tensorflow.GraphDef. Each node's op must be registered (see
  // RegisteredOps()); missing attrs get their OpDef defaults, as TF's importer adds them.
  // Node names are marked used so later UniqueName() calls do not collide.
  // Errors: DataLoss (not a GraphDef), InvalidArgument (duplicate node name, input naming an
  // absent node or output, wrong input count or dtype, missing attr without a default),
  // NotFound (op not registered).
  static StatusOr<Graph> FromGraphDef(std::string_view serialized);
  // The GraphDef with every node in insertion order and versions {producer: kGraphDefProducer}.
  // Deterministic bytes (sorted map fields).
  std::string SerializeGraphDef() const;
  // Text format of the GraphDef, for debugging and test failure messages.
  std::string DebugString() const;

  // ---- sticky status -------------------------------------------------------------------------
  // OK, or the first error met while building.
  const Status& status() const;
  // Records `s` if it is the first error (what builder functions do).
  void RecordError(const Status& s);

  // ---- naming (tf.Graph.unique_name / tf.name_scope) -----------------------------------------
  // `name` under the current name scope, made unique as TF does ("Add", "Add_1", ...).
  // With mark_as_used=false the name is only computed.
  std::string UniqueName(std::string_view name, bool mark_as_used = true);
  // Current scope without trailing slash ("" at the root, "a/b" inside a and b).
  const std::string& name_scope() const;

  // RAII tf.name_scope(name): enters UniqueName(name) (so a second "a" scope is "a_1"); a name
  // ending in '/' re-enters that exact scope; "" returns to the root. Scopes must be destroyed
  // in reverse order of creation. The graph must outlive the scope.
  class NameScope {
   public:
    NameScope(Graph& graph, std::string_view name);
    ~NameScope();
    NameScope(const NameScope&) = delete;
    NameScope& operator=(const NameScope&) = delete;
    // The full scope name with trailing slash ("a/b/"), or "" at the root; passing it as a
    // node name creates the node named like the scope ("random_normal").
    const std::string& scope_name() const { return scope_; }

   private:
    Graph& graph_;
    std::string saved_;
    std::string scope_;
  };

  // RAII tf.control_dependencies(ops): every node added while it lives gets "^op" control
  // inputs for `ops` (deduplicated, in order). Nests by union; an empty list with
  // clear=true (tf.control_dependencies(None)) removes the outer ones.
  class ControlDependencies {
   public:
    ControlDependencies(Graph& graph, std::vector<Operation> ops, bool clear = false);
    ~ControlDependencies();
    ControlDependencies(const ControlDependencies&) = delete;
    ControlDependencies& operator=(const ControlDependencies&) = delete;

   private:
    Graph& graph_;
    std::vector<std::string> saved_;
  };

  // Graph-level seed (tf.compat.v1.set_random_seed). Default: none.
  void set_seed(std::optional<int64_t> seed) { seed_ = seed; }
  std::optional<int64_t> seed() const { return seed_; }
  // tf.compat.v1.get_seed(op_seed): the (seed, seed2) attrs of a random op, TF's rules:
  // (0,0) with neither seed; (kDefaultGraphSeed, op_seed) with only an op seed;
  // (graph_seed, 0) with only a graph seed (what TF 2.21 graphs emit); (0, INT32_MAX) when
  // both are 0. Seeds are taken modulo 2^31.
  std::pair<int64_t, int64_t> GetSeed(std::optional<int64_t> op_seed) const;

  // ---- adding nodes --------------------------------------------------------------------------
  // Adds a node of op `op` named `name` (a final name: call UniqueName() first, or pass a
  // scope name ending in '/'), with the data `inputs` in OpDef order (list arguments
  // flattened), the active control dependencies plus `control_inputs`, and `attrs`. Attrs not
  // given are inferred as TF's op helper does: type attrs (T, Tidx, SrcT, ...) and list
  // lengths (N) from the inputs' dtypes, then OpDef defaults. Inputs are checked against the
  // OpDef (count, dtype, ref-ness of ref arguments).
  // Returns the new node, or an invalid Operation after recording an error (NotFound for an
  // unknown op or input node, InvalidArgument for a bad count, dtype, attr or duplicate name,
  // or the earlier sticky error).
  Operation AddNode(std::string_view op, std::string_view name, std::span<const Output> inputs,
                    AttrMap attrs = {}, std::span<const Operation> control_inputs = {});
  // Adds a control input "^dep" to an existing node (used by tf.group-like builders and the
  // importer). InvalidArgument/NotFound recorded as above.
  void AddControlInput(const Operation& node, const Operation& dep);
  // Sets a node's device string ("" by default, as TF graphs built without tf.device).
  void SetDevice(const Operation& node, std::string_view device);
  // Sets (adds or replaces) attr `attr` of an existing node, then re-infers that node's static
  // output shapes (OutputShape); nodes already consuming its outputs keep the shapes inferred
  // when they were added, so set attrs that change shapes before adding consumers. Records
  // NotFound when the node is absent, InvalidArgument when the value cannot be encoded.
  void SetAttr(const Operation& node, std::string_view attr, const AttrValue& value);

  // ---- lookups ------------------------------------------------------------------------------
  int num_nodes() const;
  // Node names in insertion (GraphDef) order.
  std::vector<std::string> node_names() const;
  bool HasNode(std::string_view name) const;
  // tf.Graph.get_operation_by_name. NotFound when absent; InvalidArgument for a tensor name
  // ("x:0").
  StatusOr<Operation> GetOperationByName(std::string_view name) const;
  // tf.Graph.get_tensor_by_name("x:0"). InvalidArgument when `name` has no ":index" (it names
  // an operation), NotFound when the node is absent or has no such output.
  StatusOr<Output> GetTensorByName(std::string_view name) const;
  // NotFound when absent.
  StatusOr<NodeInfo> GetNode(std::string_view name) const;
  StatusOr<std::string> OpType(std::string_view node) const;
  // The node's attr (after defaults were filled in). NotFound when the node or attr is absent.
  StatusOr<AttrValue> GetAttr(std::string_view node, std::string_view attr) const;
  // Number and dtypes of a node's outputs (ref outputs have their base dtype; see IsRef).
  StatusOr<int> NumOutputs(std::string_view node) const;
  // The output's dtype; DataType::kInvalid (and no error recorded) when it does not exist.
  DataType OutputType(const Output& output) const;
  // The output's static shape, inferred when the node was added by its op's shape function
  // (src/graph/shape_fn.h; TF's shape functions for placeholders, constants, variables,
  // element-wise ops with broadcasting, MatMul, reductions and reshapes with constant
  // arguments, ...); unknown rank when not inferable. Builders and gradient builders read it as
  // TF's Python reads static shapes.
  PartialShape OutputShape(const Output& output) const;
  // True when the output is a ref (VariableV2 "ref" output).
  bool IsRefOutput(const Output& output) const;
  // Nodes whose data or control inputs name `node` (insertion order).
  std::vector<std::string> Consumers(std::string_view node) const;

  // ---- collections (tf.add_to_collection / tf.get_collection) -------------------------------
  // Appends `value` (a node or tensor name) to collection `key`.
  void AddToCollection(std::string_view key, std::string value);
  // The values of `key` in insertion order; empty when absent.
  const std::vector<std::string>& GetCollection(std::string_view key) const;
  // Collection names, sorted.
  std::vector<std::string> collection_keys() const;
  void ClearCollection(std::string_view key);

  // ---- variables ----------------------------------------------------------------------------
  // Stores the VariableDef fields of a variable (keyed by info.variable_name, replacing an
  // earlier entry). Collections are separate: add the name to kGlobalVariables etc. yourself
  // (ops::Variable does both).
  void RegisterVariable(VariableInfo info);
  // nullptr when `variable_name` ("W:0") was not registered.
  const VariableInfo* FindVariable(std::string_view variable_name) const;
  // Registered variables of a variables collection (kGlobalVariables, kTrainableVariables,
  // ...), in collection order; names without VariableInfo are skipped.
  std::vector<VariableInfo> VariablesInCollection(std::string_view key) const;

  // Changes whenever the graph is modified (nodes, attrs, devices, collections, variables),
  // like tf.Graph.version: a cache of something derived from the graph (an exported meta
  // graph) is valid while this is unchanged.
  uint64_t version() const;

 private:
  friend class NameScope;
  friend class ControlDependencies;
  // The representation (the tensorflow::GraphDef and its side tables) is defined in
  // src/graph/graph_impl.h and reached only through GraphImpl there, by the graph layer's own
  // files (as LevelDB keeps Table::Rep private with a named friend).
  struct Rep;
  friend struct GraphImpl;
  std::unique_ptr<Rep> rep_;
  std::optional<int64_t> seed_;
};

// GraphDef versions.producer written by SerializeGraphDef (TF 2.21's producer version, so TF
// applies no compatibility rewrites when importing).
inline constexpr int kGraphDefProducer = 2474;

// Names of every op with an OpDef in the registry (sorted).
std::vector<std::string> RegisteredOps();
// The serialized tensorflow.OpDef of `op` (as TF's registry holds it, with allowed values and
// defaults). NotFound when not registered.
StatusOr<std::string> GetOpDef(std::string_view op);

}  // namespace ckpt
