// The feed parser of `ckpt run --feed NAME=JSON` (ParseTensorJson, which LoadedModel::ParseFeed
// calls with the placeholder's dtype and shape). Input: a dtype byte (any of the 34 dtypes,
// supported or not), a shape byte (from a small set of partial shapes), then the JSON text.
// What parses must have the dtype asked for and a shape compatible with the one wanted, and
// TensorToJson's text, where it parses back, must give the same shape.
#include <vector>

#include "ckpt/core/dtype.h"
#include "ckpt/core/tensor_shape.h"
#include "ckpt/metagraph/tensor_text.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  const auto dtype = static_cast<DataType>(in.Byte() % kNumDataTypes);
  const std::vector<PartialShape> shapes = {
      PartialShape(),
      PartialShape::Scalar(),
      PartialShape(std::vector<int64_t>{-1}),
      PartialShape(std::vector<int64_t>{1}),
      PartialShape(std::vector<int64_t>{3}),
      PartialShape(std::vector<int64_t>{-1, 2}),
      PartialShape(std::vector<int64_t>{2, 2}),
      PartialShape(std::vector<int64_t>{2, -1, 1}),
      PartialShape(std::vector<int64_t>{0}),
      PartialShape(std::vector<int64_t>{-1, -1}),
  };
  const PartialShape& want = shapes[in.Byte() % shapes.size()];
  auto t = ParseTensorJson(in.Rest(), dtype, want);
  if (!t.ok()) return 0;
  fuzz::Check(t->dtype() == dtype, "parsed dtype");
  fuzz::Check(want.IsCompatibleWith(t->shape()), "parsed shape fits the wanted shape");
  auto back = ParseTensorJson(TensorToJson(*t), dtype, want);
  fuzz::Check(!back.ok() || back->shape() == t->shape(), "JSON round trip keeps the shape");
  return 0;
}
