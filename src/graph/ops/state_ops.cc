// The state ops (ref variables VariableV2/Assign* and resource variables
// VarHandleOp/ReadVariableOp/Assign*VariableOp): each OpDef with its shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include "graph/op_registry.h"
#include "graph/tensor_proto.h"

namespace ckpt {
namespace {

// validate_shape: the merge of the variable's and the value's shapes; else the value's.
void AssignShape(ShapeContext& c) {
  const auto* v = c.attr("validate_shape");
  c.set_output(0,
               v == nullptr || v->b() ? shape_fn::MergeShapes(c.input(0), c.input(1)) : c.input(1));
}

// The shape attr of the VarHandleOp read.
void ReadVariableOpShape(ShapeContext& c) {
  if (auto s = shape_fn::ResourceVariableShape(c, 0)) c.set_output(0, *s);
}

}  // namespace

void RegisterStateOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::FromShapeAttr,
     R"pb(name: "VariableV2" output_arg { name: "ref" type_attr: "dtype" is_ref: true } attr { name: "shape" type: "shape" } attr { name: "dtype" type: "type" } attr { name: "container" type: "string" default_value { s: "" } } attr { name: "shared_name" type: "string" default_value { s: "" } } is_stateful: true)pb"},
    {AssignShape,
     R"pb(name: "Assign" input_arg { name: "ref" type_attr: "T" is_ref: true } input_arg { name: "value" type_attr: "T" } output_arg { name: "output_ref" type_attr: "T" is_ref: true } attr { name: "T" type: "type" } attr { name: "validate_shape" type: "bool" default_value { b: true } } attr { name: "use_locking" type: "bool" default_value { b: true } } allows_uninitialized_input: true)pb"},
    {shape_fn::Unchanged,
     R"pb(name: "AssignAdd" input_arg { name: "ref" type_attr: "T" is_ref: true } input_arg { name: "value" type_attr: "T" } output_arg { name: "output_ref" type_attr: "T" is_ref: true } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_COMPLEX64 type: DT_INT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_BFLOAT16 type: DT_QINT16 type: DT_QUINT16 type: DT_UINT16 type: DT_COMPLEX128 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } } attr { name: "use_locking" type: "bool" default_value { b: false } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "AssignSub" input_arg { name: "ref" type_attr: "T" is_ref: true } input_arg { name: "value" type_attr: "T" } output_arg { name: "output_ref" type_attr: "T" is_ref: true } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_COMPLEX64 type: DT_INT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_BFLOAT16 type: DT_QINT16 type: DT_QUINT16 type: DT_UINT16 type: DT_COMPLEX128 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } } attr { name: "use_locking" type: "bool" default_value { b: false } })pb"},
    {shape_fn::Scalar,
     R"pb(name: "IsVariableInitialized" input_arg { name: "ref" type_attr: "dtype" is_ref: true } output_arg { name: "is_initialized" type: DT_BOOL } attr { name: "dtype" type: "type" } allows_uninitialized_input: true)pb"},
    {shape_fn::Scalar,
     R"pb(name: "VarHandleOp" output_arg { name: "resource" type: DT_RESOURCE } attr { name: "container" type: "string" default_value { s: "" } } attr { name: "shared_name" type: "string" default_value { s: "" } } attr { name: "debug_name" type: "string" default_value { s: "" } } attr { name: "dtype" type: "type" } attr { name: "shape" type: "shape" } attr { name: "allowed_devices" type: "list(string)" default_value { list { } } } is_stateful: true)pb"},
    {ReadVariableOpShape,
     R"pb(name: "ReadVariableOp" input_arg { name: "resource" type: DT_RESOURCE } output_arg { name: "value" type_attr: "dtype" } attr { name: "dtype" type: "type" } is_stateful: true)pb"},
    {shape_fn::NoOutputs,
     R"pb(name: "AssignVariableOp" input_arg { name: "resource" type: DT_RESOURCE } input_arg { name: "value" type_attr: "dtype" } attr { name: "dtype" type: "type" } attr { name: "validate_shape" type: "bool" default_value { b: false } } is_stateful: true)pb"},
    {shape_fn::NoOutputs,
     R"pb(name: "AssignAddVariableOp" input_arg { name: "resource" type: DT_RESOURCE } input_arg { name: "value" type_attr: "dtype" } attr { name: "dtype" type: "type" } is_stateful: true)pb"},
    {shape_fn::NoOutputs,
     R"pb(name: "AssignSubVariableOp" input_arg { name: "resource" type: DT_RESOURCE } input_arg { name: "value" type_attr: "dtype" } attr { name: "dtype" type: "type" } is_stateful: true)pb"},
    {shape_fn::Scalar,
     R"pb(name: "VarIsInitializedOp" input_arg { name: "resource" type: DT_RESOURCE } output_arg { name: "is_initialized" type: DT_BOOL } is_stateful: true)pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
