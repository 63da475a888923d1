// Registry lookups of ckpt/graph/graph_def.h (GetGraphDef and ParseInputString are in
// graph.cc beside the representation they read).
#include "ckpt/graph/graph_def.h"

#include <algorithm>
#include <map>

#include "graph/kernel.h"
#include "graph/op_registry.h"

namespace ckpt {

const tensorflow::OpDef* FindOpDef(std::string_view op) { return OpRegistry::Global().Find(op); }

bool HasKernel(std::string_view op) { return KernelRegistry::Global().Find(op) != nullptr; }

std::vector<std::string> FunctionsCalledBy(
    const tensorflow::NodeDef& node, const std::function<bool(const std::string&)>& is_function) {
  std::vector<std::string> out;
  auto add = [&](const std::string& name) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  };
  if (is_function(node.op())) add(node.op());
  // Attr order is the map's; sort by attr name so the order does not depend on the proto
  // library's map iteration.
  std::map<std::string, const tensorflow::AttrValue*> attrs;
  for (const auto& [name, v] : node.attr()) attrs.emplace(name, &v);
  for (const auto& [name, v] : attrs) {
    if (v->has_func()) add(v->func().name());
    if (v->has_list()) {
      for (const auto& fa : v->list().func()) add(fa.name());
    }
  }
  return out;
}

}  // namespace ckpt
