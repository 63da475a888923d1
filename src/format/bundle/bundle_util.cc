#include "format/bundle/bundle_util.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace ckpt::bundle {

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
    if (MulOverflow(n, d.size(), &n)) return InvalidArgumentError("shape has too many elements");
    dims.push_back(d.size());
  }
  return TensorShape::FromDims(dims);
}

void ShapeToProto(const TensorShape& shape, tensorflow::TensorShapeProto* proto) {
  proto->Clear();
  for (int64_t d : shape.dims()) proto->add_dim()->set_size(d);
}

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

namespace {
// Reverses the bytes of every whole T-sized element of p[0, num_bytes).
template <typename T, typename Swap>
void SwapEach(unsigned char* p, size_t num_bytes, Swap swap) {
  for (size_t i = 0; i + sizeof(T) <= num_bytes; i += sizeof(T)) {
    T v;
    std::memcpy(&v, p + i, sizeof(T));
    v = swap(v);
    std::memcpy(p + i, &v, sizeof(T));
  }
}
}  // namespace

void ByteSwap(DataType dtype, void* data, size_t num_bytes) {
  size_t unit = DataTypeSize(dtype);
  if (dtype == DataType::kComplex64 || dtype == DataType::kComplex128) unit /= 2;
  auto* p = static_cast<unsigned char*>(data);
  switch (unit) {
    case 2: SwapEach<uint16_t>(p, num_bytes, [](uint16_t v) { return __builtin_bswap16(v); }); break;
    case 4: SwapEach<uint32_t>(p, num_bytes, [](uint32_t v) { return __builtin_bswap32(v); }); break;
    case 8: SwapEach<uint64_t>(p, num_bytes, [](uint64_t v) { return __builtin_bswap64(v); }); break;
    default: break;
  }
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

Status CheckVersions(const tensorflow::VersionDef& versions, int consumer, int min_producer,
                     std::string_view what) {
  if (versions.producer() < min_producer) {
    return InvalidArgumentError(std::string(what) + " has producer version " +
                                std::to_string(versions.producer()) +
                                ", older than the minimum supported " +
                                std::to_string(min_producer));
  }
  if (versions.min_consumer() > consumer) {
    return InvalidArgumentError(std::string(what) + " requires consumer version >= " +
                                std::to_string(versions.min_consumer()) + ", this reader is " +
                                std::to_string(consumer) +
                                " (written by a newer version with format changes)");
  }
  for (int bad : versions.bad_consumers()) {
    if (bad == consumer) {
      return InvalidArgumentError(std::string(what) + " disallows consumer version " +
                                  std::to_string(consumer));
    }
  }
  return Status();
}

std::string PrintableKey(std::string_view key) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace ckpt::bundle
