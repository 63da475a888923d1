// Private representation of ckpt::Graph: the tensorflow::GraphDef plus the side tables the
// builder needs (name index, node input/output types, naming state, collections, variables).
//
// Only the graph layer's own files reach the representation, through GraphImpl (the named
// friend of Graph). Other layers read the GraphDef through ckpt/graph/graph_def.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ckpt/core/status.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/graph_def.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/framework/node_def.pb.h"

namespace ckpt {

struct Graph::Rep {
  tensorflow::GraphDef def;
  // node name -> index into def.node()
  std::unordered_map<std::string, int> index;
  // Per node (same index): input and output types as TF int32 values (ref types >= 100).
  struct NodeTypes {
    std::vector<int32_t> inputs;
    std::vector<int32_t> outputs;
  };
  std::vector<NodeTypes> types;
  // Per node: statically inferred output shapes (unknown rank when not inferable).
  std::vector<std::vector<PartialShape>> shapes;
  // tf.Graph._names_in_use (lower-cased keys).
  std::unordered_map<std::string, int> names_in_use;
  std::string name_stack;                 // current scope, no trailing slash
  std::vector<std::string> control_deps;  // active tf.control_dependencies node names
  std::map<std::string, std::vector<std::string>, std::less<>> collections;
  std::map<std::string, VariableInfo, std::less<>> variables;
  Status status;         // sticky first error
  int64_t last_id = 0;   // tf.Graph._last_id: nodes created so far
  uint64_t version = 0;  // Graph::version(): bumped by every modification
};

// The one door to a Graph's representation.
struct GraphImpl {
  using Rep = Graph::Rep;
  // Mutable access counts as a modification (Graph::version() changes).
  static Rep& Mutable(Graph& g) {
    ++g.rep_->version;
    return *g.rep_;
  }
  static const Rep& Get(const Graph& g) { return *g.rep_; }
};

// Sets attr `attr` of node `node` to `value` (already encoded) and re-infers the node's output
// shapes (see Graph::SetAttr). NotFound when the node is absent (not recorded).
Status SetAttrProto(Graph& graph, std::string_view node, std::string_view attr,
                    tensorflow::AttrValue value);

// Adds a complete NodeDef (the importer's path): fills attr defaults, validates it against its
// OpDef and the nodes present, computes its types and marks its name used. Inputs may name
// nodes not yet added only when `allow_forward_refs` (then ValidateGraph must be called after
// the last node). Errors as Graph::AddNode, returned and also recorded in the sticky status.
Status AddNodeDef(Graph& graph, tensorflow::NodeDef node, bool allow_forward_refs = false);

// Checks every input of every node names an existing output of the right type.
Status ValidateGraph(const Graph& graph);

}  // namespace ckpt
