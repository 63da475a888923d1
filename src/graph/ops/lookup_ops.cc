// lookup op definitions: hash tables and their initializers (tf.lookup.StaticHashTable,
// MutableHashTable, Keras StringLookup/IntegerLookup/TextVectorization exports). TF 2.21's
// OpDefs with descriptions stripped (regenerate a line with print_op_defs.py).
#include "graph/op_registry.h"

namespace ckpt {

namespace {

// LookupTableFindV2: one value per key (the tables here hold scalar values), so the output has
// the keys' shape.
void FindShape(ShapeContext& c) { c.set_output(0, c.input(1)); }

// LookupTableExportV2: keys and values as vectors of the table's size.
void ExportShape(ShapeContext& c) {
  c.set_output(0, PartialShape(std::vector<int64_t>{-1}));
  c.set_output(1, PartialShape(std::vector<int64_t>{-1}));
}

}  // namespace

void RegisterLookupOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::Scalar,
     R"pb(name: "HashTableV2" output_arg { name: "table_handle" type: DT_RESOURCE } attr { name: "container" type: "string" default_value { s: "" } } attr { name: "shared_name" type: "string" default_value { s: "" } } attr { name: "use_node_name_sharing" type: "bool" default_value { b: false } } attr { name: "key_dtype" type: "type" } attr { name: "value_dtype" type: "type" } is_stateful: true)pb"},
    {shape_fn::Scalar,
     R"pb(name: "MutableHashTableV2" output_arg { name: "table_handle" type: DT_RESOURCE } attr { name: "container" type: "string" default_value { s: "" } } attr { name: "shared_name" type: "string" default_value { s: "" } } attr { name: "use_node_name_sharing" type: "bool" default_value { b: false } } attr { name: "key_dtype" type: "type" } attr { name: "value_dtype" type: "type" } is_stateful: true)pb"},
    {FindShape,
     R"pb(name: "LookupTableFindV2" input_arg { name: "table_handle" type: DT_RESOURCE } input_arg { name: "keys" type_attr: "Tin" } input_arg { name: "default_value" type_attr: "Tout" } output_arg { name: "values" type_attr: "Tout" } attr { name: "Tin" type: "type" } attr { name: "Tout" type: "type" } is_stateful: true)pb"},
    {shape_fn::NoOutputs,
     R"pb(name: "LookupTableImportV2" input_arg { name: "table_handle" type: DT_RESOURCE } input_arg { name: "keys" type_attr: "Tin" } input_arg { name: "values" type_attr: "Tout" } attr { name: "Tin" type: "type" } attr { name: "Tout" type: "type" } is_stateful: true)pb"},
    {ExportShape,
     R"pb(name: "LookupTableExportV2" input_arg { name: "table_handle" type: DT_RESOURCE } output_arg { name: "keys" type_attr: "Tkeys" } output_arg { name: "values" type_attr: "Tvalues" } attr { name: "Tkeys" type: "type" } attr { name: "Tvalues" type: "type" } is_stateful: true)pb"},
    {shape_fn::Scalar,
     R"pb(name: "LookupTableSizeV2" input_arg { name: "table_handle" type: DT_RESOURCE } output_arg { name: "size" type: DT_INT64 } is_stateful: true)pb"},
    {shape_fn::NoOutputs,
     R"pb(name: "LookupTableInsertV2" input_arg { name: "table_handle" type: DT_RESOURCE } input_arg { name: "keys" type_attr: "Tin" } input_arg { name: "values" type_attr: "Tout" } attr { name: "Tin" type: "type" } attr { name: "Tout" type: "type" } is_stateful: true)pb"},
    {shape_fn::NoOutputs,
     R"pb(name: "LookupTableRemoveV2" input_arg { name: "table_handle" type: DT_RESOURCE } input_arg { name: "keys" type_attr: "Tin" } attr { name: "Tin" type: "type" } is_stateful: true)pb"},
    {shape_fn::NoOutputs,
     R"pb(name: "InitializeTableV2" input_arg { name: "table_handle" type: DT_RESOURCE } input_arg { name: "keys" type_attr: "Tkey" } input_arg { name: "values" type_attr: "Tval" } attr { name: "Tkey" type: "type" } attr { name: "Tval" type: "type" } is_stateful: true)pb"},
    {shape_fn::NoOutputs,
     R"pb(name: "InitializeTableFromTextFileV2" input_arg { name: "table_handle" type: DT_RESOURCE } input_arg { name: "filename" type: DT_STRING } attr { name: "key_index" type: "int" has_minimum: true minimum: -2 } attr { name: "value_index" type: "int" has_minimum: true minimum: -2 } attr { name: "vocab_size" type: "int" default_value { i: -1 } has_minimum: true minimum: -1 } attr { name: "delimiter" type: "string" default_value { s: "\t" } } attr { name: "offset" type: "int" default_value { i: 0 } } is_stateful: true)pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
