// Test helpers for the checkpoint layer: a fault-injecting Env, a controllable clock, and
// tensor builders.
#pragma once

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/tensor.h"

namespace ckpt::testing {

// Every call that changes the file system is a numbered "site". With fail_at = N, the Nth site
// (1-based) fails with `error` (and, for Append, nothing is written). Counting continues.
class FaultEnv : public EnvWrapper {
 public:
  explicit FaultEnv(Env* target) : EnvWrapper(target) {}

  std::atomic<int> sites{0};
  std::atomic<int> fail_at{0};
  std::atomic<bool> failed{false};
  std::atomic<bool> fail_all_after{false};  // every site from fail_at on fails (disk full)
  Status error = ResourceExhaustedError("injected: no space left on device");
  std::mutex mu;
  std::vector<std::string> log;  // "op path" of each site

  // Offsets the clock (seconds) to test time-based retention.
  std::atomic<int64_t> clock_offset_micros{0};

  Status Site(const char* op, const std::string& p) {
    int n = ++sites;
    {
      std::lock_guard<std::mutex> l(mu);
      log.push_back(std::string(op) + " " + p);
    }
    int f = fail_at.load();
    if (f > 0 && (n == f || (fail_all_after && n > f))) {
      failed = true;
      return Status(error.code(), std::string(error.message()) + " (" + op + " " + p + ")");
    }
    return Status::OK();
  }

  class File : public WritableFile {
   public:
    File(FaultEnv* env, std::string path, std::unique_ptr<WritableFile> f)
        : env_(env), path_(std::move(path)), f_(std::move(f)) {}
    Status Append(std::string_view d) override {
      Status s = env_->Site("append", path_);
      if (!s.ok()) return s;
      return f_->Append(d);
    }
    Status Flush() override {
      Status s = env_->Site("flush", path_);
      if (!s.ok()) return s;
      return f_->Flush();
    }
    Status Sync() override {
      Status s = env_->Site("sync", path_);
      if (!s.ok()) return s;
      return f_->Sync();
    }
    Status Close() override {
      Status s = env_->Site("close", path_);
      Status c = f_->Close();
      if (!s.ok()) return s;
      return c;
    }
    uint64_t Size() const override { return f_->Size(); }

   private:
    FaultEnv* env_;
    std::string path_;
    std::unique_ptr<WritableFile> f_;
  };

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    Status s = Site("create", p);
    if (!s.ok()) return s;
    auto f = target()->NewWritableFile(p);
    if (!f.ok()) return f.status();
    return std::unique_ptr<WritableFile>(new File(this, p, std::move(f).value()));
  }
  Status DeleteFile(const std::string& p) override {
    Status s = Site("delete", p);
    if (!s.ok()) return s;
    return target()->DeleteFile(p);
  }
  Status RenameFile(const std::string& f, const std::string& t) override {
    Status s = Site("rename", f + " -> " + t);
    if (!s.ok()) return s;
    return target()->RenameFile(f, t);
  }
  Status SyncDir(const std::string& d) override {
    Status s = Site("syncdir", d);
    if (!s.ok()) return s;
    return target()->SyncDir(d);
  }
  Status CreateDir(const std::string& d) override {
    Status s = Site("mkdir", d);
    if (!s.ok()) return s;
    return target()->CreateDir(d);
  }
  uint64_t NowMicros() override { return target()->NowMicros() + clock_offset_micros.load(); }
};

inline Tensor FloatTensor(int n, float base) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = base + 0.5f * i;
  return Tensor::FromVector(v, TensorShape{n});
}

// A fresh directory under the system temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ckpt_test_XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    path_ = mkdtemp(buf.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ckpt::testing
