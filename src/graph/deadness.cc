#include "graph/deadness.h"

namespace ckpt::deadness {

bool IsSwitch(std::string_view op) { return op == "Switch"; }

bool SkipIfDead(const DeadInputs& d, std::vector<char>& dead, TensorValue* outputs) {
  bool is_dead;
  if (d.merge) {
    is_dead = true;
    for (int s : d.data) is_dead = is_dead && dead[s];
  } else {
    is_dead = false;
    for (int s : d.data) is_dead = is_dead || dead[s];
    for (int b : d.control) is_dead = is_dead || dead[b];
  }
  dead[d.node_bit] = is_dead;
  if (!is_dead) return false;
  for (int o = 0; o < d.num_outputs; ++o) {
    dead[d.first_output + o] = 1;
    outputs[o] = TensorValue();
  }
  return true;
}

Status FinishOutputs(const tensorflow::NodeDef& node, const std::vector<int32_t>& output_types,
                     const TensorValue* outputs, const DeadInputs* d, std::vector<char>* dead) {
  const bool is_switch = d != nullptr && IsSwitch(node.op());
  for (size_t o = 0; o < output_types.size(); ++o) {
    const TensorValue& out = outputs[o];
    const int32_t want = output_types[o];
    if (is_switch) {
      const bool set = out.tensor.valid() || out.ref != nullptr || out.resource != nullptr;
      (*dead)[d->first_output + o] = !set;
      if (!set) continue;
    } else if (d != nullptr) {
      (*dead)[d->first_output + o] = 0;
    }
    const bool ok = IsRefType(want) ? out.ref != nullptr
                    : BaseType(want) == DataType::kResource
                        ? out.resource != nullptr
                        : out.tensor.valid() && out.tensor.dtype() == BaseType(want);
    if (!ok) {
      return InternalError("node " + node.name() + " (" + node.op() + ") output " +
                           std::to_string(o) + " was not set to a " +
                           std::string(DataTypeName(BaseType(want))) + " value");
    }
  }
  return Status::OK();
}

Status DeadValueError(std::string_view what, std::string_view node) {
  return InvalidArgumentError(std::string(what) + " has no value: node '" + std::string(node) +
                              "' did not run because it is on the untaken branch of a "
                              "conditional (a dead tensor of a Switch)");
}

}  // namespace ckpt::deadness
