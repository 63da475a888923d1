#include "ckpt/checkpoint/checkpoint_dir.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "checkpoint/checkpoint_files.h"
#include "checkpoint/deletion.h"
#include "checkpoint/metrics_file.h"
#include "ckpt/format/bundle.h"

namespace ckpt {

namespace {

// JSON text of `j` as the CLI prints it (indented by 2; bytes that are not UTF-8, as in an
// odd file name, become U+FFFD so the output stays valid JSON).
std::string JsonText(const nlohmann::ordered_json& j) {
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::string FormatTime(double t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char b[32];
  std::strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return b;
}

void SleepSecs(double s) {
  if (s > 0) std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(s * 1e6)));
}

}  // namespace

StatusOr<std::vector<CheckpointDirEntry>> ScanCheckpointDir(Env* env, const std::string& dir,
                                                            std::string_view state_filename) {
  if (!env->IsDirectory(dir)) return NotFoundError("checkpoint directory " + dir + " not found");
  CKPT_ASSIGN_OR_RETURN(std::vector<std::string> children, env->GetChildren(dir));
  std::sort(children.begin(), children.end());
  std::map<std::string, CheckpointDirEntry> by_prefix;
  for (const auto& c : children) {
    if (c.size() > 6 && c.compare(c.size() - 6, 6, ".index") == 0) {
      CheckpointDirEntry e;
      e.prefix = path::Join(dir, c.substr(0, c.size() - 6));
      e.format = "V2";
      by_prefix[e.prefix] = e;
    }
  }
  auto state = GetCheckpointState(env, dir, state_filename);
  std::string latest;
  if (state.ok() && state->has_value()) {
    const CheckpointState& st = **state;
    latest = st.model_checkpoint_path;
    for (size_t i = 0; i < st.all_model_checkpoint_paths.size(); ++i) {
      const std::string& p = st.all_model_checkpoint_paths[i];
      auto it = by_prefix.find(p);
      if (it == by_prefix.end()) {
        if (!internal::CheckpointExists(env, p)) continue;
        CheckpointDirEntry e;
        e.prefix = p;
        e.format = env->FileExists(p + ".index") ? "V2" : "V1";
        it = by_prefix.emplace(p, e).first;
      }
      it->second.in_state = true;
      if (i < st.all_model_checkpoint_timestamps.size())
        it->second.timestamp = st.all_model_checkpoint_timestamps[i];
    }
    auto it = by_prefix.find(latest);
    if (it != by_prefix.end()) {
      it->second.latest = true;
      it->second.in_state = true;
    } else if (internal::CheckpointExists(env, latest)) {
      CheckpointDirEntry e;
      e.prefix = latest;
      e.format = env->FileExists(latest + ".index") ? "V2" : "V1";
      e.latest = e.in_state = true;
      by_prefix.emplace(latest, e);
    }
  }
  std::string best_metric;
  bool best_max = false;
  double best_ts = -1;
  for (auto& [p, e] : by_prefix) {
    e.step = internal::ParseStep(path::Basename(p)).value_or(-1);
    if (e.timestamp == 0) {
      auto m = env->GetModificationTime(e.format == "V2" ? p + ".index" : p);
      if (m.ok()) e.timestamp = *m;
    }
    e.size_bytes = internal::CheckpointSize(env, p, children);
    if (auto mf = internal::ReadMetrics(env, p)) {
      e.metrics = mf->metrics;
      if (!mf->best_metric.empty() && e.timestamp >= best_ts) {
        best_metric = mf->best_metric;
        best_max = mf->best_max;
        best_ts = e.timestamp;
      }
    }
  }
  std::vector<CheckpointDirEntry> out;
  for (auto& [p, e] : by_prefix) out.push_back(std::move(e));
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    if (a.step != b.step) return a.step < b.step;
    return a.timestamp < b.timestamp;
  });
  if (!best_metric.empty()) {
    CheckpointDirEntry* best = nullptr;
    for (auto& e : out) {
      auto it = e.metrics.find(best_metric);
      if (it == e.metrics.end() || std::isnan(it->second)) continue;
      if (!best) {
        best = &e;
        continue;
      }
      double b = best->metrics[best_metric];
      if (best_max ? it->second > b : it->second < b) best = &e;
    }
    if (best) best->best = true;
  }
  return out;
}

Status ListCheckpointDir(Env* env, const std::string& dir, std::ostream& out, bool json) {
  CKPT_ASSIGN_OR_RETURN(auto entries, ScanCheckpointDir(env, dir));
  if (json) {
    auto list = nlohmann::ordered_json::array();
    for (const auto& e : entries) {
      list.push_back({{"prefix", e.prefix},
                      {"step", e.step},
                      {"timestamp", e.timestamp},
                      {"size_bytes", e.size_bytes},
                      {"format", e.format},
                      {"metrics", e.metrics},  // NaN and infinities print as null
                      {"latest", e.latest},
                      {"best", e.best},
                      {"in_state", e.in_state}});
    }
    out << JsonText(list);
    return Status::OK();
  }
  out << "STEP\tTIME\tSIZE\tFORMAT\tMARKS\tPREFIX\tMETRICS\n";
  for (const auto& e : entries) {
    std::string marks;
    if (e.latest) marks += "latest";
    if (e.best) marks += marks.empty() ? "best" : ",best";
    if (!e.in_state) marks += marks.empty() ? "unlisted" : ",unlisted";
    if (marks.empty()) marks = "-";
    out << (e.step >= 0 ? std::to_string(e.step) : std::string("-")) << "\t"
        << FormatTime(e.timestamp) << "\t" << e.size_bytes << "\t" << e.format << "\t" << marks
        << "\t" << path::Basename(e.prefix) << "\t";
    bool first = true;
    for (const auto& [k, v] : e.metrics) {
      out << (first ? "" : ",") << k << "=" << FormatPythonFloat(v);
      first = false;
    }
    if (first) out << "-";
    out << "\n";
  }
  return Status::OK();
}

namespace {

Status VerifyOne(Env* env, const std::string& prefix) {
  return internal::CheckCheckpoint(env, prefix, /*full_verify=*/true);
}

}  // namespace

Status VerifyCheckpointDir(Env* env, const std::string& dir, std::ostream& out, bool json) {
  CKPT_ASSIGN_OR_RETURN(auto entries, ScanCheckpointDir(env, dir));
  Status first;
  auto list = nlohmann::ordered_json::array();
  for (const auto& e : entries) {
    Status s = VerifyOne(env, e.prefix);
    if (!s.ok())
      first.Update(
          DataLossError("checkpoint " + e.prefix + " failed verification: " + s.ToString()));
    if (json) {
      list.push_back(
          {{"prefix", e.prefix},
           {"step", e.step},
           {"ok", s.ok()},
           {"error", s.ok() ? nlohmann::ordered_json() : nlohmann::ordered_json(s.ToString())}});
    } else {
      out << path::Basename(e.prefix) << "\t" << (s.ok() ? std::string("ok") : s.ToString())
          << "\n";
    }
  }
  if (json) out << JsonText(list);
  if (entries.empty() && !json) out << "no checkpoints in " << dir << "\n";
  return first;
}

StatusOr<std::string> LatestVerifiedCheckpoint(Env* env, const std::string& dir,
                                               const LatestVerifiedOptions& options) {
  auto check = [&](const std::string& prefix) -> Status {
    return internal::CheckCheckpoint(env, prefix, options.full_verify);
  };
  std::string tried;
  auto state = GetCheckpointState(env, dir, options.state_filename);
  if (state.ok() && state->has_value()) {
    const std::string& latest = (*state)->model_checkpoint_path;
    Status s = check(latest);
    if (s.ok()) return latest;
    tried = latest;
  }
  auto entries = ScanCheckpointDir(env, dir, options.state_filename);
  if (!entries.ok()) return entries.status();
  // Newest first: by timestamp, then step (steps of different names do not compare).
  std::vector<CheckpointDirEntry> v = std::move(entries).value();
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    if (a.step != b.step) return a.step > b.step;
    return a.timestamp > b.timestamp;
  });
  for (const auto& e : v) {
    if (e.prefix == tried) continue;
    if (check(e.prefix).ok()) return e.prefix;
  }
  return NotFoundError("no readable checkpoint in " + dir);
}

// ---- pins -------------------------------------------------------------------------------

CheckpointPin::CheckpointPin(Env* env, std::string prefix, std::string pin_path,
                             std::unique_ptr<FileLock> lock)
    : env_(env),
      prefix_(std::move(prefix)),
      pin_path_(std::move(pin_path)),
      lock_(std::move(lock)) {}

CheckpointPin::~CheckpointPin() {
  // Remove the file while still holding the lock, so a deleter never sees it unlocked.
  env_->DeleteFile(pin_path_).IgnoreError();
  lock_.reset();
}

StatusOr<std::unique_ptr<CheckpointPin>> CheckpointPin::Acquire(Env* env,
                                                                const std::string& prefix) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t salt = std::random_device{}();
  std::string pin = prefix + std::string(internal::kPinMarker) + std::to_string(getpid()) + "." +
                    std::to_string(salt % 1000000) + "." + std::to_string(counter++);
  CKPT_ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, env->LockFile(pin));
  std::unique_ptr<CheckpointPin> result(new CheckpointPin(env, prefix, pin, std::move(lock)));
  // A deleter marks the checkpoint before checking pins and unmarks it if it finds one: while
  // marked, wait to see whether our pin stopped the deletion.
  const std::string marker = prefix + std::string(internal::kDeletingSuffix);
  for (int attempt = 0; attempt < 300; ++attempt) {
    if (!env->FileExists(marker)) {
      if (internal::CheckpointExists(env, prefix)) return result;
      break;
    }
    SleepSecs(0.01);
  }
  return NotFoundError("checkpoint " + prefix + " no longer exists (or is being deleted)");
}

bool internal::IsCheckpointPinnedIn(Env* env, const std::string& prefix,
                                    const std::vector<std::string>& children) {
  std::string dir = path::Dirname(prefix);
  std::string marker = path::Basename(prefix) + std::string(internal::kPinMarker);
  bool pinned = false;
  for (const auto& c : children) {
    if (c.compare(0, marker.size(), marker) != 0) continue;
    std::string p = path::Join(dir, c);
    auto lock = env->LockFile(p);
    if (lock.ok()) {
      // Nobody holds it: the reader died. Remove it while we hold the lock.
      env->DeleteFile(p).IgnoreError();
      continue;
    }
    pinned = true;
  }
  return pinned;
}

bool IsCheckpointPinned(Env* env, const std::string& prefix) {
  std::string dir = path::Dirname(prefix);
  return internal::IsCheckpointPinnedIn(env, prefix, internal::ListDir(env, dir));
}

// ---- iterator ----------------------------------------------------------------------------

CheckpointsIterator::CheckpointsIterator(Env* env, std::string dir,
                                         CheckpointsIteratorOptions options)
    : env_(env), dir_(std::move(dir)), options_(std::move(options)) {}

StatusOr<std::optional<PinnedCheckpoint>> CheckpointsIterator::Next() {
  if (last_yield_micros_ != 0 && options_.min_interval_secs > 0) {
    double since = (env_->NowMicros() - last_yield_micros_) / 1e6;
    SleepSecs(options_.min_interval_secs - since);
  }
  const uint64_t start = env_->NowMicros();
  while (true) {
    std::string latest;
    if (env_->IsDirectory(dir_)) {
      auto l = LatestVerifiedCheckpoint(env_, dir_, {.state_filename = options_.state_filename});
      if (l.ok()) {
        latest = *l;
      } else if (!IsNotFound(l.status())) {
        return l.status();
      }
    }
    if (!latest.empty() && latest != last_) {
      PinnedCheckpoint out;
      out.prefix = latest;
      out.step = internal::ParseStep(path::Basename(latest)).value_or(-1);
      bool ok = true;
      if (options_.pin) {
        auto pin = CheckpointPin::Acquire(env_, latest);
        if (pin.ok()) {
          out.pin = std::move(pin).value();
        } else if (IsNotFound(pin.status())) {
          ok = false;  // deleted meanwhile: look again
        } else {
          return pin.status();
        }
      }
      if (ok) {
        last_ = latest;
        last_yield_micros_ = env_->NowMicros();
        return std::optional<PinnedCheckpoint>(std::move(out));
      }
    }
    double waited = (env_->NowMicros() - start) / 1e6;
    if (options_.timeout_secs && waited >= *options_.timeout_secs)
      return std::optional<PinnedCheckpoint>();
    double sleep = options_.poll_interval_secs;
    if (options_.timeout_secs) sleep = std::min(sleep, *options_.timeout_secs - waited);
    SleepSecs(std::max(sleep, 0.001));
  }
}

}  // namespace ckpt
