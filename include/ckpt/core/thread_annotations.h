// Thread-safety annotations for members guarded by a mutex and functions that must be called
// with one held. They document the locking contract beside the member; under clang they are
// clang's thread-safety attributes, which Clang builds check (-Wthread-safety, an error there:
// reading a guarded member without its mutex fails the build); under other compilers they
// expand to nothing. The analysis needs a mutex type annotated as a capability, which
// libstdc++'s std::mutex is not: annotated members are guarded by a ckpt::Mutex, locked with a
// ckpt::MutexLock.
//
//   mutable ckpt::Mutex mu_;
//   int count_ CKPT_GUARDED_BY(mu_);         // read or written only with mu_ held
//   void BumpLocked() CKPT_REQUIRES(mu_);    // callers hold mu_
//   void Bump() { ckpt::MutexLock l(mu_); BumpLocked(); }
#pragma once

#include <mutex>

#if defined(__clang__)
#define CKPT_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define CKPT_THREAD_ANNOTATION_(x)
#endif

// The member is read and written only with `x` held.
#define CKPT_GUARDED_BY(x) CKPT_THREAD_ANNOTATION_(guarded_by(x))
// The pointee of this pointer member is accessed only with `x` held.
#define CKPT_PT_GUARDED_BY(x) CKPT_THREAD_ANNOTATION_(pt_guarded_by(x))
// Callers of the function hold the listed mutexes.
#define CKPT_REQUIRES(...) CKPT_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
// Callers of the function must not hold the listed mutexes (it takes them).
#define CKPT_EXCLUDES(...) CKPT_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
// For the Mutex types below.
#define CKPT_CAPABILITY(x) CKPT_THREAD_ANNOTATION_(capability(x))
#define CKPT_SCOPED_CAPABILITY CKPT_THREAD_ANNOTATION_(scoped_lockable)
#define CKPT_ACQUIRE(...) CKPT_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define CKPT_RELEASE(...) CKPT_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))

namespace ckpt {

// std::mutex as a capability the analysis knows. Not recursive; lock() blocks.
class CKPT_CAPABILITY("mutex") Mutex {
 public:
  void lock() CKPT_ACQUIRE() { mu_.lock(); }
  void unlock() CKPT_RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds a Mutex for its scope (std::lock_guard).
class CKPT_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) CKPT_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() CKPT_RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace ckpt
