// Philox4x32-10 counter-based generator and the sample conversions TF's CPU random kernels use,
// so seeded random ops produce TensorFlow's values.
//
// Philox (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a 128-bit
// counter and 64-bit key; each call yields four uint32 and advances the counter by one.
// Seeding follows TF: key = seed (lo, hi words), counter words 2..3 = seed2.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace ckpt::philox {

class Philox4x32 {
 public:
  using Result = std::array<uint32_t, 4>;

  Philox4x32(uint64_t seed, uint64_t seed2) {
    key_[0] = static_cast<uint32_t>(seed);
    key_[1] = static_cast<uint32_t>(seed >> 32);
    counter_[2] = static_cast<uint32_t>(seed2);
    counter_[3] = static_cast<uint32_t>(seed2 >> 32);
  }

  // Advances the 128-bit counter by `count`.
  void Skip(uint64_t count) {
    const uint32_t lo = static_cast<uint32_t>(count);
    uint32_t hi = static_cast<uint32_t>(count >> 32);
    counter_[0] += lo;
    if (counter_[0] < lo) ++hi;
    counter_[1] += hi;
    if (counter_[1] < hi) {
      if (++counter_[2] == 0) ++counter_[3];
    }
  }

  Result operator()() {
    Result c = counter_;
    std::array<uint32_t, 2> k = key_;
    for (int round = 0; round < 10; ++round) {
      c = Round(c, k);
      k[0] += kW32A;
      k[1] += kW32B;
    }
    Skip(1);
    return c;
  }

 private:
  static constexpr uint32_t kW32A = 0x9E3779B9;
  static constexpr uint32_t kW32B = 0xBB67AE85;
  static constexpr uint32_t kM4x32A = 0xD2511F53;
  static constexpr uint32_t kM4x32B = 0xCD9E8D57;

  static Result Round(const Result& c, const std::array<uint32_t, 2>& k) {
    const uint64_t p0 = static_cast<uint64_t>(kM4x32A) * c[0];
    const uint64_t p1 = static_cast<uint64_t>(kM4x32B) * c[2];
    return {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
            static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
  }

  Result counter_{};
  std::array<uint32_t, 2> key_{};
};

// Hands out the generator's uint32 outputs one at a time.
class SingleSampler {
 public:
  explicit SingleSampler(Philox4x32* gen) : gen_(gen) {}
  uint32_t operator()() {
    if (used_ == 4) {
      buf_ = (*gen_)();
      used_ = 0;
    }
    return buf_[used_++];
  }

 private:
  Philox4x32* gen_;
  Philox4x32::Result buf_{};
  int used_ = 4;
};

// [0, 1) from the 23 mantissa bits.
inline float Uint32ToFloat(uint32_t x) {
  const uint32_t bits = (127u << 23) | (x & 0x7fffffu);
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f - 1.0f;
}

// [0, 1) from 52 mantissa bits (20 from x0, 32 from x1).
inline double Uint64ToDouble(uint32_t x0, uint32_t x1) {
  const uint64_t man = (static_cast<uint64_t>(x0 & 0xfffffu) << 32) | x1;
  const uint64_t bits = (uint64_t{1023} << 52) | man;
  double d;
  std::memcpy(&d, &bits, sizeof(d));
  return d - 1.0;
}

inline void BoxMullerFloat(uint32_t x0, uint32_t x1, float* f0, float* f1) {
  constexpr float kEpsilon = 1.0e-7f;
  float u1 = Uint32ToFloat(x0);
  if (u1 < kEpsilon) u1 = kEpsilon;
  const float v1 = 2.0f * static_cast<float>(M_PI) * Uint32ToFloat(x1);
  const float u2 = std::sqrt(-2.0f * std::log(u1));
  *f0 = std::sin(v1) * u2;
  *f1 = std::cos(v1) * u2;
}

inline void BoxMullerDouble(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, double* d0,
                            double* d1) {
  constexpr double kEpsilon = 1.0e-34;
  double u1 = Uint64ToDouble(x0, x1);
  if (u1 < kEpsilon) u1 = kEpsilon;
  const double v1 = 2 * M_PI * Uint64ToDouble(x2, x3);
  const double u2 = std::sqrt(-2.0 * std::log(u1));
  *d0 = std::sin(v1) * u2;
  *d1 = std::cos(v1) * u2;
}

}  // namespace ckpt::philox
