#include "graph/kernels/kernel_util.h"

#include <algorithm>
#include <cstring>

namespace ckpt {

std::string DtypeError(const OpKernelContext* ctx, DataType dt) {
  return "op " + ctx->info().op() + " has no CPU kernel for dtype " + std::string(DataTypeName(dt));
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

std::vector<int64_t> RowMajorStrides(std::span<const int64_t> dims) {
  std::vector<int64_t> st(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * dims[i + 1];
  return st;
}

namespace {

// dst[j] = src[j * stride] for j < n, elements of U's size (any alignment).
template <typename U>
void GatherRow(const uint8_t* src, int64_t stride, int64_t n, uint8_t* dst) {
  for (int64_t j = 0; j < n; ++j) {
    U v;
    std::memcpy(&v, src + j * stride * static_cast<int64_t>(sizeof(U)), sizeof(U));
    std::memcpy(dst + j * static_cast<int64_t>(sizeof(U)), &v, sizeof(U));
  }
}

struct Bytes16 {
  uint64_t lo, hi;
};

}  // namespace

void StridedCopy(const void* src_data, int64_t offset, std::span<const int64_t> dims,
                 std::span<const int64_t> strides, size_t elem_size, void* dst_data) {
  const int r = static_cast<int>(dims.size());
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  if (n == 0) return;
  const auto es = static_cast<int64_t>(elem_size);
  const auto* src = static_cast<const uint8_t*>(src_data);
  auto* dst = static_cast<uint8_t*>(dst_data);
  if (r == 0) {
    std::memcpy(dst, src + offset * es, elem_size);
    return;
  }
  const int64_t inner = dims[r - 1];
  const int64_t istride = strides[r - 1];
  std::vector<int64_t> idx(r, 0);
  int64_t off = offset;
  for (int64_t base = 0; base < n; base += inner) {
    uint8_t* d = dst + base * es;
    const uint8_t* p = src + off * es;
    if (istride == 1) {
      std::memcpy(d, p, inner * elem_size);
    } else {
      // A gathered row (a transpose's innermost dim): moves of the element's size, not a
      // memcpy call per element.
      switch (elem_size) {
        case 1: GatherRow<uint8_t>(p, istride, inner, d); break;
        case 2: GatherRow<uint16_t>(p, istride, inner, d); break;
        case 4: GatherRow<uint32_t>(p, istride, inner, d); break;
        case 8: GatherRow<uint64_t>(p, istride, inner, d); break;
        case 16: GatherRow<Bytes16>(p, istride, inner, d); break;
        default:
          for (int64_t j = 0; j < inner; ++j) std::memcpy(d + j * es, p + j * istride * es, es);
      }
    }
    for (int k = r - 2; k >= 0; --k) {
      off += strides[k];
      if (++idx[k] < dims[k]) break;
      off -= strides[k] * dims[k];
      idx[k] = 0;
    }
  }
}

StatusOr<std::string> ReadFileWithinLimits(OpKernelContext* ctx, const std::string& name) {
  CKPT_ASSIGN_OR_RETURN(auto file, ctx->env()->NewRandomAccessFile(name));
  const uint64_t size = file->Size();
  const RunLimits* limits = ctx->limits();
  if (limits != nullptr && limits->account != nullptr &&
      size > static_cast<uint64_t>(limits->account->limit())) {
    return ResourceExhaustedError("file '" + name + "' (" + std::to_string(size) +
                                  " bytes) exceeds the run's memory limit of " +
                                  std::to_string(limits->account->limit()) + " bytes");
  }
  if (size > std::string().max_size()) {
    return ResourceExhaustedError("file '" + name + "' is too large to read");
  }
  std::string contents(static_cast<size_t>(size), '\0');
  std::string_view got;
  CKPT_RETURN_IF_ERROR(file->Read(0, contents.size(), &got, contents.data()));
  if (got.size() != size) {
    return DataLossError("file '" + name + "': read " + std::to_string(got.size()) + " of " +
                         std::to_string(size) + " bytes");
  }
  if (got.data() != contents.data()) contents.assign(got);
  return contents;
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

Status GatherAlongAxis(OpKernelContext* ctx, const Tensor& params, const Tensor& indices,
                       int64_t axis_v) {
  if (!DataTypeIsPod(params.dtype())) {
    return UnimplementedError(ctx->info().op() + " does not support dtype " +
                              std::string(DataTypeName(params.dtype())));
  }
  const int r = params.shape().rank();
  if (r == 0) return InvalidArgumentError("params must be at least 1 dimensional");
  CKPT_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_v, r, "Gather axis"));
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadIndexVector(indices, "indices"));
  const int64_t limit = params.shape().dim(axis);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= params.shape().dim(d);
  for (int d = axis + 1; d < r; ++d) inner *= params.shape().dim(d);
  std::vector<int64_t> out_dims(params.shape().dims().begin(),
                                params.shape().dims().begin() + axis);
  for (int64_t d : indices.shape().dims()) out_dims.push_back(d);
  for (int d = axis + 1; d < r; ++d) out_dims.push_back(params.shape().dim(d));
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(out_dims));
  CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, params.dtype(), shape));
  const size_t es = DataTypeSize(params.dtype());
  const auto* src = static_cast<const uint8_t*>(params.raw_data());
  auto* dst = static_cast<uint8_t*>(out->raw_data());
  const int64_t n = static_cast<int64_t>(idx.size());
  for (int64_t i = 0; i < n; ++i) {
    if (idx[i] < 0 || idx[i] >= limit) {
      return InvalidArgumentError("indices[" + std::to_string(i) + "] = " + std::to_string(idx[i]) +
                                  " is not in [0, " + std::to_string(limit) + ")");
    }
  }
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < n; ++i) {
      std::memcpy(dst + ((o * n + i) * inner) * es, src + ((o * limit + idx[i]) * inner) * es,
                  inner * es);
    }
  }
  return Status::OK();
}

}  // namespace ckpt
