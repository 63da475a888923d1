// The ragged ops (RaggedTensorToTensor: a ragged tensor, as flat values and row partitions,
// made dense): each OpDef with its shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include <string>
#include <vector>

#include "graph/op_registry.h"

namespace ckpt {

namespace {

// TF's RaggedTensorToTensor shape: rank ragged_rank + rank(values); the dims the Const shape
// input gives (-1: unknown), and the values' inner dims after the ragged ones.
void RaggedTensorToTensorShape(ShapeContext& c) {
  const tensorflow::AttrValue* types = c.attr("row_partition_types");
  if (types == nullptr || types->list().s_size() == 0) return;
  int ragged_rank = types->list().s_size();
  if (types->list().s(0) == "FIRST_DIM_SIZE") --ragged_rank;
  const PartialShape values = c.input(1);
  std::vector<int64_t> dims;
  if (auto shape = c.const_ints(0); shape && c.input(0).rank() == 1) {
    dims = *shape;
  } else if (values.known_rank()) {
    dims.assign(ragged_rank + values.rank(), -1);
  } else {
    return;
  }
  if (values.known_rank()) {
    if (static_cast<int>(dims.size()) != ragged_rank + values.rank()) return;  // the kernel's error
    for (int d = 1; d < values.rank(); ++d) {
      int64_t& out = dims[ragged_rank + d];
      if (out < 0) out = values.dims()[d];
    }
  }
  for (int64_t& d : dims) {
    if (d < -1) return;
  }
  c.set_output(0, PartialShape(std::move(dims)));
}

}  // namespace

void RegisterRaggedOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {RaggedTensorToTensorShape,
     R"pb(name: "RaggedTensorToTensor" input_arg { name: "shape" type_attr: "Tshape" } input_arg { name: "values" type_attr: "T" } input_arg { name: "default_value" type_attr: "T" } input_arg { name: "row_partition_tensors" type_attr: "Tindex" number_attr: "num_row_partition_tensors" } output_arg { name: "result" type_attr: "T" } attr { name: "T" type: "type" } attr { name: "Tindex" type: "type" allowed_values { list { type: DT_INT64 type: DT_INT32 } } } attr { name: "Tshape" type: "type" allowed_values { list { type: DT_INT64 type: DT_INT32 } } } attr { name: "num_row_partition_tensors" type: "int" has_minimum: true minimum: 1 } attr { name: "row_partition_types" type: "list(string)" })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
