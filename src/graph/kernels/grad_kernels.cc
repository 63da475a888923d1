// Kernels of the ops TF's gradient code emits: activation gradients (SigmoidGrad, TanhGrad,
// ReluGrad, Relu6Grad, EluGrad, SoftplusGrad), ReciprocalGrad/RsqrtGrad/SqrtGrad,
// BiasAddGrad and BroadcastGradientArgs. Element formulas follow TF's CPU functors.
#include <algorithm>
#include <cmath>

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
    CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output(0, a.dtype(), a.shape()));
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
  r->Register("BiasAddGrad", [](const OpKernelConstruction& c)
                                 -> StatusOr<std::unique_ptr<OpKernel>> {
    return std::unique_ptr<OpKernel>(new BiasAddGradKernel(c));
  });
}

}  // namespace ckpt
