// no op definitions: TF 2.21's OpDefs with descriptions stripped (regenerate a line with
// print_op_defs.py). Facts of the TF graph interface, kept verbatim so exported graphs and
// stripped op lists match TF's.
#include "graph/op_registry.h"

namespace ckpt {

void RegisterNoOps(OpRegistry* r) {
  static const char* const kOps[] = {
    R"pb(name: "NoOp")pb",
  };
  for (const char* text : kOps) r->RegisterText(text);
}

}  // namespace ckpt
