// Builders of the state family (src/graph/ops/state_ops.cc): ref and resource variables,
// their assignments and initializers (tf.Variable in TF1 graph mode).
#include "ckpt/graph/ops.h"

#include <algorithm>
#include <string>

#include "graph/builders/build_op.h"

namespace ckpt {
namespace ops {

Output VariableV2(Graph& g, const PartialShape& shape, DataType dtype, std::string_view container,
                  std::string_view shared_name, std::string_view name) {
  return Out(g.AddNode("VariableV2", g.UniqueName(name), {},
                       {{"shape", AttrValue(shape)},
                        {"dtype", AttrValue(dtype)},
                        {"container", AttrValue(std::string(container))},
                        {"shared_name", AttrValue(std::string(shared_name))}}));
}

Output Assign(Graph& g, Output ref, Input value, bool validate_shape, bool use_locking,
              std::string_view name) {
  return Out(BuildOp(
      g, "Assign", name, {std::move(ref), std::move(value)},
      {{"validate_shape", AttrValue(validate_shape)}, {"use_locking", AttrValue(use_locking)}}));
}

Output AssignAdd(Graph& g, Output ref, Input value, bool use_locking, std::string_view name) {
  return Out(BuildOp(g, "AssignAdd", name, {std::move(ref), std::move(value)},
                     {{"use_locking", AttrValue(use_locking)}}));
}

Output AssignSub(Graph& g, Output ref, Input value, bool use_locking, std::string_view name) {
  return Out(BuildOp(g, "AssignSub", name, {std::move(ref), std::move(value)},
                     {{"use_locking", AttrValue(use_locking)}}));
}

Output IsVariableInitialized(Graph& g, Output ref, std::string_view name) {
  return Out(BuildOp(g, "IsVariableInitialized", name, {std::move(ref)},
                     {{"dtype", AttrValue(g.OutputType(ref))}}));
}

Output VarHandleOp(Graph& g, DataType dtype, const PartialShape& shape, std::string_view container,
                   std::string_view shared_name, std::string_view name) {
  std::string node = g.UniqueName(name);
  return Out(g.AddNode("VarHandleOp", node, {},
                       {{"dtype", AttrValue(dtype)},
                        {"shape", AttrValue(shape)},
                        {"container", AttrValue(std::string(container))},
                        {"shared_name", AttrValue(std::string(shared_name))}}));
}

Output ReadVariableOp(Graph& g, Output resource, DataType dtype, std::string_view name) {
  return Out(
      BuildOp(g, "ReadVariableOp", name, {std::move(resource)}, {{"dtype", AttrValue(dtype)}}));
}

namespace {
DataType HandleDtype(const Graph& g, const Output& resource) {
  auto a = g.GetAttr(resource.node, "dtype");
  return a.ok() && a->is<DataType>() ? a->get<DataType>() : DataType::kInvalid;
}
}  // namespace

Operation AssignVariableOp(Graph& g, Output resource, Input value, std::string_view name) {
  DataType dt = HandleDtype(g, resource);
  return BuildOp(g, "AssignVariableOp", name, {std::move(resource), std::move(value)},
                 {{"dtype", AttrValue(dt)}});
}

Operation AssignAddVariableOp(Graph& g, Output resource, Input value, std::string_view name) {
  DataType dt = HandleDtype(g, resource);
  return BuildOp(g, "AssignAddVariableOp", name, {std::move(resource), std::move(value)},
                 {{"dtype", AttrValue(dt)}});
}

Operation AssignSubVariableOp(Graph& g, Output resource, Input value, std::string_view name) {
  DataType dt = HandleDtype(g, resource);
  return BuildOp(g, "AssignSubVariableOp", name, {std::move(resource), std::move(value)},
                 {{"dtype", AttrValue(dt)}});
}

Output VarIsInitializedOp(Graph& g, Output resource, std::string_view name) {
  return Unary(g, "VarIsInitializedOp", std::move(resource), name);
}

Variable MakeVariable(Graph& g, Input initial_value, const VariableOptions& options) {
  Variable v;
  if (!g.status().ok()) return v;
  Graph::NameScope scope(g, options.name.empty() ? "Variable" : options.name);
  const std::string var_name = scope.scope_name().substr(0, scope.scope_name().size() - 1);
  const AttrValue colocate(std::vector<std::string>{"loc:@" + var_name});
  if (initial_value.is_literal()) {
    if (options.use_resource) {
      Graph::NameScope init_scope(g, "Initializer");
      v.initial_value =
          ConstNode(g, initial_value.literal(), "initial_value", {{"_class", colocate}});
    } else {
      v.initial_value = ConstNode(g, initial_value.literal(), "initial_value");
    }
  } else {
    v.initial_value = initial_value.output();
  }
  if (!g.status().ok() || !v.initial_value.valid()) {
    g.RecordError(InvalidArgumentError("variable " + var_name + ": invalid initial value"));
    return Variable();
  }
  v.dtype = g.OutputType(v.initial_value);
  PartialShape shape = options.validate_shape ? g.OutputShape(v.initial_value) : PartialShape();
  v.shape = shape;
  VariableInfo info;
  info.trainable = options.trainable;
  info.initial_value_name = v.initial_value.name();
  if (!options.use_resource) {
    v.variable = Out(g.AddNode("VariableV2", scope.scope_name(), {},
                               {{"shape", AttrValue(shape)},
                                {"dtype", AttrValue(v.dtype)},
                                {"container", AttrValue(std::string())},
                                {"shared_name", AttrValue(std::string())}}));
    if (!v.variable.valid()) return Variable();
    v.initializer = g.AddNode("Assign", g.UniqueName("Assign"),
                              std::vector<Output>{v.variable, v.initial_value},
                              {{"validate_shape", AttrValue(options.validate_shape)},
                               {"use_locking", AttrValue(true)},
                               {"_class", colocate},
                               {"_has_manual_control_dependencies", AttrValue(true)}});
    v.snapshot = Out(g.AddNode("Identity", g.UniqueName("read"), std::vector<Output>{v.variable},
                               {{"_class", colocate}}));
  } else {
    v.variable = Out(g.AddNode("VarHandleOp", scope.scope_name(), {},
                               {{"shape", AttrValue(shape)},
                                {"dtype", AttrValue(v.dtype)},
                                {"container", AttrValue(std::string())},
                                {"shared_name", AttrValue(var_name)},
                                {"debug_name", AttrValue(var_name + "/")},
                                {"allowed_devices", AttrValue(std::vector<std::string>{})},
                                {"_class", colocate}}));
    if (!v.variable.valid()) return Variable();
    {
      Graph::NameScope s(g, "IsInitialized");
      g.AddNode("VarIsInitializedOp", g.UniqueName("VarIsInitializedOp"),
                std::vector<Output>{v.variable});
    }
    v.initializer = g.AddNode("AssignVariableOp", g.UniqueName("Assign"),
                              std::vector<Output>{v.variable, v.initial_value},
                              {{"dtype", AttrValue(v.dtype)},
                               {"validate_shape", AttrValue(false)},
                               {"_has_manual_control_dependencies", AttrValue(true)}});
    {
      Graph::NameScope s(g, "Read");
      v.snapshot = Out(g.AddNode("ReadVariableOp", g.UniqueName("ReadVariableOp"),
                                 std::vector<Output>{v.variable}, {{"dtype", AttrValue(v.dtype)}}));
    }
    info.is_resource = true;
  }
  if (!v.initializer.valid() || !v.snapshot.valid()) return Variable();
  info.variable_name = v.variable.name();
  info.initializer_name = v.initializer.name;
  info.snapshot_name = v.snapshot.name();
  g.RegisterVariable(info);
  for (const auto& c : options.collections) g.AddToCollection(c, info.variable_name);
  if (options.trainable &&
      std::find(options.collections.begin(), options.collections.end(),
                std::string(kTrainableVariables)) == options.collections.end()) {
    g.AddToCollection(kTrainableVariables, info.variable_name);
  }
  return v;
}

Output ReadValue(Graph& g, const Variable& v) {
  if (!g.IsRefOutput(v.variable) && g.OutputType(v.variable) == DataType::kResource) {
    return ReadVariableOp(g, v.variable, v.dtype, "ReadVariableOp");
  }
  return v.snapshot;
}

Operation VariablesInitializer(Graph& g, const std::vector<VariableInfo>& vars,
                               std::string_view name) {
  std::vector<Operation> inits;
  for (const auto& v : vars) inits.emplace_back(v.initializer_name);
  if (inits.empty()) return NoOp(g, name);
  return Group(g, inits, name);
}

Operation GlobalVariablesInitializer(Graph& g, std::string_view name) {
  return VariablesInitializer(g, g.VariablesInCollection(kGlobalVariables), name);
}

}  // namespace ops
}  // namespace ckpt
