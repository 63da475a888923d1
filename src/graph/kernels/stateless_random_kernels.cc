// Stateless random ops on TF's Philox-4x32-10 stream, bit-exact with TF's CPU kernels:
// StatelessRandomGetKeyCounter (seed -> key, counter), StatelessRandomUniformV2 (what Keras
// dropout layers emit in graph mode), StatelessRandomNormalV2 and StatelessTruncatedNormalV2
// (Keras' RandomNormal and TruncatedNormal initializers).
//
// Philox-4x32-10 maps a 128-bit counter and a 64-bit key to four 32-bit words. The seed pair
// is scrambled into (key, counter) by one Philox call with a fixed key; output element groups
// then take consecutive counters (one call gives four floats or two doubles). Floats take 23
// random mantissa bits in [1, 2) minus 1; doubles 52 bits from two words.
//
// Normals are Box-Muller pairs: u1 (at least 1e-7) and u2 uniform give
// sqrt(-2 log u1) * (sin, cos)(2 pi u2); a float pair reads two words, a double pair four.
// Truncated normals draw words one at a time and keep values with |x| < 2; output group g
// (four floats or two doubles) starts its draws 256 words per element further into the
// stream (the counter skipped by g * 256 words / 4), so groups are independent.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

namespace {

struct Philox {
  uint32_t counter[4];
  uint32_t key[2];

  static void MulHiLo(uint32_t a, uint32_t b, uint32_t* hi, uint32_t* lo) {
    const uint64_t p = static_cast<uint64_t>(a) * b;
    *hi = static_cast<uint32_t>(p >> 32);
    *lo = static_cast<uint32_t>(p);
  }

  // The four words for the current counter (the counter is not advanced).
  void Block(uint32_t out[4]) const {
    constexpr uint32_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57;
    constexpr uint32_t kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;
    uint32_t c[4] = {counter[0], counter[1], counter[2], counter[3]};
    uint32_t k[2] = {key[0], key[1]};
    for (int round = 0; round < 10; ++round) {
      uint32_t hi0, lo0, hi1, lo1;
      MulHiLo(kM0, c[0], &hi0, &lo0);
      MulHiLo(kM1, c[2], &hi1, &lo1);
      const uint32_t n0 = hi1 ^ c[1] ^ k[0];
      const uint32_t n2 = hi0 ^ c[3] ^ k[1];
      c[0] = n0;
      c[1] = lo1;
      c[2] = n2;
      c[3] = lo0;
      k[0] += kW0;
      k[1] += kW1;
    }
    std::memcpy(out, c, sizeof(c));
  }

  // Advances the counter by `n` blocks.
  void Skip(uint64_t n) {
    const uint32_t lo = static_cast<uint32_t>(n);
    uint32_t hi = static_cast<uint32_t>(n >> 32);
    counter[0] += lo;
    if (counter[0] < lo) ++hi;
    counter[1] += hi;
    if (counter[1] < hi) {
      if (++counter[2] == 0) ++counter[3];
    }
  }

  // 128-bit increment.
  void Next() {
    if (++counter[0] != 0) return;
    if (++counter[1] != 0) return;
    if (++counter[2] != 0) return;
    ++counter[3];
  }
};

StatusOr<std::pair<uint64_t, uint64_t>> ReadSeed(const Tensor& seed) {
  if (seed.shape().rank() != 1 || seed.shape().dim(0) != 2) {
    return InvalidArgumentError("seed must have shape [2], not " + seed.shape().DebugString());
  }
  if (seed.dtype() == DataType::kInt64) {
    return std::make_pair(static_cast<uint64_t>(seed.data<int64_t>()[0]),
                          static_cast<uint64_t>(seed.data<int64_t>()[1]));
  }
  if (seed.dtype() == DataType::kInt32) {
    return std::make_pair(static_cast<uint64_t>(static_cast<int64_t>(seed.data<int32_t>()[0])),
                          static_cast<uint64_t>(static_cast<int64_t>(seed.data<int32_t>()[1])));
  }
  return InvalidArgumentError("seed must be int32 or int64, not " +
                              std::string(DataTypeName(seed.dtype())));
}

Status GetKeyCounter(OpKernelContext* ctx) {
  CKPT_ASSIGN_OR_RETURN(auto seed, ReadSeed(ctx->input(0)));
  Philox p;
  p.key[0] = 0x3ec8f720;
  p.key[1] = 0x02461e29;
  p.counter[0] = static_cast<uint32_t>(seed.first);
  p.counter[1] = static_cast<uint32_t>(seed.first >> 32);
  p.counter[2] = static_cast<uint32_t>(seed.second);
  p.counter[3] = static_cast<uint32_t>(seed.second >> 32);
  uint32_t mix[4];
  p.Block(mix);
  CKPT_ASSIGN_OR_RETURN(Tensor * key, ctx->allocate_output(0, DataType::kUInt64, TensorShape{1}));
  key->data<uint64_t>()[0] = static_cast<uint64_t>(mix[0]) | (static_cast<uint64_t>(mix[1]) << 32);
  CKPT_ASSIGN_OR_RETURN(Tensor * counter,
                        ctx->allocate_output(1, DataType::kUInt64, TensorShape{2}));
  counter->data<uint64_t>()[0] = 0;
  counter->data<uint64_t>()[1] =
      static_cast<uint64_t>(mix[2]) | (static_cast<uint64_t>(mix[3]) << 32);
  return Status::OK();
}

float WordToFloat(uint32_t x) {
  const uint32_t bits = (x & 0x7fffffu) | 0x3f800000u;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f - 1.0f;
}

double WordsToDouble(uint32_t x0, uint32_t x1) {
  const uint64_t bits =
      (((static_cast<uint64_t>(x0) << 32) | x1) & 0xfffffffffffffull) | 0x3ff0000000000000ull;
  double d;
  std::memcpy(&d, &bits, sizeof(d));
  return d - 1.0;
}

enum class Dist { kUniform, kNormal, kTruncatedNormal };

void BoxMullerFloat(uint32_t x0, uint32_t x1, float* f0, float* f1) {
  float u1 = WordToFloat(x0);
  if (u1 < 1.0e-7f) u1 = 1.0e-7f;
  // 2 pi is a double: the product is rounded to float once.
  const float v1 = static_cast<float>(2.0 * M_PI * WordToFloat(x1));
  const float u2 = std::sqrt(-2.0f * std::log(u1));
  float s, c;
  sincosf(v1, &s, &c);  // glibc's sincos, as TF's kernel calls on Linux
  *f0 = s * u2;
  *f1 = c * u2;
}

void BoxMullerDouble(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, double* d0, double* d1) {
  double u1 = WordsToDouble(x0, x1);
  if (u1 < 1.0e-7) u1 = 1.0e-7;
  const double v1 = 2 * M_PI * WordsToDouble(x2, x3);
  const double u2 = std::sqrt(-2.0 * std::log(u1));
  double s, c;
  sincos(v1, &s, &c);
  *d0 = s * u2;
  *d1 = c * u2;
}

// Words one at a time from consecutive blocks.
struct SingleWords {
  Philox* p;
  uint32_t buf[4];
  int used = 4;
  uint32_t operator()() {
    if (used == 4) {
      p->Block(buf);
      p->Next();
      used = 0;
    }
    return buf[used++];
  }
};

template <Dist kDist>
Status RandomV2(OpKernelContext* ctx) {
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ReadIndexVector(ctx->input(0), "shape"));
  const Tensor& key = ctx->input(1);
  const Tensor& counter = ctx->input(2);
  const Tensor& alg = ctx->input(3);
  if (alg.num_elements() != 1) {
    return InvalidArgumentError("alg must be a scalar, not " + alg.shape().DebugString());
  }
  const int32_t a = alg.data<int32_t>()[0];
  if (a != 1 && a != 3) {  // 1 = Philox; 3 = auto-select (Philox on the CPU)
    return UnimplementedError("stateless random algorithm " + std::to_string(a) +
                              " is not supported (only Philox: 1, or auto-select: 3)");
  }
  if (key.num_elements() != 1) {
    return InvalidArgumentError("key must have 1 element, not " + key.shape().DebugString());
  }
  if (counter.num_elements() < 2) {
    return InvalidArgumentError("counter must have at least 2 elements for Philox, not " +
                                counter.shape().DebugString());
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
  const DataType dtype = ctx->info().output_type(0);
  if (dtype != DataType::kFloat && dtype != DataType::kDouble) {
    return UnimplementedError(DtypeError(ctx, dtype));
  }
  CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, dtype, shape));
  Philox base;
  const uint64_t k = key.data<uint64_t>()[0];
  const uint64_t c0 = counter.data<uint64_t>()[0], c1 = counter.data<uint64_t>()[1];
  base.key[0] = static_cast<uint32_t>(k);
  base.key[1] = static_cast<uint32_t>(k >> 32);
  base.counter[0] = static_cast<uint32_t>(c0);
  base.counter[1] = static_cast<uint32_t>(c0 >> 32);
  base.counter[2] = static_cast<uint32_t>(c1);
  base.counter[3] = static_cast<uint32_t>(c1 >> 32);
  const int64_t n = out->num_elements();
  const bool is_float = dtype == DataType::kFloat;
  const int64_t group = is_float ? 4 : 2;
  if constexpr (kDist == Dist::kTruncatedNormal) {
    // 256 words reserved per output element: group g starts g * group * 256 / 4 blocks in.
    const uint64_t skip = static_cast<uint64_t>(group) * 256 / 4;
    for (int64_t g = 0; g * group < n; ++g) {
      Philox p = base;
      p.Skip(static_cast<uint64_t>(g) * skip);
      SingleWords words{&p, {}, 4};
      double vals[4];
      int got = 0;
      while (got < group) {
        double v[2];
        if (is_float) {
          float f[2];
          const uint32_t x0 = words(), x1 = words();
          BoxMullerFloat(x0, x1, &f[0], &f[1]);
          v[0] = f[0];
          v[1] = f[1];
        } else {
          const uint32_t x0 = words(), x1 = words(), x2 = words(), x3 = words();
          BoxMullerDouble(x0, x1, x2, x3, &v[0], &v[1]);
        }
        for (int i = 0; i < 2 && got < group; ++i) {
          if (std::abs(v[i]) < 2.0) vals[got++] = v[i];
        }
      }
      for (int64_t j = 0; j < group && g * group + j < n; ++j) {
        if (is_float) {
          out->data<float>()[g * group + j] = static_cast<float>(vals[j]);
        } else {
          out->data<double>()[g * group + j] = vals[j];
        }
      }
    }
    return Status::OK();
  }
  Philox& p = base;
  uint32_t w[4];
  if (is_float) {
    float* o = out->data<float>();
    for (int64_t i = 0; i < n; i += 4) {
      p.Block(w);
      p.Next();
      float f[4];
      if constexpr (kDist == Dist::kNormal) {
        BoxMullerFloat(w[0], w[1], &f[0], &f[1]);
        BoxMullerFloat(w[2], w[3], &f[2], &f[3]);
      } else {
        for (int j = 0; j < 4; ++j) f[j] = WordToFloat(w[j]);
      }
      for (int64_t j = 0; j < 4 && i + j < n; ++j) o[i + j] = f[j];
    }
  } else {
    double* o = out->data<double>();
    for (int64_t i = 0; i < n; i += 2) {
      p.Block(w);
      p.Next();
      double d[2];
      if constexpr (kDist == Dist::kNormal) {
        BoxMullerDouble(w[0], w[1], w[2], w[3], &d[0], &d[1]);
      } else {
        d[0] = WordsToDouble(w[0], w[1]);
        d[1] = WordsToDouble(w[2], w[3]);
      }
      o[i] = d[0];
      if (i + 1 < n) o[i + 1] = d[1];
    }
  }
  return Status::OK();
}

}  // namespace

void RegisterStatelessRandomKernels(KernelRegistry* r) {
  r->RegisterFn("StatelessRandomGetKeyCounter", GetKeyCounter);
  r->RegisterFn("StatelessRandomUniformV2", RandomV2<Dist::kUniform>);
  r->RegisterFn("StatelessRandomNormalV2", RandomV2<Dist::kNormal>);
  r->RegisterFn("StatelessTruncatedNormalV2", RandomV2<Dist::kTruncatedNormal>);
}

}  // namespace ckpt
