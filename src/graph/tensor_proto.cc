#include "graph/tensor_proto.h"

#include <complex>
#include <cstring>
#include <string>

namespace ckpt {

namespace {

// Tensors decoded from a proto may expand a single value to the whole shape; cap what a
// hostile graph can make us allocate that way (tensor_content is bounded by the proto itself).
constexpr int64_t kMaxExpandedBytes = int64_t{1} << 30;

bool UsesTensorContent(DataType dt) {
  switch (dt) {
    case DataType::kFloat: case DataType::kDouble: case DataType::kInt32:
    case DataType::kUInt8: case DataType::kInt16: case DataType::kInt8:
    case DataType::kInt64: case DataType::kQInt8: case DataType::kQUInt8:
    case DataType::kQInt16: case DataType::kQUInt16: case DataType::kQInt32:
    case DataType::kBFloat16: case DataType::kHalf: case DataType::kUInt32:
    case DataType::kUInt64: case DataType::kFloat8E5M2: case DataType::kFloat8E4M3FN:
    case DataType::kFloat8E4M3FNUZ: case DataType::kFloat8E4M3B11FNUZ:
    case DataType::kFloat8E5M2FNUZ: case DataType::kFloat4E2M1FN:
      return true;
    default:
      return false;
  }
}

void ShapeToProto(const TensorShape& shape, tensorflow::TensorShapeProto* proto) {
  proto->Clear();
  for (int64_t d : shape.dims()) proto->add_dim()->set_size(d);
}

// Appends elements [begin, end) of `t` to the typed *_val field.
void AppendValues(const Tensor& t, int64_t begin, int64_t end, tensorflow::TensorProto* p) {
  const void* base = t.raw_data();
  for (int64_t i = begin; i < end; ++i) {
    switch (t.dtype()) {
      case DataType::kFloat: p->add_float_val(static_cast<const float*>(base)[i]); break;
      case DataType::kDouble: p->add_double_val(static_cast<const double*>(base)[i]); break;
      case DataType::kInt32: case DataType::kQInt32:
        p->add_int_val(static_cast<const int32_t*>(base)[i]); break;
      case DataType::kInt16: case DataType::kQInt16:
        p->add_int_val(static_cast<const int16_t*>(base)[i]); break;
      case DataType::kInt8: case DataType::kQInt8:
        p->add_int_val(static_cast<const int8_t*>(base)[i]); break;
      case DataType::kUInt8: case DataType::kQUInt8:
        p->add_int_val(static_cast<const uint8_t*>(base)[i]); break;
      case DataType::kUInt16: case DataType::kQUInt16:
        p->add_int_val(static_cast<const uint16_t*>(base)[i]); break;
      case DataType::kHalf: case DataType::kBFloat16:
        p->add_half_val(static_cast<const uint16_t*>(base)[i]); break;
      case DataType::kInt64: p->add_int64_val(static_cast<const int64_t*>(base)[i]); break;
      case DataType::kUInt32: p->add_uint32_val(static_cast<const uint32_t*>(base)[i]); break;
      case DataType::kUInt64: p->add_uint64_val(static_cast<const uint64_t*>(base)[i]); break;
      case DataType::kBool: p->add_bool_val(static_cast<const bool*>(base)[i]); break;
      case DataType::kString: p->add_string_val(t.strings()[i]); break;
      case DataType::kComplex64: {
        const float* c = static_cast<const float*>(base) + 2 * i;
        p->add_scomplex_val(c[0]);
        p->add_scomplex_val(c[1]);
        break;
      }
      case DataType::kComplex128: {
        const double* c = static_cast<const double*>(base) + 2 * i;
        p->add_dcomplex_val(c[0]);
        p->add_dcomplex_val(c[1]);
        break;
      }
      default: {  // 1-byte float8/int4 kinds: int_val of the raw byte
        p->add_int_val(static_cast<const uint8_t*>(base)[i]);
        break;
      }
    }
  }
}

template <typename T, typename Field>
Status FillFrom(const Field& field, int64_t n, Tensor* t, const char* field_name) {
  T* out = static_cast<T*>(t->raw_data());
  const int64_t count = field.size();
  if (count > n) {
    return InvalidArgumentError("tensor proto has " + std::to_string(count) + " " + field_name +
                                " values for " + std::to_string(n) + " elements");
  }
  for (int64_t i = 0; i < count; ++i) out[i] = static_cast<T>(field.Get(static_cast<int>(i)));
  if (count > 0) {
    for (int64_t i = count; i < n; ++i) out[i] = out[count - 1];
  }
  return Status::OK();
}

template <typename T, typename Field>
Status FillComplex(const Field& field, int64_t n, Tensor* t) {
  T* out = static_cast<T*>(t->raw_data());
  const int64_t count = field.size();
  if (count % 2 != 0 || count / 2 > n) {
    return InvalidArgumentError("tensor proto has " + std::to_string(count) +
                                " complex components for " + std::to_string(n) + " elements");
  }
  for (int64_t i = 0; i < count; ++i) out[i] = field.Get(static_cast<int>(i));
  if (count > 0) {
    for (int64_t i = count / 2; i < n; ++i) {
      out[2 * i] = out[count - 2];
      out[2 * i + 1] = out[count - 1];
    }
  }
  return Status::OK();
}

}  // namespace

void PartialShapeToProto(const PartialShape& shape, tensorflow::TensorShapeProto* proto) {
  proto->Clear();
  if (!shape.known_rank()) {
    proto->set_unknown_rank(true);
    return;
  }
  for (int64_t d : shape.dims()) proto->add_dim()->set_size(d);
}

StatusOr<PartialShape> PartialShapeFromProto(const tensorflow::TensorShapeProto& proto) {
  if (proto.unknown_rank()) {
    if (proto.dim_size() > 0) {
      return InvalidArgumentError("shape proto with unknown_rank has dims");
    }
    return PartialShape();
  }
  if (proto.dim_size() > kMaxTensorRank) {
    return InvalidArgumentError("shape proto rank " + std::to_string(proto.dim_size()) +
                                " exceeds " + std::to_string(kMaxTensorRank));
  }
  std::vector<int64_t> dims;
  dims.reserve(proto.dim_size());
  for (const auto& d : proto.dim()) {
    if (d.size() < -1) {
      return InvalidArgumentError("shape proto has dim " + std::to_string(d.size()));
    }
    dims.push_back(d.size());
  }
  return PartialShape(std::move(dims));
}

void TensorToProto(const Tensor& t, tensorflow::TensorProto* proto) {
  proto->Clear();
  proto->set_dtype(static_cast<tensorflow::DataType>(t.dtype()));
  ShapeToProto(t.shape(), proto->mutable_tensor_shape());
  const int64_t n = t.num_elements();
  if (n > 1 && UsesTensorContent(t.dtype())) {
    proto->set_tensor_content(t.raw_data(), t.TotalBytes());
    return;
  }
  AppendValues(t, 0, n, proto);
}

void SplatTensorToProto(const Tensor& value, const TensorShape& shape,
                        tensorflow::TensorProto* proto) {
  proto->Clear();
  proto->set_dtype(static_cast<tensorflow::DataType>(value.dtype()));
  ShapeToProto(shape, proto->mutable_tensor_shape());
  if (value.num_elements() >= 1) AppendValues(value, 0, 1, proto);
}

StatusOr<Tensor> TensorFromProto(const tensorflow::TensorProto& proto) {
  const int32_t dt_value = proto.dtype();
  if (!IsValidDataType(dt_value) || dt_value == 0) {
    return InvalidArgumentError("tensor proto has invalid dtype " + std::to_string(dt_value));
  }
  const DataType dt = static_cast<DataType>(dt_value);
  if (dt != DataType::kString && !DataTypeIsPod(dt)) {
    return UnimplementedError("tensor proto of dtype " + std::string(DataTypeName(dt)) +
                              " cannot be decoded");
  }
  CKPT_ASSIGN_OR_RETURN(PartialShape ps, PartialShapeFromProto(proto.tensor_shape()));
  if (!ps.IsFullyDefined()) {
    return InvalidArgumentError("tensor proto shape " + ps.DebugString() +
                                " is not fully defined");
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(ps.dims()));
  const int64_t n = shape.num_elements();
  const int64_t elem = dt == DataType::kString ? 32 : static_cast<int64_t>(DataTypeSize(dt));
  if (proto.tensor_content().empty() && elem > 0 && n > kMaxExpandedBytes / elem) {
    return InvalidArgumentError("tensor proto of shape " + shape.DebugString() + " " +
                                std::string(DataTypeName(dt)) +
                                " expands to more than 1 GiB from its *_val fields");
  }
  if (!proto.tensor_content().empty()) {
    if (dt == DataType::kString) {
      return InvalidArgumentError("string tensor proto with tensor_content");
    }
    const uint64_t want = static_cast<uint64_t>(n) * DataTypeSize(dt);
    if (proto.tensor_content().size() != want) {
      return InvalidArgumentError("tensor proto tensor_content has " +
                                  std::to_string(proto.tensor_content().size()) +
                                  " bytes, expected " + std::to_string(want) + " for shape " +
                                  shape.DebugString() + " " + std::string(DataTypeName(dt)));
    }
    CKPT_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(dt, shape));
    if (want) std::memcpy(t.raw_data(), proto.tensor_content().data(), want);
    return t;
  }
  CKPT_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(dt, shape));
  switch (dt) {
    case DataType::kFloat: CKPT_RETURN_IF_ERROR(FillFrom<float>(proto.float_val(), n, &t, "float")); break;
    case DataType::kDouble: CKPT_RETURN_IF_ERROR(FillFrom<double>(proto.double_val(), n, &t, "double")); break;
    case DataType::kInt32: case DataType::kQInt32:
      CKPT_RETURN_IF_ERROR(FillFrom<int32_t>(proto.int_val(), n, &t, "int")); break;
    case DataType::kInt16: case DataType::kQInt16:
      CKPT_RETURN_IF_ERROR(FillFrom<int16_t>(proto.int_val(), n, &t, "int")); break;
    case DataType::kInt8: case DataType::kQInt8:
      CKPT_RETURN_IF_ERROR(FillFrom<int8_t>(proto.int_val(), n, &t, "int")); break;
    case DataType::kUInt8: case DataType::kQUInt8:
      CKPT_RETURN_IF_ERROR(FillFrom<uint8_t>(proto.int_val(), n, &t, "int")); break;
    case DataType::kUInt16: case DataType::kQUInt16:
      CKPT_RETURN_IF_ERROR(FillFrom<uint16_t>(proto.int_val(), n, &t, "int")); break;
    case DataType::kHalf: case DataType::kBFloat16:
      CKPT_RETURN_IF_ERROR(FillFrom<uint16_t>(proto.half_val(), n, &t, "half")); break;
    case DataType::kInt64: CKPT_RETURN_IF_ERROR(FillFrom<int64_t>(proto.int64_val(), n, &t, "int64")); break;
    case DataType::kUInt32: CKPT_RETURN_IF_ERROR(FillFrom<uint32_t>(proto.uint32_val(), n, &t, "uint32")); break;
    case DataType::kUInt64: CKPT_RETURN_IF_ERROR(FillFrom<uint64_t>(proto.uint64_val(), n, &t, "uint64")); break;
    case DataType::kBool: CKPT_RETURN_IF_ERROR(FillFrom<bool>(proto.bool_val(), n, &t, "bool")); break;
    case DataType::kComplex64: CKPT_RETURN_IF_ERROR(FillComplex<float>(proto.scomplex_val(), n, &t)); break;
    case DataType::kComplex128: CKPT_RETURN_IF_ERROR(FillComplex<double>(proto.dcomplex_val(), n, &t)); break;
    case DataType::kString: {
      const int64_t count = proto.string_val_size();
      if (count > n) {
        return InvalidArgumentError("tensor proto has " + std::to_string(count) +
                                    " string values for " + std::to_string(n) + " elements");
      }
      std::string* out = t.strings();
      for (int64_t i = 0; i < count; ++i) out[i] = proto.string_val(static_cast<int>(i));
      if (count > 0) {
        for (int64_t i = count; i < n; ++i) out[i] = out[count - 1];
      }
      break;
    }
    default:
      CKPT_RETURN_IF_ERROR(FillFrom<uint8_t>(proto.int_val(), n, &t, "int"));
      break;
  }
  return t;
}

}  // namespace ckpt
