// Slices of a tensor: their protos, resolving full extents, and copying regions between the
// buffers of two slices.
#pragma once

#include <cstddef>

#include "ckpt/core/status.h"
#include "ckpt/core/tensor_shape.h"
#include "ckpt/format/tensor_slice.h"
#include "tensorflow/core/framework/tensor_slice.pb.h"

namespace ckpt::bundle {

// Slice protos: an extent without `length` is full. Checks the slice fits `shape`.
StatusOr<TensorSlice> SliceFromProto(const tensorflow::TensorSliceProto& proto,
                                     const TensorShape& shape);
void SliceToProto(const TensorSlice& slice, tensorflow::TensorSliceProto* proto);

// The slice with every full extent replaced by [0, dim).
TensorSlice ResolveSlice(const TensorSlice& slice, const TensorShape& shape);

// Copies the elements of region `region` (resolved, within both) from `src` (holding slice
// `src_slice` of the full tensor) into `dst` (holding `dst_slice`). All slices resolved;
// element size `elem`. Works on flat byte buffers in row-major order.
void CopyRegion(size_t elem, const void* src, const TensorSlice& src_slice, void* dst,
                const TensorSlice& dst_slice, const TensorSlice& region);

}  // namespace ckpt::bundle
