// Numeric gradient checks: every op with a registered gradient function is differentiated
// symbolically (Gradients()) and by central finite differences, in double precision.
#include <functional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "graph/gradient_checker.h"

namespace ckpt {
namespace {

using testutil::ComputeGradientError;
using testutil::GradientCheckInput;
using testutil::Seq;

PartialShape Shape(std::vector<int64_t> d) { return PartialShape(std::move(d)); }

Output DoublePlaceholder(Graph& g, const TensorShape& s, const char* name, bool known = true) {
  return ops::Placeholder(g, DataType::kDouble, known ? PartialShape(s) : PartialShape(), name);
}

// Ops the tests below check numerically; GradientCheck.EveryGradientFunctionIsChecked
// requires every op with a gradient function to be listed, and each check asserts its op is.
const std::set<std::string>& CheckedOps() {
  static const std::set<std::string> s = {
      "Neg", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Log1p", "Abs", "Sign", "Reciprocal",
      "Sigmoid", "Tanh", "Relu", "Relu6", "Elu", "Softplus", "Softmax", "LogSoftmax", "L2Loss",
      "Identity", "Snapshot", "PlaceholderWithDefault", "Cast", "AddN", "IdentityN", "AddV2", "Add",
      "Sub", "Mul", "RealDiv", "Div", "DivNoNan", "Maximum", "Minimum", "Pow", "SquaredDifference",
      "FloorMod", "MatMul", "Sum", "Mean", "Max", "Min", "Prod", "BiasAdd",
      "SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits", "Select", "SelectV2",
      "ExpandDims", "Squeeze", "Reshape", "Transpose", "Tile", "ConcatV2", "Pack", "Unpack",
      "BroadcastTo", "Fill", "ReadVariableOp", "PreventGradient", "Slice", "StridedSlice", "Gather",
      "GatherV2", "Pad", "UnsortedSegmentSum", "DynamicStitch", "Cumsum", "Erf", "Erfc", "Selu",
      "LeakyRelu", "BatchMatMulV2", "BatchMatMulV3", "PadV2", "SpaceToBatchND", "BatchToSpaceND",
      "TopKV2",
      // Inference-only: their gradient fails clearly (GradientCheck.InferenceOnlyOpsFail).
      "Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool", "FusedBatchNorm", "FusedBatchNormV2",
      "FusedBatchNormV3", "RaggedTensorToTensor", "Einsum", "MirrorPad", "ResizeBilinear",
      "ResizeNearestNeighbor",
      // No gradient in TF either: differentiating fails (GradientCheck.BincountHasNoGradient).
      "DenseBincount", "RaggedBincount"};
  return s;
}

void ExpectGradientOk(const std::string& op, Graph& g, const std::vector<GradientCheckInput>& xs,
                      const Output& y, double tol = 1e-7, const Session::FeedList& extra = {}) {
  EXPECT_TRUE(CheckedOps().count(op)) << op;
  ASSERT_TRUE(g.status().ok()) << op << ": " << g.status().ToString();
  std::string err;
  double e = ComputeGradientError(g, xs, y, &err, extra);
  ASSERT_GE(e, 0) << op << ": " << err;
  EXPECT_LT(e, tol) << op;
}

using UnaryBuilder = std::function<Output(Graph&, Output)>;

struct UnaryCase {
  const char* op;
  UnaryBuilder build;
  double start, step;
};

TEST(GradientCheck, UnaryOps) {
  const std::vector<UnaryCase> cases = {
      {"Neg", [](Graph& g, Output x) { return ops::Neg(g, x); }, -1.1, 0.37},
      {"Square", [](Graph& g, Output x) { return ops::Square(g, x); }, -1.1, 0.37},
      {"Sqrt", [](Graph& g, Output x) { return ops::Sqrt(g, x); }, 0.3, 0.37},
      {"Rsqrt", [](Graph& g, Output x) { return ops::Rsqrt(g, x); }, 0.3, 0.37},
      {"Exp", [](Graph& g, Output x) { return ops::Exp(g, x); }, -1.1, 0.37},
      {"Log", [](Graph& g, Output x) { return ops::Log(g, x); }, 0.3, 0.37},
      {"Log1p", [](Graph& g, Output x) { return ops::Log1p(g, x); }, -0.5, 0.37},
      {"Abs", [](Graph& g, Output x) { return ops::Abs(g, x); }, -1.1, 0.37},
      {"Sign", [](Graph& g, Output x) { return ops::Sign(g, x); }, -1.1, 0.37},
      {"Reciprocal", [](Graph& g, Output x) { return ops::Reciprocal(g, x); }, 0.3, 0.37},
      {"Sigmoid", [](Graph& g, Output x) { return ops::Sigmoid(g, x); }, -1.1, 0.37},
      {"Tanh", [](Graph& g, Output x) { return ops::Tanh(g, x); }, -1.1, 0.37},
      {"Relu", [](Graph& g, Output x) { return ops::Relu(g, x); }, -1.1, 0.37},
      {"Relu6", [](Graph& g, Output x) { return ops::Relu6(g, x); }, -1.1, 1.37},
      {"Elu", [](Graph& g, Output x) { return ops::Elu(g, x); }, -1.1, 0.37},
      {"Softplus", [](Graph& g, Output x) { return ops::Softplus(g, x); }, -1.1, 0.37},
      {"Softmax", [](Graph& g, Output x) { return ops::Softmax(g, x); }, -1.1, 0.37},
      {"LogSoftmax", [](Graph& g, Output x) { return ops::LogSoftmax(g, x); }, -1.1, 0.37},
      {"L2Loss", [](Graph& g, Output x) { return ops::L2Loss(g, x); }, -1.1, 0.37},
      {"Identity", [](Graph& g, Output x) { return ops::Identity(g, x); }, -1.1, 0.37},
      {"Snapshot",
       [](Graph& g, Output x) {
         return Output(g.AddNode("Snapshot", "snap", std::vector<Output>{x}).name);
       },
       -1.1, 0.37},
      {"PlaceholderWithDefault",
       [](Graph& g, Output x) {
         return ops::PlaceholderWithDefault(g, x, PartialShape(std::vector<int64_t>{2, 3}));
       },
       -1.1, 0.37},
      {"Cast",
       [](Graph& g, Output x) {
         return ops::Cast(g, ops::Cast(g, x, DataType::kFloat), DataType::kDouble);
       },
       -1.1, 0.37},
      {"AddN",
       [](Graph& g, Output x) {
         return ops::AddN(g, {x, x, ops::Square(g, x)});
       },
       -1.1, 0.37},
      {"IdentityN",
       [](Graph& g, Output x) {
         return ops::IdentityN(g, {x, x})[1];
       },
       -1.1, 0.37},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.op);
    Graph g;
    Output x = DoublePlaceholder(g, {2, 3}, "x");
    Output y = c.build(g, x);
    // Cast goes through float32: its finite differences carry float rounding.
    double tol = std::string(c.op) == "Cast" ? 1e-2 : 1e-7;
    ExpectGradientOk(c.op, g, {{x, Seq({2, 3}, c.start, c.step)}}, y, tol);
  }
}

using BinaryBuilder = std::function<Output(Graph&, Output, Output)>;

TEST(GradientCheck, BroadcastingBinaryOps) {
  const std::vector<std::pair<const char*, BinaryBuilder>> cases = {
      {"AddV2", [](Graph& g, Output a, Output b) { return ops::Add(g, a, b); }},
      {"Add", [](Graph& g, Output a, Output b) { return ops::AddLegacy(g, a, b); }},
      {"Sub", [](Graph& g, Output a, Output b) { return ops::Sub(g, a, b); }},
      {"Mul", [](Graph& g, Output a, Output b) { return ops::Mul(g, a, b); }},
      {"RealDiv", [](Graph& g, Output a, Output b) { return ops::RealDiv(g, a, b); }},
      {"Div", [](Graph& g, Output a, Output b) { return ops::Div(g, a, b); }},
      {"DivNoNan",
       [](Graph& g, Output a, Output b) {
         return Output(g.AddNode("DivNoNan", "dnn", std::vector<Output>{a, b}).name);
       }},
      {"Maximum", [](Graph& g, Output a, Output b) { return ops::Maximum(g, a, b); }},
      {"Minimum", [](Graph& g, Output a, Output b) { return ops::Minimum(g, a, b); }},
      {"Pow", [](Graph& g, Output a, Output b) { return ops::Pow(g, a, b); }},
      {"SquaredDifference",
       [](Graph& g, Output a, Output b) { return ops::SquaredDifference(g, a, b); }},
      {"FloorMod", [](Graph& g, Output a, Output b) { return ops::FloorMod(g, a, b); }},
  };
  struct Shapes {
    TensorShape a, b;
    bool known;
  };
  const std::vector<Shapes> shapes = {{{2, 3}, {2, 3}, true},
                                      {{2, 3}, {3}, true},
                                      {{2, 1}, {1, 3}, true},
                                      {{2, 3}, {}, false},
                                      {{3}, {2, 3}, false}};
  for (const auto& c : cases) {
    for (const auto& s : shapes) {
      SCOPED_TRACE(std::string(c.first) + " " + s.a.DebugString() + " " + s.b.DebugString() +
                   (s.known ? " static" : " dynamic"));
      Graph g;
      Output a = DoublePlaceholder(g, s.a, "a", s.known);
      Output b = DoublePlaceholder(g, s.b, "b", s.known);
      Output y = c.second(g, a, b);
      // Positive, well separated values keep Pow/Div/FloorMod/Max smooth.
      ExpectGradientOk(c.first, g, {{a, Seq(s.a, 1.3, 0.41)}, {b, Seq(s.b, 0.7, 0.23)}}, y, 1e-7);
    }
  }
}

TEST(GradientCheck, MatMulAllTransposes) {
  for (int t = 0; t < 4; ++t) {
    const bool ta = t & 1, tb = t & 2;
    Graph g;
    TensorShape sa = ta ? TensorShape{3, 2} : TensorShape{2, 3};
    TensorShape sb = tb ? TensorShape{4, 3} : TensorShape{3, 4};
    Output a = DoublePlaceholder(g, sa, "a");
    Output b = DoublePlaceholder(g, sb, "b");
    Output y = ops::MatMul(g, a, b, ta, tb);
    ExpectGradientOk("MatMul", g, {{a, Seq(sa, -0.5, 0.2)}, {b, Seq(sb, 0.3, -0.1)}}, y);
  }
}

TEST(GradientCheck, Reductions) {
  for (const char* op : {"Sum", "Mean", "Max", "Min", "Prod"}) {
    for (bool keep : {false, true}) {
      for (bool known : {true, false}) {
        for (std::vector<int> axes :
             {std::vector<int>{1}, std::vector<int>{0, 1}, std::vector<int>{-1}}) {
          SCOPED_TRACE(std::string(op) + (keep ? " keep" : "") + (known ? "" : " dynamic") +
                       " axes " + std::to_string(axes.size()));
          Graph g;
          Output x = DoublePlaceholder(g, {2, 3}, "x", known);
          Output y;
          std::vector<int32_t> ax(axes.begin(), axes.end());
          Output axis =
              ops::Const(g, Tensor::FromVector<int32_t>(ax, TensorShape{(int64_t)ax.size()}));
          y = ops::Reduce(g, op, x, axis, keep, op);
          ExpectGradientOk(op, g, {{x, Seq({2, 3}, 0.5, 0.37)}}, y);
        }
      }
    }
  }
}

TEST(GradientCheck, NnOps) {
  {
    Graph g;
    Output v = DoublePlaceholder(g, {2, 3}, "v");
    Output b = DoublePlaceholder(g, {3}, "b");
    ExpectGradientOk("BiasAdd", g, {{v, Seq({2, 3}, -1, 0.3)}, {b, Seq({3}, 0.5, 0.1)}},
                     ops::BiasAdd(g, v, b));
  }
  {
    Graph g;
    Output f = DoublePlaceholder(g, {2, 3}, "f");
    Output l = DoublePlaceholder(g, {2, 3}, "l");
    Output y = ops::SoftmaxCrossEntropyWithLogitsOp(g, f, l);
    // Labels are distributions (rows sum to 1), as the op's backprop assumes.
    ExpectGradientOk(
        "SoftmaxCrossEntropyWithLogits", g,
        {{f, Seq({2, 3}, -1, 0.3)},
         {l, Tensor::FromVector<double>({0.2, 0.3, 0.5, 0.6, 0.1, 0.3}, TensorShape{2, 3})}},
        y);
  }
  {
    Graph g;
    Output f = DoublePlaceholder(g, {2, 3}, "f");
    Output l = ops::Const(g, Tensor::FromVector<int64_t>({2, 0}, TensorShape{2}));
    Output y = ops::SparseSoftmaxCrossEntropyWithLogits(g, l, f);
    ExpectGradientOk("SparseSoftmaxCrossEntropyWithLogits", g, {{f, Seq({2, 3}, -1, 0.3)}}, y);
  }
}

TEST(GradientCheck, Selects) {
  {
    Graph g;
    Output a = DoublePlaceholder(g, {2, 3}, "a");
    Output b = DoublePlaceholder(g, {2, 3}, "b");
    Output c =
        ops::Const(g, Tensor::FromVector(std::vector<bool>{true, false, true, false, false, true},
                                         TensorShape{2, 3}));
    ExpectGradientOk("Select", g, {{a, Seq({2, 3}, -1, 0.3)}, {b, Seq({2, 3}, 2, 0.1)}},
                     ops::Select(g, c, a, b));
  }
  {
    Graph g;
    Output a = DoublePlaceholder(g, {2, 3}, "a");
    Output b = DoublePlaceholder(g, {3}, "b");
    Output c =
        ops::Const(g, Tensor::FromVector(std::vector<bool>{true, false, true}, TensorShape{3}));
    ExpectGradientOk("SelectV2", g, {{a, Seq({2, 3}, -1, 0.3)}, {b, Seq({3}, 2, 0.1)}},
                     ops::SelectV2(g, c, a, b));
  }
}

TEST(GradientCheck, ArrayOps) {
  auto one = [](const char* op, std::function<Output(Graph&, Output)> f, TensorShape s,
                bool known = true) {
    SCOPED_TRACE(op);
    Graph g;
    Output x = DoublePlaceholder(g, s, "x", known);
    Output y = f(g, x);
    ExpectGradientOk(op, g, {{x, Seq(s, -1, 0.3)}}, y);
  };
  one("ExpandDims", [](Graph& g, Output x) { return ops::ExpandDims(g, x, 1); }, {2, 3});
  one("DynamicStitch",
      [](Graph& g, Output x) {
        Output idx = ops::Const(g, Tensor::FromVector<int32_t>({2, 0, 1}, TensorShape{3}));
        return Output(g.AddNode("DynamicStitch", g.UniqueName("DynamicStitch"),
                                std::vector<Output>{idx, x}, {{"N", AttrValue(1)}})
                          .name);
      },
      {3, 2});
  one("Squeeze", [](Graph& g, Output x) { return ops::Squeeze(g, x); }, {2, 1, 3});
  one("Reshape",
      [](Graph& g, Output x) {
        return ops::Reshape(g, x,
                            ops::Const(g, Tensor::FromVector<int32_t>({3, -1}, TensorShape{2})));
      },
      {2, 3});
  one(
      "Reshape",
      [](Graph& g, Output x) {
        return ops::Reshape(g, x, ops::Const(g, Tensor::FromVector<int32_t>({6}, TensorShape{1})));
      },
      {2, 3}, false);
  one("Transpose",
      [](Graph& g, Output x) {
        return ops::Transpose(
            g, x, ops::Const(g, Tensor::FromVector<int32_t>({2, 0, 1}, TensorShape{3})));
      },
      {2, 3, 2});
  one("Tile",
      [](Graph& g, Output x) {
        return ops::Tile(g, x, ops::Const(g, Tensor::FromVector<int32_t>({2, 3}, TensorShape{2})));
      },
      {2, 3});
  one("ConcatV2",
      [](Graph& g, Output x) {
        return ops::Concat(g, {x, ops::Square(g, x)}, 1);
      },
      {2, 3});
  one("Pack", [](Graph& g, Output x) { return ops::Pack(g, {x, ops::Square(g, x)}, 1); }, {2, 3});
  one("Unpack",
      [](Graph& g, Output x) {
        Operation u = g.AddNode("Unpack", "unstack", std::vector<Output>{x},
                                AttrMap{{"num", int64_t{2}}, {"axis", int64_t{0}}});
        return ops::Add(g, u.output(0), ops::Square(g, u.output(1)));
      },
      {2, 3});
  one("BroadcastTo",
      [](Graph& g, Output x) {
        return Output(
            g.AddNode("BroadcastTo", "bt",
                      std::vector<Output>{
                          x, ops::Const(g, Tensor::FromVector<int32_t>({2, 2, 3}, TensorShape{3}))})
                .name);
      },
      {2, 1, 3});
  auto ints = [](Graph& g, std::vector<int32_t> v) {
    return ops::Const(g, Tensor::FromVector<int32_t>(v, TensorShape{(int64_t)v.size()}));
  };
  one("Slice",
      [&](Graph& g, Output x) {
        return ops::Slice(g, x, ints(g, {1, 0, 1}), ints(g, {1, 2, -1}));
      },
      {3, 2, 4});
  one("StridedSlice",
      [&](Graph& g, Output x) {
        return ops::StridedSlice(g, x, ints(g, {0, 1, 3}), ints(g, {3, 2, 0}), ints(g, {2, 1, -2}));
      },
      {3, 2, 4});
  one("StridedSlice",
      [&](Graph& g, Output x) {
        ops::StridedSliceMasks m;
        m.shrink_axis_mask = 2;
        m.begin_mask = 1;
        return ops::StridedSlice(g, x, ints(g, {0, 1}), ints(g, {2, 2}), ints(g, {1, 1}), m);
      },
      {3, 2, 4});
  one("GatherV2",
      [&](Graph& g, Output x) {
        return ops::Gather(g, x, ints(g, {2, 0, 2, 1}));
      },
      {3, 2});
  one("Gather",
      [&](Graph& g, Output x) {
        return Output(
            g.AddNode("Gather", "gather", std::vector<Output>{x, ints(g, {1, 1, 0})}).name);
      },
      {3, 2});
  one("Pad",
      [&](Graph& g, Output x) {
        return Output(
            g.AddNode("Pad", "pad",
                      std::vector<Output>{x, ops::Const(g, Tensor::FromVector<int32_t>(
                                                               {1, 0, 2, 1}, TensorShape{2, 2}))})
                .name);
      },
      {2, 3});
  one("UnsortedSegmentSum",
      [&](Graph& g, Output x) {
        return Output(g.AddNode("UnsortedSegmentSum", "uss",
                                std::vector<Output>{x, ints(g, {1, 0, 1}),
                                                    ops::Const(g, Tensor::Scalar<int32_t>(3))})
                          .name);
      },
      {3, 2});
  for (bool exclusive : {false, true}) {
    for (bool reverse : {false, true}) {
      one("Cumsum",
          [&](Graph& g, Output x) {
            return Output(
                g.AddNode("Cumsum", g.UniqueName("Cumsum"),
                          std::vector<Output>{x, ops::Const(g, Tensor::Scalar<int32_t>(1))},
                          {{"exclusive", AttrValue(exclusive)}, {"reverse", AttrValue(reverse)}})
                    .name);
          },
          {2, 4});
    }
  }
  {
    Graph g;
    Output v = DoublePlaceholder(g, {}, "v");
    Output y = ops::Fill(g, ops::Const(g, Tensor::FromVector<int32_t>({2, 3}, TensorShape{2})), v);
    ExpectGradientOk("Fill", g, {{v, Seq({}, 0.7, 0)}}, y);
  }
}

TEST(GradientCheck, ReadVariableOp) {
  Graph g;
  Output x = DoublePlaceholder(g, {2, 3}, "x");
  ops::VariableOptions vo;
  vo.use_resource = true;
  ops::Variable v = ops::MakeVariable(g, x, vo);
  Output r = ops::ReadVariableOp(g, v.variable, DataType::kDouble);
  // d(read(var) * 3)/d(handle) flows through ReadVariableOp's gradient to the handle.
  auto grads = Gradients(g, {ops::Mul(g, r, 3.0)}, {v.variable});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  ASSERT_TRUE((*grads)[0].valid());
  auto sess = Session::Create(&g);
  ASSERT_TRUE(sess.ok());
  ASSERT_TRUE((*sess)->Run({{"x:0", Seq({2, 3}, 0, 1)}}, {}, {v.initializer.name}).ok());
  auto out = (*sess)->Run({}, {(*grads)[0].name()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ((*out)[0].data<double>()[i], 3.0);
}

TEST(GradientCheck, PreventGradientFailsWithItsMessage) {
  Graph g;
  Output x = DoublePlaceholder(g, {2}, "x");
  Output y = ops::PreventGradient(g, x, "no second derivative here");
  auto grads = Gradients(g, {y}, {x});
  ASSERT_FALSE(grads.ok());
  EXPECT_NE(grads.status().ToString().find("no second derivative here"), std::string::npos);
}

TEST(GradientCheck, BincountHasNoGradient) {
  Graph g;
  Output w = DoublePlaceholder(g, {3}, "w");
  Operation count = g.AddNode(
      "DenseBincount", "count",
      std::vector<Output>{ops::Const(g, Tensor::FromVector<int32_t>({0, 1, 1}, TensorShape{3})),
                          ops::Const(g, Tensor::Scalar<int32_t>(2)), w});
  ASSERT_TRUE(g.status().ok()) << g.status().ToString();
  auto grads = Gradients(g, {count.output(0)}, {w});
  ASSERT_FALSE(grads.ok());
  EXPECT_EQ(grads.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(grads.status().ToString().find("no gradient is defined for DenseBincount"),
            std::string::npos)
      << grads.status().ToString();
}

TEST(GradientCheck, RaggedTensorToTensorIsInferenceOnly) {
  Graph g;
  Output v = DoublePlaceholder(g, {3}, "v");
  std::vector<Output> in = {ops::Const(g, Tensor::FromVector<int64_t>({-1, -1}, TensorShape{2})), v,
                            ops::Const(g, Tensor::Scalar<double>(0)),
                            ops::Const(g, Tensor::FromVector<int64_t>({0, 1, 3}, TensorShape{3}))};
  Operation dense = g.AddNode("RaggedTensorToTensor", "dense", in,
                              {{"row_partition_types", std::vector<std::string>{"ROW_SPLITS"}}});
  ASSERT_TRUE(g.status().ok()) << g.status().ToString();
  auto grads = Gradients(g, {dense.output(0)}, {v});
  ASSERT_FALSE(grads.ok());
  EXPECT_EQ(grads.status().code(), StatusCode::kUnimplemented);
}

TEST(GradientCheck, InferenceOnlyOpsFail) {
  Graph g;
  Output x =
      ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1, 4, 4, 1}), "x");
  Output w =
      ops::Const(g, Tensor::FromVector<float>(std::vector<float>(4, 0.5f), {2, 2, 1, 1}), "w");
  AttrMap attrs;
  attrs["strides"] = std::vector<int64_t>{1, 1, 1, 1};
  attrs["padding"] = std::string("VALID");
  std::vector<Output> in = {x, w};
  for (const std::string op : {"Conv2D", "DepthwiseConv2dNative"}) {
    Operation conv = g.AddNode(op, g.UniqueName(op), in, attrs);
    ASSERT_TRUE(g.status().ok()) << g.status().ToString();
    auto grads = Gradients(g, {conv.output(0)}, {x});
    ASSERT_FALSE(grads.ok());
    EXPECT_EQ(grads.status().code(), StatusCode::kUnimplemented);
    EXPECT_NE(grads.status().ToString().find("gradient of " + op + " (node " + op + ")"),
              std::string::npos)
        << grads.status().ToString();
  }
}

TEST(GradientCheck, TransformerActivations) {
  const std::vector<std::pair<const char*, AttrMap>> cases = {
      {"Erf", {}}, {"Erfc", {}}, {"Selu", {}}, {"LeakyRelu", {{"alpha", 0.1f}}}};
  for (const auto& [op, attrs] : cases) {
    SCOPED_TRACE(op);
    Graph g;
    Output x = DoublePlaceholder(g, {2, 3}, "x");
    Output y(g.AddNode(op, g.UniqueName(op), std::vector<Output>{x}, attrs).name);
    ExpectGradientOk(op, g, {{x, Seq({2, 3}, -1.1, 0.37)}}, y);
  }
}

TEST(GradientCheck, BatchMatMul) {
  struct Case {
    TensorShape a, b;
    bool adj_x, adj_y, known;
  };
  const std::vector<Case> cases = {
      {{2, 3, 4}, {2, 4, 5}, false, false, true}, {{2, 4, 3}, {2, 4, 5}, true, false, true},
      {{2, 3, 4}, {2, 5, 4}, false, true, true},  {{2, 4, 3}, {2, 5, 4}, true, true, true},
      {{1, 3, 4}, {2, 4, 5}, false, false, true}, {{3, 4}, {2, 4, 5}, false, false, true},
      {{2, 3, 4}, {4, 5}, false, false, false},   {{2, 1, 3, 4}, {3, 5, 4}, false, true, false}};
  for (const char* op : {"BatchMatMulV2", "BatchMatMulV3"}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(op) + " " + c.a.DebugString() + " x " + c.b.DebugString());
      Graph g;
      Output a = DoublePlaceholder(g, c.a, "a", c.known);
      Output b = DoublePlaceholder(g, c.b, "b", c.known);
      AttrMap attrs{{"adj_x", c.adj_x}, {"adj_y", c.adj_y}};
      if (std::string(op) == "BatchMatMulV3") {
        attrs["Ta"] = DataType::kDouble;
        attrs["Tb"] = DataType::kDouble;
        attrs["Tout"] = DataType::kDouble;
      }
      Output y(g.AddNode(op, op, std::vector<Output>{a, b}, attrs).name);
      ExpectGradientOk(op, g, {{a, Seq(c.a, -0.5, 0.2)}, {b, Seq(c.b, 0.3, -0.1)}}, y);
    }
  }
}

TEST(GradientCheck, PaddingAndSpaceBatchOps) {
  auto ints = [](Graph& g, std::vector<int32_t> v, TensorShape s) {
    return ops::Const(g, Tensor::FromVector<int32_t>(v, s));
  };
  auto one = [&](const char* op, TensorShape s, std::vector<int32_t> block,
                 std::vector<int32_t> pads) {
    SCOPED_TRACE(op);
    Graph g;
    Output x = DoublePlaceholder(g, s, "x");
    std::vector<Output> in;
    if (std::string(op) == "PadV2") {
      in = {x, ints(g, pads, {static_cast<int64_t>(pads.size() / 2), 2}),
            ops::Const(g, Tensor::Scalar<double>(0.5))};
    } else {
      in = {x, ints(g, block, {static_cast<int64_t>(block.size())}),
            ints(g, pads, {static_cast<int64_t>(block.size()), 2})};
    }
    Output y(g.AddNode(op, g.UniqueName(op), in).name);
    ExpectGradientOk(op, g, {{x, Seq(s, -1, 0.3)}}, y);
  };
  one("PadV2", {2, 3}, {}, {1, 0, 2, 1});
  one("SpaceToBatchND", {2, 4, 3, 1}, {2, 3}, {0, 0, 1, 2});
  one("BatchToSpaceND", {4, 2, 2, 1}, {2, 2}, {1, 0, 0, 1});
}

TEST(GradientCheck, TopK) {
  for (int k : {1, 3, 5}) {
    SCOPED_TRACE(k);
    Graph g;
    Output x = DoublePlaceholder(g, {2, 3, 5}, "x");
    Operation t = g.AddNode("TopKV2", "topk",
                            std::vector<Output>{x, ops::Const(g, Tensor::Scalar<int32_t>(k))});
    // A permuted, well-separated input: ties would make the top k non-differentiable.
    Output y = ops::Mul(g, t.output(0), t.output(0));
    std::vector<double> v(30);
    for (int i = 0; i < 30; ++i) v[i] = 0.1 * ((i * 7) % 30) - 1.0;
    ExpectGradientOk("TopKV2", g, {{x, Tensor::FromVector<double>(v, TensorShape{2, 3, 5})}}, y);
  }
}

TEST(GradientCheck, TransformerInferenceOnlyOpsFail) {
  auto fails = [](const char* op, Graph& g, const Output& x, const Output& y) {
    SCOPED_TRACE(op);
    EXPECT_TRUE(CheckedOps().count(op)) << op;
    ASSERT_TRUE(g.status().ok()) << g.status().ToString();
    auto grads = Gradients(g, {y}, {x});
    ASSERT_FALSE(grads.ok());
    EXPECT_EQ(grads.status().code(), StatusCode::kUnimplemented) << grads.status().ToString();
  };
  auto ints = [](Graph& g, std::vector<int32_t> v, TensorShape s) {
    return ops::Const(g, Tensor::FromVector<int32_t>(v, s));
  };
  {
    Graph g;
    Output x = DoublePlaceholder(g, {2, 3}, "x");
    Output y(g.AddNode("Einsum", "einsum", std::vector<Output>{x, x},
                       AttrMap{{"equation", std::string("ij,kj->ik")}, {"N", int64_t{2}}})
                 .name);
    fails("Einsum", g, x, y);
  }
  {
    Graph g;
    Output x = DoublePlaceholder(g, {2, 3}, "x");
    Output y(g.AddNode("MirrorPad", "mp", std::vector<Output>{x, ints(g, {1, 1, 0, 2}, {2, 2})},
                       AttrMap{{"mode", std::string("SYMMETRIC")}})
                 .name);
    fails("MirrorPad", g, x, y);
  }
  for (const char* op : {"ResizeBilinear", "ResizeNearestNeighbor"}) {
    Graph g;
    Output x = DoublePlaceholder(g, {1, 2, 2, 1}, "x");
    Output y(g.AddNode(op, "resize", std::vector<Output>{x, ints(g, {3, 3}, {2})}).name);
    fails(op, g, x, y);
  }
}

TEST(GradientCheck, EveryGradientFunctionIsChecked) {
  for (const std::string& op : OpsWithGradient()) {
    EXPECT_TRUE(CheckedOps().count(op)) << "no numeric gradient check for " << op;
  }
}

}  // namespace
}  // namespace ckpt
