// The control flow ops: NoOp, and TF1 control flow (control flow v1, the ops
// tf.compat.v1.cond and tf.compat.v1.while_loop write when control flow v2 is disabled):
// Switch and Merge (conditionals: the executor propagates dead tensors, see
// graph/deadness.h), Enter, Exit, NextIteration and LoopCond (while-loop frames, raised into
// While nodes when a graph is imported, see graph/while_loop_raising.h). Each OpDef with its
// shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include "graph/op_registry.h"

namespace ckpt {

namespace {

// TF's Switch: both outputs have the data's shape.
void SwitchShape(ShapeContext& c) {
  c.set_output(0, c.input(0));
  c.set_output(1, c.input(0));
}

// TF's Merge: output 0 is the relaxation of the inputs' shapes (a dim known only when every
// input agrees on it; unknown rank when ranks differ), output 1 (value_index) a scalar.
void MergeShape(ShapeContext& c) {
  PartialShape out = c.num_inputs() > 0 ? c.input(0) : PartialShape();
  for (int i = 1; i < c.num_inputs() && out.known_rank(); ++i) {
    const PartialShape in = c.input(i);
    if (!in.known_rank() || in.rank() != out.rank()) {
      out = PartialShape();
      break;
    }
    std::vector<int64_t> dims = out.dims();
    for (size_t d = 0; d < dims.size(); ++d) {
      if (dims[d] != in.dims()[d]) dims[d] = -1;
    }
    out = PartialShape(std::move(dims));
  }
  c.set_output(0, out);
  c.set_output(1, PartialShape::Scalar());
}

}  // namespace

void RegisterControlFlowOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::NoOutputs,
     R"pb(name: "NoOp")pb"},
    {SwitchShape,
     R"pb(name: "Switch" input_arg { name: "data" type_attr: "T" } input_arg { name: "pred" type: DT_BOOL } output_arg { name: "output_false" type_attr: "T" } output_arg { name: "output_true" type_attr: "T" } attr { name: "T" type: "type" })pb"},
    {MergeShape,
     R"pb(name: "Merge" input_arg { name: "inputs" type_attr: "T" number_attr: "N" } output_arg { name: "output" type_attr: "T" } output_arg { name: "value_index" type: DT_INT32 } attr { name: "T" type: "type" } attr { name: "N" type: "int" has_minimum: true minimum: 1 })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Enter" input_arg { name: "data" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "frame_name" type: "string" } attr { name: "is_constant" type: "bool" default_value { b: false } } attr { name: "parallel_iterations" type: "int" default_value { i: 10 } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Exit" input_arg { name: "data" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "NextIteration" input_arg { name: "data" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "LoopCond" input_arg { name: "input" type: DT_BOOL } output_arg { name: "output" type: DT_BOOL })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
