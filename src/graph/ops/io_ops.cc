// io op definitions (checkpoint save/restore and the string ops of TF's Saver graphs): TF
// 2.21's OpDefs with descriptions stripped (regenerate a line with print_op_defs.py). Facts of
// the TF graph interface, kept verbatim so exported graphs and stripped op lists match TF's.
#include "graph/op_registry.h"

namespace ckpt {

void RegisterIoOps(OpRegistry* r) {
  static const char* const kOps[] = {
    R"pb(name: "SaveV2" input_arg { name: "prefix" type: DT_STRING } input_arg { name: "tensor_names" type: DT_STRING } input_arg { name: "shape_and_slices" type: DT_STRING } input_arg { name: "tensors" type_list_attr: "dtypes" } attr { name: "dtypes" type: "list(type)" has_minimum: true minimum: 1 } is_stateful: true)pb",
    R"pb(name: "RestoreV2" input_arg { name: "prefix" type: DT_STRING } input_arg { name: "tensor_names" type: DT_STRING } input_arg { name: "shape_and_slices" type: DT_STRING } output_arg { name: "tensors" type_list_attr: "dtypes" } attr { name: "dtypes" type: "list(type)" has_minimum: true minimum: 1 } is_stateful: true)pb",
    R"pb(name: "MergeV2Checkpoints" input_arg { name: "checkpoint_prefixes" type: DT_STRING } input_arg { name: "destination_prefix" type: DT_STRING } attr { name: "delete_old_dirs" type: "bool" default_value { b: true } } attr { name: "allow_missing_files" type: "bool" default_value { b: false } } is_stateful: true)pb",
    R"pb(name: "ShardedFilename" input_arg { name: "basename" type: DT_STRING } input_arg { name: "shard" type: DT_INT32 } input_arg { name: "num_shards" type: DT_INT32 } output_arg { name: "filename" type: DT_STRING })pb",
    R"pb(name: "ShardedFilespec" input_arg { name: "basename" type: DT_STRING } input_arg { name: "num_shards" type: DT_INT32 } output_arg { name: "filename" type: DT_STRING })pb",
    R"pb(name: "StringJoin" input_arg { name: "inputs" type: DT_STRING number_attr: "N" } output_arg { name: "output" type: DT_STRING } attr { name: "N" type: "int" has_minimum: true } attr { name: "separator" type: "string" default_value { s: "" } })pb",
    R"pb(name: "StaticRegexFullMatch" input_arg { name: "input" type: DT_STRING } output_arg { name: "output" type: DT_BOOL } attr { name: "pattern" type: "string" })pb",
    R"pb(name: "RestoreSlice" input_arg { name: "file_pattern" type: DT_STRING } input_arg { name: "tensor_name" type: DT_STRING } input_arg { name: "shape_and_slice" type: DT_STRING } output_arg { name: "tensor" type_attr: "dt" } attr { name: "dt" type: "type" } attr { name: "preferred_shard" type: "int" default_value { i: -1 } } is_stateful: true)pb",
    R"pb(name: "Restore" input_arg { name: "file_pattern" type: DT_STRING } input_arg { name: "tensor_name" type: DT_STRING } output_arg { name: "tensor" type_attr: "dt" } attr { name: "dt" type: "type" } attr { name: "preferred_shard" type: "int" default_value { i: -1 } } is_stateful: true)pb",
    R"pb(name: "Variable" output_arg { name: "ref" type_attr: "dtype" is_ref: true } attr { name: "shape" type: "shape" } attr { name: "dtype" type: "type" } attr { name: "container" type: "string" default_value { s: "" } } attr { name: "shared_name" type: "string" default_value { s: "" } } is_stateful: true)pb",
  };
  for (const char* text : kOps) r->RegisterText(text);
}

}  // namespace ckpt
