// The convolution ops (Conv2D, DepthwiseConv2dNative): each OpDef with its shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include "graph/op_registry.h"

namespace ckpt {

void RegisterConvOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::Unknown,
     R"pb(name: "Conv2D" input_arg { name: "input" type_attr: "T" } input_arg { name: "filter" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 } } } attr { name: "strides" type: "list(int)" } attr { name: "use_cudnn_on_gpu" type: "bool" default_value { b: true } } attr { name: "padding" type: "string" allowed_values { list { s: "SAME" s: "VALID" s: "EXPLICIT" } } } attr { name: "explicit_paddings" type: "list(int)" default_value { list { } } } attr { name: "data_format" type: "string" default_value { s: "NHWC" } allowed_values { list { s: "NHWC" s: "NCHW" } } } attr { name: "dilations" type: "list(int)" default_value { list { i: 1 i: 1 i: 1 i: 1 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "DepthwiseConv2dNative" input_arg { name: "input" type_attr: "T" } input_arg { name: "filter" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } } attr { name: "strides" type: "list(int)" } attr { name: "padding" type: "string" allowed_values { list { s: "SAME" s: "VALID" s: "EXPLICIT" } } } attr { name: "explicit_paddings" type: "list(int)" default_value { list { } } } attr { name: "data_format" type: "string" default_value { s: "NHWC" } allowed_values { list { s: "NHWC" s: "NCHW" } } } attr { name: "dilations" type: "list(int)" default_value { list { i: 1 i: 1 i: 1 i: 1 } } })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
