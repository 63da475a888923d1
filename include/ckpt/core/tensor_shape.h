// TensorShape: a fully defined shape (every dimension >= 0). Rank 0 is a scalar; a zero
// dimension makes an empty tensor. Partially known shapes (graph placeholders) are
// represented with PartialShape.
//
// Thread safety: values; no shared state.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "ckpt/core/status.h"

namespace ckpt {

inline constexpr int kMaxTensorRank = 254;

class TensorShape {
 public:
  TensorShape() = default;  // scalar
  TensorShape(std::initializer_list<int64_t> dims) : dims_(dims) {}

  // Validates: rank <= kMaxTensorRank, every dim >= 0, element count fits in int64.
  static StatusOr<TensorShape> FromDims(const std::vector<int64_t>& dims);

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t dim(int i) const { return dims_[i]; }
  const std::vector<int64_t>& dims() const { return dims_; }
  // Product of dims (1 for a scalar). REQUIRES: the shape was validated (no overflow).
  int64_t num_elements() const;

  void AddDim(int64_t size) { dims_.push_back(size); }
  void set_dim(int i, int64_t size) { dims_[i] = size; }
  void RemoveDim(int i) { dims_.erase(dims_.begin() + i); }

  // "[2,3]" ; "[]" for scalars.
  std::string DebugString() const;

  friend bool operator==(const TensorShape& a, const TensorShape& b) { return a.dims_ == b.dims_; }

 private:
  std::vector<int64_t> dims_;
};

// A possibly partially known shape: unknown rank, or dims of -1 (unknown).
class PartialShape {
 public:
  PartialShape() = default;  // unknown rank
  static PartialShape Scalar() { return PartialShape(std::vector<int64_t>{}); }
  explicit PartialShape(std::vector<int64_t> dims) : known_rank_(true), dims_(std::move(dims)) {}
  PartialShape(const TensorShape& s) : known_rank_(true), dims_(s.dims()) {}  // NOLINT

  bool known_rank() const { return known_rank_; }
  int rank() const { return known_rank_ ? static_cast<int>(dims_.size()) : -1; }
  const std::vector<int64_t>& dims() const { return dims_; }
  bool IsFullyDefined() const;
  // True if `shape` is an instance of this partial shape.
  bool IsCompatibleWith(const TensorShape& shape) const;
  std::string DebugString() const;  // "<unknown>", "[?,3]"

  friend bool operator==(const PartialShape& a, const PartialShape& b) {
    return a.known_rank_ == b.known_rank_ && a.dims_ == b.dims_;
  }

 private:
  bool known_rank_ = false;
  std::vector<int64_t> dims_;
};

}  // namespace ckpt
