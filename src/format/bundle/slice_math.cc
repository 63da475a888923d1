#include "format/bundle/slice_math.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace ckpt::bundle {

StatusOr<TensorSlice> SliceFromProto(const tensorflow::TensorSliceProto& proto,
                                     const TensorShape& shape) {
  if (proto.extent_size() != shape.rank()) {
    return InvalidArgumentError("slice has rank " + std::to_string(proto.extent_size()) +
                                " but the tensor has rank " + std::to_string(shape.rank()));
  }
  std::vector<TensorSlice::Extent> extents(proto.extent_size());
  for (int d = 0; d < proto.extent_size(); ++d) {
    const auto& e = proto.extent(d);
    if (e.has_length()) {
      if (e.start() < 0 || e.length() < 0 || e.start() > shape.dim(d) ||
          e.length() > shape.dim(d) - e.start()) {
        return InvalidArgumentError("slice extent " + std::to_string(e.start()) + "," +
                                    std::to_string(e.length()) + " does not fit dimension " +
                                    std::to_string(shape.dim(d)));
      }
      extents[d] = TensorSlice::Extent{e.start(), e.length()};
    } else {
      if (e.start() != 0) return InvalidArgumentError("full slice extent with a start");
      extents[d] = TensorSlice::Extent{0, TensorSlice::kFullExtent};
    }
  }
  return TensorSlice(std::move(extents));
}

void SliceToProto(const TensorSlice& slice, tensorflow::TensorSliceProto* proto) {
  proto->Clear();
  for (int d = 0; d < slice.rank(); ++d) {
    auto* e = proto->add_extent();
    if (!slice.IsFullAt(d)) {
      e->set_start(slice.extent(d).start);
      e->set_length(slice.extent(d).length);
    }
  }
}

TensorSlice ResolveSlice(const TensorSlice& slice, const TensorShape& shape) {
  std::vector<TensorSlice::Extent> extents = slice.extents();
  for (int d = 0; d < static_cast<int>(extents.size()); ++d) {
    if (extents[d].length == TensorSlice::kFullExtent) extents[d] = {0, shape.dim(d)};
  }
  return TensorSlice(std::move(extents));
}

void CopyRegion(size_t elem, const void* src, const TensorSlice& src_slice, void* dst,
                const TensorSlice& dst_slice, const TensorSlice& region) {
  const int rank = region.rank();
  if (rank == 0) {
    std::memcpy(dst, src, elem);
    return;
  }
  for (int d = 0; d < rank; ++d) {
    if (region.extent(d).length == 0) return;
  }
  // Row-major strides (in elements) of the source and destination buffers.
  std::vector<int64_t> src_stride(rank), dst_stride(rank);
  int64_t s = 1, t = 1;
  for (int d = rank - 1; d >= 0; --d) {
    src_stride[d] = s;
    dst_stride[d] = t;
    s *= src_slice.extent(d).length;
    t *= dst_slice.extent(d).length;
  }
  const auto* sp = static_cast<const char*>(src);
  auto* dp = static_cast<char*>(dst);
  const int64_t row = region.extent(rank - 1).length;
  std::vector<int64_t> idx(rank, 0);  // position within the region (last dim fixed at 0)
  while (true) {
    int64_t so = 0, doff = 0;
    for (int d = 0; d < rank; ++d) {
      int64_t g = region.extent(d).start + idx[d];
      so += (g - src_slice.extent(d).start) * src_stride[d];
      doff += (g - dst_slice.extent(d).start) * dst_stride[d];
    }
    std::memcpy(dp + doff * elem, sp + so * elem, row * elem);
    int d = rank - 2;
    for (; d >= 0; --d) {
      if (++idx[d] < region.extent(d).length) break;
      idx[d] = 0;
    }
    if (d < 0) break;
  }
}

}  // namespace ckpt::bundle
