// Kernels of the ops of src/graph/ops/control_flow_ops.cc. NoOp does nothing: it exists for
// its control inputs (the session runs them first).
#include "graph/kernel.h"

namespace ckpt {

void RegisterControlFlowKernels(KernelRegistry* r) {
  r->RegisterFn("NoOp", [](OpKernelContext*) { return Status::OK(); });
}

}  // namespace ckpt
