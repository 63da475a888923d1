// Random ops: RandomStandardNormal, RandomUniform, TruncatedNormal, with TF's Philox stream and
// sample conversions so a seeded op yields TensorFlow's values. As in TF, each kernel instance
// keeps its generator: every Run reserves 256 counter steps per output element and continues
// from there. seed == seed2 == 0 means "seed from entropy".
#include <random>

#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"
#include "graph/kernels/philox.h"

namespace ckpt {

namespace {

enum class Dist { kNormal, kUniform, kTruncated };

// Truncated-normal groups draw a variable number of samples; each group of G outputs owns
// G * 256 / 4 generator steps so groups are independent (TF's layout).
constexpr uint64_t kTruncatedSkipPerFloatGroup = 4 * 256 / 4;
constexpr uint64_t kTruncatedSkipPerDoubleGroup = 2 * 256 / 4;

template <Dist kind>
class RandomKernel : public OpKernel {
 public:
  explicit RandomKernel(const OpKernelConstruction& c) : gen_(0, 0) {
    int64_t seed = 0, seed2 = 0;
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("seed", &seed));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("seed2", &seed2));
    if (seed == 0 && seed2 == 0) {
      std::random_device rd;
      seed = (static_cast<int64_t>(rd()) << 32) | rd();
      seed2 = (static_cast<int64_t>(rd()) << 32) | rd();
    }
    gen_ = philox::Philox4x32(static_cast<uint64_t>(seed), static_cast<uint64_t>(seed2));
  }

  Status Compute(OpKernelContext* ctx) override {
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ReadIndexVector(ctx->input(0), "shape"));
    CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
    const DataType dt = ctx->info().output_type(0);
    CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, dt, shape));
    const int64_t n = shape.num_elements();
    philox::Philox4x32 base = gen_;
    gen_.Skip(static_cast<uint64_t>(n) * 256);
    switch (dt) {
      case DataType::kFloat: FillFloat(base, out->data<float>(), n); break;
      case DataType::kDouble: FillDouble(base, out->data<double>(), n); break;
      default: return UnimplementedError(DtypeError(ctx, dt));
    }
    return Status::OK();
  }

 private:
  static void FillFloat(philox::Philox4x32 gen, float* out, int64_t n) {
    for (int64_t group = 0; group * 4 < n; ++group) {
      float r[4];
      if constexpr (kind == Dist::kTruncated) {
        philox::Philox4x32 g = gen;
        g.Skip(group * kTruncatedSkipPerFloatGroup);
        philox::SingleSampler single(&g);
        int index = 0;
        while (index < 4) {
          const uint32_t x0 = single(), x1 = single();
          float f[2];
          philox::BoxMullerFloat(x0, x1, &f[0], &f[1]);
          for (int i = 0; i < 2 && index < 4; ++i) {
            if (std::abs(f[i]) < 2.0f) r[index++] = f[i];
          }
        }
      } else {
        const auto s = gen();
        if constexpr (kind == Dist::kUniform) {
          for (int i = 0; i < 4; ++i) r[i] = philox::Uint32ToFloat(s[i]);
        } else {
          philox::BoxMullerFloat(s[0], s[1], &r[0], &r[1]);
          philox::BoxMullerFloat(s[2], s[3], &r[2], &r[3]);
        }
      }
      for (int i = 0; i < 4 && group * 4 + i < n; ++i) out[group * 4 + i] = r[i];
    }
  }

  static void FillDouble(philox::Philox4x32 gen, double* out, int64_t n) {
    for (int64_t group = 0; group * 2 < n; ++group) {
      double r[2];
      if constexpr (kind == Dist::kTruncated) {
        philox::Philox4x32 g = gen;
        g.Skip(group * kTruncatedSkipPerDoubleGroup);
        philox::SingleSampler single(&g);
        int index = 0;
        while (index < 2) {
          const uint32_t x0 = single(), x1 = single(), x2 = single(), x3 = single();
          double d[2];
          philox::BoxMullerDouble(x0, x1, x2, x3, &d[0], &d[1]);
          for (int i = 0; i < 2 && index < 2; ++i) {
            if (std::abs(d[i]) < 2.0) r[index++] = d[i];
          }
        }
      } else {
        const auto s = gen();
        if constexpr (kind == Dist::kUniform) {
          r[0] = philox::Uint64ToDouble(s[0], s[1]);
          r[1] = philox::Uint64ToDouble(s[2], s[3]);
        } else {
          philox::BoxMullerDouble(s[0], s[1], s[2], s[3], &r[0], &r[1]);
        }
      }
      for (int i = 0; i < 2 && group * 2 + i < n; ++i) out[group * 2 + i] = r[i];
    }
  }

  philox::Philox4x32 gen_;
};

}  // namespace

void RegisterRandomKernels(KernelRegistry* r) {
  r->Register("RandomStandardNormal", MakeKernel<RandomKernel<Dist::kNormal>>());
  r->Register("RandomUniform", MakeKernel<RandomKernel<Dist::kUniform>>());
  r->Register("TruncatedNormal", MakeKernel<RandomKernel<Dist::kTruncated>>());
}

}  // namespace ckpt
