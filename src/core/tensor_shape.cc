#include "ckpt/core/tensor_shape.h"

#include <limits>

namespace ckpt {

StatusOr<TensorShape> TensorShape::FromDims(const std::vector<int64_t>& dims) {
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
  s.dims_ = dims;
  return s;
}

int64_t TensorShape::num_elements() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

std::string TensorShape::DebugString() const {
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims_[i]);
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
