// Kernels of the ops of src/graph/ops/nn_ops.cc: BiasAdd, activations, softmax family, L2Loss,
// the fused cross-entropy ops (which also output the backprop, as TF's do) and the gradient
// helpers ReluGrad, Relu6Grad, EluGrad, SoftplusGrad and BiasAddGrad.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "graph/kernel.h"
#include "graph/kernels/eigen.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {

namespace {

template <typename F>
Status FloatDispatch(OpKernelContext* ctx, DataType dt, F f) {
  switch (dt) {
    case DataType::kFloat: return f(float{});
    case DataType::kDouble: return f(double{});
    default: return UnimplementedError(DtypeError(ctx, dt));
  }
}

class BiasAddKernel : public OpKernel {
 public:
  explicit BiasAddKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("data_format", &format_));
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& v = ctx->input(0);
    const Tensor& b = ctx->input(1);
    if (v.shape().rank() < 2) {
      return InvalidArgumentError("input must be at least 2-D: " + v.shape().DebugString());
    }
    if (b.shape().rank() != 1) {
      return InvalidArgumentError("biases must be 1-D: " + b.shape().DebugString());
    }
    const bool nchw = format_ == "NCHW";
    const int cdim = nchw ? 1 : v.shape().rank() - 1;
    const int64_t c = v.shape().dim(cdim);
    if (b.shape().dim(0) != c) {
      return InvalidArgumentError(
          "must provide as many biases as the channel dimension of the "
          "input tensor: " +
          b.shape().DebugString() + " vs. " + v.shape().DebugString());
    }
    int64_t inner = 1;
    for (int d = cdim + 1; d < v.shape().rank(); ++d) inner *= v.shape().dim(d);
    auto run = [&](auto zero) -> Status {
      using T = decltype(zero);
      CKPT_ASSIGN_OR_RETURN(Tensor * out,
                            ctx->allocate_output_uninitialized(0, v.dtype(), v.shape()));
      const T* pv = v.data<T>();
      const T* pb = b.data<T>();
      T* po = out->data<T>();
      const int64_t n = v.num_elements();
      if (inner == 1) {
        for (int64_t base = 0; base < n; base += c) {
          for (int64_t j = 0; j < c; ++j) po[base + j] = pv[base + j] + pb[j];
        }
      } else {
        for (int64_t i = 0; i < n; ++i) po[i] = pv[i] + pb[(i / inner) % c];
      }
      return Status::OK();
    };
    switch (v.dtype()) {
      case DataType::kFloat: return run(float{});
      case DataType::kDouble: return run(double{});
      case DataType::kInt32: return run(int32_t{});
      case DataType::kInt64: return run(int64_t{});
      default: return UnimplementedError(DtypeError(ctx, v.dtype()));
    }
  }

 private:
  std::string format_ = "NHWC";
};

enum class Act { kRelu, kRelu6, kElu, kSoftplus, kSelu };

constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;

template <Act op>
Status ActFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  auto run = [&](auto zero) -> Status {
    using T = decltype(zero);
    // Elu and Softplus write nothing for integer types; their outputs stay zero.
    constexpr bool kWritesAll =
        op == Act::kRelu || op == Act::kRelu6 || std::is_floating_point_v<T>;
    CKPT_ASSIGN_OR_RETURN(Tensor * out,
                          kWritesAll ? ctx->allocate_output_uninitialized(0, in.dtype(), in.shape())
                                     : ctx->allocate_output(0, in.dtype(), in.shape()));
    const T* s = in.data<T>();
    T* d = out->data<T>();
    const int64_t n = in.num_elements();
    for (int64_t i = 0; i < n; ++i) {
      const T x = s[i];
      if constexpr (op == Act::kRelu) d[i] = x > T(0) ? x : T(0);
      if constexpr (op == Act::kRelu6) d[i] = std::min(std::max(x, T(0)), T(6));
      if constexpr (op == Act::kElu) {
        if constexpr (std::is_floating_point_v<T>) d[i] = x < T(0) ? std::expm1(x) : x;
      }
      if constexpr (op == Act::kSelu) {
        if constexpr (std::is_floating_point_v<T>) {
          d[i] = x < T(0) ? T(kSeluScale * kSeluAlpha) * (std::exp(x) - T(1)) : T(kSeluScale) * x;
        }
      }
      if constexpr (op == Act::kSoftplus) {
        if constexpr (std::is_floating_point_v<T>) {
          // log(1 + exp(x)) computed without overflow.
          d[i] = x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
        }
      }
    }
    return Status::OK();
  };
  switch (in.dtype()) {
    case DataType::kFloat: return run(float{});
    case DataType::kDouble: return run(double{});
    case DataType::kInt32:
      if constexpr (op == Act::kRelu || op == Act::kRelu6) return run(int32_t{});
      break;
    case DataType::kInt64:
      if constexpr (op == Act::kRelu || op == Act::kRelu6) return run(int64_t{});
      break;
    default: break;
  }
  return UnimplementedError(DtypeError(ctx, in.dtype()));
}

// Max and sum of exp(x - max) over a row of floats, on Eigen's packet ops (the scalar
// std::exp path was a sixth of a BERT-style encoder's inference). exp(x - max) goes to e.
void SoftmaxRowFloat(const float* x, float* e, int64_t c, float* max, float* sum) {
  namespace ei = Eigen::internal;
  using Packet = ei::packet_traits<float>::type;
  constexpr int64_t kPacket = ei::unpacket_traits<Packet>::size;
  float mx = x[0];
  int64_t j = 0;
  if (c >= kPacket) {
    Packet m = ei::ploadu<Packet>(x);
    for (j = kPacket; j + kPacket <= c; j += kPacket) m = ei::pmax(m, ei::ploadu<Packet>(x + j));
    mx = ei::predux_max(m);
  }
  for (; j < c; ++j) mx = std::max(mx, x[j]);
  const Packet pmx = ei::pset1<Packet>(mx);
  Packet acc = ei::pset1<Packet>(0.0f);
  for (j = 0; j + kPacket <= c; j += kPacket) {
    const Packet v = ei::pexp(ei::psub(ei::ploadu<Packet>(x + j), pmx));
    ei::pstoreu(e + j, v);
    acc = ei::padd(acc, v);
  }
  if (j < c) {  // the tail, padded with -inf (exp gives 0)
    std::array<float, kPacket> pad;
    pad.fill(-std::numeric_limits<float>::infinity());
    std::copy(x + j, x + c, pad.begin());
    const Packet v = ei::pexp(ei::psub(ei::ploadu<Packet>(pad.data()), pmx));
    ei::pstoreu(pad.data(), v);
    std::copy_n(pad.begin(), c - j, e + j);
    acc = ei::padd(acc, v);
  }
  *max = mx;
  *sum = ei::predux(acc);
}

// Softmax over the last dimension; `log` selects LogSoftmax.
template <bool kLog>
Status SoftmaxFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  if (in.shape().rank() < 1) {
    return InvalidArgumentError("logits must have >= 1 dimension, got " + in.shape().DebugString());
  }
  return FloatDispatch(ctx, in.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    CKPT_ASSIGN_OR_RETURN(Tensor * out,
                          ctx->allocate_output_uninitialized(0, in.dtype(), in.shape()));
    const int64_t c = in.shape().dim(in.shape().rank() - 1);
    const int64_t n = in.num_elements();
    const T* s = in.data<T>();
    T* d = out->data<T>();
    if constexpr (std::is_same_v<T, float>) {
      for (int64_t base = 0; c > 0 && base < n; base += c) {
        float mx, sum;
        SoftmaxRowFloat(s + base, d + base, c, &mx, &sum);
        if constexpr (kLog) {
          const float lse = std::log(sum);
          for (int64_t j = 0; j < c; ++j) d[base + j] = s[base + j] - mx - lse;
        } else {
          for (int64_t j = 0; j < c; ++j) d[base + j] /= sum;
        }
      }
      return Status::OK();
    }
    for (int64_t base = 0; c > 0 && base < n; base += c) {
      T mx = s[base];
      for (int64_t j = 1; j < c; ++j) mx = std::max(mx, s[base + j]);
      T sum = 0;
      for (int64_t j = 0; j < c; ++j) sum += std::exp(s[base + j] - mx);
      if constexpr (kLog) {
        const T lse = std::log(sum);
        for (int64_t j = 0; j < c; ++j) d[base + j] = s[base + j] - mx - lse;
      } else {
        for (int64_t j = 0; j < c; ++j) d[base + j] = std::exp(s[base + j] - mx) / sum;
      }
    }
    return Status::OK();
  });
}

Status L2LossFn(OpKernelContext* ctx) {
  const Tensor& in = ctx->input(0);
  return FloatDispatch(ctx, in.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    T sum = 0;
    for (T x : in.flat<T>()) sum += x * x;
    ctx->set_output(0, Tensor::Scalar<T>(sum / T(2)));
    return Status::OK();
  });
}

// loss[i] = -sum_j labels[i,j] * log_softmax(logits)[i,j]; backprop = softmax - labels.
Status SoftmaxXentFn(OpKernelContext* ctx) {
  const Tensor& logits = ctx->input(0);
  const Tensor& labels = ctx->input(1);
  if (logits.shape().rank() != 2) {
    return InvalidArgumentError("logits must be 2-dimensional, got " +
                                logits.shape().DebugString());
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, BroadcastShapes(logits.shape(), labels.shape()));
  if (!(shape == logits.shape()) || labels.shape().rank() != 2) {
    return InvalidArgumentError(
        "logits and labels must be broadcastable: logits_size=" + logits.shape().DebugString() +
        " labels_size=" + labels.shape().DebugString());
  }
  return FloatDispatch(ctx, logits.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    const int64_t b = logits.shape().dim(0), c = logits.shape().dim(1);
    CKPT_ASSIGN_OR_RETURN(Tensor * loss,
                          ctx->allocate_output_uninitialized(0, logits.dtype(), TensorShape{b}));
    CKPT_ASSIGN_OR_RETURN(Tensor * back,
                          ctx->allocate_output_uninitialized(1, logits.dtype(), logits.shape()));
    const T* pl = logits.data<T>();
    const T* py = labels.data<T>();
    const int64_t ly_row = labels.shape().dim(0) == 1 ? 0 : c;
    const int64_t ly_col = labels.shape().dim(1) == 1 ? 0 : 1;
    for (int64_t i = 0; i < b; ++i) {
      const T* row = pl + i * c;
      T mx = row[0];
      for (int64_t j = 1; j < c; ++j) mx = std::max(mx, row[j]);
      T sum = 0;
      for (int64_t j = 0; j < c; ++j) sum += std::exp(row[j] - mx);
      const T lse = std::log(sum);
      T l = 0;
      for (int64_t j = 0; j < c; ++j) {
        const T y = py[i * ly_row + j * ly_col];
        const T logp = row[j] - mx - lse;
        l -= y * logp;
        back->data<T>()[i * c + j] = std::exp(logp) - y;
      }
      loss->data<T>()[i] = l;
    }
    return Status::OK();
  });
}

Status SparseSoftmaxXentFn(OpKernelContext* ctx) {
  const Tensor& logits = ctx->input(0);
  const Tensor& labels = ctx->input(1);
  if (logits.shape().rank() != 2) {
    return InvalidArgumentError("logits must be 2-D, but got shape " +
                                logits.shape().DebugString());
  }
  if (labels.shape().rank() != 1 || labels.shape().dim(0) != logits.shape().dim(0)) {
    return InvalidArgumentError(
        "logits and labels must have the same first dimension, got "
        "logits shape " +
        logits.shape().DebugString() + " and labels shape " + labels.shape().DebugString());
  }
  CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> y, ReadIndexVector(labels, "labels"));
  return FloatDispatch(ctx, logits.dtype(), [&](auto zero) -> Status {
    using T = decltype(zero);
    const int64_t b = logits.shape().dim(0), c = logits.shape().dim(1);
    for (int64_t i = 0; i < b; ++i) {
      if (y[i] < 0 || y[i] >= c) {
        return InvalidArgumentError("received a label value of " + std::to_string(y[i]) +
                                    " which is outside the valid range of [0, " +
                                    std::to_string(c) + ")");
      }
    }
    CKPT_ASSIGN_OR_RETURN(Tensor * loss,
                          ctx->allocate_output_uninitialized(0, logits.dtype(), TensorShape{b}));
    CKPT_ASSIGN_OR_RETURN(Tensor * back,
                          ctx->allocate_output_uninitialized(1, logits.dtype(), logits.shape()));
    const T* pl = logits.data<T>();
    T* pb = back->data<T>();
    for (int64_t i = 0; i < b; ++i) {
      const T* row = pl + i * c;
      T mx = row[0];
      for (int64_t j = 1; j < c; ++j) mx = std::max(mx, row[j]);
      T sum = 0;
      for (int64_t j = 0; j < c; ++j) sum += std::exp(row[j] - mx);
      const T lse = std::log(sum);
      for (int64_t j = 0; j < c; ++j) pb[i * c + j] = std::exp(row[j] - mx - lse);
      pb[i * c + y[i]] -= T(1);
      loss->data<T>()[i] = lse - (row[y[i]] - mx);
    }
    return Status::OK();
  });
}

// Gradient helpers, (gradients, features or outputs) -> backprops: TF's CPU functors.
CKPT_SAME_SHAPE_BINARY_KERNEL(ReluGrad, b > T(0) ? a : T(0))
CKPT_SAME_SHAPE_BINARY_KERNEL(Relu6Grad, (b > T(0) && b < T(6)) ? a : T(0))
CKPT_SAME_SHAPE_BINARY_KERNEL(EluGrad, b < T(0) ? a * (b + T(1)) : a)
CKPT_SAME_SHAPE_BINARY_KERNEL(SoftplusGrad, a / (T(1) + std::exp(-b)))

CKPT_SAME_SHAPE_BINARY_KERNEL(SeluGrad,
                              b < T(0) ? a * (b + T(kSeluScale * kSeluAlpha)) : a * T(kSeluScale))

// LeakyRelu (features) and LeakyReluGrad (gradients, features): the slope alpha below zero.
class LeakyReluKernel : public OpKernel {
 public:
  explicit LeakyReluKernel(const OpKernelConstruction& c) : grad_(c.op() == "LeakyReluGrad") {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("alpha", &alpha_));
  }
  Status Compute(OpKernelContext* ctx) override {
    if (grad_) {
      const float alpha = alpha_;
      return SameShapeBinary(ctx, "LeakyReluGrad", [alpha](auto g, auto x) {
        using T = decltype(g);
        return x > T(0) ? g : g * T(alpha);
      });
    }
    const Tensor& in = ctx->input(0);
    return FloatDispatch(ctx, in.dtype(), [&](auto zero) -> Status {
      using T = decltype(zero);
      CKPT_ASSIGN_OR_RETURN(Tensor * out,
                            ctx->allocate_output_uninitialized(0, in.dtype(), in.shape()));
      const T* s = in.data<T>();
      T* d = out->data<T>();
      const T a = static_cast<T>(alpha_);
      for (int64_t i = 0, n = in.num_elements(); i < n; ++i) d[i] = s[i] > T(0) ? s[i] : s[i] * a;
      return Status::OK();
    });
  }

 private:
  bool grad_;
  float alpha_ = 0.2f;
};

// TopKV2: per row of the last dim, the k largest values in descending order, ties broken by
// the lower index (the order of TF's kernel whether or not `sorted` is set).
class TopKKernel : public OpKernel {
 public:
  explicit TopKKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("sorted", &sorted_));
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& in = ctx->input(0);
    const Tensor& kt = ctx->input(1);
    if (kt.shape().rank() != 0) {
      return InvalidArgumentError("k must be a scalar, got shape " + kt.shape().DebugString());
    }
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadIndexVector(kt, "k"));
    const int64_t k = kv[0];
    if (k < 0) return InvalidArgumentError("Need k >= 0, got " + std::to_string(k));
    if (in.shape().rank() < 1) {
      return InvalidArgumentError("input must be >= 1-D, got shape " + in.shape().DebugString());
    }
    const int64_t cols = in.shape().dim(in.shape().rank() - 1);
    if (cols < k) {
      return InvalidArgumentError("input must have at least k columns. Had " +
                                  std::to_string(cols) + ", needed " + std::to_string(k));
    }
    std::vector<int64_t> od = in.shape().dim_vector();
    od.back() = k;
    CKPT_ASSIGN_OR_RETURN(TensorShape os, TensorShape::FromDims(od));
    const DataType it = ctx->info().output_type(1);
    if (it != DataType::kInt32 && it != DataType::kInt64) {
      return UnimplementedError(DtypeError(ctx, it));
    }
    auto run = [&](auto zero) -> Status {
      using T = decltype(zero);
      CKPT_ASSIGN_OR_RETURN(Tensor * vals, ctx->allocate_output_uninitialized(0, in.dtype(), os));
      CKPT_ASSIGN_OR_RETURN(Tensor * idx, ctx->allocate_output_uninitialized(1, it, os));
      const int64_t rows = cols == 0 ? 0 : in.num_elements() / cols;
      const T* s = in.data<T>();
      if (rows == 0 || k == 0) return Status::OK();
      std::vector<int64_t> order(cols);  // cols <= the input's size here
      for (int64_t r = 0; r < rows; ++r) {
        const T* row = s + r * cols;
        std::iota(order.begin(), order.end(), int64_t{0});
        auto greater = [row](int64_t a, int64_t b) {
          return row[a] > row[b] || (!(row[b] > row[a]) && a < b);
        };
        std::partial_sort(order.begin(), order.begin() + k, order.end(), greater);
        for (int64_t j = 0; j < k; ++j) {
          vals->data<T>()[r * k + j] = row[order[j]];
          if (it == DataType::kInt32) {
            idx->data<int32_t>()[r * k + j] = static_cast<int32_t>(order[j]);
          } else {
            idx->data<int64_t>()[r * k + j] = order[j];
          }
        }
      }
      return Status::OK();
    };
    switch (in.dtype()) {
      case DataType::kFloat: return run(float{});
      case DataType::kDouble: return run(double{});
      case DataType::kInt32: return run(int32_t{});
      case DataType::kInt64: return run(int64_t{});
      default: return UnimplementedError(DtypeError(ctx, in.dtype()));
    }
  }

 private:
  bool sorted_ = true;
};

class BiasAddGradKernel : public OpKernel {
 public:
  explicit BiasAddGradKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("data_format", &format_));
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& g = ctx->input(0);
    const int r = g.shape().rank();
    if (r < 2) {
      return InvalidArgumentError("BiasAddGrad: input must be at least 2-D, got " +
                                  g.shape().DebugString());
    }
    const int cdim = format_ == "NCHW" ? 1 : r - 1;
    const int64_t c = g.shape().dim(cdim);
    int64_t inner = 1;
    for (int d = cdim + 1; d < r; ++d) inner *= g.shape().dim(d);
    auto run = [&](auto zero) -> Status {
      using T = decltype(zero);
      CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output(0, g.dtype(), TensorShape{c}));
      T* po = out->data<T>();
      std::fill(po, po + c, T(0));
      const T* pg = g.data<T>();
      const int64_t n = g.num_elements();
      if (inner == 1) {
        for (int64_t base = 0; base < n; base += c) {
          for (int64_t j = 0; j < c; ++j) po[j] += pg[base + j];
        }
      } else {
        for (int64_t i = 0; i < n; ++i) po[(i / inner) % c] += pg[i];
      }
      return Status::OK();
    };
    switch (g.dtype()) {
      case DataType::kFloat: return run(float{});
      case DataType::kDouble: return run(double{});
      default: return UnimplementedError(DtypeError(ctx, g.dtype()));
    }
  }

 private:
  std::string format_ = "NHWC";
};

}  // namespace

void RegisterNnKernels(KernelRegistry* r) {
  r->Register("BiasAdd", [](const OpKernelConstruction& c) -> StatusOr<std::unique_ptr<OpKernel>> {
    return std::unique_ptr<OpKernel>(new BiasAddKernel(c));
  });
  r->RegisterFn("Relu", ActFn<Act::kRelu>);
  r->RegisterFn("Relu6", ActFn<Act::kRelu6>);
  r->RegisterFn("Elu", ActFn<Act::kElu>);
  r->RegisterFn("Softplus", ActFn<Act::kSoftplus>);
  r->RegisterFn("Selu", ActFn<Act::kSelu>);
  r->RegisterFn("SeluGrad", SeluGrad);
  r->Register("LeakyRelu", MakeKernel<LeakyReluKernel>());
  r->Register("LeakyReluGrad", MakeKernel<LeakyReluKernel>());
  r->Register("TopKV2", MakeKernel<TopKKernel>());
  r->RegisterFn("Softmax", SoftmaxFn<false>);
  r->RegisterFn("LogSoftmax", SoftmaxFn<true>);
  r->RegisterFn("L2Loss", L2LossFn);
  r->RegisterFn("SoftmaxCrossEntropyWithLogits", SoftmaxXentFn);
  r->RegisterFn("SparseSoftmaxCrossEntropyWithLogits", SparseSoftmaxXentFn);
  r->RegisterFn("ReluGrad", ReluGrad);
  r->RegisterFn("Relu6Grad", Relu6Grad);
  r->RegisterFn("EluGrad", EluGrad);
  r->RegisterFn("SoftplusGrad", SoftplusGrad);
  r->Register("BiasAddGrad", MakeKernel<BiasAddGradKernel>());
}

}  // namespace ckpt
