// The math ops (element-wise arithmetic and comparisons, MatMul, reductions, Cumsum, the
// bincounts, and the element-wise gradient helpers SigmoidGrad, TanhGrad, ...): each OpDef
// with its shape function.
// OpDefs are TF 2.21's with descriptions stripped (regenerate a line with print_op_defs.py):
// facts of the TF graph interface, kept verbatim so exported graphs and stripped op lists
// match TF's. Shape functions: shape_fn.h (shape_fn::Unknown declares "not inferred").
#include <vector>

#include "graph/op_registry.h"

namespace ckpt {
namespace {

void MatMulShape(ShapeContext& c) {
  PartialShape a = c.input(0), b = c.input(1);
  if (a.rank() != 2 || b.rank() != 2) return;
  const bool ta = c.bool_attr("transpose_a"), tb = c.bool_attr("transpose_b");
  c.set_output(0, PartialShape(std::vector<int64_t>{a.dims()[ta ? 1 : 0], b.dims()[tb ? 0 : 1]}));
}

// BatchMatMulV2/V3: the broadcast batch dims, then [rows of x, cols of y] after adj_x / adj_y.
void BatchMatMulShape(ShapeContext& c) {
  PartialShape a = c.input(0), b = c.input(1);
  if (!a.known_rank() || !b.known_rank() || a.rank() < 2 || b.rank() < 2) return;
  const bool ax = c.bool_attr("adj_x"), ay = c.bool_attr("adj_y");
  const std::vector<int64_t>& da = a.dims();
  const std::vector<int64_t>& db = b.dims();
  PartialShape batch =
      shape_fn::BroadcastShapes(PartialShape(std::vector<int64_t>(da.begin(), da.end() - 2)),
                                PartialShape(std::vector<int64_t>(db.begin(), db.end() - 2)));
  std::vector<int64_t> out = batch.dims();
  out.push_back(da[da.size() - (ax ? 1 : 2)]);
  out.push_back(db[db.size() - (ay ? 2 : 1)]);
  c.set_output(0, PartialShape(std::move(out)));
}

// The size input when it is a Const scalar; -1 otherwise.
int64_t ConstSize(const ShapeContext& c, int i) {
  auto v = c.const_ints(i);
  return v && v->size() == 1 && (*v)[0] >= 0 ? (*v)[0] : -1;
}

// TF's DenseBincount shape: [size] for a scalar or vector input, [rows, size] for a matrix.
void DenseBincountShape(ShapeContext& c) {
  const PartialShape in = c.input(0);
  if (!in.known_rank() || in.rank() > 2) return;
  const int64_t size = ConstSize(c, 1);
  if (in.rank() == 2) {
    c.set_output(0, PartialShape(std::vector<int64_t>{in.dims()[0], size}));
  } else {
    c.set_output(0, PartialShape(std::vector<int64_t>{size}));
  }
}

// TF's RaggedBincount shape: [len(splits) - 1, size].
void RaggedBincountShape(ShapeContext& c) {
  const PartialShape splits = c.input(0);
  const int64_t rows = splits.rank() == 1 && splits.dims()[0] > 0 ? splits.dims()[0] - 1 : -1;
  c.set_output(0, PartialShape(std::vector<int64_t>{rows, ConstSize(c, 2)}));
}

}  // namespace

void RegisterMathOps(OpRegistry* r) {
  // One OpDef a line, verbatim from TF, so the table is not reformatted.
  // clang-format off
  static const OpEntry kOps[] = {
    {shape_fn::BroadcastBinary,
     R"pb(name: "Add" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_UINT8 type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 type: DT_STRING } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "AddV2" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_UINT8 type: DT_UINT16 type: DT_UINT32 type: DT_UINT64 type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } } is_aggregate: true is_commutative: true)pb"},
    {shape_fn::Unchanged,
     R"pb(name: "AddN" input_arg { name: "inputs" type_attr: "T" number_attr: "N" } output_arg { name: "sum" type_attr: "T" } attr { name: "N" type: "int" has_minimum: true minimum: 1 } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_COMPLEX64 type: DT_INT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_BFLOAT16 type: DT_QINT16 type: DT_QUINT16 type: DT_UINT16 type: DT_COMPLEX128 type: DT_HALF type: DT_UINT32 type: DT_UINT64 type: DT_VARIANT } } } is_aggregate: true is_commutative: true)pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "Sub" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_UINT8 type: DT_INT8 type: DT_UINT16 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 type: DT_UINT32 type: DT_UINT64 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "Mul" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_UINT8 type: DT_INT8 type: DT_UINT16 type: DT_INT16 type: DT_INT32 type: DT_UINT32 type: DT_UINT64 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } } is_commutative: true)pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "RealDiv" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_UINT8 type: DT_INT8 type: DT_UINT16 type: DT_INT16 type: DT_INT32 type: DT_UINT32 type: DT_UINT64 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "Div" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_UINT8 type: DT_INT8 type: DT_UINT16 type: DT_INT16 type: DT_INT32 type: DT_UINT32 type: DT_UINT64 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "DivNoNan" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_HALF type: DT_FLOAT type: DT_BFLOAT16 type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "FloorDiv" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_UINT8 type: DT_INT8 type: DT_UINT16 type: DT_INT16 type: DT_INT32 type: DT_UINT32 type: DT_UINT64 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "FloorMod" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_UINT8 type: DT_UINT16 type: DT_UINT32 type: DT_UINT64 type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Neg" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Square" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_UINT8 type: DT_UINT16 type: DT_UINT32 type: DT_UINT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Sqrt" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Rsqrt" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Exp" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Log" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Log1p" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Abs" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Sign" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "Maximum" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT8 type: DT_UINT8 type: DT_INT16 type: DT_UINT16 type: DT_INT32 type: DT_UINT32 type: DT_INT64 type: DT_UINT64 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "Minimum" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT8 type: DT_UINT8 type: DT_INT16 type: DT_UINT16 type: DT_INT32 type: DT_UINT32 type: DT_INT64 type: DT_UINT64 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "Pow" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_FLOAT type: DT_HALF type: DT_DOUBLE type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "SquaredDifference" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } } is_commutative: true)pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Reciprocal" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Round" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Floor" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Ceil" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {MatMulShape,
     R"pb(name: "MatMul" input_arg { name: "a" type_attr: "T" } input_arg { name: "b" type_attr: "T" } output_arg { name: "product" type_attr: "T" } attr { name: "transpose_a" type: "bool" default_value { b: false } } attr { name: "transpose_b" type: "bool" default_value { b: false } } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_INT64 type: DT_UINT8 type: DT_UINT16 type: DT_UINT32 type: DT_UINT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } } attr { name: "grad_a" type: "bool" default_value { b: false } } attr { name: "grad_b" type: "bool" default_value { b: false } })pb"},
    {shape_fn::Reduction,
     R"pb(name: "Sum" input_arg { name: "input" type_attr: "T" } input_arg { name: "reduction_indices" type_attr: "Tidx" } output_arg { name: "output" type_attr: "T" } attr { name: "keep_dims" type: "bool" default_value { b: false } } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_COMPLEX64 type: DT_INT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_BFLOAT16 type: DT_QINT16 type: DT_QUINT16 type: DT_UINT16 type: DT_COMPLEX128 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } } attr { name: "Tidx" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Reduction,
     R"pb(name: "Mean" input_arg { name: "input" type_attr: "T" } input_arg { name: "reduction_indices" type_attr: "Tidx" } output_arg { name: "output" type_attr: "T" } attr { name: "keep_dims" type: "bool" default_value { b: false } } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_COMPLEX64 type: DT_INT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_BFLOAT16 type: DT_QINT16 type: DT_QUINT16 type: DT_UINT16 type: DT_COMPLEX128 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } } attr { name: "Tidx" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Reduction,
     R"pb(name: "Max" input_arg { name: "input" type_attr: "T" } input_arg { name: "reduction_indices" type_attr: "Tidx" } output_arg { name: "output" type_attr: "T" } attr { name: "keep_dims" type: "bool" default_value { b: false } } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_QINT16 type: DT_QUINT16 } } } attr { name: "Tidx" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Reduction,
     R"pb(name: "Min" input_arg { name: "input" type_attr: "T" } input_arg { name: "reduction_indices" type_attr: "Tidx" } output_arg { name: "output" type_attr: "T" } attr { name: "keep_dims" type: "bool" default_value { b: false } } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_QINT16 type: DT_QUINT16 } } } attr { name: "Tidx" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Reduction,
     R"pb(name: "Prod" input_arg { name: "input" type_attr: "T" } input_arg { name: "reduction_indices" type_attr: "Tidx" } output_arg { name: "output" type_attr: "T" } attr { name: "keep_dims" type: "bool" default_value { b: false } } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_COMPLEX64 type: DT_INT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_BFLOAT16 type: DT_QINT16 type: DT_QUINT16 type: DT_UINT16 type: DT_COMPLEX128 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } } attr { name: "Tidx" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::ReductionDropDims,
     R"pb(name: "ArgMax" input_arg { name: "input" type_attr: "T" } input_arg { name: "dimension" type_attr: "Tidx" } output_arg { name: "output" type_attr: "output_type" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_QINT16 type: DT_QUINT16 type: DT_BOOL } } } attr { name: "Tidx" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT16 type: DT_INT32 type: DT_INT64 } } } attr { name: "output_type" type: "type" default_value { type: DT_INT64 } allowed_values { list { type: DT_INT16 type: DT_UINT16 type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::ReductionDropDims,
     R"pb(name: "ArgMin" input_arg { name: "input" type_attr: "T" } input_arg { name: "dimension" type_attr: "Tidx" } output_arg { name: "output" type_attr: "output_type" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_QINT16 type: DT_QUINT16 type: DT_BOOL } } } attr { name: "Tidx" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } } attr { name: "output_type" type: "type" default_value { type: DT_INT64 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "Equal" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type: DT_BOOL } attr { name: "T" type: "type" } attr { name: "incompatible_shape_error" type: "bool" default_value { b: true } } is_commutative: true)pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "NotEqual" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type: DT_BOOL } attr { name: "T" type: "type" } attr { name: "incompatible_shape_error" type: "bool" default_value { b: true } } is_commutative: true)pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "Less" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type: DT_BOOL } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "LessEqual" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type: DT_BOOL } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "Greater" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type: DT_BOOL } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "GreaterEqual" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "z" type: DT_BOOL } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_INT64 type: DT_BFLOAT16 type: DT_UINT16 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } })pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "LogicalAnd" input_arg { name: "x" type: DT_BOOL } input_arg { name: "y" type: DT_BOOL } output_arg { name: "z" type: DT_BOOL } is_commutative: true)pb"},
    {shape_fn::BroadcastBinary,
     R"pb(name: "LogicalOr" input_arg { name: "x" type: DT_BOOL } input_arg { name: "y" type: DT_BOOL } output_arg { name: "z" type: DT_BOOL } is_commutative: true)pb"},
    {shape_fn::Unchanged,
     R"pb(name: "LogicalNot" input_arg { name: "x" type: DT_BOOL } output_arg { name: "y" type: DT_BOOL })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Sigmoid" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Tanh" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "SigmoidGrad" input_arg { name: "y" type_attr: "T" } input_arg { name: "dy" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "TanhGrad" input_arg { name: "y" type_attr: "T" } input_arg { name: "dy" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "ReciprocalGrad" input_arg { name: "y" type_attr: "T" } input_arg { name: "dy" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "RsqrtGrad" input_arg { name: "y" type_attr: "T" } input_arg { name: "dy" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "SqrtGrad" input_arg { name: "y" type_attr: "T" } input_arg { name: "dy" type_attr: "T" } output_arg { name: "z" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_COMPLEX64 type: DT_COMPLEX128 } } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "UnsortedSegmentSum" input_arg { name: "data" type_attr: "T" } input_arg { name: "segment_ids" type_attr: "Tindices" } input_arg { name: "num_segments" type_attr: "Tnumsegments" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_COMPLEX64 type: DT_INT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_BFLOAT16 type: DT_QINT16 type: DT_QUINT16 type: DT_UINT16 type: DT_COMPLEX128 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } } attr { name: "Tindices" type: "type" allowed_values { list { type: DT_INT16 type: DT_INT32 type: DT_INT64 } } } attr { name: "Tnumsegments" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Cumsum" input_arg { name: "x" type_attr: "T" } input_arg { name: "axis" type_attr: "Tidx" } output_arg { name: "out" type_attr: "T" } attr { name: "exclusive" type: "bool" default_value { b: false } } attr { name: "reverse" type: "bool" default_value { b: false } } attr { name: "T" type: "type" allowed_values { list { type: DT_FLOAT type: DT_DOUBLE type: DT_INT32 type: DT_UINT8 type: DT_INT16 type: DT_INT8 type: DT_COMPLEX64 type: DT_INT64 type: DT_QINT8 type: DT_QUINT8 type: DT_QINT32 type: DT_BFLOAT16 type: DT_QINT16 type: DT_QUINT16 type: DT_UINT16 type: DT_COMPLEX128 type: DT_HALF type: DT_UINT32 type: DT_UINT64 } } } attr { name: "Tidx" type: "type" default_value { type: DT_INT32 } allowed_values { list { type: DT_INT32 type: DT_INT64 } } })pb"},
    {DenseBincountShape,
     R"pb(name: "DenseBincount" input_arg { name: "input" type_attr: "Tidx" } input_arg { name: "size" type_attr: "Tidx" } input_arg { name: "weights" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "Tidx" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 } } } attr { name: "T" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 type: DT_FLOAT type: DT_DOUBLE } } } attr { name: "binary_output" type: "bool" default_value { b: false } })pb"},
    {RaggedBincountShape,
     R"pb(name: "RaggedBincount" input_arg { name: "splits" type: DT_INT64 } input_arg { name: "values" type_attr: "Tidx" } input_arg { name: "size" type_attr: "Tidx" } input_arg { name: "weights" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "Tidx" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 } } } attr { name: "T" type: "type" allowed_values { list { type: DT_INT32 type: DT_INT64 type: DT_FLOAT type: DT_DOUBLE } } } attr { name: "binary_output" type: "bool" default_value { b: false } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Erf" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {shape_fn::Unchanged,
     R"pb(name: "Erfc" input_arg { name: "x" type_attr: "T" } output_arg { name: "y" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE } } })pb"},
    {BatchMatMulShape,
     R"pb(name: "BatchMatMulV2" input_arg { name: "x" type_attr: "T" } input_arg { name: "y" type_attr: "T" } output_arg { name: "output" type_attr: "T" } attr { name: "T" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_UINT8 type: DT_UINT16 type: DT_UINT32 type: DT_UINT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } } attr { name: "adj_x" type: "bool" default_value { b: false } } attr { name: "adj_y" type: "bool" default_value { b: false } } attr { name: "grad_x" type: "bool" default_value { b: false } } attr { name: "grad_y" type: "bool" default_value { b: false } })pb"},
    {BatchMatMulShape,
     R"pb(name: "BatchMatMulV3" input_arg { name: "x" type_attr: "Ta" } input_arg { name: "y" type_attr: "Tb" } output_arg { name: "output" type_attr: "Tout" } attr { name: "Ta" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_UINT8 type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } } attr { name: "Tb" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_UINT8 type: DT_INT8 type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } } attr { name: "Tout" type: "type" allowed_values { list { type: DT_BFLOAT16 type: DT_HALF type: DT_FLOAT type: DT_DOUBLE type: DT_INT16 type: DT_INT32 type: DT_INT64 type: DT_COMPLEX64 type: DT_COMPLEX128 } } } attr { name: "adj_x" type: "bool" default_value { b: false } } attr { name: "adj_y" type: "bool" default_value { b: false } } attr { name: "grad_x" type: "bool" default_value { b: false } } attr { name: "grad_y" type: "bool" default_value { b: false } })pb"},
    {shape_fn::Unknown,
     R"pb(name: "Einsum" input_arg { name: "inputs" type_attr: "T" number_attr: "N" } output_arg { name: "output" type_attr: "T" } attr { name: "equation" type: "string" } attr { name: "N" type: "int" has_minimum: true minimum: 1 } attr { name: "T" type: "type" })pb"},
  };
  // clang-format on
  r->Register(kOps);
}

}  // namespace ckpt
