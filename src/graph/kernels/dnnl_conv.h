// Float NHWC convolutions on oneDNN's convolution primitives (TF's own CPU convolution
// kernels): Conv2D and depthwise (grouped) convolutions. One DnnlConv belongs to one kernel
// instance: it keeps the primitive for the last input geometry and the filter reordered into
// oneDNN's blocked layout, so a model's weights are reordered once, not on every call.
//
// The cached filter holds a reference to the filter tensor's buffer: while it does, nothing
// writes into that buffer (variable updates are copy-on-write and a buffer another tensor
// holds is never recycled), so "same buffer address" means "same weights". A new buffer (an
// updated variable, another feed) is reordered again.
//
// Built without oneDNN, kHaveDnnlConv is false and Run returns Unimplemented.
#pragma once

#include <cstdint>
#include <memory>

#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"

namespace ckpt {

#if CKPT_HAVE_ONEDNN
inline constexpr bool kHaveDnnlConv = true;
#else
inline constexpr bool kHaveDnnlConv = false;
#endif

// kHaveDnnlConv of the graph library's own build (for code compiled without its definitions,
// such as tests).
bool DnnlConvAvailable();

struct DnnlConvShape {
  int64_t n = 0, ih = 0, iw = 0, ic = 0;   // input [N, IH, IW, IC]
  int64_t oh = 0, ow = 0, oc = 0;          // output [N, OH, OW, OC]
  int64_t kh = 0, kw = 0;                  // window
  int64_t sh = 1, sw = 1, dh = 1, dw = 1;  // strides, dilations (TF's: 1 = none)
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  // 1: Conv2D, filter [KH, KW, IC, OC]. G > 1: grouped, filter [KH, KW, IC / G, OC]
  // (depthwise: G = IC, the same memory as [KH, KW, IC, OC / IC]).
  int64_t groups = 1;
  bool operator==(const DnnlConvShape&) const = default;
};

class DnnlConv {
 public:
  DnnlConv();
  ~DnnlConv();
  DnnlConv(const DnnlConv&) = delete;
  DnnlConv& operator=(const DnnlConv&) = delete;

  // out (N*OH*OW*OC floats, NHWC) = conv(in (NHWC), filter) on `threads` threads. Internal
  // error naming oneDNN's status when a primitive cannot be created or run.
  Status Run(const DnnlConvShape& shape, const Tensor& filter, const float* in, float* out,
             int threads);

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace ckpt
