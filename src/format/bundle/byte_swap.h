// Byte order of tensor data (big-endian bundles).
#pragma once

#include <cstddef>

#include "ckpt/core/dtype.h"

namespace ckpt::bundle {

// Reverses the byte order of each element (each half of a complex number).
void ByteSwap(DataType dtype, void* data, size_t num_bytes);

}  // namespace ckpt::bundle
