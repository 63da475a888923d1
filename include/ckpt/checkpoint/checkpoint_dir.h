// Reading a checkpoint directory safely while a trainer writes it: listing and verifying its
// checkpoints, finding the newest one that verifies, pinning a checkpoint so the trainer's
// retention does not delete it while it is read, and waiting for new checkpoints
// (tf.train.checkpoints_iterator).
//
// Pins are lock files `<PREFIX>.pin.<unique>` held with Env::LockFile; CheckpointManager
// defers deleting a pinned checkpoint and removes pins whose holder died.
//
// Example (an evaluator beside a trainer):
//   CheckpointsIterator it(Env::Default(), "/ckpts", {.timeout_secs = 600});
//   while (true) {
//     auto next = it.Next();
//     if (!next.ok()) return next.status();
//     if (!next->has_value()) break;              // timed out
//     const PinnedCheckpoint& ckpt = **next;      // pinned until `ckpt` is destroyed
//     Evaluate(ckpt.prefix);
//   }
//
// Thread safety: free functions are safe for concurrent use; a CheckpointsIterator is used by
// one thread; a CheckpointPin may be destroyed on any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/core/env.h"
#include "ckpt/core/status.h"

namespace ckpt {

// One checkpoint of a directory, as found by ScanCheckpointDir.
struct CheckpointDirEntry {
  std::string prefix;       // full path prefix
  int64_t step = -1;        // from "<name>-<step>"; -1 when the name has no step
  double timestamp = 0;     // from the state file, else the index file's mtime (seconds)
  uint64_t size_bytes = 0;  // sum of the index and data files (and V1 files)
  std::map<std::string, double> metrics;  // from `PREFIX.metrics`, if any
  bool in_state = false;                  // listed in the state file
  bool latest = false;                    // the state file's model_checkpoint_path
  bool best = false;   // best by the metric the manager keeps (see CheckpointManagerOptions)
  std::string format;  // "V2" or "V1"
};

// Every checkpoint of `dir`: `*.index` bundles plus the state file's entries (V1 included),
// oldest first (by step, then timestamp). A corrupt state file is ignored (listing still
// works). NotFound if `dir` does not exist.
StatusOr<std::vector<CheckpointDirEntry>> ScanCheckpointDir(
    Env* env, const std::string& dir, std::string_view state_filename = kCheckpointStateFilename);

// Writes one line per checkpoint (step, time, size, metrics, latest/best marks), or with
// `json` a JSON array (indented by 2) of objects {prefix, step, timestamp, size_bytes, format,
// metrics, latest, best, in_state}; a metric that is NaN or infinite is null, and bytes of a
// path that are not UTF-8 become U+FFFD. Errors as ScanCheckpointDir.
Status ListCheckpointDir(Env* env, const std::string& dir, std::ostream& out, bool json = false);

// Fully verifies every checkpoint of `dir` (index, extents, all checksums) and writes one
// line per checkpoint with "ok" or the error (with `json`, an array of objects {prefix, step,
// ok, error}, written as ListCheckpointDir writes its array). Returns OK when all verify,
// DataLoss naming the first bad checkpoint otherwise (NotFound when `dir` is absent).
Status VerifyCheckpointDir(Env* env, const std::string& dir, std::ostream& out, bool json = false);

struct LatestVerifiedOptions {
  // Check every checksum (VerifyAll) rather than just opening the index. Default: false.
  bool full_verify = false;
  // Default: "checkpoint".
  std::string state_filename = std::string(kCheckpointStateFilename);
};

// The state file's latest checkpoint if it is readable; otherwise (missing, corrupt, or
// absent state file) the newest checkpoint of the directory that is. NotFound when none is.
StatusOr<std::string> LatestVerifiedCheckpoint(Env* env, const std::string& dir,
                                               const LatestVerifiedOptions& options = {});

// A lease on a checkpoint: while it lives, no CheckpointManager deletes the checkpoint.
class CheckpointPin {
 public:
  // Pins `prefix` and then checks that its files still exist (NotFound otherwise; no pin is
  // left behind). `env` must outlive the pin.
  static StatusOr<std::unique_ptr<CheckpointPin>> Acquire(Env* env, const std::string& prefix);
  ~CheckpointPin();  // releases the lock and removes the pin file
  CheckpointPin(const CheckpointPin&) = delete;
  CheckpointPin& operator=(const CheckpointPin&) = delete;

  const std::string& prefix() const { return prefix_; }
  const std::string& pin_path() const { return pin_path_; }

 private:
  CheckpointPin(Env* env, std::string prefix, std::string pin_path, std::unique_ptr<FileLock> lock);
  Env* env_;
  std::string prefix_;
  std::string pin_path_;
  std::unique_ptr<FileLock> lock_;
};

// True if some live CheckpointPin (in any process) holds `prefix`. Stale pin files (their
// holder died) are removed.
bool IsCheckpointPinned(Env* env, const std::string& prefix);

struct PinnedCheckpoint {
  std::string prefix;
  int64_t step = -1;
  std::unique_ptr<CheckpointPin> pin;  // null when CheckpointsIteratorOptions::pin is false
};

struct CheckpointsIteratorOptions {
  // Minimum seconds between two yields. Default: 0.
  double min_interval_secs = 0;
  // Give up (Next returns std::nullopt) when no new checkpoint appears within this many
  // seconds. Default: wait forever.
  std::optional<double> timeout_secs;
  // Polling period. Default: 1 s (as TF).
  double poll_interval_secs = 1.0;
  // Pin each yielded checkpoint. Default: true.
  bool pin = true;
  // Default: "checkpoint".
  std::string state_filename = std::string(kCheckpointStateFilename);
};

// Yields each new latest checkpoint of a directory as it appears.
class CheckpointsIterator {
 public:
  // `env` must outlive the iterator. The directory need not exist yet.
  CheckpointsIterator(Env* env, std::string dir, CheckpointsIteratorOptions options = {});

  // Blocks until the latest checkpoint differs from the last one yielded, and returns it
  // (pinned unless options.pin is false); std::nullopt on timeout. A checkpoint deleted
  // between being seen and being pinned is skipped. Errors other than "no checkpoint yet"
  // (e.g. a directory that cannot be listed) are returned.
  StatusOr<std::optional<PinnedCheckpoint>> Next();

 private:
  Env* env_;
  std::string dir_;
  CheckpointsIteratorOptions options_;
  std::string last_;
  uint64_t last_yield_micros_ = 0;
};

}  // namespace ckpt
