// The control flow ops (NoOp; TF2 control flow joins this family): each OpDef with its shape
// function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include "graph/op_registry.h"

namespace ckpt {

void RegisterControlFlowOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::NoOutputs,
     R"pb(name: "NoOp")pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
