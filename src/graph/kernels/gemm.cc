// Float matrix products on oneDNN's sgemm (gemm.h).
#include "graph/kernels/gemm.h"

#include <algorithm>
#include <string>
#include <vector>

#if CKPT_HAVE_ONEDNN
#include <dnnl.h>
#include <omp.h>
#endif

namespace ckpt {

#if CKPT_HAVE_ONEDNN
namespace {

// Row-major C[m,n] = op(A) op(B) with oneDNN's sgemm on the calling thread alone. oneDNN's
// OpenMP team is not used: its threads spin between calls and contend with the session's own
// threads (measured: the classifier step swings between 0.45x and 1x of its speed when they
// share SMT siblings). Parallelism comes from the session's pool instead (SgemmParallel).
dnnl_status_t SgemmOneThread(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a,
                             int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc) {
  const int saved = omp_get_max_threads();
  if (saved != 1) omp_set_num_threads(1);  // this thread's OpenMP setting, restored below
  const dnnl_status_t st =
      dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
  if (saved != 1) omp_set_num_threads(saved);
  return st;
}

// Splits C into blocks of rows (or columns, when it is wider than tall), one per thread of
// the session's pool, when each block has at least kMinFlopsPerThread of work: waking a
// sleeping thread costs tens of microseconds on a virtual machine, as much as a 16 MFLOP
// block takes. Smaller products run on the calling thread.
constexpr double kMinFlopsPerThread = 32.0 * (1 << 20);
dnnl_status_t SgemmParallel(const Eigen::ThreadPoolDevice* dev, bool ta, bool tb, int64_t m,
                            int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                            int64_t ldb, float* c, int64_t ldc) {
  const double flops = 2.0 * static_cast<double>(m) * n * k;
  const bool by_rows = m >= n;
  const int64_t extent = by_rows ? m : n;
  int64_t chunks = dev == nullptr ? 1 : dev->numThreads();
  chunks = std::min<int64_t>(
      {chunks, static_cast<int64_t>(flops / kMinFlopsPerThread), (extent + 15) / 16});
  if (chunks <= 1) return SgemmOneThread(ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
  const int64_t step = (extent / chunks + 15) / 16 * 16;  // block edges on 16 floats
  std::vector<dnnl_status_t> status(chunks, dnnl_success);
  auto run = [&](int64_t i) {
    const int64_t lo = std::min(extent, i * step);
    const int64_t hi = i + 1 == chunks ? extent : std::min(extent, (i + 1) * step);
    if (hi <= lo) return;
    if (by_rows) {
      status[i] = SgemmOneThread(ta, tb, hi - lo, n, k, ta ? a + lo : a + lo * lda, lda, b, ldb,
                                 c + lo * ldc, ldc);
    } else {
      status[i] = SgemmOneThread(ta, tb, m, hi - lo, k, a, lda, tb ? b + lo * ldb : b + lo, ldb,
                                 c + lo, ldc);
    }
  };
  Eigen::Barrier barrier(static_cast<unsigned int>(chunks - 1));
  for (int64_t i = 1; i < chunks; ++i) dev->enqueue_with_barrier(&barrier, run, i);
  run(0);
  barrier.Wait();
  for (dnnl_status_t st : status) {
    if (st != dnnl_success) return st;
  }
  return dnnl_success;
}

}  // namespace

Status Sgemm(const Eigen::ThreadPoolDevice* dev, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
             const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc) {
  const dnnl_status_t st = SgemmParallel(dev, ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
  if (st == dnnl_success) return Status::OK();
  return InternalError("oneDNN sgemm failed with status " + std::to_string(st));
}
#else
Status Sgemm(const Eigen::ThreadPoolDevice*, bool, bool, int64_t, int64_t, int64_t, const float*,
             int64_t, const float*, int64_t, float*, int64_t) {
  return UnimplementedError("built without oneDNN: no sgemm");
}
#endif

}  // namespace ckpt
