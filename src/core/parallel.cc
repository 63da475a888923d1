#include "ckpt/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

namespace ckpt {

int HardwareConcurrency() {
  static const int n = [] {
#if defined(__linux__)
    // The CPUs this process may run on (taskset, a container's cpuset), not every CPU of the
    // machine: threads beyond them only take turns on the same cores.
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
      return CPU_COUNT(&set);
    }
#endif
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }();
  return n;
}

Status ParallelFor(int64_t n, int max_threads, const std::function<Status(int64_t)>& fn) {
  if (n <= 0) return Status();
  if (max_threads <= 0) max_threads = HardwareConcurrency();
  const int threads = static_cast<int>(std::min<int64_t>(n, max_threads));
  if (threads == 1) {
    for (int64_t i = 0; i < n; ++i) CKPT_RETURN_IF_ERROR(fn(i));
    return Status();
  }
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  int64_t first_failed = n;
  Status first_error;
  auto work = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      const int64_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= n) return;
      Status s = fn(i);
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (i < first_failed) {
          first_failed = i;
          first_error = std::move(s);
        }
        failed.store(true, std::memory_order_relaxed);
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return first_error;
}

}  // namespace ckpt
