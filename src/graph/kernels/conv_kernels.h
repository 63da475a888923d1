// Window geometry shared by the convolution and pooling kernels (TF's conv/pool output-size
// rules for SAME, VALID and EXPLICIT padding).
#pragma once

#include <array>

#include <cstdint>
#include <string>
#include <vector>

#include "ckpt/core/status.h"

namespace ckpt {

class OpKernelConstruction;

// One spatial dimension of a windowed op.
struct WindowDim {
  int64_t in = 0;      // input size
  int64_t window = 0;  // window (filter) size before dilation
  int64_t stride = 1;
  int64_t dilation = 1;
  int64_t out = 0;         // output size (computed)
  int64_t pad_before = 0;  // rows/cols of implicit padding before the input (computed)
};

// Fills d->out and d->pad_before for `padding` "VALID" or "SAME" as TF does:
//   VALID: out = ceil((in - effective_window + 1) / stride), no padding;
//   SAME:  out = ceil(in / stride), total padding max((out-1)*stride + effective_window - in, 0)
//          with the smaller half before.
// "EXPLICIT" uses `explicit_before`/`explicit_after`.
// InvalidArgument (naming `what`) for a non-positive window/stride/dilation, negative
// explicit padding, or a window larger than the padded input.
Status ComputeWindowDim(const std::string& padding, int64_t explicit_before, int64_t explicit_after,
                        std::string_view what, WindowDim* d);

// Validates and reads NHWC 4-vectors such as strides/ksize/dilations: values[0] and
// values[3] must be 1 (InvalidArgument naming `attr` and `node`), returns {values[1], values[2]}.
StatusOr<std::pair<int64_t, int64_t>> SpatialPair(const std::vector<int64_t>& values,
                                                  std::string_view attr, std::string_view node);

// Reads NHWC `explicit_paddings` (8 values, zero for batch and depth) as {top, bottom, left,
// right}. InvalidArgument naming `node` otherwise.
StatusOr<std::array<int64_t, 4>> ExplicitSpatialPaddings(const std::vector<int64_t>& ep,
                                                         std::string_view node);

// Reads the optional data_format attr: OK for NHWC (the default, and the only layout the CPU
// kernels have), Unimplemented naming the node and op otherwise.
Status RequireNhwc(const OpKernelConstruction& c);

// Reads the explicit_paddings attr of a node whose padding is EXPLICIT, as
// ExplicitSpatialPaddings does.
StatusOr<std::array<int64_t, 4>> ReadExplicitPaddings(const OpKernelConstruction& c);

}  // namespace ckpt
