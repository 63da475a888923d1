// Bool tensors hold bytes 0 and 1 only; any other byte is an invalid value for every reader of
// the tensor (C++ `bool`, NumPy, TensorFlow). The format layer's readers (bundles, TensorProto,
// safetensors, npz) refuse such bytes with this one check, even in a file whose checksum
// matches (a crafted file, not a corrupt one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ckpt::internal {

// "" when every byte of data[0, n) is 0 or 1; else "element I is byte V, expected 0 or 1" for
// the first one that is not.
inline std::string InvalidBoolByte(const void* data, size_t n) {
  const unsigned char* b = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] > 1) {
      return "element " + std::to_string(i) + " is byte " + std::to_string(b[i]) +
             ", expected 0 or 1";
    }
  }
  return "";
}

}  // namespace ckpt::internal
