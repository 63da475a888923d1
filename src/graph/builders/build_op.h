// The machinery every builder of ckpt/graph/ops.h uses (src/graph/builders/*_builders.cc):
// literal inputs converted to Consts as Python's convert_to_tensor does, and BuildOp, which adds
// an op under a fresh name scope. Private to the graph layer.
//
// Errors are recorded in the graph's sticky status (see Graph): the functions then return
// invalid handles, and do nothing once the graph has an error.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"

namespace tensorflow {
class OpDef;
}  // namespace tensorflow

namespace ckpt {
namespace ops {

// A scalar of `dtype` holding `v`. kInvalid tensor for unsupported dtypes.
Tensor MakeScalar(DataType dtype, double v);

// An int32 vector of `v`'s values (shape, axis and size constants).
Tensor Int32Vector(std::span<const int64_t> v);
Tensor Int32Vector(std::initializer_list<int64_t> v);

// Adds a Const node named UniqueName(name) (or `name` itself when it ends in '/') holding `t`
// (Python's make_tensor_proto form), with `extra` attrs.
Output ConstNode(Graph& g, const Tensor& t, std::string_view name, AttrMap extra = {});

// Adds a Const of `shape` whose every element is the scalar `value`, stored as TF stores it
// (one *_val entry for the whole tensor).
Output SplatConstNode(Graph& g, const Tensor& value, const TensorShape& shape,
                      std::string_view name);

// Converts the inputs of op `def` to Outputs inside the current name scope: literals become
// Consts named after their OpDef argument, with the dtype of the other inputs sharing their
// type attr (Python's convert_to_tensor with a dtype hint).
std::vector<Output> ConvertInputs(Graph& g, const tensorflow::OpDef& def,
                                  const std::vector<Input>& inputs, const AttrMap& attrs);

// Adds op `op` named after a fresh name scope `name` (so literal inputs are "<name>/<arg>").
Operation BuildOp(Graph& g, std::string_view op, std::string_view name,
                  const std::vector<Input>& inputs, AttrMap attrs = {});

// Output `i` of `op`; an invalid Output when `op` is invalid.
Output Out(const Operation& op, int i = 0);

// BuildOp of a one- or two-input op with no attrs beyond the inferred ones, output 0.
Output Unary(Graph& g, std::string_view op, Input x, std::string_view name);
Output Binary(Graph& g, std::string_view op, Input x, Input y, std::string_view name);

}  // namespace ops
}  // namespace ckpt
