// The TensorProto codec. The input is a serialized TensorProto: it is decoded, and what
// decodes is encoded again (both TensorToProto forms) and must decode to the same bytes. The
// same bytes are also read as a TensorShapeProto (full and partial shapes). The round trip is
// skipped above kMaxRoundTripBytes: a splat may expand to 1 GiB, and two more copies of it
// would pass the 2 GiB limit of a fuzz run. For strings it is also skipped above
// kMaxRoundTripStrings elements: a 61-byte string splat expands to millions of elements, and
// re-encoding them makes a protobuf string (an allocation) each, which took over the 5 s
// per-input limit under ASan (the decode itself stays fast).
#include <cstring>

#include "ckpt/core/tensor.h"
#include "ckpt/format/tensor_proto.h"
#include "fuzz_util.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"

namespace {

constexpr size_t kMaxRoundTripBytes = size_t{64} << 20;
constexpr int64_t kMaxRoundTripStrings = int64_t{1} << 16;

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  tensorflow::TensorProto proto;
  if (proto.ParseFromArray(data, static_cast<int>(size))) {
    auto t = TensorFromProto(proto);
    if (t.ok() && t->TotalBytes() <= kMaxRoundTripBytes &&
        (t->dtype() != DataType::kString || t->num_elements() <= kMaxRoundTripStrings)) {
      tensorflow::TensorProto again;
      TensorToProto(*t, &again);
      auto back = TensorFromProto(again);
      fuzz::CheckOk(back.status(), "decode of an encoded tensor");
      fuzz::Check(SameTensor(*t, *back), "tensor round trip");
      if (t->num_elements() == 1) {
        tensorflow::TensorProto splat;
        SplatTensorToProto(*t, TensorShape({2}), &splat);
        auto s = TensorFromProto(splat);
        fuzz::CheckOk(s.status(), "decode of a splat");
      }
      (void)TypedValueCount(proto, t->dtype());
    }
  }
  tensorflow::TensorShapeProto shape;
  if (shape.ParseFromArray(data, static_cast<int>(size))) {
    auto full = ShapeFromProto(shape);
    if (full.ok()) {
      tensorflow::TensorShapeProto again;
      ShapeToProto(*full, &again);
      auto back = ShapeFromProto(again);
      fuzz::Check(back.ok() && *back == *full, "shape round trip", back.status());
    }
    auto partial = PartialShapeFromProto(shape);
    if (partial.ok()) {
      tensorflow::TensorShapeProto again;
      PartialShapeToProto(*partial, &again);
      fuzz::CheckOk(PartialShapeFromProto(again).status(), "partial shape round trip");
    }
  }
  return 0;
}
