// Kernels of the ops TF's gradient code emits: activation gradients (SigmoidGrad, TanhGrad,
// ReluGrad, Relu6Grad, EluGrad, SoftplusGrad), ReciprocalGrad/RsqrtGrad/SqrtGrad,
// BiasAddGrad and BroadcastGradientArgs. Element formulas follow TF's CPU functors.
#include <algorithm>
#include <cmath>
#include <vector>

#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {
namespace {

// z = f(a, b) elementwise over two same-shape inputs.
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
    CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output_uninitialized(0, a.dtype(), a.shape()));
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

#define CKPT_BINARY_GRAD(NAME, EXPR)                                        \
  Status NAME(OpKernelContext* ctx) {                                       \
    return SameShapeBinary(ctx, #NAME, [](auto a, auto b) {                 \
      using T = decltype(a);                                                \
      (void)sizeof(T);                                                      \
      return EXPR;                                                          \
    });                                                                     \
  }

// (y, dy) ops.
CKPT_BINARY_GRAD(SigmoidGrad, b * a * (T(1) - a))
CKPT_BINARY_GRAD(TanhGrad, b * (T(1) - a * a))
CKPT_BINARY_GRAD(ReciprocalGrad, -b * a * a)
CKPT_BINARY_GRAD(RsqrtGrad, T(-0.5) * (b * a) * (a * a))
CKPT_BINARY_GRAD(SqrtGrad, T(0.5) * b / a)
// (gradients, features/outputs) ops.
CKPT_BINARY_GRAD(ReluGrad, b > T(0) ? a : T(0))
CKPT_BINARY_GRAD(Relu6Grad, (b > T(0) && b < T(6)) ? a : T(0))
CKPT_BINARY_GRAD(EluGrad, b < T(0) ? a * (b + T(1)) : a)
CKPT_BINARY_GRAD(SoftplusGrad, a / (T(1) + std::exp(-b)))
#undef CKPT_BINARY_GRAD

class BiasAddGradKernel : public OpKernel {
 public:
  explicit BiasAddGradKernel(const OpKernelConstruction& c) {
    c.GetAttr("data_format", &format_).IgnoreError();
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& g = ctx->input(0);
    const int r = g.shape().rank();
    if (r < 2) {
      return InvalidArgumentError("BiasAddGrad: input must be at least 2-D, got " +
                                  g.shape().DebugString());
    }
    const int cdim = format_ == "NCHW" ? 1 : r - 1;
    const int64_t c = g.shape().dim(cdim);
    int64_t inner = 1;
    for (int d = cdim + 1; d < r; ++d) inner *= g.shape().dim(d);
    auto run = [&](auto zero) -> Status {
      using T = decltype(zero);
      CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output(0, g.dtype(), TensorShape{c}));
      T* po = out->data<T>();
      std::fill(po, po + c, T(0));
      const T* pg = g.data<T>();
      const int64_t n = g.num_elements();
      if (inner == 1) {
        for (int64_t base = 0; base < n; base += c) {
          for (int64_t j = 0; j < c; ++j) po[j] += pg[base + j];
        }
      } else {
        for (int64_t i = 0; i < n; ++i) po[(i / inner) % c] += pg[i];
      }
      return Status::OK();
    };
    switch (g.dtype()) {
      case DataType::kFloat: return run(float{});
      case DataType::kDouble: return run(double{});
      default: return UnimplementedError(DtypeError(ctx, g.dtype()));
    }
  }

 private:
  std::string format_ = "NHWC";
};

// BroadcastGradientArgs(s0, s1) -> (r0, r1): the axes each input was broadcast along.
Status BroadcastGradientArgs(OpKernelContext* ctx) {
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> s0, ReadIndexVector(ctx->input(0), "s0"));
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> s1, ReadIndexVector(ctx->input(1), "s1"));
  const size_t r = std::max(s0.size(), s1.size());
  std::vector<int64_t> r0, r1;
  for (size_t i = 0; i < r; ++i) {
    const int64_t a = i < r - s0.size() ? 1 : s0[i - (r - s0.size())];
    const int64_t b = i < r - s1.size() ? 1 : s1[i - (r - s1.size())];
    if (a == b) {
      if (a == 1) {
        r0.push_back(static_cast<int64_t>(i));
        r1.push_back(static_cast<int64_t>(i));
      }
    } else if (a == 1) {
      r0.push_back(static_cast<int64_t>(i));
    } else if (b == 1) {
      r1.push_back(static_cast<int64_t>(i));
    } else {
      return InvalidArgumentError("Incompatible shapes: [" + std::to_string(a) + "] vs. [" +
                                  std::to_string(b) + "] at dimension " + std::to_string(i));
    }
  }
  const DataType dt = ctx->input(0).dtype();
  for (int k = 0; k < 2; ++k) {
    const auto& v = k == 0 ? r0 : r1;
    CKPT_ASSIGN_OR_RETURN(Tensor* out,
                          ctx->allocate_output(k, dt, TensorShape{static_cast<int64_t>(v.size())}));
    for (size_t i = 0; i < v.size(); ++i) {
      if (dt == DataType::kInt32) {
        out->data<int32_t>()[i] = static_cast<int32_t>(v[i]);
      } else {
        out->data<int64_t>()[i] = v[i];
      }
    }
  }
  return Status::OK();
}

// Row-major strides of `shape`.
std::vector<int64_t> Strides(const TensorShape& shape) {
  std::vector<int64_t> st(shape.rank(), 1);
  for (int d = shape.rank() - 2; d >= 0; --d) st[d] = st[d + 1] * shape.dim(d + 1);
  return st;
}

// Copies every element of `src` into `dst` at dst_index = sum((idx[d] * step[d] + off[d]) *
// dst_stride[d]) (used by Pad and StridedSliceGrad), or accumulates when `add`.
template <typename T>
void Scatter(const T* src, const TensorShape& src_shape, T* dst,
             const std::vector<int64_t>& dst_offset, const std::vector<int64_t>& dst_step,
             const std::vector<int64_t>& dst_stride) {
  const int r = src_shape.rank();
  const int64_t n = src_shape.num_elements();
  std::vector<int64_t> idx(r, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    for (int d = 0; d < r; ++d) o += (idx[d] * dst_step[d] + dst_offset[d]) * dst_stride[d];
    dst[o] = src[i];
    for (int d = r - 1; d >= 0; --d) {
      if (++idx[d] < src_shape.dim(d)) break;
      idx[d] = 0;
    }
  }
}

template <typename F>
Status FloatOrDouble(OpKernelContext* ctx, DataType dt, F f) {
  switch (dt) {
    case DataType::kFloat: return f(float{});
    case DataType::kDouble: return f(double{});
    default: return UnimplementedError(DtypeError(ctx, dt));
  }
}

// Pad(input, paddings[rank, 2]) with zeros.
Status Pad(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> pads, ReadIndexVector(ctx->input(1), "paddings"));
  const int r = in.shape().rank();
  if (ctx->input(1).shape().rank() != 2 || static_cast<int>(pads.size()) != 2 * r) {
    return InvalidArgumentError("paddings must be a matrix of shape [" + std::to_string(r) +
                                ", 2], got " + ctx->input(1).shape().DebugString());
  }
  TensorShape out_shape;
  std::vector<int64_t> off(r), step(r, 1);
  for (int d = 0; d < r; ++d) {
    if (pads[2 * d] < 0 || pads[2 * d + 1] < 0) {
      return InvalidArgumentError("paddings must be non-negative");
    }
    out_shape.AddDim(in.shape().dim(d) + pads[2 * d] + pads[2 * d + 1]);
    off[d] = pads[2 * d];
  }
  return FloatOrDouble(ctx, in.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output_uninitialized(0, in.dtype(), out_shape));
    std::fill(out->data<T>(), out->data<T>() + out->num_elements(), T(0));
    if (in.num_elements() > 0) {
      Scatter<T>(in.data<T>(), in.shape(), out->data<T>(), off, step, Strides(out_shape));
    }
    return Status::OK();
  });
}

// UnsortedSegmentSum(data, segment_ids, num_segments): out[ids[i], ...] += data[i, ...].
Status UnsortedSegmentSum(OpKernelContext* ctx) {
  const Tensor& data = ctx->input(0);
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> ids, ReadIndexVector(ctx->input(1), "segment_ids"));
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> ns, ReadIndexVector(ctx->input(2), "num_segments"));
  if (ns.size() != 1 || ns[0] < 0) {
    return InvalidArgumentError("num_segments must be a non-negative scalar");
  }
  const TensorShape& ids_shape = ctx->input(1).shape();
  if (ids_shape.rank() > data.shape().rank()) {
    return InvalidArgumentError("segment_ids rank exceeds data rank");
  }
  for (int d = 0; d < ids_shape.rank(); ++d) {
    if (ids_shape.dim(d) != data.shape().dim(d)) {
      return InvalidArgumentError("data.shape = " + data.shape().DebugString() +
                                  " does not start with segment_ids.shape = " +
                                  ids_shape.DebugString());
    }
  }
  TensorShape out_shape{ns[0]};
  int64_t inner = 1;
  for (int d = ids_shape.rank(); d < data.shape().rank(); ++d) {
    out_shape.AddDim(data.shape().dim(d));
    inner *= data.shape().dim(d);
  }
  return FloatOrDouble(ctx, data.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output_uninitialized(0, data.dtype(), out_shape));
    T* po = out->data<T>();
    std::fill(po, po + out->num_elements(), T(0));
    const T* pd = data.data<T>();
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] < 0) continue;  // TF drops negative ids
      if (ids[i] >= ns[0]) {
        return InvalidArgumentError("segment_ids[" + std::to_string(i) + "] = " +
                                    std::to_string(ids[i]) + " is out of range [0, " +
                                    std::to_string(ns[0]) + ")");
      }
      for (int64_t j = 0; j < inner; ++j) po[ids[i] * inner + j] += pd[i * inner + j];
    }
    return Status::OK();
  });
}

// StridedSliceGrad(shape, begin, end, strides, dy): zeros of `shape` with dy written at the
// positions StridedSlice(begin, end, strides, masks) read.
class StridedSliceGradKernel : public OpKernel {
 public:
  explicit StridedSliceGradKernel(const OpKernelConstruction& c) {
    c.GetAttr("begin_mask", &begin_mask_).IgnoreError();
    c.GetAttr("end_mask", &end_mask_).IgnoreError();
    c.GetAttr("ellipsis_mask", &ellipsis_mask_).IgnoreError();
    c.GetAttr("new_axis_mask", &new_axis_mask_).IgnoreError();
    c.GetAttr("shrink_axis_mask", &shrink_axis_mask_).IgnoreError();
  }
  Status Compute(OpKernelContext* ctx) override {
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ReadIndexVector(ctx->input(0), "shape"));
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> begin, ReadIndexVector(ctx->input(1), "begin"));
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> end, ReadIndexVector(ctx->input(2), "end"));
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> strides, ReadIndexVector(ctx->input(3), "strides"));
    const Tensor& dy = ctx->input(4);
    if (begin.size() != end.size() || begin.size() != strides.size()) {
      return InvalidArgumentError("begin, end and strides must have the same length");
    }
    const int rank = static_cast<int>(shape.size());
    // Dense per-input-dimension spec: start and step for each dim, kept or shrunk.
    std::vector<int64_t> start(rank, 0), step(rank, 1), count(rank, 0);
    std::vector<bool> set(rank, false);
    const int n = static_cast<int>(begin.size());
    int num_real = 0;  // sparse entries that consume an input dim (not new_axis, not ellipsis)
    for (int i = 0; i < n; ++i) {
      if (!((ellipsis_mask_ >> i) & 1) && !((new_axis_mask_ >> i) & 1)) ++num_real;
    }
    int dim = 0;
    for (int i = 0; i < n && dim <= rank; ++i) {
      if ((ellipsis_mask_ >> i) & 1) {
        int remaining = 0;
        for (int j = i + 1; j < n; ++j) {
          if (!((new_axis_mask_ >> j) & 1) && !((ellipsis_mask_ >> j) & 1)) ++remaining;
        }
        const int stop = rank - remaining;
        for (; dim < stop; ++dim) count[dim] = shape[dim], set[dim] = true;
        continue;
      }
      if ((new_axis_mask_ >> i) & 1) continue;
      if (dim >= rank) return InvalidArgumentError("slice spec has more dimensions than the input");
      const int64_t size = shape[dim];
      const int64_t s = strides[i];
      if (s == 0) return InvalidArgumentError("strides[" + std::to_string(i) + "] must be non-zero");
      auto canon = [&](int64_t x, bool lo) {
        if (x < 0) x += size;
        if (s > 0) return std::clamp<int64_t>(x, 0, size);
        return std::clamp<int64_t>(x, -1, size - 1);
        (void)lo;
      };
      if ((shrink_axis_mask_ >> i) & 1) {
        int64_t b = begin[i] < 0 ? begin[i] + size : begin[i];
        if (b < 0 || b >= size) return InvalidArgumentError("slice index out of bounds");
        start[dim] = b;
        step[dim] = 1;
        count[dim] = 1;
      } else {
        int64_t b = ((begin_mask_ >> i) & 1) ? (s > 0 ? 0 : size - 1) : canon(begin[i], true);
        int64_t e = ((end_mask_ >> i) & 1) ? (s > 0 ? size : -1) : canon(end[i], false);
        int64_t c = s > 0 ? (e > b ? (e - b + s - 1) / s : 0) : (b > e ? (b - e + (-s) - 1) / (-s) : 0);
        start[dim] = b;
        step[dim] = s;
        count[dim] = c;
      }
      set[dim] = true;
      ++dim;
    }
    for (; dim < rank; ++dim) count[dim] = shape[dim], set[dim] = true;
    (void)num_real;
    (void)set;
    int64_t total = 1;
    for (int d = 0; d < rank; ++d) total *= count[d];
    if (total != dy.num_elements()) {
      return InvalidArgumentError("dy has " + std::to_string(dy.num_elements()) +
                                  " elements; the slice selects " + std::to_string(total));
    }
    auto out_shape = TensorShape::FromDims(shape);
    if (!out_shape.ok()) return out_shape.status();
    TensorShape src_shape;
    for (int d = 0; d < rank; ++d) src_shape.AddDim(count[d]);
    return FloatOrDouble(ctx, dy.dtype(), [&](auto zero) -> Status {
      using T = decltype(zero);
      CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output_uninitialized(0, dy.dtype(), *out_shape));
      std::fill(out->data<T>(), out->data<T>() + out->num_elements(), T(0));
      if (total > 0) {
        Scatter<T>(dy.data<T>(), src_shape, out->data<T>(), start, step, Strides(*out_shape));
      }
      return Status::OK();
    });
  }

 private:
  int64_t begin_mask_ = 0, end_mask_ = 0, ellipsis_mask_ = 0, new_axis_mask_ = 0,
          shrink_axis_mask_ = 0;
};

}  // namespace

void RegisterGradKernels(KernelRegistry* r) {
  r->RegisterFn("SigmoidGrad", SigmoidGrad);
  r->RegisterFn("TanhGrad", TanhGrad);
  r->RegisterFn("ReciprocalGrad", ReciprocalGrad);
  r->RegisterFn("RsqrtGrad", RsqrtGrad);
  r->RegisterFn("SqrtGrad", SqrtGrad);
  r->RegisterFn("ReluGrad", ReluGrad);
  r->RegisterFn("Relu6Grad", Relu6Grad);
  r->RegisterFn("EluGrad", EluGrad);
  r->RegisterFn("SoftplusGrad", SoftplusGrad);
  r->RegisterFn("BroadcastGradientArgs", BroadcastGradientArgs);
  r->RegisterFn("Pad", Pad);
  r->RegisterFn("UnsortedSegmentSum", UnsortedSegmentSum);
  r->Register("StridedSliceGrad", [](const OpKernelConstruction& c)
                                      -> StatusOr<std::unique_ptr<OpKernel>> {
    return std::unique_ptr<OpKernel>(new StridedSliceGradKernel(c));
  });
  r->Register("BiasAddGrad", [](const OpKernelConstruction& c)
                                 -> StatusOr<std::unique_ptr<OpKernel>> {
    return std::unique_ptr<OpKernel>(new BiasAddGradKernel(c));
  });
}

}  // namespace ckpt
