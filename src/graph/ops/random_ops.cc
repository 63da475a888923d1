// random op definitions: TF 2.21's OpDefs with descriptions stripped (regenerate a line with
// print_op_defs.py). Facts of the TF graph interface, kept verbatim so exported graphs and
// stripped op lists match TF's.
#include "graph/op_registry.h"

namespace ckpt {

void RegisterRandomOps(OpRegistry* r) {
  static const char* const kOps[] = {
    R"pb(name: "RandomStandardNormal" input_arg { name: "shape" type_attr: "T" } output_arg { name: "output" type_attr: "dtype" } attr { name: "seed" type: "int" default_value { i: 0 } } attr { name: "seed2" type: "int" default_value { i: 0 } } attr { name: "dtype" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } } attr { name: "T" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 } } } is_stateful: true)pb",
    R"pb(name: "RandomUniform" input_arg { name: "shape" type_attr: "T" } output_arg { name: "output" type_attr: "dtype" } attr { name: "seed" type: "int" default_value { i: 0 } } attr { name: "seed2" type: "int" default_value { i: 0 } } attr { name: "dtype" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } } attr { name: "T" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 } } } is_stateful: true)pb",
    R"pb(name: "TruncatedNormal" input_arg { name: "shape" type_attr: "T" } output_arg { name: "output" type_attr: "dtype" } attr { name: "seed" type: "int" default_value { i: 0 } } attr { name: "seed2" type: "int" default_value { i: 0 } } attr { name: "dtype" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } } attr { name: "T" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 } } } is_stateful: true)pb",
  };
  for (const char* text : kOps) r->RegisterText(text);
}

}  // namespace ckpt
