#include "format/bundle/byte_swap.h"

#include <cstdint>
#include <cstring>

namespace ckpt::bundle {

namespace {
// Reverses the bytes of every whole T-sized element of p[0, num_bytes).
template <typename T, typename Swap>
void SwapEach(unsigned char* p, size_t num_bytes, Swap swap) {
  for (size_t i = 0; i + sizeof(T) <= num_bytes; i += sizeof(T)) {
    T v;
    std::memcpy(&v, p + i, sizeof(T));
    v = swap(v);
    std::memcpy(p + i, &v, sizeof(T));
  }
}
}  // namespace

void ByteSwap(DataType dtype, void* data, size_t num_bytes) {
  size_t unit = DataTypeSize(dtype);
  if (dtype == DataType::kComplex64 || dtype == DataType::kComplex128) unit /= 2;
  auto* p = static_cast<unsigned char*>(data);
  switch (unit) {
    case 2:
      SwapEach<uint16_t>(p, num_bytes, [](uint16_t v) { return __builtin_bswap16(v); });
      break;
    case 4:
      SwapEach<uint32_t>(p, num_bytes, [](uint32_t v) { return __builtin_bswap32(v); });
      break;
    case 8:
      SwapEach<uint64_t>(p, num_bytes, [](uint64_t v) { return __builtin_bswap64(v); });
      break;
    default: break;
  }
}

}  // namespace ckpt::bundle
