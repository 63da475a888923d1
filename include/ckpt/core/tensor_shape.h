// TensorShape: a fully defined shape (every dimension >= 0). Rank 0 is a scalar; a zero
// dimension makes an empty tensor. Partially known shapes (graph placeholders) are
// represented with PartialShape.
//
// Thread safety: values; no shared state.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "ckpt/core/status.h"

namespace ckpt {

inline constexpr int kMaxTensorRank = 254;

class TensorShape {
 public:
  TensorShape() = default;  // scalar
  TensorShape(std::initializer_list<int64_t> dims) { Assign(dims.begin(), dims.size()); }
  TensorShape(const TensorShape& other) { CopyFrom(other); }
  TensorShape(TensorShape&& other) noexcept { MoveFrom(other); }
  TensorShape& operator=(const TensorShape& other) {
    if (this != &other) {
      Release();
      CopyFrom(other);
    }
    return *this;
  }
  TensorShape& operator=(TensorShape&& other) noexcept {
    if (this != &other) {
      Release();
      MoveFrom(other);
    }
    return *this;
  }
  ~TensorShape() { Release(); }

  // Validates: rank <= kMaxTensorRank, every dim >= 0, element count fits in int64.
  static StatusOr<TensorShape> FromDims(std::span<const int64_t> dims);
  static StatusOr<TensorShape> FromDims(const std::vector<int64_t>& dims) {
    return FromDims(std::span<const int64_t>(dims));
  }

  int rank() const { return static_cast<int>(rank_); }
  int64_t dim(int i) const { return data()[i]; }
  // The dimensions, valid until the shape is next modified or destroyed.
  std::span<const int64_t> dims() const { return {data(), rank_}; }
  std::vector<int64_t> dim_vector() const { return {data(), data() + rank_}; }
  // Product of dims (1 for a scalar), kept up to date by every mutation.
  // REQUIRES: the shape was validated (no overflow).
  int64_t num_elements() const { return num_elements_; }

  void AddDim(int64_t size);
  void set_dim(int i, int64_t size);
  void RemoveDim(int i);

  // "[2,3]" ; "[]" for scalars.
  std::string DebugString() const;

  friend bool operator==(const TensorShape& a, const TensorShape& b) {
    return a.rank_ == b.rank_ && std::equal(a.data(), a.data() + a.rank_, b.data());
  }

 private:
  // Shapes of rank <= kInline (nearly all of them) live inline, so copying a Tensor allocates
  // nothing for its shape.
  static constexpr size_t kInline = 6;

  const int64_t* data() const { return rank_ <= kInline ? inline_ : heap_; }
  int64_t* data() { return rank_ <= kInline ? inline_ : heap_; }
  void Assign(const int64_t* dims, size_t rank);
  // REQUIRES: this shape holds no heap storage.
  void CopyFrom(const TensorShape& other) {
    if (other.rank_ <= kInline) {
      for (size_t i = 0; i < kInline; ++i) inline_[i] = other.inline_[i];
      rank_ = other.rank_;
      num_elements_ = other.num_elements_;
    } else {
      Assign(other.heap_, other.rank_);
    }
  }
  // REQUIRES: this shape holds no heap storage.
  void MoveFrom(TensorShape& other) noexcept {
    rank_ = other.rank_;
    num_elements_ = other.num_elements_;
    if (rank_ > kInline) {
      heap_ = other.heap_;
    } else {
      for (size_t i = 0; i < kInline; ++i) inline_[i] = other.inline_[i];
    }
    other.rank_ = 0;
    other.num_elements_ = 1;
  }
  void Release() {
    if (rank_ > kInline) delete[] heap_;
    rank_ = 0;
  }
  void Recount();

  size_t rank_ = 0;
  int64_t num_elements_ = 1;
  union {
    int64_t inline_[kInline] = {};
    int64_t* heap_;
  };
};

// A possibly partially known shape: unknown rank, or dims of -1 (unknown).
class PartialShape {
 public:
  PartialShape() = default;  // unknown rank
  static PartialShape Scalar() { return PartialShape(std::vector<int64_t>{}); }
  explicit PartialShape(std::vector<int64_t> dims) : known_rank_(true), dims_(std::move(dims)) {}
  PartialShape(const TensorShape& s) : known_rank_(true), dims_(s.dim_vector()) {}  // NOLINT

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
