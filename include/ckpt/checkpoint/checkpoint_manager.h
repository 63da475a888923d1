// CheckpointManager: TF's Saver / tf.train.CheckpointManager at the tensor level. It owns a
// checkpoint directory, saves numbered checkpoints `<dir>/<name>-<step>.{index,data-*}`,
// keeps the state file (`checkpoint`) readable by TensorFlow, applies retention, and restores.
//
// Beyond TensorFlow:
//   * Crash-safe: every file of a checkpoint is written under a temporary name, synced and
//     renamed (companions, data, index last); the checkpoints to delete are logged in
//     `<state>.pending`; then the state file is replaced atomically (the commit point); only
//     then are old checkpoints deleted. Open() removes leftovers of an interrupted save,
//     finishes logged deletions, and adopts a complete (fully verified) checkpoint that a crash
//     kept out of the state file. Details: docs/checkpoint.md.
//   * Relocatable: the state file holds relative paths; old absolute ones are resolved inside
//     the directory when their target is gone.
//   * Keep the best K checkpoints by a metric in addition to the most recent N; metrics are
//     kept in a sidecar `PREFIX.metrics` (TF ignores it).
//   * Async save: SaveAsync copies the tensors and returns; at most one save is in flight.
//   * Save on preemption (PreemptionWatcher + SaveIfPreempted).
//   * Readers can pin checkpoints (checkpoint_dir.h); deleting a pinned one is deferred.
//   * One manager per directory: a second one (any process) gets FailedPrecondition.
//
// Example:
//   CheckpointManagerOptions opts;
//   opts.max_to_keep = 3;
//   opts.keep_best = 1;
//   opts.best_metric = "eval_loss";                 // smallest is best
//   auto mgr = CheckpointManager::Open(Env::Default(), "/tmp/run1", opts);
//   if (!mgr.ok()) return mgr.status();
//   int64_t step = (*mgr)->last_step() + 1;          // continues after a restart
//   if (auto latest = (*mgr)->latest_checkpoint()) {
//     std::vector<RestoreTarget> targets = {{"w", &w}, {"b", &b}};
//     CKPT_RETURN_IF_ERROR(RestoreFromCheckpoint(Env::Default(), *latest, targets));
//   }
//   for (; step < 1000; ++step) {
//     Train(w, b);
//     if (step % 100 == 0)
//       CKPT_RETURN_IF_ERROR((*mgr)->SaveAsync(step, {{"w", w}, {"b", b}},
//                                              {.metrics = {{"eval_loss", Eval()}}}));
//   }
//   CKPT_RETURN_IF_ERROR((*mgr)->Wait());
//
// Thread safety: all methods are safe to call concurrently; saves are serialized.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/checkpoint/restore.h"
#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/core/thread_annotations.h"
#include "ckpt/format/bundle.h"

namespace ckpt {

class PreemptionWatcher;
class SummaryWriter;

enum class MetricMode { kMin, kMax };

struct CheckpointManagerOptions {
  // Prefix basename: checkpoints are `<dir>/<checkpoint_name>-<step>`. Default: "model.ckpt".
  std::string checkpoint_name = "model.ckpt";
  // How many recent checkpoints to keep. std::nullopt: keep all, all listed in the state file
  // (TF2's None). 0: keep all, but the state file lists only the latest (TF1 Saver's 0/None).
  // Negative: InvalidArgument. Default: 5.
  std::optional<int> max_to_keep = 5;
  // When a checkpoint falls out of the recent window and at least this many hours passed
  // since the last one so preserved, keep its files forever (dropped from the state file, as
  // TF). 0: off. Default: 0.
  double keep_checkpoint_every_n_hours = 0;
  // Also keep the best `keep_best` checkpoints by metric `best_metric` (saves without that
  // metric never count as best). 0: off. Default: 0.
  int keep_best = 0;
  // Default: "" (required when keep_best > 0).
  std::string best_metric;
  // Default: kMin (smaller is better).
  MetricMode best_mode = MetricMode::kMin;
  // State file name. Default: "checkpoint".
  std::string state_filename = std::string(kCheckpointStateFilename);
  // Write paths relative to the directory. Default: true.
  bool relative_paths = true;
  // Bundle writer settings. writer_options.sync (default true) also governs the manager's
  // own files: with it, every file is fsync'ed before its rename and the directory after, so a
  // committed checkpoint survives a power loss (a save costs about six fsyncs: the bundle's
  // two, each companion file, the state file, and two directory syncs). Without it, TF's
  // Saver's durability: renames keep every save atomic against a process crash, but a power
  // loss may lose the latest checkpoints. Default: {}.
  BundleWriterOptions writer_options;
  // Hold `<dir>/<state_filename>.lock` so a second manager fails. Default: true.
  bool lock_directory = true;
  // On Open, remove leftovers of interrupted saves and adopt complete checkpoints newer than
  // the state file's latest. Default: true.
  bool recover_on_open = true;
  // When non-empty, each save's metrics are also written as TensorBoard scalars (tag = metric
  // name, step = the save's step) to an event file in this directory (SummaryWriter, created
  // on the first save with metrics). A failure to write them is returned after the checkpoint
  // is committed. Default: "" (off).
  std::string summary_dir;
};

struct SaveOptions {
  // Metrics stored in `PREFIX.metrics` and used by keep_best. Names: non-empty, no
  // whitespace. Default: none.
  std::map<std::string, double> metrics;
  // Extra files written (atomically, before the index) as `PREFIX.<suffix>`, e.g.
  // {"meta", meta_graph_bytes} gives `PREFIX.meta`. Suffixes: no '/', not "index",
  // "metrics", "data-*" or "pin.*". Default: none.
  std::map<std::string, std::string> companion_files;
};

// One managed checkpoint.
struct ManagedCheckpoint {
  std::string prefix;
  int64_t step = -1;
  double timestamp = 0;  // seconds since the epoch
  std::map<std::string, double> metrics;
};

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class CheckpointManager {
 public:
  // Opens (creating if needed) `dir`, takes its lock, recovers leftovers, and loads the state
  // file's history (TF's or ours): retention then applies to it and numbering continues.
  // InvalidArgument for bad options; FailedPrecondition when another manager holds the
  // directory; Env errors otherwise. `env` must outlive the manager.
  static StatusOr<std::unique_ptr<CheckpointManager>> Open(
      Env* env, const std::string& dir, const CheckpointManagerOptions& options = {});
  // Waits for an in-flight save (its error is dropped: call Wait() first to see it), retries
  // deferred deletions, releases the lock.
  ~CheckpointManager();
  CheckpointManager(const CheckpointManager&) = delete;
  CheckpointManager& operator=(const CheckpointManager&) = delete;

  // Saves `tensors` (keys must be unique and non-empty) as checkpoint `step`, then updates the
  // state file and deletes checkpoints that fall out of retention. Returns the prefix.
  // Saving an existing step replaces it. First returns a pending async-save error, if any
  // (without saving). On a write failure nothing changes (new files are removed; the state
  // file still names the previous checkpoints). A failure to delete an old checkpoint is
  // returned after the new checkpoint is committed (it is retried on the next save).
  StatusOr<std::string> Save(int64_t step, const NamedTensors& tensors,
                             const SaveOptions& options = {});

  // Saves checkpoint `step` as Save does, except that the bundle (`PREFIX.index` and its data
  // files) is produced by `write_bundle`, called once with the checkpoint's prefix; e.g. by
  // MergeBundles of bundles written by several processes. Everything else is Save's code
  // path: companion files and metrics first, then the crash-safe commit of the state file and
  // retention. `write_bundle` must leave a complete bundle at the prefix (write or rename the
  // index last) and return OK, or return an error, in which case the new checkpoint's files
  // are removed, the error is returned with the prefix as context and the state file still
  // names the previous checkpoints. When it succeeds, the new index is opened to learn its
  // number of data files, and those of an earlier save of the same step with another shard
  // count are deleted (as Save does). It runs while the save lock is held: it must not call
  // back into this manager. InvalidArgument when `write_bundle` is empty or the step/options
  // are invalid (as Save). First returns a pending async-save error, if any.
  StatusOr<std::string> SaveWith(
      int64_t step, const std::function<Status(const std::string& prefix)>& write_bundle,
      const SaveOptions& options = {});

  // Copies `tensors` (the caller may modify them as soon as this returns) and saves them on a
  // background thread. Waits for a previous save first (at most one in flight). Returns the
  // previous save's error, if any, without starting this one. The copy's buffers are kept
  // and reused by the next SaveAsync with the same names, dtypes and shapes (so the manager
  // holds memory equal to the tensors' size after the first async save).
  Status SaveAsync(int64_t step, const NamedTensors& tensors, const SaveOptions& options = {});

  // Waits for the in-flight save; returns (and clears) the first error of async saves.
  Status Wait();

  // If `watcher` saw a termination signal: finishes the in-flight save, saves `tensors`
  // synchronously as `step` and returns true (the caller should exit). False otherwise.
  StatusOr<bool> SaveIfPreempted(const PreemptionWatcher& watcher, int64_t step,
                                 const NamedTensors& tensors, const SaveOptions& options = {});

  // Restores `targets` from the latest checkpoint that opens (falling back to older ones if
  // the latest is missing or corrupt). Returns the prefix restored from; NotFound if none.
  StatusOr<std::string> RestoreLatest(std::span<const RestoreTarget> targets,
                                      const RestoreOptions& options = {},
                                      RestoreReport* report = nullptr);

  const std::string& directory() const { return dir_; }
  // `<dir>/<checkpoint_name>-<step>`.
  std::string PrefixForStep(int64_t step) const;
  // The latest committed checkpoint, if any (not re-verified; RestoreLatest and
  // LatestVerifiedCheckpoint fall back past a corrupt one).
  std::optional<std::string> latest_checkpoint() const;
  // Highest step saved in this directory (also before a restart); -1 when none.
  int64_t last_step() const;
  // Managed (deletable) checkpoints, oldest first, as listed in the state file.
  std::vector<ManagedCheckpoint> checkpoints() const;
  // The best checkpoint by best_metric among the managed ones; std::nullopt if none has it.
  std::optional<ManagedCheckpoint> best_checkpoint() const;
  double last_preserved_timestamp() const;
  // Checkpoints whose deletion is deferred because a reader pins them.
  std::vector<std::string> pending_deletions() const;

 private:
  CheckpointManager(Env* env, std::string dir, CheckpointManagerOptions options);
  // Recovery on open (checkpoint_recovery.cc): Recover runs the phases below in order.
  Status Recover();
  // Removes temporary state/pending files and finishes interrupted deletions (`.deleting`).
  Status FinishInterruptedWrites(const std::vector<std::string>& children);
  // Loads the state file's entries that still exist into managed_; sets *rewrite when some
  // are dropped, and *max_state_step to the highest step it names.
  void LoadStateEntriesLocked(const CheckpointState& st, double now, bool* rewrite,
                              int64_t* max_state_step) CKPT_REQUIRES(mu_);
  // Deletes temporary files, data without an index and companions of unfinished saves.
  void RemoveSaveLeftovers(const std::vector<std::string>& children,
                           const std::set<int64_t>& indexed, bool state_usable,
                           int64_t max_state_step);
  // Adds fully verifying checkpoints newer than the state file's to managed_; true if any.
  bool AdoptUnlistedLocked(const std::set<int64_t>& indexed, double now, bool state_usable,
                           int64_t max_state_step) CKPT_REQUIRES(mu_);
  // Reads `<state_filename>.pending` (deletions a pin deferred) into pending_delete_.
  void LoadPendingDeletionsLocked() CKPT_REQUIRES(mu_);
  void KeepPreservedTimestampBelowManagedLocked() CKPT_REQUIRES(mu_);

  // Retention (checkpoint_retention.cc).
  // Commits the written checkpoint `prefix` (deletion log, then state file) and deletes what
  // fell out of retention; `cleanup` removes the checkpoint's files when the commit fails.
  StatusOr<std::string> CommitSave(const std::string& prefix, int64_t step,
                                   const std::map<std::string, double>& metrics,
                                   const std::function<void()>& cleanup) CKPT_REQUIRES(save_mu_);
  Status WriteStateLocked() CKPT_REQUIRES(mu_);
  // Appends `metrics` as TensorBoard scalars at `step` to options_.summary_dir (nothing when it
  // is unset). REQUIRES: save_mu_ held.
  Status RecordMetricsSummary(int64_t step, const std::map<std::string, double>& metrics)
      CKPT_REQUIRES(save_mu_);
  // Writes the checkpoint and commits it. REQUIRES: save_mu_ held.
  StatusOr<std::string> DoSave(int64_t step, const NamedTensors& tensors,
                               const SaveOptions& options) CKPT_REQUIRES(save_mu_);
  // The one save path: companions and metrics, `write_bundle(prefix)` (which returns the
  // bundle's number of data files), then CommitSave.
  StatusOr<std::string> DoSaveWith(
      int64_t step, const std::function<StatusOr<int>(const std::string& prefix)>& write_bundle,
      const SaveOptions& options) CKPT_REQUIRES(save_mu_);
  // Writes `tensors` (sorted by name) as a bundle at `prefix` (writer_options' shards);
  // returns its number of data files.
  StatusOr<int> WriteTensorBundle(const std::string& prefix, const NamedTensors& tensors);
  std::vector<ManagedCheckpoint> SelectForRemovalLocked(std::vector<std::string>* preserved)
      CKPT_REQUIRES(mu_);
  Status RetryPendingDeletions();
  // Writes `<state_filename>.pending` (basenames still to delete), or removes it when empty.
  // REQUIRES: mu_ held (or no concurrent access).
  // `sync`: as for Env::AtomicWriteStringToFile (kFile when a state file write follows and
  // syncs the directory for both).
  Status WritePendingLocked(const std::vector<std::string>& prefixes, Env::SyncMode sync);
  Env::SyncMode FileSync() const;     // kFile when saves sync, else kNone
  Env::SyncMode FileDirSync() const;  // kFileAndDir when saves sync, else kNone

  Env* env_;
  std::string dir_;
  CheckpointManagerOptions options_;
  std::unique_ptr<FileLock> lock_;

  Mutex save_mu_;     // serializes saves (held across a whole save)
  mutable Mutex mu_;  // guards the members below
  std::vector<ManagedCheckpoint> managed_ CKPT_GUARDED_BY(mu_);
  double last_preserved_timestamp_ CKPT_GUARDED_BY(mu_) = 0;
  int64_t last_step_ CKPT_GUARDED_BY(mu_) = -1;
  std::vector<std::string> pending_delete_ CKPT_GUARDED_BY(mu_);
  std::unique_ptr<SummaryWriter> summary_
      CKPT_GUARDED_BY(save_mu_);  // options_.summary_dir's writer

  Mutex submit_mu_;  // serializes SaveAsync calls
  Mutex async_mu_;   // guards worker_, async_error_, snapshot_pool_ (never held to join)
  std::jthread worker_ CKPT_GUARDED_BY(async_mu_);
  Status async_error_ CKPT_GUARDED_BY(async_mu_);
  struct Snapshot {
    NamedTensors tensors;  // POD tensors borrow from `buffers`
    std::vector<std::shared_ptr<void>> buffers;
  };
  Snapshot snapshot_pool_
      CKPT_GUARDED_BY(async_mu_);  // buffers of the last async save, reused when shapes match
};

}  // namespace ckpt
