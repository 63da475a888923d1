// CRC32C. The hardware path runs three independent crc32 instruction streams over adjacent
// blocks (hiding the instruction's 3-cycle latency) and joins them by shifting a CRC over a
// block of zeros with precomputed GF(2) tables. The portable path is slicing-by-8.
#include "ckpt/core/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define CKPT_CRC32C_X86 1
#endif

namespace ckpt::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82f63b78u;  // reflected Castagnoli polynomial

struct SoftTables {
  uint32_t t[8][256];
  SoftTables() {
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = c & 1 ? (c >> 1) ^ kPoly : c >> 1;
      t[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = t[0][n];
      for (int k = 1; k < 8; ++k) {
        c = t[0][c & 0xff] ^ (c >> 8);
        t[k][n] = c;
      }
    }
  }
};
const SoftTables& Soft() {
  static const SoftTables tables;
  return tables;
}

uint32_t ExtendSoftware(uint32_t crc, const unsigned char* p, size_t n) {
  const auto& t = Soft().t;
  uint32_t c = ~crc;
  while (n && (reinterpret_cast<uintptr_t>(p) & 7)) {
    c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    --n;
  }
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    w ^= c;
    c = t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^ t[4][(w >> 24) & 0xff] ^
        t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^ t[1][(w >> 48) & 0xff] ^ t[0][w >> 56];
    p += 8;
    n -= 8;
  }
  while (n--) c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

uint32_t Gf2MatrixTimes(const uint32_t* mat, uint32_t vec) {
  uint32_t sum = 0;
  while (vec) {
    if (vec & 1) sum ^= *mat;
    vec >>= 1;
    ++mat;
  }
  return sum;
}

void Gf2MatrixSquare(uint32_t* square, const uint32_t* mat) {
  for (int n = 0; n < 32; ++n) square[n] = Gf2MatrixTimes(mat, mat[n]);
}

// Operator that appends `len` zero bytes to a CRC register.
void ZerosOperator(uint32_t* even, size_t len) {
  uint32_t odd[32];
  odd[0] = kPoly;
  uint32_t row = 1;
  for (int n = 1; n < 32; ++n) {
    odd[n] = row;
    row <<= 1;
  }
  Gf2MatrixSquare(even, odd);  // 2 zero bits
  Gf2MatrixSquare(odd, even);  // 4 zero bits
  // Each squaring doubles the number of zero bits: 1 byte, 2 bytes, 4 bytes, ...
  do {
    Gf2MatrixSquare(even, odd);
    len >>= 1;
    if (len == 0) return;
    Gf2MatrixSquare(odd, even);
    len >>= 1;
  } while (len);
  std::memcpy(even, odd, sizeof odd);
}

#ifdef CKPT_CRC32C_X86

constexpr size_t kLong = 8192;
constexpr size_t kShort = 256;

struct ShiftTable {
  uint32_t z[4][256];
  explicit ShiftTable(size_t len) {
    uint32_t op[32];
    ZerosOperator(op, len);
    for (uint32_t n = 0; n < 256; ++n) {
      z[0][n] = Gf2MatrixTimes(op, n);
      z[1][n] = Gf2MatrixTimes(op, n << 8);
      z[2][n] = Gf2MatrixTimes(op, n << 16);
      z[3][n] = Gf2MatrixTimes(op, n << 24);
    }
  }
  uint32_t Shift(uint32_t crc) const {
    return z[0][crc & 0xff] ^ z[1][(crc >> 8) & 0xff] ^ z[2][(crc >> 16) & 0xff] ^ z[3][crc >> 24];
  }
};

const ShiftTable& LongShift() {
  static const ShiftTable t(kLong);
  return t;
}
const ShiftTable& ShortShift() {
  static const ShiftTable t(kShort);
  return t;
}

inline uint64_t Load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

template <size_t kBlock>
__attribute__((target("sse4.2"))) inline void ThreeWay(const ShiftTable& shift, uint64_t* c0,
                                                       const unsigned char** next, size_t* n) {
  uint64_t crc0 = *c0;
  const unsigned char* p = *next;
  while (*n >= 3 * kBlock) {
    uint64_t crc1 = 0, crc2 = 0;
    const unsigned char* end = p + kBlock;
    do {
      crc0 = _mm_crc32_u64(crc0, Load64(p));
      crc1 = _mm_crc32_u64(crc1, Load64(p + kBlock));
      crc2 = _mm_crc32_u64(crc2, Load64(p + 2 * kBlock));
      p += 8;
    } while (p < end);
    crc0 = shift.Shift(static_cast<uint32_t>(crc0)) ^ crc1;
    crc0 = shift.Shift(static_cast<uint32_t>(crc0)) ^ crc2;
    p += 2 * kBlock;
    *n -= 3 * kBlock;
  }
  *c0 = crc0;
  *next = p;
}

__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t crc, const unsigned char* p,
                                                          size_t n) {
  uint64_t c = static_cast<uint32_t>(~crc);
  while (n && (reinterpret_cast<uintptr_t>(p) & 7)) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    --n;
  }
  ThreeWay<kLong>(LongShift(), &c, &p, &n);
  ThreeWay<kShort>(ShortShift(), &c, &p, &n);
  while (n >= 8) {
    c = _mm_crc32_u64(c, Load64(p));
    p += 8;
    n -= 8;
  }
  while (n--) c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
  return ~static_cast<uint32_t>(c);
}

bool DetectHardware() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#endif

}  // namespace

bool HardwareAccelerated() {
#ifdef CKPT_CRC32C_X86
  static const bool hw = DetectHardware();
  return hw;
#else
  return false;
#endif
}

uint32_t Extend(uint32_t init_crc, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
#ifdef CKPT_CRC32C_X86
  if (HardwareAccelerated()) return ExtendHardware(init_crc, p, n);
#endif
  return ExtendSoftware(init_crc, p, n);
}

uint32_t Combine(uint32_t crc1, uint32_t crc2, uint64_t len2) {
  if (len2 == 0) return crc1;
  // Applies the operator "append len2 zero bytes" to crc1, one squaring per bit of len2
  // (operators for 1, 2, 4, ... bytes), then adds crc2's contribution.
  uint32_t even[32], odd[32];
  odd[0] = kPoly;  // one zero bit
  uint32_t row = 1;
  for (int n = 1; n < 32; ++n) {
    odd[n] = row;
    row <<= 1;
  }
  Gf2MatrixSquare(even, odd);  // 2 zero bits
  Gf2MatrixSquare(odd, even);  // 4 zero bits
  while (true) {
    Gf2MatrixSquare(even, odd);  // 1, 4, 16, ... bytes
    if (len2 & 1) crc1 = Gf2MatrixTimes(even, crc1);
    len2 >>= 1;
    if (len2 == 0) break;
    Gf2MatrixSquare(odd, even);  // 2, 8, 32, ... bytes
    if (len2 & 1) crc1 = Gf2MatrixTimes(odd, crc1);
    len2 >>= 1;
    if (len2 == 0) break;
  }
  return crc1 ^ crc2;
}

// Exposed for tests: the portable implementation regardless of the CPU.
uint32_t ExtendPortableForTesting(uint32_t init_crc, const void* data, size_t n) {
  return ExtendSoftware(init_crc, static_cast<const unsigned char*>(data), n);
}

}  // namespace ckpt::crc32c
