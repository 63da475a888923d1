// Kernels of the ops of src/graph/ops/array_ops.cc: constants, placeholders, identity family,
// shape manipulation, slicing, gathering, concatenation, casts, selection, Pad and the gradient
// helpers BroadcastGradientArgs and StridedSliceGrad. Data movement works on raw elements, so every
// POD dtype is supported where TF allows it.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "graph/kernel.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

namespace {

Status RequirePod(const Tensor& t, std::string_view op) {
  if (!DataTypeIsPod(t.dtype())) {
    return UnimplementedError(std::string(op) + " does not support dtype " +
                              std::string(DataTypeName(t.dtype())));
  }
  return Status::OK();
}

// out = in read at element `offset` + sum(i_d * strides[d]) for every output index.
void StridedCopy(const Tensor& in, int64_t offset, const std::vector<int64_t>& strides,
                 Tensor* out) {
  ckpt::StridedCopy(in.raw_data(), offset, out->shape().dims(), strides, DataTypeSize(in.dtype()),
                    out->raw_data());
}

// ---- simple kernels ------------------------------------------------------------------------

class ConstKernel : public OpKernel {
 public:
  explicit ConstKernel(const OpKernelConstruction& c) {
    // Import (CheckConstValue in graph.cc) already checked the value against the dtype attr.
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("value", &value_));
  }
  Status Compute(OpKernelContext* ctx) override {
    ctx->set_output(0, value_);
    return Status::OK();
  }

 private:
  Tensor value_;
};

class PlaceholderKernel : public OpKernel {
 public:
  explicit PlaceholderKernel(const OpKernelConstruction& c) {
    DataType dt = DataType::kInvalid;
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("dtype", &dt));
    PartialShape shape;
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("shape", &shape));
    message_ = "you must feed a value for placeholder tensor '" + c.name() + "' with dtype " +
               std::string(DataTypeName(dt));
    if (shape.known_rank()) message_ += " and shape " + shape.DebugString();
  }
  Status Compute(OpKernelContext*) override { return InvalidArgumentError(message_); }

 private:
  std::string message_;
};

Status ForwardAll(OpKernelContext* ctx) {
  for (int i = 0; i < ctx->num_inputs(); ++i) ctx->forward_input(i, i);
  return Status::OK();
}

// ---- shapes --------------------------------------------------------------------------------

Status ReshapeFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ReadIndexVector(ctx->input(1), "shape"));
  if (ctx->input(1).shape().rank() > 1) return InvalidArgumentError("shape must be a vector");
  int unknown = -1;
  int64_t known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      if (unknown >= 0) return InvalidArgumentError("only one input size may be -1");
      unknown = static_cast<int>(i);
    } else if (dims[i] < 0) {
      return InvalidArgumentError("size " + std::to_string(i) + " must be non-negative, not " +
                                  std::to_string(dims[i]));
    } else {
      known *= dims[i];
    }
  }
  if (unknown >= 0) {
    if (known == 0 || in.num_elements() % known != 0) {
      return InvalidArgumentError("cannot reshape a tensor with " +
                                  std::to_string(in.num_elements()) + " elements to shape with -1");
    }
    dims[unknown] = in.num_elements() / known;
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
  if (shape.num_elements() != in.num_elements()) {
    return InvalidArgumentError(
        "input to reshape is a tensor with " + std::to_string(in.num_elements()) +
        " values, but the requested shape has " + std::to_string(shape.num_elements()));
  }
  CKPT_ASSIGN_OR_RETURN(Tensor out, in.Reshaped(shape));
  ctx->set_output(0, std::move(out));
  return Status::OK();
}

Status ExpandDimsFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> axis, ReadIndexVector(ctx->input(1), "axis"));
  if (axis.size() != 1) return InvalidArgumentError("axis must be a single element");
  const int r = in.shape().rank();
  CKPT_ASSIGN_OR_RETURN(int a, NormalizeAxis(axis[0], r + 1, "ExpandDims axis"));
  std::vector<int64_t> dims = in.shape().dim_vector();
  dims.insert(dims.begin() + a, 1);
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
  CKPT_ASSIGN_OR_RETURN(Tensor out, in.Reshaped(shape));
  ctx->set_output(0, std::move(out));
  return Status::OK();
}

class SqueezeKernel : public OpKernel {
 public:
  explicit SqueezeKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("squeeze_dims", &axes_));
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    const int r = in.shape().rank();
    std::vector<bool> drop(r, false);
    for (int64_t a : axes_) {
      CKPT_ASSIGN_OR_RETURN(int ax, NormalizeAxis(a, r, "Squeeze axis"));
      if (in.shape().dim(ax) != 1) {
        return InvalidArgumentError("can not squeeze dim[" + std::to_string(ax) +
                                    "], expected a dimension of 1, got " +
                                    std::to_string(in.shape().dim(ax)));
      }
      drop[ax] = true;
    }
    std::vector<int64_t> dims;
    for (int i = 0; i < r; ++i) {
      if (axes_.empty() ? in.shape().dim(i) != 1 : !drop[i]) dims.push_back(in.shape().dim(i));
    }
    CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
    CKPT_ASSIGN_OR_RETURN(Tensor out, in.Reshaped(shape));
    ctx->set_output(0, std::move(out));
    return Status::OK();
  }

 private:
  std::vector<int64_t> axes_;
};

Tensor IndexTensor(DataType dt, std::span<const int64_t> v, bool scalar = false) {
  TensorShape shape = scalar ? TensorShape{} : TensorShape{static_cast<int64_t>(v.size())};
  Tensor t(dt, shape);
  for (size_t i = 0; i < v.size(); ++i) {
    if (dt == DataType::kInt32) {
      t.data<int32_t>()[i] = static_cast<int32_t>(v[i]);
    } else {
      t.data<int64_t>()[i] = v[i];
    }
  }
  return t;
}
Tensor IndexTensor(DataType dt, std::initializer_list<int64_t> v, bool scalar = false) {
  return IndexTensor(dt, std::span<const int64_t>(v.begin(), v.size()), scalar);
}

Status ShapeFn(OpKernelContext* ctx) {
  ctx->set_output(0, IndexTensor(ctx->info().output_type(0), ctx->input(0).shape().dims()));
  return Status::OK();
}
Status ShapeNFn(OpKernelContext* ctx) {
  for (int i = 0; i < ctx->num_inputs(); ++i) {
    ctx->set_output(i, IndexTensor(ctx->info().output_type(i), ctx->input(i).shape().dims()));
  }
  return Status::OK();
}
Status SizeFn(OpKernelContext* ctx) {
  ctx->set_output(0, IndexTensor(ctx->info().output_type(0), {ctx->input(0).num_elements()}, true));
  return Status::OK();
}
Status RankFn(OpKernelContext* ctx) {
  ctx->set_output(0, Tensor::Scalar<int32_t>(ctx->input(0).shape().rank()));
  return Status::OK();
}

Status FillFn(OpKernelContext* ctx) {
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ReadIndexVector(ctx->input(0), "dims"));
  const Tensor& v = ctx->input(1);
  if (v.num_elements() != 1 || v.shape().rank() != 0) {
    return InvalidArgumentError("value must be a scalar, got shape " + v.shape().DebugString());
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
  CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, v.dtype(), shape));
  if (v.dtype() == DataType::kString) {
    for (int64_t i = 0; i < out->num_elements(); ++i) out->strings()[i] = v.strings()[0];
    return Status::OK();
  }
  StridedCopy(v, 0, std::vector<int64_t>(shape.rank(), 0), out);
  return Status::OK();
}

template <int kValue>
Status ConstLikeFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, in.dtype(), in.shape()));
  if (kValue == 0) return Status::OK();  // allocation is zeroed
  const int64_t n = out->num_elements();
  switch (in.dtype()) {
    case DataType::kFloat: std::fill_n(out->data<float>(), n, 1.0f); break;
    case DataType::kDouble: std::fill_n(out->data<double>(), n, 1.0); break;
    case DataType::kInt32: std::fill_n(out->data<int32_t>(), n, 1); break;
    case DataType::kInt64: std::fill_n(out->data<int64_t>(), n, int64_t{1}); break;
    case DataType::kBool: std::fill_n(out->data<bool>(), n, true); break;
    case DataType::kUInt8: std::fill_n(out->data<uint8_t>(), n, uint8_t{1}); break;
    case DataType::kInt8: std::fill_n(out->data<int8_t>(), n, int8_t{1}); break;
    case DataType::kInt16: std::fill_n(out->data<int16_t>(), n, int16_t{1}); break;
    default: return UnimplementedError(DtypeError(ctx, in.dtype()));
  }
  return Status::OK();
}

Status TileFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  CKPT_RETURN_IF_ERROR(RequirePod(in, "Tile"));
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> mult, ReadIndexVector(ctx->input(1), "multiples"));
  const int r = in.shape().rank();
  if (static_cast<int>(mult.size()) != r) {
    return InvalidArgumentError("expected multiples argument to be a vector of length " +
                                std::to_string(r) + " but got length " +
                                std::to_string(mult.size()));
  }
  std::vector<int64_t> out_dims, split_dims, split_strides;
  std::vector<int64_t> st = RowMajorStrides(in.shape().dims());
  for (int i = 0; i < r; ++i) {
    if (mult[i] < 0) return InvalidArgumentError("multiples must be non-negative");
    out_dims.push_back(in.shape().dim(i) * mult[i]);
    split_dims.push_back(mult[i]);
    split_dims.push_back(in.shape().dim(i));
    split_strides.push_back(0);
    split_strides.push_back(st[i]);
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape out_shape, TensorShape::FromDims(out_dims));
  CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, in.dtype(), out_shape));
  CKPT_ASSIGN_OR_RETURN(TensorShape split_shape, TensorShape::FromDims(split_dims));
  Tensor view = out->Reshaped(split_shape).value();
  StridedCopy(in, 0, split_strides, &view);
  return Status::OK();
}

Status BroadcastToFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  CKPT_RETURN_IF_ERROR(RequirePod(in, "BroadcastTo"));
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> dims, ReadIndexVector(ctx->input(1), "shape"));
  CKPT_ASSIGN_OR_RETURN(TensorShape target, TensorShape::FromDims(dims));
  CKPT_ASSIGN_OR_RETURN(TensorShape bs, BroadcastShapes(in.shape(), target));
  if (!(bs == target)) {
    return InvalidArgumentError("cannot broadcast shape " + in.shape().DebugString() + " to " +
                                target.DebugString());
  }
  CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, in.dtype(), target));
  StridedCopy(in, 0, BroadcastStrides(in.shape(), target), out);
  return Status::OK();
}

// values: inputs [0, n); axis: input n (ConcatV2) or an attr-less axis for Pack.
Status ConcatImpl(OpKernelContext* ctx, int n, int64_t axis_value, bool pack) {
  if (n == 0) return InvalidArgumentError("concat of zero tensors");
  const Tensor& first = ctx->input(0);
  CKPT_RETURN_IF_ERROR(RequirePod(first, pack ? "Pack" : "ConcatV2"));
  const int in_rank = first.shape().rank();
  const int out_rank = pack ? in_rank + 1 : in_rank;
  if (!pack && in_rank == 0) return InvalidArgumentError("can't concatenate scalars");
  CKPT_ASSIGN_OR_RETURN(int axis,
                        NormalizeAxis(axis_value, out_rank, pack ? "Pack axis" : "ConcatV2 axis"));
  int64_t total = 0;
  for (int i = 0; i < n; ++i) {
    const Tensor& t = ctx->input(i);
    if (t.shape().rank() != in_rank || t.dtype() != first.dtype()) {
      return InvalidArgumentError("input " + std::to_string(i) + " has shape " +
                                  t.shape().DebugString() + ", expected rank " +
                                  std::to_string(in_rank) + " like input 0 " +
                                  first.shape().DebugString());
    }
    for (int d = 0; d < in_rank; ++d) {
      if (!pack && d == axis) continue;
      if (t.shape().dim(d) != first.shape().dim(d)) {
        return InvalidArgumentError(std::string(pack ? "shapes of all inputs must match"
                                                     : "dimensions of inputs should match") +
                                    ": input 0 has shape " + first.shape().DebugString() +
                                    " and input " + std::to_string(i) + " has shape " +
                                    t.shape().DebugString());
      }
    }
    total += pack ? 1 : t.shape().dim(axis);
  }
  std::vector<int64_t> out_dims = first.shape().dim_vector();
  if (pack) {
    out_dims.insert(out_dims.begin() + axis, n);
  } else {
    out_dims[axis] = total;
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape out_shape, TensorShape::FromDims(out_dims));
  // Every byte is written below (the inputs' chunks tile each outer row), so no zero-fill.
  CKPT_ASSIGN_OR_RETURN(Tensor * out,
                        ctx->allocate_output_uninitialized(0, first.dtype(), out_shape));
  const size_t es = DataTypeSize(first.dtype());
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= out_dims[d];
  std::vector<int64_t> chunk(n);
  for (int i = 0; i < n; ++i) {
    chunk[i] = outer == 0 ? 0 : ctx->input(i).num_elements() / std::max<int64_t>(outer, 1);
  }
  auto* dst = static_cast<uint8_t*>(out->raw_data());
  for (int64_t o = 0; o < outer; ++o) {
    for (int i = 0; i < n; ++i) {
      const auto* src = static_cast<const uint8_t*>(ctx->input(i).raw_data());
      std::memcpy(dst, src + o * chunk[i] * es, chunk[i] * es);
      dst += chunk[i] * es;
    }
  }
  return Status::OK();
}

Status ConcatV2Fn(OpKernelContext* ctx) {
  const int n = ctx->num_inputs() - 1;
  const Tensor& axis_t = ctx->input(n);
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> axis, ReadIndexVector(axis_t, "axis"));
  if (axis.size() != 1 || axis_t.shape().rank() != 0) {
    return InvalidArgumentError("concat axis must be a scalar");
  }
  return ConcatImpl(ctx, n, axis[0], false);
}

class PackKernel : public OpKernel {
 public:
  explicit PackKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("axis", &axis_));
  }
  Status Compute(OpKernelContext* ctx) override {
    return ConcatImpl(ctx, ctx->num_inputs(), axis_, true);
  }

 private:
  int64_t axis_ = 0;
};

class UnpackKernel : public OpKernel {
 public:
  explicit UnpackKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("axis", &axis_));
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    CKPT_RETURN_IF_ERROR(RequirePod(in, "Unpack"));
    const int r = in.shape().rank();
    CKPT_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_, r, "Unpack axis"));
    const int64_t num = in.shape().dim(axis);
    if (num != ctx->num_outputs()) {
      return InvalidArgumentError("input dimension " + std::to_string(num) + " along axis " +
                                  std::to_string(axis) + " does not match num " +
                                  std::to_string(ctx->num_outputs()));
    }
    std::vector<int64_t> dims = in.shape().dim_vector();
    dims.erase(dims.begin() + axis);
    TensorShape out_shape = TensorShape::FromDims(dims).value();
    std::vector<int64_t> st = RowMajorStrides(in.shape().dims());
    std::vector<int64_t> out_st = st;
    out_st.erase(out_st.begin() + axis);
    for (int64_t i = 0; i < num; ++i) {
      CKPT_ASSIGN_OR_RETURN(Tensor * out,
                            ctx->allocate_output(static_cast<int>(i), in.dtype(), out_shape));
      StridedCopy(in, i * st[axis], out_st, out);
    }
    return Status::OK();
  }

 private:
  int64_t axis_ = 0;
};

Status TransposeFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  CKPT_RETURN_IF_ERROR(RequirePod(in, "Transpose"));
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> perm, ReadIndexVector(ctx->input(1), "perm"));
  const int r = in.shape().rank();
  if (static_cast<int>(perm.size()) != r) {
    return InvalidArgumentError("transpose expects a vector of size " + std::to_string(r) +
                                ", but got " + std::to_string(perm.size()));
  }
  std::vector<bool> seen(r, false);
  std::vector<int64_t> st = RowMajorStrides(in.shape().dims()), out_dims(r), out_st(r);
  for (int i = 0; i < r; ++i) {
    if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]) {
      return InvalidArgumentError("transpose permutation is not a permutation of 0.." +
                                  std::to_string(r - 1));
    }
    seen[perm[i]] = true;
    out_dims[i] = in.shape().dim(perm[i]);
    out_st[i] = st[perm[i]];
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(out_dims));
  CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, in.dtype(), shape));
  StridedCopy(in, 0, out_st, out);
  return Status::OK();
}

Status SliceFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  CKPT_RETURN_IF_ERROR(RequirePod(in, "Slice"));
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> begin, ReadIndexVector(ctx->input(1), "begin"));
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> size, ReadIndexVector(ctx->input(2), "size"));
  const int r = in.shape().rank();
  if (static_cast<int>(begin.size()) != r || static_cast<int>(size.size()) != r) {
    return InvalidArgumentError("expected begin and size arguments to be 1-D tensors of size " +
                                std::to_string(r));
  }
  std::vector<int64_t> st = RowMajorStrides(in.shape().dims());
  int64_t offset = 0;
  for (int i = 0; i < r; ++i) {
    const int64_t d = in.shape().dim(i);
    if (size[i] == -1) size[i] = d - begin[i];
    if (begin[i] < 0 || size[i] < 0 || begin[i] + size[i] > d) {
      return InvalidArgumentError("expected begin[" + std::to_string(i) +
                                  "] = " + std::to_string(begin[i]) +
                                  " and size = " + std::to_string(size[i]) +
                                  " within dimension of size " + std::to_string(d));
    }
    offset += begin[i] * st[i];
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(size));
  CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, in.dtype(), shape));
  if (shape.num_elements() > 0) StridedCopy(in, offset, st, out);
  return Status::OK();
}

// The mask attrs StridedSlice and StridedSliceGrad share.
class StridedSliceMasks : public OpKernel {
 protected:
  explicit StridedSliceMasks(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("begin_mask", &begin_mask_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("end_mask", &end_mask_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("ellipsis_mask", &ellipsis_mask_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("new_axis_mask", &new_axis_mask_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("shrink_axis_mask", &shrink_axis_mask_));
  }
  int64_t begin_mask_ = 0, end_mask_ = 0, ellipsis_mask_ = 0, new_axis_mask_ = 0,
          shrink_axis_mask_ = 0;
};

class StridedSliceKernel : public StridedSliceMasks {
 public:
  explicit StridedSliceKernel(const OpKernelConstruction& c) : StridedSliceMasks(c) {}
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    CKPT_RETURN_IF_ERROR(RequirePod(in, "StridedSlice"));
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> begin, ReadIndexVector(ctx->input(1), "begin"));
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> end, ReadIndexVector(ctx->input(2), "end"));
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> strides, ReadIndexVector(ctx->input(3), "strides"));
    const int n = static_cast<int>(begin.size());
    if (static_cast<int>(end.size()) != n || static_cast<int>(strides.size()) != n) {
      return InvalidArgumentError("begin, end and strides must have the same length");
    }
    const int r = in.shape().rank();
    std::vector<int64_t> in_st = RowMajorStrides(in.shape().dims());
    // Expand the sparse spec (with ellipsis and new axes) into per-input-dim ranges.
    std::vector<int64_t> final_dims;     // output shape after shrink
    std::vector<int64_t> final_strides;  // input stride per output dim
    int64_t offset = 0;
    int in_dim = 0;
    int num_real = 0;  // spec entries consuming an input dim
    for (int i = 0; i < n; ++i) {
      if (ellipsis_mask_ & (int64_t{1} << i)) continue;
      if (!(new_axis_mask_ & (int64_t{1} << i))) ++num_real;
    }
    for (int i = 0; i < n; ++i) {
      const int64_t bit = int64_t{1} << i;
      if (ellipsis_mask_ & bit) {
        const int covered = r - num_real;
        for (int k = 0; k < covered && in_dim < r; ++k, ++in_dim) {
          final_dims.push_back(in.shape().dim(in_dim));
          final_strides.push_back(in_st[in_dim]);
        }
        continue;
      }
      if (new_axis_mask_ & bit) {
        final_dims.push_back(1);
        final_strides.push_back(0);
        continue;
      }
      if (in_dim >= r) {
        return InvalidArgumentError("index " + std::to_string(i) + " out of bounds for rank " +
                                    std::to_string(r));
      }
      const int64_t d = in.shape().dim(in_dim);
      const int64_t stride = strides[i];
      if (stride == 0)
        return InvalidArgumentError("strides[" + std::to_string(i) + "] must be non-zero");
      if (shrink_axis_mask_ & bit) {
        int64_t b = begin[i] < 0 ? begin[i] + d : begin[i];
        if (b < 0 || b >= d) {
          return InvalidArgumentError("slice index " + std::to_string(begin[i]) + " of dimension " +
                                      std::to_string(in_dim) + " out of bounds");
        }
        offset += b * in_st[in_dim];
        ++in_dim;
        continue;
      }
      int64_t b, e;
      auto clamp = [&](int64_t v, bool masked, bool is_begin) -> int64_t {
        if (masked) {
          if (stride > 0) return is_begin ? 0 : d;
          return is_begin ? d - 1 : -1;
        }
        if (v < 0) v += d;
        if (stride > 0) return std::clamp<int64_t>(v, 0, d);
        return std::clamp<int64_t>(v, -1, d - 1);
      };
      b = clamp(begin[i], begin_mask_ & bit, true);
      e = clamp(end[i], end_mask_ & bit, false);
      int64_t len = stride > 0 ? (e > b ? (e - b + stride - 1) / stride : 0)
                               : (b > e ? (b - e + (-stride) - 1) / (-stride) : 0);
      if (len > 0) offset += b * in_st[in_dim];
      final_dims.push_back(len);
      final_strides.push_back(stride * in_st[in_dim]);
      ++in_dim;
    }
    for (; in_dim < r; ++in_dim) {
      final_dims.push_back(in.shape().dim(in_dim));
      final_strides.push_back(in_st[in_dim]);
    }
    CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(final_dims));
    CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, in.dtype(), shape));
    if (shape.num_elements() > 0) StridedCopy(in, offset, final_strides, out);
    return Status::OK();
  }
};

class GatherKernel : public OpKernel {
 public:
  explicit GatherKernel(const OpKernelConstruction& c) : v2_(c.op() == "GatherV2") {
    if (v2_) CKPT_OP_REQUIRES_OK(c, c.GetAttr("batch_dims", &batch_dims_));
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& params = ctx->input(0);
    const Tensor& indices = ctx->input(1);
    if (batch_dims_ != 0) return UnimplementedError("GatherV2 with batch_dims != 0");
    int64_t axis_v = 0;
    if (v2_) {
      CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> a, ReadIndexVector(ctx->input(2), "axis"));
      if (a.size() != 1) return InvalidArgumentError("axis must be a scalar");
      axis_v = a[0];
    }
    return GatherAlongAxis(ctx, params, indices, axis_v);
  }

 private:
  bool v2_;
  int64_t batch_dims_ = 0;
};

class OneHotKernel : public OpKernel {
 public:
  explicit OneHotKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("axis", &axis_));
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& indices = ctx->input(0);
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> depth_v, ReadIndexVector(ctx->input(1), "depth"));
    if (depth_v.size() != 1 || depth_v[0] < 0) {
      return InvalidArgumentError("depth must be a non-negative scalar");
    }
    const int64_t depth = depth_v[0];
    const Tensor& on = ctx->input(2);
    const Tensor& off = ctx->input(3);
    if (on.num_elements() != 1 || off.num_elements() != 1) {
      return InvalidArgumentError("on_value and off_value must be scalars");
    }
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadIndexVector(indices, "indices"));
    const int r = indices.shape().rank();
    const int axis = axis_ == -1 ? r : static_cast<int>(axis_);
    if (axis < 0 || axis > r) return InvalidArgumentError("OneHot axis out of range");
    std::vector<int64_t> dims = indices.shape().dim_vector();
    dims.insert(dims.begin() + axis, depth);
    CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
    CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, on.dtype(), shape));
    CKPT_RETURN_IF_ERROR(RequirePod(on, "OneHot"));
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= indices.shape().dim(d);
    for (int d = axis; d < r; ++d) inner *= indices.shape().dim(d);
    const size_t es = DataTypeSize(on.dtype());
    auto* dst = static_cast<uint8_t*>(out->raw_data());
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t k = 0; k < depth; ++k) {
        for (int64_t i = 0; i < inner; ++i) {
          const bool hit = idx[o * inner + i] == k;
          std::memcpy(dst + ((o * depth + k) * inner + i) * es, (hit ? on : off).raw_data(), es);
        }
      }
    }
    return Status::OK();
  }

 private:
  int64_t axis_ = -1;
};

template <typename T>
Status RangeT(OpKernelContext* ctx) {
  const T start = ctx->input(0).data<T>()[0];
  const T limit = ctx->input(1).data<T>()[0];
  const T delta = ctx->input(2).data<T>()[0];
  if (delta == 0) return InvalidArgumentError("requires delta != 0");
  if (delta > 0 ? start > limit : start < limit) {
    return InvalidArgumentError("requires start <= limit when delta > 0 (or >= when delta < 0)");
  }
  const double count = std::ceil(std::abs((static_cast<double>(limit) - start) / delta));
  if (count > (1LL << 40)) return InvalidArgumentError("range too large");
  const int64_t n = static_cast<int64_t>(count);
  CKPT_ASSIGN_OR_RETURN(Tensor * out,
                        ctx->allocate_output(0, DataTypeOf<T>::value, TensorShape{n}));
  T v = start;
  for (int64_t i = 0; i < n; ++i, v += delta) out->data<T>()[i] = v;
  return Status::OK();
}

Status RangeFn(OpKernelContext* ctx) {
  for (int i = 0; i < 3; ++i) {
    if (ctx->input(i).num_elements() != 1) {
      return InvalidArgumentError("range arguments must be scalars");
    }
  }
  switch (ctx->input(0).dtype()) {
    case DataType::kFloat: return RangeT<float>(ctx);
    case DataType::kDouble: return RangeT<double>(ctx);
    case DataType::kInt32: return RangeT<int32_t>(ctx);
    case DataType::kInt64: return RangeT<int64_t>(ctx);
    default: return UnimplementedError(DtypeError(ctx, ctx->input(0).dtype()));
  }
}

// ---- Cast ------------------------------------------------------------------------------

template <typename S, typename D>
void CastLoop(const Tensor& in, Tensor* out) {
  const S* s = in.data<S>();
  D* d = out->data<D>();
  const int64_t n = in.num_elements();
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<D, bool>) {
      d[i] = s[i] != S(0);
    } else {
      d[i] = static_cast<D>(s[i]);
    }
  }
}

template <typename S>
Status CastFrom(const Tensor& in, Tensor* out) {
  switch (out->dtype()) {
    case DataType::kFloat: CastLoop<S, float>(in, out); break;
    case DataType::kDouble: CastLoop<S, double>(in, out); break;
    case DataType::kInt32: CastLoop<S, int32_t>(in, out); break;
    case DataType::kInt64: CastLoop<S, int64_t>(in, out); break;
    case DataType::kBool: CastLoop<S, bool>(in, out); break;
    case DataType::kUInt8: CastLoop<S, uint8_t>(in, out); break;
    case DataType::kInt8: CastLoop<S, int8_t>(in, out); break;
    case DataType::kInt16: CastLoop<S, int16_t>(in, out); break;
    case DataType::kUInt16: CastLoop<S, uint16_t>(in, out); break;
    case DataType::kUInt32: CastLoop<S, uint32_t>(in, out); break;
    case DataType::kUInt64: CastLoop<S, uint64_t>(in, out); break;
    default:
      return UnimplementedError("Cast to " + std::string(DataTypeName(out->dtype())) +
                                " is not supported");
  }
  return Status::OK();
}

Status CastFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  const DataType dst = ctx->info().output_type(0);
  if (in.dtype() == dst) {
    ctx->set_output(0, in);
    return Status::OK();
  }
  CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, dst, in.shape()));
  switch (in.dtype()) {
    case DataType::kFloat: return CastFrom<float>(in, out);
    case DataType::kDouble: return CastFrom<double>(in, out);
    case DataType::kInt32: return CastFrom<int32_t>(in, out);
    case DataType::kInt64: return CastFrom<int64_t>(in, out);
    case DataType::kBool: return CastFrom<bool>(in, out);
    case DataType::kUInt8: return CastFrom<uint8_t>(in, out);
    case DataType::kInt8: return CastFrom<int8_t>(in, out);
    case DataType::kInt16: return CastFrom<int16_t>(in, out);
    case DataType::kUInt16: return CastFrom<uint16_t>(in, out);
    case DataType::kUInt32: return CastFrom<uint32_t>(in, out);
    case DataType::kUInt64: return CastFrom<uint64_t>(in, out);
    default:
      return UnimplementedError("Cast from " + std::string(DataTypeName(in.dtype())) +
                                " is not supported");
  }
}

// ---- Select ------------------------------------------------------------------------------

template <typename T>
void SelectElem(const Tensor& c, const Tensor& a, const Tensor& b, Tensor* out, int64_t inner) {
  const bool* pc = c.data<bool>();
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  T* po = out->data<T>();
  const int64_t n = out->num_elements();
  for (int64_t i = 0; i < n; ++i) po[i] = pc[inner == 0 ? i : i / inner] ? pa[i] : pb[i];
}

Status SelectGeneric(OpKernelContext* ctx, bool v2) {
  const Tensor& c = ctx->input(0);
  const Tensor& a = ctx->input(1);
  const Tensor& b = ctx->input(2);
  CKPT_RETURN_IF_ERROR(RequirePod(a, "Select"));
  const size_t es = DataTypeSize(a.dtype());
  if (v2) {
    CKPT_ASSIGN_OR_RETURN(TensorShape s1, BroadcastShapes(c.shape(), a.shape()));
    CKPT_ASSIGN_OR_RETURN(TensorShape shape, BroadcastShapes(s1, b.shape()));
    CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, a.dtype(), shape));
    if (shape.num_elements() == 0) return Status::OK();
    auto pick = [](bool cond, auto x, auto y) { return cond ? x : y; };
    switch (es) {
      case 1: BroadcastTernary<bool, uint8_t>(c, a, b, out, pick); break;
      case 2: BroadcastTernary<bool, uint16_t>(c, a, b, out, pick); break;
      case 4: BroadcastTernary<bool, uint32_t>(c, a, b, out, pick); break;
      case 8: BroadcastTernary<bool, uint64_t>(c, a, b, out, pick); break;
      default: return UnimplementedError(DtypeError(ctx, a.dtype()));
    }
    return Status::OK();
  }
  if (!(a.shape() == b.shape())) {
    return InvalidArgumentError("'then' and 'else' must have the same size. but received: " +
                                a.shape().DebugString() + " vs. " + b.shape().DebugString());
  }
  int64_t inner = 0;
  if (!(c.shape() == a.shape())) {
    if (c.shape().rank() == 1 && a.shape().rank() >= 1 && c.shape().dim(0) == a.shape().dim(0)) {
      inner = a.shape().dim(0) == 0 ? 1 : a.num_elements() / a.shape().dim(0);
    } else if (c.shape().rank() == 0) {
      inner = std::max<int64_t>(a.num_elements(), 1);
    } else {
      return InvalidArgumentError(
          "'condition' must be a scalar, a vector matching the first "
          "dimension, or the shape of 'then', got " +
          c.shape().DebugString() + " vs. " + a.shape().DebugString());
    }
  }
  CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, a.dtype(), a.shape()));
  switch (es) {
    case 1: SelectElem<uint8_t>(c, a, b, out, inner); break;
    case 2: SelectElem<uint16_t>(c, a, b, out, inner); break;
    case 4: SelectElem<uint32_t>(c, a, b, out, inner); break;
    case 8: SelectElem<uint64_t>(c, a, b, out, inner); break;
    default: return UnimplementedError(DtypeError(ctx, a.dtype()));
  }
  return Status::OK();
}

// BroadcastGradientArgs(s0, s1) -> (r0, r1): the axes each input was broadcast along.
Status BroadcastGradientArgs(OpKernelContext* ctx) {
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> s0, ReadIndexVector(ctx->input(0), "s0"));
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> s1, ReadIndexVector(ctx->input(1), "s1"));
  const size_t r = std::max(s0.size(), s1.size());
  std::vector<int64_t> r0, r1;
  for (size_t i = 0; i < r; ++i) {
    const int64_t a = i < r - s0.size() ? 1 : s0[i - (r - s0.size())];
    const int64_t b = i < r - s1.size() ? 1 : s1[i - (r - s1.size())];
    if (a == b) {
      if (a == 1) {
        r0.push_back(static_cast<int64_t>(i));
        r1.push_back(static_cast<int64_t>(i));
      }
    } else if (a == 1) {
      r0.push_back(static_cast<int64_t>(i));
    } else if (b == 1) {
      r1.push_back(static_cast<int64_t>(i));
    } else {
      return InvalidArgumentError("Incompatible shapes: [" + std::to_string(a) + "] vs. [" +
                                  std::to_string(b) + "] at dimension " + std::to_string(i));
    }
  }
  const DataType dt = ctx->input(0).dtype();
  for (int k = 0; k < 2; ++k) {
    const auto& v = k == 0 ? r0 : r1;
    CKPT_ASSIGN_OR_RETURN(Tensor * out,
                          ctx->allocate_output(k, dt, TensorShape{static_cast<int64_t>(v.size())}));
    for (size_t i = 0; i < v.size(); ++i) {
      if (dt == DataType::kInt32) {
        out->data<int32_t>()[i] = static_cast<int32_t>(v[i]);
      } else {
        out->data<int64_t>()[i] = v[i];
      }
    }
  }
  return Status::OK();
}

// Copies every element of `src` into `dst` at dst_index = sum((idx[d] * step[d] + off[d]) *
// dst_stride[d]) (used by Pad and StridedSliceGrad). The trailing dims that are contiguous in
// `dst` as in `src` (unit step, nothing between rows: a Pad of H and W copies whole channel
// rows) are copied as one run per position of the leading dims.
template <typename T>
void Scatter(const T* src, const TensorShape& src_shape, T* dst,
             const std::vector<int64_t>& dst_offset, const std::vector<int64_t>& dst_step,
             const std::vector<int64_t>& dst_stride) {
  const int r = src_shape.rank();
  if (src_shape.num_elements() == 0) return;
  int inner = r;  // dims [inner, r) form one run of `run` elements in dst
  int64_t run = 1, run_offset = 0;
  while (inner > 0 && dst_step[inner - 1] == 1 && dst_stride[inner - 1] == run) {
    --inner;
    run *= src_shape.dim(inner);
    run_offset += dst_offset[inner] * dst_stride[inner];
  }
  std::vector<int64_t> idx(inner, 0);
  for (const T* s = src;; s += run) {
    int64_t o = run_offset;
    for (int d = 0; d < inner; ++d) o += (idx[d] * dst_step[d] + dst_offset[d]) * dst_stride[d];
    std::copy_n(s, run, dst + o);
    int d = inner - 1;
    for (; d >= 0; --d) {
      if (++idx[d] < src_shape.dim(d)) break;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

// The paddings input of Pad/PadV2/MirrorPad as (before, after) per dim of an input of rank r.
StatusOr<std::vector<int64_t>> ReadPaddings(const Tensor& t, int r) {
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> pads, ReadIndexVector(t, "paddings"));
  if (t.shape().rank() != 2 || static_cast<int>(pads.size()) != 2 * r) {
    return InvalidArgumentError("paddings must be a matrix of shape [" + std::to_string(r) +
                                ", 2], got " + t.shape().DebugString());
  }
  for (int64_t p : pads) {
    if (p < 0)
      return InvalidArgumentError("paddings must be non-negative, got " + std::to_string(p));
  }
  return pads;
}

// Pad(input, paddings[rank, 2]) with zeros; PadV2 with the scalar constant_values.
template <bool kV2>
Status PadImpl(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  const int r = in.shape().rank();
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> pads, ReadPaddings(ctx->input(1), r));
  if constexpr (kV2) {
    const Tensor& cv = ctx->input(2);
    if (cv.num_elements() != 1 || cv.shape().rank() != 0) {
      return InvalidArgumentError("constant_values must be a scalar, got shape " +
                                  cv.shape().DebugString());
    }
  }
  std::vector<int64_t> od(r), off(r), step(r, 1);
  for (int d = 0; d < r; ++d) {
    if (__builtin_add_overflow(in.shape().dim(d), pads[2 * d], &od[d]) ||
        __builtin_add_overflow(od[d], pads[2 * d + 1], &od[d])) {
      return InvalidArgumentError("padded dimension " + std::to_string(d) + " overflows");
    }
    off[d] = pads[2 * d];
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape out_shape, TensorShape::FromDims(od));
  auto run = [&](auto zero) -> Status {
    using T = decltype(zero);
    T fill = T(0);
    if constexpr (kV2) fill = ctx->input(2).data<T>()[0];
    CKPT_ASSIGN_OR_RETURN(Tensor * out,
                          ctx->allocate_output_uninitialized(0, in.dtype(), out_shape));
    std::fill(out->data<T>(), out->data<T>() + out->num_elements(), fill);
    if (in.num_elements() > 0) {
      Scatter<T>(in.data<T>(), in.shape(), out->data<T>(), off, step,
                 RowMajorStrides(out_shape.dims()));
    }
    return Status::OK();
  };
  switch (in.dtype()) {
    case DataType::kInt32: return run(int32_t{});
    case DataType::kInt64: return run(int64_t{});  // Keras pads token ids to a fixed length
    default: return FloatOrDouble(ctx, in.dtype(), run);
  }
}

// Calls f(T{}) for the dtypes the layout kernels move: float, double, int32, int64, bool.
template <typename F>
Status LayoutDispatch(OpKernelContext* ctx, DataType dt, F f) {
  switch (dt) {
    case DataType::kFloat: return f(float{});
    case DataType::kDouble: return f(double{});
    case DataType::kInt32: return f(int32_t{});
    case DataType::kInt64: return f(int64_t{});
    case DataType::kBool: return f(bool{});
    default: return UnimplementedError(DtypeError(ctx, dt));
  }
}

// out[o] = in[sum(src[d][o_d] * stride[d])] for per-dim source index maps `src` (-1: `fill`).
template <typename T>
void GatherByMaps(const T* in, const std::vector<int64_t>& in_strides,
                  const std::vector<std::vector<int64_t>>& src, T* out, T fill) {
  const int r = static_cast<int>(src.size());
  int64_t n = 1;
  for (const auto& m : src) n *= static_cast<int64_t>(m.size());
  std::vector<int64_t> idx(r, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    bool pad = false;
    for (int d = 0; d < r; ++d) {
      const int64_t s = src[d][idx[d]];
      pad = pad || s < 0;
      o += s * in_strides[d];
    }
    out[i] = pad ? fill : in[o];
    for (int d = r - 1; d >= 0; --d) {
      if (++idx[d] < static_cast<int64_t>(src[d].size())) break;
      idx[d] = 0;
    }
  }
}

// MirrorPad(input, paddings, mode): REFLECT mirrors without the edge (pads < dim), SYMMETRIC
// with it (pads <= dim).
class MirrorPadKernel : public OpKernel {
 public:
  explicit MirrorPadKernel(const OpKernelConstruction& c) {
    std::string mode;
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("mode", &mode));
    if (mode != "REFLECT" && mode != "SYMMETRIC") {
      c.CtxFailure(InvalidArgumentError("mode must be REFLECT or SYMMETRIC, got '" + mode + "'"));
      return;
    }
    symmetric_ = mode == "SYMMETRIC";
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    const int r = in.shape().rank();
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> pads, ReadPaddings(ctx->input(1), r));
    const int64_t shift = symmetric_ ? 0 : 1;
    std::vector<int64_t> od(r);
    for (int d = 0; d < r; ++d) {
      const int64_t n = in.shape().dim(d);
      if (pads[2 * d] > n - shift || pads[2 * d + 1] > n - shift) {
        return InvalidArgumentError(
            std::string("paddings must be no greater than the dimension size") +
            (symmetric_ ? "" : " minus 1") + ": " + std::to_string(pads[2 * d]) + ", " +
            std::to_string(pads[2 * d + 1]) + " greater than " + std::to_string(n - shift) +
            " at dimension " + std::to_string(d));
      }
      od[d] = n + pads[2 * d] + pads[2 * d + 1];
    }
    CKPT_ASSIGN_OR_RETURN(TensorShape os, TensorShape::FromDims(od));
    return LayoutDispatch(ctx, in.dtype(), [&](auto zero) -> Status {
      using T = decltype(zero);
      CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output_uninitialized(0, in.dtype(), os));
      if (out->num_elements() == 0) return Status::OK();
      std::vector<std::vector<int64_t>> src(r);
      for (int d = 0; d < r; ++d) {
        const int64_t n = in.shape().dim(d);
        src[d].resize(od[d]);
        for (int64_t o = 0; o < od[d]; ++o) {
          int64_t i = o - pads[2 * d];
          if (i < 0) i = symmetric_ ? -i - 1 : -i;
          if (i >= n) i = symmetric_ ? 2 * n - 1 - i : 2 * n - 2 - i;
          src[d][o] = i;
        }
      }
      GatherByMaps<T>(in.data<T>(), RowMajorStrides(in.shape().dims()), src, out->data<T>(), T{});
      return Status::OK();
    });
  }

 private:
  bool symmetric_ = false;
};

// SpaceToBatchND (kToBatch) and BatchToSpaceND: block_shape [M] over the spatial dims 1..M,
// paddings (resp. crops) [M, 2]. The batch index of a block element is
// (flat block offset) * batch + b, as TF's reshape/transpose definition gives.
template <bool kToBatch>
Status SpaceBatchND(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  const char* what = kToBatch ? "paddings" : "crops";
  if (ctx->input(1).shape().rank() != 1) {
    return InvalidArgumentError("block_shape must be 1-D, got shape " +
                                ctx->input(1).shape().DebugString());
  }
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> block, ReadIndexVector(ctx->input(1), "block_shape"));
  const int m = static_cast<int>(block.size());
  const int r = in.shape().rank();
  if (r < 1 + m) {
    return InvalidArgumentError("input rank should be >= " + std::to_string(1 + m) +
                                " for block_shape of size " + std::to_string(m) + ", got shape " +
                                in.shape().DebugString());
  }
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> pads, ReadIndexVector(ctx->input(2), what));
  if (ctx->input(2).shape().rank() != 2 || static_cast<int>(pads.size()) != 2 * m) {
    return InvalidArgumentError(std::string(what) + " must have shape [" + std::to_string(m) +
                                ", 2], got " + ctx->input(2).shape().DebugString());
  }
  int64_t nblocks = 1;
  for (int i = 0; i < m; ++i) {
    if (block[i] < 1) {
      return InvalidArgumentError("block_shape values must be >= 1, got " +
                                  std::to_string(block[i]));
    }
    if (pads[2 * i] < 0 || pads[2 * i + 1] < 0) {
      return InvalidArgumentError(std::string(what) + " must be non-negative");
    }
    if (__builtin_mul_overflow(nblocks, block[i], &nblocks)) {
      return InvalidArgumentError("product of block_shape overflows");
    }
  }
  std::vector<int64_t> in_d = in.shape().dim_vector();
  std::vector<int64_t> od = in_d;
  const int64_t batch_in = in_d[0];
  int64_t batch_out;
  if constexpr (kToBatch) {
    if (__builtin_mul_overflow(batch_in, nblocks, &batch_out)) {
      return InvalidArgumentError("output batch size overflows");
    }
    for (int i = 0; i < m; ++i) {
      int64_t padded;
      if (__builtin_add_overflow(in_d[1 + i], pads[2 * i], &padded) ||
          __builtin_add_overflow(padded, pads[2 * i + 1], &padded)) {
        return InvalidArgumentError("padded spatial dimension overflows");
      }
      if (padded % block[i] != 0) {
        return InvalidArgumentError(
            "padded shape " + std::to_string(padded) + " of spatial dimension " +
            std::to_string(i) + " must be divisible by block_shape " + std::to_string(block[i]));
      }
      od[1 + i] = padded / block[i];
    }
  } else {
    if (batch_in % nblocks != 0) {
      return InvalidArgumentError("input batch dimension " + std::to_string(batch_in) +
                                  " is not divisible by the product of block sizes " +
                                  std::to_string(nblocks));
    }
    batch_out = batch_in / nblocks;
    for (int i = 0; i < m; ++i) {
      int64_t full;
      if (__builtin_mul_overflow(in_d[1 + i], block[i], &full)) {
        return InvalidArgumentError("spatial dimension times block size overflows");
      }
      if (pads[2 * i] + pads[2 * i + 1] > full || pads[2 * i] > full) {
        return InvalidArgumentError("crops must not exceed the block-expanded spatial size " +
                                    std::to_string(full) + " at dimension " + std::to_string(i));
      }
      od[1 + i] = full - pads[2 * i] - pads[2 * i + 1];
    }
  }
  od[0] = batch_out;
  CKPT_ASSIGN_OR_RETURN(TensorShape os, TensorShape::FromDims(od));
  int64_t inner = 1;
  for (int d = 1 + m; d < r; ++d) inner *= in_d[d];
  return LayoutDispatch(ctx, in.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output_uninitialized(0, in.dtype(), os));
    T* po = out->data<T>();
    const T* pi = in.data<T>();
    const int64_t n_outer = out->num_elements() / std::max<int64_t>(inner, 1);
    if (out->num_elements() == 0) return Status::OK();
    // Iterate over output positions (batch, spatial...) and copy `inner` contiguous values.
    const std::vector<int64_t> ist = RowMajorStrides(in.shape().dims());
    std::vector<int64_t> idx(1 + m, 0);
    for (int64_t o = 0; o < n_outer; ++o) {
      T* dst = po + o * inner;
      int64_t src = 0;
      bool pad = false;
      if constexpr (kToBatch) {
        // Output batch ob = blockflat * batch_in + b.
        const int64_t b = idx[0] % batch_in;
        int64_t bf = idx[0] / batch_in;
        src = b * ist[0];
        for (int i = m - 1; i >= 0; --i) {
          const int64_t j = bf % block[i];
          bf /= block[i];
          const int64_t p = idx[1 + i] * block[i] + j - pads[2 * i];
          if (p < 0 || p >= in_d[1 + i]) pad = true;
          src += p * ist[1 + i];
        }
      } else {
        int64_t bf = 0;
        for (int i = 0; i < m; ++i) {
          const int64_t p = idx[1 + i] + pads[2 * i];
          bf = bf * block[i] + p % block[i];
          src += (p / block[i]) * ist[1 + i];
        }
        src += (bf * batch_out + idx[0]) * ist[0];
      }
      if (pad) {
        std::fill(dst, dst + inner, T{});
      } else {
        std::copy(pi + src, pi + src + inner, dst);
      }
      for (int d = m; d >= 0; --d) {
        if (++idx[d] < od[d]) break;
        idx[d] = 0;
      }
    }
    return Status::OK();
  });
}

// StridedSliceGrad(shape, begin, end, strides, dy): zeros of `shape` with dy written at the
// positions StridedSlice(begin, end, strides, masks) read.
class StridedSliceGradKernel : public StridedSliceMasks {
 public:
  explicit StridedSliceGradKernel(const OpKernelConstruction& c) : StridedSliceMasks(c) {}
  Status Compute(OpKernelContext* ctx) override {
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ReadIndexVector(ctx->input(0), "shape"));
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> begin, ReadIndexVector(ctx->input(1), "begin"));
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> end, ReadIndexVector(ctx->input(2), "end"));
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> strides, ReadIndexVector(ctx->input(3), "strides"));
    const Tensor& dy = ctx->input(4);
    if (begin.size() != end.size() || begin.size() != strides.size()) {
      return InvalidArgumentError("begin, end and strides must have the same length");
    }
    const int rank = static_cast<int>(shape.size());
    // Dense per-input-dimension spec: start and step for each dim, kept or shrunk.
    std::vector<int64_t> start(rank, 0), step(rank, 1), count(rank, 0);
    std::vector<bool> set(rank, false);
    const int n = static_cast<int>(begin.size());
    int num_real = 0;  // sparse entries that consume an input dim (not new_axis, not ellipsis)
    for (int i = 0; i < n; ++i) {
      if (!((ellipsis_mask_ >> i) & 1) && !((new_axis_mask_ >> i) & 1)) ++num_real;
    }
    int dim = 0;
    for (int i = 0; i < n && dim <= rank; ++i) {
      if ((ellipsis_mask_ >> i) & 1) {
        int remaining = 0;
        for (int j = i + 1; j < n; ++j) {
          if (!((new_axis_mask_ >> j) & 1) && !((ellipsis_mask_ >> j) & 1)) ++remaining;
        }
        const int stop = rank - remaining;
        for (; dim < stop; ++dim) count[dim] = shape[dim], set[dim] = true;
        continue;
      }
      if ((new_axis_mask_ >> i) & 1) continue;
      if (dim >= rank) return InvalidArgumentError("slice spec has more dimensions than the input");
      const int64_t size = shape[dim];
      const int64_t s = strides[i];
      if (s == 0)
        return InvalidArgumentError("strides[" + std::to_string(i) + "] must be non-zero");
      auto canon = [&](int64_t x, bool lo) {
        if (x < 0) x += size;
        if (s > 0) return std::clamp<int64_t>(x, 0, size);
        return std::clamp<int64_t>(x, -1, size - 1);
        (void)lo;
      };
      if ((shrink_axis_mask_ >> i) & 1) {
        int64_t b = begin[i] < 0 ? begin[i] + size : begin[i];
        if (b < 0 || b >= size) return InvalidArgumentError("slice index out of bounds");
        start[dim] = b;
        step[dim] = 1;
        count[dim] = 1;
      } else {
        int64_t b = ((begin_mask_ >> i) & 1) ? (s > 0 ? 0 : size - 1) : canon(begin[i], true);
        int64_t e = ((end_mask_ >> i) & 1) ? (s > 0 ? size : -1) : canon(end[i], false);
        int64_t c =
            s > 0 ? (e > b ? (e - b + s - 1) / s : 0) : (b > e ? (b - e + (-s) - 1) / (-s) : 0);
        start[dim] = b;
        step[dim] = s;
        count[dim] = c;
      }
      set[dim] = true;
      ++dim;
    }
    for (; dim < rank; ++dim) count[dim] = shape[dim], set[dim] = true;
    (void)num_real;
    (void)set;
    int64_t total = 1;
    for (int d = 0; d < rank; ++d) total *= count[d];
    if (total != dy.num_elements()) {
      return InvalidArgumentError("dy has " + std::to_string(dy.num_elements()) +
                                  " elements; the slice selects " + std::to_string(total));
    }
    auto out_shape = TensorShape::FromDims(shape);
    if (!out_shape.ok()) return out_shape.status();
    TensorShape src_shape;
    for (int d = 0; d < rank; ++d) src_shape.AddDim(count[d]);
    return FloatOrDouble(ctx, dy.dtype(), [&](auto zero) -> Status {
      using T = decltype(zero);
      CKPT_ASSIGN_OR_RETURN(Tensor * out,
                            ctx->allocate_output_uninitialized(0, dy.dtype(), *out_shape));
      std::fill(out->data<T>(), out->data<T>() + out->num_elements(), T(0));
      if (total > 0) {
        Scatter<T>(dy.data<T>(), src_shape, out->data<T>(), start, step,
                   RowMajorStrides(out_shape->dims()));
      }
      return Status::OK();
    });
  }
};

}  // namespace

void RegisterArrayKernels(KernelRegistry* r) {
  r->RegisterFn("BroadcastGradientArgs", BroadcastGradientArgs);
  r->RegisterFn("Pad", PadImpl<false>);
  r->RegisterFn("PadV2", PadImpl<true>);
  r->Register("MirrorPad", MakeKernel<MirrorPadKernel>());
  r->RegisterFn("SpaceToBatchND", SpaceBatchND<true>);
  r->RegisterFn("BatchToSpaceND", SpaceBatchND<false>);
  r->Register("StridedSliceGrad", MakeKernel<StridedSliceGradKernel>());
  r->Register("Const", MakeKernel<ConstKernel>());
  r->Register("Placeholder", MakeKernel<PlaceholderKernel>());
  r->RegisterFn("PlaceholderWithDefault", ForwardAll);
  r->RegisterFn("Identity", ForwardAll);
  r->RegisterFn("IdentityN", ForwardAll);
  r->RegisterFn("StopGradient", ForwardAll);
  r->RegisterFn("PreventGradient", ForwardAll);
  r->RegisterFn("Snapshot", [](OpKernelContext* ctx) -> Status {
    ctx->set_output(0, ctx->input(0).Clone());
    return Status::OK();
  });
  r->RegisterFn("Reshape", ReshapeFn);
  r->RegisterFn("ExpandDims", ExpandDimsFn);
  r->Register("Squeeze", MakeKernel<SqueezeKernel>());
  r->RegisterFn("Shape", ShapeFn);
  r->RegisterFn("ShapeN", ShapeNFn);
  r->RegisterFn("Size", SizeFn);
  r->RegisterFn("Rank", RankFn);
  r->RegisterFn("Fill", FillFn);
  r->RegisterFn("ZerosLike", ConstLikeFn<0>);
  r->RegisterFn("OnesLike", ConstLikeFn<1>);
  r->RegisterFn("Tile", TileFn);
  r->RegisterFn("BroadcastTo", BroadcastToFn);
  r->RegisterFn("ConcatV2", ConcatV2Fn);
  r->Register("Pack", MakeKernel<PackKernel>());
  r->Register("Unpack", MakeKernel<UnpackKernel>());
  r->RegisterFn("Transpose", TransposeFn);
  r->RegisterFn("Slice", SliceFn);
  r->Register("StridedSlice", MakeKernel<StridedSliceKernel>());
  r->Register("Gather", MakeKernel<GatherKernel>());
  r->Register("GatherV2", MakeKernel<GatherKernel>());
  r->Register("OneHot", MakeKernel<OneHotKernel>());
  r->RegisterFn("Range", RangeFn);
  r->RegisterFn("Cast", CastFn);
  r->RegisterFn("Select", [](OpKernelContext* ctx) { return SelectGeneric(ctx, false); });
  r->RegisterFn("SelectV2", [](OpKernelContext* ctx) { return SelectGeneric(ctx, true); });
}

}  // namespace ckpt
