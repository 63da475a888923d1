// Training-thread stall of CheckpointManager::SaveAsync vs. a synchronous Save of the same
// tensors (default ~1 GiB), in one run on one directory.
//
//   checkpoint_async_bench [--gib G] [--tensors N] [--rounds R] [--dir DIR] [--nosync]
//
// Prints, per round: the synchronous save time; the time SaveAsync blocks the caller (the
// snapshot copy; the first async save also allocates the snapshot buffers); the background
// save time. Target: steady-state stall <= 10% of the synchronous save.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "ckpt/checkpoint/checkpoint_manager.h"

using namespace ckpt;
using Clock = std::chrono::steady_clock;

namespace {

double Secs(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  double gib = 1.0;
  int num_tensors = 8;
  int rounds = 3;
  bool sync = true;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--gib")
      gib = std::atof(next().c_str());
    else if (a == "--tensors")
      num_tensors = std::atoi(next().c_str());
    else if (a == "--rounds")
      rounds = std::atoi(next().c_str());
    else if (a == "--dir")
      dir = next();
    else if (a == "--nosync")
      sync = false;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  bool own_dir = dir.empty();
  if (own_dir) {
    dir = (std::filesystem::temp_directory_path() /
           ("ckpt_async_bench_" + std::to_string(Env::Default()->NowMicros())))
              .string();
  }
  const int64_t total_floats = static_cast<int64_t>(gib * (1 << 30) / sizeof(float));
  const int64_t per = total_floats / num_tensors;
  NamedTensors vars;
  for (int t = 0; t < num_tensors; ++t) {
    Tensor x(DataType::kFloat, {per});
    auto f = x.flat<float>();
    for (int64_t i = 0; i < per; ++i)
      f[i] = static_cast<float>((i * 2654435761u + t) % 1000) * 0.001f;
    vars.emplace_back("layer_" + std::to_string(t) + "/kernel", x);
  }
  const double bytes = static_cast<double>(per) * num_tensors * sizeof(float);

  CheckpointManagerOptions o;
  o.max_to_keep = 2;
  o.writer_options.sync = sync;
  auto m = CheckpointManager::Open(Env::Default(), dir, o);
  if (!m.ok()) {
    std::fprintf(stderr, "%s\n", m.status().ToString().c_str());
    return 1;
  }
  std::printf("checkpoint_async_bench: %.3f GiB in %d tensors, dir %s, fsync %s\n",
              bytes / (1 << 30), num_tensors, dir.c_str(), sync ? "on" : "off");
  std::printf("%-6s %12s %14s %14s %14s\n", "round", "sync_save_s", "async_stall_s",
              "async_total_s", "stall/sync");
  std::vector<double> sync_times, stalls, ratios;
  int64_t step = 0;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    auto p = (*m)->Save(step++, vars);
    auto t1 = Clock::now();
    if (!p.ok()) {
      std::fprintf(stderr, "%s\n", p.status().ToString().c_str());
      return 1;
    }
    Status s = (*m)->SaveAsync(step++, vars);
    auto t2 = Clock::now();
    // The training thread would continue here; touch the variables as training does.
    vars[0].second.flat<float>()[0] += 1.0f;
    if (s.ok()) s = (*m)->Wait();
    auto t3 = Clock::now();
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    double sync_s = Secs(t0, t1), stall = Secs(t1, t2), total = Secs(t1, t3);
    std::printf("%-6d %12.3f %14.4f %14.3f %13.1f%%%s\n", r, sync_s, stall, total,
                100 * stall / sync_s, r == 0 ? "  (first async save allocates its buffers)" : "");
    if (r > 0 || rounds == 1) {
      sync_times.push_back(sync_s);
      stalls.push_back(stall);
      ratios.push_back(stall / sync_s);
    }
  }
  // Steady state: rounds after the first (whose async save allocates its buffers).
  double ratio = Median(stalls) / Median(sync_times);
  std::printf(
      "steady state (median of rounds 1..%d): sync save %.3f s (%.0f MiB/s), async "
      "stall %.4f s (%.0f MiB/s copied) = %.1f%% of sync (median per-round ratio "
      "%.1f%%; target <= 10%%): %s\n",
      std::max(rounds - 1, 1), Median(sync_times), bytes / (1 << 20) / Median(sync_times),
      Median(stalls), bytes / (1 << 20) / Median(stalls), 100 * ratio, 100 * Median(ratios),
      ratio <= 0.10 ? "MET" : "NOT MET");
  m->reset();
  if (own_dir) std::filesystem::remove_all(dir);
  return 0;
}
