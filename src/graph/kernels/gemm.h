// Float matrix products on oneDNN's sgemm (TF's own CPU GEMM), shared by the kernels that
// lower to one (MatMul, Conv2D's im2col). Built without oneDNN, kHaveSgemm is false and the
// kernels use Eigen's contraction instead.
#pragma once

#include <cstdint>

#include "ckpt/core/status.h"
#include "graph/kernels/eigen.h"

namespace ckpt {

#if CKPT_HAVE_ONEDNN
inline constexpr bool kHaveSgemm = true;
#else
inline constexpr bool kHaveSgemm = false;
#endif

// Row-major C[m,n] = op(A) op(B) (op: transposed when ta / tb), leading dimensions lda, ldb,
// ldc. Products of at least 32 MFLOP per block are split by rows (or columns) over the
// session's pool `dev` (nullable); smaller ones run on the calling thread. Internal error when
// oneDNN fails; Unimplemented when built without it.
Status Sgemm(const Eigen::ThreadPoolDevice* dev, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
             const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc);

}  // namespace ckpt
