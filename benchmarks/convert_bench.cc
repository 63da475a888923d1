// convert_bench: `ckpt convert` throughput (TF checkpoint -> safetensors, ConvertTensorFile)
// next to the raw file-system limit for the same bytes, measured in the same run.
//
//   convert_bench [--dir DIR] [--size-mib N] [--vars N] [--reps N]
//
// Writes a TF checkpoint of `--vars` float32 tensors (default 16) adding up to `--size-mib` MiB
// (default 1024) into DIR (default /tmp/ckpt_convert_bench), then runs both, `--reps` times
// (default 3) in alternating order, each after sync(2), and reports the fastest of each (GB = 1e9
// bytes; page cache warm for reads):
//   raw_copy  read(2) of the checkpoint's data file in 64 MiB chunks into one reused buffer and
//             write(2) to a new file + fsync: the least any converter must do
//   convert   ConvertTensorFile(TF -> .safetensors): index parse, every tensor read and its
//             CRC32C checked, written to a temporary file, fsync, rename
// and the ratio convert / raw_copy (throughput; target >= 0.5).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ckpt/core/crc32c.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/convert.h"

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int Fail(const ckpt::Status& s) {
  std::fprintf(stderr, "convert_bench: %s\n", s.ToString().c_str());
  return 1;
}

// Returns seconds, or a negative value on error.
double RawCopy(const std::string& from, const std::string& to) {
  const double t0 = Now();
  int in = open(from.c_str(), O_RDONLY);
  int out = open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0) return -1;
  static std::vector<char> buf(64 << 20);
  ssize_t n;
  while ((n = read(in, buf.data(), buf.size())) > 0) {
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buf.data() + done, n - done);
      if (w <= 0) return -1;
      done += w;
    }
  }
  if (n < 0 || fsync(out) != 0) return -1;
  close(in);
  close(out);
  return Now() - t0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = "/tmp/ckpt_convert_bench";
  int64_t size_mib = 1024, vars = 16, reps = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--dir")
      dir = argv[i + 1];
    else if (a == "--size-mib")
      size_mib = std::atoll(argv[i + 1]);
    else if (a == "--vars")
      vars = std::atoll(argv[i + 1]);
    else if (a == "--reps")
      reps = std::atoll(argv[i + 1]);
    else {
      std::fprintf(stderr,
                   "usage: convert_bench [--dir DIR] [--size-mib N] [--vars N] [--reps N]\n");
      return 2;
    }
  }
  ckpt::Env* env = ckpt::Env::Default();
  if (auto s = env->RecursivelyCreateDir(dir); !s.ok()) return Fail(s);
  const std::string prefix = dir + "/model";
  const int64_t per_var = size_mib * (1 << 20) / vars / 4;
  {
    auto w = ckpt::BundleWriter::Create(env, prefix, {.sync = false});
    if (!w.ok()) return Fail(w.status());
    std::mt19937 rng(1);
    for (int64_t v = 0; v < vars; ++v) {
      ckpt::Tensor t(ckpt::DataType::kFloat, {per_var});
      auto* p = t.data<uint32_t>();
      for (int64_t i = 0; i < per_var; ++i) p[i] = rng();
      if (auto s = (*w)->Add("layer_" + std::to_string(v) + "/kernel", t); !s.ok()) return Fail(s);
    }
    if (auto s = (*w)->Finish(); !s.ok()) return Fail(s);
  }
  const std::string data = ckpt::BundleDataFilename(prefix, 0, 1);
  const double bytes = static_cast<double>(per_var) * 4 * vars;
  double best_raw = 1e30, best_convert = 1e30;
  for (int64_t r = 0; r < reps; ++r) {
    // Each measurement starts with no dirty pages left by the previous one, and the order
    // alternates so neither always follows the other's write-back.
    for (int which = 0; which < 2; ++which) {
      sync();
      if ((which + r) % 2 == 0) {
        double raw = RawCopy(data, dir + "/raw_copy");
        if (raw < 0)
          return Fail(ckpt::InternalError(std::string("raw copy: ") + std::strerror(errno)));
        best_raw = std::min(best_raw, raw);
        env->DeleteFile(dir + "/raw_copy").IgnoreError();
      } else {
        const double t0 = Now();
        auto c = ckpt::ConvertTensorFile(env, prefix, dir + "/model.safetensors");
        if (!c.ok()) return Fail(c.status());
        best_convert = std::min(best_convert, Now() - t0);
        env->DeleteFile(dir + "/model.safetensors").IgnoreError();
      }
    }
  }
  std::printf("convert_bench: %.0f MiB in %lld tensors, best of %lld; crc32c %s\n",
              bytes / (1 << 20), static_cast<long long>(vars), static_cast<long long>(reps),
              ckpt::crc32c::HardwareAccelerated() ? "hardware" : "software");
  std::printf("  raw_copy  %6.2f GB/s (%.3f s)\n", bytes / best_raw / 1e9, best_raw);
  std::printf("  convert   %6.2f GB/s (%.3f s)\n", bytes / best_convert / 1e9, best_convert);
  std::printf("  convert / raw_copy = %.2fx (target >= 0.5x)\n", best_raw / best_convert);
  env->DeleteFile(prefix + ".index").IgnoreError();
  env->DeleteFile(data).IgnoreError();
  return 0;
}
