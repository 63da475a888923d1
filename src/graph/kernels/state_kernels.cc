// Variables: ref variables (VariableV2, Assign, ...) and resource variables (VarHandleOp, ...).
#include <cstring>

#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

namespace {

// The variable store key of a VariableV2/VarHandleOp node; a failing attr read is recorded in
// the construction.
std::string VarKey(const OpKernelConstruction& c) {
  std::string container, shared_name;
  Status s = c.GetAttr("container", &container);
  if (s.ok()) s = c.GetAttr("shared_name", &shared_name);
  if (!s.ok()) c.CtxFailure(s);
  return VariableStore::KeyFor(container, shared_name, c.name());
}

class VariableKernel : public OpKernel {
 public:
  explicit VariableKernel(const OpKernelConstruction& c) : key_(VarKey(c)), name_(c.name()) {
    dtype_ = c.output_type(0);
  }
  Status Compute(OpKernelContext* ctx) override {
    if (slot_ == nullptr) slot_ = ctx->variables()->LookupOrCreateRef(key_, dtype_, name_);
    ctx->set_ref_output(0, slot_);
    return Status::OK();
  }

 private:
  std::string key_, name_;
  DataType dtype_;
  VarSlot* slot_ = nullptr;
};

class VarHandleKernel : public OpKernel {
 public:
  explicit VarHandleKernel(const OpKernelConstruction& c) : key_(VarKey(c)), name_(c.name()) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("dtype", &dtype_));
  }
  Status Compute(OpKernelContext* ctx) override {
    if (slot_ == nullptr) {
      slot_ = ctx->variables()->LookupOrCreateResource(key_, dtype_, name_);
    }
    ctx->set_resource_output(0, slot_);
    return Status::OK();
  }

 private:
  std::string key_, name_;
  DataType dtype_ = DataType::kInvalid;
  VarSlot* slot_ = nullptr;
};

// The value a variable takes from an assign: the input's buffer itself when nothing but this
// step holds it (a RestoreV2 or initializer output: no copy), else a copy. Sharing is safe
// because no kernel writes into a buffer another tensor holds: variable updates are
// copy-on-write, and a step's buffers are recycled only when nothing else refers to them. A
// fed or borrowed tensor is always copied, so the caller may change it afterwards.
Tensor AssignedValue(const Tensor& value) { return value.RefCountIsOne() ? value : value.Clone(); }

Status CheckAssignable(const VarSlot* slot, const Tensor& value, bool validate_shape) {
  if (value.dtype() != slot->dtype && slot->dtype != DataType::kInvalid) {
    return InvalidArgumentError("cannot assign a " + std::string(DataTypeName(value.dtype())) +
                                " value to variable " + slot->name + " of dtype " +
                                std::string(DataTypeName(slot->dtype)));
  }
  if (validate_shape && slot->initialized() && !(slot->value.shape() == value.shape())) {
    return InvalidArgumentError("assign requires shapes of both tensors to match: variable " +
                                slot->name + " has shape " + slot->value.shape().DebugString() +
                                ", value has shape " + value.shape().DebugString());
  }
  return Status::OK();
}

// Assign: stores a copy of the value as the variable's value, then outputs the ref.
class AssignKernel : public OpKernel {
 public:
  explicit AssignKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("validate_shape", &validate_shape_));
  }
  Status Compute(OpKernelContext* ctx) override {
    VarSlot* slot = ctx->ref_input(0);
    if (slot == nullptr) return InvalidArgumentError("input 0 of Assign must be a ref");
    const Tensor& value = ctx->input(1);
    {
      std::lock_guard<std::mutex> l(slot->mu);
      CKPT_RETURN_IF_ERROR(CheckAssignable(slot, value, validate_shape_));
      // Replaced, never written into (copy-on-write): tensors read from the variable earlier,
      // such as a fetched value or this step's `W/read`, keep their contents.
      slot->value = AssignedValue(value);
    }
    ctx->set_ref_output(0, slot);
    return Status::OK();
  }

 private:
  bool validate_shape_ = true;
};

template <bool kAdd>
class AssignUpdateKernel : public OpKernel {
 public:
  explicit AssignUpdateKernel(const OpKernelConstruction&) {}
  Status Compute(OpKernelContext* ctx) override {
    VarSlot* slot = ctx->ref_input(0);
    if (slot == nullptr) return InvalidArgumentError("input 0 must be a ref");
    const Tensor& value = ctx->input(1);
    std::lock_guard<std::mutex> l(slot->mu);
    if (!slot->initialized()) {
      return FailedPreconditionError("attempting to use uninitialized value " + slot->name);
    }
    CKPT_RETURN_IF_ERROR(Update(slot, value));
    ctx->set_ref_output(0, slot);
    return Status::OK();
  }

  static Status Update(VarSlot* slot, const Tensor& value) {
    if (!(slot->value.shape() == value.shape())) {
      return InvalidArgumentError("update of variable " + slot->name + " of shape " +
                                  slot->value.shape().DebugString() + " with a value of shape " +
                                  value.shape().DebugString());
    }
    if (slot->value.dtype() != value.dtype()) {
      return InvalidArgumentError("update of variable " + slot->name + " with wrong dtype");
    }
    // Copy-on-write: never mutate a buffer a fetched tensor may still hold.
    Tensor next = slot->value.Clone();
    const int64_t n = next.num_elements();
    switch (next.dtype()) {
#define CKPT_UPD(DT, T)                                                      \
  case DataType::DT: {                                                       \
    T* d = next.data<T>();                                                   \
    const T* s = value.data<T>();                                            \
    for (int64_t i = 0; i < n; ++i) d[i] = kAdd ? d[i] + s[i] : d[i] - s[i]; \
    break;                                                                   \
  }
      CKPT_UPD(kFloat, float)
      CKPT_UPD(kDouble, double)
      CKPT_UPD(kInt32, int32_t)
      CKPT_UPD(kInt64, int64_t)
#undef CKPT_UPD
      default:
        return UnimplementedError("assign add/sub not supported for dtype " +
                                  std::string(DataTypeName(next.dtype())));
    }
    slot->value = std::move(next);
    return Status::OK();
  }
};

Status ReadVariable(OpKernelContext* ctx) {
  VarSlot* slot = ctx->resource_input(0);
  if (slot == nullptr) return InvalidArgumentError("input 0 must be a resource handle");
  std::lock_guard<std::mutex> l(slot->mu);
  if (!slot->initialized()) {
    return FailedPreconditionError("attempting to use uninitialized value " + slot->name +
                                   " (resource variable)");
  }
  if (slot->value.dtype() != ctx->info().output_type(0)) {
    return InvalidArgumentError("read of variable " + slot->name + " of dtype " +
                                std::string(DataTypeName(slot->value.dtype())) + " as " +
                                std::string(DataTypeName(ctx->info().output_type(0))));
  }
  ctx->set_output(0, slot->value);
  return Status::OK();
}

Status AssignVariable(OpKernelContext* ctx) {
  VarSlot* slot = ctx->resource_input(0);
  if (slot == nullptr) return InvalidArgumentError("input 0 must be a resource handle");
  const Tensor& value = ctx->input(1);
  std::lock_guard<std::mutex> l(slot->mu);
  if (slot->dtype != DataType::kInvalid && value.dtype() != slot->dtype) {
    return InvalidArgumentError("trying to assign variable " + slot->name + " with dtype " +
                                std::string(DataTypeName(slot->dtype)) + " a value of dtype " +
                                std::string(DataTypeName(value.dtype())));
  }
  slot->value = AssignedValue(value);
  return Status::OK();
}

template <bool kAdd>
Status AssignUpdateVariable(OpKernelContext* ctx) {
  VarSlot* slot = ctx->resource_input(0);
  if (slot == nullptr) return InvalidArgumentError("input 0 must be a resource handle");
  std::lock_guard<std::mutex> l(slot->mu);
  if (!slot->initialized()) {
    return FailedPreconditionError("attempting to use uninitialized value " + slot->name +
                                   " (resource variable)");
  }
  return AssignUpdateKernel<kAdd>::Update(slot, ctx->input(1));
}

}  // namespace

namespace {
// IsVariableInitialized / VarIsInitializedOp: a bool scalar, false for a missing slot.
Status OutputIsInitialized(OpKernelContext* ctx, VarSlot* slot) {
  bool init = false;
  if (slot != nullptr) {
    std::lock_guard<std::mutex> l(slot->mu);
    init = slot->initialized();
  }
  ctx->set_output(0, Tensor::Scalar<bool>(init));
  return Status::OK();
}
}  // namespace

void RegisterStateKernels(KernelRegistry* r) {
  r->Register("VariableV2", MakeKernel<VariableKernel>());
  r->Register("VarHandleOp", MakeKernel<VarHandleKernel>());
  r->Register("Assign", MakeKernel<AssignKernel>());
  r->Register("AssignAdd", MakeKernel<AssignUpdateKernel<true>>());
  r->Register("AssignSub", MakeKernel<AssignUpdateKernel<false>>());
  r->RegisterFn("IsVariableInitialized",
                [](OpKernelContext* ctx) { return OutputIsInitialized(ctx, ctx->ref_input(0)); });
  r->RegisterFn("VarIsInitializedOp", [](OpKernelContext* ctx) {
    return OutputIsInitialized(ctx, ctx->resource_input(0));
  });
  r->RegisterFn("ReadVariableOp", ReadVariable);
  r->RegisterFn("AssignVariableOp", AssignVariable);
  r->RegisterFn("AssignAddVariableOp", AssignUpdateVariable<true>);
  r->RegisterFn("AssignSubVariableOp", AssignUpdateVariable<false>);
}

}  // namespace ckpt
