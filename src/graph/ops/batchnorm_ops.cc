// The batch normalization ops (FusedBatchNorm, V2, V3): each OpDef with its shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include "graph/op_registry.h"

namespace ckpt {

void RegisterBatchNormOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::Unknown,
     R"pb(name: "FusedBatchNormV3" input_arg { name: "x" type_attr: "T" } input_arg { name: "scale" type_attr: "U" } input_arg { name: "offset" type_attr: "U" } input_arg { name: "mean" type_attr: "U" } input_arg { name: "variance" type_attr: "U" } output_arg { name: "y" type_attr: "T" } output_arg { name: "batch_mean" type_attr: "U" } output_arg { name: "batch_variance" type_attr: "U" } output_arg { name: "reserve_space_1" type_attr: "U" } output_arg { name: "reserve_space_2" type_attr: "U" } output_arg { name: "reserve_space_3" type_attr: "U" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT } } } attr { name: "U" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_FLOAT } } } attr { name: "epsilon" type: "float" default_value { f: 0.0001 } } attr { name: "exponential_avg_factor" type: "float" default_value { f: 1.0 } } attr { name: "data_format" type: "string" default_value { s: "NHWC" } allowed_values { list { s: "NHWC" s: "NCHW" s: "NDHWC" s: "NCDHW" } } } attr { name: "is_training" type: "bool" default_value { b: true } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "FusedBatchNorm" input_arg { name: "x" type_attr: "T" } input_arg { name: "scale" type_attr: "T" } input_arg { name: "offset" type_attr: "T" } input_arg { name: "mean" type_attr: "T" } input_arg { name: "variance" type_attr: "T" } output_arg { name: "y" type_attr: "T" } output_arg { name: "batch_mean" type_attr: "T" } output_arg { name: "batch_variance" type_attr: "T" } output_arg { name: "reserve_space_1" type_attr: "T" } output_arg { name: "reserve_space_2" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT } } } attr { name: "epsilon" type: "float" default_value { f: 0.0001 } } attr { name: "exponential_avg_factor" type: "float" default_value { f: 1.0 } } attr { name: "data_format" type: "string" default_value { s: "NHWC" } allowed_values { list { s: "NHWC" s: "NCHW" } } } attr { name: "is_training" type: "bool" default_value { b: true } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "FusedBatchNormV2" input_arg { name: "x" type_attr: "T" } input_arg { name: "scale" type_attr: "U" } input_arg { name: "offset" type_attr: "U" } input_arg { name: "mean" type_attr: "U" } input_arg { name: "variance" type_attr: "U" } output_arg { name: "y" type_attr: "T" } output_arg { name: "batch_mean" type_attr: "U" } output_arg { name: "batch_variance" type_attr: "U" } output_arg { name: "reserve_space_1" type_attr: "U" } output_arg { name: "reserve_space_2" type_attr: "U" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT } } } attr { name: "U" type: "type" allowed_values { list { type: DT_FLOAT } } } attr { name: "epsilon" type: "float" default_value { f: 0.0001 } } attr { name: "exponential_avg_factor" type: "float" default_value { f: 1.0 } } attr { name: "data_format" type: "string" default_value { s: "NHWC" } allowed_values { list { s: "NHWC" s: "NCHW" } } } attr { name: "is_training" type: "bool" default_value { b: true } })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
