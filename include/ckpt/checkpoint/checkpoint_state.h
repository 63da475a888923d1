// The `checkpoint` state file of a checkpoint directory: TensorFlow's text-format
// CheckpointState proto, naming the latest checkpoint prefix and every kept one.
//
// Compatible with TF both ways: relative paths are resolved against the directory on read,
// and written relative (default) or as given; doubles are printed as Python's repr.
//
// Thread safety: free functions; concurrent writers of one directory must be serialized by the
// caller (CheckpointManager holds a directory lock).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"

namespace ckpt {

inline constexpr std::string_view kCheckpointStateFilename = "checkpoint";

struct CheckpointState {
  std::string model_checkpoint_path;
  std::vector<std::string> all_model_checkpoint_paths;  // oldest first
  std::vector<double> all_model_checkpoint_timestamps;  // seconds since epoch; may be empty
  double last_preserved_timestamp = 0;
};

// Parses TF's text format (any field order, comments, whitespace). DataLoss on syntax errors.
StatusOr<CheckpointState> ParseCheckpointState(std::string_view text);
// TF's text format, byte-identical to Python's text_format.MessageToString.
std::string SerializeCheckpointState(const CheckpointState& state);

// Python's repr(float) of `value` (shortest round-trip digits; "1672531200.0", "1e-05",
// "1.5e+16", "inf", "nan"): how TF's text_format prints doubles.
std::string FormatPythonFloat(double value);

// Reads `<dir>/<filename>`, joining relative paths onto `dir`. std::nullopt if absent.
// An absolute path whose checkpoint no longer exists, while `<dir>/<basename>` does (the
// directory was moved or copied), is replaced by the latter. DataLoss (naming the file) when
// the file does not parse, model_checkpoint_path is empty, or the timestamps do not match the
// paths in number.
StatusOr<std::optional<CheckpointState>> GetCheckpointState(
    Env* env, const std::string& dir, std::string_view filename = kCheckpointStateFilename);

// Writes `<dir>/<filename>` atomically (temp + fsync + rename + directory sync; without
// `sync`, temp + rename: atomic against a process crash, not a power loss). With
// `relative_paths`, paths inside `dir` are stored relative to it (others as given). As TF,
// model_checkpoint_path is appended to all_model_checkpoint_paths when it is not its last
// element. InvalidArgument for a filename with '/', a model path equal to the state file, or
// timestamps that do not match the paths; the Env's error (with the file name) otherwise.
Status WriteCheckpointState(Env* env, const std::string& dir, const CheckpointState& state,
                            bool relative_paths = true,
                            std::string_view filename = kCheckpointStateFilename, bool sync = true);

// The latest checkpoint prefix of `dir` whose files exist (`PREFIX.index`, or a V1 file),
// like tf.train.latest_checkpoint. NotFound when there is no state file or its latest
// checkpoint has no files; DataLoss for a corrupt state file. (CheckpointManager::RestoreLatest
// and LatestVerifiedCheckpoint fall back to older checkpoints instead.)
StatusOr<std::string> LatestCheckpoint(Env* env, const std::string& dir,
                                       std::string_view filename = kCheckpointStateFilename);

}  // namespace ckpt
