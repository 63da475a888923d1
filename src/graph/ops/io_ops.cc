// The io ops (SaveV2/RestoreV2, the V1 Save/Restore ops, the Saver graphs' file-name ops,
// ParseExample, ParseExampleV2, DynamicStitch): each OpDef with its shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include "graph/op_registry.h"
#include "graph/tensor_proto.h"

namespace ckpt {

namespace {

// TF's ParseExampleV2 shape function for its sparse and dense outputs (batch = the shape of
// `serialized`): sparse indices [?, rank + 1], values [?], dense shapes [rank + 1]; dense value
// d is batch + dense_shapes[d] (a variable-length feature's -1 first dim stays unknown). The
// ragged outputs' lengths depend on the data: unknown, as in TF's without a static batch.
void ParseExampleV2Shape(ShapeContext& c) {
  const PartialShape batch = c.input(0);
  if (!batch.known_rank()) return;
  const tensorflow::AttrValue* num_sparse = c.attr("num_sparse");
  const tensorflow::AttrValue* tdense = c.attr("Tdense");
  const tensorflow::AttrValue* dense_shapes = c.attr("dense_shapes");
  if (num_sparse == nullptr || tdense == nullptr || dense_shapes == nullptr) return;
  const int ns = static_cast<int>(num_sparse->i());
  const int nd = tdense->list().type_size();
  const int64_t rank = batch.rank();
  for (int i = 0; i < ns; ++i) {
    c.set_output(i, PartialShape(std::vector<int64_t>{-1, rank + 1}));
    c.set_output(ns + i, PartialShape(std::vector<int64_t>{-1}));
    c.set_output(2 * ns + i, PartialShape(std::vector<int64_t>{rank + 1}));
  }
  for (int d = 0; d < nd && d < dense_shapes->list().shape_size(); ++d) {
    auto s = PartialShapeFromProto(dense_shapes->list().shape(d));
    if (!s.ok() || !s->known_rank()) continue;
    std::vector<int64_t> dims = batch.dims();
    dims.insert(dims.end(), s->dims().begin(), s->dims().end());
    c.set_output(3 * ns + d, PartialShape(std::move(dims)));
  }
}

}  // namespace

void RegisterIoOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::NoOutputs,
     R"pb(name: "SaveV2" input_arg { name: "prefix" type: DT_STRING } input_arg { name: "tensor_names" type: DT_STRING } input_arg { name: "shape_and_slices" type: DT_STRING } input_arg { name: "tensors" type_list_attr: "dtypes" } attr { name: "dtypes" type: "list(type)" has_minimum: true minimum: 1 } is_stateful: true)pb"},
    {shape_fn::Unknown,
     R"pb(name: "RestoreV2" input_arg { name: "prefix" type: DT_STRING } input_arg { name: "tensor_names" type: DT_STRING } input_arg { name: "shape_and_slices" type: DT_STRING } output_arg { name: "tensors" type_list_attr: "dtypes" } attr { name: "dtypes" type: "list(type)" has_minimum: true minimum: 1 } is_stateful: true)pb"},
    {shape_fn::NoOutputs,
     R"pb(name: "MergeV2Checkpoints" input_arg { name: "checkpoint_prefixes" type: DT_STRING } input_arg { name: "destination_prefix" type: DT_STRING } attr { name: "delete_old_dirs" type: "bool" default_value { b: true } } attr { name: "allow_missing_files" type: "bool" default_value { b: false } } is_stateful: true)pb"},
    {shape_fn::Unknown,
     R"pb(name: "ShardedFilename" input_arg { name: "basename" type: DT_STRING } input_arg { name: "shard" type: DT_INT32 } input_arg { name: "num_shards" type: DT_INT32 } output_arg { name: "filename" type: DT_STRING })pb"},
    {shape_fn::Unknown,
     R"pb(name: "ShardedFilespec" input_arg { name: "basename" type: DT_STRING } input_arg { name: "num_shards" type: DT_INT32 } output_arg { name: "filename" type: DT_STRING })pb"},
    {shape_fn::Scalar,
     R"pb(name: "ReadFile" input_arg { name: "filename" type: DT_STRING } output_arg { name: "contents" type: DT_STRING })pb"},
    {shape_fn::NoOutputs,
     R"pb(name: "WriteFile" input_arg { name: "filename" type: DT_STRING } input_arg { name: "contents" type: DT_STRING } is_stateful: true)pb"},
    {shape_fn::Unknown,
     R"pb(name: "RestoreSlice" input_arg { name: "file_pattern" type: DT_STRING } input_arg { name: "tensor_name" type: DT_STRING } input_arg { name: "shape_and_slice" type: DT_STRING } output_arg { name: "tensor" type_attr: "dt" } attr { name: "dt" type: "type" } attr { name: "preferred_shard" type: "int" default_value { i: -1 } } is_stateful: true)pb"},
    {shape_fn::Unknown,
     R"pb(name: "Restore" input_arg { name: "file_pattern" type: DT_STRING } input_arg { name: "tensor_name" type: DT_STRING } output_arg { name: "tensor" type_attr: "dt" } attr { name: "dt" type: "type" } attr { name: "preferred_shard" type: "int" default_value { i: -1 } } is_stateful: true)pb"},
    {shape_fn::Unknown,
     R"pb(name: "Variable" output_arg { name: "ref" type_attr: "dtype" is_ref: true } attr { name: "shape" type: "shape" } attr { name: "dtype" type: "type" } attr { name: "container" type: "string" default_value { s: "" } } attr { name: "shared_name" type: "string" default_value { s: "" } } is_stateful: true)pb"},
    {shape_fn::NoOutputs,
     R"pb(name: "SaveSlices" input_arg { name: "filename" type: DT_STRING } input_arg { name: "tensor_names" type: DT_STRING } input_arg { name: "shapes_and_slices" type: DT_STRING } input_arg { name: "data" type_list_attr: "T" } attr { name: "T" type: "list(type)" has_minimum: true minimum: 1 } is_stateful: true)pb"},
    {shape_fn::NoOutputs,
     R"pb(name: "Save" input_arg { name: "filename" type: DT_STRING } input_arg { name: "tensor_names" type: DT_STRING } input_arg { name: "data" type_list_attr: "T" } attr { name: "T" type: "list(type)" has_minimum: true minimum: 1 } is_stateful: true)pb"},
    {shape_fn::Unknown,
     R"pb(name: "ParseExample" input_arg { name: "serialized" type: DT_STRING } input_arg { name: "names" type: DT_STRING } input_arg { name: "sparse_keys" type: DT_STRING number_attr: "Nsparse" } input_arg { name: "dense_keys" type: DT_STRING number_attr: "Ndense" } input_arg { name: "dense_defaults" type_list_attr: "Tdense" } output_arg { name: "sparse_indices" type: DT_INT64 number_attr: "Nsparse" } output_arg { name: "sparse_values" type_list_attr: "sparse_types" } output_arg { name: "sparse_shapes" type: DT_INT64 number_attr: "Nsparse" } output_arg { name: "dense_values" type_list_attr: "Tdense" } attr { name: "Nsparse" type: "int" has_minimum: true } attr { name: "Ndense" type: "int" has_minimum: true } attr { name: "sparse_types" type: "list(type)" has_minimum: true allowed_values { list { type: DT_FLOAT type: DT_INT64 type: DT_STRING } } } attr { name: "Tdense" type: "list(type)" has_minimum: true allowed_values { list { type: DT_FLOAT type: DT_INT64 type: DT_STRING } } } attr { name: "dense_shapes" type: "list(shape)" has_minimum: true })pb"},
    {ParseExampleV2Shape,
     R"pb(name: "ParseExampleV2" input_arg { name: "serialized" type: DT_STRING } input_arg { name: "names" type: DT_STRING } input_arg { name: "sparse_keys" type: DT_STRING } input_arg { name: "dense_keys" type: DT_STRING } input_arg { name: "ragged_keys" type: DT_STRING } input_arg { name: "dense_defaults" type_list_attr: "Tdense" } output_arg { name: "sparse_indices" type: DT_INT64 number_attr: "num_sparse" } output_arg { name: "sparse_values" type_list_attr: "sparse_types" } output_arg { name: "sparse_shapes" type: DT_INT64 number_attr: "num_sparse" } output_arg { name: "dense_values" type_list_attr: "Tdense" } output_arg { name: "ragged_values" type_list_attr: "ragged_value_types" } output_arg { name: "ragged_row_splits" type_list_attr: "ragged_split_types" } attr { name: "Tdense" type: "list(type)" has_minimum: true allowed_values { list { type: DT_FLOAT type: DT_INT64 type: DT_STRING } } } attr { name: "num_sparse" type: "int" has_minimum: true } attr { name: "sparse_types" type: "list(type)" has_minimum: true allowed_values { list { type: DT_FLOAT type: DT_INT64 type: DT_STRING } } } attr { name: "ragged_value_types" type: "list(type)" has_minimum: true allowed_values { list { type: DT_FLOAT type: DT_INT64 type: DT_STRING } } } attr { name: "ragged_split_types" type: "list(type)" has_minimum: true allowed_values { list { type: DT_INT32 type: DT_INT64 } } } attr { name: "dense_shapes" type: "list(shape)" has_minimum: true })pb",},
    {shape_fn::Unknown,
     R"pb(name: "DynamicStitch" input_arg { name: "indices" type: DT_INT32 number_attr: "N" } input_arg { name: "data" type_attr: "T" number_attr: "N" } output_arg { name: "merged" type_attr: "T" } attr { name: "N" type: "int" has_minimum: true minimum: 1 } attr { name: "T" type: "type" })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
