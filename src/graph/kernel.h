// Kernels: CPU implementations of ops, in a registry keyed by the TF op name.
//
// A kernel is built once per node (OpKernelConstruction gives the node's attrs and input and
// output types; parse attrs there) and then Compute()d once per Run step that needs the node.
// Kernels dispatch on dtype themselves and return Unimplemented for dtypes they lack.
//
// Files are grouped by op family: src/graph/kernels/<family>_kernels.cc each define
// Register<Family>Kernels(KernelRegistry*); RegisterAllKernels() (kernel_registry.cc) calls
// them all. tests/graph/registry_test.cc fails if a registered op has no kernel.
//
// Values flowing between nodes are TensorValues: a plain Tensor, a ref (VariableV2 output:
// the variable's slot) or a resource handle (VarHandleOp output: the slot in the session's
// variable store). The executor dereferences refs for non-ref inputs, failing with
// FailedPrecondition "attempting to use uninitialized value W" when unset.
//
// Thread safety: a kernel's Compute may be called by one thread at a time (the session
// serializes steps); the registry is immutable after Global() is built.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/dtype.h"
#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/core/tensor_shape.h"
#include "ckpt/graph/graph.h"
#include "tensorflow/core/framework/node_def.pb.h"

namespace Eigen {
struct ThreadPoolDevice;
}
namespace tensorflow {
class FunctionDefLibrary;
}

namespace ckpt {

// A resource other than a variable that a DT_RESOURCE handle names (a lookup table). It is
// held by a VarSlot's `object`; the kernels of its op family downcast it.
class ResourceBase {
 public:
  virtual ~ResourceBase() = default;
  virtual std::string_view kind() const = 0;  // for errors: "hash table"
};

// A variable's storage (ref variable or resource variable), or another resource (`object`).
struct VarSlot {
  std::mutex mu;
  std::string name;  // node name that created it, for error messages
  DataType dtype = DataType::kInvalid;
  Tensor value;  // valid() once initialized
  // Set once, by the kernel that creates the resource (under `mu`), and never replaced, so a
  // pointer read under `mu` stays valid while the session lives.
  std::unique_ptr<ResourceBase> object;
  bool initialized() const { return value.valid(); }
};

// The session's variables. Keys are "container/shared_name" (container "localhost" when
// empty; shared_name the node name when empty), separately for ref and resource variables.
class VariableStore {
 public:
  // Returns the slot for `key`, creating it (uninitialized, with `dtype` and `name`) if absent.
  VarSlot* LookupOrCreateRef(const std::string& key, DataType dtype, std::string_view name);
  VarSlot* LookupOrCreateResource(const std::string& key, DataType dtype, std::string_view name);
  // nullptr when absent.
  VarSlot* FindRef(const std::string& key) const;
  VarSlot* FindResource(const std::string& key) const;

  // Key of a VariableV2 / VarHandleOp node from its container and shared_name attrs.
  static std::string KeyFor(std::string_view container, std::string_view shared_name,
                            std::string_view node_name);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<VarSlot>, std::less<>> refs_;
  std::map<std::string, std::unique_ptr<VarSlot>, std::less<>> resources_;
};

// A value on an edge.
struct TensorValue {
  Tensor tensor;                // plain value (unset for refs and resources)
  VarSlot* ref = nullptr;       // ref output of VariableV2
  VarSlot* resource = nullptr;  // DT_RESOURCE handle
};

// What a kernel sees when it is built.
//
// Kernel constructors read their attrs with CKPT_OP_REQUIRES_OK (TF's OP_REQUIRES_OK): a failing
// read is recorded as the construction's status (the first failure is kept) and the
// constructor returns; the session then reports that status prefixed with the node instead of
// running the kernel. Attrs an op may lack (one kernel class shared by ops with different
// attrs) are read under HasAttr().
class OpKernelConstruction {
 public:
  // `library` (nullable, borrowed): the graph's functions, for kernels that call them.
  OpKernelConstruction(const tensorflow::NodeDef& def, std::vector<int32_t> input_types,
                       std::vector<int32_t> output_types, Env* env,
                       const Eigen::ThreadPoolDevice* device,
                       const tensorflow::FunctionDefLibrary* library = nullptr)
      : def_(def),
        input_types_(std::move(input_types)),
        output_types_(std::move(output_types)),
        env_(env),
        device_(device),
        library_(library) {}

  const tensorflow::NodeDef& def() const { return def_; }
  const std::string& name() const { return def_.name(); }
  const std::string& op() const { return def_.op(); }
  int num_inputs() const { return static_cast<int>(input_types_.size()); }
  int num_outputs() const { return static_cast<int>(output_types_.size()); }
  // Base dtypes (refs stripped) and ref-ness.
  DataType input_type(int i) const { return BaseType(input_types_[i]); }
  DataType output_type(int i) const { return BaseType(output_types_[i]); }
  bool input_is_ref(int i) const { return IsRefType(input_types_[i]); }

  // Attr readers. NotFound/InvalidArgument name the node and attr.
  Status GetAttr(std::string_view attr, int64_t* v) const;
  Status GetAttr(std::string_view attr, int* v) const;
  Status GetAttr(std::string_view attr, float* v) const;
  Status GetAttr(std::string_view attr, bool* v) const;
  Status GetAttr(std::string_view attr, DataType* v) const;
  Status GetAttr(std::string_view attr, std::string* v) const;
  Status GetAttr(std::string_view attr, PartialShape* v) const;
  Status GetAttr(std::string_view attr, Tensor* v) const;
  Status GetAttr(std::string_view attr, std::vector<int64_t>* v) const;
  Status GetAttr(std::string_view attr, std::vector<int32_t>* v) const;
  Status GetAttr(std::string_view attr, std::vector<DataType>* v) const;
  Status GetAttr(std::string_view attr, std::vector<std::string>* v) const;
  bool HasAttr(std::string_view attr) const;

  Env* env() const { return env_; }
  const Eigen::ThreadPoolDevice* eigen_device() const { return device_; }
  // The graph's function library (If/While/Case bodies); nullptr when the kernel was built
  // without one.
  const tensorflow::FunctionDefLibrary* library() const { return library_; }

  // Records `s` as the construction's failure unless one is already recorded. Constructors
  // take the construction by const reference; the status is the one mutable part.
  void CtxFailure(const Status& s) const {
    if (status_.ok()) status_ = s;
  }
  // OK, or the first failure recorded while building the kernel.
  const Status& status() const { return status_; }

 private:
  mutable Status status_;
  const tensorflow::NodeDef& def_;
  std::vector<int32_t> input_types_;
  std::vector<int32_t> output_types_;
  Env* env_;
  const Eigen::ThreadPoolDevice* device_;
  const tensorflow::FunctionDefLibrary* library_;
};

// In a kernel constructor: evaluates EXPR (a Status); on error records it in the construction
// CTX (see OpKernelConstruction::CtxFailure) and returns from the constructor.
#define CKPT_OP_REQUIRES_OK(CTX, EXPR) \
  do {                                 \
    ::ckpt::Status _ckpt_s = (EXPR);   \
    if (!_ckpt_s.ok()) {               \
      (CTX).CtxFailure(_ckpt_s);       \
      return;                          \
    }                                  \
  } while (0)

// The limits of one Run (RunOptions) as its kernels see them. The executor checks them before
// each op; kernels that loop (While) check them at each iteration.
struct RunLimits {
  uint64_t deadline_micros = 0;  // on the steady clock (NowSteadyMicros); 0: none
  int64_t timeout_ms = 0;        // what the deadline came from, for messages
  const std::atomic<bool>* cancel = nullptr;
  MemoryAccount* account = nullptr;  // charged with every output allocation; null: no limit

  // Whether Check() can fail (deadline or cancel flag set).
  bool checked() const { return deadline_micros != 0 || cancel != nullptr; }
  // Cancelled or DeadlineExceeded once the run must stop.
  Status Check() const;
  static uint64_t NowSteadyMicros();
};

// What a kernel sees when it runs. Inputs are pointers to the values on the node's input
// edges (refs read as values already dereferenced by the executor); outputs are the node's
// output slots, empty on entry.
class OpKernelContext {
 public:
  // `spares` (nullable): per output, a buffer of an earlier step that allocations may reuse.
  OpKernelContext(const OpKernelConstruction* info, const TensorValue* const* inputs,
                  int num_inputs, TensorValue* outputs, int num_outputs, VariableStore* vars,
                  int64_t step_id, Tensor* spares = nullptr)
      : info_(info),
        inputs_(inputs),
        outputs_(outputs),
        spares_(spares),
        num_inputs_(num_inputs),
        num_outputs_(num_outputs),
        vars_(vars),
        step_id_(step_id) {}

  const OpKernelConstruction& info() const { return *info_; }
  const std::string& name() const { return info_->name(); }
  int num_inputs() const { return num_inputs_; }
  int num_outputs() const { return num_outputs_; }

  // Value of a non-ref, non-resource input (the executor has dereferenced refs).
  const Tensor& input(int i) const { return inputs_[i]->tensor; }
  // The slot of a ref input (Assign's "ref") or a resource input; nullptr if not one.
  VarSlot* ref_input(int i) const { return inputs_[i]->ref; }
  VarSlot* resource_input(int i) const { return inputs_[i]->resource; }

  void set_output(int i, Tensor t) { outputs_[i].tensor = std::move(t); }
  // Passes input `in` through as output `out` unchanged (tensor or resource handle).
  void forward_input(int in, int out) { outputs_[out] = *inputs_[in]; }
  void set_ref_output(int i, VarSlot* slot) { outputs_[i].ref = slot; }
  void set_resource_output(int i, VarSlot* slot) { outputs_[i].resource = slot; }
  // Allocates an output of the given dtype/shape (ResourceExhausted on absurd sizes). Its
  // elements are zero.
  StatusOr<Tensor*> allocate_output(int i, DataType dtype, const TensorShape& shape);
  // The same with the elements left unset (strings still empty), for kernels that write every
  // element: it saves a pass over the output's memory.
  StatusOr<Tensor*> allocate_output_uninitialized(int i, DataType dtype, const TensorShape& shape);

  VariableStore* variables() const { return vars_; }
  // The run's limits (null: none). Nested contexts (function bodies) pass them on.
  const RunLimits* limits() const { return limits_; }
  void set_limits(const RunLimits* limits) { limits_ = limits; }
  // OK, or why the run must stop now (RunLimits::Check).
  Status CheckLimits() const {
    return limits_ != nullptr && limits_->checked() ? limits_->Check() : Status::OK();
  }
  Env* env() const { return info_->env(); }
  const Eigen::ThreadPoolDevice* eigen_device() const { return info_->eigen_device(); }
  int64_t step_id() const { return step_id_; }

 private:
  const OpKernelConstruction* info_;
  const TensorValue* const* inputs_;
  TensorValue* outputs_;
  Tensor* spares_;
  int num_inputs_;
  int num_outputs_;
  VariableStore* vars_;
  int64_t step_id_;
  const RunLimits* limits_ = nullptr;
};

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual Status Compute(OpKernelContext* ctx) = 0;
};

// Builds the kernel for one node; errors (bad attrs, unsupported dtype) name the node.
using KernelFactory =
    std::function<StatusOr<std::unique_ptr<OpKernel>>(const OpKernelConstruction&)>;

class KernelRegistry {
 public:
  static const KernelRegistry& Global();

  // REQUIRES (asserted): `op` not yet registered.
  void Register(std::string op, KernelFactory factory);
  // Registers a stateless kernel given as a function of the context.
  using ComputeFn = std::function<Status(OpKernelContext*)>;
  void RegisterFn(std::string op, ComputeFn fn);

  // nullptr when `op` has no kernel.
  const KernelFactory* Find(std::string_view op) const;
  std::vector<std::string> ListOps() const;  // sorted

 private:
  std::map<std::string, KernelFactory, std::less<>> kernels_;
};

// The factory of kernel class K, constructed from the OpKernelConstruction; K reads its attrs
// with CKPT_OP_REQUIRES_OK and the session reports the first failure naming the node.
template <typename K>
KernelFactory MakeKernel() {
  return [](const OpKernelConstruction& c) -> StatusOr<std::unique_ptr<OpKernel>> {
    return std::unique_ptr<OpKernel>(new K(c));
  };
}

// Family registration functions (src/graph/kernels/*_kernels.cc).
void RegisterArrayKernels(KernelRegistry* r);
void RegisterMathKernels(KernelRegistry* r);
void RegisterMatMulKernels(KernelRegistry* r);  // math family: MatMul (matmul_kernels.cc)
void RegisterNnKernels(KernelRegistry* r);
void RegisterStateKernels(KernelRegistry* r);
void RegisterRandomKernels(KernelRegistry* r);
void RegisterControlFlowKernels(KernelRegistry* r);       // NoOp
void RegisterConvKernels(KernelRegistry* r);              // Conv2D
void RegisterPoolingKernels(KernelRegistry* r);           // MaxPool, AvgPool
void RegisterBatchNormKernels(KernelRegistry* r);         // FusedBatchNorm, V2, V3
void RegisterStatelessRandomKernels(KernelRegistry* r);   // Philox stateless random
void RegisterResourceVariableKernels(KernelRegistry* r);  // DisableCopyOnRead, ResourceGather
void RegisterLookupKernels(KernelRegistry* r);            // hash tables
void RegisterFunctionalKernels(KernelRegistry* r);        // If, Case, While (+ Stateless forms)
void RegisterTrainingKernels(KernelRegistry* r);          // training_kernels.cc
void RegisterStringKernels(KernelRegistry* r);            // StringJoin, StringLower, regex, ...
void RegisterRaggedKernels(KernelRegistry* r);            // RaggedTensorToTensor
void RegisterImageKernels(KernelRegistry* r);             // ResizeBilinear, ResizeNearestNeighbor
// Registered last: its "Variable" kernel reuses the VariableV2 factory.
void RegisterIoKernels(KernelRegistry* r);

}  // namespace ckpt
