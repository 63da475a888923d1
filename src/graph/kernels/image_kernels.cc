// Kernels of the ops of src/graph/ops/image_ops.cc: ResizeBilinear and ResizeNearestNeighbor on
// NHWC images, with TF's coordinate rules. The scale is in / out, or (in - 1) / (out - 1) with
// align_corners (and out > 1), computed in float. Bilinear maps an output index to
// (out + 0.5) * scale - 0.5 with half_pixel_centers, else out * scale, and interpolates between
// the floor and ceil rows/columns clamped to the image; nearest maps it to (out + 0.5) * scale
// (half_pixel_centers) or out * scale, rounded with align_corners, else floored, then clamped.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {
namespace {

float ResizeScale(int64_t in, int64_t out, bool align_corners) {
  return (align_corners && out > 1) ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                    : static_cast<float>(in) / static_cast<float>(out);
}

struct Interp {
  int64_t lower, upper;
  float lerp;
};

class ResizeKernel : public OpKernel {
 public:
  explicit ResizeKernel(const OpKernelConstruction& c) : bilinear_(c.op() == "ResizeBilinear") {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("align_corners", &align_corners_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("half_pixel_centers", &half_pixel_centers_));
    if (align_corners_ && half_pixel_centers_) {
      c.CtxFailure(
          InvalidArgumentError("If half_pixel_centers is True, align_corners must be False."));
    }
  }

  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    const Tensor& size = ctx->input(1);
    if (in.shape().rank() != 4) {
      return InvalidArgumentError("input must be 4-dimensional, got shape " +
                                  in.shape().DebugString());
    }
    if (size.shape().rank() != 1 || size.num_elements() != 2) {
      return InvalidArgumentError("shape_t must be 1-dimensional with 2 elements, got shape " +
                                  size.shape().DebugString());
    }
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> hw, ReadIndexVector(size, "size"));
    const int64_t batch = in.shape().dim(0), ih = in.shape().dim(1), iw = in.shape().dim(2),
                  ch = in.shape().dim(3);
    const int64_t oh = hw[0], ow = hw[1];
    if (oh <= 0 || ow <= 0) {
      return InvalidArgumentError("output dimensions must be positive, got " + std::to_string(oh) +
                                  "x" + std::to_string(ow));
    }
    if (ih <= 0 || iw <= 0) {
      return InvalidArgumentError("input image must be of non-zero size, got shape " +
                                  in.shape().DebugString());
    }
    CKPT_ASSIGN_OR_RETURN(TensorShape os,
                          TensorShape::FromDims(std::vector<int64_t>{batch, oh, ow, ch}));
    const DataType out_type = ctx->info().output_type(0);
    if (bilinear_ && out_type != DataType::kFloat)
      return UnimplementedError(DtypeError(ctx, out_type));
    if (os.num_elements() == 0) {
      // No batch or no channels: nothing to index (the per-row tables could be huge).
      return ctx->allocate_output(0, out_type, os).status();
    }
    const float hs = ResizeScale(ih, oh, align_corners_);
    const float ws = ResizeScale(iw, ow, align_corners_);
    auto run = [&](auto zero) -> Status {
      using T = decltype(zero);
      const T* src = in.data<T>();
      if (bilinear_) {
        CKPT_ASSIGN_OR_RETURN(Tensor * out,
                              ctx->allocate_output_uninitialized(0, DataType::kFloat, os));
        const std::vector<Interp> ys = BilinearInterp(oh, ih, hs);
        const std::vector<Interp> xs = BilinearInterp(ow, iw, ws);
        float* dst = out->data<float>();
        for (int64_t b = 0; b < batch; ++b) {
          for (int64_t y = 0; y < oh; ++y) {
            const T* top = src + ((b * ih + ys[y].lower) * iw) * ch;
            const T* bot = src + ((b * ih + ys[y].upper) * iw) * ch;
            const float yl = ys[y].lerp;
            for (int64_t x = 0; x < ow; ++x) {
              const int64_t l = xs[x].lower * ch, u = xs[x].upper * ch;
              const float xl = xs[x].lerp;
              for (int64_t c = 0; c < ch; ++c) {
                const float tl = static_cast<float>(top[l + c]);
                const float tr = static_cast<float>(top[u + c]);
                const float bl = static_cast<float>(bot[l + c]);
                const float br = static_cast<float>(bot[u + c]);
                const float t = tl + (tr - tl) * xl;
                const float bo = bl + (br - bl) * xl;
                *dst++ = t + (bo - t) * yl;
              }
            }
          }
        }
        return Status::OK();
      }
      CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output_uninitialized(0, in.dtype(), os));
      const std::vector<int64_t> ys = NearestIndex(oh, ih, hs);
      const std::vector<int64_t> xs = NearestIndex(ow, iw, ws);
      T* dst = out->data<T>();
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t y = 0; y < oh; ++y) {
          const T* row = src + ((b * ih + ys[y]) * iw) * ch;
          for (int64_t x = 0; x < ow; ++x) {
            std::copy(row + xs[x] * ch, row + xs[x] * ch + ch, dst);
            dst += ch;
          }
        }
      }
      return Status::OK();
    };
    switch (in.dtype()) {
      case DataType::kFloat: return run(float{});
      case DataType::kDouble: return run(double{});
      case DataType::kInt32: return run(int32_t{});
      case DataType::kInt64: return run(int64_t{});
      case DataType::kUInt8: return run(uint8_t{});
      default: return UnimplementedError(DtypeError(ctx, in.dtype()));
    }
  }

 private:
  std::vector<Interp> BilinearInterp(int64_t out, int64_t in, float scale) const {
    std::vector<Interp> r(out);
    for (int64_t i = 0; i < out; ++i) {
      const float v = half_pixel_centers_ ? (static_cast<float>(i) + 0.5f) * scale - 0.5f
                                          : static_cast<float>(i) * scale;
      const float f = std::floor(v);
      r[i].lower = std::max<int64_t>(static_cast<int64_t>(f), 0);
      r[i].upper = std::min<int64_t>(static_cast<int64_t>(std::ceil(v)), in - 1);
      r[i].lerp = v - f;
    }
    return r;
  }

  std::vector<int64_t> NearestIndex(int64_t out, int64_t in, float scale) const {
    std::vector<int64_t> r(out);
    for (int64_t i = 0; i < out; ++i) {
      const float v = half_pixel_centers_ ? (static_cast<float>(i) + 0.5f) * scale
                                          : static_cast<float>(i) * scale;
      int64_t s = align_corners_ ? static_cast<int64_t>(std::round(v))
                                 : static_cast<int64_t>(std::floor(v));
      s = std::min(s, in - 1);
      if (half_pixel_centers_) s = std::max<int64_t>(s, 0);
      r[i] = s;
    }
    return r;
  }

  bool bilinear_;
  bool align_corners_ = false;
  bool half_pixel_centers_ = false;
};

}  // namespace

void RegisterImageKernels(KernelRegistry* r) {
  r->Register("ResizeBilinear", MakeKernel<ResizeKernel>());
  r->Register("ResizeNearestNeighbor", MakeKernel<ResizeKernel>());
}

}  // namespace ckpt
