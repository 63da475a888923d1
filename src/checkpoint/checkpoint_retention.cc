// Retention: which checkpoints a save (or recovery) drops, committing a save's state file with
// its deletion log, and deleting what fell out of retention (deferred while readers pin it).
#include <algorithm>
#include <cmath>

#include "checkpoint/deletion.h"
#include "ckpt/checkpoint/checkpoint_manager.h"

namespace ckpt {

std::vector<ManagedCheckpoint> CheckpointManager::SelectForRemovalLocked(
    std::vector<std::string>* preserved) {
  std::vector<ManagedCheckpoint> remove;
  if (!options_.max_to_keep) return remove;  // keep everything, all listed
  if (*options_.max_to_keep == 0) {
    // TF1's max_to_keep=0/None: nothing is deleted and only the latest is listed.
    for (size_t i = 0; i + 1 < managed_.size(); ++i) preserved->push_back(managed_[i].prefix);
    if (!managed_.empty()) managed_.erase(managed_.begin(), managed_.end() - 1);
    return remove;
  }
  const size_t n = managed_.size();
  const size_t recent = static_cast<size_t>(*options_.max_to_keep);
  std::vector<bool> keep(n, false);
  for (size_t i = n > recent ? n - recent : 0; i < n; ++i) keep[i] = true;
  if (options_.keep_best > 0) {
    std::vector<size_t> with_metric;
    std::vector<double> metric(n);
    for (size_t i = 0; i < n; ++i) {
      auto it = managed_[i].metrics.find(options_.best_metric);
      if (it != managed_[i].metrics.end() && !std::isnan(it->second)) {
        with_metric.push_back(i);
        metric[i] = it->second;
      }
    }
    const bool max = options_.best_mode == MetricMode::kMax;
    std::stable_sort(with_metric.begin(), with_metric.end(), [&](size_t a, size_t b) {
      const double va = metric[a], vb = metric[b];
      if (va != vb) return max ? va > vb : va < vb;
      return a > b;  // ties: the newer one
    });
    for (size_t k = 0; k < with_metric.size() && k < static_cast<size_t>(options_.keep_best); ++k)
      keep[with_metric[k]] = true;
  }
  std::vector<ManagedCheckpoint> kept;
  for (size_t i = 0; i < n; ++i) {
    ManagedCheckpoint& e = managed_[i];
    if (keep[i]) {
      kept.push_back(std::move(e));
      continue;
    }
    double hours = options_.keep_checkpoint_every_n_hours;
    if (hours > 0 && e.timestamp - hours * 3600.0 >= last_preserved_timestamp_) {
      last_preserved_timestamp_ = e.timestamp;
      preserved->push_back(e.prefix);
      continue;
    }
    remove.push_back(std::move(e));
  }
  managed_ = std::move(kept);
  return remove;
}

Status CheckpointManager::WritePendingLocked(const std::vector<std::string>& prefixes,
                                             Env::SyncMode sync) {
  if (!lock_) return Status::OK();
  std::string file = path::Join(dir_, options_.state_filename + ".pending");
  if (prefixes.empty()) {
    if (!env_->FileExists(file)) return Status::OK();
    return env_->DeleteFile(file).WithContext("removing deletion log " + file);
  }
  std::string text;
  for (const auto& p : prefixes) text += path::Basename(p) + "\n";
  return env_->AtomicWriteStringToFile(file, text, sync)
      .WithContext("writing deletion log " + file);
}

Status CheckpointManager::RetryPendingDeletions() {
  std::vector<std::string> pending;
  {
    MutexLock l(mu_);
    pending.swap(pending_delete_);
  }
  Status first;
  std::vector<std::string> still;
  for (const auto& p : pending) {
    auto r = internal::DeleteCheckpoint(env_, p);
    if (!r.ok()) {
      first.Update(r.status());
      still.push_back(p);
    } else if (*r == internal::DeleteResult::kPinned) {
      still.push_back(p);
    }
  }
  MutexLock l(mu_);
  for (auto& p : still)
    if (std::find(pending_delete_.begin(), pending_delete_.end(), p) == pending_delete_.end())
      pending_delete_.push_back(std::move(p));
  // Remember what is still to be deleted across restarts.
  first.Update(WritePendingLocked(pending_delete_, FileDirSync()));
  return first;
}

StatusOr<std::string> CheckpointManager::CommitSave(const std::string& prefix, int64_t step,
                                                    const std::map<std::string, double>& metrics,
                                                    const std::function<void()>& cleanup) {
  // 3. Commit: the state file.
  std::vector<ManagedCheckpoint> to_delete;
  {
    MutexLock l(mu_);
    std::vector<ManagedCheckpoint> old_managed = managed_;
    double old_preserved = last_preserved_timestamp_;
    managed_.erase(std::remove_if(managed_.begin(), managed_.end(),
                                  [&](const auto& e) { return e.prefix == prefix; }),
                   managed_.end());
    ManagedCheckpoint e;
    e.prefix = prefix;
    e.step = step;
    e.timestamp = env_->NowMicros() / 1e6;
    e.metrics = metrics;
    managed_.push_back(std::move(e));
    std::vector<std::string> preserved;
    to_delete = SelectForRemovalLocked(&preserved);
    // Log the deletions before committing, so a crash between the commit and the deletions
    // cannot leave unlisted checkpoints behind for good.
    Status s;
    if (!to_delete.empty()) {
      std::vector<std::string> intents = pending_delete_;
      for (const auto& e : to_delete) intents.push_back(e.prefix);
      // Synced with the state file's directory sync below; its rename comes first.
      s = WritePendingLocked(intents, FileSync());
      if (!s.ok()) {
        managed_ = std::move(old_managed);
        last_preserved_timestamp_ = old_preserved;
        cleanup();
        return s;
      }
    }
    s = WriteStateLocked();
    if (!s.ok()) {
      // The failure may have come after the rename (syncing the directory): then the new
      // state is what readers see, and the checkpoint must stay.
      auto on_disk = GetCheckpointState(env_, dir_, options_.state_filename);
      bool committed =
          on_disk.ok() && on_disk->has_value() && (*on_disk)->model_checkpoint_path == prefix;
      if (!committed) {
        managed_ = std::move(old_managed);
        last_preserved_timestamp_ = old_preserved;
        cleanup();
        return s;
      }
      last_step_ = std::max(last_step_, step);
      // Deletions wait for the next save: this state file may not be durable yet.
      for (auto& e : to_delete) pending_delete_.push_back(e.prefix);
      return s.WithContext("checkpoint " + prefix + " was committed, but");
    }
    last_step_ = std::max(last_step_, step);
  }

  // 4. Only now delete what fell out of retention (pinned ones later).
  {
    MutexLock l(mu_);
    for (const auto& e : to_delete)
      if (std::find(pending_delete_.begin(), pending_delete_.end(), e.prefix) ==
          pending_delete_.end())
        pending_delete_.push_back(e.prefix);
  }
  Status del = RetryPendingDeletions();
  // 5. TensorBoard scalars of the metrics (options_.summary_dir).
  Status summary = RecordMetricsSummary(step, metrics);
  if (!del.ok())
    return del.WithContext("checkpoint " + prefix +
                           " was saved, but deleting an old checkpoint failed (will retry)");
  if (!summary.ok())
    return summary.WithContext("checkpoint " + prefix + " was saved, but writing its metrics to " +
                               options_.summary_dir + " failed");
  return prefix;
}

}  // namespace ckpt
