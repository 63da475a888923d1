#include "graph/attr_value.h"

#include "graph/tensor_proto.h"

namespace ckpt {

Status AttrValueToProto(const AttrValue& value, tensorflow::AttrValue* proto) {
  proto->Clear();
  const auto& v = value.value;
  if (auto* s = std::get_if<std::string>(&v)) {
    proto->set_s(*s);
  } else if (auto* i = std::get_if<int64_t>(&v)) {
    proto->set_i(*i);
  } else if (auto* f = std::get_if<float>(&v)) {
    proto->set_f(*f);
  } else if (auto* b = std::get_if<bool>(&v)) {
    proto->set_b(*b);
  } else if (auto* t = std::get_if<DataType>(&v)) {
    proto->set_type(static_cast<tensorflow::DataType>(*t));
  } else if (auto* sh = std::get_if<PartialShape>(&v)) {
    PartialShapeToProto(*sh, proto->mutable_shape());
  } else if (auto* ten = std::get_if<Tensor>(&v)) {
    if (!ten->valid()) return InvalidArgumentError("tensor attr value is an invalid tensor");
    TensorToProto(*ten, proto->mutable_tensor());
  } else if (auto* ls = std::get_if<std::vector<std::string>>(&v)) {
    auto* l = proto->mutable_list();
    for (const auto& x : *ls) l->add_s(x);
  } else if (auto* li = std::get_if<std::vector<int64_t>>(&v)) {
    auto* l = proto->mutable_list();
    for (int64_t x : *li) l->add_i(x);
  } else if (auto* lf = std::get_if<std::vector<float>>(&v)) {
    auto* l = proto->mutable_list();
    for (float x : *lf) l->add_f(x);
  } else if (auto* lb = std::get_if<std::vector<bool>>(&v)) {
    auto* l = proto->mutable_list();
    for (bool x : *lb) l->add_b(x);
  } else if (auto* lt = std::get_if<std::vector<DataType>>(&v)) {
    auto* l = proto->mutable_list();
    for (DataType x : *lt) l->add_type(static_cast<tensorflow::DataType>(x));
  } else if (auto* lsh = std::get_if<std::vector<PartialShape>>(&v)) {
    auto* l = proto->mutable_list();
    for (const auto& x : *lsh) PartialShapeToProto(x, l->add_shape());
  } else if (auto* lten = std::get_if<std::vector<Tensor>>(&v)) {
    auto* l = proto->mutable_list();
    for (const auto& x : *lten) TensorToProto(x, l->add_tensor());
  } else {
    return InvalidArgumentError("empty attr value");
  }
  return Status::OK();
}

StatusOr<AttrValue> AttrValueFromProto(const tensorflow::AttrValue& proto,
                                       std::string_view op_def_type) {
  using AV = tensorflow::AttrValue;
  switch (proto.value_case()) {
    case AV::kS: return AttrValue(proto.s());
    case AV::kI: return AttrValue(static_cast<int64_t>(proto.i()));
    case AV::kF: return AttrValue(proto.f());
    case AV::kB: return AttrValue(proto.b());
    case AV::kType: return AttrValue(static_cast<DataType>(proto.type()));
    case AV::kShape: {
      CKPT_ASSIGN_OR_RETURN(PartialShape s, PartialShapeFromProto(proto.shape()));
      return AttrValue(std::move(s));
    }
    case AV::kTensor: {
      CKPT_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(proto.tensor()));
      return AttrValue(std::move(t));
    }
    case AV::kList: {
      const auto& l = proto.list();
      if (l.s_size() > 0 || op_def_type == "list(string)") {
        return AttrValue(std::vector<std::string>(l.s().begin(), l.s().end()));
      }
      if (l.f_size() > 0 || op_def_type == "list(float)") {
        return AttrValue(std::vector<float>(l.f().begin(), l.f().end()));
      }
      if (l.b_size() > 0 || op_def_type == "list(bool)") {
        return AttrValue(std::vector<bool>(l.b().begin(), l.b().end()));
      }
      if (l.type_size() > 0 || op_def_type == "list(type)") {
        std::vector<DataType> out;
        for (int t : l.type()) out.push_back(static_cast<DataType>(t));
        return AttrValue(std::move(out));
      }
      if (l.shape_size() > 0 || op_def_type == "list(shape)") {
        std::vector<PartialShape> out;
        for (const auto& s : l.shape()) {
          CKPT_ASSIGN_OR_RETURN(PartialShape ps, PartialShapeFromProto(s));
          out.push_back(std::move(ps));
        }
        return AttrValue(std::move(out));
      }
      if (l.tensor_size() > 0 || op_def_type == "list(tensor)") {
        std::vector<Tensor> out;
        for (const auto& t : l.tensor()) {
          CKPT_ASSIGN_OR_RETURN(Tensor x, TensorFromProto(t));
          out.push_back(std::move(x));
        }
        return AttrValue(std::move(out));
      }
      return AttrValue(std::vector<int64_t>(l.i().begin(), l.i().end()));
    }
    default: return AttrValue();
  }
}

}  // namespace ckpt
