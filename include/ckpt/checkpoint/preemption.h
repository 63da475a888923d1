// PreemptionWatcher: opt-in handling of termination signals (SIGTERM, SIGINT by default) so a
// training loop can save before it exits (CheckpointManager::SaveIfPreempted).
//
// The signal handler only records the signal (async-signal-safe); the training thread polls
// requested() at a step boundary, saves, and exits. After the first signal the previous
// dispositions are restored, so a second signal acts as it would without the watcher (e.g. a
// second Ctrl-C kills the process).
//
// Example:
//   auto watcher = PreemptionWatcher::Install();
//   for (int64_t step = 0;; ++step) {
//     Train();
//     auto saved = mgr->SaveIfPreempted(**watcher, step, Variables());
//     if (!saved.ok()) return saved.status();
//     if (*saved) return Status::OK();  // checkpoint `step` is committed; exit
//   }
//
// Thread safety: at most one watcher is installed per process at a time; requested() and
// signal() may be called from any thread.
#pragma once

#include <csignal>
#include <memory>
#include <vector>

#include "ckpt/core/status.h"

namespace ckpt {

class PreemptionWatcher {
 public:
  // Installs handlers for `signals`. FailedPrecondition if a watcher is already installed;
  // InvalidArgument for an empty or invalid signal list.
  static StatusOr<std::unique_ptr<PreemptionWatcher>> Install(const std::vector<int>& signals = {
                                                                  SIGTERM, SIGINT});
  // Restores the previous handlers (if the first signal did not already).
  ~PreemptionWatcher();
  PreemptionWatcher(const PreemptionWatcher&) = delete;
  PreemptionWatcher& operator=(const PreemptionWatcher&) = delete;

  // True once one of the signals arrived.
  bool requested() const;
  // The signal received; 0 if none.
  int signal() const;

 private:
  PreemptionWatcher() = default;
  std::vector<int> signals_;
  std::vector<struct sigaction> previous_;
};

}  // namespace ckpt
