// Helpers shared by kernel families: dtype dispatch, numpy broadcasting, axis handling.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "graph/kernel.h"

namespace ckpt {

// Calls body.template operator()<T>() for the runtime dtype among the listed ones.
#define CKPT_DISPATCH_CASE(DT, T, ...) \
  case DataType::DT: {                 \
    using T_ = T;                      \
    __VA_ARGS__;                       \
    break;                             \
  }

std::string DtypeError(const OpKernelContext* ctx, DataType dt);

// Numpy-style broadcast of two shapes (right-aligned). InvalidArgument when incompatible.
StatusOr<TensorShape> BroadcastShapes(const TensorShape& a, const TensorShape& b);

// Strides (in elements) of `in` broadcast to `out` (0 on broadcast dims), aligned right.
std::vector<int64_t> BroadcastStrides(const TensorShape& in, const TensorShape& out);

// Row-major strides (in elements) of a dense tensor of these dims: the last is 1.
std::vector<int64_t> RowMajorStrides(std::span<const int64_t> dims);

// dst (dense, row-major, of `dims`) = src read at element `offset` + sum(i_d * strides[d])
// for every index; elements are `elem_size` bytes of any alignment. Moves a row of the last
// dim at a time: one memcpy when that row is contiguous in src, element moves otherwise.
void StridedCopy(const void* src, int64_t offset, std::span<const int64_t> dims,
                 std::span<const int64_t> strides, size_t elem_size, void* dst);

// y[i] = sigmoid(x[i]) for float, on Eigen's vectorized functor: every element takes the
// packet path (a tail shorter than a packet is padded), so each result depends only on its
// input, not on n or its position. The Sigmoid kernel and fused chains share it, which keeps
// them bit-identical. Defined with the kernel, in math_kernels.cc.
void SigmoidFloat(const float* x, float* y, int64_t n);

// Applies out[i] = f(a[ia], b[ib]) over the broadcast of a and b.
template <typename A, typename B, typename O, typename F>
void BroadcastBinary(const Tensor& a, const Tensor& b, Tensor* out, F f) {
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  O* po = out->data<O>();
  const int64_t n = out->num_elements();
  if (n == 0) return;
  if (a.num_elements() == n && b.num_elements() == n && a.shape() == b.shape()) {
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    return;
  }
  if (b.num_elements() == 1 && a.num_elements() == n) {
    const B y = pb[0];
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], y);
    return;
  }
  if (a.num_elements() == 1 && b.num_elements() == n) {
    const A x = pa[0];
    for (int64_t i = 0; i < n; ++i) po[i] = f(x, pb[i]);
    return;
  }
  const TensorShape& os = out->shape();
  const int r = os.rank();
  std::vector<int64_t> sa = BroadcastStrides(a.shape(), os);
  std::vector<int64_t> sb = BroadcastStrides(b.shape(), os);
  const int64_t inner = os.dim(r - 1);
  const int64_t ia_step = sa[r - 1], ib_step = sb[r - 1];
  std::vector<int64_t> idx(r, 0);
  int64_t oa = 0, ob = 0;
  for (int64_t base = 0; base < n; base += inner) {
    if (ia_step == 1 && ib_step == 1) {
      for (int64_t j = 0; j < inner; ++j) po[base + j] = f(pa[oa + j], pb[ob + j]);
    } else if (ia_step == 1 && ib_step == 0) {
      const B y = pb[ob];
      for (int64_t j = 0; j < inner; ++j) po[base + j] = f(pa[oa + j], y);
    } else if (ia_step == 0 && ib_step == 1) {
      const A x = pa[oa];
      for (int64_t j = 0; j < inner; ++j) po[base + j] = f(x, pb[ob + j]);
    } else {
      for (int64_t j = 0; j < inner; ++j)
        po[base + j] = f(pa[oa + j * ia_step], pb[ob + j * ib_step]);
    }
    // advance the outer index (dims 0..r-2)
    for (int d = r - 2; d >= 0; --d) {
      oa += sa[d];
      ob += sb[d];
      if (++idx[d] < os.dim(d)) break;
      oa -= sa[d] * os.dim(d);
      ob -= sb[d] * os.dim(d);
      idx[d] = 0;
    }
  }
}

// Same for three operands (SelectV2).
template <typename C, typename T, typename F>
void BroadcastTernary(const Tensor& c, const Tensor& a, const Tensor& b, Tensor* out, F f) {
  const TensorShape& os = out->shape();
  const int r = os.rank();
  const int64_t n = out->num_elements();
  std::vector<int64_t> sc = BroadcastStrides(c.shape(), os);
  std::vector<int64_t> sa = BroadcastStrides(a.shape(), os);
  std::vector<int64_t> sb = BroadcastStrides(b.shape(), os);
  std::vector<int64_t> idx(r, 0);
  const C* pc = c.data<C>();
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out->data<T>();
  int64_t oc = 0, oa = 0, ob = 0;
  for (int64_t i = 0; i < n; ++i) {
    po[i] = f(pc[oc], pa[oa], pb[ob]);
    for (int d = r - 1; d >= 0; --d) {
      oc += sc[d];
      oa += sa[d];
      ob += sb[d];
      if (++idx[d] < os.dim(d)) break;
      oc -= sc[d] * os.dim(d);
      oa -= sa[d] * os.dim(d);
      ob -= sb[d] * os.dim(d);
      idx[d] = 0;
    }
  }
}

// The whole file `name`, read through the kernel's Env (the session's file-access policy
// applies); ResourceExhausted before reading when it is larger than the run's memory limit.
StatusOr<std::string> ReadFileWithinLimits(OpKernelContext* ctx, const std::string& name);

// Reads an int32/int64 tensor as int64 values. InvalidArgument for other dtypes.
StatusOr<std::vector<int64_t>> ReadIndexVector(const Tensor& t, std::string_view what);

// z = f(a, b) elementwise over two same-shape float/double inputs (the (y, dy) and
// (gradients, features) gradient helper ops: SigmoidGrad, ReluGrad, ...).
template <typename F>
Status SameShapeBinary(OpKernelContext* ctx, const char* what, F f) {
  const Tensor& a = ctx->input(0);
  const Tensor& b = ctx->input(1);
  if (!(a.shape() == b.shape())) {
    return InvalidArgumentError(std::string(what) + ": inputs must have the same shape, got " +
                                a.shape().DebugString() + " and " + b.shape().DebugString());
  }
  if (a.dtype() != b.dtype()) {
    return InvalidArgumentError(std::string(what) + ": inputs must have the same dtype");
  }
  auto run = [&](auto zero) -> Status {
    using T = decltype(zero);
    CKPT_ASSIGN_OR_RETURN(Tensor * out,
                          ctx->allocate_output_uninitialized(0, a.dtype(), a.shape()));
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out->data<T>();
    const int64_t n = a.num_elements();
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    return Status::OK();
  };
  switch (a.dtype()) {
    case DataType::kFloat: return run(float{});
    case DataType::kDouble: return run(double{});
    default: return UnimplementedError(DtypeError(ctx, a.dtype()));
  }
}

// Defines `Status NAME(OpKernelContext*)` computing EXPR of (a, b) (element type T) with
// SameShapeBinary.
#define CKPT_SAME_SHAPE_BINARY_KERNEL(NAME, EXPR)           \
  Status NAME(OpKernelContext* ctx) {                       \
    return SameShapeBinary(ctx, #NAME, [](auto a, auto b) { \
      using T = decltype(a);                                \
      (void)sizeof(T);                                      \
      return EXPR;                                          \
    });                                                     \
  }

// Calls f(T{}) for a float or double `dt`; Unimplemented for other dtypes.
template <typename F>
Status FloatOrDouble(OpKernelContext* ctx, DataType dt, F f) {
  switch (dt) {
    case DataType::kFloat: return f(float{});
    case DataType::kDouble: return f(double{});
    default: return UnimplementedError(DtypeError(ctx, dt));
  }
}

// Normalizes `axis` in [-rank, rank) to [0, rank). InvalidArgument otherwise.
StatusOr<int> NormalizeAxis(int64_t axis, int rank, std::string_view what);

// Output 0 of ctx = params gathered at `indices` along `axis` (tf.gather with batch_dims 0):
// the shape is params.shape[:axis] + indices.shape + params.shape[axis+1:]. InvalidArgument for
// an index outside [0, params.shape[axis]) or a bad axis; Unimplemented for string params.
Status GatherAlongAxis(OpKernelContext* ctx, const Tensor& params, const Tensor& indices,
                       int64_t axis);

}  // namespace ckpt
