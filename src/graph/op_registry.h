// The op registry: TF OpDefs (input/output args, attrs with defaults and allowed values) keyed
// by op name, table-driven.
//
// Each op family has a file src/graph/ops/<family>_ops.cc with a table of OpEntry: the
// op's shape function (shape_fn.h) and its text-format OpDef (taken from TF 2.21's registry
// with descriptions stripped; regenerate lines with src/graph/ops/print_op_defs.py), and a
// function Register<Family>Ops(OpRegistry*). To add a family, add the file and one call in
// RegisterAllOps() (src/graph/ops/op_registry.cc). Tests require every registered op to have a
// shape function, a kernel (tests/graph/registry_test.cc) and a gradient decision
// (tests/graph/gradients_registry_test.cc).
//
// Thread safety: Global() is built once, thread-safely, and is immutable afterwards (each
// table OpDef is parsed on its first lookup, under a once flag, so a process pays only for
// the ops it uses).
#pragma once

#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/status.h"
#include "graph/shape_fn.h"
#include "tensorflow/core/framework/node_def.pb.h"
#include "tensorflow/core/framework/op_def.pb.h"

namespace ckpt {

// One row of a family table: the op's shape function and its OpDef in text format.
struct OpEntry {
  ShapeFn shape_fn;
  const char* op_def;
};

class OpRegistry {
 public:
  static const OpRegistry& Global();

  // Adds each entry with its shape function; its text-format OpDef is parsed on first lookup.
  // REQUIRES (aborts otherwise): text starting `name: "Op"`, valid text (checked at first
  // lookup; tests/graph/registry_test.cc looks up every op), a shape function, a name not yet
  // registered (tables are code, not input).
  void Register(std::span<const OpEntry> table);
  // Adds `def` with `shape_fn`. AlreadyExists for a duplicate name.
  Status Register(tensorflow::OpDef def, ShapeFn shape_fn);

  // nullptr when `op` is unknown.
  const tensorflow::OpDef* Find(std::string_view op) const;
  // NotFound "op 'Foo' is not registered" when unknown.
  StatusOr<const tensorflow::OpDef*> Lookup(std::string_view op) const;
  std::vector<std::string> ListOps() const;  // sorted
  // The shape function registered with `op`; nullptr when `op` is unknown.
  ShapeFn FindShapeFn(std::string_view op) const;

 private:
  struct Registered {
    ShapeFn shape_fn = nullptr;
    const char* text = nullptr;  // table entries: parsed into `def` on first lookup
    mutable std::once_flag parsed;
    mutable tensorflow::OpDef def;
  };
  const tensorflow::OpDef& Def(const Registered& r) const;
  std::map<std::string, Registered, std::less<>> ops_;
};

// Family tables (src/graph/ops/*_ops.cc).
void RegisterArrayOps(OpRegistry* r);
void RegisterMathOps(OpRegistry* r);
void RegisterNnOps(OpRegistry* r);
void RegisterStateOps(OpRegistry* r);
void RegisterRandomOps(OpRegistry* r);
void RegisterControlFlowOps(OpRegistry* r);       // NoOp
void RegisterTrainingOps(OpRegistry* r);          // optimizer updates
void RegisterIoOps(OpRegistry* r);                // SaveV2/RestoreV2, ParseExample, DynamicStitch
void RegisterConvOps(OpRegistry* r);              // Conv2D
void RegisterPoolingOps(OpRegistry* r);           // MaxPool, AvgPool
void RegisterBatchNormOps(OpRegistry* r);         // FusedBatchNorm, V2, V3
void RegisterStatelessRandomOps(OpRegistry* r);   // StatelessRandomGetKeyCounter, ...UniformV2
void RegisterResourceVariableOps(OpRegistry* r);  // DisableCopyOnRead, ResourceGather
void RegisterLookupOps(OpRegistry* r);            // hash tables and their initializers
void RegisterFunctionalOps(OpRegistry* r);        // If, Case, While (+ Stateless forms)
void RegisterStringOps(OpRegistry* r);            // StringJoin, StringLower, regex ops, ...
void RegisterRaggedOps(OpRegistry* r);            // RaggedTensorToTensor
void RegisterImageOps(OpRegistry* r);             // ResizeBilinear, ResizeNearestNeighbor

// Fills attrs missing from `node` with their OpDef defaults. InvalidArgument names the attr
// that has no default.
Status AddDefaultAttrs(const tensorflow::OpDef& op_def, tensorflow::NodeDef* node);

// Input and output types of `node` (TF int32 values; ref types are base + 100), from its attrs.
// InvalidArgument when an attr is missing or has the wrong kind, or a list attr's length is
// inconsistent.
Status InOutTypesForNode(const tensorflow::NodeDef& node, const tensorflow::OpDef& op_def,
                         std::vector<int32_t>* inputs, std::vector<int32_t>* outputs);

// Checks attr values against the OpDef (allowed types/values, list minimums).
Status ValidateAttrs(const tensorflow::NodeDef& node, const tensorflow::OpDef& op_def);

}  // namespace ckpt
