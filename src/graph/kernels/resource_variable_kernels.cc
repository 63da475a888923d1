// Resource-variable kernels TF2 functions use beyond state_kernels.cc: DisableCopyOnRead and
// ResourceGather (tf.gather / embedding lookups on a resource variable).
#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

namespace {

// TF switches a variable out of copy-on-read mode for sparse updates. Updates here always
// replace the slot's buffer (copy-on-write), so there is no mode to switch: the op only
// checks its input is a variable.
Status DisableCopyOnRead(OpKernelContext* ctx) {
  if (ctx->resource_input(0) == nullptr) {
    return InvalidArgumentError("input 0 must be a resource handle");
  }
  return Status::OK();
}

class ResourceGatherKernel : public OpKernel {
 public:
  explicit ResourceGatherKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("batch_dims", &batch_dims_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("dtype", &dtype_));
  }
  Status Compute(OpKernelContext* ctx) override {
    VarSlot* slot = ctx->resource_input(0);
    if (slot == nullptr) return InvalidArgumentError("input 0 must be a resource handle");
    if (batch_dims_ != 0) return UnimplementedError("ResourceGather with batch_dims != 0");
    Tensor params;  // shares the variable's buffer; updates replace it, never write into it
    {
      std::lock_guard<std::mutex> l(slot->mu);
      if (!slot->initialized()) {
        return FailedPreconditionError("attempting to use uninitialized value " + slot->name +
                                       " (resource variable)");
      }
      params = slot->value;
    }
    if (params.dtype() != dtype_) {
      return InvalidArgumentError("gather from variable " + slot->name + " of dtype " +
                                  std::string(DataTypeName(params.dtype())) + " as " +
                                  std::string(DataTypeName(dtype_)));
    }
    return GatherAlongAxis(ctx, params, ctx->input(1), 0);
  }

 private:
  int64_t batch_dims_ = 0;
  DataType dtype_ = DataType::kInvalid;
};

}  // namespace

void RegisterResourceVariableKernels(KernelRegistry* r) {
  r->RegisterFn("DisableCopyOnRead", DisableCopyOnRead);
  r->Register("ResourceGather", MakeKernel<ResourceGatherKernel>());
}

}  // namespace ckpt
