// The stateless random ops (StatelessRandomGetKeyCounter, StatelessRandomUniformV2,
// StatelessRandomNormalV2, StatelessTruncatedNormalV2): each OpDef with its shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include "graph/op_registry.h"

namespace ckpt {

void RegisterStatelessRandomOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::Unknown,
     R"pb(name: "StatelessRandomGetKeyCounter" input_arg { name: "seed" type_attr: "Tseed" } output_arg { name: "key" type: DT_UINT64 } output_arg { name: "counter" type: DT_UINT64 } attr { name: "Tseed" type: "type" default_value { type: DT_INT64 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "StatelessRandomUniformV2" input_arg { name: "shape" type_attr: "Tshape" } input_arg { name: "key" type: DT_UINT64 } input_arg { name: "counter" type: DT_UINT64 } input_arg { name: "alg" type: DT_INT32 } output_arg { name: "output" type_attr: "dtype" } attr { name: "dtype" type: "type" default_value { type: DT_FLOAT } allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } } attr { name: "Tshape" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::FromShapeInput0,
     R"pb(name: "StatelessRandomNormalV2" input_arg { name: "shape" type_attr: "Tshape" } input_arg { name: "key" type: DT_UINT64 } input_arg { name: "counter" type: DT_UINT64 } input_arg { name: "alg" type: DT_INT32 } output_arg { name: "output" type_attr: "dtype" } attr { name: "dtype" type: "type" default_value { type: DT_FLOAT } allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } } attr { name: "Tshape" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::FromShapeInput0,
     R"pb(name: "StatelessTruncatedNormalV2" input_arg { name: "shape" type_attr: "Tshape" } input_arg { name: "key" type: DT_UINT64 } input_arg { name: "counter" type: DT_UINT64 } input_arg { name: "alg" type: DT_INT32 } output_arg { name: "output" type_attr: "dtype" } attr { name: "dtype" type: "type" default_value { type: DT_FLOAT } allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } } attr { name: "Tshape" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
