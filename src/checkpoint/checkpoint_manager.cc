#include "ckpt/checkpoint/checkpoint_manager.h"
#include "ckpt/core/thread_annotations.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>

#include "checkpoint/checkpoint_files.h"
#include "checkpoint/deletion.h"
#include "checkpoint/metrics_file.h"
#include "ckpt/checkpoint/checkpoint_dir.h"
#include "ckpt/checkpoint/preemption.h"
#include "ckpt/checkpoint/summary_writer.h"
#include "ckpt/core/parallel.h"

namespace ckpt {

namespace {

// Copies `src` into `dst` (same size) with a few threads for large buffers.
void ParallelCopy(void* dst, const void* src, size_t n) {
  constexpr size_t kChunk = size_t{32} << 20;
  if (n < 2 * kChunk) {
    std::memcpy(dst, src, n);
    return;
  }
  const unsigned threads = static_cast<unsigned>(std::clamp(HardwareConcurrency(), 1, 8));
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

// The arguments of a save, checked before anything is written.
Status CheckSaveRequest(int64_t step, const NamedTensors& tensors, const SaveOptions& options) {
  if (step < 0)
    return InvalidArgumentError("checkpoint step must be >= 0, got " + std::to_string(step));
  for (const auto& [k, v] : options.metrics)
    if (!internal::ValidMetricName(k))
      return InvalidArgumentError("bad metric name '" + k + "' (non-empty, no whitespace)");
  for (const auto& [suffix, bytes] : options.companion_files) {
    if (suffix.empty() || suffix.find('/') != std::string::npos || suffix == "index" ||
        suffix == internal::kMetricsSuffix || suffix.compare(0, 5, "data-") == 0 ||
        suffix.compare(0, 4, "pin.") == 0 || internal::LooksTemporary(suffix) ||
        suffix.find("index.") == 0)
      return InvalidArgumentError("bad companion file suffix '" + suffix + "'");
  }
  std::set<std::string_view> names;
  for (const auto& [k, t] : tensors) {
    if (k.empty()) return InvalidArgumentError("cannot save a tensor with an empty name");
    if (!names.insert(k).second) return InvalidArgumentError("tensor name " + k + " given twice");
  }
  return Status::OK();
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
  CKPT_RETURN_IF_ERROR(
      env->RecursivelyCreateDir(dir).WithContext("creating checkpoint directory " + dir));
  std::unique_ptr<CheckpointManager> m(new CheckpointManager(env, dir, options));
  if (options.lock_directory) {
    std::string lock_path = path::Join(dir, options.state_filename + ".lock");
    auto lock = env->LockFile(lock_path);
    if (!lock.ok())
      return FailedPreconditionError("checkpoint directory " + dir +
                                     " is in use by another CheckpointManager (lock file " +
                                     lock_path + "): " + std::string(lock.status().message()));
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

Env::SyncMode CheckpointManager::FileSync() const {
  return options_.writer_options.sync ? Env::SyncMode::kFile : Env::SyncMode::kNone;
}

Env::SyncMode CheckpointManager::FileDirSync() const {
  return options_.writer_options.sync ? Env::SyncMode::kFileAndDir : Env::SyncMode::kNone;
}

StatusOr<int> CheckpointManager::WriteTensorBundle(const std::string& prefix,
                                                   const NamedTensors& tensors) {
  std::vector<const std::pair<std::string, Tensor>*> sorted;
  for (const auto& nt : tensors) sorted.push_back(&nt);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  // On failure the writer's destructor removes its temporary files.
  CKPT_ASSIGN_OR_RETURN(auto writer, BundleWriter::Create(env_, prefix, options_.writer_options));
  for (const auto* nt : sorted) CKPT_RETURN_IF_ERROR(writer->Add(nt->first, nt->second));
  CKPT_RETURN_IF_ERROR(writer->Finish());
  return writer->num_shards();
}

StatusOr<std::string> CheckpointManager::DoSave(int64_t step, const NamedTensors& tensors,
                                                const SaveOptions& options) {
  CKPT_RETURN_IF_ERROR(CheckSaveRequest(step, tensors, options));
  return DoSaveWith(
      step, [&](const std::string& prefix) { return WriteTensorBundle(prefix, tensors); }, options);
}

StatusOr<std::string> CheckpointManager::DoSaveWith(
    int64_t step, const std::function<StatusOr<int>(const std::string& prefix)>& write_bundle,
    const SaveOptions& options) {
  CKPT_RETURN_IF_ERROR(CheckSaveRequest(step, {}, options));

  const std::string prefix = PrefixForStep(step);
  bool overwrite;
  {
    MutexLock l(mu_);
    overwrite = std::any_of(managed_.begin(), managed_.end(),
                            [&](const auto& e) { return e.prefix == prefix; });
  }
  std::vector<std::string> written;
  // Removes what this save wrote: the index first, so nothing half-deleted is visible.
  auto cleanup = [&] {
    if (overwrite) return;
    if (env_->FileExists(prefix + ".index")) env_->DeleteFile(prefix + ".index").IgnoreError();
    for (const auto& d :
         internal::DataFilesOf(internal::ListDir(env_, dir_), path::Basename(prefix)))
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
    Status s =
        env_->AtomicWriteStringToFile(metrics_file, internal::SerializeMetrics(mf), FileSync());
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

  // 2. The bundle: data then index, each synced and renamed into place by `write_bundle`.
  {
    StatusOr<int> shards = write_bundle(prefix);
    Status s = shards.status();
    if (!s.ok()) {
      cleanup();
      return s.WithContext("saving checkpoint " + prefix);
    }
    const int num_shards = *shards;
    written.push_back(prefix + ".index");
    std::set<std::string> data_files;
    for (int i = 0; i < num_shards; ++i) {
      written.push_back(BundleDataFilename(prefix, i, num_shards));
      data_files.insert(path::Basename(written.back()));
    }
    // Replacing a step saved with another shard count: its data files are no longer indexed.
    for (const auto& d :
         internal::DataFilesOf(internal::ListDir(env_, dir_), path::Basename(prefix))) {
      if (!data_files.count(d)) env_->DeleteFile(path::Join(dir_, d)).IgnoreError();
    }
  }

  // 3. Commit (the state file) and 4. retention.
  return CommitSave(prefix, step, options.metrics, cleanup);
}

Status CheckpointManager::RecordMetricsSummary(int64_t step,
                                               const std::map<std::string, double>& metrics) {
  if (options_.summary_dir.empty() || metrics.empty()) return Status::OK();
  if (summary_ == nullptr) {
    auto w = SummaryWriter::Create(env_, options_.summary_dir,
                                   {.sync = FileSync() != Env::SyncMode::kNone});
    if (!w.ok()) return w.status();
    summary_ = std::move(*w);
  }
  return summary_->AddScalars(metrics, step);
}

StatusOr<std::string> CheckpointManager::Save(int64_t step, const NamedTensors& tensors,
                                              const SaveOptions& options) {
  CKPT_RETURN_IF_ERROR(Wait());
  MutexLock l(save_mu_);
  return DoSave(step, tensors, options);
}

StatusOr<std::string> CheckpointManager::SaveWith(
    int64_t step, const std::function<Status(const std::string& prefix)>& write_bundle,
    const SaveOptions& options) {
  if (!write_bundle) return InvalidArgumentError("SaveWith: no bundle writer given");
  CKPT_RETURN_IF_ERROR(Wait());
  MutexLock l(save_mu_);
  return DoSaveWith(
      step,
      [&](const std::string& prefix) -> StatusOr<int> {
        CKPT_RETURN_IF_ERROR(write_bundle(prefix));
        if (!env_->FileExists(BundleIndexFilename(prefix)))
          return InternalError("the bundle writer left no " + BundleIndexFilename(prefix));
        // The index says how many data files the new bundle has (older ones are stale).
        CKPT_ASSIGN_OR_RETURN(auto reader, BundleReader::Open(env_, prefix));
        return reader->num_shards();
      },
      options);
}

Status CheckpointManager::SaveAsync(int64_t step, const NamedTensors& tensors,
                                    const SaveOptions& options) {
  // One submission at a time: the slot for the next background save is free after Wait().
  MutexLock submit(submit_mu_);
  CKPT_RETURN_IF_ERROR(Wait());
  // A consistent snapshot, taken on the caller's thread. Buffers of the previous async save
  // are reused when names, dtypes and shapes match (no allocation, no page faults); new
  // buffers are not zero-filled, since they are overwritten right away.
  Snapshot snapshot;
  {
    MutexLock l(async_mu_);
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
      std::shared_ptr<void> buf(
          std::aligned_alloc(64, std::max<size_t>(64, (bytes + 63) / 64 * 64)),
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
  MutexLock l(async_mu_);
  worker_ = std::jthread([this, step, snapshot = std::move(snapshot), options]() mutable {
    Status s;
    {
      MutexLock sl(save_mu_);
      s = DoSave(step, snapshot.tensors, options).status();
    }
    MutexLock al(async_mu_);
    async_error_.Update(s);
    snapshot_pool_ = std::move(snapshot);
  });
  return Status::OK();
}

Status CheckpointManager::Wait() {
  std::jthread w;
  {
    MutexLock l(async_mu_);
    w = std::move(worker_);
  }
  if (w.joinable()) w.join();
  MutexLock l(async_mu_);
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
  MutexLock l(mu_);
  if (managed_.empty()) return std::nullopt;
  return managed_.back().prefix;
}

int64_t CheckpointManager::last_step() const {
  MutexLock l(mu_);
  return last_step_;
}

std::vector<ManagedCheckpoint> CheckpointManager::checkpoints() const {
  MutexLock l(mu_);
  return managed_;
}

std::optional<ManagedCheckpoint> CheckpointManager::best_checkpoint() const {
  MutexLock l(mu_);
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
  MutexLock l(mu_);
  return last_preserved_timestamp_;
}

std::vector<std::string> CheckpointManager::pending_deletions() const {
  MutexLock l(mu_);
  return pending_delete_;
}

}  // namespace ckpt
