// Gradient decisions for the ops of src/graph/ops/state_ops.cc (TF's resource_variable_grad.py
// and state_ops): reading a resource variable passes the gradient through; variables and their
// updates are not differentiable.
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterStateGradients(GradRegistry* r) {
  r->Register("ReadVariableOp",
              [](const GradOp&, const std::vector<Output>& dy, std::vector<Output>* dx) {
                *dx = {dy[0]};
                return Status::OK();
              });
  for (const char* op : {"VariableV2", "VarHandleOp", "VarIsInitializedOp", "IsVariableInitialized",
                         "Assign", "AssignAdd", "AssignSub", "AssignVariableOp",
                         "AssignAddVariableOp", "AssignSubVariableOp"}) {
    r->NoGradient(op);
  }
}

}  // namespace ckpt::grad
