// functional op definitions: control flow v2, whose branches and loop bodies are functions
// of the graph's library (TF 2.21's OpDefs with descriptions stripped; regenerate a line with
// print_op_defs.py). Calls (PartitionedCall, StatefulPartitionedCall) have no OpDef here: they
// are inlined when a graph is loaded (graph/function_library.h).
#include "graph/op_registry.h"

namespace ckpt {

void RegisterFunctionalOps(OpRegistry* r) {
  static const char* const kOps[] = {
R"pb(name: "If" input_arg { name: "cond" type_attr: "Tcond" } input_arg { name: "input" type_list_attr: "Tin" } output_arg { name: "output" type_list_attr: "Tout" } attr { name: "Tcond" type: "type" } attr { name: "Tin" type: "list(type)" has_minimum: true } attr { name: "Tout" type: "list(type)" has_minimum: true } attr { name: "then_branch" type: "func" } attr { name: "else_branch" type: "func" } attr { name: "output_shapes" type: "list(shape)" default_value { list { } } } is_stateful: true)pb",
    R"pb(name: "StatelessIf" input_arg { name: "cond" type_attr: "Tcond" } input_arg { name: "input" type_list_attr: "Tin" } output_arg { name: "output" type_list_attr: "Tout" } attr { name: "Tcond" type: "type" } attr { name: "Tin" type: "list(type)" has_minimum: true } attr { name: "Tout" type: "list(type)" has_minimum: true } attr { name: "then_branch" type: "func" } attr { name: "else_branch" type: "func" } attr { name: "output_shapes" type: "list(shape)" default_value { list { } } })pb",
    R"pb(name: "Case" input_arg { name: "branch_index" type: DT_INT32 } input_arg { name: "input" type_list_attr: "Tin" } output_arg { name: "output" type_list_attr: "Tout" } attr { name: "Tin" type: "list(type)" has_minimum: true } attr { name: "Tout" type: "list(type)" has_minimum: true } attr { name: "branches" type: "list(func)" has_minimum: true minimum: 1 } attr { name: "output_shapes" type: "list(shape)" default_value { list { } } } is_stateful: true)pb",
    R"pb(name: "StatelessCase" input_arg { name: "branch_index" type: DT_INT32 } input_arg { name: "input" type_list_attr: "Tin" } output_arg { name: "output" type_list_attr: "Tout" } attr { name: "Tin" type: "list(type)" has_minimum: true } attr { name: "Tout" type: "list(type)" has_minimum: true } attr { name: "branches" type: "list(func)" has_minimum: true minimum: 1 } attr { name: "output_shapes" type: "list(shape)" default_value { list { } } })pb",
    R"pb(name: "While" input_arg { name: "input" type_list_attr: "T" } output_arg { name: "output" type_list_attr: "T" } attr { name: "T" type: "list(type)" has_minimum: true } attr { name: "cond" type: "func" } attr { name: "body" type: "func" } attr { name: "output_shapes" type: "list(shape)" default_value { list { } } } attr { name: "parallel_iterations" type: "int" default_value { i: 10 } } is_stateful: true)pb",
    R"pb(name: "StatelessWhile" input_arg { name: "input" type_list_attr: "T" } output_arg { name: "output" type_list_attr: "T" } attr { name: "T" type: "list(type)" has_minimum: true } attr { name: "cond" type: "func" } attr { name: "body" type: "func" } attr { name: "output_shapes" type: "list(shape)" default_value { list { } } } attr { name: "parallel_iterations" type: "int" default_value { i: 10 } })pb",
  };
  for (const char* text : kOps) r->RegisterText(text);
}

}  // namespace ckpt
