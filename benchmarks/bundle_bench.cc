// bundle_bench: checkpoint (TensorBundle) save/restore throughput and restore memory, next to
// the raw file-system limit for the same bytes and CRC32C speed.
//
//   bundle_bench [--dir DIR] [--size-mib N] [--vars N] [--reps N] [--best] [--json FILE]
//   bundle_bench --print-layout [--size-mib N] [--vars N]      (JSON [[name, [rows, cols]]...])
//
// The checkpoint is `--vars` float32 variables (default 300) of log-uniformly mixed sizes
// adding up to about `--size-mib` MiB (default 1024). Every measurement runs in a fresh child
// process (this program re-executed with --child MODE), so its peak RSS (VmHWM) is its own.
// Each is repeated `--reps` times (default 3; rounds of all modes, interleaved); the median
// is reported, or the fastest run with --best (wall and CPU time picked independently). sync(2)
// runs before each measurement so none inherits another's dirty pages.
//
// Wall-clock time gives the GB/s figures; the process CPU time of the same region is shown too
// (less sensitive to other load on a shared machine; it excludes time blocked on the disk).
// Measurements (GB = 1e9 bytes; the page cache is warm for reads: the files were just written):
//   save          BundleWriter Add x N + Finish, with fsync (BundleWriterOptions::sync = true)
//   save_nosync   the same without fsync (as TensorFlow's own writer, which does not sync)
//   save_sharded, save_sharded_nosync  the same with num_shards = 0: one data file per 256 MiB
//                 (at most one per hardware thread), written concurrently
//   restore       BundleReader::Open + Lookup of every tensor (checksums verified; tensors over
//                 32 MiB read in pieces on every hardware thread)
//   restore_into  BundleReader::LookupMany into tensors allocated before the clock starts, as
//                 when restoring into existing variables (checksums verified; concurrent)
//   restore_serial, restore_into_serial  the same with num_threads = 1
//   raw_write     write(2) of the same tensor buffers to one file + fsync
//   raw_write_nosync  the same without fsync
//   raw_read      read(2) of that file into freshly allocated buffers, one per tensor
//   raw_read_zeroed  the same into zero-filled buffers (the cost of allocating owned Tensors)
//   crc32c        crc32c::Value over a 256 MiB buffer, one core
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/crc32c.h"
#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/format/bundle.h"

namespace {

struct Config {
  std::string dir = "/tmp/ckpt_bundle_bench";
  int64_t size_mib = 1024;
  int vars = 300;
  int reps = 3;
  std::string json_path;
  bool best = false;  // report the fastest run instead of the median
};

struct VarSpec {
  std::string name;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t bytes() const { return rows * cols * 4; }
};

uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Deterministic layout: sizes log-uniform over a 1:4096 range, scaled to the total.
std::vector<VarSpec> Layout(const Config& c) {
  uint64_t rng = 12345;
  std::vector<double> weights(c.vars);
  double sum = 0;
  for (double& w : weights) {
    const double u = static_cast<double>(SplitMix(&rng) >> 11) / 9007199254740992.0;
    w = std::exp(u * std::log(4096.0));
    sum += w;
  }
  const int64_t total_elems = c.size_mib * 1024 * 1024 / 4;
  static constexpr int64_t kCols[] = {64, 128, 256, 512, 1024};
  std::vector<VarSpec> out;
  for (int i = 0; i < c.vars; ++i) {
    const int64_t elems =
        std::max<int64_t>(64, static_cast<int64_t>(total_elems * weights[i] / sum));
    int64_t cols = kCols[SplitMix(&rng) % 5];
    while (cols > 64 && elems / cols < 1) cols /= 2;
    VarSpec v;
    char name[64];
    std::snprintf(name, sizeof(name), "model/layer_%03d/%s", i / 3,
                  i % 3 == 0   ? "kernel"
                  : i % 3 == 1 ? "bias"
                               : "kernel/Adam");
    v.name = name;
    v.cols = cols;
    v.rows = std::max<int64_t>(1, elems / cols);
    out.push_back(v);
  }
  return out;
}

int64_t TotalBytes(const std::vector<VarSpec>& layout) {
  int64_t n = 0;
  for (const VarSpec& v : layout) n += v.bytes();
  return n;
}

std::vector<ckpt::Tensor> MakeTensors(const std::vector<VarSpec>& layout) {
  std::vector<ckpt::Tensor> out;
  uint64_t rng = 777;
  for (const VarSpec& v : layout) {
    ckpt::Tensor t(ckpt::DataType::kFloat, ckpt::TensorShape{v.rows, v.cols});
    auto* p = t.data<uint32_t>();
    const int64_t n = t.num_elements();
    for (int64_t i = 0; i < n; i += 2) {
      const uint64_t r = SplitMix(&rng);
      // Finite floats in +-[0.5, 1): random mantissa and sign.
      p[i] = (static_cast<uint32_t>(r) & 0x807fffffu) | 0x3f000000u;
      if (i + 1 < n) {
        p[i + 1] = (static_cast<uint32_t>(r >> 32) & 0x807fffffu) | 0x3f000000u;
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

int64_t ReadStatusKib(const char* field) {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  int64_t value = -1;
  const size_t n = std::strlen(field);
  while (std::fgets(line, sizeof(line), f)) {
    if (std::strncmp(line, field, n) == 0) value = std::atoll(line + n);
  }
  std::fclose(f);
  return value;
}

double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bundle_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const ckpt::Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

std::string CkptPrefix(const Config& c) { return c.dir + "/bench_ckpt"; }
std::string ShardedPrefix(const Config& c) { return c.dir + "/bench_sharded"; }
std::string RawPath(const Config& c) { return c.dir + "/bench_raw.bin"; }

// ---- child measurements: each prints
// "RESULT <seconds> <cpu_seconds> <bytes> <vmhwm_kib> <base_kib>" ----

// Wall-clock and process CPU time of the measured region.
struct Clock {
  double wall = Now();
  double cpu = CpuNow();
};

void Report(const Clock& start, int64_t bytes, int64_t base_kib) {
  const double seconds = Now() - start.wall;
  const double cpu = CpuNow() - start.cpu;
  std::printf("RESULT %.6f %.6f %lld %lld %lld\n", seconds, cpu, static_cast<long long>(bytes),
              static_cast<long long>(ReadStatusKib("VmHWM:")), static_cast<long long>(base_kib));
}

// shards: BundleWriterOptions::num_shards (1: TF's single data file, streamed; 0: one per
// 256 MiB up to the hardware threads, written concurrently).
void ChildSave(const Config& c, bool sync, int shards) {
  const auto layout = Layout(c);
  const auto tensors = MakeTensors(layout);
  const int64_t base = ReadStatusKib("VmRSS:");
  ckpt::Env* env = ckpt::Env::Default();
  const Clock t0;
  ckpt::BundleWriterOptions options;
  options.sync = sync;
  options.num_shards = shards;
  auto writer =
      ckpt::BundleWriter::Create(env, shards == 1 ? CkptPrefix(c) : ShardedPrefix(c), options);
  Check(writer.status(), "BundleWriter::Create");
  for (size_t i = 0; i < layout.size(); ++i) {
    Check((*writer)->Add(layout[i].name, tensors[i]), "BundleWriter::Add");
  }
  Check((*writer)->Finish(), "BundleWriter::Finish");
  Report(t0, TotalBytes(layout), base);
}

// threads: BundleReaderOptions::num_threads (0: every hardware thread; 1: sequential).
void ChildRestore(const Config& c, bool into, int threads) {
  const auto layout = Layout(c);
  ckpt::Env* env = ckpt::Env::Default();
  const int64_t base = ReadStatusKib("VmRSS:");
  std::vector<ckpt::Tensor> restored;
  restored.reserve(layout.size());
  if (into) {  // existing variables: allocated (and touched) before the restore starts
    for (const VarSpec& v : layout) {
      restored.emplace_back(ckpt::DataType::kFloat, ckpt::TensorShape{v.rows, v.cols});
    }
  }
  const Clock t0;
  ckpt::BundleReaderOptions options;
  options.num_threads = threads;
  auto reader = ckpt::BundleReader::Open(env, CkptPrefix(c), options);
  Check(reader.status(), "BundleReader::Open");
  if (into) {  // one call: tensors and pieces of large ones are read concurrently
    std::vector<std::pair<std::string, ckpt::Tensor*>> targets;
    for (size_t i = 0; i < layout.size(); ++i) targets.emplace_back(layout[i].name, &restored[i]);
    Check((*reader)->LookupMany(targets), "BundleReader::LookupMany");
  }
  for (size_t i = 0; i < layout.size() && !into; ++i) {
    const VarSpec& v = layout[i];
    {
      auto t = (*reader)->Lookup(v.name);
      Check(t.status(), "BundleReader::Lookup");
      restored.push_back(std::move(*t));
    }
  }
  int64_t bytes = 0;
  for (const ckpt::Tensor& t : restored) bytes += static_cast<int64_t>(t.TotalBytes());
  if (bytes != TotalBytes(layout)) Die("restored size mismatch");
  Report(t0, bytes, base);
}

void ChildRawWrite(const Config& c, bool sync) {
  const auto layout = Layout(c);
  const auto tensors = MakeTensors(layout);
  const int64_t base = ReadStatusKib("VmRSS:");
  const Clock t0;
  const int fd = ::open(RawPath(c).c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) Die("open " + RawPath(c) + ": " + std::strerror(errno));
  for (const ckpt::Tensor& t : tensors) {
    const char* p = static_cast<const char*>(t.raw_data());
    size_t left = t.TotalBytes();
    while (left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        Die(std::string("write: ") + std::strerror(errno));
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  if (sync && ::fsync(fd) != 0) Die(std::string("fsync: ") + std::strerror(errno));
  ::close(fd);
  Report(t0, TotalBytes(layout), base);
}

void ChildRawRead(const Config& c, bool zeroed) {
  const auto layout = Layout(c);
  const int64_t base = ReadStatusKib("VmRSS:");
  std::vector<std::unique_ptr<char[]>> buffers;
  const Clock t0;
  const int fd = ::open(RawPath(c).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die("open " + RawPath(c) + ": " + std::strerror(errno));
  int64_t total = 0;
  for (const VarSpec& v : layout) {
    // zeroed: value-initialised buffers, as an owned Tensor's storage is.
    buffers.emplace_back(zeroed ? new char[v.bytes()]() : new char[v.bytes()]);
    char* p = buffers.back().get();
    size_t left = v.bytes();
    while (left > 0) {
      const ssize_t n = ::read(fd, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) Die("short read of " + RawPath(c));
      p += n;
      left -= static_cast<size_t>(n);
    }
    total += v.bytes();
  }
  ::close(fd);
  Report(t0, total, base);
}

void ChildCrc() {
  const size_t n = 256u << 20;
  std::unique_ptr<char[]> buf(new char[n]);
  uint64_t rng = 99;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    const uint64_t r = SplitMix(&rng);
    std::memcpy(buf.get() + i, &r, 8);
  }
  const int64_t base = ReadStatusKib("VmRSS:");
  uint32_t crc = ckpt::crc32c::Value(buf.get(), n);  // warm-up
  const int passes = 8;
  const Clock t0;
  for (int i = 0; i < passes; ++i) crc ^= ckpt::crc32c::Value(buf.get(), n);
  if (crc == 0x12345678u) std::fprintf(stderr, "unlikely\n");  // keep the result alive
  Report(t0, static_cast<int64_t>(n) * passes, base);
}

// ---- parent ---------------------------------------------------------------------------------

struct Result {
  double seconds = 0;
  double cpu_seconds = 0;
  int64_t bytes = 0;
  int64_t hwm_kib = 0;
  int64_t base_kib = 0;
};

Result RunChild(const std::string& self, const Config& c, const std::string& mode) {
  int pipe_fd[2];
  if (::pipe(pipe_fd) != 0) Die("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {
    ::dup2(pipe_fd[1], STDOUT_FILENO);
    ::close(pipe_fd[0]);
    ::close(pipe_fd[1]);
    const std::string size = std::to_string(c.size_mib), vars = std::to_string(c.vars);
    const char* argv[] = {self.c_str(), "--child",    mode.c_str(), "--dir",      c.dir.c_str(),
                          "--size-mib", size.c_str(), "--vars",     vars.c_str(), nullptr};
    ::execv(self.c_str(), const_cast<char* const*>(argv));
    std::_Exit(127);
  }
  ::close(pipe_fd[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipe_fd[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(pipe_fd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Die("child " + mode + " failed");
  Result r;
  long long bytes = 0, hwm = 0, base = 0;
  const size_t pos = out.find("RESULT ");
  if (pos == std::string::npos ||
      std::sscanf(out.c_str() + pos, "RESULT %lf %lf %lld %lld %lld", &r.seconds, &r.cpu_seconds,
                  &bytes, &hwm, &base) != 5) {
    Die("child " + mode + " printed no result");
  }
  r.bytes = bytes;
  r.hwm_kib = hwm;
  r.base_kib = base;
  return r;
}

Result Summarize(std::vector<Result> rs, bool best) {
  std::sort(rs.begin(), rs.end(),
            [](const Result& a, const Result& b) { return a.seconds < b.seconds; });
  Result m = rs[best ? 0 : rs.size() / 2];
  std::vector<double> cpu;
  for (const Result& r : rs) cpu.push_back(r.cpu_seconds);
  std::sort(cpu.begin(), cpu.end());
  m.cpu_seconds = cpu[best ? 0 : cpu.size() / 2];
  for (const Result& r : rs) m.hwm_kib = std::max(m.hwm_kib, r.hwm_kib);
  return m;
}

int64_t FileBytes(const Config& c) {
  ckpt::Env* env = ckpt::Env::Default();
  int64_t total = 0;
  auto children = env->GetChildren(c.dir);
  if (!children.ok()) return -1;
  for (const std::string& name : *children) {
    if (name.rfind("bench_ckpt.", 0) == 0) {
      auto size = env->GetFileSize(c.dir + "/" + name);
      if (size.ok()) total += static_cast<int64_t>(*size);
    }
  }
  return total;
}

void RemoveBenchFiles(const Config& c) {
  ckpt::Env* env = ckpt::Env::Default();
  auto children = env->GetChildren(c.dir);
  if (!children.ok()) return;
  for (const std::string& name : *children) {
    if (name.rfind("bench_", 0) == 0) env->DeleteFile(c.dir + "/" + name).IgnoreError();
  }
}

int Main(int argc, char** argv) {
  Config c;
  std::string child;
  bool print_layout = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value after " + std::string(a));
      return argv[++i];
    };
    if (a == "--dir")
      c.dir = next();
    else if (a == "--size-mib")
      c.size_mib = std::atoll(next().c_str());
    else if (a == "--vars")
      c.vars = std::atoi(next().c_str());
    else if (a == "--reps")
      c.reps = std::atoi(next().c_str());
    else if (a == "--json")
      c.json_path = next();
    else if (a == "--child")
      child = next();
    else if (a == "--print-layout")
      print_layout = true;
    else if (a == "--best")
      c.best = true;
    else
      Die("unknown argument " + std::string(a) +
          "\nusage: bundle_bench [--dir DIR] [--size-mib N] [--vars N] [--reps N] "
          "[--json FILE] [--best] [--print-layout]");
  }
  if (c.size_mib < 1 || c.vars < 1 || c.reps < 1) Die("sizes must be positive");

  if (print_layout) {
    std::printf("[");
    const auto layout = Layout(c);
    for (size_t i = 0; i < layout.size(); ++i) {
      std::printf("%s[\"%s\", [%lld, %lld]]", i ? ", " : "", layout[i].name.c_str(),
                  static_cast<long long>(layout[i].rows), static_cast<long long>(layout[i].cols));
    }
    std::printf("]\n");
    return 0;
  }
  if (child == "save")
    ChildSave(c, true, 1);
  else if (child == "save_nosync")
    ChildSave(c, false, 1);
  else if (child == "save_sharded")
    ChildSave(c, true, 0);
  else if (child == "save_sharded_nosync")
    ChildSave(c, false, 0);
  else if (child == "restore")
    ChildRestore(c, false, 0);
  else if (child == "restore_into")
    ChildRestore(c, true, 0);
  else if (child == "restore_serial")
    ChildRestore(c, false, 1);
  else if (child == "restore_into_serial")
    ChildRestore(c, true, 1);
  else if (child == "raw_write")
    ChildRawWrite(c, true);
  else if (child == "raw_write_nosync")
    ChildRawWrite(c, false);
  else if (child == "raw_read")
    ChildRawRead(c, false);
  else if (child == "raw_read_zeroed")
    ChildRawRead(c, true);
  else if (child == "crc32c")
    ChildCrc();
  else if (!child.empty())
    Die("unknown child mode " + child);
  if (!child.empty()) return 0;

  Check(ckpt::Env::Default()->RecursivelyCreateDir(c.dir), "create dir");
  RemoveBenchFiles(c);
  const std::string self = "/proc/self/exe";
  char resolved[4096];
  const ssize_t len = ::readlink(self.c_str(), resolved, sizeof(resolved) - 1);
  if (len <= 0) Die("readlink /proc/self/exe failed");
  resolved[len] = '\0';

  const auto layout = Layout(c);
  std::fprintf(stderr, "bundle_bench: %d float32 variables, %.1f MiB, dir %s, %d reps\n", c.vars,
               TotalBytes(layout) / 1048576.0, c.dir.c_str(), c.reps);
  // Order: each read follows the write of its file (warm page cache for both reads).
  const char* modes[] = {"save_nosync",
                         "save",
                         "restore",
                         "restore_into",
                         "restore_serial",
                         "restore_into_serial",
                         "save_sharded_nosync",
                         "save_sharded",
                         "raw_write_nosync",
                         "raw_write",
                         "raw_read",
                         "raw_read_zeroed",
                         "crc32c"};
  // Repetitions are interleaved (every mode once per round) so that each mode sees the same
  // mix of conditions on a shared machine.
  constexpr size_t kNumModes = sizeof(modes) / sizeof(modes[0]);
  std::vector<std::vector<Result>> runs(kNumModes);
  for (int r = 0; r < c.reps; ++r) {
    for (size_t m = 0; m < kNumModes; ++m) {
      // Start every measurement with no dirty pages left by the previous one (the page cache
      // itself stays warm).
      ::sync();
      runs[m].push_back(RunChild(resolved, c, modes[m]));
    }
  }
  std::vector<std::pair<std::string, Result>> results;
  for (size_t m = 0; m < kNumModes; ++m) results.emplace_back(modes[m], Summarize(runs[m], c.best));
  const int64_t ckpt_bytes = FileBytes(c);

  std::printf("%-17s %9s %8s %9s %8s %12s %14s\n", "measurement", "seconds", "GB/s", "cpu s",
              "cpu GB/s", "peak RSS MiB", "RSS/ckpt size");
  for (const auto& [mode, r] : results) {
    std::printf("%-17s %9.3f %8.2f %9.3f %8.2f %12.1f %14.3f\n", mode.c_str(), r.seconds,
                r.bytes / r.seconds / 1e9, r.cpu_seconds, r.bytes / r.cpu_seconds / 1e9,
                r.hwm_kib / 1024.0, r.hwm_kib * 1024.0 / ckpt_bytes);
  }
  std::printf(
      "checkpoint files: %lld bytes (%.1f MiB); page cache warm for reads; "
      "GB = 1e9 bytes\n",
      static_cast<long long>(ckpt_bytes), ckpt_bytes / 1048576.0);

  if (!c.json_path.empty()) {
    std::string json =
        "{\"ckpt_bytes\": " + std::to_string(ckpt_bytes) +
        ", \"tensor_bytes\": " + std::to_string(TotalBytes(layout)) +
        ", \"crc32c_hardware\": " + (ckpt::crc32c::HardwareAccelerated() ? "true" : "false") +
        ", \"results\": {";
    bool first = true;
    for (const auto& [mode, r] : results) {
      char buf[512];
      std::snprintf(buf, sizeof(buf),
                    "%s\"%s\": {\"seconds\": %.6f, \"cpu_seconds\": %.6f, \"bytes\": %lld, "
                    "\"gb_per_s\": %.4f, \"cpu_gb_per_s\": %.4f, \"peak_rss_kib\": %lld, "
                    "\"base_rss_kib\": %lld}",
                    first ? "" : ", ", mode.c_str(), r.seconds, r.cpu_seconds,
                    static_cast<long long>(r.bytes), r.bytes / r.seconds / 1e9,
                    r.bytes / r.cpu_seconds / 1e9, static_cast<long long>(r.hwm_kib),
                    static_cast<long long>(r.base_kib));
      json += buf;
      first = false;
    }
    json += "}}\n";
    Check(ckpt::Env::Default()->WriteStringToFile(c.json_path, json), "write json");
  }
  RemoveBenchFiles(c);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
