// Batch normalization: FusedBatchNorm, FusedBatchNormV2 and FusedBatchNormV3 (forward) on the
// CPU, NHWC or NCHW, T = U = float.
//
// Inference (is_training=false): y = (x - mean) * rsqrt(variance + epsilon) * scale + offset,
// and, as TF outputs them, batch_mean = mean, batch_variance = variance, reserve_space_1 =
// mean, reserve_space_2 = variance, reserve_space_3 (V3) an empty float vector.
// Training (is_training=true): statistics over all non-channel dimensions; y uses the biased
// batch variance; batch_mean/batch_variance are the running averages
// (1 - f) * old + f * batch with f = exponential_avg_factor, where the batch variance is
// Bessel-corrected (n / (n - 1)); with f == 1 they are the batch statistics themselves;
// reserve_space_1/2 are the batch mean and the biased batch variance.
#include <algorithm>
#include <cmath>
#include <vector>

#include "graph/kernel.h"
#include "graph/kernels/eigen.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

namespace {

class FusedBatchNormKernel : public OpKernel {
 public:
  explicit FusedBatchNormKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("epsilon", &epsilon_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("is_training", &is_training_));
    if (c.HasAttr("exponential_avg_factor")) {
      CKPT_OP_REQUIRES_OK(c, c.GetAttr("exponential_avg_factor", &avg_factor_));
    }
    std::string format = "NHWC";
    if (c.HasAttr("data_format")) CKPT_OP_REQUIRES_OK(c, c.GetAttr("data_format", &format));
    if (format == "NHWC" || format == "NDHWC") {
      channels_last_ = true;
    } else if (format == "NCHW" || format == "NCDHW") {
      channels_last_ = false;
    } else {
      c.CtxFailure(
          InvalidArgumentError("node " + c.name() + ": unknown data_format '" + format + "'"));
      return;
    }
    for (int i = 0; i < c.num_inputs(); ++i) {
      if (c.input_type(i) != DataType::kFloat) {
        c.CtxFailure(UnimplementedError(
            "node " + c.name() + ": " + c.op() + " has a CPU kernel only for float inputs, got " +
            std::string(DataTypeName(c.input_type(i))) + " for input " + std::to_string(i)));
        return;
      }
    }
  }

  Status Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const int rank = x.shape().rank();
    if (rank != 4 && rank != 5) {
      return InvalidArgumentError("input must be 4 or 5-dimensional: " + x.shape().DebugString());
    }
    const int cdim = channels_last_ ? rank - 1 : 1;
    const int64_t c = x.shape().dim(cdim);
    const char* names[] = {"x", "scale", "offset", "mean", "variance"};
    for (int i = 1; i <= 4; ++i) {
      const Tensor& t = ctx->input(i);
      if (t.shape().rank() != 1) {
        return InvalidArgumentError(std::string(names[i]) +
                                    " must be 1-dimensional: " + t.shape().DebugString());
      }
      // Training ignores empty mean/variance inputs, as TF does.
      const bool may_be_empty = is_training_ && (i == 3 || i == 4);
      if (t.shape().dim(0) != c && !(may_be_empty && t.shape().dim(0) == 0)) {
        return InvalidArgumentError(std::string(names[i]) + " must have the same number of " +
                                    "elements as the channels of x, got " +
                                    std::to_string(t.shape().dim(0)) + " and " + std::to_string(c));
      }
    }
    int64_t inner = 1;  // elements after the channel dimension
    for (int d = cdim + 1; d < rank; ++d) inner *= x.shape().dim(d);
    const int64_t outer = c == 0 ? 0 : x.num_elements() / (c * inner);
    const int64_t per_channel = outer * inner;

    const float* px = x.data<float>();
    const float* scale = ctx->input(1).data<float>();
    const float* offset = ctx->input(2).data<float>();
    const TensorShape cshape{c};

    std::vector<float> mean(static_cast<size_t>(c)), var(static_cast<size_t>(c));
    std::vector<float> batch_mean_out(static_cast<size_t>(c)),
        batch_var_out(static_cast<size_t>(c));
    if (!is_training_) {
      std::copy_n(ctx->input(3).data<float>(), c, mean.begin());
      std::copy_n(ctx->input(4).data<float>(), c, var.begin());
      batch_mean_out = mean;
      batch_var_out = var;
    } else {
      // Two-pass statistics in double for accuracy.
      std::vector<double> sum(static_cast<size_t>(c), 0.0), sq(static_cast<size_t>(c), 0.0);
      ForEach(px, outer, c, inner, [&](int64_t ch, float v) { sum[ch] += v; });
      for (int64_t ch = 0; ch < c; ++ch) mean[ch] = static_cast<float>(sum[ch] / per_channel);
      ForEach(px, outer, c, inner, [&](int64_t ch, float v) {
        const double d = static_cast<double>(v) - mean[ch];
        sq[ch] += d * d;
      });
      const double adjust =
          per_channel > 1 ? static_cast<double>(per_channel) / (per_channel - 1) : 1.0;
      const bool have_old = ctx->input(3).num_elements() == c && ctx->input(4).num_elements() == c;
      for (int64_t ch = 0; ch < c; ++ch) {
        var[ch] = static_cast<float>(sq[ch] / per_channel);
        const float corrected = static_cast<float>(sq[ch] / per_channel * adjust);
        if (avg_factor_ == 1.0f || !have_old) {
          batch_mean_out[ch] = mean[ch];
          batch_var_out[ch] = corrected;
        } else {
          const float f = avg_factor_;
          batch_mean_out[ch] = (1 - f) * ctx->input(3).data<float>()[ch] + f * mean[ch];
          batch_var_out[ch] = (1 - f) * ctx->input(4).data<float>()[ch] + f * corrected;
        }
      }
    }

    // y = x * a + b per channel.
    std::vector<float> a(static_cast<size_t>(c)), b(static_cast<size_t>(c));
    for (int64_t ch = 0; ch < c; ++ch) {
      a[ch] = scale[ch] / std::sqrt(var[ch] + epsilon_);
      b[ch] = offset[ch] - mean[ch] * a[ch];
    }
    CKPT_ASSIGN_OR_RETURN(Tensor * y, ctx->allocate_output(0, DataType::kFloat, x.shape()));
    float* py = y->data<float>();
    auto body = [&](int64_t first, int64_t last) {
      for (int64_t o = first; o < last; ++o) {
        const float* src = px + o * c * inner;
        float* dst = py + o * c * inner;
        if (inner == 1) {
          for (int64_t ch = 0; ch < c; ++ch) dst[ch] = src[ch] * a[ch] + b[ch];
        } else {
          for (int64_t ch = 0; ch < c; ++ch) {
            for (int64_t i = 0; i < inner; ++i) {
              dst[ch * inner + i] = src[ch * inner + i] * a[ch] + b[ch];
            }
          }
        }
      }
    };
    const auto* dev = ctx->eigen_device();
    if (dev != nullptr && x.num_elements() >= (1 << 16)) {
      dev->parallelFor(outer, Eigen::TensorOpCost(c * inner * 4, c * inner * 4, c * inner * 2),
                       [&](Eigen::Index f, Eigen::Index l) { body(f, l); });
    } else {
      body(0, outer);
    }

    auto put = [&](int i, const std::vector<float>& v) -> Status {
      CKPT_ASSIGN_OR_RETURN(Tensor * t, ctx->allocate_output(i, DataType::kFloat, cshape));
      std::copy(v.begin(), v.end(), t->data<float>());
      return Status::OK();
    };
    CKPT_RETURN_IF_ERROR(put(1, batch_mean_out));
    CKPT_RETURN_IF_ERROR(put(2, batch_var_out));
    CKPT_RETURN_IF_ERROR(put(3, mean));
    CKPT_RETURN_IF_ERROR(put(4, var));
    if (ctx->num_outputs() > 5) {
      CKPT_RETURN_IF_ERROR(ctx->allocate_output(5, DataType::kFloat, TensorShape{0}).status());
    }
    return Status::OK();
  }

 private:
  template <typename F>
  static void ForEach(const float* px, int64_t outer, int64_t c, int64_t inner, F f) {
    for (int64_t o = 0; o < outer; ++o) {
      const float* src = px + o * c * inner;
      for (int64_t ch = 0; ch < c; ++ch) {
        for (int64_t i = 0; i < inner; ++i) f(ch, src[ch * inner + i]);
      }
    }
  }

  float epsilon_ = 1e-4f;
  float avg_factor_ = 1.0f;
  bool is_training_ = true;
  bool channels_last_ = true;
};

}  // namespace

void RegisterBatchNormKernels(KernelRegistry* r) {
  r->Register("FusedBatchNorm", MakeKernel<FusedBatchNormKernel>());
  r->Register("FusedBatchNormV2", MakeKernel<FusedBatchNormKernel>());
  r->Register("FusedBatchNormV3", MakeKernel<FusedBatchNormKernel>());
}

}  // namespace ckpt
