// Kernels of the ops of src/graph/ops/control_flow_ops.cc. NoOp does nothing: it exists for
// its control inputs (the session runs them first).
//
// TF1 conditionals: Switch sets only the output its predicate selects and leaves the other
// unset, which the executor records as dead; Merge passes on its first input that has a value
// (graph/deadness.h: the executor runs a Merge unless every data input is dead, and no other
// node with a dead input).
//
// TF1 while-loop frames (Enter, Exit, NextIteration, LoopCond) never run as nodes: importing a
// graph raises each frame into a While node (graph/while_loop_raising.h). Their kernels only
// report a node that reached a session another way (added to a Graph one node at a time).
#include "graph/kernel.h"

namespace ckpt {

namespace {

// Whether input `i` has a value: only a Merge sees inputs without one (dead tensors).
bool HasValue(const OpKernelContext* ctx, int i) {
  return ctx->input(i).valid() || ctx->ref_input(i) != nullptr || ctx->resource_input(i) != nullptr;
}

Status Switch(OpKernelContext* ctx) {
  const Tensor& pred = ctx->input(1);
  if (pred.shape().rank() != 0) {
    return InvalidArgumentError("the predicate (input 1) must be a scalar, got shape " +
                                pred.shape().DebugString());
  }
  ctx->forward_input(0, pred.data<bool>()[0] ? 1 : 0);
  return Status::OK();
}

Status Merge(OpKernelContext* ctx) {
  for (int i = 0; i < ctx->num_inputs(); ++i) {
    if (!HasValue(ctx, i)) continue;
    ctx->forward_input(i, 0);
    Tensor index(DataType::kInt32, TensorShape({}));
    index.data<int32_t>()[0] = i;
    ctx->set_output(1, std::move(index));
    return Status::OK();
  }
  return InternalError("every input is dead; the executor should not have run it");
}

Status FrameOp(OpKernelContext* ctx) {
  return FailedPreconditionError(
      "op " + ctx->info().op() +
      " runs only inside a TF1 while loop, which Graph::FromGraphDef raises into a While node; "
      "this node was added to the graph without that import");
}

}  // namespace

void RegisterControlFlowKernels(KernelRegistry* r) {
  r->RegisterFn("NoOp", [](OpKernelContext*) { return Status::OK(); });
  r->RegisterFn("Switch", Switch);
  r->RegisterFn("Merge", Merge);
  for (const char* op : {"Enter", "Exit", "NextIteration", "LoopCond"}) r->RegisterFn(op, FrameOp);
}

}  // namespace ckpt
