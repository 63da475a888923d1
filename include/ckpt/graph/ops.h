// Graph builder functions: the C++ counterparts of TF 1.x-style Python graph construction.
//
// Each function adds the NodeDef(s) the named Python function adds in TF 2.21 under
// tf.compat.v1 graph mode: the same op names, attrs (with defaults), input strings and
// default node names. For example ops::MatMul(g, x, w) adds node "MatMul" (op MatMul,
// T, transpose_a/b, grad_a/b) like tf.matmul(x, w); ops::Add adds AddV2 "Add" like tf.add.
// The Python function each builder mirrors is named in its comment.
//
// Conventions:
//  - The first parameter is the Graph; the last is the node name (Default: the Python
//    default). The name is made unique under the current name scope (Graph::UniqueName), so
//    name "input" gives "input", then "input_1". Composite builders (RandomNormal, Variable,
//    SigmoidCrossEntropyWithLogits, ...) open a name scope and name their final node after it.
//  - Data inputs are `Input`s: an Output, or a literal (number or Tensor). A literal becomes a
//    Const named "<op name>/<OpDef arg name>" ("Add/y"), converted to the dtype of the
//    other inputs sharing its type attr, as Python's convert_to_tensor does.
//  - Errors (unknown input, dtype mismatch) are recorded in the graph's sticky status();
//    the function then returns an invalid Output/Operation. Check g.status() once.
//
// Thread safety: as Graph (one thread builds a graph).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/dtype.h"
#include "ckpt/core/tensor.h"
#include "ckpt/core/tensor_shape.h"
#include "ckpt/graph/graph.h"

namespace ckpt {

// A data input of a builder: a graph Output, or a literal converted to a Const.
class Input {
 public:
  Input(Output output) : output_(std::move(output)) {}                // NOLINT(implicit)
  Input(const Operation& op) : output_(op.output(0)) {}               // NOLINT(implicit)
  Input(Tensor value) : literal_(std::move(value)) {}                 // NOLINT(implicit)
  Input(float v) : literal_(Tensor::Scalar<float>(v)), number_(v) {}  // NOLINT(implicit)
  Input(double v)                                                     // NOLINT(implicit)
      : literal_(Tensor::Scalar<float>(static_cast<float>(v))), number_(v) {}
  Input(int v)  // NOLINT(implicit)
      : literal_(Tensor::Scalar<int32_t>(v)), number_(v), integral_(true) {}
  Input(int64_t v)  // NOLINT(implicit)
      : literal_(Tensor::Scalar<int64_t>(v)), number_(static_cast<double>(v)), integral_(true) {}

  bool is_literal() const { return literal_.valid(); }
  const Output& output() const { return output_; }
  // The literal as a tensor (float32 for floating numbers, int32/int64 for integers).
  const Tensor& literal() const { return literal_; }
  // True for a number literal: it converts to the dtype the op needs (as Python's
  // convert_to_tensor with a dtype hint); a Tensor literal keeps its dtype.
  bool is_number() const { return number_.has_value(); }
  bool is_integral() const { return integral_; }
  double number() const { return number_.value_or(0.0); }

 private:
  Output output_;
  Tensor literal_;
  std::optional<double> number_;
  bool integral_ = false;
};

namespace ops {

// ---- constants, placeholders, identity ---------------------------------------------------
// tf.constant(value, name="Const").
Output Const(Graph& g, const Tensor& value, std::string_view name = "Const");
// tf.constant(v, dtype=dtype, shape=shape): every element `v` (value stored once, TF's
// compressed TensorProto form).
Output Const(Graph& g, double v, DataType dtype, const TensorShape& shape = {},
             std::string_view name = "Const");
// tf.compat.v1.placeholder(dtype, shape, name="Placeholder"); shape Default: unknown rank.
Output Placeholder(Graph& g, DataType dtype, const PartialShape& shape = PartialShape(),
                   std::string_view name = "Placeholder");
// tf.compat.v1.placeholder_with_default(input, shape, name="PlaceholderWithDefault").
Output PlaceholderWithDefault(Graph& g, Input input, const PartialShape& shape,
                              std::string_view name = "PlaceholderWithDefault");
// tf.identity(x, name="Identity").
Output Identity(Graph& g, Input x, std::string_view name = "Identity");
// tf.identity_n(xs, name="IdentityN").
std::vector<Output> IdentityN(Graph& g, const std::vector<Input>& xs,
                              std::string_view name = "IdentityN");
// tf.stop_gradient(x, name="StopGradient").
Output StopGradient(Graph& g, Input x, std::string_view name = "StopGradient");
// PreventGradient op (message attr).
Output PreventGradient(Graph& g, Input x, std::string_view message = "",
                       std::string_view name = "PreventGradient");
// tf.no_op(name="NoOp").
Operation NoOp(Graph& g, std::string_view name = "NoOp");
// tf.group(*ops, name="group_deps"): a NoOp with control inputs on `ops`, sorted by name.
Operation Group(Graph& g, const std::vector<Operation>& ops, std::string_view name = "group_deps");

// ---- variables -------------------------------------------------------------------------
// Raw ops.
Output VariableV2(Graph& g, const PartialShape& shape, DataType dtype,
                  std::string_view container = "", std::string_view shared_name = "",
                  std::string_view name = "Variable");
// tf.compat.v1.assign(ref, value): op Assign (use_locking=true, validate_shape=true).
Output Assign(Graph& g, Output ref, Input value, bool validate_shape = true,
              bool use_locking = true, std::string_view name = "Assign");
Output AssignAdd(Graph& g, Output ref, Input value, bool use_locking = false,
                 std::string_view name = "AssignAdd");
Output AssignSub(Graph& g, Output ref, Input value, bool use_locking = false,
                 std::string_view name = "AssignSub");
// tf.compat.v1.is_variable_initialized(ref).
Output IsVariableInitialized(Graph& g, Output ref, std::string_view name = "IsVariableInitialized");
Output VarHandleOp(Graph& g, DataType dtype, const PartialShape& shape,
                   std::string_view container = "", std::string_view shared_name = "",
                   std::string_view name = "VarHandleOp");
Output ReadVariableOp(Graph& g, Output resource, DataType dtype,
                      std::string_view name = "ReadVariableOp");
Operation AssignVariableOp(Graph& g, Output resource, Input value,
                           std::string_view name = "AssignVariableOp");
Operation AssignAddVariableOp(Graph& g, Output resource, Input value,
                              std::string_view name = "AssignAddVariableOp");
Operation AssignSubVariableOp(Graph& g, Output resource, Input value,
                              std::string_view name = "AssignSubVariableOp");
Output VarIsInitializedOp(Graph& g, Output resource, std::string_view name = "VarIsInitializedOp");

struct VariableOptions {
  // Node name of the variable (the others are "<name>/Assign", "<name>/read", ...).
  // Default: "Variable".
  std::string name = "Variable";
  // Added to kTrainableVariables too. Default: true.
  bool trainable = true;
  // Resource variable (VarHandleOp/AssignVariableOp/ReadVariableOp, as TF2's default) instead
  // of the ref VariableV2/Assign/Identity of tf.compat.v1.disable_resource_variables().
  // Default: false.
  bool use_resource = false;
  // Assign's validate_shape; the VariableV2 shape attr is unknown when false. Default: true.
  bool validate_shape = true;
  // Collections to register it in. Default: {kGlobalVariables} (+ kTrainableVariables when
  // trainable).
  std::vector<std::string> collections = {std::string(kGlobalVariables)};
};

// What tf.compat.v1.Variable(initial_value, ...) created.
struct Variable {
  Output variable;        // "W:0" (VariableV2 ref output, or the resource handle)
  Output initial_value;   // the initial value tensor
  Operation initializer;  // "W/Assign"
  Output snapshot;        // "W/read:0" (Identity) or "W/Read/ReadVariableOp:0"
  DataType dtype = DataType::kInvalid;
  PartialShape shape;
  // The value to use in computations: snapshot for ref variables; for resource variables
  // each call of ops::ReadValue adds a fresh ReadVariableOp as Python does.
  Output value() const { return snapshot; }
};

// tf.compat.v1.Variable(initial_value, name=...) in graph mode. `initial_value` is an existing
// Output (built before, as Python evaluates the argument first) or a literal, which becomes
// the Const "<name>/initial_value" (ref variables) or "<name>/Initializer/initial_value"
// (resource variables), as Python names them. Adds the nodes TF adds (see
// VariableOptions::use_resource; ref: VariableV2 "<name>", Assign "<name>/Assign", Identity
// "<name>/read"), registers the VariableInfo and the collections. The variable's shape is the
// initial value's static shape (Graph::OutputShape). Errors go to the graph's status; the
// returned Variable is then empty.
Variable MakeVariable(Graph& g, Input initial_value, const VariableOptions& options = {});
// For resource variables: a new ReadVariableOp of the handle ("<scope>/ReadVariableOp"), as
// Python's implicit read in `tf.matmul(x, W)`; for ref variables returns the snapshot.
Output ReadValue(Graph& g, const Variable& v);

// tf.compat.v1.global_variables_initializer(): NoOp "init" with control inputs on every
// initializer in kGlobalVariables (sorted by name, as tf.group).
Operation GlobalVariablesInitializer(Graph& g, std::string_view name = "init");
// tf.compat.v1.variables_initializer(vars, name="init").
Operation VariablesInitializer(Graph& g, const std::vector<VariableInfo>& vars,
                               std::string_view name = "init");

// ---- initializers / random -----------------------------------------------------------------
// tf.zeros(shape, dtype, name="zeros"), tf.ones(...). Fill+Const for large shapes as Python.
Output Zeros(Graph& g, const TensorShape& shape, DataType dtype = DataType::kFloat,
             std::string_view name = "zeros");
Output Ones(Graph& g, const TensorShape& shape, DataType dtype = DataType::kFloat,
            std::string_view name = "ones");
// tf.fill(dims, value, name="Fill").
Output Fill(Graph& g, Input dims, Input value, std::string_view name = "Fill");
// tf.random.normal(shape, mean, stddev, dtype, seed, name="random_normal"):
// RandomStandardNormal then Mul by stddev and AddV2 of mean, with seed/seed2 from
// Graph::GetSeed(seed).
Output RandomNormal(Graph& g, const TensorShape& shape, double mean = 0.0, double stddev = 1.0,
                    DataType dtype = DataType::kFloat, std::optional<int64_t> seed = {},
                    std::string_view name = "random_normal");
// tf.random.truncated_normal(...): TruncatedNormal, Mul, AddV2.
Output TruncatedNormal(Graph& g, const TensorShape& shape, double mean = 0.0, double stddev = 1.0,
                       DataType dtype = DataType::kFloat, std::optional<int64_t> seed = {},
                       std::string_view name = "truncated_normal");
// tf.random.uniform(shape, minval, maxval, dtype, seed, name="random_uniform"): RandomUniform,
// then (unless minval=0 and maxval=1) Sub/Mul/AddV2 as Python emits.
Output RandomUniform(Graph& g, const TensorShape& shape, double minval = 0.0, double maxval = 1.0,
                     DataType dtype = DataType::kFloat, std::optional<int64_t> seed = {},
                     std::string_view name = "random_uniform");
// Raw random ops (shape is an int32/int64 tensor).
Output RandomStandardNormalOp(Graph& g, Input shape, DataType dtype, int64_t seed, int64_t seed2,
                              std::string_view name = "RandomStandardNormal");
Output RandomUniformOp(Graph& g, Input shape, DataType dtype, int64_t seed, int64_t seed2,
                       std::string_view name = "RandomUniform");
Output TruncatedNormalOp(Graph& g, Input shape, DataType dtype, int64_t seed, int64_t seed2,
                         std::string_view name = "TruncatedNormal");

// ---- element-wise math (numpy broadcasting) -----------------------------------------------
// Default names are those of tf.math.* functions: tf.add -> AddV2 "Add", tf.subtract ->
// Sub "Sub", tf.multiply -> Mul "Mul", tf.math.truediv -> RealDiv "truediv", ...
Output Add(Graph& g, Input x, Input y, std::string_view name = "Add");        // AddV2
Output AddLegacy(Graph& g, Input x, Input y, std::string_view name = "Add");  // op Add
Output AddN(Graph& g, const std::vector<Input>& xs, std::string_view name = "AddN");
Output Sub(Graph& g, Input x, Input y, std::string_view name = "Sub");
Output Mul(Graph& g, Input x, Input y, std::string_view name = "Mul");
Output RealDiv(Graph& g, Input x, Input y, std::string_view name = "RealDiv");
// tf.math.truediv / x / y on floats: RealDiv named "truediv".
Output TrueDiv(Graph& g, Input x, Input y, std::string_view name = "truediv");
Output Div(Graph& g, Input x, Input y, std::string_view name = "Div");
Output FloorDiv(Graph& g, Input x, Input y, std::string_view name = "FloorDiv");
Output FloorMod(Graph& g, Input x, Input y, std::string_view name = "FloorMod");
Output Maximum(Graph& g, Input x, Input y, std::string_view name = "Maximum");
Output Minimum(Graph& g, Input x, Input y, std::string_view name = "Minimum");
Output Pow(Graph& g, Input x, Input y, std::string_view name = "Pow");
Output SquaredDifference(Graph& g, Input x, Input y, std::string_view name = "SquaredDifference");
Output Neg(Graph& g, Input x, std::string_view name = "Neg");
Output Square(Graph& g, Input x, std::string_view name = "Square");
Output Sqrt(Graph& g, Input x, std::string_view name = "Sqrt");
Output Rsqrt(Graph& g, Input x, std::string_view name = "Rsqrt");
Output Exp(Graph& g, Input x, std::string_view name = "Exp");
Output Log(Graph& g, Input x, std::string_view name = "Log");
Output Log1p(Graph& g, Input x, std::string_view name = "Log1p");
Output Abs(Graph& g, Input x, std::string_view name = "Abs");
Output Sign(Graph& g, Input x, std::string_view name = "Sign");
Output Reciprocal(Graph& g, Input x, std::string_view name = "Reciprocal");
Output Round(Graph& g, Input x, std::string_view name = "Round");
Output Floor(Graph& g, Input x, std::string_view name = "Floor");
Output Ceil(Graph& g, Input x, std::string_view name = "Ceil");
Output Cast(Graph& g, Input x, DataType dst, std::string_view name = "Cast");

// Comparisons and logic (output bool).
Output Equal(Graph& g, Input x, Input y, std::string_view name = "Equal");
Output NotEqual(Graph& g, Input x, Input y, std::string_view name = "NotEqual");
Output Less(Graph& g, Input x, Input y, std::string_view name = "Less");
Output LessEqual(Graph& g, Input x, Input y, std::string_view name = "LessEqual");
Output Greater(Graph& g, Input x, Input y, std::string_view name = "Greater");
Output GreaterEqual(Graph& g, Input x, Input y, std::string_view name = "GreaterEqual");
Output LogicalAnd(Graph& g, Input x, Input y, std::string_view name = "LogicalAnd");
Output LogicalOr(Graph& g, Input x, Input y, std::string_view name = "LogicalOr");
Output LogicalNot(Graph& g, Input x, std::string_view name = "LogicalNot");
// tf.compat.v1.where(cond, x, y): Select (cond same shape as x, or a vector over dim 0).
Output Select(Graph& g, Input cond, Input x, Input y, std::string_view name = "Select");
// tf.where(cond, x, y): SelectV2 (broadcasting).
Output SelectV2(Graph& g, Input cond, Input x, Input y, std::string_view name = "SelectV2");

// ---- matrix / nn --------------------------------------------------------------------------
// tf.matmul(a, b, transpose_a, transpose_b, name="MatMul").
Output MatMul(Graph& g, Input a, Input b, bool transpose_a = false, bool transpose_b = false,
              std::string_view name = "MatMul");
// tf.nn.bias_add(value, bias, data_format="NHWC", name="BiasAdd").
Output BiasAdd(Graph& g, Input value, Input bias, std::string_view name = "BiasAdd");
Output Relu(Graph& g, Input x, std::string_view name = "Relu");
Output Relu6(Graph& g, Input x, std::string_view name = "Relu6");
Output Elu(Graph& g, Input x, std::string_view name = "Elu");
Output Sigmoid(Graph& g, Input x, std::string_view name = "Sigmoid");
Output Tanh(Graph& g, Input x, std::string_view name = "Tanh");
Output Softplus(Graph& g, Input x, std::string_view name = "Softplus");
Output Softmax(Graph& g, Input logits, std::string_view name = "Softmax");
Output LogSoftmax(Graph& g, Input logits, std::string_view name = "LogSoftmax");
// tf.nn.l2_loss(t, name="L2Loss").
Output L2Loss(Graph& g, Input t, std::string_view name = "L2Loss");
// tf.nn.sigmoid_cross_entropy_with_logits(labels, logits, name="logistic_loss"): the
// ZerosLike/GreaterEqual/Select/Neg/Select/Mul/Sub/Exp/Log1p/AddV2 composition TF emits.
Output SigmoidCrossEntropyWithLogits(Graph& g, Input labels, Input logits,
                                     std::string_view name = "logistic_loss");
// Raw SoftmaxCrossEntropyWithLogits op on [batch, classes] features/labels: outputs
// loss (0, [batch]) and backprop (1, [batch, classes]).
Output SoftmaxCrossEntropyWithLogitsOp(Graph& g, Input features, Input labels,
                                       std::string_view name = "SoftmaxCrossEntropyWithLogits");
// tf.nn.softmax_cross_entropy_with_logits(labels, logits) (v2, axis -1) for rank-2 logits:
// the Shape/Slice/ConcatV2/Reshape wrapping TF emits around the raw op, scope
// "softmax_cross_entropy_with_logits". Returns the [batch] loss.
Output SoftmaxCrossEntropyWithLogits(Graph& g, Input labels, Input logits,
                                     std::string_view name = "softmax_cross_entropy_with_logits");
// tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits) for rank-2 logits:
// scope "SparseSoftmaxCrossEntropyWithLogits" with Shape of labels and the raw op. Returns
// the [batch] loss (output 0 of the raw op).
Output SparseSoftmaxCrossEntropyWithLogits(
    Graph& g, Input labels, Input logits,
    std::string_view name = "SparseSoftmaxCrossEntropyWithLogits");

// ---- reductions (as Python builds them) ----------------------------------------------------
// `axes` given: the Const "<name>/reduction_indices" (an int32 scalar for one axis, a vector
// otherwise) inside the op's name scope. `axes` = std::nullopt (Python's axis=None): every dim
// is reduced; the axes are built before the op's scope as Const "Const" [0, ..., rank-1] when
// x's static rank is known (Graph::OutputShape), else as Range(0, Rank(x), 1) in scope "range".
Output Sum(Graph& g, Input x, std::optional<std::vector<int>> axes = {}, bool keep_dims = false,
           std::string_view name = "Sum");
Output Mean(Graph& g, Input x, std::optional<std::vector<int>> axes = {}, bool keep_dims = false,
            std::string_view name = "Mean");
Output Max(Graph& g, Input x, std::optional<std::vector<int>> axes = {}, bool keep_dims = false,
           std::string_view name = "Max");
Output Min(Graph& g, Input x, std::optional<std::vector<int>> axes = {}, bool keep_dims = false,
           std::string_view name = "Min");
Output Prod(Graph& g, Input x, std::optional<std::vector<int>> axes = {}, bool keep_dims = false,
            std::string_view name = "Prod");
// Raw reduction op with an axis tensor: `op` in {Sum, Mean, Max, Min, Prod}.
Output Reduce(Graph& g, std::string_view op, Input x, Input axis, bool keep_dims = false,
              std::string_view name = "");
// tf.argmax(x, axis, output_type=int64, name="ArgMax"): axis Const "ArgMax/dimension".
Output ArgMax(Graph& g, Input x, int axis, DataType output_type = DataType::kInt64,
              std::string_view name = "ArgMax");
Output ArgMin(Graph& g, Input x, int axis, DataType output_type = DataType::kInt64,
              std::string_view name = "ArgMin");

// ---- array ops ----------------------------------------------------------------------------
Output Reshape(Graph& g, Input tensor, Input shape, std::string_view name = "Reshape");
Output ExpandDims(Graph& g, Input x, Input axis, std::string_view name = "ExpandDims");
Output Squeeze(Graph& g, Input x, std::vector<int64_t> axis = {},
               std::string_view name = "Squeeze");
Output Shape(Graph& g, Input x, DataType out_type = DataType::kInt32,
             std::string_view name = "Shape");
Output Size(Graph& g, Input x, DataType out_type = DataType::kInt32,
            std::string_view name = "Size");
Output Rank(Graph& g, Input x, std::string_view name = "Rank");
// tf.zeros_like / tf.ones_like: like tf.zeros(shape) when x's static shape is fully defined
// (as Python does), else the ZerosLike / OnesLike op.
Output ZerosLike(Graph& g, Input x, std::string_view name = "zeros_like");
Output OnesLike(Graph& g, Input x, std::string_view name = "ones_like");
Output Tile(Graph& g, Input x, Input multiples, std::string_view name = "Tile");
// tf.concat(values, axis, name="concat"): ConcatV2 with the axis Const "concat/axis".
Output Concat(Graph& g, const std::vector<Input>& values, int axis,
              std::string_view name = "concat");
Output ConcatV2(Graph& g, const std::vector<Input>& values, Input axis,
                std::string_view name = "ConcatV2");
// tf.stack(values, axis, name="stack"): Pack.
Output Pack(Graph& g, const std::vector<Input>& values, int axis = 0,
            std::string_view name = "stack");
Output Transpose(Graph& g, Input x, Input perm, std::string_view name = "transpose");
Output Slice(Graph& g, Input x, Input begin, Input size, std::string_view name = "Slice");
struct StridedSliceMasks {
  int64_t begin_mask = 0;        // Default: 0
  int64_t end_mask = 0;          // Default: 0
  int64_t ellipsis_mask = 0;     // Default: 0
  int64_t new_axis_mask = 0;     // Default: 0
  int64_t shrink_axis_mask = 0;  // Default: 0
};
Output StridedSlice(Graph& g, Input x, Input begin, Input end, Input strides,
                    const StridedSliceMasks& masks = {}, std::string_view name = "StridedSlice");
// tf.gather(params, indices, axis=0, name="GatherV2"): GatherV2 with axis Const
// "GatherV2/axis", batch_dims 0.
Output Gather(Graph& g, Input params, Input indices, int axis = 0,
              std::string_view name = "GatherV2");
// tf.one_hot(indices, depth, on_value=1, off_value=0, axis=-1, dtype, name="one_hot").
Output OneHot(Graph& g, Input indices, int depth, double on_value = 1.0, double off_value = 0.0,
              int axis = -1, DataType dtype = DataType::kFloat, std::string_view name = "one_hot");
// tf.range(start, limit, delta, name="range").
Output Range(Graph& g, Input start, Input limit, Input delta, std::string_view name = "range");

}  // namespace ops
}  // namespace ckpt
