#include "graph/kernels/fused_elementwise.h"

#include <algorithm>

#include "graph/kernels/kernel_util.h"

namespace ckpt {

using Kind = FusedElementwiseOp::Kind;

bool FusedElementwiseOp::KindOf(std::string_view op, int main_input, Kind* kind) {
  if (op == "Relu" || op == "Relu6") {
    if (main_input != 0) return false;
    *kind = op == "Relu" ? Kind::kRelu : Kind::kRelu6;
    return true;
  }
  if (op == "BiasAdd") {  // the value is input 0, the bias input 1
    if (main_input != 0) return false;
    *kind = Kind::kBiasAdd;
    return true;
  }
  if (op == "Mul")
    *kind = Kind::kMul;
  else if (op == "Add" || op == "AddV2")
    *kind = Kind::kAdd;
  else if (op == "Sub")
    *kind = main_input == 0 ? Kind::kSub : Kind::kReverseSub;
  else
    return false;
  return main_input == 0 || main_input == 1;
}

namespace {

// How an op's second operand `side` combines with the value x (shape [..., c]) row by row,
// without changing x's shape: one value per channel, one in all, one per element (a residual
// connection's other branch) or one per row ([..., 1], a layer norm's mean). `data` is
// advanced by r * row_step for row r; `scalar` means its first value applies to the whole row.
struct SideLayout {
  int64_t row_step = 0;
  bool scalar = false;
};

// False when the fast path does not cover `side` (it broadcasts some other way).
bool LayoutOf(const Tensor& side, const Tensor& x, int64_t c, bool bias_add, SideLayout* out) {
  if (side.dtype() != DataType::kFloat) return false;
  const TensorShape& s = side.shape();
  const TensorShape& xs = x.shape();
  if (bias_add) {  // BiasAdd takes nothing else
    *out = {0, false};
    return s.rank() == 1 && s.dim(0) == c;
  }
  if (s == xs) {
    *out = {c, false};
    return true;
  }
  if (s.rank() == xs.rank() && s.dim(s.rank() - 1) == 1) {
    bool per_row = true;
    for (int d = 0; d + 1 < s.rank(); ++d) per_row = per_row && s.dim(d) == xs.dim(d);
    if (per_row) {
      *out = {1, true};
      return true;
    }
  }
  if (s.rank() > xs.rank()) return false;
  for (int d = 0; d + 1 < s.rank(); ++d) {
    if (s.dim(d) != 1) return false;
  }
  *out = {0, s.num_elements() == 1};
  return s.rank() == 0 || s.dim(s.rank() - 1) == c || s.dim(s.rank() - 1) == 1;
}

}  // namespace

bool FusedElementwiseKernel::FastPathApplies(const OpKernelContext& ctx) const {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DataType::kFloat || x.shape().rank() < 1 || x.num_elements() == 0) {
    return false;
  }
  const int64_t c = x.shape().dim(x.shape().rank() - 1);
  SideLayout layout;
  return std::all_of(ops_.begin(), ops_.end(), [&](const FusedElementwiseOp& op) {
    return op.side_input < 0 ||
           LayoutOf(ctx.input(op.side_input), x, c, op.kind == Kind::kBiasAdd, &layout);
  });
}

Status FusedElementwiseKernel::Compute(OpKernelContext* ctx) {
  if (!FastPathApplies(*ctx)) return RunOneByOne(ctx);
  const Tensor& x = ctx->input(0);
  CKPT_ASSIGN_OR_RETURN(Tensor * out,
                        ctx->allocate_output_uninitialized(0, DataType::kFloat, x.shape()));
  const int64_t c = x.shape().dim(x.shape().rank() - 1);
  const int64_t rows = x.num_elements() / c;
  // Per op: its operand and how it lines up with the rows.
  std::vector<std::pair<const float*, SideLayout>> sides(ops_.size());
  for (size_t k = 0; k < ops_.size(); ++k) {
    if (ops_[k].side_input < 0) continue;
    const Tensor& s = ctx->input(ops_[k].side_input);
    LayoutOf(s, x, c, ops_[k].kind == Kind::kBiasAdd, &sides[k].second);
    sides[k].first = s.data<float>();
  }
  const float* src = x.data<float>();
  float* dst = out->data<float>();
  const bool swish = std::any_of(ops_.begin(), ops_.end(), [](const FusedElementwiseOp& op) {
    return op.kind == Kind::kSwish || op.kind == Kind::kScaledSwish;
  });
  std::vector<float> scratch(swish ? c : 0);  // a swish's sigmoid row
  float* sig = scratch.data();
  // Each op is its own loop over the row, as its kernel's loop is, so every result is rounded
  // as it would be unfused (no multiply-add contraction across ops).
  for (int64_t r = 0; r < rows; ++r) {
    const float* in = src + r * c;
    float* o = dst + r * c;
    for (size_t k = 0; k < ops_.size(); ++k) {
      const float* a = k == 0 ? in : o;
      const float* p = sides[k].first + r * sides[k].second.row_step;
      const bool scalar = sides[k].second.scalar;
      const float v = scalar ? p[0] : 0.0f;
      switch (ops_[k].kind) {
        case Kind::kMul:
          if (scalar) {
            for (int64_t j = 0; j < c; ++j) o[j] = a[j] * v;
          } else {
            for (int64_t j = 0; j < c; ++j) o[j] = a[j] * p[j];
          }
          break;
        case Kind::kAdd:
        case Kind::kBiasAdd:
          if (scalar) {
            for (int64_t j = 0; j < c; ++j) o[j] = a[j] + v;
          } else {
            for (int64_t j = 0; j < c; ++j) o[j] = a[j] + p[j];
          }
          break;
        case Kind::kSub:
          if (scalar) {
            for (int64_t j = 0; j < c; ++j) o[j] = a[j] - v;
          } else {
            for (int64_t j = 0; j < c; ++j) o[j] = a[j] - p[j];
          }
          break;
        case Kind::kReverseSub:
          if (scalar) {
            for (int64_t j = 0; j < c; ++j) o[j] = v - a[j];
          } else {
            for (int64_t j = 0; j < c; ++j) o[j] = p[j] - a[j];
          }
          break;
        case Kind::kRelu:
          for (int64_t j = 0; j < c; ++j) o[j] = a[j] > 0.0f ? a[j] : 0.0f;
          break;
        case Kind::kRelu6:
          for (int64_t j = 0; j < c; ++j) o[j] = std::min(std::max(a[j], 0.0f), 6.0f);
          break;
        case Kind::kSwish:
          SigmoidFloat(a, sig, c);
          for (int64_t j = 0; j < c; ++j) o[j] = a[j] * sig[j];
          break;
        case Kind::kScaledSwish:
          if (scalar) {
            for (int64_t j = 0; j < c; ++j) sig[j] = a[j] * v;
          } else {
            for (int64_t j = 0; j < c; ++j) sig[j] = a[j] * p[j];
          }
          SigmoidFloat(sig, sig, c);
          for (int64_t j = 0; j < c; ++j) o[j] = a[j] * sig[j];
          break;
      }
    }
  }
  return Status::OK();
}

Status FusedElementwiseKernel::RunNode(OpKernelContext* ctx, const FusedNode& node,
                                       const TensorValue& value, const TensorValue* side,
                                       TensorValue* out) {
  const TensorValue* in[2] = {&value, nullptr};
  if (side != nullptr) {
    in[0] = node.main_first ? &value : side;
    in[1] = node.main_first ? side : &value;
  }
  OpKernelContext sub(node.construction, in, side != nullptr ? 2 : 1, out, 1, ctx->variables(),
                      ctx->step_id());
  sub.set_limits(ctx->limits());
  return node.kernel->Compute(&sub);
}

Status FusedElementwiseKernel::RunOneByOne(OpKernelContext* ctx) const {
  TensorValue value;
  value.tensor = ctx->input(0);
  // The session names the chain's last node; an earlier one is named here.
  auto named = [](const FusedNode& node, Status s) {
    return s.WithContext("node " + node.construction->name() + " (" + node.construction->op() +
                         ")");
  };
  for (size_t k = 0; k < ops_.size(); ++k) {
    const FusedElementwiseOp& op = ops_[k];
    const bool last = k + 1 == ops_.size();
    TensorValue side;
    if (op.side_input >= 0) side.tensor = ctx->input(op.side_input);
    TensorValue out;
    if (op.kind == Kind::kSwish || op.kind == Kind::kScaledSwish) {
      TensorValue scaled, sig;
      if (op.kind == Kind::kScaledSwish) {
        Status s = RunNode(ctx, op.scale, value, &side, &scaled);
        if (!s.ok()) return named(op.scale, std::move(s));
      }
      Status s = RunNode(ctx, op.sigmoid, op.kind == Kind::kSwish ? value : scaled, nullptr, &sig);
      if (!s.ok()) return named(op.sigmoid, std::move(s));
      s = RunNode(ctx, op.node, value, &sig, &out);
      if (!s.ok()) return last ? s : named(op.node, std::move(s));
    } else {
      Status s = RunNode(ctx, op.node, value, op.side_input >= 0 ? &side : nullptr, &out);
      if (!s.ok()) return last ? s : named(op.node, std::move(s));
    }
    value = std::move(out);
  }
  ctx->set_output(0, std::move(value.tensor));
  return Status::OK();
}

}  // namespace ckpt
