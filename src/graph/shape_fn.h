// The shape engine: one shape function per op, registered with its OpDef (as TF's
// REGISTER_OP(...).SetShapeFn(...)), run once per node when the node is added to a Graph. Its
// results are Graph::OutputShape, which the builders read the way Python reads static shapes
// (variable shapes, zeros_like of a known shape, reductions over all axes, tf.rank) and which
// the gradient builders fold into constants as TF's Python gradient code does.
//
// A shape function reads the node's attrs, its inputs' shapes and the values of small Const
// inputs through ShapeContext and sets the outputs it can infer; outputs left alone are
// unknown (always safe). Family files (src/graph/ops/<family>_ops.cc) hold the op-specific
// functions; the shared ones (unchanged, broadcast, scalar, reduction, ...) are below.
// Every op declares one: shape_fn::Unknown is the explicit "not inferred" declaration and
// tests/graph/registry_test.cc fails for an op registered without any.
//
// Thread safety: shape functions are pure functions of the context.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ckpt/core/tensor_shape.h"
#include "graph/graph_impl.h"
#include "tensorflow/core/framework/attr_value.pb.h"
#include "tensorflow/core/framework/node_def.pb.h"

namespace ckpt {

// What a shape function sees of one node being added: its attrs, its data inputs (already in
// the graph) and its outputs to fill in.
class ShapeContext {
 public:
  ShapeContext(const GraphImpl::Rep& rep, const tensorflow::NodeDef& node, int num_outputs);

  const tensorflow::NodeDef& node() const { return node_; }
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  // Static shape of data input i; unknown when absent or not inferred.
  PartialShape input(int i) const;
  // The NodeDef producing data input i (nullptr when absent).
  const tensorflow::NodeDef* input_node(int i) const;
  // Values of data input i when it is a small (<= 64 elements) int32/int64 Const; nullopt
  // otherwise (big constants are never decoded here).
  std::optional<std::vector<int64_t>> const_ints(int i) const;
  // The node's attr `name` (nullptr when absent).
  const tensorflow::AttrValue* attr(const char* name) const;
  bool bool_attr(const char* name) const;  // false when absent
  // A shape attr (nullopt when absent or invalid).
  std::optional<PartialShape> attr_shape(const char* name) const;

  void set_output(int i, PartialShape s) {
    if (i >= 0 && i < num_outputs()) outputs_[i] = std::move(s);
  }
  std::vector<PartialShape> TakeOutputs() { return std::move(outputs_); }

 private:
  const GraphImpl::Rep& rep_;
  const tensorflow::NodeDef& node_;
  std::vector<std::pair<int, int>> inputs_;  // (node index or -1, output index)
  std::vector<PartialShape> outputs_;
};

using ShapeFn = void (*)(ShapeContext& c);

// Shared shape functions and helpers (TF's common_shape_fns).
namespace shape_fn {
// Declared "not inferred": every output unknown.
void Unknown(ShapeContext& c);
// The op has no outputs.
void NoOutputs(ShapeContext& c);
void Scalar(ShapeContext& c);      // output 0 is a scalar
void Unchanged(ShapeContext& c);   // output 0 has input 0's shape
void UnchangedN(ShapeContext& c);  // output i has input i's shape
// Element-wise binary op with NumPy broadcasting of inputs 0 and 1.
void BroadcastBinary(ShapeContext& c);
// Output 0 from the values of input 0 (a Const shape vector: Fill, random ops).
void FromShapeInput0(ShapeContext& c);
// Output 0 from the shape attr "shape" (Placeholder, VariableV2).
void FromShapeAttr(ShapeContext& c);
// Reduction of input 0 over the Const axes of input 1, keeping reduced dims when the node's
// keep_dims attr is true (Sum, Mean, ...).
void Reduction(ShapeContext& c);
// As Reduction, never keeping dims (ArgMax, ArgMin).
void ReductionDropDims(ShapeContext& c);

// NumPy broadcasting of two static shapes; an unknown dim against a known one takes the known
// one (incompatible dims are the kernel's error to report).
PartialShape BroadcastShapes(const PartialShape& a, const PartialShape& b);
// TF's Merge: the more specific of two compatible shapes, dim by dim.
PartialShape MergeShapes(const PartialShape& a, const PartialShape& b);
// The shape attr of the VarHandleOp whose handle input `i` reads (TF reads the handle's shape
// data); nullopt when the handle comes from elsewhere (a function argument).
std::optional<PartialShape> ResourceVariableShape(const ShapeContext& c, int i);
}  // namespace shape_fn

// Runs the registered shape function of `node` (inputs already in `rep`).
std::vector<PartialShape> InferOutputShapes(const GraphImpl::Rep& rep,
                                            const tensorflow::NodeDef& node, int num_outputs);

}  // namespace ckpt
