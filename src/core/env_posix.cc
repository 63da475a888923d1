// The POSIX Env: pread/mmap readers, buffered writers, flock-based locks. errno values are
// mapped onto Status codes here and nowhere else.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ckpt/core/env.h"

namespace ckpt {
namespace {

Status PosixError(const std::string& context, int err) {
  std::string msg = context + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
    case ENOTDIR: return NotFoundError(msg);
    case EACCES:
    case EPERM:
    case EROFS: return PermissionDeniedError(msg);
    case EEXIST: return AlreadyExistsError(msg);
    case ENOSPC:
    case EDQUOT:
    case ENOMEM:
    case EMFILE:
    case ENFILE: return ResourceExhaustedError(msg);
    case EWOULDBLOCK: return UnavailableError(msg);
    case EISDIR:
    case EINVAL:
    case ENAMETOOLONG: return InvalidArgumentError(msg);
    default: return UnknownError(msg);
  }
}

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size, void* map)
      : path_(std::move(path)), fd_(fd), size_(size), map_(map) {}
  ~PosixRandomAccessFile() override {
    if (map_ != nullptr) munmap(map_, size_);
    if (fd_ >= 0) close(fd_);
  }

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    if (offset >= size_) {
      *result = {};
      return Status::OK();
    }
    if (n > size_ - offset) n = static_cast<size_t>(size_ - offset);
    if (map_ != nullptr) {
      *result = std::string_view(static_cast<const char*>(map_) + offset, n);
      return Status::OK();
    }
    size_t done = 0;
    while (done < n) {
      ssize_t r = pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError(path_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = std::string_view(scratch, done);
    return Status::OK();
  }
  uint64_t Size() const override { return size_; }
  std::string_view Mapped() const override {
    return map_ ? std::string_view(static_cast<const char*>(map_), size_) : std::string_view();
  }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
  void* map_;
};

class PosixWritableFile final : public WritableFile {
 public:
  static constexpr size_t kBufferSize = 1 << 20;

  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {
    buf_.reserve(kBufferSize);
  }
  ~PosixWritableFile() override {
    if (fd_ >= 0) Close().IgnoreError();
  }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return FailedPreconditionError(path_ + ": append to a closed file");
    size_ += data.size();
    if (buf_.size() + data.size() <= kBufferSize) {
      buf_.append(data);
      return Status::OK();
    }
    CKPT_RETURN_IF_ERROR(Flush());
    if (data.size() < kBufferSize) {
      buf_.append(data);
      return Status::OK();
    }
    return WriteRaw(data.data(), data.size());
  }
  Status Flush() override {
    if (buf_.empty()) return Status::OK();
    Status s = WriteRaw(buf_.data(), buf_.size());
    buf_.clear();
    return s;
  }
  Status Sync() override {
    if (fd_ < 0) return FailedPreconditionError(path_ + ": sync of a closed file");
    CKPT_RETURN_IF_ERROR(Flush());
    if (fdatasync(fd_) != 0) return PosixError(path_, errno);
    return Status::OK();
  }
  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Status s = Flush();
    if (close(fd_) != 0 && s.ok()) s = PosixError(path_, errno);
    fd_ = -1;
    return s;
  }
  uint64_t Size() const override { return size_; }

 private:
  Status WriteRaw(const char* p, size_t n) {
    while (n > 0) {
      ssize_t r = write(fd_, p, n);
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError(path_, errno);
      }
      p += r;
      n -= static_cast<size_t>(r);
    }
    return Status::OK();
  }

  std::string path_;
  int fd_;
  std::string buf_;
  uint64_t size_ = 0;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    flock(fd_, LOCK_UN);
    close(fd_);
  }

 private:
  int fd_;
};

class PosixEnv final : public Env {
 public:
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& p, const RandomAccessFileOptions& options) override {
    int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(p, errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      Status s = PosixError(p, errno);
      close(fd);
      return s;
    }
    if (S_ISDIR(st.st_mode)) {
      close(fd);
      return InvalidArgumentError(p + ": is a directory");
    }
    uint64_t size = static_cast<uint64_t>(st.st_size);
    void* map = nullptr;
    if (options.use_mmap && size > 0) {
      map = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (map == MAP_FAILED) map = nullptr;  // fall back to pread
    }
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(p, fd, size, map));
  }

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(p, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(p, fd));
  }

  bool FileExists(const std::string& p) override { return access(p.c_str(), F_OK) == 0; }

  StatusOr<uint64_t> GetFileSize(const std::string& p) override {
    struct stat st;
    if (stat(p.c_str(), &st) != 0) return PosixError(p, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return PosixError(dir, errno);
    std::vector<std::string> out;
    while (struct dirent* e = readdir(d)) {
      std::string_view n(e->d_name);
      if (n != "." && n != "..") out.emplace_back(n);
    }
    closedir(d);
    return out;
  }

  Status DeleteFile(const std::string& p) override {
    if (unlink(p.c_str()) != 0) return PosixError(p, errno);
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (rename(from.c_str(), to.c_str()) != 0) return PosixError(from + " -> " + to, errno);
    return Status::OK();
  }

  Status CreateDir(const std::string& dir) override {
    if (mkdir(dir.c_str(), 0755) != 0) {
      if (errno == EEXIST && IsDirectory(dir)) return Status::OK();
      return PosixError(dir, errno);
    }
    return Status::OK();
  }

  Status DeleteDir(const std::string& dir) override {
    if (rmdir(dir.c_str()) != 0) return PosixError(dir, errno);
    return Status::OK();
  }

  bool IsDirectory(const std::string& p) override {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  Status SyncDir(const std::string& dir) override {
    int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError(dir, errno);
    Status s;
    if (fsync(fd) != 0 && errno != EINVAL) s = PosixError(dir, errno);
    close(fd);
    return s;
  }

  StatusOr<double> GetModificationTime(const std::string& p) override {
    struct stat st;
    if (stat(p.c_str(), &st) != 0) return PosixError(p, errno);
    return static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec * 1e-9;
  }

  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    int fd = open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(p, errno);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      close(fd);
      if (err == EWOULDBLOCK) {
        return FailedPreconditionError(p + ": locked by another process or writer");
      }
      return PosixError(p, err);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }

  uint64_t NowMicros() override {
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    return static_cast<uint64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv;
  return env;
}

}  // namespace ckpt
