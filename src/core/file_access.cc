#include "ckpt/core/file_access.h"

#include <filesystem>
#include <system_error>

namespace ckpt {
namespace {

// Absolute, normalized, with the symbolic links of its existing part resolved.
std::string Canonical(const std::string& p) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(p.empty() ? "." : p, ec);
  if (ec) abs = p;
  std::filesystem::path c = std::filesystem::weakly_canonical(abs, ec);
  if (ec) c = abs.lexically_normal();
  std::string s = path::Normalize(c.string());
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

bool Under(const std::string& p, const std::string& dir) {
  if (dir == "/") return true;
  return p == dir ||
         (p.size() > dir.size() && p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/');
}

std::string QuoteList(const std::vector<std::string>& dirs) {
  std::string s;
  for (size_t i = 0; i < dirs.size(); ++i) s += (i ? ", '" : "'") + dirs[i] + "'";
  return s;
}

class RestrictedEnv : public EnvWrapper {
 public:
  RestrictedEnv(Env* base, FileAccessPolicy policy) : EnvWrapper(base), policy_(std::move(policy)) {
    for (const std::string& d : policy_.read_dirs) read_.push_back(Canonical(d));
    for (const std::string& d : policy_.write_dirs) {
      write_.push_back(Canonical(d));
      read_.push_back(write_.back());
    }
  }

  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& p, const RandomAccessFileOptions& o = {}) override {
    CKPT_RETURN_IF_ERROR(Check(p, false, "reading"));
    return EnvWrapper::NewRandomAccessFile(p, o);
  }
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    CKPT_RETURN_IF_ERROR(Check(p, true, "writing"));
    return EnvWrapper::NewWritableFile(p);
  }
  bool FileExists(const std::string& p) override {
    // True for a refused path, whether or not it exists: the caller's next step (opening it)
    // then fails with PermissionDenied naming it, rather than with a misleading NotFound, and
    // nothing is learned of what lies outside the policy.
    return !Check(p, false, "reading").ok() || EnvWrapper::FileExists(p);
  }
  StatusOr<uint64_t> GetFileSize(const std::string& p) override {
    CKPT_RETURN_IF_ERROR(Check(p, false, "reading"));
    return EnvWrapper::GetFileSize(p);
  }
  StatusOr<std::vector<std::string>> GetChildren(const std::string& d) override {
    CKPT_RETURN_IF_ERROR(Check(d, false, "listing"));
    return EnvWrapper::GetChildren(d);
  }
  Status DeleteFile(const std::string& p) override {
    CKPT_RETURN_IF_ERROR(Check(p, true, "deleting"));
    return EnvWrapper::DeleteFile(p);
  }
  Status RenameFile(const std::string& f, const std::string& t) override {
    CKPT_RETURN_IF_ERROR(Check(f, true, "renaming"));
    CKPT_RETURN_IF_ERROR(Check(t, true, "renaming onto"));
    return EnvWrapper::RenameFile(f, t);
  }
  Status CreateDir(const std::string& d) override {
    CKPT_RETURN_IF_ERROR(Check(d, true, "creating directory"));
    return EnvWrapper::CreateDir(d);
  }
  Status RecursivelyCreateDir(const std::string& d) override {
    CKPT_RETURN_IF_ERROR(Check(d, true, "creating directory"));
    return EnvWrapper::RecursivelyCreateDir(d);
  }
  Status DeleteDir(const std::string& d) override {
    CKPT_RETURN_IF_ERROR(Check(d, true, "deleting directory"));
    return EnvWrapper::DeleteDir(d);
  }
  bool IsDirectory(const std::string& p) override {
    return Check(p, false, "reading").ok() && EnvWrapper::IsDirectory(p);
  }
  Status SyncDir(const std::string& d) override {
    CKPT_RETURN_IF_ERROR(Check(d, true, "syncing directory"));
    return EnvWrapper::SyncDir(d);
  }
  StatusOr<double> GetModificationTime(const std::string& p) override {
    CKPT_RETURN_IF_ERROR(Check(p, false, "reading"));
    return EnvWrapper::GetModificationTime(p);
  }
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    CKPT_RETURN_IF_ERROR(Check(p, true, "locking"));
    return EnvWrapper::LockFile(p);
  }

 private:
  Status Check(const std::string& p, bool write, const char* what) const {
    if (policy_.unrestricted) return Status::OK();
    const std::string c = Canonical(p);
    for (const std::string& d : write ? write_ : read_) {
      if (Under(c, d)) return Status::OK();
    }
    return PermissionDeniedError(std::string(what) + " '" + p +
                                 "' is not allowed: " + policy_.DebugString());
  }

  FileAccessPolicy policy_;
  std::vector<std::string> read_, write_;  // canonical; read_ includes write_
};

}  // namespace

std::string FileAccessPolicy::DebugString() const {
  if (unrestricted) return "unrestricted";
  std::string s = read_dirs.empty() ? "no reads" : "reads only under " + QuoteList(read_dirs);
  s += write_dirs.empty() ? ", no writes" : "; reads and writes under " + QuoteList(write_dirs);
  return s;
}

std::unique_ptr<Env> NewRestrictedEnv(Env* base, FileAccessPolicy policy) {
  return std::make_unique<RestrictedEnv>(base, std::move(policy));
}

}  // namespace ckpt
