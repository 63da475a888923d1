#include "ckpt/core/tensor.h"

#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <new>

namespace ckpt {
namespace {

constexpr size_t kAlignment = 64;  // Eigen-friendly, cache-line aligned

constexpr size_t kHeader = 64;  // the header's slot right before the elements
static_assert(sizeof(internal::TensorBuffer) <= kHeader);

// One malloc: the header, then `bytes` of elements at the next 64-byte boundary. Plain malloc
// (not posix_memalign) keeps small tensors on malloc's fast per-thread cache. Returns null on
// failure.
// The machine's physical memory: no single tensor may be larger (a hostile shape is refused
// here, the same way in every build, instead of depending on how malloc treats the request).
size_t MaxTensorBytes() {
  static const size_t max = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page)
                                 : std::numeric_limits<size_t>::max() / 2;
  }();
  return max;
}

internal::TensorBuffer* AllocateBuffer(size_t bytes) {
  if (bytes > std::numeric_limits<size_t>::max() - kHeader - 2 * kAlignment) return nullptr;
  if (bytes > MaxTensorBytes()) return nullptr;
  void* base = std::malloc(bytes + kHeader + kAlignment);
  if (base == nullptr) return nullptr;
  const uintptr_t data =
      (reinterpret_cast<uintptr_t>(base) + kHeader + kAlignment - 1) & ~(kAlignment - 1);
  auto* b = new (reinterpret_cast<void*>(data - kHeader)) internal::TensorBuffer();
  b->base = base;
  b->capacity = bytes;
  return b;
}

void* BufferData(internal::TensorBuffer* b) { return reinterpret_cast<char*>(b) + kHeader; }

internal::TensorBuffer* AllocatePod(size_t bytes, bool zero_fill) {
  internal::TensorBuffer* b = AllocateBuffer(bytes);
  if (b != nullptr && zero_fill && bytes > 0) std::memset(BufferData(b), 0, bytes);
  return b;
}

internal::TensorBuffer* AllocateStrings(size_t n) {
  if (n > std::numeric_limits<size_t>::max() / sizeof(std::string) / 2) return nullptr;
  internal::TensorBuffer* b = AllocateBuffer(n * sizeof(std::string));
  if (b == nullptr) return nullptr;
  std::string* s = static_cast<std::string*>(BufferData(b));
  for (size_t i = 0; i < n; ++i) new (s + i) std::string();
  b->num_strings = static_cast<int64_t>(n);
  return b;
}

bool CheckedBytes(DataType dtype, const TensorShape& shape, size_t* bytes) {
  int64_t n = shape.num_elements();
  size_t es = DataTypeSize(dtype);
  if (n < 0) return false;
  if (es != 0 && static_cast<uint64_t>(n) > std::numeric_limits<size_t>::max() / es) return false;
  *bytes = static_cast<size_t>(n) * es;
  return true;
}

}  // namespace

MemoryAccount* MemoryAccount::Create(int64_t limit_bytes) { return new MemoryAccount(limit_bytes); }

void MemoryAccount::Unref() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

bool MemoryAccount::TryCharge(int64_t bytes) {
  int64_t used = in_use_.load(std::memory_order_relaxed);
  do {
    if (bytes > limit_ || used > limit_ - bytes) return false;
  } while (!in_use_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  Ref();
  return true;
}

void MemoryAccount::Release(int64_t bytes) {
  in_use_.fetch_sub(bytes, std::memory_order_relaxed);
  Unref();
}

namespace internal {
void FreeTensorBuffer(TensorBuffer* b) {
  if (b->num_strings > 0) {
    std::string* s = static_cast<std::string*>(BufferData(b));
    for (int64_t i = 0; i < b->num_strings; ++i) s[i].~basic_string();
  }
  if (b->account != nullptr) b->account->Release(static_cast<int64_t>(b->capacity));
  void* base = b->base;
  b->~TensorBuffer();
  std::free(base);
}
}  // namespace internal

Tensor::Tensor(DataType dtype, const TensorShape& shape) {
  auto t = Allocate(dtype, shape);
  if (!t.ok()) {
    std::fprintf(stderr, "ckpt::Tensor: %s\n", t.status().ToString().c_str());
    std::abort();
  }
  *this = std::move(t).value();
}

StatusOr<Tensor> Tensor::Allocate(DataType dtype, const TensorShape& shape) {
  return AllocateImpl(dtype, shape, /*zero_fill=*/true);
}

StatusOr<Tensor> Tensor::AllocateUninitialized(DataType dtype, const TensorShape& shape) {
  return AllocateImpl(dtype, shape, /*zero_fill=*/false);
}

StatusOr<Tensor> Tensor::AllocateReusing(Tensor* spare, DataType dtype, const TensorShape& shape,
                                         bool zero_fill, MemoryAccount* account) {
  size_t bytes = 0;
  if (spare != nullptr && spare->RefCountIsOne() && spare->buf_->num_strings < 0 &&
      DataTypeIsPod(dtype) && CheckedBytes(dtype, shape, &bytes) &&
      bytes <= spare->buf_->capacity) {
    Tensor t;
    t.dtype_ = dtype;
    t.shape_ = shape;
    t.buf_ = spare->buf_;
    t.data_ = BufferData(t.buf_);
    spare->buf_ = nullptr;
    spare->Reset();
    if (zero_fill && bytes > 0) std::memset(t.data_, 0, bytes);
    return t;
  }
  return AllocateImpl(dtype, shape, zero_fill, account);
}

StatusOr<Tensor> Tensor::AllocateImpl(DataType dtype, const TensorShape& shape, bool zero_fill,
                                      MemoryAccount* account) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = shape;
  size_t bytes = 0;
  if (dtype == DataType::kString) {
    const uint64_t n = static_cast<uint64_t>(shape.num_elements());
    bytes = n > std::numeric_limits<size_t>::max() / sizeof(std::string)
                ? std::numeric_limits<size_t>::max()
                : static_cast<size_t>(n) * sizeof(std::string);
  } else if (!DataTypeIsPod(dtype)) {
    return InvalidArgumentError(std::string("cannot allocate a tensor of dtype ") +
                                std::string(DataTypeName(dtype)));
  } else if (!CheckedBytes(dtype, shape, &bytes)) {
    return InvalidArgumentError("tensor of shape " + shape.DebugString() + " is too large");
  }
  if (account != nullptr) {
    const int64_t charge = bytes > static_cast<size_t>(std::numeric_limits<int64_t>::max())
                               ? std::numeric_limits<int64_t>::max()
                               : static_cast<int64_t>(bytes);
    if (!account->TryCharge(charge)) {
      return ResourceExhaustedError("allocating a " + std::string(DataTypeName(dtype)) +
                                    " tensor of shape " + shape.DebugString() + " (" +
                                    std::to_string(bytes) + " bytes) would exceed the memory " +
                                    "limit of " + std::to_string(account->limit()) + " bytes (" +
                                    std::to_string(account->in_use()) + " in use)");
    }
  }
  t.buf_ = dtype == DataType::kString ? AllocateStrings(static_cast<size_t>(shape.num_elements()))
                                      : AllocatePod(bytes, zero_fill);
  if (t.buf_ == nullptr) {
    if (account != nullptr) account->Release(static_cast<int64_t>(bytes));
    return ResourceExhaustedError("out of memory allocating a " + std::string(DataTypeName(dtype)) +
                                  " tensor of shape " + shape.DebugString());
  }
  if (account != nullptr) {
    // The charge covers the buffer's capacity, which is what FreeTensorBuffer releases.
    t.buf_->account = account;
  }
  t.data_ = BufferData(t.buf_);
  return t;
}

StatusOr<Tensor> Tensor::Borrow(DataType dtype, const TensorShape& shape, void* data,
                                size_t size_bytes) {
  if (!DataTypeIsPod(dtype)) {
    return InvalidArgumentError("only fixed-size dtypes can borrow storage, not " +
                                std::string(DataTypeName(dtype)));
  }
  size_t bytes = 0;
  if (!CheckedBytes(dtype, shape, &bytes) || bytes != size_bytes) {
    return InvalidArgumentError("borrowed buffer has " + std::to_string(size_bytes) +
                                " bytes; shape " + shape.DebugString() + " of " +
                                std::string(DataTypeName(dtype)) + " needs " +
                                std::to_string(bytes));
  }
  if (data == nullptr && bytes != 0) return InvalidArgumentError("borrowed buffer is null");
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = shape;
  t.data_ = data;
  return t;
}

Tensor Tensor::FromVector(const std::vector<bool>& values, const TensorShape& shape) {
  Tensor t(DataType::kBool, shape);
  for (size_t i = 0; i < values.size(); ++i) t.data<bool>()[i] = values[i];
  return t;
}

Tensor Tensor::StringScalar(std::string value) {
  Tensor t(DataType::kString, TensorShape{});
  t.strings()[0] = std::move(value);
  return t;
}

Tensor Tensor::FromStrings(const std::vector<std::string>& values, const TensorShape& shape) {
  Tensor t(DataType::kString, shape);
  for (size_t i = 0; i < values.size(); ++i) t.strings()[i] = values[i];
  return t;
}

size_t Tensor::TotalBytes() const {
  size_t bytes = 0;
  if (!DataTypeIsPod(dtype_) || !CheckedBytes(dtype_, shape_, &bytes)) return 0;
  return bytes;
}

Tensor Tensor::Clone() const {
  if (!valid()) return Tensor();
  // Every element is overwritten below: skip the zero fill (a second pass over the memory,
  // which showed up as half the cost of restoring a SavedModel's variables).
  auto fresh = AllocateUninitialized(dtype_, shape_);
  Tensor t = fresh.ok() ? std::move(*fresh) : Tensor(dtype_, shape_);
  if (dtype_ == DataType::kString) {
    for (int64_t i = 0; i < num_elements(); ++i) t.strings()[i] = strings()[i];
  } else if (TotalBytes() > 0) {
    std::memcpy(t.data_, data_, TotalBytes());
  }
  return t;
}

StatusOr<Tensor> Tensor::Reshaped(const TensorShape& shape) const {
  if (shape.num_elements() != num_elements()) {
    return InvalidArgumentError("cannot reshape a tensor of shape " + shape_.DebugString() +
                                " to " + shape.DebugString());
  }
  Tensor t = *this;
  t.shape_ = shape;
  return t;
}

bool Tensor::Equals(const Tensor& other) const {
  if (dtype_ != other.dtype_ || !(shape_ == other.shape_)) return false;
  if (dtype_ == DataType::kString) {
    for (int64_t i = 0; i < num_elements(); ++i) {
      if (strings()[i] != other.strings()[i]) return false;
    }
    return true;
  }
  size_t n = TotalBytes();
  return n == 0 || std::memcmp(data_, other.data_, n) == 0;
}

namespace {
void AppendValue(const Tensor& t, int64_t i, std::string* out) {
  char buf[64];
  switch (t.dtype()) {
    case DataType::kFloat: std::snprintf(buf, sizeof buf, "%g", t.data<float>()[i]); break;
    case DataType::kDouble: std::snprintf(buf, sizeof buf, "%g", t.data<double>()[i]); break;
    case DataType::kInt32: std::snprintf(buf, sizeof buf, "%d", t.data<int32_t>()[i]); break;
    case DataType::kInt64: std::snprintf(buf, sizeof buf, "%" PRId64, t.data<int64_t>()[i]); break;
    case DataType::kBool:
      std::snprintf(buf, sizeof buf, "%s", t.data<bool>()[i] ? "true" : "false");
      break;
    case DataType::kUInt8: std::snprintf(buf, sizeof buf, "%u", t.data<uint8_t>()[i]); break;
    case DataType::kInt8: std::snprintf(buf, sizeof buf, "%d", t.data<int8_t>()[i]); break;
    case DataType::kInt16: std::snprintf(buf, sizeof buf, "%d", t.data<int16_t>()[i]); break;
    case DataType::kUInt16: std::snprintf(buf, sizeof buf, "%u", t.data<uint16_t>()[i]); break;
    case DataType::kUInt32: std::snprintf(buf, sizeof buf, "%u", t.data<uint32_t>()[i]); break;
    case DataType::kUInt64:
      std::snprintf(buf, sizeof buf, "%" PRIu64, t.data<uint64_t>()[i]);
      break;
    case DataType::kString: out->append("\"").append(t.strings()[i]).append("\""); return;
    default: {
      size_t es = DataTypeSize(t.dtype());
      std::string hex = "0x";
      const auto* p = static_cast<const unsigned char*>(t.raw_data()) + i * es;
      for (size_t b = es; b-- > 0;) {
        std::snprintf(buf, sizeof buf, "%02x", p[b]);
        hex += buf;
      }
      out->append(hex);
      return;
    }
  }
  out->append(buf);
}
}  // namespace

std::string Tensor::DebugString(int max_values) const {
  if (!valid()) return "<invalid tensor>";
  std::string s(DataTypeName(dtype_));
  s += shape_.DebugString() + " {";
  int64_t n = num_elements();
  for (int64_t i = 0; i < n && i < max_values; ++i) {
    if (i) s += ", ";
    AppendValue(*this, i, &s);
  }
  if (n > max_values) s += ", ...";
  return s + "}";
}

}  // namespace ckpt
