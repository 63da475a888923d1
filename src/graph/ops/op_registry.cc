#include "graph/op_registry.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ckpt/core/dtype.h"

namespace ckpt {

namespace {

void RegisterAllOps(OpRegistry* r) {
  RegisterArrayOps(r);
  RegisterMathOps(r);
  RegisterNnOps(r);
  RegisterStateOps(r);
  RegisterRandomOps(r);
  RegisterControlFlowOps(r);
  RegisterTrainingOps(r);
  RegisterIoOps(r);
  RegisterConvOps(r);
  RegisterPoolingOps(r);
  RegisterBatchNormOps(r);
  RegisterStatelessRandomOps(r);
  RegisterResourceVariableOps(r);
  RegisterLookupOps(r);
  RegisterFunctionalOps(r);
  RegisterStringOps(r);
  RegisterRaggedOps(r);
  RegisterImageOps(r);
}

const tensorflow::AttrValue* FindAttr(const tensorflow::NodeDef& node, const std::string& name) {
  auto it = node.attr().find(name);
  return it == node.attr().end() ? nullptr : &it->second;
}

std::string NodeLabel(const tensorflow::NodeDef& node) {
  return "node '" + node.name() + "' (" + node.op() + ")";
}

// Appends the types of one OpDef arg to `out`.
Status ArgTypes(const tensorflow::NodeDef& node, const tensorflow::OpDef::ArgDef& arg,
                std::vector<int32_t>* out) {
  const int32_t ref = arg.is_ref() ? kDataTypeRefOffset : 0;
  if (!arg.type_list_attr().empty()) {
    const tensorflow::AttrValue* a = FindAttr(node, arg.type_list_attr());
    if (a == nullptr || !a->has_list()) {
      return InvalidArgumentError(NodeLabel(node) + ": missing list(type) attr '" +
                                  arg.type_list_attr() + "' for argument '" + arg.name() + "'");
    }
    for (int t : a->list().type()) out->push_back(t + ref);
    return Status::OK();
  }
  int32_t type = 0;
  if (!arg.type_attr().empty()) {
    const tensorflow::AttrValue* a = FindAttr(node, arg.type_attr());
    if (a == nullptr || a->value_case() != tensorflow::AttrValue::kType) {
      return InvalidArgumentError(NodeLabel(node) + ": missing type attr '" + arg.type_attr() +
                                  "' for argument '" + arg.name() + "'");
    }
    type = a->type();
  } else {
    type = arg.type();
  }
  if (!IsValidDataType(type) || type == 0) {
    return InvalidArgumentError(NodeLabel(node) + ": invalid dtype " + std::to_string(type) +
                                " for argument '" + arg.name() + "'");
  }
  int64_t n = 1;
  if (!arg.number_attr().empty()) {
    const tensorflow::AttrValue* a = FindAttr(node, arg.number_attr());
    if (a == nullptr || a->value_case() != tensorflow::AttrValue::kI) {
      return InvalidArgumentError(NodeLabel(node) + ": missing int attr '" + arg.number_attr() +
                                  "' for argument '" + arg.name() + "'");
    }
    n = a->i();
    if (n < 0 || n > (1 << 20)) {
      return InvalidArgumentError(NodeLabel(node) + ": attr '" + arg.number_attr() +
                                  "' = " + std::to_string(n) + " out of range");
    }
  }
  for (int64_t i = 0; i < n; ++i) out->push_back(type + ref);
  return Status::OK();
}

bool AttrKindMatches(const std::string& type, const tensorflow::AttrValue& v) {
  using AV = tensorflow::AttrValue;
  if (type == "string") return v.value_case() == AV::kS;
  if (type == "int") return v.value_case() == AV::kI;
  if (type == "float") return v.value_case() == AV::kF;
  if (type == "bool") return v.value_case() == AV::kB;
  if (type == "type") return v.value_case() == AV::kType;
  if (type == "shape") return v.value_case() == AV::kShape;
  if (type == "tensor") return v.value_case() == AV::kTensor;
  if (type == "func") return v.value_case() == AV::kFunc;
  if (type.rfind("list(", 0) == 0) return v.value_case() == AV::kList;
  return true;
}

}  // namespace

const OpRegistry& OpRegistry::Global() {
  static const OpRegistry* registry = [] {
    auto* r = new OpRegistry();
    RegisterAllOps(r);
    return r;
  }();
  return *registry;
}

void OpRegistry::Register(std::span<const OpEntry> table) {
  // The tables are code: a bad entry is a build defect, reported loudly.
  auto die = [](const std::string& why) {
    std::fprintf(stderr, "ckpt: %s\n", why.c_str());
    std::abort();
  };
  for (const OpEntry& entry : table) {
    constexpr std::string_view kPrefix = "name: \"";
    const std::string_view text = entry.op_def;
    const size_t end = text.find('"', kPrefix.size());
    if (text.substr(0, kPrefix.size()) != kPrefix || end == std::string_view::npos) {
      die("an op table entry does not start with name: \"Op\": " + std::string(text));
    }
    std::string name(text.substr(kPrefix.size(), end - kPrefix.size()));
    if (entry.shape_fn == nullptr) die("op '" + name + "' has no shape function");
    if (ops_.count(name)) die("op '" + name + "' is already registered");
    auto [it, added] = ops_.emplace(
        std::piecewise_construct, std::forward_as_tuple(std::move(name)), std::forward_as_tuple());
    it->second.shape_fn = entry.shape_fn;
    it->second.text = entry.op_def;
  }
}

Status OpRegistry::Register(tensorflow::OpDef def, ShapeFn shape_fn) {
  std::string name = def.name();
  if (shape_fn == nullptr) {
    return InvalidArgumentError("op '" + name +
                                "' is registered without a shape function "
                                "(declare shape_fn::Unknown when none is inferred)");
  }
  if (ops_.count(name)) return AlreadyExistsError("op '" + name + "' is already registered");
  auto [it, added] = ops_.emplace(std::piecewise_construct, std::forward_as_tuple(std::move(name)),
                                  std::forward_as_tuple());
  it->second.shape_fn = shape_fn;
  it->second.def = std::move(def);
  return Status::OK();
}

const tensorflow::OpDef& OpRegistry::Def(const Registered& r) const {
  if (r.text != nullptr) {
    std::call_once(r.parsed, [&r] {
      if (!google::protobuf::TextFormat::ParseFromString(r.text, &r.def)) {
        std::fprintf(stderr, "ckpt: bad OpDef text in an op table: %s\n", r.text);
        std::abort();
      }
    });
  }
  return r.def;
}

const tensorflow::OpDef* OpRegistry::Find(std::string_view op) const {
  auto it = ops_.find(op);
  return it == ops_.end() ? nullptr : &Def(it->second);
}

ShapeFn OpRegistry::FindShapeFn(std::string_view op) const {
  auto it = ops_.find(op);
  return it == ops_.end() ? nullptr : it->second.shape_fn;
}

StatusOr<const tensorflow::OpDef*> OpRegistry::Lookup(std::string_view op) const {
  const tensorflow::OpDef* def = Find(op);
  if (def == nullptr) return NotFoundError("op '" + std::string(op) + "' is not registered");
  return def;
}

std::vector<std::string> OpRegistry::ListOps() const {
  std::vector<std::string> out;
  out.reserve(ops_.size());
  for (const auto& [name, def] : ops_) out.push_back(name);
  return out;
}

Status AddDefaultAttrs(const tensorflow::OpDef& op_def, tensorflow::NodeDef* node) {
  auto* attrs = node->mutable_attr();
  for (const auto& attr : op_def.attr()) {
    if (attrs->count(attr.name())) continue;
    if (!attr.has_default_value()) {
      return InvalidArgumentError(NodeLabel(*node) + ": missing attr '" + attr.name() +
                                  "' of type " + attr.type() + " (it has no default)");
    }
    (*attrs)[attr.name()] = attr.default_value();
  }
  return Status::OK();
}

Status InOutTypesForNode(const tensorflow::NodeDef& node, const tensorflow::OpDef& op_def,
                         std::vector<int32_t>* inputs, std::vector<int32_t>* outputs) {
  inputs->clear();
  outputs->clear();
  for (const auto& arg : op_def.input_arg()) CKPT_RETURN_IF_ERROR(ArgTypes(node, arg, inputs));
  for (const auto& arg : op_def.output_arg()) CKPT_RETURN_IF_ERROR(ArgTypes(node, arg, outputs));
  return Status::OK();
}

Status ValidateAttrs(const tensorflow::NodeDef& node, const tensorflow::OpDef& op_def) {
  for (const auto& attr : op_def.attr()) {
    const tensorflow::AttrValue* v = FindAttr(node, attr.name());
    if (v == nullptr) {
      return InvalidArgumentError(NodeLabel(node) + ": missing attr '" + attr.name() + "'");
    }
    if (!AttrKindMatches(attr.type(), *v)) {
      return InvalidArgumentError(NodeLabel(node) + ": attr '" + attr.name() + "' is not of type " +
                                  attr.type());
    }
    if (attr.type() == "type" && attr.has_allowed_values() && attr.allowed_values().has_list()) {
      bool found = false;
      for (int t : attr.allowed_values().list().type()) found |= (t == v->type());
      if (!found) {
        return InvalidArgumentError(NodeLabel(node) + ": value for attr '" + attr.name() + "' of " +
                                    std::string(DataTypeName(static_cast<DataType>(v->type()))) +
                                    " is not in the list of allowed values");
      }
    }
    if (attr.type() == "string" && attr.has_allowed_values() && attr.allowed_values().has_list() &&
        attr.allowed_values().list().s_size() > 0) {
      bool found = false;
      for (const auto& s : attr.allowed_values().list().s()) found |= (s == v->s());
      if (!found) {
        return InvalidArgumentError(NodeLabel(node) + ": value '" + v->s() + "' for attr '" +
                                    attr.name() + "' is not in the list of allowed values");
      }
    }
    if (attr.has_minimum()) {
      int64_t n = attr.type() == "int" ? v->i()
                  : v->has_list()
                      ? std::max({v->list().s_size(), v->list().i_size(), v->list().f_size(),
                                  v->list().b_size(), v->list().type_size(), v->list().shape_size(),
                                  v->list().tensor_size(), v->list().func_size()})
                      : 0;
      if (n < attr.minimum()) {
        return InvalidArgumentError(NodeLabel(node) + ": attr '" + attr.name() + "' is " +
                                    std::to_string(n) + ", less than minimum " +
                                    std::to_string(attr.minimum()));
      }
    }
  }
  return Status::OK();
}

std::vector<std::string> RegisteredOps() { return OpRegistry::Global().ListOps(); }

StatusOr<std::string> GetOpDef(std::string_view op) {
  CKPT_ASSIGN_OR_RETURN(const tensorflow::OpDef* def, OpRegistry::Global().Lookup(op));
  return def->SerializeAsString();
}

}  // namespace ckpt
