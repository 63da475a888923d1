// BuildOp and literal conversion (see build_op.h).
#include "graph/builders/build_op.h"

#include <map>
#include <string>

#include "graph/graph_impl.h"
#include "graph/op_registry.h"
#include "graph/tensor_proto.h"

namespace ckpt {
namespace ops {

namespace {

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

}  // namespace

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

Output ConstNode(Graph& g, const Tensor& t, std::string_view name, AttrMap extra) {
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
          "cannot convert a " + std::string(DataTypeName(in.literal().dtype())) + " literal to " +
          std::string(DataTypeName(dt)) + " for input " + std::to_string(i) + " of " + def.name()));
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

Operation BuildOp(Graph& g, std::string_view op, std::string_view name,
                  const std::vector<Input>& inputs, AttrMap attrs) {
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

Output Out(const Operation& op, int i) { return op.valid() ? op.output(i) : Output(); }

Output Unary(Graph& g, std::string_view op, Input x, std::string_view name) {
  return Out(BuildOp(g, op, name, {std::move(x)}));
}
Output Binary(Graph& g, std::string_view op, Input x, Input y, std::string_view name) {
  return Out(BuildOp(g, op, name, {std::move(x), std::move(y)}));
}

}  // namespace ops
}  // namespace ckpt
