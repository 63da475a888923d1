// Builders of the control_flow family (src/graph/ops/control_flow_ops.cc): NoOp and
// tf.group.
#include "ckpt/graph/ops.h"

#include <algorithm>

#include "graph/builders/build_op.h"

namespace ckpt {
namespace ops {

Operation NoOp(Graph& g, std::string_view name) {
  return g.AddNode("NoOp", g.UniqueName(name), {});
}

Operation Group(Graph& g, const std::vector<Operation>& ops, std::string_view name) {
  std::vector<Operation> sorted = ops;
  std::sort(sorted.begin(), sorted.end(),
            [](const Operation& a, const Operation& b) { return a.name < b.name; });
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return g.AddNode("NoOp", g.UniqueName(name), {}, {}, sorted);
}

}  // namespace ops
}  // namespace ckpt
