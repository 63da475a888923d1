// Optimizers: the C++ counterparts of tf.compat.v1.train.{GradientDescent,Momentum,Adam,
// RMSProp}Optimizer in graph mode.
//
// Minimize(loss) = ComputeGradients (Gradients() with gate_gradients, over the trainable
// variables) + ApplyGradients, adding the nodes TF 2.21 adds: slot variables named after the
// primary variable ("W/Momentum", "W/Adam", "W/Adam_1", "W/RMSProp", "W/RMSProp_1") with their
// "Initializer/zeros" (or "ones") constants, colocated with the primary ("_class" loc:@W);
// non-slot variables "beta1_power"/"beta2_power" (Adam); hyperparameter Consts
// ("<Name>/learning_rate", ...); one update op per variable
// ("<Name>/update_W/ApplyAdam", or ResourceApplyAdam for resource variables); and the final
// train op: a NoOp "<Name>" grouping the updates, or, with a global step, NoOp "<Name>/update"
// followed by the AssignAdd (AssignAddVariableOp for resource) of 1 named "<Name>". The train
// op is appended to the kTrainOp collection. Because names and slot names match TF's, a
// checkpoint written by a TF program training the same model is restored by name, and back.
//
// Update formulas (TF's kernels, evaluated in the variable's dtype):
//   GradientDescent: var -= lr * grad
//   Momentum:        accum = accum * momentum + grad; var -= lr * accum
//                    (nesterov: var -= grad * lr + accum * momentum * lr)
//   Adam:            lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); m += (g - m) * (1 - beta1);
//                    v += (g^2 - v) * (1 - beta2); var -= m * lr_t / (sqrt(v) + epsilon)
//   RMSProp:         ms += (g^2 - ms) * (1 - decay);  (ms starts at 1)
//                    mom = mom * momentum + lr * g / sqrt(ms + epsilon); var -= mom
//
// Errors are returned (and the graph's sticky status is set when a builder failed):
// InvalidArgument for a loss that is not a float scalar-compatible tensor, no variables to
// optimize, or no gradient for any of them ("No gradients provided for any variable").
//
// Thread safety: as Graph (one thread builds a graph).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ckpt/core/status.h"
#include "ckpt/graph/graph.h"

namespace ckpt {

// tf.compat.v1.train.get_or_create_global_step(): the int64 scalar variable "global_step"
// (zeros initializer, colocated with itself, in collections kGlobalVariables and kGlobalStep,
// not trainable). Returns the existing one when kGlobalStep already holds a variable.
// `use_resource` picks a resource variable (as TF2 behaviour does). Default: ref variable.
StatusOr<Output> GetOrCreateGlobalStep(Graph& g, bool use_resource = false);
// The kGlobalStep collection's variable, or NotFound.
StatusOr<Output> GetGlobalStep(const Graph& g);

// One (gradient, variable) pair. `gradient` is invalid when the loss does not depend on it.
struct GradAndVar {
  Output gradient;
  VariableInfo variable;
};

struct MinimizeOptions {
  // Variables to optimize. Default (empty): every variable in kTrainableVariables.
  std::vector<VariableInfo> var_list;
  // When valid, the train op increments this variable by 1 after the updates. Default: none.
  Output global_step;
  // Name of the train op and the scope of the update nodes. Default: the optimizer's name.
  std::string name;
};

class Optimizer {
 public:
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // tf.compat.v1.train.Optimizer.compute_gradients(loss, var_list) with GATE_OP.
  StatusOr<std::vector<GradAndVar>> ComputeGradients(Graph& g, const Output& loss,
                                                     std::vector<VariableInfo> var_list = {});
  // apply_gradients(grads_and_vars, global_step, name). Pairs without a gradient are skipped.
  StatusOr<Operation> ApplyGradients(Graph& g, const std::vector<GradAndVar>& grads_and_vars,
                                     const Output& global_step = Output(),
                                     std::string_view name = "");
  // minimize(loss, global_step, var_list, name).
  StatusOr<Operation> Minimize(Graph& g, const Output& loss, const MinimizeOptions& options = {});

  const std::string& name() const { return name_; }
  // Slot variable of `var` (node name "W") for `slot` ("m", "v", "momentum", "rms"), as
  // get_slot; nullptr before ApplyGradients created it.
  const VariableInfo* GetSlot(std::string_view var, std::string_view slot) const;
  // Slot names of this optimizer (get_slot_names), e.g. {"m", "v"} for Adam.
  virtual std::vector<std::string> SlotNames() const = 0;

 protected:
  Optimizer(std::string name, bool use_locking);

  // Per-optimizer hooks, mirroring TF's _create_slots/_prepare/_apply_dense/_finish.
  virtual Status CreateSlots(Graph& g, const std::vector<VariableInfo>& vars) = 0;
  virtual Status Prepare(Graph& g) = 0;
  // Called inside scope "<name>/update_<var>/" (colocated with the variable).
  virtual StatusOr<Operation> ApplyDense(Graph& g, const Output& grad, const VariableInfo& var) = 0;
  // Called inside scope "<name>/"; returns the op that groups the updates.
  virtual StatusOr<Operation> Finish(Graph& g, const std::vector<Operation>& update_ops,
                                     const std::string& name_scope);

  // Creates a slot variable "<var>/<op name>" (made unique) initialized to `value` (zeros or
  // ones), of the primary's dtype and shape, with the primary's kind (ref or resource).
  StatusOr<VariableInfo> CreateSlot(Graph& g, const VariableInfo& primary, double value,
                                    std::string_view slot);
  // Creates a non-slot scalar variable (beta1_power) colocated with `colocate_with`.
  StatusOr<VariableInfo> CreateNonSlot(Graph& g, double value, std::string_view name,
                                       const VariableInfo& colocate_with);
  // Const "<scope>/<name>" with a scalar of dtype float (hyperparameters).
  Output HyperConst(Graph& g, double v, std::string_view name, DataType dtype);

  std::string name_;
  bool use_locking_;
  // (var node, slot name) -> slot variable.
  std::vector<std::pair<std::pair<std::string, std::string>, VariableInfo>> slots_;
  std::vector<std::pair<std::string, VariableInfo>> non_slots_;
  DataType dtype_ = DataType::kFloat;
};

class GradientDescentOptimizer : public Optimizer {
 public:
  explicit GradientDescentOptimizer(double learning_rate, bool use_locking = false,
                                    std::string name = "GradientDescent");
  std::vector<std::string> SlotNames() const override { return {}; }

 protected:
  Status CreateSlots(Graph&, const std::vector<VariableInfo>&) override { return Status::OK(); }
  Status Prepare(Graph& g) override;
  StatusOr<Operation> ApplyDense(Graph& g, const Output& grad, const VariableInfo& var) override;

 private:
  double lr_;
  Output lr_t_;
};

class MomentumOptimizer : public Optimizer {
 public:
  MomentumOptimizer(double learning_rate, double momentum, bool use_locking = false,
                    std::string name = "Momentum", bool use_nesterov = false);
  std::vector<std::string> SlotNames() const override { return {"momentum"}; }

 protected:
  Status CreateSlots(Graph& g, const std::vector<VariableInfo>& vars) override;
  Status Prepare(Graph& g) override;
  StatusOr<Operation> ApplyDense(Graph& g, const Output& grad, const VariableInfo& var) override;

 private:
  double lr_, momentum_;
  bool nesterov_;
  Output lr_t_, momentum_t_;
};

class AdamOptimizer : public Optimizer {
 public:
  explicit AdamOptimizer(double learning_rate = 0.001, double beta1 = 0.9, double beta2 = 0.999,
                         double epsilon = 1e-8, bool use_locking = false,
                         std::string name = "Adam");
  std::vector<std::string> SlotNames() const override { return {"m", "v"}; }

 protected:
  Status CreateSlots(Graph& g, const std::vector<VariableInfo>& vars) override;
  Status Prepare(Graph& g) override;
  StatusOr<Operation> ApplyDense(Graph& g, const Output& grad, const VariableInfo& var) override;
  StatusOr<Operation> Finish(Graph& g, const std::vector<Operation>& update_ops,
                             const std::string& name_scope) override;

 private:
  double lr_, beta1_, beta2_, epsilon_;
  Output lr_t_, beta1_t_, beta2_t_, epsilon_t_;
  VariableInfo beta1_power_, beta2_power_;
};

class RMSPropOptimizer : public Optimizer {
 public:
  explicit RMSPropOptimizer(double learning_rate, double decay = 0.9, double momentum = 0.0,
                            double epsilon = 1e-10, bool use_locking = false,
                            std::string name = "RMSProp");
  std::vector<std::string> SlotNames() const override { return {"rms", "momentum"}; }

 protected:
  Status CreateSlots(Graph& g, const std::vector<VariableInfo>& vars) override;
  Status Prepare(Graph& g) override;
  StatusOr<Operation> ApplyDense(Graph& g, const Output& grad, const VariableInfo& var) override;

 private:
  double lr_, decay_, momentum_, epsilon_;
  Output lr_t_, decay_t_, momentum_t_, epsilon_t_;
};

}  // namespace ckpt
