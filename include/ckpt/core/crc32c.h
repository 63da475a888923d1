// CRC32C (Castagnoli), as used in every checksum of TensorFlow's checkpoint files, and TF's
// masking of stored CRCs. Uses the SSE4.2 crc32 instruction when the CPU has it (checked once
// at run time) and a table-driven implementation otherwise; both give identical values.
//
// Thread safety: all functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ckpt::crc32c {

// CRC of `concat(A, data[0, n))` where init_crc = Value(A). Extend(0, d, n) == Value(d, n).
uint32_t Extend(uint32_t init_crc, const void* data, size_t n);

inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// CRC of `concat(A, B)` from crc1 = Value(A), crc2 = Value(B) and len2 = |B|, in O(log len2):
// checksums of pieces computed on different threads join into the checksum of the whole.
uint32_t Combine(uint32_t crc1, uint32_t crc2, uint64_t len2);

// True when the hardware path is in use.
bool HardwareAccelerated();

inline constexpr uint32_t kMaskDelta = 0xa282ead8u;

// Rotate right by 15 bits and add a constant (TF's crc32c::Mask).
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace ckpt::crc32c
