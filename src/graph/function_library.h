// Functions of a GraphDef (TF2 graphs: tf.function, SavedModel signatures) and their
// inlining.
//
// A TF2 graph keeps its computation in `graph_def.library` (a FunctionDefLibrary) and calls it
// with `PartitionedCall` / `StatefulPartitionedCall` nodes (attr `f`) or with nodes whose op
// is itself a function name. The session runs plain graphs only, so before a graph is built
// every call is replaced by the called function's body, as TF's function inlining does
// (core/common_runtime/inline_function_utils.cc):
//  - body nodes are renamed `CALL/NODE`; attrs that are placeholders of the function's attrs
//    (polymorphic functions) take the values bound at the call (the call node's attrs, or
//    the attrs of the `f` func attr);
//  - a body input naming an argument reads the call's input directly (no Identity, so
//    resource handles and constants flow through unchanged); `node:out_arg:index` becomes
//    `CALL/node:k`, k the flat output index;
//  - the call node itself becomes an `IdentityN` of the returned tensors (a `NoOp` when the
//    function returns nothing) with control inputs on every `control_ret` node, so fetching
//    `CALL:i` or running `CALL` as a target still works and runs the function's side
//    effects; graph consumers of `CALL:i` are rewired to the returned tensor itself, so
//    constant folding and buffer reuse see through call boundaries;
//  - control inputs of the call become a `CALL/input_control_node` NoOp every body node
//    waits on;
//  - nested calls are inlined the same way.
//
// Errors (InvalidArgument / NotFound, at graph load): a call of a function the library lacks
// (or an If/Case/While attr naming one), a While body that changes a loop variable's dtype,
// a function that calls itself (directly or through others), a call whose Tin/Tout or number
// of inputs disagree with the function's signature, an unbound attr placeholder, an input
// naming an unknown body node or output arg. Each names the function and the node.
#pragma once

#include <string>
#include <string_view>

#include "ckpt/core/status.h"
#include "tensorflow/core/framework/function.pb.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace ckpt {

// Replaces every function call of `graph` by the called body (see above). The library is
// kept. A graph without calls is left unchanged.
Status InlineFunctionCalls(tensorflow::GraphDef* graph);

// How a FunctionDef body names output `index` (flat, over all output args) of its node `node`:
// "node:out_arg:i", the form inlining reads back. The op's output args come from the registry,
// or from `library` when the op is a function. NotFound for an unregistered op,
// InvalidArgument for an index past the node's outputs.
StatusOr<std::string> FunctionDefOutputName(const tensorflow::NodeDef& node, int index,
                                            const tensorflow::FunctionDefLibrary& library);

}  // namespace ckpt
