// Control flow v2: If / StatelessIf, Case / StatelessCase, While / StatelessWhile. Their
// branches and bodies are library functions, instantiated once when the kernel is built
// (graph/function_runtime.h) and run on the node's inputs; resource handles pass through, so
// bodies read and update the calling graph's variables.
#include <tuple>

#include "graph/function_runtime.h"
#include "graph/kernel.h"

namespace ckpt {

namespace {

std::string Types(const std::vector<DataType>& types) {
  std::string s = "[";
  for (size_t i = 0; i < types.size(); ++i) {
    s += (i ? ", " : "") + std::string(DataTypeName(types[i]));
  }
  return s + "]";
}

// Types of inputs [first, end) and of all outputs of the node.
std::vector<DataType> InputTypes(const OpKernelConstruction& c, int first) {
  std::vector<DataType> t;
  for (int i = first; i < c.num_inputs(); ++i) t.push_back(c.input_type(i));
  return t;
}
std::vector<DataType> OutputTypes(const OpKernelConstruction& c) {
  std::vector<DataType> t;
  for (int i = 0; i < c.num_outputs(); ++i) t.push_back(c.output_type(i));
  return t;
}

// Instantiates the function of attr `attr` (index `i` of a list(func) attr when i >= 0).
Status Function(const OpKernelConstruction& c, const char* attr, int i,
                std::unique_ptr<FunctionBody>* out) {
  auto it = c.def().attr().find(attr);
  if (it == c.def().attr().end()) {
    return InvalidArgumentError("node " + c.name() + ": missing attr '" + attr + "'");
  }
  if (c.library() == nullptr) {
    return FailedPreconditionError("node " + c.name() + " (" + c.op() +
                                   "): no function library to instantiate its '" + attr + "' from");
  }
  CKPT_ASSIGN_OR_RETURN(
      *out, FunctionBody::Instantiate(*c.library(),
                                      i < 0 ? it->second.func() : it->second.list().func(i), c));
  return Status::OK();
}

// Checks `body` (of attr `attr`) takes `args` and returns `rets`.
Status CheckSignature(const OpKernelConstruction& c, const char* attr, const FunctionBody& body,
                      const std::vector<DataType>& args, const std::vector<DataType>& rets) {
  for (const auto& [got, want, what] : {std::tuple(&body.arg_types(), &args, "takes"),
                                        std::tuple(&body.ret_types(), &rets, "returns")}) {
    if (*got != *want) {
      return InvalidArgumentError("node " + c.name() + " (" + c.op() + "): function '" +
                                  body.name() + "' (" + attr + ") " + what + " " + Types(*got) +
                                  ", the node expects " + Types(*want));
    }
  }
  return Status::OK();
}

// Function() of a branch or body whose signature must be (args) -> rets.
Status Body(const OpKernelConstruction& c, const char* attr, int i,
            const std::vector<DataType>& args, const std::vector<DataType>& rets,
            std::unique_ptr<FunctionBody>* out) {
  CKPT_RETURN_IF_ERROR(Function(c, attr, i, out));
  return CheckSignature(c, attr, **out, args, rets);
}

std::vector<TensorValue> Inputs(OpKernelContext* ctx, int first) {
  std::vector<TensorValue> v(ctx->num_inputs() - first);
  for (int i = first; i < ctx->num_inputs(); ++i) {
    if (ctx->info().input_type(i) == DataType::kResource) {
      v[i - first].resource = ctx->resource_input(i);
    } else {
      v[i - first].tensor = ctx->input(i);
    }
  }
  return v;
}

void SetOutputs(OpKernelContext* ctx, std::vector<TensorValue> values) {
  for (int o = 0; o < ctx->num_outputs(); ++o) {
    if (values[o].resource != nullptr) {
      ctx->set_resource_output(o, values[o].resource);
    } else {
      ctx->set_output(o, std::move(values[o].tensor));
    }
  }
}

// TF's truth value of a predicate: a scalar's value (non-empty for strings); a tensor with
// more than one element is true when it has any elements.
StatusOr<bool> Truth(const Tensor& t, const std::string& node) {
  if (!t.valid()) return InvalidArgumentError("node " + node + ": the predicate has no value");
  if (t.num_elements() != 1 || t.shape().rank() != 0) return t.num_elements() > 0;
  switch (t.dtype()) {
    case DataType::kBool: return t.data<bool>()[0];
    case DataType::kFloat: return t.data<float>()[0] != 0;
    case DataType::kDouble: return t.data<double>()[0] != 0;
    case DataType::kInt32: return t.data<int32_t>()[0] != 0;
    case DataType::kInt64: return t.data<int64_t>()[0] != 0;
    case DataType::kString: return !t.strings()[0].empty();
    default:
      return UnimplementedError("node " + node + ": predicate of dtype " +
                                std::string(DataTypeName(t.dtype())));
  }
}

class IfKernel : public OpKernel {
 public:
  explicit IfKernel(const OpKernelConstruction& c) {
    const auto args = InputTypes(c, 1), rets = OutputTypes(c);
    CKPT_OP_REQUIRES_OK(c, Body(c, "then_branch", -1, args, rets, &then_));
    CKPT_OP_REQUIRES_OK(c, Body(c, "else_branch", -1, args, rets, &else_));
  }
  Status Compute(OpKernelContext* ctx) override {
    CKPT_ASSIGN_OR_RETURN(bool cond, Truth(ctx->input(0), ctx->name()));
    CKPT_ASSIGN_OR_RETURN(auto out, (cond ? then_ : else_)->Run(ctx, Inputs(ctx, 1)));
    SetOutputs(ctx, std::move(out));
    return Status::OK();
  }

 private:
  std::unique_ptr<FunctionBody> then_, else_;
};

// Case: branches[index]; an index outside [0, N) runs the last branch, as TF does.
class CaseKernel : public OpKernel {
 public:
  explicit CaseKernel(const OpKernelConstruction& c) {
    const auto args = InputTypes(c, 1), rets = OutputTypes(c);
    auto it = c.def().attr().find("branches");
    const int n = it == c.def().attr().end() ? 0 : it->second.list().func_size();
    if (n == 0) {
      CKPT_OP_REQUIRES_OK(c, InvalidArgumentError("node " + c.name() + ": Case without branches"));
    }
    branches_.resize(n);
    for (int i = 0; i < n; ++i) {
      CKPT_OP_REQUIRES_OK(c, Body(c, "branches", i, args, rets, &branches_[i]));
    }
  }
  Status Compute(OpKernelContext* ctx) override {
    const Tensor& index = ctx->input(0);
    if (index.num_elements() != 1) {
      return InvalidArgumentError("branch_index must be a scalar, got shape " +
                                  index.shape().DebugString());
    }
    int32_t i = index.data<int32_t>()[0];
    const int n = static_cast<int>(branches_.size());
    if (i < 0 || i >= n) i = n - 1;
    CKPT_ASSIGN_OR_RETURN(auto out, branches_[i]->Run(ctx, Inputs(ctx, 1)));
    SetOutputs(ctx, std::move(out));
    return Status::OK();
  }

 private:
  std::vector<std::unique_ptr<FunctionBody>> branches_;
};

// While: loop_vars = body(loop_vars) while cond(loop_vars). The body must keep every loop
// variable's dtype (checked when the kernel is built).
class WhileKernel : public OpKernel {
 public:
  explicit WhileKernel(const OpKernelConstruction& c) {
    const auto vars = InputTypes(c, 0);
    // The cond returns one value of any dtype TF can take the truth of.
    CKPT_OP_REQUIRES_OK(c, Function(c, "cond", -1, &cond_));
    std::vector<DataType> pred = cond_->ret_types();
    if (pred.size() != 1) pred = {DataType::kBool};
    CKPT_OP_REQUIRES_OK(c, CheckSignature(c, "cond", *cond_, vars, pred));
    CKPT_OP_REQUIRES_OK(c, Body(c, "body", -1, vars, vars, &body_));
  }
  Status Compute(OpKernelContext* ctx) override {
    std::vector<TensorValue> vars = Inputs(ctx, 0);
    for (;;) {
      CKPT_RETURN_IF_ERROR(ctx->CheckLimits());
      CKPT_ASSIGN_OR_RETURN(auto c, cond_->Run(ctx, vars));
      CKPT_ASSIGN_OR_RETURN(bool go, Truth(c[0].tensor, ctx->name()));
      if (!go) break;
      CKPT_ASSIGN_OR_RETURN(vars, body_->Run(ctx, vars));
    }
    SetOutputs(ctx, std::move(vars));
    return Status::OK();
  }

 private:
  std::unique_ptr<FunctionBody> cond_, body_;
};

}  // namespace

void RegisterFunctionalKernels(KernelRegistry* r) {
  r->Register("If", MakeKernel<IfKernel>());
  r->Register("StatelessIf", MakeKernel<IfKernel>());
  r->Register("Case", MakeKernel<CaseKernel>());
  r->Register("StatelessCase", MakeKernel<CaseKernel>());
  r->Register("While", MakeKernel<WhileKernel>());
  r->Register("StatelessWhile", MakeKernel<WhileKernel>());
}

}  // namespace ckpt
