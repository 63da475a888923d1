// Restoring named tensors from a checkpoint into caller-owned tensors, with TF Saver's name
// maps and init_from_checkpoint's scope maps, and a dry-run report instead of a first-error
// abort.
//
// A restore first resolves every target variable to a checkpoint key and checks dtype and
// shape against the index; only when nothing is wrong (or on a dry run, never) are tensor
// bytes read, straight into the targets' buffers (BundleReader::LookupInto: no extra copy).
// So a restore refused by these checks leaves every target untouched; a corrupt tensor found
// while reading (DataLoss) may leave the targets read before it written.
//
// Example:
//   Tensor w(DataType::kFloat, {784, 10}), b(DataType::kFloat, {10});
//   std::vector<RestoreTarget> targets = {{"new/dense/kernel", &w}, {"new/dense/bias", &b}};
//   RestoreReport report;
//   Status s = RestoreFromCheckpoint(env, "/ckpts/model.ckpt-1000", targets,
//                                    {.scope_map = {{"old/", "new/"}}, .dry_run = true},
//                                    &report);
//   // report.missing / report.mismatched / report.unused list every problem at once.
//
// Thread safety: free functions; concurrent restores into distinct targets are safe.
#pragma once

#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"

namespace ckpt {

// One variable to restore: its name (in the caller's model) and where its value goes.
struct RestoreTarget {
  std::string name;
  Tensor* tensor = nullptr;  // caller-owned; dtype and shape must match the stored tensor
};

struct RestoreOptions {
  // {name_in_checkpoint: variable_name}, as a TF Saver's var_list dict. When non-empty (or
  // scope_map is), only mapped variables are restored; the rest are reported as `skipped`.
  // Default: empty (every target restored from the key equal to its name).
  std::map<std::string, std::string> name_map;
  // {"old_scope/": "new_scope/"}, as init_from_checkpoint's assignment_map: a variable named
  // "new_scope/x" is restored from "old_scope/x". "/" as the old scope means the checkpoint
  // root. Both sides must end with '/'. The longest matching new scope wins; name_map entries
  // take precedence. Default: empty.
  std::vector<std::pair<std::string, std::string>> scope_map;
  // Only check and report; read no tensor data, write no target. Default: false.
  bool dry_run = false;
  // Variables whose key is absent are skipped (and reported) instead of failing. Default: false.
  bool allow_missing = false;
  // Verify each tensor's checksum while reading. Default: true.
  bool verify_checksums = true;
  // Threads reading a V2 checkpoint (BundleReaderOptions::num_threads): tensors, and pieces
  // of tensors over 32 MiB, are read concurrently. 1: sequential. <= 0: one per hardware
  // thread. Default: 0.
  int num_threads = 0;
  // Name the checkpoint's values by object path (TF2 object-based checkpoints, see
  // ckpt/checkpoint/object_graph.h): "model/dense/kernel" for the key
  // "model/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE". name_map, scope_map and the report then
  // speak of object paths. NotFound when the checkpoint has no object graph. Default: false.
  bool object_paths = false;
};

struct RestoreMismatch {
  std::string variable;
  std::string key;
  std::string expected;  // "float32[2,3]" (the target)
  std::string stored;    // "float64[3]" (the checkpoint)
};

struct RestoreReport {
  std::string prefix;                       // the checkpoint read
  std::vector<std::string> restored;        // variables read (or readable, on a dry run)
  std::vector<std::string> missing;         // "variable (key K)" whose key is absent
  std::vector<std::string> skipped;         // variables not selected by the maps
  std::vector<std::string> unused;          // checkpoint keys no variable maps to
  std::vector<RestoreMismatch> mismatched;  // dtype or shape differs
  std::vector<std::string> errors;          // other problems (bad maps, null targets)
  // No missing, mismatched or errors (unused and skipped keys are not problems).
  bool ok() const { return missing.empty() && mismatched.empty() && errors.empty(); }
  // Multi-line human-readable summary of every problem.
  std::string ToString() const;
};

// Restores `targets` from checkpoint `prefix` (V2 read in place; V1 through CheckpointReader).
// Fills `report` (optional) in every case. Returns OK on success or on a
// dry run that could complete its checks; otherwise, with nothing written: NotFound when the
// checkpoint or a key is missing, InvalidArgument for dtype/shape mismatches or bad maps
// (the message lists every problem), DataLoss for corrupt files.
Status RestoreFromCheckpoint(Env* env, const std::string& prefix,
                             std::span<const RestoreTarget> targets,
                             const RestoreOptions& options = {}, RestoreReport* report = nullptr);

}  // namespace ckpt
