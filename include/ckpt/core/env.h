// Env: every file-system access of ckpt goes through an Env, so tests can substitute an
// in-memory file system (NewMemEnv) or inject faults (EnvWrapper subclasses).
//
// Env::Default() is the POSIX file system. Paths are plain byte strings; '/' separates
// components.
//
// Thread safety: Env implementations are safe for concurrent use. RandomAccessFile::Read is
// safe for concurrent use; a WritableFile must be used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/status.h"

namespace ckpt {

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  RandomAccessFile() = default;
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;

  // Reads up to `n` bytes at `offset`. `*result` points either into `scratch` (which must hold
  // `n` bytes) or at memory owned by the file (valid while the file is open). A short result
  // at end of file is not an error; offset past the end gives an empty result.
  virtual Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const = 0;

  // File size in bytes, as of opening.
  virtual uint64_t Size() const = 0;

  // If the whole file is mapped in memory (zero-copy reads), its bytes; else empty view
  // with nullptr data. Valid while the file object lives.
  virtual std::string_view Mapped() const { return {}; }

  // The path the file was opened with (for error messages).
  virtual const std::string& path() const = 0;
};

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;

  virtual Status Append(std::string_view data) = 0;
  // Pushes buffered data to the OS.
  virtual Status Flush() = 0;
  // Makes the data durable (fsync).
  virtual Status Sync() = 0;
  // Flushes and closes; further calls fail. Destroying an open file closes it, dropping errors.
  virtual Status Close() = 0;
  // Bytes appended so far.
  virtual uint64_t Size() const = 0;
};

// An exclusive advisory lock (Env::LockFile); released when destroyed or when the process dies.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

struct RandomAccessFileOptions {
  // Map the file into memory when the Env supports it. Default: false.
  bool use_mmap = false;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX Env. Never deleted.
  static Env* Default();

  virtual StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path, const RandomAccessFileOptions& options = {}) = 0;
  // Creates or truncates.
  virtual StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  virtual StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, excluding "." and "..", in no particular order.
  virtual StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual Status DeleteFile(const std::string& path) = 0;
  // Atomically replaces `to` if it exists (POSIX rename).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Creates one directory; OK if it already exists.
  virtual Status CreateDir(const std::string& dir) = 0;
  // Creates `dir` and any missing parents.
  virtual Status RecursivelyCreateDir(const std::string& dir);
  // Removes an empty directory.
  virtual Status DeleteDir(const std::string& dir) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;
  // Makes a directory's entries (creations, renames) durable. OK where unsupported.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Modification time in seconds since the epoch.
  virtual StatusOr<double> GetModificationTime(const std::string& path) = 0;

  // Exclusive advisory lock (creating the file). FailedPrecondition/Unavailable if held.
  virtual StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;

  // Wall-clock time in microseconds since the epoch.
  virtual uint64_t NowMicros() = 0;

  // Helpers built on the virtual interface.
  StatusOr<std::string> ReadFileToString(const std::string& path);
  Status WriteStringToFile(const std::string& path, std::string_view data, bool sync = false);
  // What AtomicWriteStringToFile makes durable: nothing (the rename is still atomic against
  // a process crash, not a power loss); the file's bytes before the rename; or also the
  // rename (the directory is synced after it).
  enum class SyncMode { kNone, kFile, kFileAndDir };
  // Writes `path + ".tmp<random>"`, syncs it (per `sync`), renames it over `path`, syncs the
  // directory (kFileAndDir). On failure removes the temporary file; `path` is then untouched.
  Status AtomicWriteStringToFile(const std::string& path, std::string_view data,
                                 SyncMode sync = SyncMode::kFileAndDir);
};

// Forwards every call to a target Env; subclass it to intercept some calls.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}  // target must outlive this
  Env* target() const { return target_; }

  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& p, const RandomAccessFileOptions& o = {}) override {
    return target_->NewRandomAccessFile(p, o);
  }
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    return target_->NewWritableFile(p);
  }
  bool FileExists(const std::string& p) override { return target_->FileExists(p); }
  StatusOr<uint64_t> GetFileSize(const std::string& p) override { return target_->GetFileSize(p); }
  StatusOr<std::vector<std::string>> GetChildren(const std::string& d) override {
    return target_->GetChildren(d);
  }
  Status DeleteFile(const std::string& p) override { return target_->DeleteFile(p); }
  Status RenameFile(const std::string& f, const std::string& t) override {
    return target_->RenameFile(f, t);
  }
  Status CreateDir(const std::string& d) override { return target_->CreateDir(d); }
  Status RecursivelyCreateDir(const std::string& d) override {
    return target_->RecursivelyCreateDir(d);
  }
  Status DeleteDir(const std::string& d) override { return target_->DeleteDir(d); }
  bool IsDirectory(const std::string& p) override { return target_->IsDirectory(p); }
  Status SyncDir(const std::string& d) override { return target_->SyncDir(d); }
  StatusOr<double> GetModificationTime(const std::string& p) override {
    return target_->GetModificationTime(p);
  }
  StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& p) override {
    return target_->LockFile(p);
  }
  uint64_t NowMicros() override { return target_->NowMicros(); }

 private:
  Env* target_;
};

// An in-memory file system (for tests). The caller owns the result.
std::unique_ptr<Env> NewMemEnv();

// A random number for temporary file names ("x.tmp<n>", "x.tempstate<n>"): a per-thread
// generator seeded once from the system (a system call per name would cost more than the
// file's write on a small checkpoint).
uint64_t TempNameRandom();

// Path helpers (pure string manipulation).
namespace path {
std::string Join(std::string_view a, std::string_view b);
std::string Dirname(std::string_view p);   // "a/b" -> "a", "b" -> "", "/b" -> "/"
std::string Basename(std::string_view p);  // "a/b" -> "b"
bool IsAbsolute(std::string_view p);
// Lexical relative path from `base` dir to `p` (both absolute or both relative).
std::string Relative(std::string_view p, std::string_view base);
// Removes "." components, duplicate slashes and resolves ".." lexically.
std::string Normalize(std::string_view p);
}  // namespace path

}  // namespace ckpt
