// functional op definitions: control flow v2, whose branches and loop bodies are functions
// of the graph's library (TF 2.21's OpDefs with descriptions stripped; regenerate a line with
// print_op_defs.py). Calls (PartitionedCall, StatefulPartitionedCall) have no OpDef here: they
// are inlined when a graph is loaded (graph/function_library.h).
#include "graph/op_registry.h"
#include "graph/tensor_proto.h"

namespace ckpt {

namespace {

// TF's If/Case/While shape functions: the output_shapes attr when the op was built with one
// (tf.function records it), else unknown for If/Case (the branch outputs are not inferred
// here) ...
void FromOutputShapesAttr(ShapeContext& c) {
  const tensorflow::AttrValue* a = c.attr("output_shapes");
  if (a == nullptr) return;
  const auto& shapes = a->list().shape();
  if (shapes.size() != c.num_outputs()) return;
  for (int i = 0; i < c.num_outputs(); ++i) {
    auto s = PartialShapeFromProto(shapes[i]);
    if (s.ok()) c.set_output(i, *s);
  }
}

// ... and for While the loop variables' input shapes (a loop variable keeps its shape unless
// shape invariants relaxed it, which output_shapes then records).
void WhileShape(ShapeContext& c) {
  const tensorflow::AttrValue* a = c.attr("output_shapes");
  if (a != nullptr && a->list().shape_size() == c.num_outputs() && c.num_outputs() > 0) {
    FromOutputShapesAttr(c);
    return;
  }
  shape_fn::UnchangedN(c);
}

}  // namespace

void RegisterFunctionalOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {FromOutputShapesAttr,
     R"pb(name: "If" input_arg { name: "cond" type_attr: "Tcond" } input_arg { name: "input" type_list_attr: "Tin" } output_arg { name: "output" type_list_attr: "Tout" } attr { name: "Tcond" type: "type" } attr { name: "Tin" type: "list(type)" has_minimum: true } attr { name: "Tout" type: "list(type)" has_minimum: true } attr { name: "then_branch" type: "func" } attr { name: "else_branch" type: "func" } attr { name: "output_shapes" type: "list(shape)" default_value { list { } } } is_stateful: true)pb"},
    {FromOutputShapesAttr,
     R"pb(name: "StatelessIf" input_arg { name: "cond" type_attr: "Tcond" } input_arg { name: "input" type_list_attr: "Tin" } output_arg { name: "output" type_list_attr: "Tout" } attr { name: "Tcond" type: "type" } attr { name: "Tin" type: "list(type)" has_minimum: true } attr { name: "Tout" type: "list(type)" has_minimum: true } attr { name: "then_branch" type: "func" } attr { name: "else_branch" type: "func" } attr { name: "output_shapes" type: "list(shape)" default_value { list { } } })pb"},
    {FromOutputShapesAttr,
     R"pb(name: "Case" input_arg { name: "branch_index" type: DT_INT32 } input_arg { name: "input" type_list_attr: "Tin" } output_arg { name: "output" type_list_attr: "Tout" } attr { name: "Tin" type: "list(type)" has_minimum: true } attr { name: "Tout" type: "list(type)" has_minimum: true } attr { name: "branches" type: "list(func)" has_minimum: true minimum: 1 } attr { name: "output_shapes" type: "list(shape)" default_value { list { } } } is_stateful: true)pb"},
    {FromOutputShapesAttr,
     R"pb(name: "StatelessCase" input_arg { name: "branch_index" type: DT_INT32 } input_arg { name: "input" type_list_attr: "Tin" } output_arg { name: "output" type_list_attr: "Tout" } attr { name: "Tin" type: "list(type)" has_minimum: true } attr { name: "Tout" type: "list(type)" has_minimum: true } attr { name: "branches" type: "list(func)" has_minimum: true minimum: 1 } attr { name: "output_shapes" type: "list(shape)" default_value { list { } } })pb"},
    {WhileShape,
     R"pb(name: "While" input_arg { name: "input" type_list_attr: "T" } output_arg { name: "output" type_list_attr: "T" } attr { name: "T" type: "list(type)" has_minimum: true } attr { name: "cond" type: "func" } attr { name: "body" type: "func" } attr { name: "output_shapes" type: "list(shape)" default_value { list { } } } attr { name: "parallel_iterations" type: "int" default_value { i: 10 } } is_stateful: true)pb"},
    {WhileShape,
     R"pb(name: "StatelessWhile" input_arg { name: "input" type_list_attr: "T" } output_arg { name: "output" type_list_attr: "T" } attr { name: "T" type: "list(type)" has_minimum: true } attr { name: "cond" type: "func" } attr { name: "body" type: "func" } attr { name: "output_shapes" type: "list(shape)" default_value { list { } } } attr { name: "parallel_iterations" type: "int" default_value { i: 10 } })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
