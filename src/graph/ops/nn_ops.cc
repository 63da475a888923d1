// The neural-network ops (activations, softmax, losses, BiasAdd, and their gradient helpers
// ReluGrad, BiasAddGrad, ...): each OpDef with its shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include <vector>

#include "graph/op_registry.h"

namespace ckpt {
namespace {

// (Sparse)SoftmaxCrossEntropyWithLogits: loss [batch], backprop shaped like the logits.
void SoftmaxXentShape(ShapeContext& c) {
  PartialShape logits = c.input(0);
  c.set_output(1, logits);
  if (logits.rank() == 2) c.set_output(0, PartialShape(std::vector<int64_t>{logits.dims()[0]}));
}

// The bias gradient: the last (channel) dim of the backprop.
void BiasAddGradShape(ShapeContext& c) {
  PartialShape in = c.input(0);
  if (in.known_rank() && in.rank() >= 1) {
    c.set_output(0, PartialShape(std::vector<int64_t>{in.dims().back()}));
  }
}

// TopKV2: values and indices shaped like the input with the last dim replaced by k.
void TopKShape(ShapeContext& c) {
  PartialShape in = c.input(0);
  if (!in.known_rank() || in.rank() < 1) return;
  auto k = c.const_ints(1);
  std::vector<int64_t> d = in.dims();
  d.back() = k && k->size() == 1 && (*k)[0] >= 0 ? (*k)[0] : -1;
  c.set_output(0, PartialShape(d));
  c.set_output(1, PartialShape(d));
}

}  // namespace

void RegisterNnOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::Unchanged,
     R"pb(name: "BiasAdd" input_arg { name: "value" type_attr: "T" } input_arg { name: "bias" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_COMPLEX64 type: DT_INT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_BFLOAT16 type: DT_QINT16 type: DT_QUINT16 type: DT_UINT16 type: DT_COMPLEX128 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } } attr { name: "data_format" type: "string" default_value { s: "NHWC" } allowed_values { list { s: "NHWC" s: "NCHW" } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Relu" input_arg { name: "features" type_attr: "T" } output_arg { name: "activations" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 type: DT_QINT8 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Relu6" input_arg { name: "features" type_attr: "T" } output_arg { name: "activations" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Elu" input_arg { name: "features" type_attr: "T" } output_arg { name: "activations" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Softplus" input_arg { name: "features" type_attr: "T" } output_arg { name: "activations" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Softmax" input_arg { name: "logits" type_attr: "T" } output_arg { name: "softmax" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "LogSoftmax" input_arg { name: "logits" type_attr: "T" } output_arg { name: "logsoftmax" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {shape_fn::Scalar,
     R"pb(name: "L2Loss" input_arg { name: "t" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {SoftmaxXentShape,
     R"pb(name: "SoftmaxCrossEntropyWithLogits" input_arg { name: "features" type_attr: "T" } input_arg { name: "labels" type_attr: "T" } output_arg { name: "loss" type_attr: "T" } output_arg { name: "backprop" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {SoftmaxXentShape,
     R"pb(name: "SparseSoftmaxCrossEntropyWithLogits" input_arg { name: "features" type_attr: "T" } input_arg { name: "labels" type_attr: "Tlabels" } output_arg { name: "loss" type_attr: "T" } output_arg { name: "backprop" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } } attr { name: "Tlabels" type: "type" default_value { type: DT_INT64 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "ReluGrad" input_arg { name: "gradients" type_attr: "T" } input_arg { name: "features" type_attr: "T" } output_arg { name: "backprops" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Relu6Grad" input_arg { name: "gradients" type_attr: "T" } input_arg { name: "features" type_attr: "T" } output_arg { name: "backprops" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "EluGrad" input_arg { name: "gradients" type_attr: "T" } input_arg { name: "outputs" type_attr: "T" } output_arg { name: "backprops" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "SoftplusGrad" input_arg { name: "gradients" type_attr: "T" } input_arg { name: "features" type_attr: "T" } output_arg { name: "backprops" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {BiasAddGradShape,
     R"pb(name: "BiasAddGrad" input_arg { name: "out_backprop" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_COMPLEX64 type: DT_INT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_BFLOAT16 type: DT_QINT16 type: DT_QUINT16 type: DT_UINT16 type: DT_COMPLEX128 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } } attr { name: "data_format" type: "string" default_value { s: "NHWC" } allowed_values { list { s: "NHWC" s: "NCHW" } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Selu" input_arg { name: "features" type_attr: "T" } output_arg { name: "activations" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "SeluGrad" input_arg { name: "gradients" type_attr: "T" } input_arg { name: "outputs" type_attr: "T" } output_arg { name: "backprops" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "LeakyRelu" input_arg { name: "features" type_attr: "T" } output_arg { name: "activations" type_attr: "T" } attr { name: "alpha" type: "float" default_value { f: 0.2 } } attr { name: "T" type: "type" default_value { type: DT_FLOAT } allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "LeakyReluGrad" input_arg { name: "gradients" type_attr: "T" } input_arg { name: "features" type_attr: "T" } output_arg { name: "backprops" type_attr: "T" } attr { name: "alpha" type: "float" default_value { f: 0.2 } } attr { name: "T" type: "type" default_value { type: DT_FLOAT } allowed_values { list { type: DT_HALF type: DT_BFLOAT16 type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {TopKShape,
     R"pb(name: "TopKV2" input_arg { name: "input" type_attr: "T" } input_arg { name: "k" type_attr: "Tk" } output_arg { name: "values" type_attr: "T" } output_arg { name: "indices" type_attr: "index_type" } attr { name: "sorted" type: "bool" default_value { b: true } } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } } attr { name: "Tk" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT16 type: DT_INT32 type: DT_INT64 } } } attr { name: "index_type" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT16 type: DT_INT32 type: DT_INT64 } } })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
