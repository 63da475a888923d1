#include "ckpt/checkpoint/preemption.h"

#include <atomic>

namespace ckpt {

namespace {

std::atomic<bool> g_installed{false};
volatile std::sig_atomic_t g_signal = 0;
// The dispositions to restore from inside the handler (written before installation).
constexpr int kMaxSignals = 8;
int g_signals[kMaxSignals];
struct sigaction g_previous[kMaxSignals];
int g_num_signals = 0;

extern "C" void PreemptionHandler(int sig) {
  if (g_signal == 0) g_signal = sig;
  // Restore the previous dispositions: a second signal is not intercepted.
  for (int i = 0; i < g_num_signals; ++i) sigaction(g_signals[i], &g_previous[i], nullptr);
}

}  // namespace

StatusOr<std::unique_ptr<PreemptionWatcher>> PreemptionWatcher::Install(
    const std::vector<int>& signals) {
  if (signals.empty() || signals.size() > kMaxSignals)
    return InvalidArgumentError("preemption watcher: between 1 and 8 signals are required");
  for (int s : signals)
    if (s <= 0 || s >= NSIG || s == SIGKILL || s == SIGSTOP)
      return InvalidArgumentError("preemption watcher: cannot handle signal " + std::to_string(s));
  bool expected = false;
  if (!g_installed.compare_exchange_strong(expected, true))
    return FailedPreconditionError("a preemption watcher is already installed");
  std::unique_ptr<PreemptionWatcher> w(new PreemptionWatcher);
  g_signal = 0;
  g_num_signals = 0;
  for (int s : signals) {
    struct sigaction sa {};
    sa.sa_handler = PreemptionHandler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    struct sigaction old {};
    g_signals[g_num_signals] = s;
    if (sigaction(s, nullptr, &g_previous[g_num_signals]) != 0) continue;
    ++g_num_signals;
    if (sigaction(s, &sa, &old) != 0) {
      --g_num_signals;
      continue;
    }
    w->signals_.push_back(s);
    w->previous_.push_back(old);
  }
  return w;
}

PreemptionWatcher::~PreemptionWatcher() {
  if (g_signal == 0) {
    for (size_t i = 0; i < signals_.size(); ++i) sigaction(signals_[i], &previous_[i], nullptr);
  }
  g_num_signals = 0;
  g_installed = false;
}

bool PreemptionWatcher::requested() const { return g_signal != 0; }
int PreemptionWatcher::signal() const { return g_signal; }

}  // namespace ckpt
