// CheckpointManager::Recover: what opening a directory does after a crash or another writer.
// Phases, in order: finish interrupted state-file writes and deletions; load the state file's
// entries; continue the step numbering; remove leftovers of interrupted saves; adopt complete
// checkpoints a crash kept out of the state file; reload deletions deferred by pins; apply
// retention to what was adopted.
#include <algorithm>
#include <set>

#include "checkpoint/checkpoint_files.h"
#include "checkpoint/deletion.h"
#include "checkpoint/metrics_file.h"
#include "ckpt/checkpoint/checkpoint_manager.h"

namespace ckpt {

Status CheckpointManager::FinishInterruptedWrites(const std::vector<std::string>& children) {
  const std::string& name = options_.checkpoint_name;
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
        MutexLock l(mu_);
        pending_delete_.push_back(prefix);
      } else {
        if (env_->FileExists(prefix + ".index"))
          CKPT_RETURN_IF_ERROR(env_->DeleteFile(prefix + ".index"));
        CKPT_RETURN_IF_ERROR(internal::DeleteCheckpointRemains(env_, prefix, children));
        CKPT_RETURN_IF_ERROR(env_->DeleteFile(p));
      }
    }
  }
  return Status::OK();
}

void CheckpointManager::LoadStateEntriesLocked(const CheckpointState& st, double now, bool* rewrite,
                                               int64_t* max_state_step) {
  const std::string& name = options_.checkpoint_name;
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
    if (np == here || (path::IsAbsolute(np) && !path::IsAbsolute(here) && np.size() > here.size() &&
                       np.compare(np.size() - here.size() - 1, here.size() + 1, "/" + here) == 0))
      p = path::Join(dir_, path::Basename(p));
    if (internal::ParseStep(path::Basename(p), name))
      *max_state_step = std::max(*max_state_step, *internal::ParseStep(path::Basename(p), name));
    auto step = internal::ParseStep(path::Basename(p));
    if (!seen.insert(p).second) continue;
    if (!internal::CheckpointExists(env_, p)) {
      *rewrite = true;  // gone: drop it
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
      *rewrite = true;
      continue;
    }
    if (auto mf = internal::ReadMetrics(env_, p)) e.metrics = mf->metrics;
    managed_.push_back(std::move(e));
  }
}

void CheckpointManager::RemoveSaveLeftovers(const std::vector<std::string>& children,
                                            const std::set<int64_t>& indexed, bool state_usable,
                                            int64_t max_state_step) {
  for (const auto& c : children) {
    int64_t step;
    std::string_view rest;
    if (!internal::SplitEntry(c, options_.checkpoint_name, &step, &rest)) continue;
    if (rest.substr(0, 4) == "pin.") continue;
    bool has_index = indexed.count(step) > 0;
    bool remove = false;
    if (internal::LooksTemporary(rest)) {
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
}

bool CheckpointManager::AdoptUnlistedLocked(const std::set<int64_t>& indexed, double now,
                                            bool state_usable, int64_t max_state_step) {
  bool adopted = false;
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
    adopted = true;
  }
  return adopted;
}

void CheckpointManager::LoadPendingDeletionsLocked() {
  std::string file = path::Join(dir_, options_.state_filename + ".pending");
  if (!env_->FileExists(file)) return;
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
      if (!internal::ParseStep(base, options_.checkpoint_name)) continue;
      std::string prefix = path::Join(dir_, base);
      if (!managed_now.count(prefix)) pending_delete_.push_back(prefix);
    }
  }
  if (pending_delete_.empty()) env_->DeleteFile(file).IgnoreError();
}

// On a later load, TF (and we) treat entries not newer than last_preserved_timestamp as
// preserved: keep it below every managed checkpoint (it may come from "now", or from a state
// file without one, while the timestamps come from file times).
void CheckpointManager::KeepPreservedTimestampBelowManagedLocked() {
  for (const auto& e : managed_) {
    if (e.timestamp <= last_preserved_timestamp_) last_preserved_timestamp_ = e.timestamp - 1;
  }
}

Status CheckpointManager::Recover() {
  std::vector<std::string> children = internal::ListDir(env_, dir_);
  const double now = env_->NowMicros() / 1e6;

  if (options_.recover_on_open) {
    CKPT_RETURN_IF_ERROR(FinishInterruptedWrites(children));
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

  MutexLock l(mu_);
  last_preserved_timestamp_ = now;
  int64_t max_state_step = -1;
  if (state_usable) LoadStateEntriesLocked(*state, now, &rewrite, &max_state_step);

  // Numbering continues after every checkpoint of ours present (preserved ones included).
  std::set<int64_t> indexed;
  for (const auto& c : children) {
    int64_t step;
    std::string_view rest;
    if (internal::SplitEntry(c, options_.checkpoint_name, &step, &rest) && rest == "index")
      indexed.insert(step);
  }
  last_step_ = -1;
  for (const auto& e : managed_) last_step_ = std::max(last_step_, e.step);
  if (!indexed.empty()) last_step_ = std::max(last_step_, *indexed.rbegin());

  KeepPreservedTimestampBelowManagedLocked();
  if (!options_.recover_on_open) return Status::OK();

  // Leftovers of interrupted saves: temporary files, data without an index, companions of a
  // step newer than the state file's that never got its index.
  RemoveSaveLeftovers(children, indexed, state_usable, max_state_step);
  // Complete checkpoints that a crash kept out of the state file.
  if (AdoptUnlistedLocked(indexed, now, state_usable, max_state_step)) rewrite = true;
  // Deletions deferred by an earlier run (pinned checkpoints).
  LoadPendingDeletionsLocked();
  KeepPreservedTimestampBelowManagedLocked();
  if (rewrite && !managed_.empty() && lock_) {
    // Retention applies to adopted checkpoints too; the state file goes first.
    std::vector<std::string> preserved;
    std::vector<ManagedCheckpoint> remove = SelectForRemovalLocked(&preserved);
    CKPT_RETURN_IF_ERROR(WriteStateLocked());
    for (const auto& e : remove) pending_delete_.push_back(e.prefix);
  }
  return Status::OK();
}

}  // namespace ckpt
