// Tensor: a dtype, a shape and a buffer.
//
// Storage is either owned (reference counted, 64-byte aligned; copies of a Tensor share it, as
// in TensorFlow) or borrowed from the caller (Tensor::Borrow: the caller's buffer must outlive
// every Tensor that refers to it). Borrowed tensors let a caller save from and restore into its
// own buffers with no copy.
//
// DT_STRING tensors own an array of std::string. DT_VARIANT/DT_RESOURCE tensors are not
// supported as values (checkpoints never need them to be interpreted).
//
// Thread safety: a Tensor object is a value; concurrent reads are safe, concurrent writes to
// the shared buffer must be synchronized by the caller.
#pragma once

#include <atomic>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ckpt/core/dtype.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor_shape.h"

namespace ckpt {

// A memory budget: counts the bytes of the tensor buffers charged to it that are still alive,
// and refuses a charge that would take the count over its limit. A Session creates one per
// Run when RunOptions::memory_limit_bytes is set, so that a hostile or mistaken graph fails
// with ResourceExhausted before it allocates, instead of exhausting the machine.
//
// Reference counted: Create() returns one reference for the creator, and every charged buffer
// holds one until it is freed, so tensors may outlive the run and the account's creator.
// Thread safety: all methods may be called concurrently.
class MemoryAccount {
 public:
  // A new account with one reference (the caller's; drop it with Unref()).
  static MemoryAccount* Create(int64_t limit_bytes);
  void Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref();

  int64_t limit() const { return limit_; }
  int64_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  // Adds `bytes` and takes a reference; false, with nothing charged, when the count would
  // exceed the limit.
  bool TryCharge(int64_t bytes);
  // Subtracts `bytes` charged earlier and drops that charge's reference.
  void Release(int64_t bytes);

 private:
  explicit MemoryAccount(int64_t limit) : limit_(limit) {}
  const int64_t limit_;
  std::atomic<int64_t> in_use_{0};
  std::atomic<int64_t> refs_{1};
};

namespace internal {
// The header of an owned tensor buffer: one malloc holds this header and, 64-byte aligned
// right after it, the elements.
struct TensorBuffer {
  std::atomic<int64_t> refs{1};
  int64_t num_strings = -1;          // >= 0 for a DT_STRING buffer: the std::strings to destroy
  void* base = nullptr;              // what malloc returned
  size_t capacity = 0;               // bytes available for elements
  MemoryAccount* account = nullptr;  // charged `capacity` bytes, when not null
};
void FreeTensorBuffer(TensorBuffer* b);
}  // namespace internal

class Tensor {
 public:
  // An invalid tensor (dtype kInvalid).
  Tensor() = default;
  Tensor(const Tensor& o) : dtype_(o.dtype_), shape_(o.shape_), buf_(o.buf_), data_(o.data_) {
    if (buf_ != nullptr) buf_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  Tensor(Tensor&& o) noexcept
      : dtype_(o.dtype_), shape_(std::move(o.shape_)), buf_(o.buf_), data_(o.data_) {
    o.dtype_ = DataType::kInvalid;
    o.buf_ = nullptr;
    o.data_ = nullptr;
  }
  Tensor& operator=(const Tensor& o) {
    if (this != &o) {
      if (o.buf_ != nullptr) o.buf_->refs.fetch_add(1, std::memory_order_relaxed);
      Unref();
      dtype_ = o.dtype_;
      shape_ = o.shape_;
      buf_ = o.buf_;
      data_ = o.data_;
    }
    return *this;
  }
  Tensor& operator=(Tensor&& o) noexcept {
    if (this != &o) {
      Unref();
      dtype_ = o.dtype_;
      shape_ = std::move(o.shape_);
      buf_ = o.buf_;
      data_ = o.data_;
      o.dtype_ = DataType::kInvalid;
      o.buf_ = nullptr;
      o.data_ = nullptr;
    }
    return *this;
  }
  ~Tensor() { Unref(); }

  // Allocates zero-initialised owned storage (empty strings for DT_STRING).
  // REQUIRES: dtype is POD or kString.
  Tensor(DataType dtype, const TensorShape& shape);

  // Like the constructor, but returns ResourceExhausted/InvalidArgument instead of aborting
  // when the size is unreasonable or the dtype has no storage.
  static StatusOr<Tensor> Allocate(DataType dtype, const TensorShape& shape);

  // Like Allocate, but the bytes of a POD tensor are left uninitialized (strings are still
  // empty). For callers that overwrite every element right away, e.g. a checkpoint reader:
  // it saves a full pass over the memory.
  static StatusOr<Tensor> AllocateUninitialized(DataType dtype, const TensorShape& shape);

  // Like Allocate (zero_fill) or AllocateUninitialized, but takes the buffer of `*spare` when
  // `spare` is a POD tensor that owns its buffer alone and the buffer has room: then *spare
  // is left invalid and no memory is allocated. A session uses it to recycle a step's
  // intermediate buffers on the next step. A fresh buffer is charged to `account` when it is
  // not null: ResourceExhausted, before allocating, when the account's limit would be exceeded
  // (a reused buffer is not charged again).
  static StatusOr<Tensor> AllocateReusing(Tensor* spare, DataType dtype, const TensorShape& shape,
                                          bool zero_fill, MemoryAccount* account = nullptr);

  // True when this tensor owns (a share of) its buffer; false for borrowed storage
  // (Tensor::Borrow) and invalid tensors.
  bool OwnsBuffer() const { return buf_ != nullptr; }

  // True when this tensor owns its buffer and no other Tensor shares it.
  bool RefCountIsOne() const {
    return buf_ != nullptr && buf_->refs.load(std::memory_order_acquire) == 1;
  }

  // Makes this tensor invalid, releasing its buffer.
  void Reset() {
    Unref();
    dtype_ = DataType::kInvalid;
    data_ = nullptr;
  }

  // Wraps a caller-owned buffer. `data` must hold exactly shape.num_elements() *
  // DataTypeSize(dtype) bytes and outlive the returned tensor and all its copies.
  // REQUIRES: dtype is POD.
  static StatusOr<Tensor> Borrow(DataType dtype, const TensorShape& shape, void* data,
                                 size_t size_bytes);

  // Convenience constructors.
  template <typename T>
  static Tensor Scalar(T value) {
    Tensor t(DataTypeOf<T>::value, TensorShape{});
    t.data<T>()[0] = value;
    return t;
  }
  template <typename T>
  static Tensor FromVector(const std::vector<T>& values, const TensorShape& shape) {
    Tensor t(DataTypeOf<T>::value, shape);
    assert(static_cast<size_t>(shape.num_elements()) == values.size());
    if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
    return t;
  }
  static Tensor FromVector(const std::vector<bool>& values, const TensorShape& shape);
  static Tensor StringScalar(std::string value);
  static Tensor FromStrings(const std::vector<std::string>& values, const TensorShape& shape);

  bool valid() const { return dtype_ != DataType::kInvalid; }
  DataType dtype() const { return dtype_; }
  const TensorShape& shape() const { return shape_; }
  int64_t num_elements() const { return shape_.num_elements(); }
  bool is_borrowed() const { return data_ != nullptr && buf_ == nullptr; }

  // Bytes of the flat element array (POD dtypes); 0 for strings.
  size_t TotalBytes() const;

  // Raw element storage. For DT_STRING, points at std::string[num_elements].
  void* raw_data() { return data_; }
  const void* raw_data() const { return data_; }
  std::span<std::byte> bytes() { return {static_cast<std::byte*>(data_), TotalBytes()}; }
  std::span<const std::byte> bytes() const {
    return {static_cast<const std::byte*>(data_), TotalBytes()};
  }

  // Typed views. REQUIRES: sizeof(T) matches the dtype (not checked beyond an assert).
  template <typename T>
  T* data() {
    return static_cast<T*>(data_);
  }
  template <typename T>
  const T* data() const {
    return static_cast<const T*>(data_);
  }
  template <typename T>
  std::span<T> flat() {
    return {data<T>(), static_cast<size_t>(num_elements())};
  }
  template <typename T>
  std::span<const T> flat() const {
    return {data<T>(), static_cast<size_t>(num_elements())};
  }
  // REQUIRES: dtype == kString.
  std::string* strings() { return static_cast<std::string*>(data_); }
  const std::string* strings() const { return static_cast<const std::string*>(data_); }

  // A deep copy with owned storage.
  Tensor Clone() const;

  // Same buffer, new shape. REQUIRES: same number of elements.
  StatusOr<Tensor> Reshaped(const TensorShape& shape) const;

  // True when both refer to the same storage.
  bool SharesBufferWith(const Tensor& other) const { return data_ == other.data_ && data_; }

  // Element-wise equality of dtype, shape and values (bitwise for floats).
  bool Equals(const Tensor& other) const;

  // Short human-readable rendering: "float32[2,2] {1, 2, 3, 4}" (first `max_values`).
  std::string DebugString(int max_values = 8) const;

 private:
  static StatusOr<Tensor> AllocateImpl(DataType dtype, const TensorShape& shape, bool zero_fill,
                                       MemoryAccount* account = nullptr);

  void Unref() {
    if (buf_ != nullptr && buf_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      internal::FreeTensorBuffer(buf_);
    }
    buf_ = nullptr;
  }

  DataType dtype_ = DataType::kInvalid;
  TensorShape shape_;
  internal::TensorBuffer* buf_ = nullptr;  // owns storage; null when borrowed or invalid
  void* data_ = nullptr;
};

}  // namespace ckpt
