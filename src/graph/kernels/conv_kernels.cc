// Convolution: Conv2D and DepthwiseConv2dNative (NHWC, SAME/VALID/EXPLICIT padding, strides,
// dilations) on the CPU.
//
// The convolution is lowered to a matrix product: a patch matrix (im2col) of shape
// [rows = N*OH*OW, K = KH*KW*IC] times the filter viewed as [K, OC] (its HWIO layout is
// already that matrix). Patches are built in row chunks of bounded size so that memory stays
// O(chunk * K) however large the batch; 1x1 convolutions with stride 1 and no padding skip the
// patch matrix and multiply the input directly. Float products run on oneDNN's sgemm (gemm.h),
// others on Eigen's tensor contraction on the session's thread pool.
//
// A depthwise convolution convolves each input channel with its own `multiplier` filters
// (output channel c * multiplier + m): no product to lower to, so it runs directly, output row
// by output row on the thread pool, the innermost loop running over the contiguous channels.
#include "graph/kernels/conv_kernels.h"

#include "graph/kernels/dnnl_conv.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "graph/kernel.h"
#include "graph/kernels/eigen.h"
#include "graph/kernels/gemm.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

Status ComputeWindowDim(const std::string& padding, int64_t explicit_before, int64_t explicit_after,
                        std::string_view what, WindowDim* d) {
  if (d->window <= 0 || d->stride <= 0 || d->dilation <= 0) {
    return InvalidArgumentError(std::string(what) + ": window " + std::to_string(d->window) +
                                ", stride " + std::to_string(d->stride) + " and dilation " +
                                std::to_string(d->dilation) + " must be positive");
  }
  const int64_t eff = (d->window - 1) * d->dilation + 1;
  if (padding == "VALID") {
    if (d->in < eff) {
      return InvalidArgumentError(std::string(what) + ": window of effective size " +
                                  std::to_string(eff) + " is larger than the input size " +
                                  std::to_string(d->in) + " with VALID padding");
    }
    d->out = (d->in - eff + d->stride) / d->stride;
    d->pad_before = 0;
  } else if (padding == "SAME") {
    d->out = (d->in + d->stride - 1) / d->stride;
    const int64_t total = std::max<int64_t>((d->out - 1) * d->stride + eff - d->in, 0);
    d->pad_before = total / 2;
  } else if (padding == "EXPLICIT") {
    if (explicit_before < 0 || explicit_after < 0) {
      return InvalidArgumentError(std::string(what) + ": explicit padding must be >= 0");
    }
    const int64_t padded = d->in + explicit_before + explicit_after;
    if (padded < eff) {
      return InvalidArgumentError(std::string(what) + ": window of effective size " +
                                  std::to_string(eff) + " is larger than the padded input size " +
                                  std::to_string(padded));
    }
    d->out = (padded - eff) / d->stride + 1;
    d->pad_before = explicit_before;
  } else {
    return InvalidArgumentError(std::string(what) + ": unknown padding '" + padding + "'");
  }
  return Status::OK();
}

StatusOr<std::pair<int64_t, int64_t>> SpatialPair(const std::vector<int64_t>& values,
                                                  std::string_view attr, std::string_view node) {
  if (values.size() != 4) {
    return InvalidArgumentError("node " + std::string(node) + ": attr '" + std::string(attr) +
                                "' must have 4 values (NHWC), got " +
                                std::to_string(values.size()));
  }
  if (values[0] != 1 || values[3] != 1) {
    return UnimplementedError("node " + std::string(node) + ": attr '" + std::string(attr) +
                              "' must be 1 in the batch and depth dimensions");
  }
  return std::make_pair(values[1], values[2]);
}

StatusOr<std::array<int64_t, 4>> ExplicitSpatialPaddings(const std::vector<int64_t>& ep,
                                                         std::string_view node) {
  if (ep.size() != 8 || ep[0] != 0 || ep[1] != 0 || ep[6] != 0 || ep[7] != 0) {
    return InvalidArgumentError("node " + std::string(node) +
                                ": explicit_paddings must have 8 values with zero batch "
                                "and depth padding");
  }
  return std::array<int64_t, 4>{ep[2], ep[3], ep[4], ep[5]};
}

Status RequireNhwc(const OpKernelConstruction& c) {
  std::string format = "NHWC";
  if (c.HasAttr("data_format")) CKPT_RETURN_IF_ERROR(c.GetAttr("data_format", &format));
  if (format == "NHWC") return Status::OK();
  return UnimplementedError("node " + c.name() + ": " + c.op() +
                            " on the CPU supports only data_format NHWC, got " + format);
}

StatusOr<std::array<int64_t, 4>> ReadExplicitPaddings(const OpKernelConstruction& c) {
  std::vector<int64_t> ep;
  CKPT_RETURN_IF_ERROR(c.GetAttr("explicit_paddings", &ep));
  return ExplicitSpatialPaddings(ep, c.name());
}

namespace {

// Patch rows per chunk: keeps the patch matrix near 8 MiB.
int64_t ChunkRows(int64_t k, size_t elem) {
  const int64_t budget = int64_t{8} << 20;
  return std::max<int64_t>(1, budget / std::max<int64_t>(1, k * static_cast<int64_t>(elem)));
}

// The attrs Conv2D and DepthwiseConv2dNative share: strides, dilations, padding.
class ConvKernelBase : public OpKernel {
 public:
  explicit ConvKernelBase(const OpKernelConstruction& c) : op_(c.op()) {
    std::vector<int64_t> strides, dilations;
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("strides", &strides));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("padding", &padding_));
    if (c.HasAttr("dilations")) CKPT_OP_REQUIRES_OK(c, c.GetAttr("dilations", &dilations));
    if (dilations.empty()) dilations = {1, 1, 1, 1};
    CKPT_OP_REQUIRES_OK(c, RequireNhwc(c));
    auto s = SpatialPair(strides, "strides", c.name());
    CKPT_OP_REQUIRES_OK(c, s.status());
    auto d = SpatialPair(dilations, "dilations", c.name());
    CKPT_OP_REQUIRES_OK(c, d.status());
    stride_h_ = s->first;
    stride_w_ = s->second;
    dil_h_ = d->first;
    dil_w_ = d->second;
    if (padding_ == "EXPLICIT") {
      auto pads = ReadExplicitPaddings(c);
      CKPT_OP_REQUIRES_OK(c, pads.status());
      pad_top_ = (*pads)[0];
      pad_bottom_ = (*pads)[1];
      pad_left_ = (*pads)[2];
      pad_right_ = (*pads)[3];
    }
  }

 protected:
  // The output geometry for `in` (NHWC) and `filter` (HW..), after checking ranks and dtypes.
  Status Geometry(const Tensor& in, const Tensor& filter, WindowDim* h, WindowDim* w) const {
    if (in.shape().rank() != 4) {
      return InvalidArgumentError("input must be 4-dimensional: " + in.shape().DebugString());
    }
    if (filter.shape().rank() != 4) {
      return InvalidArgumentError("filter must be 4-dimensional: " + filter.shape().DebugString());
    }
    if (filter.dtype() != in.dtype()) {
      return InvalidArgumentError("filter dtype differs from input dtype");
    }
    *h = WindowDim{in.shape().dim(1), filter.shape().dim(0), stride_h_, dil_h_};
    *w = WindowDim{in.shape().dim(2), filter.shape().dim(1), stride_w_, dil_w_};
    CKPT_RETURN_IF_ERROR(ComputeWindowDim(padding_, pad_top_, pad_bottom_, op_ + " rows", h));
    return ComputeWindowDim(padding_, pad_left_, pad_right_, op_ + " cols", w);
  }

  // Float convolutions of at least this many multiply-adds run on oneDNN's convolution
  // primitive (created at the first call; smaller ones would not repay that). Grouped and
  // depthwise ones from a far smaller size: oneDNN's depthwise kernels beat the loop below even at
  // 7x7 (MobileNetV2 at batch 1 on one core: 15.6-19.3 ms -> 12.6-13.1 ms, EfficientNetB0 21.5-26.0
  // ms -> 19.4-20.1 ms).
  static constexpr int64_t kDnnlMinMacs = int64_t{1} << 22;
  static constexpr int64_t kDnnlMinDepthwiseMacs = int64_t{1} << 16;

  // Runs the float convolution on oneDNN when it is built in and the convolution is large
  // enough; *done tells whether it ran.
  Status MaybeRunDnnl(OpKernelContext* ctx, const WindowDim& h, const WindowDim& w,
                      const Tensor& in, const Tensor& filter, Tensor* out, int64_t groups,
                      bool* done) {
    *done = false;
    if constexpr (!kHaveDnnlConv) return Status::OK();
    const TensorShape& os = out->shape();
    const int64_t macs = os.num_elements() * h.window * w.window * (in.shape().dim(3) / groups);
    if (macs < (groups > 1 ? kDnnlMinDepthwiseMacs : kDnnlMinMacs) || os.num_elements() == 0) {
      return Status::OK();
    }
    DnnlConvShape s;
    s.n = in.shape().dim(0);
    s.ih = h.in;
    s.iw = w.in;
    s.ic = in.shape().dim(3);
    s.oh = h.out;
    s.ow = w.out;
    s.oc = os.dim(3);
    s.kh = h.window;
    s.kw = w.window;
    s.sh = h.stride;
    s.sw = w.stride;
    s.dh = h.dilation;
    s.dw = w.dilation;
    s.pad_top = h.pad_before;
    s.pad_left = w.pad_before;
    // oneDNN wants the padding that makes its output size come out as TF's.
    s.pad_bottom = (h.out - 1) * h.stride + (h.window - 1) * h.dilation + 1 - h.in - h.pad_before;
    s.pad_right = (w.out - 1) * w.stride + (w.window - 1) * w.dilation + 1 - w.in - w.pad_before;
    s.groups = groups;
    const auto* dev = ctx->eigen_device();
    CKPT_RETURN_IF_ERROR(dnnl_.Run(s, filter, in.data<float>(), out->data<float>(),
                                   dev == nullptr ? 1 : dev->numThreads()));
    *done = true;
    return Status::OK();
  }

  // A depthwise convolution: input [N, H, W, C], filter memory [KH, KW, C, M] (which is also
  // a grouped Conv2D's [KH, KW, 1, C * M] with one group per input channel), output
  // [N, OH, OW, C * M] already allocated.
  template <typename T>
  Status RunDepthwise(OpKernelContext* ctx, const WindowDim& h, const WindowDim& w,
                      const Tensor& in, const Tensor& filter, int64_t m, Tensor* out) {
    const int64_t n = in.shape().dim(0);
    const int64_t c = in.shape().dim(3);
    const int64_t oc = c * m;
    const int64_t rows = n * h.out;  // output rows, each [OW, OC]
    if (rows == 0 || w.out == 0 || oc == 0) return Status::OK();
    if constexpr (std::is_same_v<T, float>) {
      bool done;
      CKPT_RETURN_IF_ERROR(MaybeRunDnnl(ctx, h, w, in, filter, out, c, &done));
      if (done) return Status::OK();
    }
    const T* pi = in.data<T>();
    const T* pf = filter.data<T>();
    T* po = out->data<T>();
    auto run = [&](int64_t first, int64_t last) {
      for (int64_t row = first; row < last; ++row) {
        const int64_t b = row / h.out;
        const int64_t oy = row % h.out;
        const T* img = pi + b * h.in * w.in * c;
        T* orow = po + row * w.out * oc;
        std::fill(orow, orow + w.out * oc, T(0));
        for (int64_t ky = 0; ky < h.window; ++ky) {
          const int64_t iy = oy * h.stride - h.pad_before + ky * h.dilation;
          if (iy < 0 || iy >= h.in) continue;
          const T* irow = img + iy * w.in * c;
          for (int64_t kx = 0; kx < w.window; ++kx) {
            const T* f = pf + (ky * w.window + kx) * oc;
            for (int64_t ox = 0; ox < w.out; ++ox) {
              const int64_t ix = ox * w.stride - w.pad_before + kx * w.dilation;
              if (ix < 0 || ix >= w.in) continue;
              const T* x = irow + ix * c;
              T* o = orow + ox * oc;
              if (m == 1) {
                for (int64_t ch = 0; ch < c; ++ch) o[ch] += x[ch] * f[ch];
              } else {
                for (int64_t ch = 0; ch < c; ++ch) {
                  const T v = x[ch];
                  for (int64_t j = 0; j < m; ++j) o[ch * m + j] += v * f[ch * m + j];
                }
              }
            }
          }
        }
      }
    };
    const auto* dev = ctx->eigen_device();
    const int64_t per_row = w.out * oc * h.window * w.window;
    if (dev != nullptr && rows * per_row >= (1 << 16)) {
      dev->parallelFor(
          rows, Eigen::TensorOpCost(per_row * sizeof(T), w.out * oc * sizeof(T), 2 * per_row),
          [&](Eigen::Index a, Eigen::Index b) { run(a, b); });
    } else {
      run(0, rows);
    }
    return Status::OK();
  }

  std::string op_;
  std::string padding_;
  int64_t stride_h_ = 1, stride_w_ = 1, dil_h_ = 1, dil_w_ = 1;
  int64_t pad_top_ = 0, pad_bottom_ = 0, pad_left_ = 0, pad_right_ = 0;
  DnnlConv dnnl_;  // the primitive and reordered filter of the last call
};

class Conv2DKernel : public ConvKernelBase {
 public:
  using ConvKernelBase::ConvKernelBase;

  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    const Tensor& filter = ctx->input(1);
    switch (in.dtype()) {
      case DataType::kFloat: return ComputeT<float>(ctx, in, filter);
      case DataType::kDouble: return ComputeT<double>(ctx, in, filter);
      case DataType::kInt32: return ComputeT<int32_t>(ctx, in, filter);
      default: return UnimplementedError(DtypeError(ctx, in.dtype()));
    }
  }

 private:
  template <typename T>
  Status ComputeT(OpKernelContext* ctx, const Tensor& in, const Tensor& filter) {
    WindowDim h, w;
    CKPT_RETURN_IF_ERROR(Geometry(in, filter, &h, &w));
    const int64_t n = in.shape().dim(0);
    const int64_t ic = in.shape().dim(3);
    const int64_t fic = filter.shape().dim(2);
    const int64_t oc = filter.shape().dim(3);
    if (fic <= 0 || ic % fic != 0) {
      return InvalidArgumentError("input depth must be evenly divisible by filter depth: " +
                                  std::to_string(ic) + " vs " + std::to_string(fic));
    }
    if (fic != ic) {
      // Grouped (Keras' Conv2D with groups; ConvNeXt's depthwise layers): ic / fic groups of
      // fic input channels, each with oc / groups output channels.
      const int64_t groups = ic / fic;
      if (oc % groups != 0) {
        return InvalidArgumentError("output depth " + std::to_string(oc) +
                                    " is not a multiple of the " + std::to_string(groups) +
                                    " groups");
      }
      CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output_uninitialized(
                                              0, in.dtype(), TensorShape{n, h.out, w.out, oc}));
      if (out->num_elements() == 0) return Status::OK();
      if constexpr (std::is_same_v<T, float>) {
        bool done;
        CKPT_RETURN_IF_ERROR(MaybeRunDnnl(ctx, h, w, in, filter, out, groups, &done));
        if (done) return Status::OK();
      }
      if constexpr (!std::is_same_v<T, int32_t>) {
        if (fic == 1) return RunDepthwise<T>(ctx, h, w, in, filter, oc / ic, out);
      }
      return UnimplementedError("grouped convolution (input depth " + std::to_string(ic) +
                                ", filter depth " + std::to_string(fic) +
                                ") runs only as a depthwise one (filter depth 1) or, for float, "
                                "on oneDNN when it has 64K+ multiply-adds");
    }
    // Every element is written below (zeros when the window is empty), so no zero-fill first.
    CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output_uninitialized(
                                            0, in.dtype(), TensorShape{n, h.out, w.out, oc}));
    const int64_t rows = n * h.out * w.out;
    const int64_t k = h.window * w.window * ic;
    if (rows == 0 || oc == 0) return Status::OK();
    T* po = out->data<T>();
    if (k == 0) {
      std::fill(po, po + rows * oc, T(0));
      return Status::OK();
    }
    if constexpr (std::is_same_v<T, float>) {
      bool done;
      CKPT_RETURN_IF_ERROR(MaybeRunDnnl(ctx, h, w, in, filter, out, 1, &done));
      if (done) return Status::OK();
    }
    const T* pi = in.data<T>();
    const T* pf = filter.data<T>();
    const auto* dev = ctx->eigen_device();

    const bool pointwise = h.window == 1 && w.window == 1 && h.stride == 1 && w.stride == 1 &&
                           h.pad_before == 0 && w.pad_before == 0 && h.out == h.in && w.out == w.in;
    if (pointwise) {
      return Gemm<T>(dev, pi, pf, po, rows, k, oc);
    }

    const int64_t chunk = std::min(rows, ChunkRows(k, sizeof(T)));
    // Every element of a patch row is written below, so the buffer is reused across calls
    // without clearing (kernels run on one thread at a time).
    scratch_.resize(std::max(scratch_.size(), static_cast<size_t>(chunk * k) * sizeof(T)));
    T* const patches = reinterpret_cast<T*>(scratch_.data());
    const int64_t ohw = h.out * w.out;
    const int64_t row_bytes = w.window * ic;  // contiguous when dilation_w == 1
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
      const int64_t nr = std::min(chunk, rows - r0);
      auto fill = [&](int64_t first, int64_t last) {
        for (int64_t r = first; r < last; ++r) {
          const int64_t row = r0 + r;
          const int64_t b = row / ohw;
          const int64_t oy = (row % ohw) / w.out;
          const int64_t ox = row % w.out;
          T* dst = patches + r * k;
          const int64_t iy0 = oy * h.stride - h.pad_before;
          const int64_t ix0 = ox * w.stride - w.pad_before;
          const T* img = pi + b * h.in * w.in * ic;
          for (int64_t ky = 0; ky < h.window; ++ky) {
            const int64_t iy = iy0 + ky * h.dilation;
            T* drow = dst + ky * row_bytes;
            if (iy < 0 || iy >= h.in) {
              std::fill(drow, drow + row_bytes, T(0));
              continue;
            }
            const T* srow = img + iy * w.in * ic;
            if (w.dilation == 1 && ix0 >= 0 && ix0 + w.window <= w.in) {
              std::memcpy(drow, srow + ix0 * ic, sizeof(T) * row_bytes);
              continue;
            }
            for (int64_t kx = 0; kx < w.window; ++kx) {
              const int64_t ix = ix0 + kx * w.dilation;
              T* d = drow + kx * ic;
              if (ix < 0 || ix >= w.in) {
                std::fill(d, d + ic, T(0));
              } else {
                std::memcpy(d, srow + ix * ic, sizeof(T) * ic);
              }
            }
          }
        }
      };
      if (dev != nullptr && nr * k >= (1 << 16)) {
        dev->parallelFor(nr, Eigen::TensorOpCost(k * sizeof(T), k * sizeof(T), k),
                         [&](Eigen::Index a, Eigen::Index b) { fill(a, b); });
      } else {
        fill(0, nr);
      }
      CKPT_RETURN_IF_ERROR(Gemm<T>(dev, patches, pf, po + r0 * oc, nr, k, oc));
    }
    return Status::OK();
  }

  // out[m, n] = a[m, k] * b[k, n], row-major.
  template <typename T>
  static Status Gemm(const Eigen::ThreadPoolDevice* dev, const T* a, const T* b, T* out, int64_t m,
                     int64_t k, int64_t n) {
    // oneDNN generates code for a product's shape class on its first use (tens of ms for the
    // small-K shapes of early layers); only products large enough to repay that use it.
    if constexpr (std::is_same_v<T, float>) {
      if (kHaveSgemm && m * n * k >= (int64_t{1} << 22)) {
        return Sgemm(dev, false, false, m, n, k, a, k, b, n, out, n);
      }
    }
    using In2 = Eigen::TensorMap<Eigen::Tensor<const T, 2, Eigen::RowMajor>, Eigen::Unaligned>;
    using Out2 = Eigen::TensorMap<Eigen::Tensor<T, 2, Eigen::RowMajor>, Eigen::Unaligned>;
    In2 ea(a, m, k);
    In2 eb(b, k, n);
    Out2 eo(out, m, n);
    Eigen::array<Eigen::IndexPair<Eigen::Index>, 1> dims{Eigen::IndexPair<Eigen::Index>(1, 0)};
    if (dev != nullptr && m * n * k >= (1 << 15)) {
      eo.device(*dev) = ea.contract(eb, dims);
    } else {
      eo = ea.contract(eb, dims);
    }
    return Status::OK();
  }

  std::vector<std::byte> scratch_;  // the im2col patch rows, reused across calls
};

// DepthwiseConv2dNative: input [N, H, W, C], filter [KH, KW, C, M], output [N, OH, OW, C * M].
class DepthwiseConv2dKernel : public ConvKernelBase {
 public:
  using ConvKernelBase::ConvKernelBase;

  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    const Tensor& filter = ctx->input(1);
    switch (in.dtype()) {
      case DataType::kFloat: return ComputeT<float>(ctx, in, filter);
      case DataType::kDouble: return ComputeT<double>(ctx, in, filter);
      default: return UnimplementedError(DtypeError(ctx, in.dtype()));
    }
  }

 private:
  template <typename T>
  Status ComputeT(OpKernelContext* ctx, const Tensor& in, const Tensor& filter) {
    WindowDim h, w;
    CKPT_RETURN_IF_ERROR(Geometry(in, filter, &h, &w));
    const int64_t n = in.shape().dim(0);
    const int64_t c = in.shape().dim(3);
    if (filter.shape().dim(2) != c) {
      return InvalidArgumentError("input depth " + std::to_string(c) +
                                  " differs from the filter's in_channels " +
                                  std::to_string(filter.shape().dim(2)));
    }
    const int64_t m = filter.shape().dim(3);
    const int64_t oc = c * m;
    CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output_uninitialized(
                                            0, in.dtype(), TensorShape{n, h.out, w.out, oc}));
    return RunDepthwise<T>(ctx, h, w, in, filter, m, out);
  }
};

}  // namespace

void RegisterConvKernels(KernelRegistry* r) {
  r->Register("Conv2D", MakeKernel<Conv2DKernel>());
  r->Register("DepthwiseConv2dNative", MakeKernel<DepthwiseConv2dKernel>());
}

}  // namespace ckpt
