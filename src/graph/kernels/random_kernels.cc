// Random ops: RandomStandardNormal, RandomUniform, TruncatedNormal. Deterministic per kernel
// instance when seed or seed2 is non-zero (each Run continues the sequence, as TF's); fresh
// entropy otherwise. The generator is not TF's Philox stream, so values differ from TF's.
#include <cmath>
#include <random>

#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

namespace {

enum class Dist { kNormal, kUniform, kTruncated };

template <Dist kind>
class RandomKernel : public OpKernel {
 public:
  explicit RandomKernel(const OpKernelConstruction& c) {
    int64_t seed = 0, seed2 = 0;
    c.GetAttr("seed", &seed).IgnoreError();
    c.GetAttr("seed2", &seed2).IgnoreError();
    if (seed == 0 && seed2 == 0) {
      std::random_device rd;
      gen_.seed((static_cast<uint64_t>(rd()) << 32) ^ rd());
    } else {
      std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                        static_cast<uint32_t>(seed2), static_cast<uint32_t>(seed2 >> 32)};
      gen_.seed(seq);
    }
  }
  Status Compute(OpKernelContext* ctx) override {
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ReadIndexVector(ctx->input(0), "shape"));
    CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
    const DataType dt = ctx->info().output_type(0);
    CKPT_ASSIGN_OR_RETURN(Tensor* out, ctx->allocate_output(0, dt, shape));
    const int64_t n = shape.num_elements();
    auto fill = [&](auto* p) {
      using T = std::remove_pointer_t<decltype(p)>;
      std::normal_distribution<double> normal(0.0, 1.0);
      std::uniform_real_distribution<double> uniform(0.0, 1.0);
      for (int64_t i = 0; i < n; ++i) {
        double v;
        if constexpr (kind == Dist::kUniform) {
          v = uniform(gen_);
        } else if constexpr (kind == Dist::kNormal) {
          v = normal(gen_);
        } else {
          do {
            v = normal(gen_);
          } while (std::abs(v) > 2.0);
        }
        p[i] = static_cast<T>(v);
      }
    };
    switch (dt) {
      case DataType::kFloat: fill(out->data<float>()); break;
      case DataType::kDouble: fill(out->data<double>()); break;
      default: return UnimplementedError(DtypeError(ctx, dt));
    }
    return Status::OK();
  }

 private:
  std::mt19937_64 gen_;
};

template <typename K>
KernelFactory Make() {
  return [](const OpKernelConstruction& c) -> StatusOr<std::unique_ptr<OpKernel>> {
    return std::unique_ptr<OpKernel>(new K(c));
  };
}

}  // namespace

void RegisterRandomKernels(KernelRegistry* r) {
  r->Register("RandomStandardNormal", Make<RandomKernel<Dist::kNormal>>());
  r->Register("RandomUniform", Make<RandomKernel<Dist::kUniform>>());
  r->Register("TruncatedNormal", Make<RandomKernel<Dist::kTruncated>>());
}

}  // namespace ckpt
