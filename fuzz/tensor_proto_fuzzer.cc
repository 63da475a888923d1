// The TensorProto codec. The input is a serialized TensorProto: CheckTensorProto validates it,
// it is decoded, and the two must agree (same verdict, dtype and shape); what decodes is
// encoded again (both TensorToProto forms) and must decode to the same bytes. The same bytes
// are also read as a TensorShapeProto (full and partial shapes).
//
// Two size caps keep one input inside the 5 s per-input limit under ASan without hiding a
// check: a string tensor over kMaxDecodedStrings elements is validated but not decoded (a
// 101-byte splat of 17M 18-byte strings is within the 1 GiB policy, and its 17M heap
// allocations took 5-7 s under ASan; the decode loop is the same at any size), and the round
// trip is skipped above kMaxRoundTripBytes (a splat may expand to 1 GiB, and two more copies
// would pass the 2 GiB limit of a fuzz run) or kMaxRoundTripStrings string elements
// (re-encoding makes a protobuf string, an allocation, per element).
#include <cstring>

#include "ckpt/core/tensor.h"
#include "ckpt/format/tensor_proto.h"
#include "fuzz_util.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"

namespace {

constexpr size_t kMaxRoundTripBytes = size_t{64} << 20;
constexpr int64_t kMaxRoundTripStrings = int64_t{1} << 16;
constexpr int64_t kMaxDecodedStrings = int64_t{1} << 20;

bool SameTensor(const ckpt::Tensor& a, const ckpt::Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  if (a.dtype() == ckpt::DataType::kString) {
    for (int64_t i = 0; i < a.num_elements(); ++i) {
      if (a.strings()[i] != b.strings()[i]) return false;
    }
    return true;
  }
  return a.TotalBytes() == b.TotalBytes() &&
         (a.TotalBytes() == 0 || std::memcmp(a.raw_data(), b.raw_data(), a.TotalBytes()) == 0);
}

// Decodes a proto CheckTensorProto found valid (dtype and shape as it reported) or invalid
// (`checked` not OK): the decoder must agree, and what decodes must survive a round trip.
void DecodeAndRoundTrip(const tensorflow::TensorProto& proto, const ckpt::Status& checked,
                        ckpt::DataType checked_dtype, const ckpt::TensorShape& checked_shape) {
  using namespace ckpt;
  auto t = TensorFromProto(proto);
  fuzz::Check(t.ok() == checked.ok(), "CheckTensorProto agrees with TensorFromProto",
              t.ok() ? checked : t.status());
  if (!t.ok()) return;
  fuzz::Check(t->dtype() == checked_dtype && t->shape() == checked_shape,
              "CheckTensorProto reports the decoded dtype and shape");
  if (t->TotalBytes() > kMaxRoundTripBytes ||
      (t->dtype() == DataType::kString && t->num_elements() > kMaxRoundTripStrings)) {
    return;
  }
  tensorflow::TensorProto again;
  TensorToProto(*t, &again);
  auto back = TensorFromProto(again);
  fuzz::CheckOk(back.status(), "decode of an encoded tensor");
  fuzz::Check(SameTensor(*t, *back), "tensor round trip");
  if (t->num_elements() == 1) {
    tensorflow::TensorProto splat;
    SplatTensorToProto(*t, TensorShape({2}), &splat);
    fuzz::CheckOk(TensorFromProto(splat).status(), "decode of a splat");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  tensorflow::TensorProto proto;
  if (proto.ParseFromArray(data, static_cast<int>(size))) {
    DataType dtype = DataType::kInvalid;
    TensorShape shape;
    const Status checked = CheckTensorProto(proto, &dtype, &shape);
    if (!checked.ok() || dtype != DataType::kString || shape.num_elements() <= kMaxDecodedStrings) {
      DecodeAndRoundTrip(proto, checked, dtype, shape);
    }
  }
  tensorflow::TensorShapeProto shape_proto;
  if (shape_proto.ParseFromArray(data, static_cast<int>(size))) {
    auto full = ShapeFromProto(shape_proto);
    if (full.ok()) {
      tensorflow::TensorShapeProto again;
      ShapeToProto(*full, &again);
      auto back = ShapeFromProto(again);
      fuzz::Check(back.ok() && *back == *full, "shape round trip", back.status());
    }
    auto partial = PartialShapeFromProto(shape_proto);
    if (partial.ok()) {
      tensorflow::TensorShapeProto again;
      PartialShapeToProto(*partial, &again);
      fuzz::CheckOk(PartialShapeFromProto(again).status(), "partial shape round trip");
    }
  }
  return 0;
}
