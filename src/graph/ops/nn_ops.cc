// nn op definitions: TF 2.21's OpDefs with descriptions stripped (regenerate a line with
// print_op_defs.py). Facts of the TF graph interface, kept verbatim so exported graphs and
// stripped op lists match TF's.
#include "graph/op_registry.h"

namespace ckpt {

void RegisterNnOps(OpRegistry* r) {
  static const char* const kOps[] = {
    R"pb(name: "BiasAdd" input_arg { name: "value" type_attr: "T" } input_arg { name: "bias" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_COMPLEX64 type: DT_INT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_BFLOAT16 type: DT_QINT16 type: DT_QUINT16 type: DT_UINT16 type: DT_COMPLEX128 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } } attr { name: "data_format" type: "string" default_value { s: "NHWC" } allowed_values { list { s: "NHWC" s: "NCHW" } } })pb",
    R"pb(name: "Relu" input_arg { name: "features" type_attr: "T" } output_arg { name: "activations" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 type: DT_QINT8 } } })pb",
    R"pb(name: "Relu6" input_arg { name: "features" type_attr: "T" } output_arg { name: "activations" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } })pb",
    R"pb(name: "Elu" input_arg { name: "features" type_attr: "T" } output_arg { name: "activations" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb",
    R"pb(name: "Softplus" input_arg { name: "features" type_attr: "T" } output_arg { name: "activations" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb",
    R"pb(name: "Softmax" input_arg { name: "logits" type_attr: "T" } output_arg { name: "softmax" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb",
    R"pb(name: "LogSoftmax" input_arg { name: "logits" type_attr: "T" } output_arg { name: "logsoftmax" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb",
    R"pb(name: "L2Loss" input_arg { name: "t" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb",
    R"pb(name: "SoftmaxCrossEntropyWithLogits" input_arg { name: "features" type_attr: "T" } input_arg { name: "labels" type_attr: "T" } output_arg { name: "loss" type_attr: "T" } output_arg { name: "backprop" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb",
    R"pb(name: "SparseSoftmaxCrossEntropyWithLogits" input_arg { name: "features" type_attr: "T" } input_arg { name: "labels" type_attr: "Tlabels" } output_arg { name: "loss" type_attr: "T" } output_arg { name: "backprop" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } } attr { name: "Tlabels" type: "type" default_value { type: DT_INT64 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb",
  };
  for (const char* text : kOps) r->RegisterText(text);
}

}  // namespace ckpt
