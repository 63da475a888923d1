// Registry lookups of ckpt/graph/graph_def.h (GetGraphDef and ParseInputString are in
// graph.cc beside the representation they read).
#include "ckpt/graph/graph_def.h"

#include "graph/kernel.h"
#include "graph/op_registry.h"

namespace ckpt {

const tensorflow::OpDef* FindOpDef(std::string_view op) { return OpRegistry::Global().Find(op); }

bool HasKernel(std::string_view op) { return KernelRegistry::Global().Find(op) != nullptr; }

}  // namespace ckpt
