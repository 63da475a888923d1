// MatMul (math family, src/graph/ops/math_ops.cc): oneDNN's sgemm for float when built with
// it, else Eigen's tensor contraction on the session's thread pool.
#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "graph/kernel.h"
#include "graph/kernels/eigen.h"
#include "graph/kernels/kernel_util.h"

#if CKPT_HAVE_ONEDNN
#include <dnnl.h>
#include <omp.h>
#endif

namespace ckpt {
namespace {

#if CKPT_HAVE_ONEDNN
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
#endif

class MatMulKernel : public OpKernel {
 public:
  explicit MatMulKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("transpose_a", &ta_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("transpose_b", &tb_));
  }

  template <typename T>
  Status ComputeT(OpKernelContext* ctx, const Tensor& a, const Tensor& b) {
    const int64_t m = ta_ ? a.shape().dim(1) : a.shape().dim(0);
    const int64_t k = ta_ ? a.shape().dim(0) : a.shape().dim(1);
    const int64_t k2 = tb_ ? b.shape().dim(1) : b.shape().dim(0);
    const int64_t n = tb_ ? b.shape().dim(0) : b.shape().dim(1);
    if (k != k2) {
      return InvalidArgumentError("matrix size-incompatible: In[0]: " + a.shape().DebugString() +
                                  ", In[1]: " + b.shape().DebugString());
    }
    CKPT_ASSIGN_OR_RETURN(Tensor * out,
                          ctx->allocate_output_uninitialized(0, a.dtype(), TensorShape{m, n}));
    if (m == 0 || n == 0) return Status::OK();
    // Unaligned maps: inputs may be borrowed buffers (mmap views, caller memory) that are not
    // 64-byte aligned; the contraction packs its operands anyway.
    using Map2 = Eigen::TensorMap<Eigen::Tensor<const T, 2, Eigen::RowMajor>>;
    using Out2 = Eigen::TensorMap<Eigen::Tensor<T, 2, Eigen::RowMajor>>;
    Map2 ea(a.data<T>(), a.shape().dim(0), a.shape().dim(1));
    Map2 eb(b.data<T>(), b.shape().dim(0), b.shape().dim(1));
    Out2 eo(out->data<T>(), m, n);
    if (k == 0) {
      eo.setZero();
      return Status::OK();
    }
#if CKPT_HAVE_ONEDNN
    if constexpr (std::is_same_v<T, float>) {
      // The leading dimension of each operand is its stored row length.
      const dnnl_status_t st =
          SgemmParallel(ctx->eigen_device(), ta_, tb_, m, n, k, a.data<float>(), a.shape().dim(1),
                        b.data<float>(), b.shape().dim(1), out->data<float>(), n);
      if (st != dnnl_success) {
        return InternalError("oneDNN sgemm failed with status " + std::to_string(st) +
                             " for In[0]: " + a.shape().DebugString() +
                             ", In[1]: " + b.shape().DebugString());
      }
      return Status::OK();
    }
#endif
    Eigen::array<Eigen::IndexPair<Eigen::Index>, 1> dims{
        Eigen::IndexPair<Eigen::Index>(ta_ ? 0 : 1, tb_ ? 1 : 0)};
    const auto* dev = ctx->eigen_device();
    if (dev != nullptr && m * n * k >= (1 << 15)) {
      eo.device(*dev) = ea.contract(eb, dims);
    } else {
      eo = ea.contract(eb, dims);
    }
    return Status::OK();
  }

  Status Compute(OpKernelContext* ctx) override {
    const Tensor& a = ctx->input(0);
    const Tensor& b = ctx->input(1);
    if (a.shape().rank() != 2 || b.shape().rank() != 2) {
      return InvalidArgumentError("In[0] and In[1] must be matrices: " + a.shape().DebugString() +
                                  ", " + b.shape().DebugString());
    }
    switch (a.dtype()) {
      case DataType::kFloat: return ComputeT<float>(ctx, a, b);
      case DataType::kDouble: return ComputeT<double>(ctx, a, b);
      case DataType::kInt32: return ComputeT<int32_t>(ctx, a, b);
      case DataType::kInt64: return ComputeT<int64_t>(ctx, a, b);
      default: return UnimplementedError(DtypeError(ctx, a.dtype()));
    }
  }

 private:
  bool ta_ = false, tb_ = false;
};

}  // namespace

void RegisterMatMulKernels(KernelRegistry* r) { r->Register("MatMul", MakeKernel<MatMulKernel>()); }

}  // namespace ckpt
