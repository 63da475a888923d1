// Gradient decisions for the ops of src/graph/ops/math_ops.cc (TF's math_grad.py behaviour:
// node names and static folding).
#include <cmath>
#include <numeric>

#include "graph/gradients/grad_util.h"

namespace ckpt::grad {
namespace {

using Outs = std::vector<Output>;

bool FullyEqualShapes(const Graph& g, const Output& x, const Output& y, const Output& gr) {
  PartialShape sx = g.OutputShape(x), sy = g.OutputShape(y), sg = g.OutputShape(gr);
  return sx.IsFullyDefined() && sx == sy && sx == sg;
}

struct ReduceArg {
  Output shape;
  std::vector<int32_t> axes;  // static axes when !dynamic
  Output dyn_axes;            // BroadcastGradientArgs output when dynamic
  bool dynamic = false;
  bool must_reduce = false;
};

// SmartBroadcastGradientArgs.
std::pair<ReduceArg, ReduceArg> SmartBroadcast(Graph& g, const Output& x, const Output& y) {
  ReduceArg bx, by;
  bx.shape = ShapeOf(g, x, "Shape");
  by.shape = ShapeOf(g, y, "Shape");
  PartialShape sx = g.OutputShape(x), sy = g.OutputShape(y);
  bool ok = sx.known_rank() && sy.known_rank();
  if (ok) {
    const int xr = sx.rank(), yr = sy.rank(), br = std::max(xr, yr);
    for (int axis = 0; axis < br && ok; ++axis) {
      int64_t xd = axis < br - xr ? 1 : sx.dims()[axis - (br - xr)];
      int64_t yd = axis < br - yr ? 1 : sy.dims()[axis - (br - yr)];
      if (xd == 1 && yd != 1) {
        bx.axes.push_back(axis);
      } else if (yd == 1 && xd != 1) {
        by.axes.push_back(axis);
      } else if (xd == -1 || yd == -1) {
        ok = false;
      }
    }
    if (ok) {
      bx.must_reduce = !bx.axes.empty() || xr < yr;
      by.must_reduce = !by.axes.empty() || yr < xr;
    }
  }
  if (!ok) {
    bx.axes.clear();
    by.axes.clear();
    Output bga = AddOp(g, "BroadcastGradientArgs", "BroadcastGradientArgs", {bx.shape, by.shape});
    bx.dyn_axes = bga;
    by.dyn_axes = Output(bga.node, 1);
    bx.dynamic = by.dynamic = true;
    bx.must_reduce = by.must_reduce = true;
  }
  return {bx, by};
}

Output ReduceArgGrad(Graph& g, const Output& gr, const ReduceArg& a) {
  if (!gr.valid() || !a.must_reduce) return gr;
  Output summed;
  if (a.dynamic) {
    summed = AddOp(g, "Sum", "Sum", {gr, a.dyn_axes}, AttrMap{{"keep_dims", true}});
  } else {
    summed = ReduceSumAxes(g, gr, a.axes, true, "Sum");
  }
  return ReshapeTo(g, summed, a.shape);
}

// _ReduceGradientArgs.
Outs ReduceGradientArgs(Graph& g, const Output& x, const Output& y, const Output& gx,
                        const Output& gy) {
  if (!gx.valid() && !gy.valid()) return {gx, gy};
  auto [bx, by] = SmartBroadcast(g, x, y);
  Output rx = ReduceArgGrad(g, gx, bx);
  Output ry = ReduceArgGrad(g, gy, by);
  return {rx, ry};
}

Output Mul(Graph& g, const Output& a, const Output& b, std::string_view name = "mul") {
  return AddOp(g, "Mul", name, {a, b});
}

Output ScalarConst(Graph& g, double v, DataType dt, std::string_view name,
                   std::vector<std::string> control = {}) {
  Output c = ops::Const(g, v, dt, {}, name);
  for (const auto& dep : control) {
    MarkManualControlDep(g, dep);
    g.AddControlInput(Operation(c.node), Operation(dep));
  }
  return c;
}

Status AddGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const Output &x = op.inputs[0], &y = op.inputs[1], &gr = dy[0];
  if (FullyEqualShapes(g, x, y, gr)) {
    *dx = {gr, gr};
    return Status::OK();
  }
  *dx = ReduceGradientArgs(g, x, y, gr, gr);
  return Status::OK();
}

Status SubGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const Output &x = op.inputs[0], &y = op.inputs[1], &gr = dy[0];
  if (FullyEqualShapes(g, x, y, gr)) {
    *dx = {gr, Negate(g, gr)};
    return Status::OK();
  }
  Output ny = Negate(g, gr);
  *dx = ReduceGradientArgs(g, x, y, gr, ny);
  return Status::OK();
}

Status MulGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const Output &x = op.inputs[0], &y = op.inputs[1], &gr = dy[0];
  const DataType dt = g.OutputType(gr);
  if (FullyEqualShapes(g, x, y, gr) && (dt == DataType::kInt32 || dt == DataType::kFloat)) {
    Output a = Mul(g, gr, y, "Mul");
    Output b = Mul(g, gr, x, "Mul");
    *dx = {a, b};
    return Status::OK();
  }
  Output gx = Mul(g, gr, y, "Mul");
  Output gy = Mul(g, x, gr, "Mul");
  *dx = ReduceGradientArgs(g, x, y, gx, gy);
  return Status::OK();
}

Status RealDivGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const Output &x = op.inputs[0], &y = op.inputs[1], &gr = dy[0];
  const std::string div_op = op.type == "Div"        ? "Div"
                             : op.type == "DivNoNan" ? "DivNoNan"
                                                     : "RealDiv";
  Output gx = AddOp(g, div_op, div_op, {gr, y});
  Output nx = Negate(g, x);
  Output d1 = AddOp(g, div_op, div_op, {nx, y});
  Output d2 = AddOp(g, div_op, div_op, {d1, y});
  Output gy = Mul(g, gr, d2);
  *dx = ReduceGradientArgs(g, x, y, gx, gy);
  return Status::OK();
}

Status NegGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  *dx = {Negate(*op.g, dy[0])};
  return Status::OK();
}

// grad * f(x) where the constant/reciprocal ops depend on grad (control_dependencies([grad])).
Status ExpGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  MarkManualControlDep(*op.g, dy[0].node);
  *dx = {Mul(*op.g, dy[0], op.output(0))};
  return Status::OK();
}

Status LogGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  MarkManualControlDep(g, dy[0].node);
  Output r = AddOp(g, "Reciprocal", "Reciprocal", {op.inputs[0]}, {}, {dy[0].node});
  *dx = {Mul(g, dy[0], r)};
  return Status::OK();
}

Status Log1pGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const DataType dt = g.OutputType(op.inputs[0]);
  Output add;
  {
    Graph::NameScope s(g, "add");
    Output one = ScalarConst(g, 1.0, dt, "x", {dy[0].node});
    Output in[2] = {one, op.inputs[0]};
    add = g.AddNode("AddV2", s.scope_name(), in).output(0);
  }
  Output r = AddOp(g, "Reciprocal", "Reciprocal", {add});
  *dx = {Mul(g, dy[0], r)};
  return Status::OK();
}

Status SquareGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const DataType dt = g.OutputType(op.inputs[0]);
  Output two = ScalarConst(g, 2.0, dt, "Const", {dy[0].node});
  Output m = AddOp(g, "Mul", "Mul", {op.inputs[0], two});
  *dx = {AddOp(g, "Mul", "Mul", {dy[0], m})};
  return Status::OK();
}

// y-based grads: SigmoidGrad(y, dy) etc.
Status OutputGrad(const GradOp& op, const Outs& dy, Outs* dx, const char* grad_op) {
  *dx = {AddOp(*op.g, grad_op, grad_op, {op.output(0), dy[0]})};
  return Status::OK();
}

Status AbsGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  Output s = AddOp(g, "Sign", "Sign", {op.inputs[0]});
  *dx = {Mul(g, dy[0], s)};
  return Status::OK();
}

Status SignGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  (void)dy;
  *dx = {ZerosLikeOf(*op.g, op.inputs[0])};
  return Status::OK();
}

Status SquaredDifferenceGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const Output &x = op.inputs[0], &y = op.inputs[1], &gr = dy[0];
  const DataType dt = g.OutputType(x);
  Output xg;
  {
    Output two = ScalarConst(g, 2.0, dt, "scalar", {gr.node});
    Output m = AddOp(g, "Mul", "Mul", {two, gr});
    Output d = AddOp(g, "Sub", "sub", {x, y});
    xg = Mul(g, m, d);
  }
  if (FullyEqualShapes(g, x, y, gr)) {
    *dx = {xg, Negate(g, xg)};
    return Status::OK();
  }
  Output ny = Negate(g, xg);
  *dx = ReduceGradientArgs(g, x, y, xg, ny);
  return Status::OK();
}

Status MaxMinGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const Output &x = op.inputs[0], &y = op.inputs[1], &gr = dy[0];
  Output zeros = ZerosLikeOf(g, gr);
  Output mask = AddOp(g, op.type == "Maximum" ? "GreaterEqual" : "LessEqual",
                      op.type == "Maximum" ? "GreaterEqual" : "LessEqual", {x, y});
  Output gx = AddOp(g, "SelectV2", "SelectV2", {mask, gr, zeros});
  Output gy = AddOp(g, "SelectV2", "SelectV2", {mask, zeros, gr});
  *dx = ReduceGradientArgs(g, x, y, gx, gy);
  return Status::OK();
}

Status PowGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const Output &x = op.inputs[0], &y = op.inputs[1], &gr = dy[0];
  const DataType dt = g.OutputType(x);
  Output m1 = Mul(g, gr, y);
  Output ym1;
  {
    Graph::NameScope s(g, "sub");
    Output one = ScalarConst(g, 1.0, dt, "y");
    Output in[2] = {y, one};
    ym1 = g.AddNode("Sub", s.scope_name(), in).output(0);
  }
  Output p = AddOp(g, "Pow", "Pow", {x, ym1});
  Output gx = Mul(g, m1, p);
  Output zero = ScalarConst(g, 0.0, dt, "Greater/y");
  Output mask = AddOp(g, "Greater", "Greater", {x, zero});
  Output ones = AddOp(g, "OnesLike", "ones_like", {x});
  Output safe = AddOp(g, "Select", "Select", {mask, x, ones});
  Output lg = AddOp(g, "Log", "Log", {safe});
  Output zeros = AddOp(g, "ZerosLike", "zeros_like", {x});
  Output logx = AddOp(g, "Select", "Select", {mask, lg, zeros});
  Output m2 = Mul(g, gr, op.output(0));
  Output gy = Mul(g, m2, logx);
  *dx = ReduceGradientArgs(g, x, y, gx, gy);
  return Status::OK();
}

Status FloorModGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const Output &x = op.inputs[0], &y = op.inputs[1], &gr = dy[0];
  Output fd = AddOp(g, "FloorDiv", "FloorDiv", {x, y});
  Output n = AddOp(g, "Neg", "Neg", {fd});
  Output gy = Mul(g, gr, n);
  *dx = ReduceGradientArgs(g, x, y, gr, gy);
  return Status::OK();
}

Status CastGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  auto is_float = [](DataType t) {
    return t == DataType::kFloat || t == DataType::kDouble || t == DataType::kHalf ||
           t == DataType::kBFloat16;
  };
  const DataType src = g.OutputType(op.inputs[0]);
  const DataType dst = g.OutputType(dy[0]);
  if (is_float(src) && is_float(dst)) {
    *dx = {ops::Cast(g, dy[0], src, "Cast")};
  } else {
    *dx = {Output()};
  }
  return Status::OK();
}

Status AddNGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  dx->assign(op.inputs.size(), dy[0]);
  return Status::OK();
}

Status MatMulGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const bool ta = op.BoolAttr("transpose_a"), tb = op.BoolAttr("transpose_b");
  const Output &a = op.inputs[0], &b = op.inputs[1], &gr = dy[0];
  auto mm = [&](const Output& p, const Output& q, bool tp, bool tq, bool grad_a) {
    return AddOp(
        g, "MatMul", "MatMul", {p, q},
        AttrMap{{"transpose_a", tp}, {"transpose_b", tq}, {"grad_a", grad_a}, {"grad_b", !grad_a}});
  };
  Output ga, gb;
  if (!ta && !tb) {
    ga = mm(gr, b, false, true, true);
    gb = mm(a, gr, true, false, false);
  } else if (!ta && tb) {
    ga = mm(gr, b, false, false, true);
    gb = mm(gr, a, true, false, false);
  } else if (ta && !tb) {
    ga = mm(b, gr, false, true, true);
    gb = mm(a, gr, false, false, false);
  } else {
    ga = mm(b, gr, true, true, true);
    gb = mm(gr, a, true, true, false);
  }
  *dx = {ga, gb};
  return Status::OK();
}

// d/dx erf(x) = 2/sqrt(pi) exp(-x^2); erfc's is its negation. The constant depends on the
// incoming gradient, as TF's control_dependencies([grad]) block.
Status ErfGradImpl(const GradOp& op, const Outs& dy, Outs* dx, bool complement) {
  Graph& g = *op.g;
  const Output& x = op.inputs[0];
  const DataType dt = g.OutputType(x);
  const double c = 2.0 / std::sqrt(3.14159265358979323846);
  Output k = ScalarConst(g, complement ? -c : c, dt, "Const", {dy[0].node});
  Output sq = AddOp(g, "Square", "Square", {x});
  Output e = AddOp(g, "Exp", "Exp", {AddOp(g, "Neg", "Neg", {sq})});
  *dx = {Mul(g, Mul(g, dy[0], k), e)};
  return Status::OK();
}

// BatchMatMulV2/V3: MatMul's four cases on batched adjoints, then each gradient summed over
// the batch dims its input was broadcast along (BroadcastGradientArgs of the batch shapes)
// unless both static batch shapes are known and equal.
Status BatchMatMulGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const bool ax = op.BoolAttr("adj_x"), ay = op.BoolAttr("adj_y");
  const Output &x = op.inputs[0], &y = op.inputs[1], &gr = dy[0];
  const bool v3 = op.type == "BatchMatMulV3";
  auto mm = [&](const Output& p, const Output& q, bool ap, bool aq) {
    AttrMap attrs{{"adj_x", ap}, {"adj_y", aq}};
    if (v3) {
      attrs["Ta"] = g.OutputType(p);
      attrs["Tb"] = g.OutputType(q);
      attrs["Tout"] = g.OutputType(gr);
    }
    return AddOp(g, op.type, "MatMul", {p, q}, attrs);
  };
  Output gx, gy;
  if (!ax && !ay) {
    gx = mm(gr, y, false, true);
    gy = mm(x, gr, true, false);
  } else if (!ax && ay) {
    gx = mm(gr, y, false, false);
    gy = mm(gr, x, true, false);
  } else if (ax && !ay) {
    gx = mm(y, gr, false, true);
    gy = mm(x, gr, false, false);
  } else {
    gx = mm(y, gr, true, true);
    gy = mm(gr, x, true, true);
  }
  PartialShape sx = g.OutputShape(x), sy = g.OutputShape(y);
  if (sx.IsFullyDefined() && sy.IsFullyDefined() && sx.rank() >= 2 && sy.rank() >= 2 &&
      std::vector<int64_t>(sx.dims().begin(), sx.dims().end() - 2) ==
          std::vector<int64_t>(sy.dims().begin(), sy.dims().end() - 2)) {
    *dx = {gx, gy};
    return Status::OK();
  }
  Output shx = ops::Shape(g, x, DataType::kInt32, "Shape");
  Output shy = ops::Shape(g, y, DataType::kInt32, "Shape_1");
  auto batch_of = [&](const Output& sh) {
    AttrMap attrs{{"begin_mask", int64_t{1}},
                  {"end_mask", int64_t{0}},
                  {"ellipsis_mask", int64_t{0}},
                  {"new_axis_mask", int64_t{0}},
                  {"shrink_axis_mask", int64_t{0}}};
    return AddOp(g, "StridedSlice", "strided_slice",
                 {sh, IntVectorConst(g, {0}, "stack"), IntVectorConst(g, {-2}, "stack_1"),
                  IntVectorConst(g, {1}, "stack_2")},
                 attrs);
  };
  Output bga =
      AddOp(g, "BroadcastGradientArgs", "BroadcastGradientArgs", {batch_of(shx), batch_of(shy)});
  Output rx = AddOp(g, "Sum", "Sum", {gx, bga}, AttrMap{{"keep_dims", false}});
  Output ry = AddOp(g, "Sum", "Sum_1", {gy, Output(bga.node, 1)}, AttrMap{{"keep_dims", false}});
  *dx = {ReshapeTo(g, rx, shx), ReshapeTo(g, ry, shy, "Reshape_1")};
  return Status::OK();
}

// Sum's gradient (shared with Mean).
Output SumGradInput(const GradOp& op, const Output& grad_in) {
  Graph& g = *op.g;
  const Output& x = op.inputs[0];
  PartialShape in = g.OutputShape(x);
  auto axes_t = ConstValue(g, op.inputs[1]);
  Output grad = grad_in;
  if (in.known_rank() && axes_t) {
    std::vector<int64_t> axes;
    if (axes_t->dtype() == DataType::kInt32) {
      for (int32_t a : axes_t->flat<int32_t>()) axes.push_back(a);
    } else if (axes_t->dtype() == DataType::kInt64) {
      for (int64_t a : axes_t->flat<int64_t>()) axes.push_back(a);
    }
    const int rank = in.rank();
    std::vector<int64_t> all(rank);
    std::iota(all.begin(), all.end(), 0);
    if (axes == all) {
      Output r;
      {
        Graph::NameScope s(g, "Reshape");
        Output sh = IntVectorConst(g, std::vector<int64_t>(rank, 1), "shape");
        Output ins[2] = {grad, sh};
        r = g.AddNode("Reshape", s.scope_name(), ins).output(0);
      }
      Output input_shape = in.IsFullyDefined() ? IntVectorConst(g, in.dims(), "Const")
                                               : ops::Shape(g, x, DataType::kInt32, "Shape");
      return AddOp(g, "Tile", "Tile", {r, input_shape});
    }
    if (in.IsFullyDefined()) {
      std::vector<int64_t> kept = in.dims(), scale(rank, 1);
      for (int64_t a : axes) {
        int64_t d = a < 0 ? a + rank : a;
        if (d < 0 || d >= rank) continue;
        kept[d] = 1;
        scale[d] = in.dims()[d];
      }
      Output r;
      {
        Graph::NameScope s(g, "Reshape");
        Output sh = IntVectorConst(g, kept, "shape");
        Output ins[2] = {grad, sh};
        r = g.AddNode("Reshape", s.scope_name(), ins).output(0);
      }
      Graph::NameScope s(g, "Tile");
      Output m = IntVectorConst(g, scale, "multiples");
      Output ins[2] = {r, m};
      return g.AddNode("Tile", s.scope_name(), ins).output(0);
    }
  }
  // Dynamic shapes: reshape to the kept-dims shape, broadcast to the input shape.
  Output input_shape = ops::Shape(g, x, DataType::kInt32, "Shape");
  if (!op.BoolAttr("keep_dims")) {
    // kept = shape with reduced axes set to 1: shape * mask + (1 - mask) via OneHot-free ops:
    // ones at the reduced axes are scattered with a broadcast comparison against range(rank).
    Output rank = AddOp(g, "Size", "Size", {input_shape}, AttrMap{{"out_type", DataType::kInt32}});
    Output axes = ops::Cast(g, op.inputs[1], DataType::kInt32, "Cast");
    Output add = AddOp(g, "AddV2", "add", {axes, rank});
    Output mod = AddOp(g, "FloorMod", "mod", {add, rank});
    Output zero = ScalarConst(g, 0, DataType::kInt32, "range/start");
    Output one = ScalarConst(g, 1, DataType::kInt32, "range/delta");
    Output idx = AddOp(g, "Range", "range", {zero, rank, one});
    Output neg1 = IntVectorConst(g, {-1, 1}, "Reshape/shape");
    Output col = ReshapeTo(g, mod, neg1);
    Output eq = AddOp(g, "Equal", "Equal", {col, idx});
    Output any_axis = ops::Cast(g, eq, DataType::kInt32, "Cast");
    Output cnt = ReduceSumAxes(g, any_axis, {0}, false, "Sum");
    Output zeros = AddOp(g, "ZerosLike", "zeros_like", {cnt});
    Output is_reduced = AddOp(g, "Greater", "Greater", {cnt, zeros});
    Output ones = AddOp(g, "OnesLike", "ones_like", {input_shape});
    Output kept = AddOp(g, "SelectV2", "SelectV2", {is_reduced, ones, input_shape});
    grad = ReshapeTo(g, grad, kept);
  }
  return AddOp(g, "BroadcastTo", "BroadcastTo", {grad, input_shape});
}

Status SumGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  *dx = {SumGradInput(op, dy[0]), Output()};
  return Status::OK();
}

Status MeanGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  Output sum_grad = SumGradInput(op, dy[0]);
  const DataType dt = g.OutputType(sum_grad);
  PartialShape in = g.OutputShape(op.inputs[0]);
  PartialShape out = g.OutputShape(op.output(0));
  Output factor;
  if (in.IsFullyDefined() && out.IsFullyDefined()) {
    int64_t isz = 1, osz = 1;
    for (int64_t d : in.dims()) isz *= d;
    for (int64_t d : out.dims()) osz *= d;
    int64_t f = isz / std::max<int64_t>(osz, 1);
    factor = ops::Const(g, static_cast<double>(f), dt, {}, "Const");
    // truediv(sum_grad, cast(factor)): the cast of a same-dtype tensor adds no node.
    *dx = {AddOp(g, "RealDiv", "truediv", {sum_grad, factor}), Output()};
    return Status::OK();
  }
  Output input_shape = ShapeOf(g, op.inputs[0], "Shape");
  PartialShape ss = g.OutputShape(input_shape);
  Output input_rank;
  if (ss.IsFullyDefined()) {
    input_rank = ops::Const(g, static_cast<double>(ss.dims()[0]), DataType::kInt32, {}, "Size");
  } else {
    input_rank = AddOp(g, "Size", "Size", {input_shape}, AttrMap{{"out_type", DataType::kInt32}});
  }
  Output axes = op.inputs[1];
  if (g.OutputType(axes) != DataType::kInt32) axes = ops::Cast(g, axes, DataType::kInt32, "Cast");
  Output add = AddOp(g, "AddV2", "add", {axes, input_rank});
  Output mod = AddOp(g, "FloorMod", "mod", {add, input_rank});
  Output gathered;
  {
    Graph::NameScope s(g, "GatherV2");
    Output axis = ops::Const(g, 0.0, DataType::kInt32, {}, "axis");
    Output ins[3] = {input_shape, mod, axis};
    gathered =
        g.AddNode("GatherV2", s.scope_name(), ins, AttrMap{{"batch_dims", int64_t{0}}}).output(0);
  }
  Output all = IntVectorConst(g, {0}, "Const");
  Output prod = AddOp(g, "Prod", "Prod", {gathered, all}, AttrMap{{"keep_dims", false}});
  factor = ops::Cast(g, prod, dt, "Cast");
  *dx = {AddOp(g, "RealDiv", "truediv", {sum_grad, factor}), Output()};
  return Status::OK();
}

Status SelectGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  Output zeros = ZerosLikeOf(g, op.inputs[1]);
  Output a = AddOp(g, "Select", "Select", {op.inputs[0], dy[0], zeros});
  Output b = AddOp(g, "Select", "Select", {op.inputs[0], zeros, dy[0]});
  *dx = {Output(), a, b};
  return Status::OK();
}

Status SelectV2Grad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  const Output &c = op.inputs[0], &x = op.inputs[1], &y = op.inputs[2], &gr = dy[0];
  Output zeros = ZerosLikeOf(g, gr);
  Output gx = AddOp(g, "SelectV2", "SelectV2", {c, gr, zeros});
  Output gy = AddOp(g, "SelectV2", "SelectV2", {c, zeros, gr});
  // Reduce each to its input's shape (the output is the broadcast of c, x, y).
  Outs rx = ReduceGradientArgs(g, x, op.output(0), gx, Output());
  Outs ry = ReduceGradientArgs(g, y, op.output(0), gy, Output());
  *dx = {Output(), rx[0], ry[0]};
  return Status::OK();
}

Status MinMaxReduceGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  // d/dx of reduce_max: grad routed equally to the positions equal to the result.
  Graph& g = *op.g;
  const Output& x = op.inputs[0];
  PartialShape in = g.OutputShape(x);
  Output input_shape = ops::Shape(g, x, DataType::kInt32, "Shape");
  Output y = op.output(0), gr = dy[0];
  if (!op.BoolAttr("keep_dims")) {
    // Reuse Sum's reshape logic by building kept-dims versions of y and grad.
    GradOp sum_op = op;
    Output yk = SumGradInput(sum_op, y);
    Output gk = SumGradInput(sum_op, gr);
    y = yk;
    gr = gk;
  } else {
    y = AddOp(g, "BroadcastTo", "BroadcastTo", {y, input_shape});
    gr = AddOp(g, "BroadcastTo", "BroadcastTo", {gr, input_shape});
  }
  (void)in;
  Output eq = AddOp(g, "Equal", "Equal", {y, x});
  Output ind = ops::Cast(g, eq, g.OutputType(x), "Cast");
  Output num = AddOp(g, "Sum", "Sum", {ind, op.inputs[1]}, AttrMap{{"keep_dims", true}});
  Output num_b = AddOp(g, "BroadcastTo", "BroadcastTo", {num, input_shape});
  Output d = AddOp(g, "RealDiv", "truediv", {ind, num_b});
  *dx = {Mul(g, d, gr), Output()};
  return Status::OK();
}

Status ProdGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  // Valid when no element is zero: d prod / dx_i = prod / x_i.
  Graph& g = *op.g;
  const Output& x = op.inputs[0];
  Output y = op.output(0), gr = dy[0];
  Output input_shape = ops::Shape(g, x, DataType::kInt32, "Shape");
  if (!op.BoolAttr("keep_dims")) {
    y = SumGradInput(op, y);
    gr = SumGradInput(op, gr);
  } else {
    y = AddOp(g, "BroadcastTo", "BroadcastTo", {y, input_shape});
    gr = AddOp(g, "BroadcastTo", "BroadcastTo", {gr, input_shape});
  }
  Output q = AddOp(g, "RealDiv", "truediv", {y, x});
  *dx = {Mul(g, gr, q), Output()};
  return Status::OK();
}

Status UnsortedSegmentSumGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  *dx = {ops::Gather(g, dy[0], op.inputs[1], 0), Output(), Output()};
  return Status::OK();
}

// TF's _CumsumGrad: the cumulative sum of the gradient in the other direction (same
// exclusive), under the name scope math_ops.cumsum opens; none for the axis.
Status CumsumGrad(const GradOp& op, const Outs& dy, Outs* dx) {
  Graph& g = *op.g;
  if (!dy[0].valid()) {
    *dx = {Output(), Output()};
    return Status::OK();
  }
  Output axis = op.inputs[1];
  Operation sum = g.AddNode(
      "Cumsum", g.UniqueName("Cumsum"), std::vector<Output>{dy[0], axis},
      AttrMap{{"exclusive", op.BoolAttr("exclusive")}, {"reverse", !op.BoolAttr("reverse")}});
  *dx = {sum.output(0), Output()};
  return g.status();
}

// TF registers no gradient for the bincounts: differentiating through one (to its float
// weights) fails there too, so it fails here instead of silently giving none.
Status NoBincountGradient(const GradOp& op, const Outs& dy, Outs* dx) {
  if (!dy[0].valid()) {  // integer counts: nothing flows back
    dx->assign(op.inputs.size(), Output());
    return Status::OK();
  }
  return UnimplementedError("no gradient is defined for " + op.type + " (node " + op.name +
                            "), as in TensorFlow");
}

}  // namespace

void RegisterMathGradients(GradRegistry* r) {
  r->Register("Add", AddGrad);
  r->Register("AddV2", AddGrad);
  r->Register("Sub", SubGrad);
  r->Register("Mul", MulGrad);
  r->Register("RealDiv", RealDivGrad);
  r->Register("Div", RealDivGrad);
  r->Register("DivNoNan", RealDivGrad);
  r->Register("Neg", NegGrad);
  r->Register("Exp", ExpGrad);
  r->Register("Log", LogGrad);
  r->Register("Log1p", Log1pGrad);
  r->Register("Square", SquareGrad);
  r->Register("Sqrt", [](const GradOp& op, const Outs& dy, Outs* dx) {
    return OutputGrad(op, dy, dx, "SqrtGrad");
  });
  r->Register("Rsqrt", [](const GradOp& op, const Outs& dy, Outs* dx) {
    return OutputGrad(op, dy, dx, "RsqrtGrad");
  });
  r->Register("Reciprocal", [](const GradOp& op, const Outs& dy, Outs* dx) {
    return OutputGrad(op, dy, dx, "ReciprocalGrad");
  });
  r->Register("Sigmoid", [](const GradOp& op, const Outs& dy, Outs* dx) {
    MarkManualControlDep(*op.g, dy[0].node);
    return OutputGrad(op, dy, dx, "SigmoidGrad");
  });
  r->Register("Tanh", [](const GradOp& op, const Outs& dy, Outs* dx) {
    MarkManualControlDep(*op.g, dy[0].node);
    return OutputGrad(op, dy, dx, "TanhGrad");
  });
  r->Register("Abs", AbsGrad);
  r->Register("Sign", SignGrad);
  r->Register("SquaredDifference", SquaredDifferenceGrad);
  r->Register("Maximum", MaxMinGrad);
  r->Register("Minimum", MaxMinGrad);
  r->Register("Pow", PowGrad);
  r->Register("FloorMod", FloorModGrad);
  r->Register("Cast", CastGrad);
  r->Register("AddN", AddNGrad);
  r->Register("MatMul", MatMulGrad);
  r->Register("BatchMatMulV2", BatchMatMulGrad);
  r->Register("BatchMatMulV3", BatchMatMulGrad);
  r->Register("Einsum", InferenceOnly);
  r->Register("Erf", [](const GradOp& op, const Outs& dy, Outs* dx) {
    return ErfGradImpl(op, dy, dx, false);
  });
  r->Register("Erfc", [](const GradOp& op, const Outs& dy, Outs* dx) {
    return ErfGradImpl(op, dy, dx, true);
  });
  r->Register("Sum", SumGrad);
  r->Register("Mean", MeanGrad);
  r->Register("Max", MinMaxReduceGrad);
  r->Register("Min", MinMaxReduceGrad);
  r->Register("Prod", ProdGrad);
  r->Register("Select", SelectGrad);
  r->Register("SelectV2", SelectV2Grad);
  r->Register("UnsortedSegmentSum", UnsortedSegmentSumGrad);
  r->Register("Cumsum", CumsumGrad);
  r->Register("DenseBincount", NoBincountGradient);
  r->Register("RaggedBincount", NoBincountGradient);
  for (const char* op : {"Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual",
                         "LogicalAnd", "LogicalOr", "LogicalNot", "Round", "Floor", "Ceil",
                         "FloorDiv", "ArgMax", "ArgMin", "Range",
                         // gradient helpers: their own gradients are not needed (TF's too)
                         "SigmoidGrad", "TanhGrad", "SqrtGrad", "RsqrtGrad", "ReciprocalGrad"}) {
    r->NoGradient(op);
  }
}

}  // namespace ckpt::grad
