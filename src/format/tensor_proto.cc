#include "ckpt/format/tensor_proto.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "format/bool_bytes.h"
#include "format/bundle/coding.h"

namespace ckpt {

namespace {

// Tensors decoded from a proto may expand a single value to the whole shape; cap what a
// hostile proto can make us allocate that way (tensor_content is bounded by the proto itself).
constexpr int64_t kMaxExpandedBytes = int64_t{1} << 30;

bool UsesTensorContent(DataType dt) {
  switch (dt) {
    case DataType::kFloat:
    case DataType::kDouble:
    case DataType::kInt32:
    case DataType::kUInt8:
    case DataType::kInt16:
    case DataType::kInt8:
    case DataType::kInt64:
    case DataType::kQInt8:
    case DataType::kQUInt8:
    case DataType::kQInt16:
    case DataType::kQUInt16:
    case DataType::kQInt32:
    case DataType::kBFloat16:
    case DataType::kHalf:
    case DataType::kUInt32:
    case DataType::kUInt64:
    case DataType::kFloat8E5M2:
    case DataType::kFloat8E4M3FN:
    case DataType::kFloat8E4M3FNUZ:
    case DataType::kFloat8E4M3B11FNUZ:
    case DataType::kFloat8E5M2FNUZ:
    case DataType::kFloat4E2M1FN: return true;
    default: return false;
  }
}

template <typename T, typename Field>
void CastCopy(const Field& field, int64_t n, void* dst) {
  T* d = static_cast<T*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = static_cast<T>(field.Get(static_cast<int>(i)));
}

// Repeats element count-1 of `t` into elements [count, n), as TF fills truncated *_val fields.
void RepeatLast(int64_t count, Tensor* t) {
  const int64_t n = t->num_elements();
  if (count <= 0 || count >= n) return;
  if (t->dtype() == DataType::kString) {
    std::string* s = t->strings();
    for (int64_t i = count; i < n; ++i) s[i] = s[count - 1];
    return;
  }
  // Doubling copies of the repeated tail: a splat expanding to 1 GiB of 1-byte elements takes
  // ~30 memcpy calls, not a billion.
  const size_t elem = DataTypeSize(t->dtype());  // a complex element is both components
  char* base = static_cast<char*>(t->raw_data());
  const size_t start = static_cast<size_t>(count - 1) * elem, total = static_cast<size_t>(n) * elem;
  size_t filled = static_cast<size_t>(count) * elem;
  while (filled < total) {
    const size_t chunk = std::min(filled - start, total - filled);
    std::memcpy(base + filled, base + start, chunk);
    filled += chunk;
  }
}

// The *_val field TypedValueCount reads for `dt`, for messages.
std::string TypedValueFieldName(DataType dt) {
  switch (dt) {
    case DataType::kFloat: return "float";
    case DataType::kDouble: return "double";
    case DataType::kHalf:
    case DataType::kBFloat16: return "half";
    case DataType::kInt64: return "int64";
    case DataType::kUInt32: return "uint32";
    case DataType::kUInt64: return "uint64";
    case DataType::kBool: return "bool";
    case DataType::kString: return "string";
    default: return "int";
  }
}

}  // namespace

void ShapeToProto(const TensorShape& shape, tensorflow::TensorShapeProto* proto) {
  proto->Clear();
  for (int64_t d : shape.dims()) proto->add_dim()->set_size(d);
}

StatusOr<TensorShape> ShapeFromProto(const tensorflow::TensorShapeProto& proto) {
  if (proto.unknown_rank()) return InvalidArgumentError("shape has unknown rank");
  if (proto.dim_size() > kMaxTensorRank) {
    return InvalidArgumentError("shape rank " + std::to_string(proto.dim_size()) +
                                " exceeds the maximum " + std::to_string(kMaxTensorRank));
  }
  std::vector<int64_t> dims;
  dims.reserve(proto.dim_size());
  int64_t n = 1;
  for (const auto& d : proto.dim()) {
    if (d.size() < 0) {
      return InvalidArgumentError("shape has negative dimension " + std::to_string(d.size()));
    }
    if (bundle::MulOverflow(n, d.size(), &n)) {
      return InvalidArgumentError("shape has too many elements");
    }
    dims.push_back(d.size());
  }
  return TensorShape::FromDims(dims);
}

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

void AppendTensorValues(const Tensor& t, int64_t begin, int64_t end, tensorflow::TensorProto* p) {
  const void* base = t.raw_data();
  for (int64_t i = begin; i < end; ++i) {
    switch (t.dtype()) {
      case DataType::kFloat: p->add_float_val(static_cast<const float*>(base)[i]); break;
      case DataType::kDouble: p->add_double_val(static_cast<const double*>(base)[i]); break;
      case DataType::kInt32:
      case DataType::kQInt32: p->add_int_val(static_cast<const int32_t*>(base)[i]); break;
      case DataType::kInt16:
      case DataType::kQInt16: p->add_int_val(static_cast<const int16_t*>(base)[i]); break;
      case DataType::kInt8:
      case DataType::kQInt8: p->add_int_val(static_cast<const int8_t*>(base)[i]); break;
      case DataType::kUInt8:
      case DataType::kQUInt8: p->add_int_val(static_cast<const uint8_t*>(base)[i]); break;
      case DataType::kUInt16:
      case DataType::kQUInt16: p->add_int_val(static_cast<const uint16_t*>(base)[i]); break;
      case DataType::kHalf:
      case DataType::kBFloat16: p->add_half_val(static_cast<const uint16_t*>(base)[i]); break;
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

int64_t TypedValueCount(const tensorflow::TensorProto& p, DataType dtype) {
  switch (dtype) {
    case DataType::kFloat: return p.float_val_size();
    case DataType::kDouble: return p.double_val_size();
    case DataType::kHalf:
    case DataType::kBFloat16: return p.half_val_size();
    case DataType::kInt64: return p.int64_val_size();
    case DataType::kUInt32: return p.uint32_val_size();
    case DataType::kUInt64: return p.uint64_val_size();
    case DataType::kBool: return p.bool_val_size();
    case DataType::kString: return p.string_val_size();
    case DataType::kComplex64: return p.scomplex_val_size() % 2 ? -1 : p.scomplex_val_size() / 2;
    case DataType::kComplex128: return p.dcomplex_val_size() % 2 ? -1 : p.dcomplex_val_size() / 2;
    default:  // the int_val kinds, and 1-byte float8/int4 kinds as raw bytes
      return p.int_val_size();
  }
}

void CopyTypedValues(const tensorflow::TensorProto& p, int64_t n, Tensor* out) {
  void* dst = out->raw_data();
  switch (out->dtype()) {
    case DataType::kFloat: CastCopy<float>(p.float_val(), n, dst); break;
    case DataType::kDouble: CastCopy<double>(p.double_val(), n, dst); break;
    case DataType::kInt32:
    case DataType::kQInt32: CastCopy<int32_t>(p.int_val(), n, dst); break;
    case DataType::kInt16:
    case DataType::kQInt16: CastCopy<int16_t>(p.int_val(), n, dst); break;
    case DataType::kInt8:
    case DataType::kQInt8: CastCopy<int8_t>(p.int_val(), n, dst); break;
    case DataType::kUInt16:
    case DataType::kQUInt16: CastCopy<uint16_t>(p.int_val(), n, dst); break;
    case DataType::kHalf:
    case DataType::kBFloat16: CastCopy<uint16_t>(p.half_val(), n, dst); break;
    case DataType::kInt64: CastCopy<int64_t>(p.int64_val(), n, dst); break;
    case DataType::kUInt32: CastCopy<uint32_t>(p.uint32_val(), n, dst); break;
    case DataType::kUInt64: CastCopy<uint64_t>(p.uint64_val(), n, dst); break;
    case DataType::kBool: CastCopy<bool>(p.bool_val(), n, dst); break;
    case DataType::kComplex64: CastCopy<float>(p.scomplex_val(), 2 * n, dst); break;
    case DataType::kComplex128: CastCopy<double>(p.dcomplex_val(), 2 * n, dst); break;
    case DataType::kString: {
      std::string* s = out->strings();
      for (int64_t i = 0; i < n; ++i) s[i] = p.string_val(static_cast<int>(i));
      break;
    }
    default:  // kUInt8, kQUInt8 and the 1-byte float8/int4 kinds
      CastCopy<uint8_t>(p.int_val(), n, dst);
      break;
  }
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
  AppendTensorValues(t, 0, n, proto);
}

void SplatTensorToProto(const Tensor& value, const TensorShape& shape,
                        tensorflow::TensorProto* proto) {
  proto->Clear();
  proto->set_dtype(static_cast<tensorflow::DataType>(value.dtype()));
  ShapeToProto(shape, proto->mutable_tensor_shape());
  if (value.num_elements() >= 1) AppendTensorValues(value, 0, 1, proto);
}

Status CheckTensorProto(const tensorflow::TensorProto& proto, DataType* dtype_out,
                        TensorShape* shape_out) {
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
    return InvalidArgumentError("tensor proto shape " + ps.DebugString() + " is not fully defined");
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(ps.dims()));
  const int64_t n = shape.num_elements();
  const int64_t elem = dt == DataType::kString ? 32 : static_cast<int64_t>(DataTypeSize(dt));
  if (proto.tensor_content().empty() && elem > 0 && n > kMaxExpandedBytes / elem) {
    return InvalidArgumentError("tensor proto of shape " + shape.DebugString() + " " +
                                std::string(DataTypeName(dt)) +
                                " expands to more than 1 GiB from its *_val fields");
  }
  if (dt == DataType::kString && proto.string_val_size() > 0 && proto.string_val_size() < n) {
    // Each repeated element is its own copy of the last value: count its bytes too, or a
    // 4 KiB value splatted over millions of elements would allocate terabytes.
    const uint64_t last = proto.string_val(proto.string_val_size() - 1).size();
    const uint64_t repeats = static_cast<uint64_t>(n - proto.string_val_size());
    if (last > 0 && repeats > kMaxExpandedBytes / (static_cast<uint64_t>(elem) + last)) {
      return InvalidArgumentError("string tensor proto of shape " + shape.DebugString() +
                                  " repeats a " + std::to_string(last) +
                                  "-byte value to more than 1 GiB");
    }
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
    if (dt == DataType::kBool) {
      const std::string bad =
          internal::InvalidBoolByte(proto.tensor_content().data(), proto.tensor_content().size());
      if (!bad.empty()) return InvalidArgumentError("tensor proto bool tensor_content: " + bad);
    }
  } else {
    const int64_t count = TypedValueCount(proto, dt);
    const bool complex = dt == DataType::kComplex64 || dt == DataType::kComplex128;
    if (count < 0 || count > n) {
      if (complex) {
        const int components =
            dt == DataType::kComplex64 ? proto.scomplex_val_size() : proto.dcomplex_val_size();
        return InvalidArgumentError("tensor proto has " + std::to_string(components) +
                                    " complex components for " + std::to_string(n) + " elements");
      }
      return InvalidArgumentError("tensor proto has " + std::to_string(count) + " " +
                                  TypedValueFieldName(dt) + " values for " + std::to_string(n) +
                                  " elements");
    }
  }
  if (dtype_out != nullptr) *dtype_out = dt;
  if (shape_out != nullptr) *shape_out = shape;
  return Status::OK();
}

StatusOr<Tensor> TensorFromProto(const tensorflow::TensorProto& proto) {
  DataType dt = DataType::kInvalid;
  TensorShape shape;
  CKPT_RETURN_IF_ERROR(CheckTensorProto(proto, &dt, &shape));
  CKPT_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(dt, shape));
  if (!proto.tensor_content().empty()) {
    if (t.TotalBytes() > 0) {
      std::memcpy(t.raw_data(), proto.tensor_content().data(), t.TotalBytes());
    }
    return t;
  }
  const int64_t count = TypedValueCount(proto, dt);
  CopyTypedValues(proto, count, &t);
  RepeatLast(count, &t);
  return t;
}

}  // namespace ckpt
