#include "ckpt/graph/ops.h"

#include <algorithm>
#include <cmath>

#include "graph/graph_impl.h"
#include "graph/op_registry.h"
#include "graph/tensor_proto.h"

namespace ckpt {
namespace ops {

namespace {

// A scalar of `dtype` holding `v`. kInvalid tensor for unsupported dtypes.
Tensor MakeScalar(DataType dtype, double v) {
  switch (dtype) {
    case DataType::kFloat: return Tensor::Scalar<float>(static_cast<float>(v));
    case DataType::kDouble: return Tensor::Scalar<double>(v);
    case DataType::kInt32: return Tensor::Scalar<int32_t>(static_cast<int32_t>(v));
    case DataType::kInt64: return Tensor::Scalar<int64_t>(static_cast<int64_t>(v));
    case DataType::kUInt8: return Tensor::Scalar<uint8_t>(static_cast<uint8_t>(v));
    case DataType::kInt8: return Tensor::Scalar<int8_t>(static_cast<int8_t>(v));
    case DataType::kInt16: return Tensor::Scalar<int16_t>(static_cast<int16_t>(v));
    case DataType::kUInt16: return Tensor::Scalar<uint16_t>(static_cast<uint16_t>(v));
    case DataType::kUInt32: return Tensor::Scalar<uint32_t>(static_cast<uint32_t>(v));
    case DataType::kUInt64: return Tensor::Scalar<uint64_t>(static_cast<uint64_t>(v));
    case DataType::kBool: return Tensor::Scalar<bool>(v != 0);
    default: return Tensor();
  }
}

Tensor Int32Vector(std::span<const int64_t> v) {
  std::vector<int32_t> x(v.begin(), v.end());
  return Tensor::FromVector<int32_t>(x, TensorShape{static_cast<int64_t>(x.size())});
}
Tensor Int32Vector(std::initializer_list<int64_t> v) {
  return Int32Vector(std::span<const int64_t>(v.begin(), v.size()));
}

// Adds a Const node named UniqueName(name) holding `t` (Python's make_tensor_proto form).
Output ConstNode(Graph& g, const Tensor& t, std::string_view name, AttrMap extra = {}) {
  if (!g.status().ok()) return Output();
  if (!t.valid()) {
    g.RecordError(InvalidArgumentError("constant " + std::string(name) + " has no value"));
    return Output();
  }
  std::string node = name.size() && name.back() == '/' ? std::string(name) : g.UniqueName(name);
  extra["value"] = AttrValue(t);
  extra["dtype"] = AttrValue(t.dtype());
  Operation op = g.AddNode("Const", node, {}, std::move(extra));
  return op.valid() ? op.output(0) : Output();
}

// Adds a Const of `shape` whose every element is the scalar `value`, stored as TF stores it
// (one *_val entry for the whole tensor).
Output SplatConstNode(Graph& g, const Tensor& value, const TensorShape& shape,
                      std::string_view name) {
  Output out = ConstNode(g, value, name);
  if (!out.valid()) return out;
  tensorflow::AttrValue splat;
  SplatTensorToProto(value, shape, splat.mutable_tensor());
  Status s = SetAttrProto(g, out.node, "value", std::move(splat));
  if (!s.ok()) {
    g.RecordError(s);
    return Output();
  }
  return out;
}

// Flat input index -> OpDef arg index, with per-arg element counts.
struct ArgLayout {
  std::vector<int> arg_of;  // per flat input
  std::vector<int> pos_in_arg;
  std::vector<bool> is_list;
};

ArgLayout LayoutArgs(const tensorflow::OpDef& def, int n_inputs, const AttrMap& attrs) {
  ArgLayout l;
  int fixed = 0, lists = 0;
  for (const auto& arg : def.input_arg()) {
    (!arg.number_attr().empty() || !arg.type_list_attr().empty()) ? ++lists : ++fixed;
  }
  for (int a = 0; a < def.input_arg_size(); ++a) {
    const auto& arg = def.input_arg(a);
    const bool list = !arg.number_attr().empty() || !arg.type_list_attr().empty();
    int count = 1;
    if (list) {
      auto it = attrs.find(arg.number_attr());
      if (!arg.number_attr().empty() && it != attrs.end() && it->second.is<int64_t>()) {
        count = static_cast<int>(it->second.get<int64_t>());
      } else {
        count = n_inputs - fixed;
      }
    }
    for (int k = 0; k < count && static_cast<int>(l.arg_of.size()) < n_inputs; ++k) {
      l.arg_of.push_back(a);
      l.pos_in_arg.push_back(k);
      l.is_list.push_back(list);
    }
  }
  while (static_cast<int>(l.arg_of.size()) < n_inputs) {
    l.arg_of.push_back(-1);
    l.pos_in_arg.push_back(0);
    l.is_list.push_back(false);
  }
  return l;
}

// Converts the inputs of op `op` to Outputs inside the current name scope: literals become
// Consts named after their OpDef argument, with the dtype of the other inputs sharing their
// type attr (Python's convert_to_tensor with a dtype hint).
std::vector<Output> ConvertInputs(Graph& g, const tensorflow::OpDef& def,
                                  const std::vector<Input>& inputs, const AttrMap& attrs) {
  const int n = static_cast<int>(inputs.size());
  ArgLayout layout = LayoutArgs(def, n, attrs);
  std::map<std::string, DataType> type_of;
  for (const auto& [k, v] : attrs) {
    if (v.is<DataType>()) type_of[k] = v.get<DataType>();
  }
  auto type_attr_of = [&](int i) -> std::string {
    return layout.arg_of[i] < 0 ? std::string() : def.input_arg(layout.arg_of[i]).type_attr();
  };
  for (int i = 0; i < n; ++i) {
    const std::string ta = type_attr_of(i);
    if (ta.empty() || type_of.count(ta)) continue;
    if (!inputs[i].is_literal()) {
      DataType dt = g.OutputType(inputs[i].output());
      if (dt != DataType::kInvalid) type_of[ta] = dt;
    }
  }
  for (int i = 0; i < n; ++i) {
    const std::string ta = type_attr_of(i);
    if (ta.empty() || type_of.count(ta)) continue;
    if (inputs[i].is_literal() && !inputs[i].is_number()) type_of[ta] = inputs[i].literal().dtype();
  }
  std::vector<Output> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    const Input& in = inputs[i];
    if (!in.is_literal()) {
      out.push_back(in.output());
      continue;
    }
    DataType dt = in.literal().dtype();
    if (layout.arg_of[i] >= 0) {
      const auto& arg = def.input_arg(layout.arg_of[i]);
      if (!arg.type_attr().empty() && type_of.count(arg.type_attr())) {
        dt = type_of[arg.type_attr()];
      } else if (arg.type() != tensorflow::DT_INVALID) {
        dt = static_cast<DataType>(arg.type());
      }
    }
    Tensor value = in.literal();
    if (in.is_number() && dt != value.dtype()) value = MakeScalar(dt, in.number());
    if (!value.valid() || value.dtype() != dt) {
      g.RecordError(InvalidArgumentError(
          "cannot convert a " + std::string(DataTypeName(in.literal().dtype())) +
          " literal to " + std::string(DataTypeName(dt)) + " for input " + std::to_string(i) +
          " of " + def.name()));
      out.push_back(Output());
      continue;
    }
    std::string arg_name = layout.arg_of[i] >= 0 ? def.input_arg(layout.arg_of[i]).name() : "input";
    if (layout.is_list[i]) arg_name += "_" + std::to_string(layout.pos_in_arg[i]);
    Output c = ConstNode(g, value, arg_name);
    out.push_back(c);
    if (!in.is_number() && layout.arg_of[i] >= 0) {
      const auto& arg = def.input_arg(layout.arg_of[i]);
      if (!arg.type_attr().empty()) type_of.try_emplace(arg.type_attr(), value.dtype());
    }
  }
  return out;
}


// Adds op `op` named after a fresh name scope `name` (so literal inputs are "<name>/<arg>").
Operation BuildOp(Graph& g, std::string_view op, std::string_view name,
                  const std::vector<Input>& inputs, AttrMap attrs = {}) {
  if (!g.status().ok()) return Operation();
  const tensorflow::OpDef* def = OpRegistry::Global().Find(op);
  if (def == nullptr) {
    g.RecordError(NotFoundError("op '" + std::string(op) + "' is not registered"));
    return Operation();
  }
  Graph::NameScope scope(g, name);
  std::vector<Output> outs = ConvertInputs(g, *def, inputs, attrs);
  if (!g.status().ok()) return Operation();
  return g.AddNode(op, scope.scope_name(), outs, std::move(attrs));
}

Output Out(const Operation& op, int i = 0) { return op.valid() ? op.output(i) : Output(); }

Output Unary(Graph& g, std::string_view op, Input x, std::string_view name) {
  return Out(BuildOp(g, op, name, {std::move(x)}));
}
Output Binary(Graph& g, std::string_view op, Input x, Input y, std::string_view name) {
  return Out(BuildOp(g, op, name, {std::move(x), std::move(y)}));
}

}  // namespace

// ---- constants, placeholders, identity -----------------------------------------------------

Output Const(Graph& g, const Tensor& value, std::string_view name) {
  return ConstNode(g, value, name);
}

Output Const(Graph& g, double v, DataType dtype, const TensorShape& shape, std::string_view name) {
  Tensor scalar = MakeScalar(dtype, v);
  if (!scalar.valid()) {
    g.RecordError(InvalidArgumentError("Const: unsupported dtype " +
                                       std::string(DataTypeName(dtype))));
    return Output();
  }
  if (shape.rank() == 0) return ConstNode(g, scalar, name);
  return SplatConstNode(g, scalar, shape, name);
}

Output Placeholder(Graph& g, DataType dtype, const PartialShape& shape, std::string_view name) {
  return Out(g.AddNode("Placeholder", g.UniqueName(name), {},
                       {{"dtype", AttrValue(dtype)}, {"shape", AttrValue(shape)}}));
}

Output PlaceholderWithDefault(Graph& g, Input input, const PartialShape& shape,
                              std::string_view name) {
  return Out(BuildOp(g, "PlaceholderWithDefault", name, {std::move(input)},
                     {{"shape", AttrValue(shape)}}));
}

Output Identity(Graph& g, Input x, std::string_view name) { return Unary(g, "Identity", std::move(x), name); }

std::vector<Output> IdentityN(Graph& g, const std::vector<Input>& xs, std::string_view name) {
  Operation op = BuildOp(g, "IdentityN", name, xs);
  std::vector<Output> out;
  for (size_t i = 0; i < xs.size(); ++i) out.push_back(Out(op, static_cast<int>(i)));
  return out;
}

Output StopGradient(Graph& g, Input x, std::string_view name) {
  return Unary(g, "StopGradient", std::move(x), name);
}

Output PreventGradient(Graph& g, Input x, std::string_view message, std::string_view name) {
  return Out(BuildOp(g, "PreventGradient", name, {std::move(x)},
                     {{"message", AttrValue(std::string(message))}}));
}

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

// ---- variables -------------------------------------------------------------------------------

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
  return Out(BuildOp(g, "Assign", name, {std::move(ref), std::move(value)},
                     {{"validate_shape", AttrValue(validate_shape)},
                      {"use_locking", AttrValue(use_locking)}}));
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
  return Out(BuildOp(g, "ReadVariableOp", name, {std::move(resource)},
                     {{"dtype", AttrValue(dtype)}}));
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
      v.initial_value = ConstNode(g, initial_value.literal(), "initial_value", {{"_class", colocate}});
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
                                 std::vector<Output>{v.variable},
                                 {{"dtype", AttrValue(v.dtype)}}));
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

// ---- initializers / random -------------------------------------------------------------------

namespace {
Output ZerosOrOnes(Graph& g, const TensorShape& shape, DataType dtype, double v,
                   std::string_view name) {
  Tensor scalar = MakeScalar(dtype, v);
  if (!scalar.valid()) {
    g.RecordError(InvalidArgumentError("unsupported dtype " + std::string(DataTypeName(dtype))));
    return Output();
  }
  if (shape.num_elements() < 1000) {
    if (shape.rank() == 0) return ConstNode(g, scalar, name);
    return SplatConstNode(g, scalar, shape, name);
  }
  Graph::NameScope scope(g, name);
  Output dims = ConstNode(g, Int32Vector(shape.dims()), "shape_as_tensor");
  Output value = ConstNode(g, scalar, "Const");
  return Out(g.AddNode("Fill", scope.scope_name(), std::vector<Output>{dims, value}));
}

Output RandomBase(Graph& g, std::string_view op, const TensorShape& shape, double mean,
                  double stddev, DataType dtype, std::optional<int64_t> seed,
                  std::string_view name) {
  Graph::NameScope scope(g, name);
  Output shape_t = ConstNode(g, Int32Vector(shape.dims()), "shape");
  Output mean_t = ConstNode(g, MakeScalar(dtype, mean), "mean");
  Output stddev_t = ConstNode(g, MakeScalar(dtype, stddev), "stddev");
  auto [s1, s2] = g.GetSeed(seed);
  Output rnd = Out(g.AddNode(op, g.UniqueName(op), std::vector<Output>{shape_t},
                             {{"dtype", AttrValue(dtype)},
                              {"seed", AttrValue(s1)},
                              {"seed2", AttrValue(s2)}}));
  Output mul = Mul(g, rnd, stddev_t, "mul");
  return Add(g, mul, mean_t, scope.scope_name());
}
}  // namespace

Output Zeros(Graph& g, const TensorShape& shape, DataType dtype, std::string_view name) {
  return ZerosOrOnes(g, shape, dtype, 0.0, name);
}

Output Ones(Graph& g, const TensorShape& shape, DataType dtype, std::string_view name) {
  return ZerosOrOnes(g, shape, dtype, 1.0, name);
}

Output Fill(Graph& g, Input dims, Input value, std::string_view name) {
  return Binary(g, "Fill", std::move(dims), std::move(value), name);
}

Output RandomNormal(Graph& g, const TensorShape& shape, double mean, double stddev,
                    DataType dtype, std::optional<int64_t> seed, std::string_view name) {
  return RandomBase(g, "RandomStandardNormal", shape, mean, stddev, dtype, seed, name);
}

Output TruncatedNormal(Graph& g, const TensorShape& shape, double mean, double stddev,
                       DataType dtype, std::optional<int64_t> seed, std::string_view name) {
  return RandomBase(g, "TruncatedNormal", shape, mean, stddev, dtype, seed, name);
}

Output RandomUniform(Graph& g, const TensorShape& shape, double minval, double maxval,
                     DataType dtype, std::optional<int64_t> seed, std::string_view name) {
  Graph::NameScope scope(g, name);
  Output shape_t = ConstNode(g, Int32Vector(shape.dims()), "shape");
  const bool unit = minval == 0.0 && maxval == 1.0;
  Output min_t, max_t;
  if (!unit) {
    min_t = ConstNode(g, MakeScalar(dtype, minval), "min");
    max_t = ConstNode(g, MakeScalar(dtype, maxval), "max");
  }
  auto [s1, s2] = g.GetSeed(seed);
  Output rnd = Out(g.AddNode("RandomUniform", g.UniqueName("RandomUniform"),
                             std::vector<Output>{shape_t},
                             {{"dtype", AttrValue(dtype)},
                              {"seed", AttrValue(s1)},
                              {"seed2", AttrValue(s2)}}));
  if (unit) return rnd;
  Output range = Sub(g, max_t, min_t, "sub");
  Output mul = Mul(g, rnd, range, "mul");
  return Add(g, mul, min_t, scope.scope_name());
}

Output RandomStandardNormalOp(Graph& g, Input shape, DataType dtype, int64_t seed, int64_t seed2,
                              std::string_view name) {
  return Out(BuildOp(g, "RandomStandardNormal", name, {std::move(shape)},
                     {{"dtype", AttrValue(dtype)}, {"seed", AttrValue(seed)},
                      {"seed2", AttrValue(seed2)}}));
}

Output RandomUniformOp(Graph& g, Input shape, DataType dtype, int64_t seed, int64_t seed2,
                       std::string_view name) {
  return Out(BuildOp(g, "RandomUniform", name, {std::move(shape)},
                     {{"dtype", AttrValue(dtype)}, {"seed", AttrValue(seed)},
                      {"seed2", AttrValue(seed2)}}));
}

Output TruncatedNormalOp(Graph& g, Input shape, DataType dtype, int64_t seed, int64_t seed2,
                         std::string_view name) {
  return Out(BuildOp(g, "TruncatedNormal", name, {std::move(shape)},
                     {{"dtype", AttrValue(dtype)}, {"seed", AttrValue(seed)},
                      {"seed2", AttrValue(seed2)}}));
}

// ---- element-wise ----------------------------------------------------------------------------

Output Add(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "AddV2", std::move(x), std::move(y), name); }
Output AddLegacy(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "Add", std::move(x), std::move(y), name); }
Output AddN(Graph& g, const std::vector<Input>& xs, std::string_view name) { return Out(BuildOp(g, "AddN", name, xs)); }
Output Sub(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "Sub", std::move(x), std::move(y), name); }
Output Mul(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "Mul", std::move(x), std::move(y), name); }
Output RealDiv(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "RealDiv", std::move(x), std::move(y), name); }
Output TrueDiv(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "RealDiv", std::move(x), std::move(y), name); }
Output Div(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "Div", std::move(x), std::move(y), name); }
Output FloorDiv(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "FloorDiv", std::move(x), std::move(y), name); }
Output FloorMod(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "FloorMod", std::move(x), std::move(y), name); }
Output Maximum(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "Maximum", std::move(x), std::move(y), name); }
Output Minimum(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "Minimum", std::move(x), std::move(y), name); }
Output Pow(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "Pow", std::move(x), std::move(y), name); }
Output SquaredDifference(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "SquaredDifference", std::move(x), std::move(y), name); }
Output Neg(Graph& g, Input x, std::string_view name) { return Unary(g, "Neg", std::move(x), name); }
Output Square(Graph& g, Input x, std::string_view name) { return Unary(g, "Square", std::move(x), name); }
Output Sqrt(Graph& g, Input x, std::string_view name) { return Unary(g, "Sqrt", std::move(x), name); }
Output Rsqrt(Graph& g, Input x, std::string_view name) { return Unary(g, "Rsqrt", std::move(x), name); }
Output Exp(Graph& g, Input x, std::string_view name) { return Unary(g, "Exp", std::move(x), name); }
Output Log(Graph& g, Input x, std::string_view name) { return Unary(g, "Log", std::move(x), name); }
Output Log1p(Graph& g, Input x, std::string_view name) { return Unary(g, "Log1p", std::move(x), name); }
Output Abs(Graph& g, Input x, std::string_view name) { return Unary(g, "Abs", std::move(x), name); }
Output Sign(Graph& g, Input x, std::string_view name) { return Unary(g, "Sign", std::move(x), name); }
Output Reciprocal(Graph& g, Input x, std::string_view name) { return Unary(g, "Reciprocal", std::move(x), name); }
Output Round(Graph& g, Input x, std::string_view name) { return Unary(g, "Round", std::move(x), name); }
Output Floor(Graph& g, Input x, std::string_view name) { return Unary(g, "Floor", std::move(x), name); }
Output Ceil(Graph& g, Input x, std::string_view name) { return Unary(g, "Ceil", std::move(x), name); }

Output Cast(Graph& g, Input x, DataType dst, std::string_view name) {
  return Out(BuildOp(g, "Cast", name, {std::move(x)}, {{"DstT", AttrValue(dst)}}));
}

Output Equal(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "Equal", std::move(x), std::move(y), name); }
Output NotEqual(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "NotEqual", std::move(x), std::move(y), name); }
Output Less(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "Less", std::move(x), std::move(y), name); }
Output LessEqual(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "LessEqual", std::move(x), std::move(y), name); }
Output Greater(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "Greater", std::move(x), std::move(y), name); }
Output GreaterEqual(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "GreaterEqual", std::move(x), std::move(y), name); }
Output LogicalAnd(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "LogicalAnd", std::move(x), std::move(y), name); }
Output LogicalOr(Graph& g, Input x, Input y, std::string_view name) { return Binary(g, "LogicalOr", std::move(x), std::move(y), name); }
Output LogicalNot(Graph& g, Input x, std::string_view name) { return Unary(g, "LogicalNot", std::move(x), name); }

Output Select(Graph& g, Input cond, Input x, Input y, std::string_view name) {
  return Out(BuildOp(g, "Select", name, {std::move(cond), std::move(x), std::move(y)}));
}
Output SelectV2(Graph& g, Input cond, Input x, Input y, std::string_view name) {
  return Out(BuildOp(g, "SelectV2", name, {std::move(cond), std::move(x), std::move(y)}));
}

// ---- matrix / nn -----------------------------------------------------------------------------

Output MatMul(Graph& g, Input a, Input b, bool transpose_a, bool transpose_b, std::string_view name) {
  return Out(BuildOp(g, "MatMul", name, {std::move(a), std::move(b)},
                     {{"transpose_a", AttrValue(transpose_a)},
                      {"transpose_b", AttrValue(transpose_b)}}));
}

Output BiasAdd(Graph& g, Input value, Input bias, std::string_view name) {
  return Binary(g, "BiasAdd", std::move(value), std::move(bias), name);
}

Output Relu(Graph& g, Input x, std::string_view name) { return Unary(g, "Relu", std::move(x), name); }
Output Relu6(Graph& g, Input x, std::string_view name) { return Unary(g, "Relu6", std::move(x), name); }
Output Elu(Graph& g, Input x, std::string_view name) { return Unary(g, "Elu", std::move(x), name); }
Output Sigmoid(Graph& g, Input x, std::string_view name) { return Unary(g, "Sigmoid", std::move(x), name); }
Output Tanh(Graph& g, Input x, std::string_view name) { return Unary(g, "Tanh", std::move(x), name); }
Output Softplus(Graph& g, Input x, std::string_view name) { return Unary(g, "Softplus", std::move(x), name); }
Output Softmax(Graph& g, Input logits, std::string_view name) { return Unary(g, "Softmax", std::move(logits), name); }
Output LogSoftmax(Graph& g, Input logits, std::string_view name) { return Unary(g, "LogSoftmax", std::move(logits), name); }
Output L2Loss(Graph& g, Input t, std::string_view name) { return Unary(g, "L2Loss", std::move(t), name); }

Output SigmoidCrossEntropyWithLogits(Graph& g, Input labels, Input logits, std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  Output z = logits.is_literal() ? ConstNode(g, logits.literal(), "logits") : logits.output();
  Output y = labels.is_literal() ? ConstNode(g, labels.literal(), "labels") : labels.output();
  Output zeros = ZerosLike(g, z, "zeros_like");
  Output cond = GreaterEqual(g, z, zeros, "GreaterEqual");
  Output relu_logits = Select(g, cond, z, zeros, "Select");
  Output neg = Neg(g, z, "Neg");
  Output neg_abs_logits = Select(g, cond, neg, z, "Select");
  Output mul = Mul(g, z, y, "mul");
  Output sub = Sub(g, relu_logits, mul, "sub");
  Output exp = Exp(g, neg_abs_logits, "Exp");
  Output log1p = Log1p(g, exp, "Log1p");
  return Add(g, sub, log1p, scope.scope_name());
}

Output SoftmaxCrossEntropyWithLogitsOp(Graph& g, Input features, Input labels, std::string_view name) {
  return Binary(g, "SoftmaxCrossEntropyWithLogits", std::move(features), std::move(labels), name);
}

namespace {
// array_ops.slice(shape, [rank - 1], [1]) / ([0], [rank - 1]) as the xent wrapper emits it.
Output SliceOfShape(Graph& g, Output shape, Output rank_minus_1, bool tail) {
  Graph::NameScope scope(g, "Slice");
  Output begin, size;
  if (tail) {
    begin = Out(g.AddNode("Pack", g.UniqueName("begin"), std::vector<Output>{rank_minus_1},
                          {{"axis", AttrValue(int64_t{0})}}));
    size = ConstNode(g, Int32Vector({1}), "size");
  } else {
    begin = ConstNode(g, Int32Vector({0}), "begin");
    size = Out(g.AddNode("Pack", g.UniqueName("size"), std::vector<Output>{rank_minus_1},
                         {{"axis", AttrValue(int64_t{0})}}));
  }
  return Out(g.AddNode("Slice", scope.scope_name(), std::vector<Output>{shape, begin, size}));
}

// _flatten_outer_dims(x) for a rank-2 x: Reshape(x, concat([[-1], shape[-1:]])).
Output FlattenOuterDims(Graph& g, Output x, int rank) {
  Output rank_t = ConstNode(g, Tensor::Scalar<int32_t>(rank), "Rank");
  Output shape = Shape(g, x, DataType::kInt32, "Shape");
  Output rm1 = Sub(g, rank_t, 1, "Sub");
  Output last = SliceOfShape(g, shape, rm1, true);
  Graph::NameScope cs(g, "concat");
  Output v0 = ConstNode(g, Int32Vector({-1}), "values_0");
  Output axis = ConstNode(g, Tensor::Scalar<int32_t>(0), "axis");
  Output concat = Out(g.AddNode("ConcatV2", cs.scope_name(), std::vector<Output>{v0, last, axis}));
  return concat;
}
}  // namespace

Output SoftmaxCrossEntropyWithLogits(Graph& g, Input labels, Input logits, std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  Output z = logits.is_literal() ? ConstNode(g, logits.literal(), "logits") : logits.output();
  Output y = labels.is_literal() ? ConstNode(g, labels.literal(), "labels") : labels.output();
  PartialShape zs = g.OutputShape(z);
  if (zs.known_rank() && zs.rank() != 2) {
    g.RecordError(UnimplementedError("SoftmaxCrossEntropyWithLogits builder supports rank-2 "
                                     "logits, got " + zs.DebugString()));
    return Output();
  }
  // Input rank, input shape, then the flattened logits and labels (TF's order of nodes).
  Output rank_in = ConstNode(g, Tensor::Scalar<int32_t>(2), "Rank");
  Output shape_in = Shape(g, z, DataType::kInt32, "Shape");
  Output logits_shape = FlattenOuterDims(g, z, 2);
  Output flat_logits = Reshape(g, z, logits_shape, "Reshape");
  Output labels_shape = FlattenOuterDims(g, y, 2);
  Output flat_labels = Reshape(g, y, labels_shape, "Reshape");
  Operation xent = g.AddNode("SoftmaxCrossEntropyWithLogits", scope.scope_name(),
                             std::vector<Output>{flat_logits, flat_labels});
  if (!xent.valid()) return Output();
  Output rm1 = Sub(g, rank_in, 1, "Sub");
  Output out_shape = SliceOfShape(g, shape_in, rm1, false);
  return Reshape(g, xent.output(0), out_shape, "Reshape");
}

Output SparseSoftmaxCrossEntropyWithLogits(Graph& g, Input labels, Input logits,
                                           std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  Output z = logits.is_literal() ? ConstNode(g, logits.literal(), "logits") : logits.output();
  Output y = labels.is_literal() ? ConstNode(g, labels.literal(), "labels") : labels.output();
  Shape(g, y, DataType::kInt32, "Shape");
  Operation op = g.AddNode("SparseSoftmaxCrossEntropyWithLogits",
                           g.UniqueName("SparseSoftmaxCrossEntropyWithLogits"),
                           std::vector<Output>{z, y});
  return Out(op, 0);
}

// ---- reductions ------------------------------------------------------------------------------

namespace {
Output ReduceBuilder(Graph& g, std::string_view op, Input x, std::optional<std::vector<int>> axes,
                     bool keep_dims, std::string_view name) {
  if (!g.status().ok()) return Output();
  if (!axes.has_value()) {
    // axis=None: reduce every dim; Python builds the axes before the op's scope.
    Output xo = x.is_literal() ? ConstNode(g, x.literal(), "Const") : x.output();
    PartialShape s = g.OutputShape(xo);
    Output axes_t;
    if (s.known_rank()) {
      std::vector<int64_t> all(s.rank());
      for (int i = 0; i < s.rank(); ++i) all[i] = i;
      axes_t = ConstNode(g, Int32Vector(all), "Const");
    } else {
      Graph::NameScope rs(g, "range");
      Output start = ConstNode(g, Tensor::Scalar<int32_t>(0), "start");
      Output limit = Rank(g, xo, "Rank");
      Output delta = ConstNode(g, Tensor::Scalar<int32_t>(1), "delta");
      axes_t = Out(g.AddNode("Range", rs.scope_name(), std::vector<Output>{start, limit, delta}));
    }
    return Out(BuildOp(g, op, name, {xo, axes_t}, {{"keep_dims", AttrValue(keep_dims)}}));
  }
  Graph::NameScope scope(g, name);
  Output xo = x.is_literal() ? ConstNode(g, x.literal(), "input") : x.output();
  Tensor axes_value = axes->size() == 1 ? Tensor::Scalar<int32_t>((*axes)[0])
                                        : Int32Vector(std::vector<int64_t>(axes->begin(), axes->end()));
  Output axes_t = ConstNode(g, axes_value, "reduction_indices");
  return Out(g.AddNode(op, scope.scope_name(), std::vector<Output>{xo, axes_t},
                       {{"keep_dims", AttrValue(keep_dims)}}));
}
}  // namespace

Output Sum(Graph& g, Input x, std::optional<std::vector<int>> axes, bool keep_dims, std::string_view name) {
  return ReduceBuilder(g, "Sum", std::move(x), std::move(axes), keep_dims, name);
}
Output Mean(Graph& g, Input x, std::optional<std::vector<int>> axes, bool keep_dims, std::string_view name) {
  return ReduceBuilder(g, "Mean", std::move(x), std::move(axes), keep_dims, name);
}
Output Max(Graph& g, Input x, std::optional<std::vector<int>> axes, bool keep_dims, std::string_view name) {
  return ReduceBuilder(g, "Max", std::move(x), std::move(axes), keep_dims, name);
}
Output Min(Graph& g, Input x, std::optional<std::vector<int>> axes, bool keep_dims, std::string_view name) {
  return ReduceBuilder(g, "Min", std::move(x), std::move(axes), keep_dims, name);
}
Output Prod(Graph& g, Input x, std::optional<std::vector<int>> axes, bool keep_dims, std::string_view name) {
  return ReduceBuilder(g, "Prod", std::move(x), std::move(axes), keep_dims, name);
}

Output Reduce(Graph& g, std::string_view op, Input x, Input axis, bool keep_dims, std::string_view name) {
  return Out(BuildOp(g, op, name.empty() ? op : name, {std::move(x), std::move(axis)},
                     {{"keep_dims", AttrValue(keep_dims)}}));
}

Output ArgMax(Graph& g, Input x, int axis, DataType output_type, std::string_view name) {
  Graph::NameScope scope(g, name);
  Output xo = x.is_literal() ? ConstNode(g, x.literal(), "input") : x.output();
  Output dim = ConstNode(g, Tensor::Scalar<int32_t>(axis), "dimension");
  return Out(g.AddNode("ArgMax", scope.scope_name(), std::vector<Output>{xo, dim},
                       {{"output_type", AttrValue(output_type)}}));
}

Output ArgMin(Graph& g, Input x, int axis, DataType output_type, std::string_view name) {
  Graph::NameScope scope(g, name);
  Output xo = x.is_literal() ? ConstNode(g, x.literal(), "input") : x.output();
  Output dim = ConstNode(g, Tensor::Scalar<int32_t>(axis), "dimension");
  return Out(g.AddNode("ArgMin", scope.scope_name(), std::vector<Output>{xo, dim},
                       {{"output_type", AttrValue(output_type)}}));
}

// ---- array ops -------------------------------------------------------------------------------

Output Reshape(Graph& g, Input tensor, Input shape, std::string_view name) {
  return Binary(g, "Reshape", std::move(tensor), std::move(shape), name);
}

Output ExpandDims(Graph& g, Input x, Input axis, std::string_view name) {
  return Binary(g, "ExpandDims", std::move(x), std::move(axis), name);
}

Output Squeeze(Graph& g, Input x, std::vector<int64_t> axis, std::string_view name) {
  return Out(BuildOp(g, "Squeeze", name, {std::move(x)}, {{"squeeze_dims", AttrValue(std::move(axis))}}));
}

Output Shape(Graph& g, Input x, DataType out_type, std::string_view name) {
  return Out(BuildOp(g, "Shape", name, {std::move(x)}, {{"out_type", AttrValue(out_type)}}));
}

Output Size(Graph& g, Input x, DataType out_type, std::string_view name) {
  return Out(BuildOp(g, "Size", name, {std::move(x)}, {{"out_type", AttrValue(out_type)}}));
}

Output Rank(Graph& g, Input x, std::string_view name) {
  // tf.rank: a Const when the rank is known statically, else the Rank op.
  if (!x.is_literal()) {
    PartialShape s = g.OutputShape(x.output());
    if (s.known_rank()) return ConstNode(g, Tensor::Scalar<int32_t>(s.rank()), name);
  }
  return Unary(g, "Rank", std::move(x), name);
}

namespace {
// tf.zeros_like / tf.ones_like: tf.zeros/tf.ones of the static shape when it is fully
// defined (a Const, or Fill when large), else the ZerosLike/OnesLike op.
Output ConstLike(Graph& g, Input x, double v, std::string_view op, std::string_view name) {
  if (!x.is_literal() && g.status().ok()) {
    PartialShape s = g.OutputShape(x.output());
    DataType dt = g.OutputType(x.output());
    if (s.IsFullyDefined() && dt != DataType::kVariant && dt != DataType::kResource) {
      auto shape = TensorShape::FromDims(s.dims());
      if (shape.ok()) return ZerosOrOnes(g, *shape, dt, v, name);
    }
  }
  return Unary(g, op, std::move(x), name);
}
}  // namespace

Output ZerosLike(Graph& g, Input x, std::string_view name) {
  return ConstLike(g, std::move(x), 0.0, "ZerosLike", name);
}
Output OnesLike(Graph& g, Input x, std::string_view name) {
  return ConstLike(g, std::move(x), 1.0, "OnesLike", name);
}

Output Tile(Graph& g, Input x, Input multiples, std::string_view name) {
  return Binary(g, "Tile", std::move(x), std::move(multiples), name);
}

Output Concat(Graph& g, const std::vector<Input>& values, int axis, std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  const tensorflow::OpDef* def = OpRegistry::Global().Find("ConcatV2");
  std::vector<Output> vals = ConvertInputs(g, *def, values, {{"N", AttrValue(int64_t(values.size()))}});
  Output axis_t = ConstNode(g, Tensor::Scalar<int32_t>(axis), "axis");
  vals.push_back(axis_t);
  return Out(g.AddNode("ConcatV2", scope.scope_name(), vals));
}

Output ConcatV2(Graph& g, const std::vector<Input>& values, Input axis, std::string_view name) {
  std::vector<Input> all = values;
  all.push_back(std::move(axis));
  return Out(BuildOp(g, "ConcatV2", name, all, {{"N", AttrValue(int64_t(values.size()))}}));
}

Output Pack(Graph& g, const std::vector<Input>& values, int axis, std::string_view name) {
  return Out(BuildOp(g, "Pack", name, values, {{"axis", AttrValue(int64_t{axis})}}));
}

Output Transpose(Graph& g, Input x, Input perm, std::string_view name) {
  return Binary(g, "Transpose", std::move(x), std::move(perm), name);
}

Output Slice(Graph& g, Input x, Input begin, Input size, std::string_view name) {
  return Out(BuildOp(g, "Slice", name, {std::move(x), std::move(begin), std::move(size)}));
}

Output StridedSlice(Graph& g, Input x, Input begin, Input end, Input strides,
                    const StridedSliceMasks& m, std::string_view name) {
  return Out(BuildOp(g, "StridedSlice", name,
                     {std::move(x), std::move(begin), std::move(end), std::move(strides)},
                     {{"begin_mask", AttrValue(m.begin_mask)},
                      {"end_mask", AttrValue(m.end_mask)},
                      {"ellipsis_mask", AttrValue(m.ellipsis_mask)},
                      {"new_axis_mask", AttrValue(m.new_axis_mask)},
                      {"shrink_axis_mask", AttrValue(m.shrink_axis_mask)}}));
}

Output Gather(Graph& g, Input params, Input indices, int axis, std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  const tensorflow::OpDef* def = OpRegistry::Global().Find("GatherV2");
  std::vector<Output> in = ConvertInputs(g, *def, {std::move(params), std::move(indices)}, {});
  in.push_back(ConstNode(g, Tensor::Scalar<int32_t>(axis), "axis"));
  return Out(g.AddNode("GatherV2", scope.scope_name(), in, {{"batch_dims", AttrValue(int64_t{0})}}));
}

Output OneHot(Graph& g, Input indices, int depth, double on_value, double off_value, int axis,
              DataType dtype, std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  Output on = ConstNode(g, MakeScalar(dtype, on_value), "on_value");
  Output off = ConstNode(g, MakeScalar(dtype, off_value), "off_value");
  Output idx = indices.is_literal() ? ConstNode(g, indices.literal(), "indices") : indices.output();
  Output d = ConstNode(g, Tensor::Scalar<int32_t>(depth), "depth");
  return Out(g.AddNode("OneHot", scope.scope_name(), std::vector<Output>{idx, d, on, off},
                       {{"axis", AttrValue(int64_t{axis})}}));
}

Output Range(Graph& g, Input start, Input limit, Input delta, std::string_view name) {
  if (!g.status().ok()) return Output();
  Graph::NameScope scope(g, name);
  const tensorflow::OpDef* def = OpRegistry::Global().Find("Range");
  std::vector<Output> in =
      ConvertInputs(g, *def, {std::move(start), std::move(limit), std::move(delta)}, {});
  return Out(g.AddNode("Range", scope.scope_name(), in));
}

}  // namespace ops
}  // namespace ckpt
