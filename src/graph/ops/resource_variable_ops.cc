// resource_variable op definitions: the resource-variable ops TF2 functions use beyond the
// basic ones of state_ops.cc (TF 2.21's OpDefs with descriptions stripped; regenerate a line
// with print_op_defs.py).
#include "graph/op_registry.h"

namespace ckpt {

void RegisterResourceVariableOps(OpRegistry* r) {
  static const char* const kOps[] = {
    R"pb(name: "DisableCopyOnRead" input_arg { name: "resource" type: DT_RESOURCE } is_stateful: true)pb",
    R"pb(name: "ResourceGather" input_arg { name: "resource" type: DT_RESOURCE } input_arg { name: "indices" type_attr: "Tindices" } output_arg { name: "output" type_attr: "dtype" } attr { name: "batch_dims" type: "int" default_value { i: 0 } } attr { name: "validate_indices" type: "bool" default_value { b: true } } attr { name: "dtype" type: "type" } attr { name: "Tindices" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 } } } is_stateful: true)pb",
  };
  for (const char* text : kOps) r->RegisterText(text);
}

}  // namespace ckpt
