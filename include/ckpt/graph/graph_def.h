// GraphDef-level access to a Graph and to the op and kernel registries, for code that reads
// and writes TensorFlow protos itself (the metagraph layer's MetaGraphDef import/export, test
// tools that compare NodeDefs). Builders and sessions never need it: they use graph.h.
//
// Ownership: GetGraphDef returns a reference into the Graph, valid until the graph is
// modified, moved from or destroyed. FindOpDef returns a pointer into the process-wide op
// registry, valid for the life of the process. InputRef::node views the string it was parsed
// from.
// Thread safety: the registries are built once, thread-safely, and are immutable afterwards,
// so FindOpDef and HasKernel may be called from any thread. GetGraphDef follows Graph's rule
// (concurrent reads only while no thread mutates the graph). ParseInputString is pure.
// Errors: lookups return nullptr/false for an unknown op; ParseInputString returns
// InvalidArgument naming the malformed string.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/status.h"
#include "ckpt/graph/graph.h"

// Declared only: callers include the generated protos they use, so an installed ckpt's headers
// need no generated code.
namespace tensorflow {
class GraphDef;
class NodeDef;
class OpDef;
}  // namespace tensorflow

namespace ckpt {

// The GraphDef held by `graph`: nodes in insertion order, attrs with their OpDef defaults.
const tensorflow::GraphDef& GetGraphDef(const Graph& graph);

// Graph::FromGraphDef of a parsed GraphDef, which it consumes (no serialize-and-parse round
// trip for a caller that already holds the proto). Same checks, rewrites and errors.
StatusOr<Graph> GraphFromGraphDef(tensorflow::GraphDef&& def);

// The registered OpDef of `op` (with allowed values and defaults); nullptr when unknown.
const tensorflow::OpDef* FindOpDef(std::string_view op);

// Whether `op` has a CPU kernel, so a node of it can run in a Session.
bool HasKernel(std::string_view op);

// The library functions `node` runs: the op itself when `is_function(op)` (the library defines
// it), and every function-valued attr (a call's `f`, If/Case branches, While cond and body),
// each once, by attr name. Names the library lacks are included (the caller reports them).
std::vector<std::string> FunctionsCalledBy(
    const tensorflow::NodeDef& node, const std::function<bool(const std::string&)>& is_function);

// One NodeDef input string, parsed: "x" -> {x, 0}, "x:2" -> {x, 2}, "^x" -> {x, -1}.
struct InputRef {
  std::string_view node;
  int index = 0;  // -1 for a control input
};
// InvalidArgument for "", "^", "x:", "x:y", a negative index or an empty node name.
StatusOr<InputRef> ParseInputString(std::string_view input);

}  // namespace ckpt
