#include "ckpt/checkpoint/checkpoint_manager.h"
#include "ckpt/checkpoint/summary_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>

#include "checkpoint/dir_util.h"
#include "ckpt/checkpoint/checkpoint_dir.h"
#include "ckpt/checkpoint/preemption.h"

namespace ckpt {

namespace {

bool LooksTemporary(std::string_view rest) {
  return rest.find("tmp") != std::string_view::npos || rest.find("temp") != std::string_view::npos;
}

// Splits a directory entry "<name>-<step>.<rest>" into step and rest.
bool SplitEntry(std::string_view entry, std::string_view name, int64_t* step,
                std::string_view* rest) {
  if (entry.size() <= name.size() + 1 || entry.compare(0, name.size(), name) != 0 ||
      entry[name.size()] != '-')
    return false;
  size_t dot = entry.find('.', name.size() + 1);
  if (dot == std::string_view::npos) return false;
  auto s = internal::ParseStep(entry.substr(0, dot), name);
  if (!s) return false;
  *step = *s;
  *rest = entry.substr(dot + 1);
  return true;
}

// Copies `src` into `dst` (same size) with a few threads for large buffers.
void ParallelCopy(void* dst, const void* src, size_t n) {
  constexpr size_t kChunk = size_t{32} << 20;
  if (n < 2 * kChunk) {
    std::memcpy(dst, src, n);
    return;
  }
  unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  size_t per = (n + threads - 1) / threads;
  std::vector<std::jthread> pool;
  for (unsigned t = 1; t < threads; ++t) {
    size_t off = per * t;
    if (off >= n) break;
    size_t len = std::min(per, n - off);
    pool.emplace_back([=] {
      std::memcpy(static_cast<char*>(dst) + off, static_cast<const char*>(src) + off, len);
    });
  }
  std::memcpy(dst, src, std::min(per, n));
}

}  // namespace

CheckpointManager::CheckpointManager(Env* env, std::string dir, CheckpointManagerOptions options)
    : env_(env), dir_(std::move(dir)), options_(std::move(options)) {}

StatusOr<std::unique_ptr<CheckpointManager>> CheckpointManager::Open(
    Env* env, const std::string& dir, const CheckpointManagerOptions& options) {
  const std::string& name = options.checkpoint_name;
  if (dir.empty()) return InvalidArgumentError("checkpoint manager: empty directory");
  if (name.empty() || name.find('/') != std::string::npos)
    return InvalidArgumentError("checkpoint manager: checkpoint_name '" + name +
                                "' must be non-empty and have no '/'");
  if (options.state_filename.empty() || options.state_filename.find('/') != std::string::npos ||
      options.state_filename == name)
    return InvalidArgumentError("checkpoint manager: bad state_filename '" +
                                options.state_filename + "'");
  if (options.max_to_keep && *options.max_to_keep < 0)
    return InvalidArgumentError("checkpoint manager: max_to_keep must be >= 0 (got " +
                                std::to_string(*options.max_to_keep) + ")");
  if (options.keep_best < 0)
    return InvalidArgumentError("checkpoint manager: keep_best must be >= 0");
  if (options.keep_best > 0 && !internal::ValidMetricName(options.best_metric))
    return InvalidArgumentError("checkpoint manager: keep_best needs a valid best_metric (got '" +
                                options.best_metric + "')");
  if (!(options.keep_checkpoint_every_n_hours >= 0))
    return InvalidArgumentError("checkpoint manager: keep_checkpoint_every_n_hours must be >= 0");
  CKPT_RETURN_IF_ERROR(env->RecursivelyCreateDir(dir).WithContext(
      "creating checkpoint directory " + dir));
  std::unique_ptr<CheckpointManager> m(new CheckpointManager(env, dir, options));
  if (options.lock_directory) {
    std::string lock_path = path::Join(dir, options.state_filename + ".lock");
    auto lock = env->LockFile(lock_path);
    if (!lock.ok())
      return FailedPreconditionError(
          "checkpoint directory " + dir +
          " is in use by another CheckpointManager (lock file " + lock_path +
          "): " + std::string(lock.status().message()));
    m->lock_ = std::move(lock).value();
  }
  CKPT_RETURN_IF_ERROR(m->Recover());
  CKPT_RETURN_IF_ERROR(m->RetryPendingDeletions());
  return m;
}

CheckpointManager::~CheckpointManager() {
  Wait().IgnoreError();
  RetryPendingDeletions().IgnoreError();
}

Status CheckpointManager::Recover() {
  const std::string& name = options_.checkpoint_name;
  std::vector<std::string> children = internal::ListDir(env_, dir_);
  const double now = env_->NowMicros() / 1e6;

  if (options_.recover_on_open) {
    // Interrupted state-file writes and interrupted deletions.
    std::string state_tmp = options_.state_filename + ".tmp";
    std::string pending_tmp = options_.state_filename + ".pending.tmp";
    for (const auto& c : children) {
      std::string p = path::Join(dir_, c);
      if (c.compare(0, state_tmp.size(), state_tmp) == 0 ||
          c.compare(0, pending_tmp.size(), pending_tmp) == 0) {
        env_->DeleteFile(p).IgnoreError();
      } else if (c.size() > internal::kDeletingSuffix.size() &&
                 c.compare(c.size() - internal::kDeletingSuffix.size(),
                           internal::kDeletingSuffix.size(), internal::kDeletingSuffix) == 0 &&
                 internal::ParseStep(c.substr(0, c.size() - internal::kDeletingSuffix.size()),
                                     name)) {
        // An interrupted deletion (or one a pin stopped): finish it unless pinned now. The
        // state file no longer lists the checkpoint (deletions follow the commit).
        std::string prefix = p.substr(0, p.size() - internal::kDeletingSuffix.size());
        if (internal::IsCheckpointPinnedIn(env_, prefix, children)) {
          CKPT_RETURN_IF_ERROR(env_->DeleteFile(p));
          pending_delete_.push_back(prefix);
        } else {
          if (env_->FileExists(prefix + ".index"))
            CKPT_RETURN_IF_ERROR(env_->DeleteFile(prefix + ".index"));
          CKPT_RETURN_IF_ERROR(internal::DeleteCheckpointRemains(env_, prefix, children));
          CKPT_RETURN_IF_ERROR(env_->DeleteFile(p));
        }
      }
    }
    children = internal::ListDir(env_, dir_);
  }

  auto state_or = GetCheckpointState(env_, dir_, options_.state_filename);
  std::optional<CheckpointState> state;
  bool state_usable = false;
  bool rewrite = false;
  if (state_or.ok()) {
    state = std::move(state_or).value();
    state_usable = state.has_value();
  } else if (IsDataLoss(state_or.status())) {
    rewrite = true;  // corrupt: rebuild it from the checkpoints present
  } else {
    return state_or.status();
  }

  std::lock_guard<std::mutex> l(mu_);
  last_preserved_timestamp_ = now;
  int64_t max_state_step = -1;
  if (state_usable) {
    const CheckpointState& st = *state;
    if (st.last_preserved_timestamp != 0) last_preserved_timestamp_ = st.last_preserved_timestamp;
    std::vector<std::string> paths = st.all_model_checkpoint_paths;
    std::vector<double> stamps = st.all_model_checkpoint_timestamps;
    if (paths.empty() || paths.back() != st.model_checkpoint_path) {
      paths.push_back(st.model_checkpoint_path);
      if (!stamps.empty()) stamps.push_back(now);
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < paths.size(); ++i) {
      // Entries naming this directory in another spelling (absolute vs. relative) use ours,
      // so that prefixes compare equal.
      std::string p = paths[i];
      std::string here = path::Normalize(path::Join(dir_, path::Basename(p)));
      std::string np = path::Normalize(p);
      if (np == here || (path::IsAbsolute(np) && !path::IsAbsolute(here) &&
                         np.size() > here.size() &&
                         np.compare(np.size() - here.size() - 1, here.size() + 1, "/" + here) == 0))
        p = path::Join(dir_, path::Basename(p));
      if (internal::ParseStep(path::Basename(p), name))
        max_state_step = std::max(max_state_step, *internal::ParseStep(path::Basename(p), name));
      auto step = internal::ParseStep(path::Basename(p));
      if (!seen.insert(p).second) continue;
      if (!internal::CheckpointExists(env_, p)) {
        rewrite = true;  // gone: drop it
        continue;
      }
      ManagedCheckpoint e;
      e.prefix = p;
      e.step = step.value_or(-1);
      if (i < stamps.size()) {
        e.timestamp = std::min(stamps[i], now);
      } else {
        auto mt = env_->GetModificationTime(env_->FileExists(p + ".index") ? p + ".index" : p);
        e.timestamp = mt.ok() ? std::min(*mt, now) : last_preserved_timestamp_;
      }
      // As TF: checkpoints not newer than the last preserved one are kept forever.
      if (st.last_preserved_timestamp != 0 && e.timestamp <= st.last_preserved_timestamp) {
        rewrite = true;
        continue;
      }
      if (auto mf = internal::ReadMetrics(env_, p)) e.metrics = mf->metrics;
      managed_.push_back(std::move(e));
    }
  }

  // Numbering continues after every checkpoint of ours present (preserved ones included).
  std::set<int64_t> indexed;
  for (const auto& c : children) {
    int64_t step;
    std::string_view rest;
    if (SplitEntry(c, name, &step, &rest) && rest == "index") indexed.insert(step);
  }
  last_step_ = -1;
  for (const auto& e : managed_) last_step_ = std::max(last_step_, e.step);
  if (!indexed.empty()) last_step_ = std::max(last_step_, *indexed.rbegin());

  // On a later load, TF (and we) treat entries not newer than last_preserved_timestamp as
  // preserved: keep it below every managed checkpoint (it may come from "now", or from a
  // state file without one, while the timestamps come from file times).
  auto keep_managed = [&] {
    for (const auto& e : managed_)
      if (e.timestamp <= last_preserved_timestamp_) last_preserved_timestamp_ = e.timestamp - 1;
  };
  keep_managed();
  if (!options_.recover_on_open) return Status::OK();

  // Leftovers of interrupted saves: temporary files, data without an index, companions of a
  // step newer than the state file's that never got its index.
  for (const auto& c : children) {
    int64_t step;
    std::string_view rest;
    if (!SplitEntry(c, name, &step, &rest)) continue;
    if (rest.substr(0, 4) == "pin.") continue;
    bool has_index = indexed.count(step) > 0;
    bool remove = false;
    if (LooksTemporary(rest)) {
      remove = true;
    } else if (!has_index && rest != "index") {
      if (rest.substr(0, 5) == "data-" || rest == internal::kMetricsSuffix) {
        remove = true;
      } else {
        // A companion (.meta) of a save that never got its index. Older ones may belong to
        // checkpoints TF deleted or preserved: left alone.
        remove = state_usable && step > max_state_step;
      }
    }
    if (remove) env_->DeleteFile(path::Join(dir_, c)).IgnoreError();
  }

  // Adopt complete checkpoints that a crash kept out of the state file.
  std::set<std::string> managed_set;
  for (const auto& e : managed_) managed_set.insert(e.prefix);
  for (int64_t step : indexed) {
    std::string prefix = PrefixForStep(step);
    if (managed_set.count(prefix)) continue;
    if (state_usable && step <= max_state_step) continue;  // preserved or foreign history
    // Only a checkpoint that fully verifies is adopted (listing still shows the others).
    if (!internal::CheckCheckpoint(env_, prefix, /*full_verify=*/true).ok()) continue;
    ManagedCheckpoint e;
    e.prefix = prefix;
    e.step = step;
    auto mt = env_->GetModificationTime(prefix + ".index");
    e.timestamp = mt.ok() ? std::min(*mt, now) : now;
    if (auto mf = internal::ReadMetrics(env_, prefix)) e.metrics = mf->metrics;
    managed_.push_back(std::move(e));
    rewrite = true;
  }
  // Deletions deferred by an earlier run (pinned checkpoints).
  {
    std::string file = path::Join(dir_, options_.state_filename + ".pending");
    if (env_->FileExists(file)) {
      auto text = env_->ReadFileToString(file);
      if (text.ok() && text->size() < (1u << 20)) {
        std::set<std::string> managed_now;
        for (const auto& e : managed_) managed_now.insert(e.prefix);
        size_t pos = 0;
        while (pos < text->size()) {
          size_t nl = text->find('\n', pos);
          if (nl == std::string::npos) nl = text->size();
          std::string base = text->substr(pos, nl - pos);
          pos = nl + 1;
          // Only our own checkpoints, and never one the state file still lists.
          if (!internal::ParseStep(base, name)) continue;
          std::string prefix = path::Join(dir_, base);
          if (!managed_now.count(prefix)) pending_delete_.push_back(prefix);
        }
      }
      if (pending_delete_.empty()) env_->DeleteFile(file).IgnoreError();
    }
  }
  keep_managed();
  if (rewrite && !managed_.empty() && lock_) {
    // Retention applies to adopted checkpoints too; the state file goes first.
    std::vector<std::string> preserved;
    std::vector<ManagedCheckpoint> remove = SelectForRemovalLocked(&preserved);
    CKPT_RETURN_IF_ERROR(WriteStateLocked());
    for (const auto& e : remove) pending_delete_.push_back(e.prefix);
  }
  return Status::OK();
}

std::string CheckpointManager::PrefixForStep(int64_t step) const {
  return path::Join(dir_, options_.checkpoint_name + "-" + std::to_string(step));
}

Status CheckpointManager::WriteStateLocked() {
  CheckpointState st;
  if (managed_.empty()) return Status::OK();
  st.model_checkpoint_path = managed_.back().prefix;
  for (const auto& e : managed_) {
    st.all_model_checkpoint_paths.push_back(e.prefix);
    st.all_model_checkpoint_timestamps.push_back(e.timestamp);
  }
  st.last_preserved_timestamp = last_preserved_timestamp_;
  return WriteCheckpointState(env_, dir_, st, options_.relative_paths, options_.state_filename,
                              options_.writer_options.sync);
}

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
    for (size_t i = 0; i < n; ++i) {
      auto it = managed_[i].metrics.find(options_.best_metric);
      if (it != managed_[i].metrics.end() && !std::isnan(it->second)) with_metric.push_back(i);
    }
    const bool max = options_.best_mode == MetricMode::kMax;
    std::stable_sort(with_metric.begin(), with_metric.end(), [&](size_t a, size_t b) {
      double va = managed_[a].metrics.at(options_.best_metric);
      double vb = managed_[b].metrics.at(options_.best_metric);
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

Env::SyncMode CheckpointManager::FileSync() const {
  return options_.writer_options.sync ? Env::SyncMode::kFile : Env::SyncMode::kNone;
}

Env::SyncMode CheckpointManager::FileDirSync() const {
  return options_.writer_options.sync ? Env::SyncMode::kFileAndDir : Env::SyncMode::kNone;
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
    std::lock_guard<std::mutex> l(mu_);
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
  std::lock_guard<std::mutex> l(mu_);
  for (auto& p : still)
    if (std::find(pending_delete_.begin(), pending_delete_.end(), p) == pending_delete_.end())
      pending_delete_.push_back(std::move(p));
  // Remember what is still to be deleted across restarts.
  first.Update(WritePendingLocked(pending_delete_, FileDirSync()));
  return first;
}

StatusOr<std::string> CheckpointManager::DoSave(int64_t step, const NamedTensors& tensors,
                                                const SaveOptions& options) {
  if (step < 0) return InvalidArgumentError("checkpoint step must be >= 0, got " +
                                            std::to_string(step));
  for (const auto& [k, v] : options.metrics)
    if (!internal::ValidMetricName(k))
      return InvalidArgumentError("bad metric name '" + k + "' (non-empty, no whitespace)");
  for (const auto& [suffix, bytes] : options.companion_files) {
    if (suffix.empty() || suffix.find('/') != std::string::npos || suffix == "index" ||
        suffix == internal::kMetricsSuffix || suffix.compare(0, 5, "data-") == 0 ||
        suffix.compare(0, 4, "pin.") == 0 || LooksTemporary(suffix) ||
        suffix.find("index.") == 0)
      return InvalidArgumentError("bad companion file suffix '" + suffix + "'");
  }
  std::set<std::string_view> names;
  for (const auto& [k, t] : tensors) {
    if (k.empty()) return InvalidArgumentError("cannot save a tensor with an empty name");
    if (!names.insert(k).second)
      return InvalidArgumentError("tensor name " + k + " given twice");
  }

  const std::string prefix = PrefixForStep(step);
  bool overwrite;
  {
    std::lock_guard<std::mutex> l(mu_);
    overwrite = std::any_of(managed_.begin(), managed_.end(),
                            [&](const auto& e) { return e.prefix == prefix; });
  }
  std::vector<std::string> written;
  // Removes what this save wrote: the index first, so nothing half-deleted is visible.
  auto cleanup = [&] {
    if (overwrite) return;
    if (env_->FileExists(prefix + ".index")) env_->DeleteFile(prefix + ".index").IgnoreError();
    for (const auto& d : internal::DataFilesOf(internal::ListDir(env_, dir_),
                                               path::Basename(prefix)))
      env_->DeleteFile(path::Join(dir_, d)).IgnoreError();
    for (const auto& f : written) env_->DeleteFile(f).IgnoreError();
  };

  // 1. Companion files and metrics, each atomically. Their renames become durable with the
  // bundle's directory sync (same directory, later).
  for (const auto& [suffix, bytes] : options.companion_files) {
    std::string f = prefix + "." + suffix;
    Status s = env_->AtomicWriteStringToFile(f, bytes, FileSync());
    if (!s.ok()) {
      cleanup();
      return s.WithContext("writing " + f);
    }
    written.push_back(f);
  }
  std::string metrics_file = prefix + "." + std::string(internal::kMetricsSuffix);
  if (!options.metrics.empty() || options_.keep_best > 0) {
    internal::MetricsFile mf;
    mf.metrics = options.metrics;
    if (options_.keep_best > 0) {
      mf.best_metric = options_.best_metric;
      mf.best_max = options_.best_mode == MetricMode::kMax;
    }
    Status s = env_->AtomicWriteStringToFile(metrics_file, internal::SerializeMetrics(mf),
                                             FileSync());
    if (!s.ok()) {
      cleanup();
      return s.WithContext("writing " + metrics_file);
    }
    written.push_back(metrics_file);
  } else if (env_->FileExists(metrics_file)) {
    Status s = env_->DeleteFile(metrics_file);
    if (!s.ok()) {
      cleanup();
      return s.WithContext("removing stale " + metrics_file);
    }
  }

  // 2. The bundle: data then index, each synced and renamed into place by the writer.
  {
    std::vector<const std::pair<std::string, Tensor>*> sorted;
    for (const auto& nt : tensors) sorted.push_back(&nt);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    auto writer = BundleWriter::Create(env_, prefix, options_.writer_options);
    Status s = writer.status();
    if (s.ok()) {
      for (const auto* nt : sorted) {
        s = (*writer)->Add(nt->first, nt->second);
        if (!s.ok()) break;
      }
      if (s.ok()) s = (*writer)->Finish();
      writer->reset();  // removes temporary files on failure
    }
    if (!s.ok()) {
      cleanup();
      return s.WithContext("saving checkpoint " + prefix);
    }
    written.push_back(prefix + ".index");
    written.push_back(BundleDataFilename(prefix, 0, 1));  // the writer's single shard
  }

  // 3. Commit: the state file.
  std::vector<ManagedCheckpoint> to_delete;
  {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<ManagedCheckpoint> old_managed = managed_;
    double old_preserved = last_preserved_timestamp_;
    managed_.erase(std::remove_if(managed_.begin(), managed_.end(),
                                  [&](const auto& e) { return e.prefix == prefix; }),
                   managed_.end());
    ManagedCheckpoint e;
    e.prefix = prefix;
    e.step = step;
    e.timestamp = env_->NowMicros() / 1e6;
    e.metrics = options.metrics;
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
      bool committed = on_disk.ok() && on_disk->has_value() &&
                       (*on_disk)->model_checkpoint_path == prefix;
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
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& e : to_delete)
      if (std::find(pending_delete_.begin(), pending_delete_.end(), e.prefix) ==
          pending_delete_.end())
        pending_delete_.push_back(e.prefix);
  }
  Status del = RetryPendingDeletions();
  // 5. TensorBoard scalars of the metrics (options_.summary_dir).
  Status summary;
  if (!options_.summary_dir.empty() && !options.metrics.empty()) {
    if (summary_ == nullptr) {
      auto w = SummaryWriter::Create(env_, options_.summary_dir, {.sync = FileSync() != Env::SyncMode::kNone});
      if (w.ok()) summary_ = std::move(*w);
      summary = w.status();
    }
    if (summary_ != nullptr) summary = summary_->AddScalars(options.metrics, step);
  }
  if (!del.ok())
    return del.WithContext("checkpoint " + prefix +
                           " was saved, but deleting an old checkpoint failed (will retry)");
  if (!summary.ok())
    return summary.WithContext("checkpoint " + prefix + " was saved, but writing its metrics to " +
                               options_.summary_dir + " failed");
  return prefix;
}

StatusOr<std::string> CheckpointManager::Save(int64_t step, const NamedTensors& tensors,
                                              const SaveOptions& options) {
  CKPT_RETURN_IF_ERROR(Wait());
  std::lock_guard<std::mutex> l(save_mu_);
  return DoSave(step, tensors, options);
}

Status CheckpointManager::SaveAsync(int64_t step, const NamedTensors& tensors,
                                    const SaveOptions& options) {
  // One submission at a time: the slot for the next background save is free after Wait().
  std::lock_guard<std::mutex> submit(submit_mu_);
  CKPT_RETURN_IF_ERROR(Wait());
  // A consistent snapshot, taken on the caller's thread. Buffers of the previous async save
  // are reused when names, dtypes and shapes match (no allocation, no page faults); new
  // buffers are not zero-filled, since they are overwritten right away.
  Snapshot snapshot;
  {
    std::lock_guard<std::mutex> l(async_mu_);
    std::swap(snapshot, snapshot_pool_);
  }
  bool reuse = snapshot.tensors.size() == tensors.size();
  for (size_t i = 0; reuse && i < tensors.size(); ++i) {
    const Tensor& a = tensors[i].second;
    const Tensor& b = snapshot.tensors[i].second;
    reuse = snapshot.tensors[i].first == tensors[i].first && a.dtype() == b.dtype() &&
            a.shape() == b.shape() && DataTypeIsPod(a.dtype());
  }
  if (!reuse) {
    snapshot = Snapshot();
    snapshot.tensors.reserve(tensors.size());
    for (const auto& [k, t] : tensors) {
      if (!t.valid()) return InvalidArgumentError("tensor " + k + " is not valid");
      if (!DataTypeIsPod(t.dtype())) {
        snapshot.tensors.emplace_back(k, t.Clone());
        continue;
      }
      size_t bytes = t.TotalBytes();
      std::shared_ptr<void> buf(std::aligned_alloc(64, std::max<size_t>(64, (bytes + 63) / 64 * 64)),
                                [](void* p) { std::free(p); });
      if (!buf)
        return ResourceExhaustedError("out of memory for the snapshot of tensor " + k + " (" +
                                      std::to_string(bytes) + " bytes)");
      CKPT_ASSIGN_OR_RETURN(Tensor view, Tensor::Borrow(t.dtype(), t.shape(), buf.get(), bytes));
      snapshot.tensors.emplace_back(k, std::move(view));
      snapshot.buffers.push_back(std::move(buf));
    }
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& src = tensors[i].second;
    Tensor& dst = snapshot.tensors[i].second;
    if (DataTypeIsPod(src.dtype()) && src.TotalBytes() > 0)
      ParallelCopy(dst.raw_data(), src.raw_data(), src.TotalBytes());
  }
  std::lock_guard<std::mutex> l(async_mu_);
  worker_ = std::jthread([this, step, snapshot = std::move(snapshot), options]() mutable {
    Status s;
    {
      std::lock_guard<std::mutex> sl(save_mu_);
      s = DoSave(step, snapshot.tensors, options).status();
    }
    std::lock_guard<std::mutex> al(async_mu_);
    async_error_.Update(s);
    snapshot_pool_ = std::move(snapshot);
  });
  return Status::OK();
}

Status CheckpointManager::Wait() {
  std::jthread w;
  {
    std::lock_guard<std::mutex> l(async_mu_);
    w = std::move(worker_);
  }
  if (w.joinable()) w.join();
  std::lock_guard<std::mutex> l(async_mu_);
  Status s = async_error_;
  async_error_ = Status::OK();
  return s;
}

StatusOr<bool> CheckpointManager::SaveIfPreempted(const PreemptionWatcher& watcher, int64_t step,
                                                  const NamedTensors& tensors,
                                                  const SaveOptions& options) {
  if (!watcher.requested()) return false;
  // The in-flight save finishes first; its error is superseded by this newer checkpoint.
  Wait().IgnoreError();
  CKPT_ASSIGN_OR_RETURN(std::string prefix, Save(step, tensors, options));
  (void)prefix;
  return true;
}

StatusOr<std::string> CheckpointManager::RestoreLatest(std::span<const RestoreTarget> targets,
                                                       const RestoreOptions& options,
                                                       RestoreReport* report) {
  LatestVerifiedOptions lo;
  lo.state_filename = options_.state_filename;
  CKPT_ASSIGN_OR_RETURN(std::string prefix, LatestVerifiedCheckpoint(env_, dir_, lo));
  Status s = RestoreFromCheckpoint(env_, prefix, targets, options, report);
  if (IsDataLoss(s)) {
    // Corrupt data behind a readable index: fall back to the newest fully verified one.
    lo.full_verify = true;
    CKPT_ASSIGN_OR_RETURN(std::string older, LatestVerifiedCheckpoint(env_, dir_, lo));
    if (older == prefix) return s;
    prefix = older;
    s = RestoreFromCheckpoint(env_, prefix, targets, options, report);
  }
  CKPT_RETURN_IF_ERROR(s);
  return prefix;
}

std::optional<std::string> CheckpointManager::latest_checkpoint() const {
  std::lock_guard<std::mutex> l(mu_);
  if (managed_.empty()) return std::nullopt;
  return managed_.back().prefix;
}

int64_t CheckpointManager::last_step() const {
  std::lock_guard<std::mutex> l(mu_);
  return last_step_;
}

std::vector<ManagedCheckpoint> CheckpointManager::checkpoints() const {
  std::lock_guard<std::mutex> l(mu_);
  return managed_;
}

std::optional<ManagedCheckpoint> CheckpointManager::best_checkpoint() const {
  std::lock_guard<std::mutex> l(mu_);
  if (options_.best_metric.empty()) return std::nullopt;
  const bool max = options_.best_mode == MetricMode::kMax;
  std::optional<ManagedCheckpoint> best;
  for (const auto& e : managed_) {
    auto it = e.metrics.find(options_.best_metric);
    if (it == e.metrics.end() || std::isnan(it->second)) continue;
    if (!best) {
      best = e;
      continue;
    }
    double b = best->metrics.at(options_.best_metric);
    if (max ? it->second >= b : it->second <= b) best = e;
  }
  return best;
}

double CheckpointManager::last_preserved_timestamp() const {
  std::lock_guard<std::mutex> l(mu_);
  return last_preserved_timestamp_;
}

std::vector<std::string> CheckpointManager::pending_deletions() const {
  std::lock_guard<std::mutex> l(mu_);
  return pending_delete_;
}

}  // namespace ckpt
