// Saver: tf.compat.v1.train.Saver for ckpt graphs.
//
// Saver::Create(graph) adds to the graph the same "save" subgraph TF 2.21's
// tf.compat.v1.train.Saver() adds (V2, non-sharded):
//   save/filename/input  Const "model"              save/filename  PlaceholderWithDefault
//   save/Const           PlaceholderWithDefault      (the filename tensor, fed at save/restore)
//   save/SaveV2/tensor_names, save/SaveV2/shape_and_slices  Const (keys sorted by name)
//   save/SaveV2          SaveV2(save/Const, names, slices, <variables>)
//   save/control_dependency  Identity(save/Const, ^save/SaveV2)
//   save/RestoreV2/tensor_names, save/RestoreV2/shape_and_slices, save/RestoreV2  RestoreV2
//   ref variables:      save/Assign, save/Assign_1, ...  Assign(var, save/RestoreV2:i)
//   resource variables: save/Identity_k = Identity(save/RestoreV2:i),
//                       save/AssignVariableOp_k = AssignVariableOp(var, save/Identity_k)
//   save/restore_all     NoOp(^every assign)
// and the SaverDef {filename_tensor_name "save/Const:0", save_tensor_name
// "save/control_dependency:0", restore_op_name "save/restore_all", max_to_keep 5,
// keep_checkpoint_every_n_hours 10000, version V2}. A graph saved with it (and its .meta) is
// restored by TF's saver.restore / import_meta_graph, and vice versa.
//
// Saving fetches the tensors the graph's SaveV2 nodes take (the variable values) through the
// session and writes them with the checkpoint layer's CheckpointManager: crash-safe files,
// `PREFIX-STEP.index/.data-00000-of-00001`, `PREFIX-STEP.meta` (the exported MetaGraphDef) and
// the `checkpoint` state file with max_to_keep retention. Restoring runs the graph's own
// restore op (restore_op_name) with the filename tensor fed with the prefix, so it also works
// for imported graphs (TF-built Saver subgraphs, sharded or not; V1 checkpoints through
// RestoreV2's V1 fallback).
//
// Example (the seed's training loop):
//   ckpt::Graph g;  ... build model, train_op, init ...
//   auto saver = ckpt::Saver::Create(g);                 // adds save/*
//   auto sess = ckpt::Session::Create(&g);
//   ... (*sess)->Run({}, {}, {"init"}); train ...
//   auto path = saver->Save(**sess, "ckpt_dir/checkpoint_model", 999);
//   // -> "ckpt_dir/checkpoint_model-999"
//   CKPT_RETURN_IF_ERROR(saver->Restore(**sess, *path));
//
// Thread safety: a Saver may be used from one thread at a time; Save/Restore run the session
// (which serializes Run calls).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/checkpoint/restore.h"
#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/session.h"

namespace ckpt {

class CheckpointManager;

// tensorflow.SaverDef without protobuf types.
struct SaverDef {
  enum class Version { kLegacy = 0, kV1 = 1, kV2 = 2 };
  std::string filename_tensor_name;  // "save/Const:0"
  std::string save_tensor_name;      // "save/control_dependency:0"
  std::string restore_op_name;       // "save/restore_all"
  int32_t max_to_keep = 5;
  bool sharded = false;
  float keep_checkpoint_every_n_hours = 10000.0f;
  Version version = Version::kV2;

  // The serialized tensorflow.SaverDef (what MetaGraphDef.saver_def and the "savers"
  // collection hold).
  std::string Serialize() const;
  // DataLoss when `bytes` is not a SaverDef.
  static StatusOr<SaverDef> Parse(std::string_view bytes);
};

struct SaverOptions {
  // Variables to save, by variable name ("W:0" or node name "W"), saved under their node
  // names (TF's var_list as a list). Empty: every variable of kGlobalVariables (plus
  // kSaversCollection-free "saveable objects" are not supported). Default: empty.
  std::vector<std::string> var_list;
  // TF's var_list as a dict: {checkpoint key: variable name}. When non-empty it replaces
  // var_list. Default: empty.
  std::map<std::string, std::string> var_map;
  // Scope of the added nodes ("save", then "save_1", ... as TF's name_scope). Default: "save".
  std::string name = "save";
  // Recent checkpoints kept by Save (0 or negative: keep all, as TF's None/0). Default: 5.
  int max_to_keep = 5;
  // Default: 10000 (TF's default: effectively never).
  float keep_checkpoint_every_n_hours = 10000.0f;
  // Also restore variables whose key is missing? No: TF fails; so do we. (No option.)
  // Env for Save's files and the state file. Default: Env::Default().
  Env* env = nullptr;
};

struct SaveCallOptions {
  // Write PREFIX-STEP.meta (the exported MetaGraphDef). Default: true (TF's write_meta_graph).
  bool write_meta_graph = true;
  // Update the `checkpoint` state file (and apply retention). Default: true.
  bool write_state = true;
  // State file name inside the prefix's directory. Default: "checkpoint".
  std::string latest_filename = "checkpoint";
  // fsync every file before its rename and the directory after, so a saved checkpoint
  // survives a power loss (about six fsyncs a save). false: TF's Saver's durability (it
  // issues no fsync): every save is still atomic against a process crash. Default: true.
  bool sync = true;
};

class Saver {
 public:
  // Adds the save/restore subgraph for the selected variables to `graph` and returns the
  // Saver. The graph keeps a pointer-free record: saver_def() names the nodes.
  // Errors: InvalidArgument when there are no variables to save, a var_list name is not a
  // registered variable (Graph::FindVariable), or two variables map to one key; the graph's
  // sticky status when it is not OK.
  static StatusOr<std::unique_ptr<Saver>> Create(Graph& graph, const SaverOptions& options = {});

  // A Saver over nodes already in `graph` (an imported MetaGraphDef's saver_def).
  // InvalidArgument when the SaverDef's filename tensor or restore op is absent from the graph.
  static StatusOr<std::unique_ptr<Saver>> FromSaverDef(const Graph& graph, SaverDef def,
                                                       Env* env = nullptr);

  ~Saver();
  Saver(const Saver&) = delete;
  Saver& operator=(const Saver&) = delete;

  // Imported V1 Saver graphs (SaveSlices/Save) are saved by running their save op, which
  // writes a V1 checkpoint; the returned prefix is then the save tensor's value.
  // tf.compat.v1.train.Saver.save(sess, prefix, global_step): writes the checkpoint
  // `prefix-STEP` (or `prefix` when no step), its .meta, and the state file in prefix's
  // directory (created if missing), applying max_to_keep. Returns the checkpoint prefix.
  // Errors: FailedPrecondition for an uninitialized variable; Env errors naming the file.
  // Nothing of a failed save is left behind and the state file is unchanged.
  StatusOr<std::string> Save(Session& session, const std::string& prefix,
                             std::optional<int64_t> global_step = std::nullopt,
                             const SaveCallOptions& options = {});

  // tf.compat.v1.train.Saver.restore(sess, prefix): runs restore_op_name with the filename
  // tensor fed with `prefix`. Errors: NotFound when no checkpoint (V2 `prefix.index`, or a V1
  // file) exists at `prefix`; NotFound naming the key when a variable is missing from it;
  // InvalidArgument for a dtype/shape mismatch (naming the variable and both shapes).
  Status Restore(Session& session, const std::string& prefix);

  const SaverDef& saver_def() const { return def_; }
  // Checkpoints saved by this Saver that are still kept, oldest first (TF's
  // last_checkpoints).
  std::vector<std::string> last_checkpoints() const;

 private:
  Saver(const Graph* graph, SaverDef def, Env* env, int max_to_keep, float keep_hours);
  Status OpenManager(const std::string& dir, const std::string& name, const std::string& state,
                     bool sync);
  StatusOr<std::string> SaveV1(Session& session, const std::string& prefix,
                               std::optional<int64_t> global_step, const SaveCallOptions& options);

  const Graph* graph_;
  SaverDef def_;
  Env* env_;
  int max_to_keep_;
  float keep_hours_;
  std::string manager_key_;
  std::unique_ptr<CheckpointManager> manager_;
  std::vector<std::string> last_checkpoints_;
  // The last exported meta graph and the graph version it was exported at.
  std::string meta_cache_;
  std::optional<uint64_t> meta_cache_version_;
};

// Warm start of a session's variables (VariableV2 and VarHandleOp nodes, named by node name)
// from checkpoint `prefix`, through RestoreFromCheckpoint: its name and scope maps, its
// all-problems-at-once report and dry run, and (options.object_paths) TF2 object-based
// checkpoints by object path. Each variable's value is read in the dtype and shape of its
// current value, else of its shape attr; a variable with neither is reported as an error.
// Restored variables are set with Session::SetVariable; the others keep their values. Errors
// as RestoreFromCheckpoint's (nothing is set when any check fails).
Status RestoreSessionVariables(Env* env, Session& session, const std::string& prefix,
                               const RestoreOptions& options = {}, RestoreReport* report = nullptr);

}  // namespace ckpt
