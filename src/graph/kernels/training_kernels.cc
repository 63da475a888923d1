// Optimizer update kernels: Apply{GradientDescent,Momentum,Adam,RMSProp} on ref variables and
// their ResourceApply* twins on resource variables. Updated values go to fresh buffers
// (tensors fetched before keep their values, as session.h promises) and follow the element
// formulas and evaluation order of TF's CPU training functors, so a step matches TF to float
// rounding.
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {
namespace {

enum class Algo { kGradientDescent, kMomentum, kAdam, kRMSProp };

template <Algo kAlgo, bool kResource>
class ApplyKernel : public OpKernel {
 public:
  explicit ApplyKernel(const OpKernelConstruction& c) {
    // Only the momentum and Adam updates have use_nesterov.
    if (c.HasAttr("use_nesterov")) CKPT_OP_REQUIRES_OK(c, c.GetAttr("use_nesterov", &nesterov_));
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
        return FailedPreconditionError("attempting to use uninitialized value " + slots[i]->name);
      }
    }
    Tensor& var = slots[0]->value;
    constexpr int kGrad = kAlgo == Algo::kMomentum          ? 3
                          : kAlgo == Algo::kGradientDescent ? 2
                          : kAlgo == Algo::kAdam            ? 9
                                                            : 7;
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

  // Writes the updated values into fresh buffers (copy-on-write: a tensor fetched earlier
  // may share the old buffer, and Session promises updates never write into it).
  template <typename T>
  Status Run(OpKernelContext* ctx, VarSlot** slots, const Tensor& grad_t) {
    using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;
    using Map = Eigen::Map<Arr>;
    using CMap = Eigen::Map<const Arr>;
    const Eigen::Index n = grad_t.num_elements();
    constexpr int kVars = kAlgo == Algo::kGradientDescent ? 1 : kAlgo == Algo::kMomentum ? 2 : 3;
    Tensor fresh[kVars];
    for (int i = 0; i < kVars; ++i) {
      CKPT_ASSIGN_OR_RETURN(fresh[i], Tensor::Allocate(grad_t.dtype(), grad_t.shape()));
    }
    CMap g(grad_t.data<T>(), n);
    CMap var(slots[0]->value.template data<T>(), n);
    Map nvar(fresh[0].template data<T>(), n);
    if constexpr (kAlgo == Algo::kGradientDescent) {
      const T lr = Scalar<T>(ctx, 1);
      nvar = var - g * lr;
    } else if constexpr (kAlgo == Algo::kMomentum) {
      CMap accum(slots[1]->value.template data<T>(), n);
      Map naccum(fresh[1].template data<T>(), n);
      const T lr = Scalar<T>(ctx, 2);
      const T momentum = Scalar<T>(ctx, 4);
      naccum = accum * momentum + g;
      if (nesterov_) {
        nvar = var - (g * lr + naccum * momentum * lr);
      } else {
        nvar = var - naccum * lr;
      }
    } else if constexpr (kAlgo == Algo::kAdam) {
      CMap m(slots[1]->value.template data<T>(), n);
      CMap v(slots[2]->value.template data<T>(), n);
      Map nm(fresh[1].template data<T>(), n);
      Map nv(fresh[2].template data<T>(), n);
      const T beta1_power = Scalar<T>(ctx, 3), beta2_power = Scalar<T>(ctx, 4);
      const T lr = Scalar<T>(ctx, 5), beta1 = Scalar<T>(ctx, 6), beta2 = Scalar<T>(ctx, 7);
      const T epsilon = Scalar<T>(ctx, 8);
      const T alpha = lr * std::sqrt(T(1) - beta2_power) / (T(1) - beta1_power);
      nm = m + (g - m) * (T(1) - beta1);
      nv = v + (g.square() - v) * (T(1) - beta2);
      if (nesterov_) {
        nvar = var - ((g * (T(1) - beta1) + beta1 * nm) * alpha) / (nv.sqrt() + epsilon);
      } else {
        nvar = var - (nm * alpha) / (nv.sqrt() + epsilon);
      }
    } else {
      CMap ms(slots[1]->value.template data<T>(), n);
      CMap mom(slots[2]->value.template data<T>(), n);
      Map nms(fresh[1].template data<T>(), n);
      Map nmom(fresh[2].template data<T>(), n);
      const T lr = Scalar<T>(ctx, 3), rho = Scalar<T>(ctx, 4), momentum = Scalar<T>(ctx, 5);
      const T epsilon = Scalar<T>(ctx, 6);
      nms = ms + (g.square() - ms) * (T(1) - rho);
      nmom = mom * momentum + (g * lr) / (nms + epsilon).sqrt();
      nvar = var - nmom;
    }
    for (int i = 0; i < kVars; ++i) slots[i]->value = std::move(fresh[i]);
    return Status::OK();
  }

  bool nesterov_ = false;
};

}  // namespace

void RegisterTrainingKernels(KernelRegistry* r) {
  r->Register("ApplyGradientDescent", MakeKernel<ApplyKernel<Algo::kGradientDescent, false>>());
  r->Register("ResourceApplyGradientDescent",
              MakeKernel<ApplyKernel<Algo::kGradientDescent, true>>());
  r->Register("ApplyMomentum", MakeKernel<ApplyKernel<Algo::kMomentum, false>>());
  r->Register("ResourceApplyMomentum", MakeKernel<ApplyKernel<Algo::kMomentum, true>>());
  r->Register("ApplyAdam", MakeKernel<ApplyKernel<Algo::kAdam, false>>());
  r->Register("ResourceApplyAdam", MakeKernel<ApplyKernel<Algo::kAdam, true>>());
  r->Register("ApplyRMSProp", MakeKernel<ApplyKernel<Algo::kRMSProp, false>>());
  r->Register("ResourceApplyRMSProp", MakeKernel<ApplyKernel<Algo::kRMSProp, true>>());
}

}  // namespace ckpt
