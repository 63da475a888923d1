// TensorSlice: a rectangular sub-region of a tensor, one (start, length) extent per dimension;
// length kFullExtent (-1) means the whole dimension. Used for partitioned variables.
//
// String form (TF's `shape_and_slices` syntax): extents separated by ':', each "-" (full) or
// "start,length"; e.g. "0,5:-".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/status.h"
#include "ckpt/core/tensor_shape.h"

namespace ckpt {

class TensorSlice {
 public:
  static constexpr int64_t kFullExtent = -1;
  struct Extent {
    int64_t start = 0;
    int64_t length = kFullExtent;
    friend bool operator==(const Extent&, const Extent&) = default;
  };

  TensorSlice() = default;                            // rank 0
  explicit TensorSlice(int rank) : extents_(rank) {}  // full in every dimension
  explicit TensorSlice(std::vector<Extent> extents) : extents_(std::move(extents)) {}

  // Parses "0,5:-"; InvalidArgument on malformed input or negative values.
  static StatusOr<TensorSlice> Parse(std::string_view spec);

  int rank() const { return static_cast<int>(extents_.size()); }
  const std::vector<Extent>& extents() const { return extents_; }
  const Extent& extent(int d) const { return extents_[d]; }
  bool IsFullAt(int d) const { return extents_[d].length == kFullExtent; }
  // True when every extent is full.
  bool IsFull() const;

  // Shape of the slice within `full_shape`; InvalidArgument if it does not fit.
  StatusOr<TensorShape> SliceShape(const TensorShape& full_shape) const;
  // True when the slice covers all of `full_shape`.
  bool CoversAll(const TensorShape& full_shape) const;
  // Intersection with `other` (same rank); false if empty.
  bool Intersect(const TensorSlice& other, TensorSlice* result) const;

  std::string ToString() const;  // "0,5:-"; "" for rank 0
  friend bool operator==(const TensorSlice&, const TensorSlice&) = default;

 private:
  std::vector<Extent> extents_;
};

}  // namespace ckpt
