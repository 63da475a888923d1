// Pooling: MaxPool and AvgPool (NHWC, spatial windows, SAME/VALID padding; MaxPool also
// EXPLICIT) on the CPU.
//
// As in TF, padded positions never take part: MaxPool takes the maximum over the window's
// in-bounds elements and AvgPool divides by the number of in-bounds elements (not by the
// window size). Work is split over (batch, output row) on the session's thread pool.
#include <algorithm>
#include <array>
#include <limits>
#include <vector>

#include "graph/kernel.h"
#include "graph/kernels/conv_kernels.h"
#include "graph/kernels/eigen.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

namespace {

enum class Pool { kMax, kAvg };

template <Pool kind>
class PoolKernel : public OpKernel {
 public:
  explicit PoolKernel(const OpKernelConstruction& c) {
    std::vector<int64_t> ksize, strides;
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("ksize", &ksize));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("strides", &strides));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("padding", &padding_));
    CKPT_OP_REQUIRES_OK(c, RequireNhwc(c));
    auto ks = SpatialPair(ksize, "ksize", c.name());
    CKPT_OP_REQUIRES_OK(c, ks.status());
    auto st = SpatialPair(strides, "strides", c.name());
    CKPT_OP_REQUIRES_OK(c, st.status());
    kh_ = ks->first;
    kw_ = ks->second;
    sh_ = st->first;
    sw_ = st->second;
    if (padding_ == "EXPLICIT") {
      auto pads = ReadExplicitPaddings(c);
      CKPT_OP_REQUIRES_OK(c, pads.status());
      explicit_ = *pads;
    }
  }

  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    if (in.shape().rank() != 4) {
      return InvalidArgumentError("input must be 4-dimensional: " + in.shape().DebugString());
    }
    switch (in.dtype()) {
      case DataType::kFloat: return ComputeT<float>(ctx, in);
      case DataType::kDouble: return ComputeT<double>(ctx, in);
      case DataType::kInt32:
        if constexpr (kind == Pool::kMax) return ComputeT<int32_t>(ctx, in);
        break;
      case DataType::kInt64:
        if constexpr (kind == Pool::kMax) return ComputeT<int64_t>(ctx, in);
        break;
      default: break;
    }
    return UnimplementedError(DtypeError(ctx, in.dtype()));
  }

 private:
  template <typename T>
  Status ComputeT(OpKernelContext* ctx, const Tensor& in) {
    const int64_t n = in.shape().dim(0);
    const int64_t c = in.shape().dim(3);
    WindowDim h{in.shape().dim(1), kh_, sh_, 1};
    WindowDim w{in.shape().dim(2), kw_, sw_, 1};
    const char* what = kind == Pool::kMax ? "MaxPool" : "AvgPool";
    CKPT_RETURN_IF_ERROR(ComputeWindowDim(padding_, explicit_[0], explicit_[1], what, &h));
    CKPT_RETURN_IF_ERROR(ComputeWindowDim(padding_, explicit_[2], explicit_[3], what, &w));
    CKPT_ASSIGN_OR_RETURN(Tensor * out,
                          ctx->allocate_output(0, in.dtype(), TensorShape{n, h.out, w.out, c}));
    const int64_t units = n * h.out;
    if (units == 0 || w.out == 0 || c == 0) return Status::OK();
    const T* pi = in.data<T>();
    T* po = out->data<T>();
    auto body = [&](int64_t first, int64_t last) {
      std::vector<T> acc(static_cast<size_t>(c));
      for (int64_t u = first; u < last; ++u) {
        const int64_t b = u / h.out;
        const int64_t oy = u % h.out;
        const int64_t y0 = std::max<int64_t>(oy * h.stride - h.pad_before, 0);
        const int64_t y1 = std::min<int64_t>(oy * h.stride - h.pad_before + h.window, h.in);
        const T* img = pi + b * h.in * w.in * c;
        T* orow = po + (b * h.out + oy) * w.out * c;
        for (int64_t ox = 0; ox < w.out; ++ox) {
          const int64_t x0 = std::max<int64_t>(ox * w.stride - w.pad_before, 0);
          const int64_t x1 = std::min<int64_t>(ox * w.stride - w.pad_before + w.window, w.in);
          if constexpr (kind == Pool::kMax) {
            std::fill(acc.begin(), acc.end(), std::numeric_limits<T>::lowest());
          } else {
            std::fill(acc.begin(), acc.end(), T(0));
          }
          for (int64_t y = y0; y < y1; ++y) {
            for (int64_t x = x0; x < x1; ++x) {
              const T* v = img + (y * w.in + x) * c;
              if constexpr (kind == Pool::kMax) {
                for (int64_t ch = 0; ch < c; ++ch) acc[ch] = std::max(acc[ch], v[ch]);
              } else {
                for (int64_t ch = 0; ch < c; ++ch) acc[ch] += v[ch];
              }
            }
          }
          T* o = orow + ox * c;
          if constexpr (kind == Pool::kMax) {
            std::copy(acc.begin(), acc.end(), o);
          } else {
            const int64_t count = std::max<int64_t>((y1 - y0) * (x1 - x0), 1);
            const T denom = static_cast<T>(count);
            for (int64_t ch = 0; ch < c; ++ch) o[ch] = acc[ch] / denom;
          }
        }
      }
    };
    const auto* dev = ctx->eigen_device();
    const int64_t per_unit = w.out * c * h.window * w.window;
    if (dev != nullptr && units * per_unit >= (1 << 16)) {
      dev->parallelFor(units,
                       Eigen::TensorOpCost(per_unit * sizeof(T), w.out * c * sizeof(T), per_unit),
                       [&](Eigen::Index a, Eigen::Index b) { body(a, b); });
    } else {
      body(0, units);
    }
    return Status::OK();
  }

  std::string padding_;
  int64_t kh_ = 1, kw_ = 1, sh_ = 1, sw_ = 1;
  std::array<int64_t, 4> explicit_{0, 0, 0, 0};
};

}  // namespace

void RegisterPoolingKernels(KernelRegistry* r) {
  r->Register("MaxPool", MakeKernel<PoolKernel<Pool::kMax>>());
  r->Register("AvgPool", MakeKernel<PoolKernel<Pool::kAvg>>());
}

}  // namespace ckpt
