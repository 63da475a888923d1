// Helpers shared by the bundle writer, reader, merger and the V1 reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ckpt/core/dtype.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/core/tensor_shape.h"
#include "ckpt/format/tensor_slice.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"
#include "tensorflow/core/framework/tensor_slice.pb.h"
#include "tensorflow/core/framework/versions.pb.h"

namespace ckpt::bundle {

// Shapes read from files: known rank, rank <= kMaxTensorRank, dims >= 0, no overflow.
// InvalidArgument describing the problem otherwise (callers add file and key).
StatusOr<TensorShape> ShapeFromProto(const tensorflow::TensorShapeProto& proto);
void ShapeToProto(const TensorShape& shape, tensorflow::TensorShapeProto* proto);

// Slice protos: an extent without `length` is full. Checks the slice fits `shape`.
StatusOr<TensorSlice> SliceFromProto(const tensorflow::TensorSliceProto& proto,
                                     const TensorShape& shape);
void SliceToProto(const TensorSlice& slice, tensorflow::TensorSliceProto* proto);

// The slice with every full extent replaced by [0, dim).
TensorSlice ResolveSlice(const TensorSlice& slice, const TensorShape& shape);

// Reverses the byte order of each element (each half of a complex number).
void ByteSwap(DataType dtype, void* data, size_t num_bytes);

// Copies the elements of region `region` (resolved, within both) from `src` (holding slice
// `src_slice` of the full tensor) into `dst` (holding `dst_slice`). All slices resolved;
// element size `elem`. Works on flat byte buffers in row-major order.
void CopyRegion(size_t elem, const void* src, const TensorSlice& src_slice, void* dst,
                const TensorSlice& dst_slice, const TensorSlice& region);

// a * b for non-negative values; false on overflow.
inline bool MulOverflow(int64_t a, int64_t b, int64_t* out) {
  return __builtin_mul_overflow(a, b, out);
}

// Checks a VersionDef the way TF's CheckVersions does for `consumer` (our version) and
// `min_producer`. InvalidArgument naming `what` (e.g. "checkpoint /x/model").
Status CheckVersions(const tensorflow::VersionDef& versions, int consumer, int min_producer,
                     std::string_view what);

// Little-endian fixed-width helpers.
inline void PutFixed32(std::string* dst, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
               static_cast<char>(v >> 24)};
  dst->append(b, 4);
}
inline uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | (uint32_t{u[1]} << 8) | (uint32_t{u[2]} << 16) | (uint32_t{u[3]} << 24);
}
inline void PutVarint64(std::string* dst, uint64_t v) {
  while (v >= 0x80) {
    dst->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  dst->push_back(static_cast<char>(v));
}

// Renders a key for messages (non-printable bytes escaped).
std::string PrintableKey(std::string_view key);

}  // namespace ckpt::bundle
