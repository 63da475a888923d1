// Distributed checkpoint throughput against raw parallel file I/O by the same ranks, and the
// bytes a resharding restore reads. Run by benchmarks/dist_bench.py under mpirun, which
// interleaves rank counts and rounds and prints medians; one run prints one JSON line (rank 0):
//
//   mpirun -np N dist_bench io DIR TOTAL_MIB [ROUND [cold]]
//     The model is one float32 tensor of TOTAL_MIB MiB, rows of 1 MiB, partitioned by rows over
//     the N ranks. Times (seconds, barrier to barrier, all ranks): `save` (a
//     DistributedCheckpointManager save with TF's durability: no fsync), `raw_write` (each
//     rank write(2)s its bytes to its own file), `restore` (each rank restores its rows into
//     a fresh buffer, checksums verified) and `raw_read` (each rank read(2)s its file into a
//     fresh buffer). The order of ckpt and raw alternates with the round (argument 4).
//     With `cold` (argument 5), rank 0 syncs and drops the page cache (root only) before each
//     timed phase, so every read comes from the device and no write waits on an earlier
//     one's dirty pages: this VM's small, varying page cache otherwise decides who is faster.
//   mpirun -np N dist_bench reshard DIR TOTAL_MIB
//     Restores the latest checkpoint of DIR (saved by another rank count) onto N ranks, each
//     its own rows, and reports per rank the bytes read from data files / the bytes it owns.
#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ckpt/dist/communicator.h"
#include "ckpt/dist/distributed_checkpoint.h"

namespace {

using namespace ckpt;  // NOLINT(build/namespaces): benchmark program

constexpr int64_t kRowFloats = 1 << 18;  // 1 MiB rows

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::pair<int64_t, int64_t> Rows(int64_t rows, int n, int r) {
  const int64_t base = rows / n, extra = rows % n;
  return {r * base + std::min<int64_t>(r, extra), base + (r < extra ? 1 : 0)};
}

// Counts the bytes read from `.data-` files (reads go through Read, not a mapping).
class CountingEnv : public EnvWrapper {
 public:
  explicit CountingEnv(Env* target) : EnvWrapper(target) {}
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& p, const RandomAccessFileOptions& o = {}) override {
    RandomAccessFileOptions plain = o;
    plain.use_mmap = false;
    auto f = target()->NewRandomAccessFile(p, plain);
    if (!f.ok() || p.find(".data-") == std::string::npos) return f;
    return std::unique_ptr<RandomAccessFile>(new Counted(std::move(f).value(), &data_bytes));
  }
  std::atomic<uint64_t> data_bytes{0};

 private:
  class Counted : public RandomAccessFile {
   public:
    Counted(std::unique_ptr<RandomAccessFile> f, std::atomic<uint64_t>* n)
        : f_(std::move(f)), n_(n) {}
    Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
      Status s = f_->Read(offset, n, result, scratch);
      if (s.ok()) *n_ += result->size();
      return s;
    }
    uint64_t Size() const override { return f_->Size(); }
    const std::string& path() const override { return f_->path(); }

   private:
    std::unique_ptr<RandomAccessFile> f_;
    std::atomic<uint64_t>* n_;
  };
};

void Check(Communicator& comm, const Status& s, const char* what) {
  Status all = comm.AllreduceStatus(s);
  if (!all.ok()) {
    if (comm.rank() == 0)
      std::fprintf(stderr, "dist_bench: %s: %s\n", what, all.ToString().c_str());
    MPI_Abort(comm.comm(), 1);
  }
}

bool g_cold = false;

// With g_cold: every dirty page written back and the page cache emptied (rank 0, as root).
void Settle(Communicator& comm) {
  if (!g_cold) return;
  (void)comm.Barrier();
  if (comm.rank() == 0) {
    ::sync();
    int fd = ::open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd < 0 || ::write(fd, "3", 1) != 1) {
      std::fprintf(stderr, "dist_bench: cannot drop the page cache (needs root)\n");
      MPI_Abort(comm.comm(), 1);
    }
    ::close(fd);
  }
}

// Seconds for `f` on every rank, barrier to barrier.
template <typename F>
double Timed(Communicator& comm, const char* what, F f) {
  Settle(comm);
  (void)comm.Barrier();
  const double t0 = Now();
  Check(comm, f(), what);
  (void)comm.Barrier();
  return Now() - t0;
}

Status RawWrite(const std::string& path, const Tensor& t) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return InternalError("open " + path);
  const char* p = static_cast<const char*>(t.raw_data());
  size_t left = t.TotalBytes();
  while (left > 0) {
    ssize_t w = ::write(fd, p, std::min<size_t>(left, 16 << 20));
    if (w <= 0) {
      ::close(fd);
      return InternalError("write " + path);
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  return ::close(fd) == 0 ? Status::OK() : InternalError("close " + path);
}

Status RawRead(const std::string& path, Tensor* t) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return InternalError("open " + path);
  char* p = static_cast<char*>(t->raw_data());
  size_t left = t->TotalBytes();
  while (left > 0) {
    ssize_t r = ::read(fd, p, std::min<size_t>(left, 16 << 20));
    if (r <= 0) {
      ::close(fd);
      return InternalError("read " + path);
    }
    p += r;
    left -= static_cast<size_t>(r);
  }
  ::close(fd);
  return Status::OK();
}

int Io(Communicator& comm, const std::string& dir, int64_t mib, int round) {
  const int n = comm.size(), r = comm.rank();
  auto [first, count] = Rows(mib, n, r);
  const TensorShape full({mib, kRowFloats});
  const TensorSlice mine({{first, count}, {0, TensorSlice::kFullExtent}});
  Tensor part(DataType::kFloat, TensorShape({count, kRowFloats}));
  auto f = part.flat<float>();
  for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(first * kRowFloats + i);

  CheckpointManagerOptions opts;
  opts.max_to_keep = 1;
  opts.writer_options.sync = false;  // TF's SaveV2 does not fsync either
  auto mgr = DistributedCheckpointManager::Open(Env::Default(), &comm, dir, opts);
  Check(comm, mgr.status(), "open");
  const std::string raw = dir + "/raw-" + std::to_string(r);
  std::vector<OwnedTensor> owned = {OwnedTensor::Slice("w", full, mine, part)};
  std::string prefix;

  double save = 0, raw_write = 0, restore = 0, raw_read = 0;
  auto do_save = [&] {
    save = Timed(comm, "save", [&] {
      auto p = (*mgr)->Save(round, owned);
      if (p.ok()) prefix = *p;
      return p.status();
    });
  };
  auto do_raw_write = [&] {
    raw_write = Timed(comm, "raw write", [&] { return RawWrite(raw, part); });
  };
  auto do_restore = [&] {
    Tensor fresh;  // allocated by the restore
    restore = Timed(comm, "restore", [&] {
      std::vector<SliceRestoreTarget> t = {{"w", full, mine, &fresh}};
      return (*mgr)->Restore(prefix, {}, t);
    });
    Check(comm,
          std::memcmp(fresh.raw_data(), part.raw_data(), part.TotalBytes()) == 0
              ? Status::OK()
              : DataLossError("restored rows differ"),
          "restore");
  };
  auto do_raw_read = [&] {
    raw_read = Timed(comm, "raw read", [&] {
      Tensor fresh(DataType::kFloat, part.shape());
      return RawRead(raw, &fresh);
    });
  };
  if (round % 2 == 0) {
    do_save(), do_raw_write(), do_restore(), do_raw_read();
  } else {
    do_raw_write(), do_save(), do_raw_read(), do_restore();
  }
  ::unlink(raw.c_str());
  if (r == 0)
    std::printf(
        "{\"ranks\": %d, \"mib\": %lld, \"save\": %.4f, \"raw_write\": %.4f, "
        "\"restore\": %.4f, \"raw_read\": %.4f}\n",
        n, static_cast<long long>(mib), save, raw_write, restore, raw_read);
  return 0;
}

int Reshard(Communicator& comm, const std::string& dir, int64_t mib) {
  const int n = comm.size(), r = comm.rank();
  auto [first, count] = Rows(mib, n, r);
  CountingEnv env(Env::Default());
  CheckpointManagerOptions opts;
  opts.lock_directory = false;
  opts.recover_on_open = false;
  auto mgr = DistributedCheckpointManager::Open(&env, &comm, dir, opts);
  Check(comm, mgr.status(), "open");
  Tensor fresh;
  std::vector<SliceRestoreTarget> t = {
      {"w", TensorShape({mib, kRowFloats}),
       TensorSlice({{first, count}, {0, TensorSlice::kFullExtent}}), &fresh}};
  env.data_bytes = 0;
  auto latest = (*mgr)->RestoreLatest({}, t);
  Check(comm, latest.status(), "restore");
  const double ratio =
      static_cast<double>(env.data_bytes.load()) / static_cast<double>(fresh.TotalBytes());
  auto all = comm.Gather(std::to_string(ratio), 0);
  Check(comm, all.status(), "gather");
  if (r == 0) {
    std::string list;
    for (const auto& x : *all) list += (list.empty() ? "" : ", ") + x;
    std::printf("{\"ranks\": %d, \"from\": \"%s\", \"read_over_owned\": [%s]}\n", n,
                latest->c_str(), list.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto session = MpiSession::Start(&argc, &argv);
  if (!session.ok()) return 1;
  int rc = 2;
  {
    auto comm = Communicator::World();
    if (!comm.ok()) return 1;
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "io" && argc >= 4) {
      g_cold = argc > 5 && std::strcmp(argv[5], "cold") == 0;
      rc = Io(**comm, argv[2], std::atoll(argv[3]), argc > 4 ? std::atoi(argv[4]) : 0);
    } else if (mode == "reshard" && argc == 4) {
      rc = Reshard(**comm, argv[2], std::atoll(argv[3]));
    } else if ((*comm)->rank() == 0) {
      std::fprintf(stderr,
                   "usage: dist_bench io DIR TOTAL_MIB [ROUND [cold]] | reshard DIR TOTAL_MIB\n");
    }
  }
  return rc;
}
