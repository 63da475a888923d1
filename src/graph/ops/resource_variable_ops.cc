// resource_variable op definitions: the resource-variable ops TF2 functions use beyond the
// basic ones of state_ops.cc (TF 2.21's OpDefs with descriptions stripped; regenerate a line
// with print_op_defs.py).
#include "graph/op_registry.h"
#include "graph/tensor_proto.h"

namespace ckpt {

namespace {

// TF's ResourceGather shape function: indices' shape followed by the variable's dims after
// batch_dims + 1 (unknown when the variable's shape is: shape_fn::ResourceVariableShape).
void ResourceGatherShape(ShapeContext& c) {
  const std::optional<PartialShape> params = shape_fn::ResourceVariableShape(c, 0);
  const PartialShape indices = c.input(1);
  if (!params || !params->known_rank() || !indices.known_rank()) return;
  const tensorflow::AttrValue* bd = c.attr("batch_dims");
  const int64_t batch_dims = bd == nullptr ? 0 : bd->i();
  if (batch_dims < 0 || batch_dims + 1 > params->rank()) return;  // the kernel reports it
  std::vector<int64_t> dims = indices.dims();
  dims.insert(dims.end(), params->dims().begin() + batch_dims + 1, params->dims().end());
  c.set_output(0, PartialShape(std::move(dims)));
}

}  // namespace

void RegisterResourceVariableOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::NoOutputs,
     R"pb(name: "DisableCopyOnRead" input_arg { name: "resource" type: DT_RESOURCE } is_stateful: true)pb"},
    {ResourceGatherShape,
     R"pb(name: "ResourceGather" input_arg { name: "resource" type: DT_RESOURCE } input_arg { name: "indices" type_attr: "Tindices" } output_arg { name: "output" type_attr: "dtype" } attr { name: "batch_dims" type: "int" default_value { i: 0 } } attr { name: "validate_indices" type: "bool" default_value { b: true } } attr { name: "dtype" type: "type" } attr { name: "Tindices" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 } } } is_stateful: true)pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
