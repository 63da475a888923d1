// Math ops: element-wise unary and binary arithmetic with numpy broadcasting, comparisons,
// logic, AddN, MatMul (oneDNN's sgemm for float when built with it, else Eigen's tensor
// contraction on the session's thread pool) and reductions.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

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
  chunks = std::min<int64_t>({chunks, static_cast<int64_t>(flops / kMinFlopsPerThread),
                              (extent + 15) / 16});
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

// ---- binary element-wise ----------------------------------------------------------------

template <typename T>
T FloorDivT(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    T q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
  } else {
    return std::floor(a / b);
  }
}

template <typename T>
T FloorModT(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    T m = a % b;
    if (m != 0 && ((m < 0) != (b < 0))) m += b;
    return m;
  } else {
    T m = std::fmod(a, b);
    if (m != 0 && ((m < 0) != (b < 0))) m += b;
    return m;
  }
}

template <typename T>
T PowT(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    if (b < 0) return a == 1 ? 1 : (a == -1 ? ((b % 2) ? -1 : 1) : 0);
    T r = 1;
    while (b > 0) {
      if (b & 1) r *= a;
      a *= a;
      b >>= 1;
    }
    return r;
  } else {
    return std::pow(a, b);
  }
}

enum class Bin {
  kAdd, kSub, kMul, kRealDiv, kDiv, kDivNoNan, kFloorDiv, kFloorMod, kMax, kMin, kPow,
  kSqDiff,
};

template <Bin op, typename T>
inline T ApplyBin(T a, T b) {
  if constexpr (op == Bin::kAdd) return a + b;
  if constexpr (op == Bin::kSub) return a - b;
  if constexpr (op == Bin::kMul) return a * b;
  if constexpr (op == Bin::kRealDiv || op == Bin::kDiv) return a / b;
  if constexpr (op == Bin::kDivNoNan) return b == T(0) ? T(0) : a / b;
  if constexpr (op == Bin::kFloorDiv) return FloorDivT(a, b);
  if constexpr (op == Bin::kFloorMod) return FloorModT(a, b);
  if constexpr (op == Bin::kMax) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    }
    return a > b ? a : b;
  }
  if constexpr (op == Bin::kMin) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    }
    return a < b ? a : b;
  }
  if constexpr (op == Bin::kPow) return PowT(a, b);
  if constexpr (op == Bin::kSqDiff) return (a - b) * (a - b);
  return T();
}

template <Bin op, typename T>
Status BinaryT(OpKernelContext* ctx, const Tensor& a, const Tensor& b, const TensorShape& shape) {
  if constexpr (std::is_integral_v<T> &&
                (op == Bin::kDiv || op == Bin::kFloorDiv || op == Bin::kFloorMod ||
                 op == Bin::kRealDiv)) {
    for (T v : b.flat<T>()) {
      if (v == 0) return InvalidArgumentError("integer division by zero");
    }
  }
  CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output_uninitialized(0, a.dtype(), shape));
  BroadcastBinary<T, T, T>(a, b, out, [](T x, T y) { return ApplyBin<op, T>(x, y); });
  return Status::OK();
}

template <Bin op>
Status BinaryFn(OpKernelContext* ctx) {
  const Tensor& a = ctx->input(0);
  const Tensor& b = ctx->input(1);
  if (a.dtype() != b.dtype()) return InvalidArgumentError("operands have different dtypes");
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, BroadcastShapes(a.shape(), b.shape()));
  switch (a.dtype()) {
    case DataType::kFloat: return BinaryT<op, float>(ctx, a, b, shape);
    case DataType::kDouble: return BinaryT<op, double>(ctx, a, b, shape);
    case DataType::kInt32:
      if constexpr (op != Bin::kRealDiv) return BinaryT<op, int32_t>(ctx, a, b, shape);
      break;
    case DataType::kInt64:
      if constexpr (op != Bin::kRealDiv) return BinaryT<op, int64_t>(ctx, a, b, shape);
      break;
    default:
      break;
  }
  return UnimplementedError(DtypeError(ctx, a.dtype()));
}

// ---- comparisons / logic ------------------------------------------------------------------

enum class Cmp { kEq, kNe, kLt, kLe, kGt, kGe };

template <Cmp op, typename T>
Status CompareT(OpKernelContext* ctx, const Tensor& a, const Tensor& b, const TensorShape& shape) {
  CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output_uninitialized(0, DataType::kBool, shape));
  BroadcastBinary<T, T, bool>(a, b, out, [](T x, T y) {
    if constexpr (op == Cmp::kEq) return x == y;
    if constexpr (op == Cmp::kNe) return x != y;
    if constexpr (op == Cmp::kLt) return x < y;
    if constexpr (op == Cmp::kLe) return x <= y;
    if constexpr (op == Cmp::kGt) return x > y;
    return x >= y;
  });
  return Status::OK();
}

template <Cmp op>
class CompareKernel : public OpKernel {
 public:
  explicit CompareKernel(const OpKernelConstruction& c) {
    if (c.HasAttr("incompatible_shape_error")) {
      c.GetAttr("incompatible_shape_error", &incompatible_shape_error_).IgnoreError();
    }
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& a = ctx->input(0);
    const Tensor& b = ctx->input(1);
    auto shape_or = BroadcastShapes(a.shape(), b.shape());
    if (!shape_or.ok()) {
      if (!incompatible_shape_error_ && (op == Cmp::kEq || op == Cmp::kNe)) {
        ctx->set_output(0, Tensor::Scalar<bool>(op == Cmp::kNe));
        return Status::OK();
      }
      return shape_or.status();
    }
    const TensorShape& shape = *shape_or;
    switch (a.dtype()) {
      case DataType::kFloat: return CompareT<op, float>(ctx, a, b, shape);
      case DataType::kDouble: return CompareT<op, double>(ctx, a, b, shape);
      case DataType::kInt32: return CompareT<op, int32_t>(ctx, a, b, shape);
      case DataType::kInt64: return CompareT<op, int64_t>(ctx, a, b, shape);
      case DataType::kUInt8: return CompareT<op, uint8_t>(ctx, a, b, shape);
      case DataType::kInt8: return CompareT<op, int8_t>(ctx, a, b, shape);
      case DataType::kInt16: return CompareT<op, int16_t>(ctx, a, b, shape);
      case DataType::kBool:
        if constexpr (op == Cmp::kEq || op == Cmp::kNe) return CompareT<op, bool>(ctx, a, b, shape);
        break;
      default:
        break;
    }
    return UnimplementedError(DtypeError(ctx, a.dtype()));
  }

 private:
  bool incompatible_shape_error_ = true;
};

template <bool kAnd>
Status LogicalBinary(OpKernelContext* ctx) {
  const Tensor& a = ctx->input(0);
  const Tensor& b = ctx->input(1);
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, BroadcastShapes(a.shape(), b.shape()));
  CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output_uninitialized(0, DataType::kBool, shape));
  BroadcastBinary<bool, bool, bool>(a, b, out, [](bool x, bool y) { return kAnd ? (x && y) : (x || y); });
  return Status::OK();
}

// ---- unary ----------------------------------------------------------------------------------

enum class Un {
  kNeg, kSquare, kSqrt, kRsqrt, kExp, kLog, kLog1p, kAbs, kSign, kReciprocal, kRound, kFloor,
  kCeil, kSigmoid, kTanh,
};

template <Un op>
constexpr bool FloatOnly() {
  return op == Un::kSqrt || op == Un::kRsqrt || op == Un::kExp || op == Un::kLog ||
         op == Un::kLog1p || op == Un::kSigmoid || op == Un::kTanh || op == Un::kFloor ||
         op == Un::kCeil;
}

template <Un op, typename T>
inline T ApplyUn(T x) {
  if constexpr (op == Un::kNeg) return -x;
  if constexpr (op == Un::kSquare) return x * x;
  if constexpr (op == Un::kSqrt) return std::sqrt(x);
  if constexpr (op == Un::kRsqrt) return T(1) / std::sqrt(x);
  if constexpr (op == Un::kExp) return std::exp(x);
  if constexpr (op == Un::kLog) return std::log(x);
  if constexpr (op == Un::kLog1p) return std::log1p(x);
  if constexpr (op == Un::kAbs) return x < 0 ? -x : x;
  if constexpr (op == Un::kSign) return static_cast<T>((T(0) < x) - (x < T(0)));
  if constexpr (op == Un::kReciprocal) return T(1) / x;
  if constexpr (op == Un::kRound) {
    if constexpr (std::is_floating_point_v<T>) {
      return std::nearbyint(x);  // half to even under the default rounding mode
    } else {
      return x;
    }
  }
  if constexpr (op == Un::kFloor) return std::floor(x);
  if constexpr (op == Un::kCeil) return std::ceil(x);
  if constexpr (op == Un::kSigmoid) return T(1) / (T(1) + std::exp(-x));
  if constexpr (op == Un::kTanh) return std::tanh(x);
  return x;
}

template <Un op, typename T>
Status UnaryT(OpKernelContext* ctx, const Tensor& in) {
  CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output_uninitialized(0, in.dtype(), in.shape()));
  const T* s = in.data<T>();
  T* d = out->data<T>();
  const int64_t n = in.num_elements();
  if constexpr (op == Un::kReciprocal && std::is_integral_v<T>) {
    for (int64_t i = 0; i < n; ++i) {
      if (s[i] == 0) return InvalidArgumentError("integer division by zero");
    }
  }
  for (int64_t i = 0; i < n; ++i) d[i] = ApplyUn<op, T>(s[i]);
  return Status::OK();
}

template <Un op>
Status UnaryFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  switch (in.dtype()) {
    case DataType::kFloat: return UnaryT<op, float>(ctx, in);
    case DataType::kDouble: return UnaryT<op, double>(ctx, in);
    case DataType::kInt32:
      if constexpr (!FloatOnly<op>()) return UnaryT<op, int32_t>(ctx, in);
      break;
    case DataType::kInt64:
      if constexpr (!FloatOnly<op>()) return UnaryT<op, int64_t>(ctx, in);
      break;
    default:
      break;
  }
  return UnimplementedError(DtypeError(ctx, in.dtype()));
}

Status LogicalNotFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output_uninitialized(0, DataType::kBool, in.shape()));
  for (int64_t i = 0; i < in.num_elements(); ++i) out->data<bool>()[i] = !in.data<bool>()[i];
  return Status::OK();
}

// ---- AddN -----------------------------------------------------------------------------------

template <typename T>
Status AddNT(OpKernelContext* ctx) {
  const Tensor& first = ctx->input(0);
  for (int i = 1; i < ctx->num_inputs(); ++i) {
    if (!(ctx->input(i).shape() == first.shape())) {
      return InvalidArgumentError("inputs to AddN must have the same shape: input 0 is " +
                                  first.shape().DebugString() + ", input " + std::to_string(i) +
                                  " is " + ctx->input(i).shape().DebugString());
    }
  }
  CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output_uninitialized(0, first.dtype(), first.shape()));
  T* d = out->data<T>();
  const int64_t n = first.num_elements();
  std::copy_n(first.data<T>(), n, d);
  for (int i = 1; i < ctx->num_inputs(); ++i) {
    const T* s = ctx->input(i).data<T>();
    for (int64_t k = 0; k < n; ++k) d[k] += s[k];
  }
  return Status::OK();
}

Status AddNFn(OpKernelContext* ctx) {
  switch (ctx->input(0).dtype()) {
    case DataType::kFloat: return AddNT<float>(ctx);
    case DataType::kDouble: return AddNT<double>(ctx);
    case DataType::kInt32: return AddNT<int32_t>(ctx);
    case DataType::kInt64: return AddNT<int64_t>(ctx);
    default: return UnimplementedError(DtypeError(ctx, ctx->input(0).dtype()));
  }
}

// ---- MatMul ---------------------------------------------------------------------------------

class MatMulKernel : public OpKernel {
 public:
  explicit MatMulKernel(const OpKernelConstruction& c) {
    c.GetAttr("transpose_a", &ta_).IgnoreError();
    c.GetAttr("transpose_b", &tb_).IgnoreError();
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
    CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output_uninitialized(0, a.dtype(), TensorShape{m, n}));
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
          SgemmParallel(ctx->eigen_device(), ta_, tb_, m, n, k, a.data<float>(),
                        a.shape().dim(1), b.data<float>(), b.shape().dim(1),
                        out->data<float>(), n);
      if (st != dnnl_success) {
        return InternalError("oneDNN sgemm failed with status " + std::to_string(st) +
                             " for In[0]: " + a.shape().DebugString() + ", In[1]: " +
                             b.shape().DebugString());
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

// ---- reductions -----------------------------------------------------------------------------

enum class Red { kSum, kMean, kMax, kMin, kProd };

template <Red op, typename T>
T RedInit() {
  if constexpr (op == Red::kSum || op == Red::kMean) return T(0);
  if constexpr (op == Red::kProd) return T(1);
  if constexpr (op == Red::kMax) {
    return std::is_floating_point_v<T> ? -std::numeric_limits<T>::infinity()
                                       : std::numeric_limits<T>::lowest();
  }
  return std::is_floating_point_v<T> ? std::numeric_limits<T>::infinity()
                                     : std::numeric_limits<T>::max();
}

template <Red op, typename T>
inline T RedStep(T acc, T x) {
  if constexpr (op == Red::kSum || op == Red::kMean) return acc + x;
  if constexpr (op == Red::kProd) return acc * x;
  if constexpr (op == Red::kMax) {
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(x)) return x;
    }
    return x > acc ? x : acc;
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(x)) return x;
  }
  return x < acc ? x : acc;
}

// Reduced axes (sorted, unique) from an axis tensor.
StatusOr<std::vector<bool>> ReducedAxes(const Tensor& axis_t, int rank) {
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ReadIndexVector(axis_t, "reduction indices"));
  std::vector<bool> reduce(rank, false);
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) {
      return InvalidArgumentError("invalid reduction dimension " + std::to_string(a) +
                                  " for input with " + std::to_string(rank) + " dimensions");
    }
    reduce[a < 0 ? a + rank : a] = true;
  }
  return reduce;
}

template <Red op, typename T>
Status ReduceT(OpKernelContext* ctx, const Tensor& in, const std::vector<bool>& reduce,
               bool keep_dims) {
  const int r = in.shape().rank();
  std::vector<int64_t> out_dims, keep_dims_full;
  int64_t reduced_count = 1;
  for (int d = 0; d < r; ++d) {
    if (reduce[d]) {
      reduced_count *= in.shape().dim(d);
      if (keep_dims) out_dims.push_back(1);
      keep_dims_full.push_back(1);
    } else {
      out_dims.push_back(in.shape().dim(d));
      keep_dims_full.push_back(in.shape().dim(d));
    }
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape out_shape, TensorShape::FromDims(out_dims));
  CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output_uninitialized(0, in.dtype(), out_shape));
  T* po = out->data<T>();
  const int64_t n_out = out->num_elements();
  for (int64_t i = 0; i < n_out; ++i) po[i] = RedInit<op, T>();
  const T* pi = in.data<T>();
  const int64_t n = in.num_elements();
  // Collapse to [outer, reduce, inner] when the reduced dims are contiguous.
  int first = -1, last = -1;
  for (int d = 0; d < r; ++d) {
    if (reduce[d] && in.shape().dim(d) != 1) {
      if (first < 0) first = d;
      last = d;
    }
  }
  bool contiguous = true;
  for (int d = first; first >= 0 && d <= last; ++d) {
    if (!reduce[d] && in.shape().dim(d) != 1) contiguous = false;
  }
  if (n > 0 && contiguous) {
    int64_t outer = 1, mid = 1, inner = 1;
    for (int d = 0; d < r; ++d) {
      if (first < 0 || d < first) {
        outer *= in.shape().dim(d);
      } else if (d <= last) {
        mid *= in.shape().dim(d);
      } else {
        inner *= in.shape().dim(d);
      }
    }
    if (first < 0) {
      outer = n;
      mid = 1;
      inner = 1;
    }
    for (int64_t o = 0; o < outer; ++o) {
      T* dst = po + o * inner;
      const T* src = pi + o * mid * inner;
      if (inner == 1) {
        T acc = RedInit<op, T>();
        for (int64_t m = 0; m < mid; ++m) acc = RedStep<op, T>(acc, src[m]);
        dst[0] = acc;
      } else {
        for (int64_t m = 0; m < mid; ++m) {
          const T* row = src + m * inner;
          for (int64_t j = 0; j < inner; ++j) dst[j] = RedStep<op, T>(dst[j], row[j]);
        }
      }
    }
  } else if (n > 0) {
    // General case: walk the input, mapping each element to its output slot.
    TensorShape full = TensorShape::FromDims(keep_dims_full).value();
    std::vector<int64_t> ostride = BroadcastStrides(full, in.shape());
    std::vector<int64_t> idx(r, 0);
    int64_t off = 0;
    for (int64_t i = 0; i < n; ++i) {
      po[off] = RedStep<op, T>(po[off], pi[i]);
      for (int d = r - 1; d >= 0; --d) {
        off += ostride[d];
        if (++idx[d] < in.shape().dim(d)) break;
        off -= ostride[d] * in.shape().dim(d);
        idx[d] = 0;
      }
    }
  }
  if constexpr (op == Red::kMean) {
    if (reduced_count > 0) {
      for (int64_t i = 0; i < n_out; ++i) po[i] /= static_cast<T>(reduced_count);
    } else if constexpr (std::is_floating_point_v<T>) {
      for (int64_t i = 0; i < n_out; ++i) po[i] = std::numeric_limits<T>::quiet_NaN();
    }
  }
  return Status::OK();
}

template <Red op>
class ReduceKernel : public OpKernel {
 public:
  explicit ReduceKernel(const OpKernelConstruction& c) {
    c.GetAttr("keep_dims", &keep_dims_).IgnoreError();
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    CKPT_ASSIGN_OR_RETURN(std::vector<bool> reduce, ReducedAxes(ctx->input(1), in.shape().rank()));
    switch (in.dtype()) {
      case DataType::kFloat: return ReduceT<op, float>(ctx, in, reduce, keep_dims_);
      case DataType::kDouble: return ReduceT<op, double>(ctx, in, reduce, keep_dims_);
      case DataType::kInt32: return ReduceT<op, int32_t>(ctx, in, reduce, keep_dims_);
      case DataType::kInt64: return ReduceT<op, int64_t>(ctx, in, reduce, keep_dims_);
      default: return UnimplementedError(DtypeError(ctx, in.dtype()));
    }
  }

 private:
  bool keep_dims_ = false;
};

template <bool kMax, typename T, typename I>
void ArgT(const Tensor& in, int axis, Tensor* out) {
  const int r = in.shape().rank();
  int64_t outer = 1, mid = in.shape().dim(axis), inner = 1;
  for (int d = 0; d < axis; ++d) outer *= in.shape().dim(d);
  for (int d = axis + 1; d < r; ++d) inner *= in.shape().dim(d);
  const T* p = in.data<T>();
  I* o = out->data<I>();
  for (int64_t a = 0; a < outer; ++a) {
    for (int64_t j = 0; j < inner; ++j) {
      I best = 0;
      T bv = p[a * mid * inner + j];
      for (int64_t m = 1; m < mid; ++m) {
        T v = p[(a * mid + m) * inner + j];
        if (kMax ? v > bv : v < bv) {
          bv = v;
          best = static_cast<I>(m);
        }
      }
      o[a * inner + j] = best;
    }
  }
}

template <bool kMax>
class ArgKernel : public OpKernel {
 public:
  explicit ArgKernel(const OpKernelConstruction& c) {
    c.GetAttr("output_type", &out_type_).IgnoreError();
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> axis_v, ReadIndexVector(ctx->input(1), "dimension"));
    if (axis_v.size() != 1) return InvalidArgumentError("dimension must be a scalar");
    CKPT_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_v[0], in.shape().rank(), "dimension"));
    if (in.shape().dim(axis) == 0) {
      return InvalidArgumentError("reduction axis " + std::to_string(axis) + " is empty in shape " +
                                  in.shape().DebugString());
    }
    std::vector<int64_t> dims = in.shape().dim_vector();
    dims.erase(dims.begin() + axis);
    CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
    CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output(0, out_type_, shape));
#define CKPT_ARG(T)                                                     \
  if (out_type_ == DataType::kInt64) {                                  \
    ArgT<kMax, T, int64_t>(in, axis, out);                              \
  } else {                                                              \
    ArgT<kMax, T, int32_t>(in, axis, out);                              \
  }                                                                     \
  return Status::OK();
    switch (in.dtype()) {
      case DataType::kFloat: CKPT_ARG(float)
      case DataType::kDouble: CKPT_ARG(double)
      case DataType::kInt32: CKPT_ARG(int32_t)
      case DataType::kInt64: CKPT_ARG(int64_t)
      default: return UnimplementedError(DtypeError(ctx, in.dtype()));
    }
#undef CKPT_ARG
  }

 private:
  DataType out_type_ = DataType::kInt64;
};

template <typename K>
KernelFactory Make() {
  return [](const OpKernelConstruction& c) -> StatusOr<std::unique_ptr<OpKernel>> {
    return std::unique_ptr<OpKernel>(new K(c));
  };
}

}  // namespace

void RegisterMathKernels(KernelRegistry* r) {
  r->RegisterFn("Add", BinaryFn<Bin::kAdd>);
  r->RegisterFn("AddV2", BinaryFn<Bin::kAdd>);
  r->RegisterFn("Sub", BinaryFn<Bin::kSub>);
  r->RegisterFn("Mul", BinaryFn<Bin::kMul>);
  r->RegisterFn("RealDiv", BinaryFn<Bin::kRealDiv>);
  r->RegisterFn("Div", BinaryFn<Bin::kDiv>);
  r->RegisterFn("DivNoNan", BinaryFn<Bin::kDivNoNan>);
  r->RegisterFn("FloorDiv", BinaryFn<Bin::kFloorDiv>);
  r->RegisterFn("FloorMod", BinaryFn<Bin::kFloorMod>);
  r->RegisterFn("Maximum", BinaryFn<Bin::kMax>);
  r->RegisterFn("Minimum", BinaryFn<Bin::kMin>);
  r->RegisterFn("Pow", BinaryFn<Bin::kPow>);
  r->RegisterFn("SquaredDifference", BinaryFn<Bin::kSqDiff>);
  r->Register("Equal", Make<CompareKernel<Cmp::kEq>>());
  r->Register("NotEqual", Make<CompareKernel<Cmp::kNe>>());
  r->Register("Less", Make<CompareKernel<Cmp::kLt>>());
  r->Register("LessEqual", Make<CompareKernel<Cmp::kLe>>());
  r->Register("Greater", Make<CompareKernel<Cmp::kGt>>());
  r->Register("GreaterEqual", Make<CompareKernel<Cmp::kGe>>());
  r->RegisterFn("LogicalAnd", LogicalBinary<true>);
  r->RegisterFn("LogicalOr", LogicalBinary<false>);
  r->RegisterFn("LogicalNot", LogicalNotFn);
  r->RegisterFn("Neg", UnaryFn<Un::kNeg>);
  r->RegisterFn("Square", UnaryFn<Un::kSquare>);
  r->RegisterFn("Sqrt", UnaryFn<Un::kSqrt>);
  r->RegisterFn("Rsqrt", UnaryFn<Un::kRsqrt>);
  r->RegisterFn("Exp", UnaryFn<Un::kExp>);
  r->RegisterFn("Log", UnaryFn<Un::kLog>);
  r->RegisterFn("Log1p", UnaryFn<Un::kLog1p>);
  r->RegisterFn("Abs", UnaryFn<Un::kAbs>);
  r->RegisterFn("Sign", UnaryFn<Un::kSign>);
  r->RegisterFn("Reciprocal", UnaryFn<Un::kReciprocal>);
  r->RegisterFn("Round", UnaryFn<Un::kRound>);
  r->RegisterFn("Floor", UnaryFn<Un::kFloor>);
  r->RegisterFn("Ceil", UnaryFn<Un::kCeil>);
  r->RegisterFn("Sigmoid", UnaryFn<Un::kSigmoid>);
  r->RegisterFn("Tanh", UnaryFn<Un::kTanh>);
  r->RegisterFn("AddN", AddNFn);
  r->Register("MatMul", Make<MatMulKernel>());
  r->Register("Sum", Make<ReduceKernel<Red::kSum>>());
  r->Register("Mean", Make<ReduceKernel<Red::kMean>>());
  r->Register("Max", Make<ReduceKernel<Red::kMax>>());
  r->Register("Min", Make<ReduceKernel<Red::kMin>>());
  r->Register("Prod", Make<ReduceKernel<Red::kProd>>());
  r->Register("ArgMax", Make<ArgKernel<true>>());
  r->Register("ArgMin", Make<ArgKernel<false>>());
}

}  // namespace ckpt
