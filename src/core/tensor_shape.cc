#include "ckpt/core/tensor_shape.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace ckpt {

StatusOr<TensorShape> TensorShape::FromDims(std::span<const int64_t> dims) {
  if (dims.size() > static_cast<size_t>(kMaxTensorRank)) {
    return InvalidArgumentError("tensor rank " + std::to_string(dims.size()) +
                                " exceeds the maximum of " + std::to_string(kMaxTensorRank));
  }
  int64_t n = 1;
  bool zero = false;
  for (int64_t d : dims) {
    if (d < 0) return InvalidArgumentError("negative dimension " + std::to_string(d) + " in shape");
    if (d == 0) zero = true;
  }
  if (!zero) {
    for (int64_t d : dims) {
      if (n > std::numeric_limits<int64_t>::max() / d) {
        return InvalidArgumentError("shape has more than 2^63 elements");
      }
      n *= d;
    }
  }
  TensorShape s;
  s.Assign(dims.data(), dims.size());
  return s;
}

void TensorShape::Assign(const int64_t* dims, size_t rank) {
  if (rank > kInline) {
    // Copy first: `dims` may point into this shape's own storage.
    int64_t* heap = new int64_t[rank];
    std::copy(dims, dims + rank, heap);
    Release();
    heap_ = heap;
  } else {
    if (rank_ > kInline) {
      int64_t tmp[kInline];
      std::copy(dims, dims + rank, tmp);
      Release();
      std::copy(tmp, tmp + rank, inline_);
    } else {
      std::copy(dims, dims + rank, inline_);
    }
  }
  rank_ = rank;
  Recount();
}

void TensorShape::Recount() {
  // A zero dimension makes the count 0 whatever the others are: multiplying in order could
  // overflow first ([2^44, 2^23, 0], which FromDims accepts).
  const auto d = dims();
  if (std::find(d.begin(), d.end(), 0) != d.end()) {
    num_elements_ = 0;
    return;
  }
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  num_elements_ = n;
}

void TensorShape::AddDim(int64_t size) {
  if (rank_ < kInline) {
    inline_[rank_++] = size;
    num_elements_ *= size;
    return;
  }
  std::vector<int64_t> v = dim_vector();
  v.push_back(size);
  Assign(v.data(), v.size());
}

void TensorShape::set_dim(int i, int64_t size) {
  data()[i] = size;
  Recount();
}

void TensorShape::RemoveDim(int i) {
  std::vector<int64_t> v = dim_vector();
  v.erase(v.begin() + i);
  Assign(v.data(), v.size());
}

std::string TensorShape::DebugString() const {
  std::string s = "[";
  for (int i = 0; i < rank(); ++i) {
    if (i) s += ",";
    s += std::to_string(dim(i));
  }
  return s + "]";
}

bool PartialShape::IsFullyDefined() const {
  if (!known_rank_) return false;
  for (int64_t d : dims_) {
    if (d < 0) return false;
  }
  return true;
}

bool PartialShape::IsCompatibleWith(const TensorShape& shape) const {
  if (!known_rank_) return true;
  if (static_cast<int>(dims_.size()) != shape.rank()) return false;
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (dims_[i] >= 0 && dims_[i] != shape.dim(static_cast<int>(i))) return false;
  }
  return true;
}

std::string PartialShape::DebugString() const {
  if (!known_rank_) return "<unknown>";
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ",";
    s += dims_[i] < 0 ? "?" : std::to_string(dims_[i]);
  }
  return s + "]";
}

}  // namespace ckpt
