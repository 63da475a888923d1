// The object graph of a TF2 object-based checkpoint (tf.train.Checkpoint, Keras model and
// optimizer checkpoints): the `_CHECKPOINTABLE_OBJECT_GRAPH` tensor, a serialized
// TrackableObjectGraph that names every saved value by where it sits in the tree of Python
// objects that saved it.
//
// A value's object path joins the local names from the root object: the key
//   "model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"
// is the variable at path "model/layer_with_weights-0/kernel". An optimizer's slot variables
// sit under the variable they belong to: "<variable path>/.OPTIMIZER_SLOT/<optimizer path>/
// <slot name>" (as TF names their keys). A value other than a variable's (a table's keys, a
// dataset iterator's state) has the path "<object path>/.ATTRIBUTES/<attribute name>".
//
// Errors: NotFound when the checkpoint has no object graph (a TF1 name-based checkpoint);
// DataLoss naming the checkpoint when the proto does not parse or refers to nodes it lacks.
// Thread safety: free functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"

namespace ckpt {

inline constexpr std::string_view kObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";

struct CheckpointObject {
  std::string path;       // "model/layer_with_weights-0/kernel"
  std::string key;        // the checkpoint key holding the value
  std::string attribute;  // "VARIABLE_VALUE" for variables
};

// Every saved value of the object graph `graph` (the checkpoint's kObjectGraphKey tensor: a
// string scalar) under every object path that reaches it (a variable tracked by its layer and
// by its optimizer has two), sorted by path. `prefix` names the checkpoint in errors; a graph
// with more than 2^18 paths (or 64 MiB of them) is refused (DataLoss).
StatusOr<std::vector<CheckpointObject>> ParseObjectGraph(const Tensor& graph,
                                                         const std::string& prefix);

// Reads and parses the object graph of checkpoint `prefix` (V2 bundle or V1 file).
StatusOr<std::vector<CheckpointObject>> ReadObjectGraph(Env* env, const std::string& prefix);

}  // namespace ckpt
