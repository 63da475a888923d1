// FaultInjectionEnv: an EnvWrapper that makes the N-th write, flush, sync, close, rename or
// file creation fail, for testing that writers report errors and clean up after themselves.
// Operations are counted per kind across all files, from 0. Header-only; reusable by every
// layer's tests.
//
// Thread safety: counters are atomic; configure before use.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "ckpt/core/env.h"

namespace ckpt::testutil {

class FaultInjectionEnv : public EnvWrapper {
 public:
  enum class Op { kNewWritable = 0, kAppend, kFlush, kSync, kClose, kRename, kSyncDir };
  static constexpr int kNumOps = 7;
  static constexpr std::array<Op, kNumOps> kAllOps = {Op::kNewWritable, Op::kAppend, Op::kFlush,
                                                      Op::kSync,        Op::kClose,  Op::kRename,
                                                      Op::kSyncDir};
  static const char* OpName(Op op) {
    static const char* kNames[] = {"new_writable", "append", "flush", "sync",
                                   "close",        "rename", "sync_dir"};
    return kNames[static_cast<int>(op)];
  }

  explicit FaultInjectionEnv(Env* target) : EnvWrapper(target) { Reset(); }

  // Makes the `n`-th (0-based) operation of kind `op` fail with UNAVAILABLE; -1 disables.
  void FailNth(Op op, int n) {
    Reset();
    fail_op_ = op;
    fail_at_ = n;
  }
  void Reset() {
    for (auto& c : counts_) c.store(0);
    fail_at_ = -1;
    failures_ = 0;
  }
  int count(Op op) const { return counts_[static_cast<int>(op)].load(); }
  int failures() const { return failures_.load(); }

  // Returns an error if this call is the one to fail.
  Status Hit(Op op, const std::string& what) {
    int n = counts_[static_cast<int>(op)].fetch_add(1);
    if (fail_at_ >= 0 && op == fail_op_ && n == fail_at_) {
      ++failures_;
      return UnavailableError(std::string("injected ") + OpName(op) + " failure on " + what);
    }
    return Status();
  }

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    CKPT_RETURN_IF_ERROR(Hit(Op::kNewWritable, p));
    CKPT_ASSIGN_OR_RETURN(auto file, target()->NewWritableFile(p));
    return std::unique_ptr<WritableFile>(new File(this, p, std::move(file)));
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    CKPT_RETURN_IF_ERROR(Hit(Op::kRename, from));
    return target()->RenameFile(from, to);
  }
  Status SyncDir(const std::string& d) override {
    CKPT_RETURN_IF_ERROR(Hit(Op::kSyncDir, d));
    return target()->SyncDir(d);
  }

 private:
  class File : public WritableFile {
   public:
    File(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> base)
        : env_(env), path_(std::move(path)), base_(std::move(base)) {}
    Status Append(std::string_view data) override {
      CKPT_RETURN_IF_ERROR(env_->Hit(Op::kAppend, path_));
      return base_->Append(data);
    }
    Status Flush() override {
      CKPT_RETURN_IF_ERROR(env_->Hit(Op::kFlush, path_));
      return base_->Flush();
    }
    Status Sync() override {
      CKPT_RETURN_IF_ERROR(env_->Hit(Op::kSync, path_));
      return base_->Sync();
    }
    Status Close() override {
      Status s = env_->Hit(Op::kClose, path_);
      Status c = base_->Close();  // release the file either way
      return s.ok() ? c : s;
    }
    uint64_t Size() const override { return base_->Size(); }

   private:
    FaultInjectionEnv* env_;
    std::string path_;
    std::unique_ptr<WritableFile> base_;
  };

  std::array<std::atomic<int>, kNumOps> counts_;
  Op fail_op_ = Op::kAppend;
  int fail_at_ = -1;
  std::atomic<int> failures_{0};
};

}  // namespace ckpt::testutil
