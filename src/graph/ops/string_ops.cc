// The string ops (StringJoin, StringLower, StringSplitV2, and the RE2 regex ops
// StaticRegexFullMatch and StaticRegexReplace: the Saver graphs' temp-directory naming and the
// Keras TextVectorization preprocessing): each OpDef with its shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include <vector>

#include "graph/op_registry.h"

namespace ckpt {

namespace {

// TF's StringSplitV2 shape: sparse indices [?, 2], values [?], dense shape [2].
void StringSplitV2Shape(ShapeContext& c) {
  c.set_output(0, PartialShape(std::vector<int64_t>{-1, 2}));
  c.set_output(1, PartialShape(std::vector<int64_t>{-1}));
  c.set_output(2, PartialShape(std::vector<int64_t>{2}));
}

}  // namespace

void RegisterStringOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::Unknown,
     R"pb(name: "StringJoin" input_arg { name: "inputs" type: DT_STRING number_attr: "N" } output_arg { name: "output" type: DT_STRING } attr { name: "N" type: "int" has_minimum: true } attr { name: "separator" type: "string" default_value { s: "" } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "StaticRegexFullMatch" input_arg { name: "input" type: DT_STRING } output_arg { name: "output" type: DT_BOOL } attr { name: "pattern" type: "string" })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "StaticRegexReplace" input_arg { name: "input" type: DT_STRING } output_arg { name: "output" type: DT_STRING } attr { name: "pattern" type: "string" } attr { name: "rewrite" type: "string" } attr { name: "replace_global" type: "bool" default_value { b: true } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "StringLower" input_arg { name: "input" type: DT_STRING } output_arg { name: "output" type: DT_STRING } attr { name: "encoding" type: "string" default_value { s: "" } })pb"},
    {StringSplitV2Shape,
     R"pb(name: "StringSplitV2" input_arg { name: "input" type: DT_STRING } input_arg { name: "sep" type: DT_STRING } output_arg { name: "indices" type: DT_INT64 } output_arg { name: "values" type: DT_STRING } output_arg { name: "shape" type: DT_INT64 } attr { name: "maxsplit" type: "int" default_value { i: -1 } })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
