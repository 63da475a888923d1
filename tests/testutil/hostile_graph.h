// A graph that a hostile model could hold, for the tests of untrusted-model limits (graph
// layer and CLI): a While that never ends ("spin", fed "i"), a Fill shaped by a feed ("fill",
// fed "dims"), and file I/O on a fed path ("file"): ReadFile ("read"), WriteFile ("write", fed
// "text"), RestoreV2 ("restore") and SaveV2 ("save") of tensor "x".
#pragma once

#include <google/protobuf/text_format.h>

#include "tensorflow/core/framework/graph.pb.h"

namespace ckpt::testutil {

// Forever(i: int32) -> true; Inc(i) -> i + 1.
constexpr char kForever[] = R"pb(
  signature { name: "Forever" input_arg { name: "i" type: DT_INT32 } output_arg { name: "c" type: DT_BOOL } }
  node_def { name: "t" op: "Const" attr { key: "dtype" value { type: DT_BOOL } }
             attr { key: "value" value { tensor { dtype: DT_BOOL tensor_shape {} bool_val: true } } } }
  ret { key: "c" value: "t:output:0" }
)pb";
constexpr char kInc[] = R"pb(
  signature { name: "Inc" input_arg { name: "i" type: DT_INT32 } output_arg { name: "j" type: DT_INT32 } }
  node_def { name: "one" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
             attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 1 } } } }
  node_def { name: "add" op: "AddV2" input: "i" input: "one:output:0"
             attr { key: "T" value { type: DT_INT32 } } }
  ret { key: "j" value: "add:z:0" }
)pb";

constexpr char kHostileGraph[] = R"pb(
  node { name: "i" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } } }
  node {
    name: "spin" op: "StatelessWhile" input: "i"
    attr { key: "T" value { list { type: DT_INT32 } } }
    attr { key: "cond" value { func { name: "Forever" } } }
    attr { key: "body" value { func { name: "Inc" } } }
  }
  node { name: "dims" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } } }
  node { name: "zero" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 0 } } } }
  node { name: "fill" op: "Fill" input: "dims" input: "zero"
         attr { key: "T" value { type: DT_FLOAT } } attr { key: "index_type" value { type: DT_INT32 } } }
  node { name: "file" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
  node { name: "read" op: "ReadFile" input: "file" }
  node { name: "text" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
  node { name: "write" op: "WriteFile" input: "file" input: "text" }
  node { name: "names" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
         attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape { dim { size: 1 } } string_val: "x" } } } }
  node { name: "slices" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
         attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape { dim { size: 1 } } string_val: "" } } } }
  node { name: "restore" op: "RestoreV2" input: "file" input: "names" input: "slices"
         attr { key: "dtypes" value { list { type: DT_FLOAT } } } }
  node { name: "value" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 1 } } } }
  node { name: "save" op: "SaveV2" input: "file" input: "names" input: "slices" input: "value"
         attr { key: "dtypes" value { list { type: DT_FLOAT } } } }
)pb";

inline tensorflow::GraphDef HostileGraphDef() {
  tensorflow::GraphDef def;
  google::protobuf::TextFormat::ParseFromString(kHostileGraph, &def);
  for (const char* f : {kForever, kInc}) {
    google::protobuf::TextFormat::ParseFromString(f, def.mutable_library()->add_function());
  }
  return def;
}

}  // namespace ckpt::testutil
