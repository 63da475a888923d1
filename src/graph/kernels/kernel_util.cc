#include "graph/kernels/kernel_util.h"

#include <algorithm>

namespace ckpt {

std::string DtypeError(const OpKernelContext* ctx, DataType dt) {
  return "op " + ctx->info().op() + " has no CPU kernel for dtype " +
         std::string(DataTypeName(dt));
}

StatusOr<TensorShape> BroadcastShapes(const TensorShape& a, const TensorShape& b) {
  if (a == b) return a;
  const int r = std::max(a.rank(), b.rank());
  int64_t dims[kMaxTensorRank];
  for (int i = 0; i < r; ++i) {
    int64_t da = i < r - a.rank() ? 1 : a.dim(i - (r - a.rank()));
    int64_t db = i < r - b.rank() ? 1 : b.dim(i - (r - b.rank()));
    if (da == db || db == 1) {
      dims[i] = da;
    } else if (da == 1) {
      dims[i] = db;
    } else {
      return InvalidArgumentError("incompatible shapes: " + a.DebugString() + " vs. " +
                                  b.DebugString());
    }
  }
  return TensorShape::FromDims(std::span<const int64_t>(dims, r));
}

std::vector<int64_t> BroadcastStrides(const TensorShape& in, const TensorShape& out) {
  const int r = out.rank();
  std::vector<int64_t> strides(r, 0);
  int64_t s = 1;
  for (int i = in.rank() - 1; i >= 0; --i) {
    const int o = i + (r - in.rank());
    strides[o] = in.dim(i) == 1 ? 0 : s;
    s *= in.dim(i);
  }
  return strides;
}

StatusOr<std::vector<int64_t>> ReadIndexVector(const Tensor& t, std::string_view what) {
  std::vector<int64_t> out;
  if (t.dtype() == DataType::kInt32) {
    for (int32_t v : t.flat<int32_t>()) out.push_back(v);
  } else if (t.dtype() == DataType::kInt64) {
    for (int64_t v : t.flat<int64_t>()) out.push_back(v);
  } else {
    return InvalidArgumentError(std::string(what) + " must be int32 or int64, got " +
                                std::string(DataTypeName(t.dtype())));
  }
  return out;
}

StatusOr<int> NormalizeAxis(int64_t axis, int rank, std::string_view what) {
  if (axis < -rank || axis >= rank) {
    return InvalidArgumentError(std::string(what) + " " + std::to_string(axis) +
                                " is out of range for a tensor of rank " + std::to_string(rank));
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

}  // namespace ckpt
