// An in-memory Env for hermetic tests. Files are byte strings keyed by normalized path;
// directories are tracked explicitly. Parent directories are not required to exist.
#include <chrono>
#include <map>
#include <mutex>
#include <set>

#include "ckpt/core/env.h"
#include "ckpt/core/thread_annotations.h"

namespace ckpt {
namespace {

struct MemFile {
  Mutex mu;
  std::string data CKPT_GUARDED_BY(mu);
  double mtime = 0;  // written under the Env's mu_
};

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  MemRandomAccessFile(std::string path, std::string snapshot)
      : path_(std::move(path)), data_(std::move(snapshot)) {}
  Status Read(uint64_t offset, size_t n, std::string_view* result, char*) const override {
    if (offset >= data_.size()) {
      *result = {};
      return Status::OK();
    }
    *result = std::string_view(data_).substr(offset, n);
    return Status::OK();
  }
  uint64_t Size() const override { return data_.size(); }
  std::string_view Mapped() const override { return data_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  std::string data_;
};

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(std::string path, std::shared_ptr<MemFile> file)
      : path_(std::move(path)), file_(std::move(file)) {}
  Status Append(std::string_view data) override {
    if (closed_) return FailedPreconditionError(path_ + ": append to a closed file");
    MutexLock l(file_->mu);
    file_->data.append(data);
    file_->mtime = NowSeconds();
    size_ += data.size();
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override {
    if (closed_) return FailedPreconditionError(path_ + ": sync of a closed file");
    return Status::OK();
  }
  Status Close() override {
    closed_ = true;
    return Status::OK();
  }
  uint64_t Size() const override { return size_; }

 private:
  std::string path_;
  std::shared_ptr<MemFile> file_;
  uint64_t size_ = 0;
  bool closed_ = false;
};

class MemEnv;

class MemFileLock final : public FileLock {
 public:
  MemFileLock(MemEnv* env, std::string path) : env_(env), path_(std::move(path)) {}
  ~MemFileLock() override;

 private:
  MemEnv* env_;
  std::string path_;
};

class MemEnv final : public Env {
 public:
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& p, const RandomAccessFileOptions&) override {
    MutexLock l(mu_);
    auto it = files_.find(path::Normalize(p));
    if (it == files_.end()) return NotFoundError(p + ": no such file");
    MutexLock fl(it->second->mu);
    return std::unique_ptr<RandomAccessFile>(new MemRandomAccessFile(p, it->second->data));
  }
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    MutexLock l(mu_);
    std::string n = path::Normalize(p);
    if (dirs_.count(n)) return InvalidArgumentError(p + ": is a directory");
    auto f = std::make_shared<MemFile>();
    f->mtime = NowSeconds();
    files_[n] = f;
    return std::unique_ptr<WritableFile>(new MemWritableFile(p, f));
  }
  bool FileExists(const std::string& p) override {
    MutexLock l(mu_);
    std::string n = path::Normalize(p);
    return files_.count(n) || dirs_.count(n);
  }
  StatusOr<uint64_t> GetFileSize(const std::string& p) override {
    MutexLock l(mu_);
    auto it = files_.find(path::Normalize(p));
    if (it == files_.end()) return NotFoundError(p + ": no such file");
    MutexLock fl(it->second->mu);
    return static_cast<uint64_t>(it->second->data.size());
  }
  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    MutexLock l(mu_);
    std::string d = path::Normalize(dir);
    std::string prefix = d == "/" ? "/" : (d == "." ? "" : d + "/");
    std::set<std::string> out;
    auto add = [&](const std::string& name) {
      if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return;
      std::string rest = name.substr(prefix.size());
      out.insert(rest.substr(0, rest.find('/')));
    };
    for (auto& [n, f] : files_) add(n);
    for (auto& n : dirs_) add(n);
    if (out.empty() && !dirs_.count(d)) return NotFoundError(dir + ": no such directory");
    return std::vector<std::string>(out.begin(), out.end());
  }
  Status DeleteFile(const std::string& p) override {
    MutexLock l(mu_);
    if (files_.erase(path::Normalize(p)) == 0) return NotFoundError(p + ": no such file");
    return Status::OK();
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    MutexLock l(mu_);
    auto it = files_.find(path::Normalize(from));
    if (it == files_.end()) return NotFoundError(from + ": no such file");
    auto f = it->second;
    files_.erase(it);
    files_[path::Normalize(to)] = f;
    return Status::OK();
  }
  Status CreateDir(const std::string& dir) override {
    MutexLock l(mu_);
    dirs_.insert(path::Normalize(dir));
    return Status::OK();
  }
  Status DeleteDir(const std::string& dir) override {
    MutexLock l(mu_);
    std::string d = path::Normalize(dir);
    for (auto& [n, f] : files_) {
      if (n.compare(0, d.size() + 1, d + "/") == 0) {
        return FailedPreconditionError(dir + ": directory not empty");
      }
    }
    if (dirs_.erase(d) == 0) return NotFoundError(dir + ": no such directory");
    return Status::OK();
  }
  bool IsDirectory(const std::string& p) override {
    MutexLock l(mu_);
    return dirs_.count(path::Normalize(p)) > 0;
  }
  Status SyncDir(const std::string&) override { return Status::OK(); }
  StatusOr<double> GetModificationTime(const std::string& p) override {
    MutexLock l(mu_);
    auto it = files_.find(path::Normalize(p));
    if (it == files_.end()) return NotFoundError(p + ": no such file");
    return it->second->mtime;
  }
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    MutexLock l(mu_);
    std::string n = path::Normalize(p);
    if (!locks_.insert(n).second) {
      return FailedPreconditionError(p + ": locked by another process or writer");
    }
    if (!files_.count(n)) files_[n] = std::make_shared<MemFile>();
    return std::unique_ptr<FileLock>(new MemFileLock(this, n));
  }
  uint64_t NowMicros() override { return static_cast<uint64_t>(NowSeconds() * 1e6); }

  void Unlock(const std::string& n) {
    MutexLock l(mu_);
    locks_.erase(n);
  }

 private:
  Mutex mu_;
  std::map<std::string, std::shared_ptr<MemFile>> files_ CKPT_GUARDED_BY(mu_);
  std::set<std::string> dirs_ CKPT_GUARDED_BY(mu_);
  std::set<std::string> locks_ CKPT_GUARDED_BY(mu_);
};

MemFileLock::~MemFileLock() { env_->Unlock(path_); }

}  // namespace

std::unique_ptr<Env> NewMemEnv() { return std::make_unique<MemEnv>(); }

}  // namespace ckpt
