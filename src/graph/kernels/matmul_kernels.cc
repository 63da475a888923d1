// MatMul, BatchMatMulV2/V3 and Einsum (math family, src/graph/ops/math_ops.cc): oneDNN's sgemm
// for float when built with it (gemm.h) and the product is large, else Eigen.
//
// Einsum is reduced to the batched product: per operand, repeated labels take the diagonal and
// labels found nowhere else are summed out; then the operands are transposed to
// [batch, free, contracted] / [batch, contracted, free], multiplied with broadcast batch dims,
// and the product is transposed to the output's label order.
#include <algorithm>
#include <array>
#include <map>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "graph/kernel.h"
#include "graph/kernels/eigen.h"
#include "graph/kernels/gemm.h"
#include "graph/kernels/kernel_util.h"

namespace ckpt {
namespace {

class MatMulKernel : public OpKernel {
 public:
  explicit MatMulKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("transpose_a", &ta_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("transpose_b", &tb_));
  }

  template <typename T>
  Status ComputeT(OpKernelContext* ctx, const Tensor& a, const Tensor& b) {
    const int64_t m = ta_ ? a.shape().dim(1) : a.shape().dim(0);
    const int64_t k = ta_ ? a.shape().dim(0) : a.shape().dim(1);
    const int64_t k2 = tb_ ? b.shape().dim(1) : b.shape().dim(0);
    const int64_t n = tb_ ? b.shape().dim(0) : b.shape().dim(1);
    if (k != k2) {
      return InvalidArgumentError("matrix size-incompatible: In[0]: " + a.shape().DebugString() +
                                  ", In[1]: " + b.shape().DebugString());
    }
    CKPT_ASSIGN_OR_RETURN(Tensor * out,
                          ctx->allocate_output_uninitialized(0, a.dtype(), TensorShape{m, n}));
    if (m == 0 || n == 0) return Status::OK();
    // Unaligned maps: inputs may be borrowed buffers (mmap views, caller memory) that are not
    // 64-byte aligned; the contraction packs its operands anyway.
    using Map2 = Eigen::TensorMap<Eigen::Tensor<const T, 2, Eigen::RowMajor>>;
    using Out2 = Eigen::TensorMap<Eigen::Tensor<T, 2, Eigen::RowMajor>>;
    Map2 ea(a.data<T>(), a.shape().dim(0), a.shape().dim(1));
    Map2 eb(b.data<T>(), b.shape().dim(0), b.shape().dim(1));
    Out2 eo(out->data<T>(), m, n);
    if (k == 0) {
      eo.setZero();
      return Status::OK();
    }
    if (m == 1 && !ta_ && k * n <= (int64_t{1} << 22)) {
      // A row vector times a matrix (batch-1 serving): Eigen's matrix-vector product, which
      // streams the matrix once and needs no generated code (oneDNN's first product of a
      // shape class spends milliseconds generating it).
      using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
      using Row = Eigen::Matrix<T, 1, Eigen::Dynamic>;
      Eigen::Map<const Row> x(a.data<T>(), k);
      Eigen::Map<const RowMajor> mb(b.data<T>(), b.shape().dim(0), b.shape().dim(1));
      Eigen::Map<Row> y(out->data<T>(), n);
      if (tb_) {
        y.noalias() = x * mb.transpose();
      } else {
        y.noalias() = x * mb;
      }
      return Status::OK();
    }
    if constexpr (std::is_same_v<T, float>) {
      if (kHaveSgemm) {
        // The leading dimension of each operand is its stored row length.
        return Sgemm(ctx->eigen_device(), ta_, tb_, m, n, k, a.data<float>(), a.shape().dim(1),
                     b.data<float>(), b.shape().dim(1), out->data<float>(), n)
            .WithContext("In[0]: " + a.shape().DebugString() +
                         ", In[1]: " + b.shape().DebugString());
      }
    }
    Eigen::array<Eigen::IndexPair<Eigen::Index>, 1> dims{
        Eigen::IndexPair<Eigen::Index>(ta_ ? 0 : 1, tb_ ? 1 : 0)};
    const auto* dev = ctx->eigen_device();
    if (dev != nullptr && m * n * k >= (1 << 15)) {
      eo.device(*dev) = ea.contract(eb, dims);
    } else {
      eo = ea.contract(eb, dims);
    }
    return Status::OK();
  }

  Status Compute(OpKernelContext* ctx) override {
    const Tensor& a = ctx->input(0);
    const Tensor& b = ctx->input(1);
    if (a.shape().rank() != 2 || b.shape().rank() != 2) {
      return InvalidArgumentError("In[0] and In[1] must be matrices: " + a.shape().DebugString() +
                                  ", " + b.shape().DebugString());
    }
    switch (a.dtype()) {
      case DataType::kFloat: return ComputeT<float>(ctx, a, b);
      case DataType::kDouble: return ComputeT<double>(ctx, a, b);
      case DataType::kInt32: return ComputeT<int32_t>(ctx, a, b);
      case DataType::kInt64: return ComputeT<int64_t>(ctx, a, b);
      default: return UnimplementedError(DtypeError(ctx, a.dtype()));
    }
  }

 private:
  bool ta_ = false, tb_ = false;
};

// ---- batched products ------------------------------------------------------------------------

int64_t Product(const std::vector<int64_t>& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

// out (dims `od`, row-major) = in read at element strides `is` per output dim.
template <typename T>
void StridedCopy(const T* in, const std::vector<int64_t>& od, const std::vector<int64_t>& is,
                 T* out) {
  static_assert(std::is_trivially_copyable_v<T>);
  ckpt::StridedCopy(in, 0, od, is, sizeof(T), out);
}

// One product out[m,n] = op(a) op(b), a stored [m,k] ([k,m] when adj_a), b [k,n] ([n,k]).
template <typename T>
Status MatMulOne(const Eigen::ThreadPoolDevice* dev, const T* a, const T* b, int64_t m, int64_t k,
                 int64_t n, bool adj_a, bool adj_b, T* out) {
  if (m == 0 || n == 0) return Status::OK();
  if (k == 0) {
    std::fill(out, out + m * n, T(0));
    return Status::OK();
  }
  if constexpr (std::is_same_v<T, float>) {
    if (kHaveSgemm && m * n * k >= (int64_t{1} << 15)) {
      return Sgemm(dev, adj_a, adj_b, m, n, k, a, adj_a ? m : k, b, adj_b ? k : n, out, n);
    }
  }
  using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<RowMajor> o(out, m, n);
  Eigen::Map<const RowMajor> ma(a, adj_a ? k : m, adj_a ? m : k);
  Eigen::Map<const RowMajor> mb(b, adj_b ? n : k, adj_b ? k : n);
  if (adj_a && adj_b) {
    o.noalias() = ma.transpose() * mb.transpose();
  } else if (adj_a) {
    o.noalias() = ma.transpose() * mb;
  } else if (adj_b) {
    o.noalias() = ma * mb.transpose();
  } else {
    o.noalias() = ma * mb;
  }
  return Status::OK();
}

// Products over the broadcast of batch shapes `ab` and `bb` (already checked) into `ob`.
template <typename T>
Status BatchedMatMul(const Eigen::ThreadPoolDevice* dev, const T* a, const std::vector<int64_t>& ab,
                     const T* b, const std::vector<int64_t>& bb, const std::vector<int64_t>& ob,
                     int64_t m, int64_t k, int64_t n, bool adj_a, bool adj_b, T* out) {
  const int r = static_cast<int>(ob.size());
  auto strides = [&](const std::vector<int64_t>& in) {
    std::vector<int64_t> st(r, 0);
    int64_t s = 1;
    for (int i = static_cast<int>(in.size()) - 1, d = r - 1; i >= 0; --i, --d) {
      st[d] = in[i] == 1 ? 0 : s;
      s *= in[i];
    }
    return st;
  };
  const std::vector<int64_t> sa = strides(ab), sb = strides(bb);
  const int64_t nb = Product(ob);
  std::vector<int64_t> idx(r, 0);
  int64_t ia = 0, ib = 0;
  for (int64_t i = 0; i < nb; ++i) {
    CKPT_RETURN_IF_ERROR(
        MatMulOne<T>(dev, a + ia * m * k, b + ib * k * n, m, k, n, adj_a, adj_b, out + i * m * n));
    for (int d = r - 1; d >= 0; --d) {
      ia += sa[d];
      ib += sb[d];
      if (++idx[d] < ob[d]) break;
      ia -= sa[d] * ob[d];
      ib -= sb[d] * ob[d];
      idx[d] = 0;
    }
  }
  return Status::OK();
}

// Broadcast of two batch shapes (numpy rules); InvalidArgument naming both operands.
StatusOr<std::vector<int64_t>> BroadcastBatch(const std::vector<int64_t>& a,
                                              const std::vector<int64_t>& b,
                                              const std::string& what) {
  const size_t r = std::max(a.size(), b.size());
  std::vector<int64_t> o(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t x = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t y = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (x != y && x != 1 && y != 1) {
      return InvalidArgumentError("incompatible batch dimensions: " + what);
    }
    o[i] = x == 1 ? y : x;
  }
  return o;
}

class BatchMatMulKernel : public OpKernel {
 public:
  explicit BatchMatMulKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("adj_x", &adj_x_));
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("adj_y", &adj_y_));
  }

  Status Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    const Tensor& y = ctx->input(1);
    const std::string shapes =
        "In[0]: " + x.shape().DebugString() + ", In[1]: " + y.shape().DebugString();
    if (x.dtype() != y.dtype() || ctx->info().output_type(0) != x.dtype()) {
      return UnimplementedError(
          "BatchMatMul with mixed dtypes (" + std::string(DataTypeName(x.dtype())) + ", " +
          std::string(DataTypeName(y.dtype())) + " -> " +
          std::string(DataTypeName(ctx->info().output_type(0))) + ") is not supported");
    }
    if (x.shape().rank() < 2 || y.shape().rank() < 2) {
      return InvalidArgumentError("In[0] and In[1] must have rank >= 2: " + shapes);
    }
    std::vector<int64_t> dx = x.shape().dim_vector(), dy = y.shape().dim_vector();
    const int64_t m = adj_x_ ? dx.back() : dx[dx.size() - 2];
    const int64_t k = adj_x_ ? dx[dx.size() - 2] : dx.back();
    const int64_t k2 = adj_y_ ? dy.back() : dy[dy.size() - 2];
    const int64_t n = adj_y_ ? dy[dy.size() - 2] : dy.back();
    if (k != k2) return InvalidArgumentError("Matrix size-incompatible: " + shapes);
    dx.resize(dx.size() - 2);
    dy.resize(dy.size() - 2);
    CKPT_ASSIGN_OR_RETURN(std::vector<int64_t> ob, BroadcastBatch(dx, dy, shapes));
    std::vector<int64_t> od = ob;
    od.push_back(m);
    od.push_back(n);
    CKPT_ASSIGN_OR_RETURN(TensorShape os, TensorShape::FromDims(od));
    CKPT_ASSIGN_OR_RETURN(Tensor * out, ctx->allocate_output_uninitialized(0, x.dtype(), os));
    auto run = [&](auto zero) -> Status {
      using T = decltype(zero);
      return BatchedMatMul<T>(ctx->eigen_device(), x.data<T>(), dx, y.data<T>(), dy, ob, m, k, n,
                              adj_x_, adj_y_, out->data<T>());
    };
    switch (x.dtype()) {
      case DataType::kFloat: return run(float{});
      case DataType::kDouble: return run(double{});
      case DataType::kInt32: return run(int32_t{});
      case DataType::kInt64: return run(int64_t{});
      default: return UnimplementedError(DtypeError(ctx, x.dtype()));
    }
  }

 private:
  bool adj_x_ = false, adj_y_ = false;
};

// ---- Einsum ----------------------------------------------------------------------------------

constexpr int kEllipsis = -1;       // marker in a parsed term
constexpr int kEllipsisBase = 256;  // label ids of ellipsis dims: kEllipsisBase + position

struct Term {
  std::vector<int> labels;  // letters, with kEllipsis where "..." stood
  bool has_ellipsis = false;
};

class EinsumKernel : public OpKernel {
 public:
  explicit EinsumKernel(const OpKernelConstruction& c) {
    CKPT_OP_REQUIRES_OK(c, c.GetAttr("equation", &equation_));
    CKPT_OP_REQUIRES_OK(c, Parse(c.num_inputs()));
  }

  Status Compute(OpKernelContext* ctx) override {
    const DataType dt = ctx->input(0).dtype();
    for (int i = 1; i < ctx->num_inputs(); ++i) {
      if (ctx->input(i).dtype() != dt) {
        return InvalidArgumentError("Einsum inputs must have one dtype");
      }
    }
    switch (dt) {
      case DataType::kFloat: return Run<float>(ctx);
      case DataType::kDouble: return Run<double>(ctx);
      case DataType::kInt32: return Run<int32_t>(ctx);
      case DataType::kInt64: return Run<int64_t>(ctx);
      default: return UnimplementedError(DtypeError(ctx, dt));
    }
  }

 private:
  Status Bad(const std::string& why) const {
    return InvalidArgumentError("Einsum equation '" + equation_ + "': " + why);
  }

  StatusOr<Term> ParseTerm(std::string_view t) const {
    Term term;
    for (size_t i = 0; i < t.size();) {
      const char ch = t[i];
      if (t.substr(i, 3) == "...") {
        if (term.has_ellipsis) return Bad("more than one ellipsis in a term");
        term.has_ellipsis = true;
        term.labels.push_back(kEllipsis);
        i += 3;
      } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
        term.labels.push_back(static_cast<unsigned char>(ch));
        ++i;
      } else {
        return Bad(std::string("unexpected character '") + ch + "'");
      }
    }
    return term;
  }

  Status Parse(int num_inputs) {
    std::string eq;
    for (char ch : equation_) {
      if (ch != ' ') eq.push_back(ch);
    }
    const size_t arrow = eq.find("->");
    std::string lhs = eq.substr(0, arrow);
    if (num_inputs != 1 && num_inputs != 2) {
      return UnimplementedError("Einsum equation '" + equation_ + "' with " +
                                std::to_string(num_inputs) +
                                " operands is not supported (only one or two)");
    }
    size_t start = 0;
    for (;;) {
      const size_t comma = lhs.find(',', start);
      CKPT_ASSIGN_OR_RETURN(
          Term t, ParseTerm(std::string_view(lhs).substr(
                      start, comma == std::string::npos ? std::string::npos : comma - start)));
      inputs_.push_back(std::move(t));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (static_cast<int>(inputs_.size()) != num_inputs) {
      return Bad("expected " + std::to_string(num_inputs) + " input terms, got " +
                 std::to_string(inputs_.size()));
    }
    if (arrow != std::string::npos) {
      CKPT_ASSIGN_OR_RETURN(output_, ParseTerm(std::string_view(eq).substr(arrow + 2)));
      std::vector<int> seen;
      for (int l : output_.labels) {
        if (l != kEllipsis && std::find(seen.begin(), seen.end(), l) != seen.end()) {
          return Bad("output label repeated");
        }
        seen.push_back(l);
      }
      for (int l : output_.labels) {
        bool found = l == kEllipsis;
        for (const Term& t : inputs_) {
          found = found || std::find(t.labels.begin(), t.labels.end(), l) != t.labels.end();
        }
        if (!found) return Bad("output label '" + std::string(1, char(l)) + "' is in no input");
      }
    } else {
      // Implicit output: ellipsis first, then the labels seen once, in alphabetical order.
      std::array<int, kEllipsisBase> count{};
      bool ell = false;
      for (const Term& t : inputs_) {
        ell = ell || t.has_ellipsis;
        for (int l : t.labels) {
          if (l != kEllipsis) ++count[l];
        }
      }
      if (ell) {
        output_.labels.push_back(kEllipsis);
        output_.has_ellipsis = true;
      }
      for (int l = 0; l < kEllipsisBase; ++l) {
        if (count[l] == 1) output_.labels.push_back(l);
      }
    }
    return Status::OK();
  }

  // Labels of a term with "..." replaced by `rank` ellipsis ids, right-aligned to `max_rank`.
  static std::vector<int> Expand(const Term& t, int rank, int max_rank) {
    std::vector<int> out;
    for (int l : t.labels) {
      if (l == kEllipsis) {
        for (int j = 0; j < rank; ++j) out.push_back(kEllipsisBase + max_rank - rank + j);
      } else {
        out.push_back(l);
      }
    }
    return out;
  }

  // An operand as (unique labels, dims, values): `data` points into the input tensor when it
  // is already laid out that way (no repeated label), else into `owned`.
  template <typename T>
  struct Operand {
    std::vector<int> labels;
    std::vector<int64_t> dims;
    std::vector<T> owned;
    const T* data = nullptr;
  };

  // op's values with its dims permuted by `perm`: op.data itself when perm is the identity,
  // else a copy in *storage.
  template <typename T>
  static const T* Permuted(const Operand<T>& op, const std::vector<int>& perm,
                           std::vector<T>* storage) {
    bool identity = true;
    for (size_t i = 0; i < perm.size(); ++i) identity = identity && perm[i] == static_cast<int>(i);
    if (identity) return op.data;
    const std::vector<int64_t> st = RowMajorStrides(op.dims);
    std::vector<int64_t> od, os;
    for (int p : perm) {
      od.push_back(op.dims[p]);
      os.push_back(st[p]);
    }
    storage->resize(Product(od));
    StridedCopy(op.data, od, os, storage->data());
    return storage->data();
  }

  template <typename T>
  Status Run(OpKernelContext* ctx) {
    const int n_in = ctx->num_inputs();
    // Ellipsis ranks.
    std::vector<int> ell_rank(n_in, 0);
    int max_ell = 0;
    for (int i = 0; i < n_in; ++i) {
      const Term& t = inputs_[i];
      const int named = static_cast<int>(t.labels.size()) - (t.has_ellipsis ? 1 : 0);
      const int rank = ctx->input(i).shape().rank();
      if (t.has_ellipsis ? rank < named : rank != named) {
        return Bad("input " + std::to_string(i) + " has rank " + std::to_string(rank) +
                   " but its term names " + std::to_string(named) + " dimensions");
      }
      ell_rank[i] = rank - named;
      max_ell = std::max(max_ell, ell_rank[i]);
    }
    const std::vector<int> out_labels = Expand(output_, max_ell, max_ell);
    // Label sizes (ellipsis dims broadcast against 1).
    std::map<int, int64_t> size;
    std::vector<Operand<T>> ops(n_in);
    for (int i = 0; i < n_in; ++i) {
      const Tensor& in = ctx->input(i);
      const std::vector<int> labels = Expand(inputs_[i], ell_rank[i], max_ell);
      const std::vector<int64_t> dims = in.shape().dim_vector();
      for (size_t d = 0; d < labels.size(); ++d) {
        auto it = size.find(labels[d]);
        if (it == size.end()) {
          size[labels[d]] = dims[d];
        } else if (it->second != dims[d]) {
          if (labels[d] >= kEllipsisBase && (it->second == 1 || dims[d] == 1)) {
            it->second = std::max(it->second, dims[d]);
          } else {
            return Bad("dimension " + std::to_string(d) + " of input " + std::to_string(i) +
                       " has size " + std::to_string(dims[d]) + ", expected " +
                       std::to_string(it->second));
          }
        }
      }
      // Repeated labels: the diagonal (one dim per unique label, strides summed).
      Operand<T>& op = ops[i];
      const std::vector<int64_t> st = RowMajorStrides(dims);
      std::vector<int64_t> ustride;
      for (size_t d = 0; d < labels.size(); ++d) {
        auto pos = std::find(op.labels.begin(), op.labels.end(), labels[d]);
        if (pos == op.labels.end()) {
          op.labels.push_back(labels[d]);
          op.dims.push_back(dims[d]);
          ustride.push_back(st[d]);
        } else {
          const size_t u = pos - op.labels.begin();
          if (op.dims[u] != dims[d]) {
            return Bad("repeated label '" + std::string(1, char(labels[d])) + "' in input " +
                       std::to_string(i) + " has sizes " + std::to_string(op.dims[u]) + " and " +
                       std::to_string(dims[d]));
          }
          ustride[u] += st[d];
        }
      }
      if (ustride == RowMajorStrides(op.dims)) {
        op.data = in.data<T>();
      } else {
        op.owned.resize(Product(op.dims));
        StridedCopy(in.data<T>(), op.dims, ustride, op.owned.data());
        op.data = op.owned.data();
      }
    }
    // Output shape (allocated first: intermediates are no larger than inputs and output).
    std::vector<int64_t> od;
    for (int l : out_labels) od.push_back(size.at(l));
    CKPT_ASSIGN_OR_RETURN(TensorShape os, TensorShape::FromDims(od));
    CKPT_ASSIGN_OR_RETURN(Tensor * out,
                          ctx->allocate_output_uninitialized(0, ctx->input(0).dtype(), os));
    auto in_list = [](const std::vector<int>& v, int l) {
      return std::find(v.begin(), v.end(), l) != v.end();
    };
    auto pos_of = [](const std::vector<int>& v, int l) {
      return static_cast<int>(std::find(v.begin(), v.end(), l) - v.begin());
    };
    // Labels of an operand found neither in the output nor in the other operand: summed out.
    for (int i = 0; i < n_in; ++i) {
      Operand<T>& op = ops[i];
      std::vector<int> keep, drop;
      for (size_t d = 0; d < op.labels.size(); ++d) {
        const int l = op.labels[d];
        const bool elsewhere =
            in_list(out_labels, l) || (n_in == 2 && in_list(ops[1 - i].labels, l));
        (elsewhere ? keep : drop).push_back(static_cast<int>(d));
      }
      if (drop.empty()) continue;
      std::vector<int> perm = keep;
      perm.insert(perm.end(), drop.begin(), drop.end());
      std::vector<T> storage;
      const T* t = Permuted(op, perm, &storage);
      int64_t inner = 1;
      for (int d : drop) inner *= op.dims[d];
      Operand<T> r;
      for (int d : keep) {
        r.labels.push_back(op.labels[d]);
        r.dims.push_back(op.dims[d]);
      }
      const int64_t rows = Product(r.dims);
      r.owned.assign(rows, T(0));
      for (int64_t row = 0; row < rows; ++row) {
        T acc = T(0);
        for (int64_t j = 0; j < inner; ++j) acc += t[row * inner + j];
        r.owned[row] = acc;
      }
      r.data = r.owned.data();
      op = std::move(r);
    }
    if (n_in == 1) {
      const Operand<T>& op = ops[0];
      const std::vector<int64_t> st = RowMajorStrides(op.dims);
      std::vector<int64_t> is;
      for (int l : out_labels) is.push_back(st[pos_of(op.labels, l)]);
      StridedCopy(op.data, od, is, out->data<T>());
      return Status::OK();
    }
    const Operand<T>& a = ops[0];
    const Operand<T>& b = ops[1];
    // batch: in both and the output (output order); contracted: in both only (a's order);
    // free: in one operand and the output (output order).
    std::vector<int> batch, contract, free_a, free_b;
    for (int l : out_labels) {
      const bool ia = in_list(a.labels, l), ib = in_list(b.labels, l);
      if (ia && ib) batch.push_back(l);
      if (ia && !ib) free_a.push_back(l);
      if (!ia && ib) free_b.push_back(l);
    }
    for (int l : a.labels) {
      if (in_list(b.labels, l) && !in_list(out_labels, l)) contract.push_back(l);
    }
    auto arrange = [&](const Operand<T>& op, const std::vector<int>& g1, const std::vector<int>& g2,
                       const std::vector<int>& g3, std::vector<int64_t>* bdims, int64_t* rows,
                       int64_t* cols, std::vector<T>* storage) {
      std::vector<int> perm;
      for (const auto* g : {&g1, &g2, &g3}) {
        for (int l : *g) perm.push_back(pos_of(op.labels, l));
      }
      bdims->clear();
      for (int l : g1) bdims->push_back(op.dims[pos_of(op.labels, l)]);
      *rows = 1;
      *cols = 1;
      for (int l : g2) *rows *= op.dims[pos_of(op.labels, l)];
      for (int l : g3) *cols *= op.dims[pos_of(op.labels, l)];
      return Permuted(op, perm, storage);
    };
    for (int l : contract) {
      if (a.dims[pos_of(a.labels, l)] != b.dims[pos_of(b.labels, l)]) {
        return Bad("contracted dimensions of different sizes cannot broadcast");
      }
    }
    std::vector<int64_t> ab, bb, ob;
    int64_t m, k, k2, n;
    std::vector<T> a_storage, b_storage;
    const T* ta = arrange(a, batch, free_a, contract, &ab, &m, &k, &a_storage);
    const T* tb = arrange(b, batch, contract, free_b, &bb, &k2, &n, &b_storage);
    for (int l : batch) ob.push_back(size.at(l));
    // The product's labels: batch, free_a, free_b; then into the output's order.
    std::vector<int> plabels = batch;
    plabels.insert(plabels.end(), free_a.begin(), free_a.end());
    plabels.insert(plabels.end(), free_b.begin(), free_b.end());
    std::vector<int64_t> pdims;
    for (int l : plabels) pdims.push_back(size.at(l));
    if (plabels == out_labels) {
      return BatchedMatMul<T>(ctx->eigen_device(), ta, ab, tb, bb, ob, m, k, n, false, false,
                              out->data<T>());
    }
    std::vector<T> prod(Product(pdims));
    CKPT_RETURN_IF_ERROR(BatchedMatMul<T>(ctx->eigen_device(), ta, ab, tb, bb, ob, m, k, n, false,
                                          false, prod.data()));
    const std::vector<int64_t> st = RowMajorStrides(pdims);
    std::vector<int64_t> is;
    for (int l : out_labels) is.push_back(st[pos_of(plabels, l)]);
    StridedCopy(prod.data(), od, is, out->data<T>());
    return Status::OK();
  }

  std::string equation_;
  std::vector<Term> inputs_;
  Term output_;
};

}  // namespace

void RegisterMatMulKernels(KernelRegistry* r) {
  r->Register("MatMul", MakeKernel<MatMulKernel>());
  r->Register("BatchMatMulV2", MakeKernel<BatchMatMulKernel>());
  r->Register("BatchMatMulV3", MakeKernel<BatchMatMulKernel>());
  r->Register("Einsum", MakeKernel<EinsumKernel>());
}

}  // namespace ckpt
