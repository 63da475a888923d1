// FaultEnv: the fault-injecting Env of every layer's tests. An EnvWrapper whose file-system
// changes (file creation, append, flush, sync, close, rename, directory sync, delete, mkdir)
// can be made to fail, two ways:
//  - by kind: FailNth(op, n) fails the n-th (0-based) operation of kind `op` with UNAVAILABLE
//    ("injected OP failure on PATH"); count(op) tells how many ran;
//  - by site: every operation is a numbered site (1-based, all kinds together, logged as
//    "op path" in `log`); fail_at = N fails the N-th site with `error` (and with
//    fail_all_after, every site after it too: a full disk).
// A failed Append writes nothing. NowMicros can be offset to test time-based retention.
// Header-only.
//
// Thread safety: counters are atomic and the log is locked; configure before use.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ckpt/core/env.h"

namespace ckpt::testutil {

class FaultEnv : public EnvWrapper {
 public:
  enum class Op {
    kNewWritable = 0,
    kAppend,
    kFlush,
    kSync,
    kClose,
    kRename,
    kSyncDir,
    kDelete,
    kCreateDir
  };
  // The kinds a writer of new files goes through (what FailNth sweeps in writer tests).
  static constexpr int kNumOps = 7;
  static constexpr std::array<Op, kNumOps> kAllOps = {
      Op::kNewWritable, Op::kAppend, Op::kFlush, Op::kSync, Op::kClose, Op::kRename, Op::kSyncDir};
  static const char* OpName(Op op) {
    static const char* kNames[] = {"new_writable", "append",   "flush",  "sync", "close",
                                   "rename",       "sync_dir", "delete", "mkdir"};
    return kNames[static_cast<int>(op)];
  }

  explicit FaultEnv(Env* target) : EnvWrapper(target) { Reset(); }

  // ---- failing by kind ----
  // Makes the `n`-th (0-based) operation of kind `op` fail with UNAVAILABLE; -1 disables.
  // Resets the per-kind counters.
  void FailNth(Op op, int n) {
    Reset();
    fail_op_ = op;
    fail_nth_ = n;
  }
  void Reset() {
    for (auto& c : counts_) c.store(0);
    fail_nth_ = -1;
    failures_ = 0;
  }
  int count(Op op) const { return counts_[static_cast<int>(op)].load(); }
  int failures() const { return failures_.load(); }

  // ---- failing by site ----
  std::atomic<int> sites{0};
  std::atomic<int> fail_at{0};
  std::atomic<bool> failed{false};
  std::atomic<bool> fail_all_after{false};  // every site from fail_at on fails (disk full)
  Status error = ResourceExhaustedError("injected: no space left on device");
  std::mutex mu;
  std::vector<std::string> log;  // "op path" of each site

  // Offsets the clock (microseconds) to test time-based retention.
  std::atomic<int64_t> clock_offset_micros{0};

  // Counts one operation of kind `op` (logged as `site` on `what`); an error if it is to fail.
  Status Hit(Op op, const char* site, const std::string& what) {
    const int nth = counts_[static_cast<int>(op)].fetch_add(1);
    const int n = ++sites;
    {
      std::lock_guard<std::mutex> l(mu);
      log.push_back(std::string(site) + " " + what);
    }
    if (fail_nth_ >= 0 && op == fail_op_ && nth == fail_nth_) {
      ++failures_;
      return UnavailableError(std::string("injected ") + OpName(op) + " failure on " + what);
    }
    const int f = fail_at.load();
    if (f > 0 && (n == f || (fail_all_after && n > f))) {
      failed = true;
      return Status(error.code(), std::string(error.message()) + " (" + site + " " + what + ")");
    }
    return Status::OK();
  }

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    CKPT_RETURN_IF_ERROR(Hit(Op::kNewWritable, "create", p));
    CKPT_ASSIGN_OR_RETURN(auto file, target()->NewWritableFile(p));
    return std::unique_ptr<WritableFile>(new File(this, p, std::move(file)));
  }
  Status DeleteFile(const std::string& p) override {
    CKPT_RETURN_IF_ERROR(Hit(Op::kDelete, "delete", p));
    return target()->DeleteFile(p);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    CKPT_RETURN_IF_ERROR(Hit(Op::kRename, "rename", from + " -> " + to));
    return target()->RenameFile(from, to);
  }
  Status SyncDir(const std::string& d) override {
    CKPT_RETURN_IF_ERROR(Hit(Op::kSyncDir, "syncdir", d));
    return target()->SyncDir(d);
  }
  Status CreateDir(const std::string& d) override {
    CKPT_RETURN_IF_ERROR(Hit(Op::kCreateDir, "mkdir", d));
    return target()->CreateDir(d);
  }
  uint64_t NowMicros() override { return target()->NowMicros() + clock_offset_micros.load(); }

 private:
  class File : public WritableFile {
   public:
    File(FaultEnv* env, std::string path, std::unique_ptr<WritableFile> base)
        : env_(env), path_(std::move(path)), base_(std::move(base)) {}
    Status Append(std::string_view data) override {
      CKPT_RETURN_IF_ERROR(env_->Hit(Op::kAppend, "append", path_));
      return base_->Append(data);
    }
    Status Flush() override {
      CKPT_RETURN_IF_ERROR(env_->Hit(Op::kFlush, "flush", path_));
      return base_->Flush();
    }
    Status Sync() override {
      CKPT_RETURN_IF_ERROR(env_->Hit(Op::kSync, "sync", path_));
      return base_->Sync();
    }
    Status Close() override {
      Status s = env_->Hit(Op::kClose, "close", path_);
      Status c = base_->Close();  // release the file either way
      return s.ok() ? c : s;
    }
    uint64_t Size() const override { return base_->Size(); }

   private:
    FaultEnv* env_;
    std::string path_;
    std::unique_ptr<WritableFile> base_;
  };

  std::array<std::atomic<int>, 9> counts_;
  Op fail_op_ = Op::kAppend;
  int fail_nth_ = -1;
  std::atomic<int> failures_{0};
};

}  // namespace ckpt::testutil
