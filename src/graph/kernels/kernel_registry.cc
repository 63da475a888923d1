#include <cassert>
#include <chrono>
#include <climits>

#include "graph/kernel.h"
#include "graph/tensor_proto.h"

namespace ckpt {

namespace {

void RegisterAllKernels(KernelRegistry* r) {
  RegisterArrayKernels(r);
  RegisterMathKernels(r);
  RegisterMatMulKernels(r);
  RegisterNnKernels(r);
  RegisterStateKernels(r);
  RegisterRandomKernels(r);
  RegisterControlFlowKernels(r);
  RegisterConvKernels(r);
  RegisterPoolingKernels(r);
  RegisterBatchNormKernels(r);
  RegisterStatelessRandomKernels(r);
  RegisterResourceVariableKernels(r);
  RegisterLookupKernels(r);
  RegisterFunctionalKernels(r);
  RegisterTrainingKernels(r);
  RegisterStringKernels(r);
  RegisterRaggedKernels(r);
  RegisterImageKernels(r);
  RegisterIoKernels(r);
}

class FnKernel : public OpKernel {
 public:
  explicit FnKernel(const KernelRegistry::ComputeFn* fn) : fn_(fn) {}
  Status Compute(OpKernelContext* ctx) override { return (*fn_)(ctx); }

 private:
  const KernelRegistry::ComputeFn* fn_;
};

}  // namespace

const KernelRegistry& KernelRegistry::Global() {
  static const KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();
    RegisterAllKernels(r);
    return r;
  }();
  return *registry;
}

void KernelRegistry::Register(std::string op, KernelFactory factory) {
  bool inserted = kernels_.emplace(std::move(op), std::move(factory)).second;
  assert(inserted && "duplicate kernel registration");
  (void)inserted;
}

void KernelRegistry::RegisterFn(std::string op, ComputeFn fn) {
  auto shared = std::make_shared<ComputeFn>(std::move(fn));
  Register(std::move(op),
           [shared](const OpKernelConstruction&) -> StatusOr<std::unique_ptr<OpKernel>> {
             return std::unique_ptr<OpKernel>(new FnKernel(shared.get()));
           });
}

const KernelFactory* KernelRegistry::Find(std::string_view op) const {
  auto it = kernels_.find(op);
  return it == kernels_.end() ? nullptr : &it->second;
}

std::vector<std::string> KernelRegistry::ListOps() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : kernels_) out.push_back(k);
  return out;
}

// ---- VariableStore --------------------------------------------------------------------------

std::string VariableStore::KeyFor(std::string_view container, std::string_view shared_name,
                                  std::string_view node_name) {
  std::string key(container.empty() ? "localhost" : container);
  key += "/";
  key += shared_name.empty() ? node_name : shared_name;
  return key;
}

namespace {
VarSlot* LookupOrCreate(std::map<std::string, std::unique_ptr<VarSlot>, std::less<>>& m,
                        const std::string& key, DataType dtype, std::string_view name) {
  auto it = m.find(key);
  if (it != m.end()) return it->second.get();
  auto slot = std::make_unique<VarSlot>();
  slot->dtype = dtype;
  slot->name = std::string(name);
  VarSlot* raw = slot.get();
  m.emplace(key, std::move(slot));
  return raw;
}
}  // namespace

VarSlot* VariableStore::LookupOrCreateRef(const std::string& key, DataType dtype,
                                          std::string_view name) {
  std::lock_guard<std::mutex> l(mu_);
  return LookupOrCreate(refs_, key, dtype, name);
}

VarSlot* VariableStore::LookupOrCreateResource(const std::string& key, DataType dtype,
                                               std::string_view name) {
  std::lock_guard<std::mutex> l(mu_);
  return LookupOrCreate(resources_, key, dtype, name);
}

VarSlot* VariableStore::FindRef(const std::string& key) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = refs_.find(key);
  return it == refs_.end() ? nullptr : it->second.get();
}

VarSlot* VariableStore::FindResource(const std::string& key) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = resources_.find(key);
  return it == resources_.end() ? nullptr : it->second.get();
}

// ---- OpKernelConstruction -----------------------------------------------------------------

namespace {

StatusOr<const tensorflow::AttrValue*> FindAttrOf(const tensorflow::NodeDef& def,
                                                  std::string_view attr,
                                                  tensorflow::AttrValue::ValueCase want,
                                                  const char* kind) {
  auto it = def.attr().find(std::string(attr));
  if (it == def.attr().end()) {
    return NotFoundError("node '" + def.name() + "' (" + def.op() + ") has no attr '" +
                         std::string(attr) + "'");
  }
  if (it->second.value_case() != want) {
    return InvalidArgumentError("node '" + def.name() + "' (" + def.op() + "): attr '" +
                                std::string(attr) + "' is not a " + kind);
  }
  return &it->second;
}

using AV = tensorflow::AttrValue;

}  // namespace

bool OpKernelConstruction::HasAttr(std::string_view attr) const {
  return def_.attr().count(std::string(attr)) > 0;
}

Status OpKernelConstruction::GetAttr(std::string_view attr, int64_t* v) const {
  CKPT_ASSIGN_OR_RETURN(const AV* a, FindAttrOf(def_, attr, AV::kI, "int"));
  *v = a->i();
  return Status::OK();
}
Status OpKernelConstruction::GetAttr(std::string_view attr, int* v) const {
  int64_t x = 0;
  CKPT_RETURN_IF_ERROR(GetAttr(attr, &x));
  if (x < INT32_MIN || x > INT32_MAX) {
    return InvalidArgumentError("node '" + def_.name() + "': attr '" + std::string(attr) +
                                "' out of int32 range");
  }
  *v = static_cast<int>(x);
  return Status::OK();
}
Status OpKernelConstruction::GetAttr(std::string_view attr, float* v) const {
  CKPT_ASSIGN_OR_RETURN(const AV* a, FindAttrOf(def_, attr, AV::kF, "float"));
  *v = a->f();
  return Status::OK();
}
Status OpKernelConstruction::GetAttr(std::string_view attr, bool* v) const {
  CKPT_ASSIGN_OR_RETURN(const AV* a, FindAttrOf(def_, attr, AV::kB, "bool"));
  *v = a->b();
  return Status::OK();
}
Status OpKernelConstruction::GetAttr(std::string_view attr, DataType* v) const {
  CKPT_ASSIGN_OR_RETURN(const AV* a, FindAttrOf(def_, attr, AV::kType, "type"));
  *v = static_cast<DataType>(a->type());
  return Status::OK();
}
Status OpKernelConstruction::GetAttr(std::string_view attr, std::string* v) const {
  CKPT_ASSIGN_OR_RETURN(const AV* a, FindAttrOf(def_, attr, AV::kS, "string"));
  *v = a->s();
  return Status::OK();
}
Status OpKernelConstruction::GetAttr(std::string_view attr, PartialShape* v) const {
  CKPT_ASSIGN_OR_RETURN(const AV* a, FindAttrOf(def_, attr, AV::kShape, "shape"));
  CKPT_ASSIGN_OR_RETURN(*v, PartialShapeFromProto(a->shape()));
  return Status::OK();
}
Status OpKernelConstruction::GetAttr(std::string_view attr, Tensor* v) const {
  CKPT_ASSIGN_OR_RETURN(const AV* a, FindAttrOf(def_, attr, AV::kTensor, "tensor"));
  auto t = TensorFromProto(a->tensor());
  if (!t.ok())
    return t.status().WithContext("node '" + def_.name() + "' attr '" + std::string(attr) + "'");
  *v = std::move(t).value();
  return Status::OK();
}
Status OpKernelConstruction::GetAttr(std::string_view attr, std::vector<int64_t>* v) const {
  CKPT_ASSIGN_OR_RETURN(const AV* a, FindAttrOf(def_, attr, AV::kList, "list"));
  v->assign(a->list().i().begin(), a->list().i().end());
  return Status::OK();
}
Status OpKernelConstruction::GetAttr(std::string_view attr, std::vector<int32_t>* v) const {
  CKPT_ASSIGN_OR_RETURN(const AV* a, FindAttrOf(def_, attr, AV::kList, "list"));
  v->clear();
  for (int64_t x : a->list().i()) v->push_back(static_cast<int32_t>(x));
  return Status::OK();
}
Status OpKernelConstruction::GetAttr(std::string_view attr, std::vector<DataType>* v) const {
  CKPT_ASSIGN_OR_RETURN(const AV* a, FindAttrOf(def_, attr, AV::kList, "list"));
  v->clear();
  for (int t : a->list().type()) v->push_back(static_cast<DataType>(t));
  return Status::OK();
}
Status OpKernelConstruction::GetAttr(std::string_view attr, std::vector<std::string>* v) const {
  CKPT_ASSIGN_OR_RETURN(const AV* a, FindAttrOf(def_, attr, AV::kList, "list"));
  v->assign(a->list().s().begin(), a->list().s().end());
  return Status::OK();
}

namespace {
StatusOr<Tensor*> SetOutput(OpKernelContext* ctx, TensorValue* slot, int i, StatusOr<Tensor> t) {
  if (!t.ok()) {
    return t.status().WithContext("node '" + ctx->name() + "' output " + std::to_string(i));
  }
  slot->tensor = std::move(t).value();
  return &slot->tensor;
}
}  // namespace

uint64_t RunLimits::NowSteadyMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

Status RunLimits::Check() const {
  if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
    return CancelledError("the run was cancelled");
  }
  if (deadline_micros != 0 && NowSteadyMicros() >= deadline_micros) {
    return DeadlineExceededError("the run exceeded its deadline of " + std::to_string(timeout_ms) +
                                 " ms");
  }
  return Status::OK();
}

StatusOr<Tensor*> OpKernelContext::allocate_output(int i, DataType dtype,
                                                   const TensorShape& shape) {
  return SetOutput(
      this, &outputs_[i], i,
      Tensor::AllocateReusing(spares_ ? &spares_[i] : nullptr, dtype, shape,
                              /*zero_fill=*/true, limits_ ? limits_->account : nullptr));
}

StatusOr<Tensor*> OpKernelContext::allocate_output_uninitialized(int i, DataType dtype,
                                                                 const TensorShape& shape) {
  return SetOutput(
      this, &outputs_[i], i,
      Tensor::AllocateReusing(spares_ ? &spares_[i] : nullptr, dtype, shape,
                              /*zero_fill=*/false, limits_ ? limits_->account : nullptr));
}

}  // namespace ckpt
