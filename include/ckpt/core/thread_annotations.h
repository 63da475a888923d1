// Thread-safety annotations for members guarded by a mutex and functions that must be called
// with one held. They document the locking contract beside the member; under clang they are
// clang's thread-safety attributes (checked by -Wthread-safety where the mutex type carries
// capability annotations, e.g. libc++ built with _LIBCPP_ENABLE_THREAD_SAFETY_ANNOTATIONS);
// under other compilers they expand to nothing.
//
//   mutable std::mutex mu_;
//   int count_ CKPT_GUARDED_BY(mu_);         // read or written only with mu_ held
//   void BumpLocked() CKPT_REQUIRES(mu_);    // callers hold mu_
#pragma once

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
