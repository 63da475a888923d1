// Gradient decisions for the ops of src/graph/ops/lookup_ops.cc: table lookups are not
// differentiable (TF registers none either); backprop stops at them.
#include "graph/gradients/grad_util.h"

namespace ckpt::grad {

void RegisterLookupGradients(GradRegistry* r) {
  for (const char* op :
       {"HashTableV2", "MutableHashTableV2", "LookupTableFindV2", "LookupTableImportV2",
        "LookupTableExportV2", "LookupTableSizeV2", "LookupTableInsertV2", "LookupTableRemoveV2",
        "InitializeTableV2", "InitializeTableFromTextFileV2"}) {
    r->NoGradient(op);
  }
}

}  // namespace ckpt::grad
