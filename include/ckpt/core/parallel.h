// Running independent pieces of work on several threads: the parallel shard writes of a
// BundleWriter, the chunked reads of a BundleReader and a restore's tensors.
//
// Threads are started for the call and joined before it returns (a checkpoint save or restore
// does milliseconds to seconds of I/O per call, so a pool would save nothing measurable and
// would keep threads alive in every program that links ckpt).
//
// Thread safety: the functions may be called concurrently; `fn` runs concurrently with itself
// and must synchronize what its invocations share.
#pragma once

#include <cstdint>
#include <functional>

#include "ckpt/core/status.h"

namespace ckpt {

// The number of hardware threads this process may run on (at least 1): on Linux the CPUs of
// its affinity mask (taskset, a container's cpuset), read once at the first call.
int HardwareConcurrency();

// Runs fn(i) for every i in [0, n), on min(n, max_threads) threads (the caller is one of
// them; max_threads <= 0 means HardwareConcurrency()). Items are handed out in increasing
// order. After an item fails, no new item starts; the error of the lowest failing index is
// returned (items that were already running finish first). OK when every item succeeded.
Status ParallelFor(int64_t n, int max_threads, const std::function<Status(int64_t)>& fn);

}  // namespace ckpt
