// Loading a TensorFlow model for inference in C++: a TF1 SavedModel directory, or a
// checkpoint with its .meta (the seed's "deploy to C++" path).
//
// LoadSavedModel(dir, {tags}) mirrors tensorflow::LoadSavedModel / tf.compat.v1.saved_model
// .load: reads `dir/saved_model.pb`, picks the MetaGraphDef whose tags equal the requested
// set, imports its graph, restores `dir/variables/variables` through the graph's saver_def
// (restore op with the filename fed), feeds asset file paths, and runs the init op
// (collection "saved_model_main_op", else "legacy_init_op", else the signature
// "__saved_model_init_op" when its ops can run).
//
// LoadModel(path) accepts every form the CLI does:
//   - a SavedModel directory (has saved_model.pb);
//   - a checkpoint directory (its `checkpoint` state file names the latest prefix; that
//     prefix's .meta is imported and the checkpoint restored);
//   - a checkpoint prefix with PREFIX.meta beside it;
//   - a .meta file (the prefix is the path without ".meta"; when no checkpoint exists there,
//     the model is imported with variables uninitialized).
//
// Example:
//   auto m = ckpt::LoadModel(ckpt::Env::Default(), "ckpt_dir");          // latest step
//   auto y = m->session->Run({{"input:0", x}}, {m->graph->GetCollection("predict_op")[0]});
//   auto hp2 = ckpt::LoadSavedModel(ckpt::Env::Default(), "half_plus_two/00000123");
//   auto out = hp2->RunSignature("serving_default", {{"x", x}});   // {"y": 0.5 * x + 2}
//
// Thread safety: a LoadedModel's session may be run from several threads (Session
// serializes steps); the rest is immutable after loading.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/session.h"
#include "ckpt/metagraph/meta_graph.h"
#include "ckpt/metagraph/saver.h"
#include "ckpt/metagraph/tensor_text.h"

namespace ckpt {

struct LoadOptions {
  // SavedModel tags of the meta graph to load. Default: {"serve"}.
  std::vector<std::string> tags = {"serve"};
  // Session settings. Default: {}.
  SessionOptions session;
  // Restore variables from the checkpoint (checkpoint forms) / variables/ (SavedModel).
  // Default: true.
  bool restore = true;
  // Run the SavedModel init op (main_op / legacy_init_op). Default: true.
  bool run_init_op = true;
  // What the graph's file ops (RestoreV2, SaveV2, ReadFile, ...) may touch, in place of
  // session.file_access. Default: read only inside the model's own directory (the SavedModel
  // directory; for the checkpoint forms, the directories of the checkpoint and of its .meta),
  // write nowhere, so a model from elsewhere can neither read nor change the user's other
  // files (PermissionDenied naming the node and path). Directories listed here are allowed
  // in addition to the model's own; `unrestricted = true` lifts the policy for a model that is
  // trusted (e.g. one that saves checkpoints through its own graph).
  FileAccessPolicy file_access = FileAccessPolicy::ReadOnly({});
};

class LoadedModel {
 public:
  // What was loaded: "saved_model" or "checkpoint" or "meta".
  std::string kind;
  // The checkpoint prefix restored ("" when none).
  std::string checkpoint_prefix;
  std::unique_ptr<Graph> graph;  // heap: the session points to it
  std::unique_ptr<Saver> saver;  // null when the graph has no saver_def
  std::unique_ptr<Session> session;
  std::map<std::string, Signature> signatures;
  std::vector<std::string> tags;

  // Runs signature `key` (SignatureDef inputs fed by key, every output fetched) and returns
  // the outputs by key, within `run_options`' limits. NotFound for an unknown key or input
  // key; InvalidArgument when an input of the signature is not fed.
  StatusOr<std::map<std::string, Tensor>> RunSignature(const std::string& key,
                                                       const std::map<std::string, Tensor>& inputs,
                                                       const RunOptions& run_options = {});

  // Resolves a fetch/feed name: a tensor name ("x:0"), a node name ("Round" -> "Round:0"
  // for a node with outputs), or a collection name whose first value is used
  // ("predict_op" -> "Round:0"). NotFound when none matches.
  StatusOr<std::string> ResolveTensorName(const std::string& name) const;

  // Parses `json` (ParseTensorJson) as a feed for tensor `tensor_name`, using the
  // placeholder's dtype and shape attrs (or the output's dtype for other nodes).
  StatusOr<Tensor> ParseFeed(const std::string& tensor_name, std::string_view json) const;
};

// Loads a SavedModel directory. NotFound when `dir/saved_model.pb` is absent or no meta graph
// has exactly `options.tags`; Unimplemented listing unsupported ops; restore errors name the
// variables path.
StatusOr<std::unique_ptr<LoadedModel>> LoadSavedModel(Env* env, const std::string& dir,
                                                      const LoadOptions& options = {});

// Loads any of the forms listed above. NotFound naming `path` when it is none of them.
StatusOr<std::unique_ptr<LoadedModel>> LoadModel(Env* env, const std::string& path,
                                                 const LoadOptions& options = {});

}  // namespace ckpt
