#include "ckpt/format/tensor_slice.h"

#include <charconv>
#include <limits>

namespace ckpt {
namespace {

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

StatusOr<TensorSlice> TensorSlice::Parse(std::string_view spec) {
  std::vector<Extent> extents;
  if (spec.empty()) return TensorSlice(std::move(extents));
  size_t pos = 0;
  while (true) {
    size_t colon = spec.find(':', pos);
    std::string_view item =
        spec.substr(pos, colon == std::string_view::npos ? spec.npos : colon - pos);
    Extent e;
    if (item == "-") {
      e.length = kFullExtent;
    } else {
      size_t comma = item.find(',');
      if (comma == std::string_view::npos || !ParseInt64(item.substr(0, comma), &e.start) ||
          !ParseInt64(item.substr(comma + 1), &e.length) || e.start < 0 || e.length < 0 ||
          e.start > std::numeric_limits<int64_t>::max() - e.length) {
        return InvalidArgumentError("invalid tensor slice extent '" + std::string(item) + "' in '" +
                                    std::string(spec) + "'");
      }
    }
    extents.push_back(e);
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
  }
  return TensorSlice(std::move(extents));
}

bool TensorSlice::IsFull() const {
  for (const Extent& e : extents_) {
    if (e.length != kFullExtent) return false;
  }
  return true;
}

StatusOr<TensorShape> TensorSlice::SliceShape(const TensorShape& full_shape) const {
  if (rank() != full_shape.rank()) {
    return InvalidArgumentError("slice " + ToString() + " has rank " + std::to_string(rank()) +
                                " but the tensor shape " + full_shape.DebugString() + " has rank " +
                                std::to_string(full_shape.rank()));
  }
  TensorShape shape;
  for (int d = 0; d < rank(); ++d) {
    const Extent& e = extents_[d];
    int64_t dim = full_shape.dim(d);
    if (e.length == kFullExtent) {
      shape.AddDim(dim);
      continue;
    }
    if (e.start < 0 || e.length < 0 || e.start > dim || e.length > dim - e.start) {
      return InvalidArgumentError("slice " + ToString() + " does not fit in shape " +
                                  full_shape.DebugString());
    }
    shape.AddDim(e.length);
  }
  return shape;
}

bool TensorSlice::CoversAll(const TensorShape& full_shape) const {
  if (IsFull()) return rank() == full_shape.rank();
  auto shape = SliceShape(full_shape);
  return shape.ok() && *shape == full_shape;
}

bool TensorSlice::Intersect(const TensorSlice& other, TensorSlice* result) const {
  if (rank() != other.rank()) return false;
  std::vector<Extent> out(extents_.size());
  for (int d = 0; d < rank(); ++d) {
    const Extent& a = extents_[d];
    const Extent& b = other.extents_[d];
    if (a.length == kFullExtent) {
      out[d] = b;
    } else if (b.length == kFullExtent) {
      out[d] = a;
    } else {
      int64_t lo = std::max(a.start, b.start);
      int64_t hi = std::min(a.start + a.length, b.start + b.length);
      if (hi <= lo) return false;
      out[d] = Extent{lo, hi - lo};
    }
    if (out[d].length == 0) return false;
  }
  if (result) *result = TensorSlice(std::move(out));
  return true;
}

std::string TensorSlice::ToString() const {
  std::string s;
  for (int d = 0; d < rank(); ++d) {
    if (d > 0) s += ':';
    const Extent& e = extents_[d];
    if (e.length == kFullExtent) {
      s += '-';
    } else {
      s += std::to_string(e.start) + "," + std::to_string(e.length);
    }
  }
  return s;
}

}  // namespace ckpt
