// MatMul (math family, src/graph/ops/math_ops.cc): oneDNN's sgemm for float when built with
// it (gemm.h), else Eigen's tensor contraction on the session's thread pool.
#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "graph/kernel.h"
#include "graph/kernels/eigen.h"
#include "graph/kernels/gemm.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {
namespace {

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
    if (m == 1 && !ta_ && k * n <= (int64_t{1} << 22)) {
      // A row vector times a matrix (batch-1 serving): Eigen's matrix-vector product, which
      // streams the matrix once and needs no generated code (oneDNN's first product of a
      // shape class spends milliseconds generating it).
      using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
      using Row = Eigen::Matrix<T, 1, Eigen::Dynamic>;
      Eigen::Map<const Row> x(a.data<T>(), k);
      Eigen::Map<const RowMajor> mb(b.data<T>(), b.shape().dim(0), b.shape().dim(1));
      Eigen::Map<Row> y(out->data<T>(), n);
      if (tb_) {
        y.noalias() = x * mb.transpose();
      } else {
        y.noalias() = x * mb;
      }
      return Status::OK();
    }
    if constexpr (std::is_same_v<T, float>) {
      if (kHaveSgemm) {
        // The leading dimension of each operand is its stored row length.
        return Sgemm(ctx->eigen_device(), ta_, tb_, m, n, k, a.data<float>(), a.shape().dim(1),
                     b.data<float>(), b.shape().dim(1), out->data<float>(), n)
            .WithContext("In[0]: " + a.shape().DebugString() +
                         ", In[1]: " + b.shape().DebugString());
      }
    }
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
