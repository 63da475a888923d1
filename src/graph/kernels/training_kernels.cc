// Optimizer update kernels: Apply{GradientDescent,Momentum,Adam,RMSProp} on ref variables and
// their ResourceApply* twins on resource variables. Updates are in place (a fetched variable
// value is only valid until the next Run, see session.h) and follow the element formulas and
// evaluation order of TF's CPU training functors, so one step matches TF to float rounding.
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {
namespace {

enum class Algo { kGradientDescent, kMomentum, kAdam, kRMSProp };

template <Algo kAlgo, bool kResource>
class ApplyKernel : public OpKernel {
 public:
  explicit ApplyKernel(const OpKernelConstruction& c) {
    c.GetAttr("use_nesterov", &nesterov_).IgnoreError();
  }

  Status Compute(OpKernelContext* ctx) override {
    constexpr int kVars = kAlgo == Algo::kGradientDescent ? 1 : kAlgo == Algo::kMomentum ? 2 : 3;
    static_assert(kVars >= 1);
    VarSlot* slots[kVars];
    for (int i = 0; i < kVars; ++i) {
      slots[i] = kResource ? ctx->resource_input(i) : ctx->ref_input(i);
      if (slots[i] == nullptr) {
        return InvalidArgumentError("input " + std::to_string(i) + " must be a " +
                                    (kResource ? "resource handle" : "ref variable"));
      }
    }
    // Lock each distinct slot once (the same variable may appear twice in hostile graphs).
    std::vector<std::unique_lock<std::mutex>> locks;
    for (int i = 0; i < kVars; ++i) {
      bool seen = false;
      for (int j = 0; j < i; ++j) seen |= slots[j] == slots[i];
      if (!seen) locks.emplace_back(slots[i]->mu);
    }
    for (int i = 0; i < kVars; ++i) {
      if (!slots[i]->initialized()) {
        return FailedPreconditionError("attempting to use uninitialized value " +
                                       slots[i]->name);
      }
    }
    Tensor& var = slots[0]->value;
    constexpr int kGrad = kAlgo == Algo::kMomentum ? 3 : kAlgo == Algo::kGradientDescent ? 2
                          : kAlgo == Algo::kAdam ? 9 : 7;
    if (ctx->num_inputs() <= kGrad) return InvalidArgumentError("missing inputs");
    const Tensor& grad = ctx->input(kGrad);
    for (int i = 0; i < kVars; ++i) {
      if (!(slots[i]->value.shape() == grad.shape())) {
        return InvalidArgumentError("var and grad do not have the same shape: variable " +
                                    slots[i]->name + " has shape " +
                                    slots[i]->value.shape().DebugString() + ", grad has shape " +
                                    grad.shape().DebugString());
      }
      if (slots[i]->value.dtype() != grad.dtype()) {
        return InvalidArgumentError("variable " + slots[i]->name + " has dtype " +
                                    std::string(DataTypeName(slots[i]->value.dtype())) +
                                    " but the gradient has dtype " +
                                    std::string(DataTypeName(grad.dtype())));
      }
    }
    for (int i = kVars; i < ctx->num_inputs(); ++i) {
      if (i == kGrad) continue;
      if (ctx->input(i).num_elements() != 1 || ctx->input(i).dtype() != grad.dtype()) {
        return InvalidArgumentError("hyperparameter input " + std::to_string(i) +
                                    " must be a scalar of the variable's dtype, got " +
                                    ctx->input(i).shape().DebugString());
      }
    }
    Status s;
    switch (grad.dtype()) {
      case DataType::kFloat: s = Run<float>(ctx, slots, grad); break;
      case DataType::kDouble: s = Run<double>(ctx, slots, grad); break;
      default: return UnimplementedError(DtypeError(ctx, grad.dtype()));
    }
    if (!s.ok()) return s;
    (void)var;
    if (!kResource) ctx->set_ref_output(0, slots[0]);
    return Status::OK();
  }

 private:
  template <typename T>
  T Scalar(OpKernelContext* ctx, int i) const {
    return ctx->input(i).data<T>()[0];
  }

  template <typename T>
  Status Run(OpKernelContext* ctx, VarSlot** slots, const Tensor& grad_t) {
    const int64_t n = grad_t.num_elements();
    const T* g = grad_t.data<T>();
    T* var = slots[0]->value.template data<T>();
    if constexpr (kAlgo == Algo::kGradientDescent) {
      const T lr = Scalar<T>(ctx, 1);
      for (int64_t i = 0; i < n; ++i) var[i] -= g[i] * lr;
    } else if constexpr (kAlgo == Algo::kMomentum) {
      T* accum = slots[1]->value.template data<T>();
      const T lr = Scalar<T>(ctx, 2);
      const T momentum = Scalar<T>(ctx, 4);
      for (int64_t i = 0; i < n; ++i) {
        accum[i] = accum[i] * momentum + g[i];
        if (nesterov_) {
          var[i] -= g[i] * lr + accum[i] * momentum * lr;
        } else {
          var[i] -= accum[i] * lr;
        }
      }
    } else if constexpr (kAlgo == Algo::kAdam) {
      T* m = slots[1]->value.template data<T>();
      T* v = slots[2]->value.template data<T>();
      const T beta1_power = Scalar<T>(ctx, 3), beta2_power = Scalar<T>(ctx, 4);
      const T lr = Scalar<T>(ctx, 5), beta1 = Scalar<T>(ctx, 6), beta2 = Scalar<T>(ctx, 7);
      const T epsilon = Scalar<T>(ctx, 8);
      const T alpha = lr * std::sqrt(T(1) - beta2_power) / (T(1) - beta1_power);
      const T one_m_b1 = T(1) - beta1, one_m_b2 = T(1) - beta2;
      for (int64_t i = 0; i < n; ++i) {
        m[i] += (g[i] - m[i]) * one_m_b1;
        v[i] += (g[i] * g[i] - v[i]) * one_m_b2;
        if (nesterov_) {
          var[i] -= ((g[i] * one_m_b1 + beta1 * m[i]) * alpha) / (std::sqrt(v[i]) + epsilon);
        } else {
          var[i] -= (m[i] * alpha) / (std::sqrt(v[i]) + epsilon);
        }
      }
    } else {
      T* ms = slots[1]->value.template data<T>();
      T* mom = slots[2]->value.template data<T>();
      const T lr = Scalar<T>(ctx, 3), rho = Scalar<T>(ctx, 4), momentum = Scalar<T>(ctx, 5);
      const T epsilon = Scalar<T>(ctx, 6);
      const T one_m_rho = T(1) - rho;
      for (int64_t i = 0; i < n; ++i) {
        ms[i] += (g[i] * g[i] - ms[i]) * one_m_rho;
        mom[i] = mom[i] * momentum + (g[i] * lr) / std::sqrt(ms[i] + epsilon);
        var[i] -= mom[i];
      }
    }
    return Status::OK();
  }

  bool nesterov_ = false;
};

template <typename K>
KernelFactory Make() {
  return [](const OpKernelConstruction& c) -> StatusOr<std::unique_ptr<OpKernel>> {
    return std::unique_ptr<OpKernel>(new K(c));
  };
}

}  // namespace

void RegisterTrainingKernels(KernelRegistry* r) {
  r->Register("ApplyGradientDescent", Make<ApplyKernel<Algo::kGradientDescent, false>>());
  r->Register("ResourceApplyGradientDescent",
              Make<ApplyKernel<Algo::kGradientDescent, true>>());
  r->Register("ApplyMomentum", Make<ApplyKernel<Algo::kMomentum, false>>());
  r->Register("ResourceApplyMomentum", Make<ApplyKernel<Algo::kMomentum, true>>());
  r->Register("ApplyAdam", Make<ApplyKernel<Algo::kAdam, false>>());
  r->Register("ResourceApplyAdam", Make<ApplyKernel<Algo::kAdam, true>>());
  r->Register("ApplyRMSProp", Make<ApplyKernel<Algo::kRMSProp, false>>());
  r->Register("ResourceApplyRMSProp", Make<ApplyKernel<Algo::kRMSProp, true>>());
}

}  // namespace ckpt
