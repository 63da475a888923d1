// The pooling ops (MaxPool, AvgPool): each OpDef with its shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include "graph/op_registry.h"

namespace ckpt {

void RegisterPoolingOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::Unknown,
     R"pb(name: "MaxPool" input_arg { name: "input" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" default_value { type: DT_FLOAT } allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_INT64 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_UINT16 type: DT_QINT8 } } } attr { name: "ksize" type: "list(int)" has_minimum: true minimum: 4 } attr { name: "strides" type: "list(int)" has_minimum: true minimum: 4 } attr { name: "padding" type: "string" allowed_values { list { s: "SAME" s: "VALID" s: "EXPLICIT" } } } attr { name: "explicit_paddings" type: "list(int)" default_value { list { } } } attr { name: "data_format" type: "string" default_value { s: "NHWC" } allowed_values { list { s: "NHWC" s: "NCHW" s: "NCHW_VECT_C" } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "AvgPool" input_arg { name: "value" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "ksize" type: "list(int)" has_minimum: true minimum: 4 } attr { name: "strides" type: "list(int)" has_minimum: true minimum: 4 } attr { name: "padding" type: "string" allowed_values { list { s: "SAME" s: "VALID" } } } attr { name: "data_format" type: "string" default_value { s: "NHWC" } allowed_values { list { s: "NHWC" s: "NCHW" } } } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
