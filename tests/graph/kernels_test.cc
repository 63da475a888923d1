// Every kernel against hand-computed values, including broadcasting and error cases.
#include <cmath>
#include <limits>

#include "graph/test_util.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::FloatNear;
using ::testing::HasSubstr;
using ::testing::Pointwise;
using testutil::D;
using testutil::F;
using testutil::I;
using testutil::L;
using testutil::RunOne;
using testutil::RunStatus;
using testutil::Values;

Tensor Eval(Graph& g, const Output& o) {
  EXPECT_TRUE(g.status().ok()) << g.status().ToString();
  return RunOne(g, o);
}

// ---- binary element-wise with broadcasting ---------------------------------------------------

struct BinCase {
  const char* name;
  Output (*fn)(Graph&, Input, Input, std::string_view);
  std::vector<float> expect;  // for x=[[1,2,3],[4,5,6]], y=[2,-1,4]
};

TEST(MathKernels, BinaryFloatBroadcastRow) {
  const std::vector<BinCase> cases = {
      {"AddV2", ops::Add, {3, 1, 7, 6, 4, 10}},
      {"Sub", ops::Sub, {-1, 3, -1, 2, 6, 2}},
      {"Mul", ops::Mul, {2, -2, 12, 8, -5, 24}},
      {"RealDiv", ops::RealDiv, {0.5f, -2, 0.75f, 2, -5, 1.5f}},
      {"Div", ops::Div, {0.5f, -2, 0.75f, 2, -5, 1.5f}},
      {"Maximum", ops::Maximum, {2, 2, 4, 4, 5, 6}},
      {"Minimum", ops::Minimum, {1, -1, 3, 2, -1, 4}},
      {"Pow", ops::Pow, {1, 0.5f, 81, 16, 0.2f, 1296}},
      {"SquaredDifference", ops::SquaredDifference, {1, 9, 1, 4, 36, 4}},
      {"FloorDiv", ops::FloorDiv, {0, -2, 0, 2, -5, 1}},
      {"FloorMod", ops::FloorMod, {1, 0, 3, 0, 0, 2}},
      {"AddLegacy", ops::AddLegacy, {3, 1, 7, 6, 4, 10}},
  };
  for (const auto& c : cases) {
    Graph g;
    Output x = ops::Const(g, F({1, 2, 3, 4, 5, 6}, {2, 3}));
    Output y = ops::Const(g, F({2, -1, 4}, {3}));
    Output z = c.fn(g, x, y, c.name);
    Tensor t = Eval(g, z);
    EXPECT_EQ(t.shape(), TensorShape({2, 3})) << c.name;
    EXPECT_THAT(Values<float>(t), Pointwise(FloatNear(1e-5), c.expect)) << c.name;
  }
}

TEST(MathKernels, BroadcastColumnTimesRowAndScalars) {
  Graph g;
  Output col = ops::Const(g, F({1, 2}, {2, 1}));
  Output row = ops::Const(g, F({10, 20, 30}, {1, 3}));
  Output outer = ops::Add(g, col, row);
  Output scalar_left = ops::Sub(g, 10.0f, row);
  Output rank3 = ops::Mul(g, ops::Const(g, F({1, 2, 3, 4}, {2, 1, 2})),
                          ops::Const(g, F({1, 10, 100}, {3, 1})));
  Tensor t = Eval(g, outer);
  EXPECT_EQ(t.shape(), TensorShape({2, 3}));
  EXPECT_THAT(Values<float>(t), ElementsAre(11, 21, 31, 12, 22, 32));
  EXPECT_THAT(Values<float>(RunOne(g, scalar_left)), ElementsAre(0, -10, -20));
  Tensor r3 = RunOne(g, rank3);
  EXPECT_EQ(r3.shape(), TensorShape({2, 3, 2}));
  EXPECT_THAT(Values<float>(r3), ElementsAre(1, 2, 10, 20, 100, 200, 3, 4, 30, 40, 300, 400));
}

TEST(MathKernels, BroadcastIncompatibleShapes) {
  Graph g;
  Output a = ops::Const(g, F({1, 2, 3}, {3}));
  Output b = ops::Const(g, F({1, 2}, {2}));
  Output c = ops::Add(g, a, b);
  Status s = RunStatus(g, c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("incompatible shapes: [3] vs. [2]"));
}

TEST(MathKernels, IntegerArithmetic) {
  Graph g;
  Output x = ops::Const(g, I({7, -7, 8, 9}, {4}));
  Output y = ops::Const(g, I({2, 2, -3, 3}, {4}));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::Div(g, x, y))), ElementsAre(3, -3, -2, 3));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::FloorDiv(g, x, y))), ElementsAre(3, -4, -3, 3));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::FloorMod(g, x, y))), ElementsAre(1, 1, -1, 0));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::Pow(g, x, 2))), ElementsAre(49, 49, 64, 81));
  Output l = ops::Const(g, L({1, 2}, {2}));
  EXPECT_THAT(Values<int64_t>(RunOne(g, ops::Mul(g, l, int64_t{3}))), ElementsAre(3, 6));
  Output zero = ops::Div(g, x, ops::Const(g, I({1, 0, 1, 1}, {4})));
  Status s = RunStatus(g, zero);
  EXPECT_THAT(std::string(s.message()), HasSubstr("integer division by zero"));
}

TEST(MathKernels, DoubleAndDivNoNan) {
  Graph g;
  Output x = ops::Const(g, D({1, 2}, {2}));
  Output y = ops::Const(g, D({0, 4}, {2}));
  Output q = g.AddNode("DivNoNan", "dnn", std::vector<Output>{x, y}).output();
  EXPECT_THAT(Values<double>(RunOne(g, q)), ElementsAre(0.0, 0.5));
  EXPECT_THAT(Values<double>(RunOne(g, ops::Add(g, x, 0.5))), ElementsAre(1.5, 2.5));
}

TEST(MathKernels, Unary) {
  Graph g;
  Output x = ops::Const(g, F({-2.5f, -0.5f, 0.5f, 1.5f, 4}, {5}));
  Output p = ops::Const(g, F({0.25f, 1, 4}, {3}));
  auto v = [&](Output o) { return Values<float>(RunOne(g, o)); };
  EXPECT_THAT(v(ops::Neg(g, x)), ElementsAre(2.5f, 0.5f, -0.5f, -1.5f, -4));
  EXPECT_THAT(v(ops::Square(g, x)), ElementsAre(6.25f, 0.25f, 0.25f, 2.25f, 16));
  EXPECT_THAT(v(ops::Abs(g, x)), ElementsAre(2.5f, 0.5f, 0.5f, 1.5f, 4));
  EXPECT_THAT(v(ops::Sign(g, x)), ElementsAre(-1, -1, 1, 1, 1));
  // Round is half-to-even, like TF's.
  EXPECT_THAT(v(ops::Round(g, x)), ElementsAre(-2, -0.0f, 0, 2, 4));
  EXPECT_THAT(v(ops::Floor(g, x)), ElementsAre(-3, -1, 0, 1, 4));
  EXPECT_THAT(v(ops::Ceil(g, x)), ElementsAre(-2, -0.0f, 1, 2, 4));
  EXPECT_THAT(v(ops::Sqrt(g, p)), ElementsAre(0.5f, 1, 2));
  EXPECT_THAT(v(ops::Rsqrt(g, p)), ElementsAre(2, 1, 0.5f));
  EXPECT_THAT(v(ops::Reciprocal(g, p)), ElementsAre(4, 1, 0.25f));
  EXPECT_THAT(v(ops::Exp(g, p)),
              Pointwise(FloatNear(1e-5), {std::exp(0.25f), std::exp(1.0f), std::exp(4.0f)}));
  EXPECT_THAT(v(ops::Log(g, p)),
              Pointwise(FloatNear(1e-6), {std::log(0.25f), 0.0f, std::log(4.0f)}));
  EXPECT_THAT(v(ops::Log1p(g, p)),
              Pointwise(FloatNear(1e-6), {std::log1p(0.25f), std::log1p(1.0f), std::log1p(4.0f)}));
  EXPECT_THAT(v(ops::Sigmoid(g, ops::Const(g, F({0, 2}, {2})))),
              Pointwise(FloatNear(1e-6), {0.5f, 1 / (1 + std::exp(-2.0f))}));
  EXPECT_THAT(v(ops::Tanh(g, ops::Const(g, F({0, 1}, {2})))),
              Pointwise(FloatNear(1e-6), {0.0f, std::tanh(1.0f)}));
  Output ints = ops::Const(g, I({-3, 0, 5}, {3}));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::Abs(g, ints))), ElementsAre(3, 0, 5));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::Sign(g, ints))), ElementsAre(-1, 0, 1));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::Square(g, ints))), ElementsAre(9, 0, 25));
  // Float-only ops reject ints when the graph is built (the OpDef's allowed types).
  EXPECT_FALSE(ops::Exp(g, ints).valid());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("not in the list of allowed values"));
}

TEST(MathKernels, ComparisonsAndLogic) {
  Graph g;
  Output x = ops::Const(g, F({1, 2, 3}, {3}));
  Output y = ops::Const(g, F({2, 2, 2}, {3}));
  auto b = [&](Output o) { return Values<bool>(RunOne(g, o)); };
  EXPECT_THAT(b(ops::Equal(g, x, y)), ElementsAre(false, true, false));
  EXPECT_THAT(b(ops::NotEqual(g, x, y)), ElementsAre(true, false, true));
  EXPECT_THAT(b(ops::Less(g, x, 2.0f)), ElementsAre(true, false, false));
  EXPECT_THAT(b(ops::LessEqual(g, x, y)), ElementsAre(true, true, false));
  EXPECT_THAT(b(ops::Greater(g, x, y)), ElementsAre(false, false, true));
  EXPECT_THAT(b(ops::GreaterEqual(g, x, y)), ElementsAre(false, true, true));
  Output p = ops::Less(g, x, 3.0f);
  Output q = ops::Greater(g, x, 1.0f);
  EXPECT_THAT(b(ops::LogicalAnd(g, p, q)), ElementsAre(false, true, false));
  EXPECT_THAT(b(ops::LogicalOr(g, p, q)), ElementsAre(true, true, true));
  EXPECT_THAT(b(ops::LogicalNot(g, p)), ElementsAre(false, false, true));
  Output li = ops::Const(g, L({1, 5}, {2}));
  EXPECT_THAT(b(ops::Equal(g, li, int64_t{5})), ElementsAre(false, true));
}

TEST(MathKernels, AddN) {
  Graph g;
  Output a = ops::Const(g, F({1, 2}, {2}));
  Output b = ops::Const(g, F({10, 20}, {2}));
  EXPECT_THAT(Values<float>(RunOne(g, ops::AddN(g, {a, b, a}))), ElementsAre(12, 24));
}

TEST(MathKernels, MatMulTransposes) {
  Graph g;
  Output a = ops::Const(g, F({1, 2, 3, 4, 5, 6}, {2, 3}));
  Output b = ops::Const(g, F({1, 0, 0, 1, 1, 1}, {3, 2}));
  Tensor ab = RunOne(g, ops::MatMul(g, a, b));
  EXPECT_EQ(ab.shape(), TensorShape({2, 2}));
  EXPECT_THAT(Values<float>(ab), ElementsAre(4, 5, 10, 11));
  // a^T (3x2) · a (2x3)
  Tensor ata = RunOne(g, ops::MatMul(g, a, a, true, false));
  EXPECT_EQ(ata.shape(), TensorShape({3, 3}));
  EXPECT_THAT(Values<float>(ata), ElementsAre(17, 22, 27, 22, 29, 36, 27, 36, 45));
  // a · a^T
  EXPECT_THAT(Values<float>(RunOne(g, ops::MatMul(g, a, a, false, true))),
              ElementsAre(14, 32, 32, 77));
  // b^T · a^T = (a b)^T
  EXPECT_THAT(Values<float>(RunOne(g, ops::MatMul(g, b, a, true, true))),
              ElementsAre(4, 10, 5, 11));
  Output ai = ops::Const(g, I({1, 2, 3, 4}, {2, 2}));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::MatMul(g, ai, ai))), ElementsAre(7, 10, 15, 22));
  Output ad = ops::Const(g, D({1, 2, 3, 4}, {2, 2}));
  EXPECT_THAT(Values<double>(RunOne(g, ops::MatMul(g, ad, ad, true))), ElementsAre(10, 14, 14, 20));
}

TEST(MathKernels, MatMulLargeMatchesNaive) {
  // Big enough to use the thread pool.
  const int m = 64, k = 100, n = 70;
  std::vector<float> a(m * k), b(k * n);
  for (int i = 0; i < m * k; ++i) a[i] = static_cast<float>((i * 7) % 13) - 6;
  for (int i = 0; i < k * n; ++i) b[i] = static_cast<float>((i * 5) % 11) - 5;
  Graph g;
  Tensor t = RunOne(g, ops::MatMul(g, ops::Const(g, F(a, {m, k})), ops::Const(g, F(b, {k, n}))));
  ASSERT_EQ(t.shape(), TensorShape({m, n}));
  for (int i = 0; i < m; i += 7) {
    for (int j = 0; j < n; j += 5) {
      float want = 0;
      for (int p = 0; p < k; ++p) want += a[i * k + p] * b[p * n + j];
      EXPECT_EQ(t.data<float>()[i * n + j], want) << i << "," << j;
    }
  }
}

TEST(MathKernels, MatMulSplitAcrossThreadsMatchesNaive) {
  // Products big enough to be split into row blocks (taller than wide) or column blocks
  // (wider), with every transpose combination; small integers keep float sums exact.
  struct Case {
    int64_t m, k, n;
    bool ta, tb;
  };
  for (const Case& c : {Case{512, 300, 384, false, false}, Case{512, 300, 384, true, true},
                        Case{96, 400, 1000, false, true}, Case{96, 400, 1000, true, false},
                        Case{33, 17, 5, false, false},
                        // A row vector (batch 1): the matrix-vector path, and past its size
                        // limit the general one.
                        Case{1, 300, 384, false, false}, Case{1, 300, 384, false, true},
                        Case{1, 300, 384, true, false}, Case{1, 4096, 1100, false, true}}) {
    SCOPED_TRACE(::testing::PrintToString(std::vector<int64_t>{c.m, c.k, c.n, c.ta, c.tb}));
    std::vector<float> a(c.m * c.k), b(c.k * c.n);
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>((i * 7) % 13) - 6;
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>((i * 5) % 11) - 5;
    // Stored transposed when the op transposes them.
    Tensor ta = F(a, c.ta ? TensorShape{c.k, c.m} : TensorShape{c.m, c.k});
    Tensor tb = F(b, c.tb ? TensorShape{c.n, c.k} : TensorShape{c.k, c.n});
    auto at = [&](int64_t i, int64_t p) { return c.ta ? a[p * c.m + i] : a[i * c.k + p]; };
    auto bt = [&](int64_t p, int64_t j) { return c.tb ? b[j * c.k + p] : b[p * c.n + j]; };
    Graph g;
    Output pa = ops::Placeholder(g, DataType::kFloat, PartialShape(), "a");
    Output pb = ops::Placeholder(g, DataType::kFloat, PartialShape(), "b");
    Output mm = ops::MatMul(g, pa, pb, c.ta, c.tb, "mm");
    SessionOptions so;
    so.intra_op_threads = 4;
    auto s = Session::Create(&g, so);
    ASSERT_TRUE(s.ok());
    auto r = (*s)->Run({{"a:0", ta}, {"b:0", tb}}, {mm.name()});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const Tensor& t = (*r)[0];
    ASSERT_EQ(t.shape(), TensorShape({c.m, c.n}));
    int64_t wrong = 0;
    for (int64_t i = 0; i < c.m; ++i) {
      for (int64_t j = 0; j < c.n; ++j) {
        float want = 0;
        for (int64_t p = 0; p < c.k; ++p) want += at(i, p) * bt(p, j);
        wrong += t.data<float>()[i * c.n + j] != want;
      }
    }
    EXPECT_EQ(wrong, 0);
  }
}

TEST(MathKernels, Reductions) {
  Graph g;
  Output x = ops::Const(g, F({1, 2, 3, 4, 5, 6}, {2, 3}));
  auto v = [&](Output o) { return Values<float>(RunOne(g, o)); };
  EXPECT_THAT(v(ops::Sum(g, x)), ElementsAre(21));
  EXPECT_THAT(v(ops::Sum(g, x, std::vector<int>{0})), ElementsAre(5, 7, 9));
  EXPECT_THAT(v(ops::Sum(g, x, std::vector<int>{1})), ElementsAre(6, 15));
  EXPECT_THAT(v(ops::Sum(g, x, std::vector<int>{-1})), ElementsAre(6, 15));
  EXPECT_THAT(v(ops::Mean(g, x, std::vector<int>{0})), ElementsAre(2.5f, 3.5f, 4.5f));
  EXPECT_THAT(v(ops::Mean(g, x)), ElementsAre(3.5f));
  EXPECT_THAT(v(ops::Max(g, x, std::vector<int>{1})), ElementsAre(3, 6));
  EXPECT_THAT(v(ops::Min(g, x, std::vector<int>{0})), ElementsAre(1, 2, 3));
  EXPECT_THAT(v(ops::Prod(g, x, std::vector<int>{1})), ElementsAre(6, 120));
  Tensor kept = RunOne(g, ops::Sum(g, x, std::vector<int>{1}, true));
  EXPECT_EQ(kept.shape(), TensorShape({2, 1}));
  Tensor all_kept = RunOne(g, ops::Sum(g, x, std::vector<int>{0, 1}, true));
  EXPECT_EQ(all_kept.shape(), TensorShape({1, 1}));
  // Non-contiguous axes of a rank-3 tensor: reduce dims 0 and 2 of [2,2,2].
  Output c = ops::Const(g, F({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2}));
  EXPECT_THAT(v(ops::Sum(g, c, std::vector<int>{0, 2})), ElementsAre(1 + 2 + 5 + 6, 3 + 4 + 7 + 8));
  // Axis as a tensor (int64) through the raw op.
  EXPECT_THAT(v(ops::Reduce(g, "Sum", x, ops::Const(g, L({0}, {1})))), ElementsAre(5, 7, 9));
  Output xi = ops::Const(g, I({1, 2, 3, 4}, {2, 2}));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::Mean(g, xi, std::vector<int>{1}))), ElementsAre(1, 3));
  EXPECT_EQ(RunStatus(g, ops::Sum(g, x, std::vector<int>{2})).code(), StatusCode::kInvalidArgument);
}

TEST(MathKernels, ArgMaxArgMin) {
  Graph g;
  Output x = ops::Const(g, F({1, 9, 3, 7, 5, 6}, {2, 3}));
  EXPECT_THAT(Values<int64_t>(RunOne(g, ops::ArgMax(g, x, 1))), ElementsAre(1, 0));
  EXPECT_THAT(Values<int64_t>(RunOne(g, ops::ArgMax(g, x, 0))), ElementsAre(1, 0, 1));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::ArgMin(g, x, 1, DataType::kInt32))),
              ElementsAre(0, 1));
  EXPECT_THAT(Values<int64_t>(RunOne(g, ops::ArgMin(g, x, -1))), ElementsAre(0, 1));
}

// ---- nn --------------------------------------------------------------------------------------

TEST(NnKernels, BiasAddAndActivations) {
  Graph g;
  Output x = ops::Const(g, F({-1, 0, 2, -7, 8, 3}, {2, 3}));
  Output b = ops::Const(g, F({1, 2, 3}, {3}));
  auto v = [&](Output o) { return Values<float>(RunOne(g, o)); };
  EXPECT_THAT(v(ops::BiasAdd(g, x, b)), ElementsAre(0, 2, 5, -6, 10, 6));
  EXPECT_THAT(v(ops::Relu(g, x)), ElementsAre(0, 0, 2, 0, 8, 3));
  EXPECT_THAT(v(ops::Relu6(g, x)), ElementsAre(0, 0, 2, 0, 6, 3));
  EXPECT_THAT(v(ops::Elu(g, x)), Pointwise(FloatNear(1e-6), {std::expm1(-1.0f), 0.0f, 2.0f,
                                                             std::expm1(-7.0f), 8.0f, 3.0f}));
  EXPECT_THAT(v(ops::Softplus(g, x)),
              Pointwise(FloatNear(1e-5),
                        {std::log1p(std::exp(-1.0f)), std::log(2.0f),
                         2 + std::log1p(std::exp(-2.0f)), std::log1p(std::exp(-7.0f)),
                         8 + std::log1p(std::exp(-8.0f)), 3 + std::log1p(std::exp(-3.0f))}));
  EXPECT_EQ(RunStatus(g, ops::BiasAdd(g, x, ops::Const(g, F({1, 2}, {2})))).code(),
            StatusCode::kInvalidArgument);
}

TEST(NnKernels, SoftmaxFamily) {
  Graph g;
  Output x = ops::Const(g, F({1, 2, 3, 1000, 1000, 1000}, {2, 3}));
  const float e1 = std::exp(1.0f), e2 = std::exp(2.0f), e3 = std::exp(3.0f), s = e1 + e2 + e3;
  EXPECT_THAT(Values<float>(RunOne(g, ops::Softmax(g, x))),
              Pointwise(FloatNear(1e-6), {e1 / s, e2 / s, e3 / s, 1 / 3.0f, 1 / 3.0f, 1 / 3.0f}));
  EXPECT_THAT(Values<float>(RunOne(g, ops::LogSoftmax(g, x))),
              Pointwise(FloatNear(1e-5), {1 - std::log(s), 2 - std::log(s), 3 - std::log(s),
                                          -std::log(3.0f), -std::log(3.0f), -std::log(3.0f)}));
  EXPECT_THAT(Values<float>(RunOne(g, ops::L2Loss(g, x))), ElementsAre((1 + 4 + 9 + 3e6f) / 2));
}

// Rows long enough for the vectorized float path, with a tail that is not a whole packet,
// large logits and -inf (a masked position): within a few ulp of a double reference computed
// from the same float differences x - max (whose rounding both TF and ckpt have).
TEST(NnKernels, SoftmaxLongRowsMatchDoubleReference) {
  for (int64_t c : {1, 7, 16, 37, 128, 131}) {
    std::vector<float> v(static_cast<size_t>(3 * c));
    for (size_t i = 0; i < v.size(); ++i) v[i] = 40.0f * std::sin(0.7f * static_cast<float>(i));
    if (c > 1) v[1] = -std::numeric_limits<float>::infinity();
    v.back() = 88.0f;
    Graph g;
    Output x = ops::Const(g, F(v, {3, c}));
    const std::vector<float> soft = Values<float>(RunOne(g, ops::Softmax(g, x)));
    const std::vector<float> logs = Values<float>(RunOne(g, ops::LogSoftmax(g, x)));
    for (int64_t r = 0; r < 3; ++r) {
      const float* row = v.data() + r * c;
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < c; ++j) mx = std::max(mx, row[j]);
      std::vector<double> diff(static_cast<size_t>(c));
      double sum = 0;
      for (int64_t j = 0; j < c; ++j) {
        diff[j] = static_cast<double>(row[j] - mx);
        sum += std::exp(diff[j]);
      }
      double total = 0;
      for (int64_t j = 0; j < c; ++j) {
        const double want = std::exp(diff[j]) / sum;
        const size_t k = static_cast<size_t>(r * c + j);
        // (Eigen's exp flushes results below float's normal range, 1.2e-38, to zero.)
        EXPECT_NEAR(soft[k], want, 6e-7 * want + 1.2e-38)
            << "c=" << c << " row " << r << " j " << j;
        const double want_log = diff[j] - std::log(sum);
        if (std::isinf(want_log)) {
          EXPECT_EQ(logs[k], -std::numeric_limits<float>::infinity());
        } else {
          EXPECT_NEAR(logs[k], want_log, 2e-6 * std::max(1.0, std::abs(want_log)));
        }
        total += soft[k];
      }
      EXPECT_NEAR(total, 1.0, 1e-5) << "c=" << c;
    }
  }
}

TEST(NnKernels, CrossEntropies) {
  Graph g;
  Output logits = ops::Const(g, F({1, 2, 3, 0, 0, 0}, {2, 3}));
  Output labels = ops::Const(g, F({0, 0, 1, 0.5f, 0.5f, 0}, {2, 3}));
  Output sparse = ops::Const(g, L({2, 0}, {2}));
  const float lse0 = std::log(std::exp(1.0f) + std::exp(2.0f) + std::exp(3.0f));
  const float lse1 = std::log(3.0f);
  Output dense = ops::SoftmaxCrossEntropyWithLogits(g, labels, logits);
  EXPECT_THAT(Values<float>(RunOne(g, dense)), Pointwise(FloatNear(1e-5), {lse0 - 3, lse1}));
  Output raw = ops::SoftmaxCrossEntropyWithLogitsOp(g, logits, labels);
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  auto r = (*s)->Run({}, {raw.name(), Output(raw.node, 1).name()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<float>((*r)[0]), Pointwise(FloatNear(1e-5), {lse0 - 3, lse1}));
  // backprop = softmax - labels
  EXPECT_NEAR((*r)[1].data<float>()[2], std::exp(3 - lse0) - 1, 1e-6);
  EXPECT_NEAR((*r)[1].data<float>()[3], 1 / 3.0f - 0.5f, 1e-6);
  Output sp = ops::SparseSoftmaxCrossEntropyWithLogits(g, sparse, logits);
  EXPECT_THAT(Values<float>(RunOne(g, sp)), Pointwise(FloatNear(1e-5), {lse0 - 3, lse1}));
  Output bad = ops::SparseSoftmaxCrossEntropyWithLogits(g, ops::Const(g, L({3, 0}, {2})), logits);
  Status st = RunStatus(g, bad);
  EXPECT_THAT(std::string(st.message()), HasSubstr("outside the valid range of [0, 3)"));
  // Sigmoid cross entropy (TF's composition): max(x,0) - x*z + log(1+exp(-|x|)).
  Output z = ops::Const(g, F({0, 1, 1}, {3}));
  Output lx = ops::Const(g, F({-2, 0.5f, 3}, {3}));
  std::vector<float> want;
  for (int i = 0; i < 3; ++i) {
    const float xv = std::vector<float>{-2, 0.5f, 3}[i], zv = std::vector<float>{0, 1, 1}[i];
    want.push_back(std::max(xv, 0.0f) - xv * zv + std::log1p(std::exp(-std::abs(xv))));
  }
  EXPECT_THAT(Values<float>(RunOne(g, ops::SigmoidCrossEntropyWithLogits(g, z, lx))),
              Pointwise(FloatNear(1e-6), want));
}

// ---- array -----------------------------------------------------------------------------------

TEST(ArrayKernels, ReshapeExpandSqueezeShape) {
  Graph g;
  Output x = ops::Const(g, F({1, 2, 3, 4, 5, 6}, {2, 3}));
  Tensor r = RunOne(g, ops::Reshape(g, x, ops::Const(g, I({3, -1}, {2}))));
  EXPECT_EQ(r.shape(), TensorShape({3, 2}));
  EXPECT_THAT(Values<float>(r), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_EQ(RunStatus(g, ops::Reshape(g, x, ops::Const(g, I({4, -1}, {2})))).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunOne(g, ops::ExpandDims(g, x, 0)).shape(), TensorShape({1, 2, 3}));
  EXPECT_EQ(RunOne(g, ops::ExpandDims(g, x, -1)).shape(), TensorShape({2, 3, 1}));
  Output e = ops::Reshape(g, x, ops::Const(g, I({1, 2, 1, 3}, {4})));
  EXPECT_EQ(RunOne(g, ops::Squeeze(g, e)).shape(), TensorShape({2, 3}));
  EXPECT_EQ(RunOne(g, ops::Squeeze(g, e, {2})).shape(), TensorShape({1, 2, 3}));
  EXPECT_EQ(RunStatus(g, ops::Squeeze(g, e, {1})).code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::Shape(g, x))), ElementsAre(2, 3));
  EXPECT_THAT(Values<int64_t>(RunOne(g, ops::Shape(g, x, DataType::kInt64))), ElementsAre(2, 3));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::Size(g, x))), ElementsAre(6));
  Output unknown = ops::Placeholder(g, DataType::kFloat, PartialShape(), "u");
  Output rank = ops::Rank(g, unknown);
  EXPECT_THAT(Values<int32_t>(RunOne(g, rank, {{"u", F({1, 2}, {1, 2})}})), ElementsAre(2));
}

TEST(ArrayKernels, FillZerosOnesTile) {
  Graph g;
  Tensor f = RunOne(g, ops::Fill(g, ops::Const(g, I({2, 2}, {2})), 1.5f));
  EXPECT_EQ(f.shape(), TensorShape({2, 2}));
  EXPECT_THAT(Values<float>(f), ElementsAre(1.5f, 1.5f, 1.5f, 1.5f));
  Output x = ops::Const(g, I({1, 2, 3}, {3}));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::ZerosLike(g, x))), ElementsAre(0, 0, 0));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::OnesLike(g, x))), ElementsAre(1, 1, 1));
  Tensor z = RunOne(g, ops::Zeros(g, TensorShape{2, 3}));
  EXPECT_EQ(z.shape(), TensorShape({2, 3}));
  EXPECT_THAT(Values<float>(z), ElementsAre(0, 0, 0, 0, 0, 0));
  Tensor big = RunOne(g, ops::Ones(g, TensorShape{40, 30}, DataType::kInt64));  // Fill path
  EXPECT_EQ(big.shape(), TensorShape({40, 30}));
  EXPECT_EQ(big.data<int64_t>()[1199], 1);
  Output m = ops::Const(g, F({1, 2, 3, 4}, {2, 2}));
  Tensor t = RunOne(g, ops::Tile(g, m, ops::Const(g, I({2, 3}, {2}))));
  EXPECT_EQ(t.shape(), TensorShape({4, 6}));
  EXPECT_THAT(Values<float>(t), ElementsAreArray({1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4,
                                                  1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}));
}

TEST(ArrayKernels, ConcatPackTranspose) {
  Graph g;
  Output a = ops::Const(g, F({1, 2, 3, 4}, {2, 2}));
  Output b = ops::Const(g, F({5, 6}, {1, 2}));
  Tensor c0 = RunOne(g, ops::Concat(g, {a, b}, 0));
  EXPECT_EQ(c0.shape(), TensorShape({3, 2}));
  EXPECT_THAT(Values<float>(c0), ElementsAre(1, 2, 3, 4, 5, 6));
  Tensor c1 = RunOne(g, ops::Concat(g, {a, a}, -1));
  EXPECT_THAT(Values<float>(c1), ElementsAre(1, 2, 1, 2, 3, 4, 3, 4));
  EXPECT_EQ(RunStatus(g, ops::Concat(g, {a, b}, 1)).code(), StatusCode::kInvalidArgument);
  Output v1 = ops::Const(g, F({1, 2}, {2}));
  Output v2 = ops::Const(g, F({3, 4}, {2}));
  Tensor p0 = RunOne(g, ops::Pack(g, {v1, v2}));
  EXPECT_EQ(p0.shape(), TensorShape({2, 2}));
  EXPECT_THAT(Values<float>(p0), ElementsAre(1, 2, 3, 4));
  Tensor p1 = RunOne(g, ops::Pack(g, {v1, v2}, 1));
  EXPECT_THAT(Values<float>(p1), ElementsAre(1, 3, 2, 4));
  Output m = ops::Const(g, F({1, 2, 3, 4, 5, 6}, {2, 3}));
  Tensor t = RunOne(g, ops::Transpose(g, m, ops::Const(g, I({1, 0}, {2}))));
  EXPECT_EQ(t.shape(), TensorShape({3, 2}));
  EXPECT_THAT(Values<float>(t), ElementsAre(1, 4, 2, 5, 3, 6));
  Output c3 = ops::Const(g, F({0, 1, 2, 3, 4, 5, 6, 7}, {2, 2, 2}));
  EXPECT_THAT(Values<float>(RunOne(g, ops::Transpose(g, c3, ops::Const(g, I({2, 0, 1}, {3}))))),
              ElementsAre(0, 2, 4, 6, 1, 3, 5, 7));
  EXPECT_EQ(RunStatus(g, ops::Transpose(g, m, ops::Const(g, I({0, 0}, {2})))).code(),
            StatusCode::kInvalidArgument);
}

TEST(ArrayKernels, SliceAndStridedSlice) {
  Graph g;
  Output m = ops::Const(g, F({1, 2, 3, 4, 5, 6, 7, 8, 9}, {3, 3}));
  Tensor s =
      RunOne(g, ops::Slice(g, m, ops::Const(g, I({1, 0}, {2})), ops::Const(g, I({-1, 2}, {2}))));
  EXPECT_EQ(s.shape(), TensorShape({2, 2}));
  EXPECT_THAT(Values<float>(s), ElementsAre(4, 5, 7, 8));
  EXPECT_EQ(
      RunStatus(g, ops::Slice(g, m, ops::Const(g, I({2, 0}, {2})), ops::Const(g, I({2, 1}, {2}))))
          .code(),
      StatusCode::kInvalidArgument);
  auto ss = [&](std::vector<int32_t> b, std::vector<int32_t> e, std::vector<int32_t> st,
                ops::StridedSliceMasks masks) {
    const int64_t n = static_cast<int64_t>(b.size());
    return RunOne(g, ops::StridedSlice(g, m, ops::Const(g, I(b, {n})), ops::Const(g, I(e, {n})),
                                       ops::Const(g, I(st, {n})), masks));
  };
  // m[:, 1:3]
  Tensor a = ss({0, 1}, {0, 3}, {1, 1}, {.begin_mask = 1, .end_mask = 1});
  EXPECT_EQ(a.shape(), TensorShape({3, 2}));
  EXPECT_THAT(Values<float>(a), ElementsAre(2, 3, 5, 6, 8, 9));
  // m[0] (shrink)
  Tensor b = ss({0}, {1}, {1}, {.shrink_axis_mask = 1});
  EXPECT_EQ(b.shape(), TensorShape({3}));
  EXPECT_THAT(Values<float>(b), ElementsAre(1, 2, 3));
  // m[::-1, ::2]
  Tensor c = ss({0, 0}, {0, 0}, {-1, 2}, {.begin_mask = 3, .end_mask = 3});
  EXPECT_EQ(c.shape(), TensorShape({3, 2}));
  EXPECT_THAT(Values<float>(c), ElementsAre(7, 9, 4, 6, 1, 3));
  // m[-1, tf.newaxis] -> shape [1, 3]
  Tensor d = ss({-1, 0}, {0, 0}, {1, 1}, {.new_axis_mask = 2, .shrink_axis_mask = 1});
  EXPECT_EQ(d.shape(), TensorShape({1, 3}));
  EXPECT_THAT(Values<float>(d), ElementsAre(7, 8, 9));
  // m[..., 1]
  Tensor e = ss({0, 1}, {0, 2}, {1, 1}, {.ellipsis_mask = 1, .shrink_axis_mask = 2});
  EXPECT_EQ(e.shape(), TensorShape({3}));
  EXPECT_THAT(Values<float>(e), ElementsAre(2, 5, 8));
}

TEST(ArrayKernels, GatherOneHotRange) {
  Graph g;
  Output p = ops::Const(g, F({1, 2, 3, 4, 5, 6}, {3, 2}));
  Tensor r = RunOne(g, ops::Gather(g, p, ops::Const(g, I({2, 0, 2}, {3}))));
  EXPECT_EQ(r.shape(), TensorShape({3, 2}));
  EXPECT_THAT(Values<float>(r), ElementsAre(5, 6, 1, 2, 5, 6));
  Tensor r1 = RunOne(g, ops::Gather(g, p, ops::Const(g, L({1}, {1})), 1));
  EXPECT_THAT(Values<float>(r1), ElementsAre(2, 4, 6));
  Output legacy =
      g.AddNode("Gather", "legacy_gather", std::vector<Output>{p, ops::Const(g, I({1}, {1}))})
          .output();
  EXPECT_THAT(Values<float>(RunOne(g, legacy)), ElementsAre(3, 4));
  Status bad = RunStatus(g, ops::Gather(g, p, ops::Const(g, I({3}, {1}))));
  EXPECT_THAT(std::string(bad.message()), HasSubstr("indices[0] = 3 is not in [0, 3)"));
  Tensor oh = RunOne(g, ops::OneHot(g, ops::Const(g, L({0, 2, -1}, {3})), 3));
  EXPECT_EQ(oh.shape(), TensorShape({3, 3}));
  EXPECT_THAT(Values<float>(oh), ElementsAre(1, 0, 0, 0, 0, 1, 0, 0, 0));
  Tensor oh0 = RunOne(g, ops::OneHot(g, ops::Const(g, I({1, 0}, {2})), 2, 5.0, -1.0, 0));
  EXPECT_THAT(Values<float>(oh0), ElementsAre(-1, 5, 5, -1));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::Range(g, 0, 10, 3))), ElementsAre(0, 3, 6, 9));
  EXPECT_THAT(Values<float>(RunOne(g, ops::Range(g, 1.0f, 0.0f, -0.5f))), ElementsAre(1.0f, 0.5f));
  EXPECT_EQ(RunStatus(g, ops::Range(g, 0, 10, 0)).code(), StatusCode::kInvalidArgument);
}

TEST(ArrayKernels, CastAndSelect) {
  Graph g;
  Output x = ops::Const(g, F({-1.7f, 0, 2.5f}, {3}));
  EXPECT_THAT(Values<int32_t>(RunOne(g, ops::Cast(g, x, DataType::kInt32))), ElementsAre(-1, 0, 2));
  EXPECT_THAT(Values<bool>(RunOne(g, ops::Cast(g, x, DataType::kBool))),
              ElementsAre(true, false, true));
  EXPECT_THAT(
      Values<double>(RunOne(g, ops::Cast(g, ops::Const(g, L({3}, {1})), DataType::kDouble))),
      ElementsAre(3.0));
  Output c = ops::Greater(g, x, 0.0f);
  EXPECT_THAT(Values<float>(RunOne(g, ops::Select(g, c, x, ops::Neg(g, x)))),
              ElementsAre(1.7f, 0, 2.5f));
  // Select with a vector condition picks rows.
  Output m = ops::Const(g, F({1, 2, 3, 4}, {2, 2}));
  Output rows = ops::Const(g, Tensor::FromVector(std::vector<bool>{false, true}, TensorShape{2}));
  EXPECT_THAT(Values<float>(RunOne(g, ops::Select(g, rows, m, ops::Neg(g, m)))),
              ElementsAre(-1, -2, 3, 4));
  // SelectV2 broadcasts all three.
  Output cond =
      ops::Const(g, Tensor::FromVector(std::vector<bool>{true, false}, TensorShape{1, 2}));
  Tensor sv = RunOne(g, ops::SelectV2(g, cond, m, 0.0f));
  EXPECT_THAT(Values<float>(sv), ElementsAre(1, 0, 3, 0));
}

TEST(ArrayKernels, IdentityFamilyAndPlaceholderWithDefault) {
  Graph g;
  Output x = ops::Const(g, F({1, 2}, {2}));
  EXPECT_THAT(Values<float>(RunOne(g, ops::Identity(g, x))), ElementsAre(1, 2));
  EXPECT_THAT(Values<float>(RunOne(g, ops::StopGradient(g, x))), ElementsAre(1, 2));
  EXPECT_THAT(Values<float>(RunOne(g, ops::PreventGradient(g, x, "no"))), ElementsAre(1, 2));
  auto outs = ops::IdentityN(g, {x, ops::Const(g, I({7}, {1}))});
  EXPECT_THAT(Values<int32_t>(RunOne(g, outs[1])), ElementsAre(7));
  Output p = ops::PlaceholderWithDefault(g, x, testutil::PS({-1}), "p");
  EXPECT_THAT(Values<float>(RunOne(g, p)), ElementsAre(1, 2));
  EXPECT_THAT(Values<float>(RunOne(g, p, {{"p", F({9}, {1})}})), ElementsAre(9));
}

// ---- io: kernels that read attrs when built ------------------------------------------------

TEST(IoKernels, StringJoinAndRegexFullMatchReadTheirAttrs) {
  Graph g;
  Output a = ops::Const(g, Tensor::StringScalar("a"), "a");
  Output b = ops::Const(g, Tensor::StringScalar("b"), "b");
  Operation join =
      g.AddNode("StringJoin", "join", std::vector<Output>{a, b}, {{"separator", AttrValue("-")}});
  Output paths =
      ops::Const(g, Tensor::FromStrings({"s3://bucket/x", "/tmp/x"}, TensorShape{2}), "paths");
  Operation match = g.AddNode("StaticRegexFullMatch", "match", std::vector<Output>{paths},
                              {{"pattern", AttrValue("^s3://.*")}});
  Operation bad = g.AddNode("StaticRegexFullMatch", "bad", std::vector<Output>{paths},
                            {{"pattern", AttrValue("(")}});
  ASSERT_TRUE(g.status().ok()) << g.status().ToString();
  EXPECT_EQ(RunOne(g, join.output()).strings()[0], "a-b");
  Tensor m = RunOne(g, match.output());
  ASSERT_EQ(m.num_elements(), 2);
  EXPECT_TRUE(m.data<bool>()[0]);
  EXPECT_FALSE(m.data<bool>()[1]);
  // A pattern RE2 rejects fails when the kernel is built, naming the node.
  Status s = RunStatus(g, bad.output());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("node bad"));
  EXPECT_THAT(s.message(), HasSubstr("invalid regex pattern '('"));
}

TEST(RandomKernels, ShapesRangesAndSeeds) {
  Graph g;
  Output n = ops::RandomNormal(g, TensorShape{1000}, 5.0, 2.0, DataType::kFloat, 1);
  Output u = ops::RandomUniform(g, TensorShape{1000}, -1.0, 3.0, DataType::kFloat, 2);
  Output t = ops::TruncatedNormal(g, TensorShape{1000}, 0.0, 1.0, DataType::kDouble, 3);
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  auto r = (*s)->Run({}, {n.name(), u.name(), t.name()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  double mean = 0;
  for (float v : Values<float>((*r)[0])) mean += v / 1000;
  EXPECT_NEAR(mean, 5.0, 0.3);
  for (float v : Values<float>((*r)[1])) {
    EXPECT_GE(v, -1.0f);
    EXPECT_LT(v, 3.0f);
  }
  for (double v : Values<double>((*r)[2])) EXPECT_LE(std::abs(v), 2.0);
  // Same seeds in a fresh session give the same values; the next run continues the stream.
  auto s2 = Session::Create(&g);
  auto r2 = (*s2)->Run({}, {n.name()});
  EXPECT_TRUE((*r2)[0].Equals((*r)[0]));
  auto r3 = (*s2)->Run({}, {n.name()});
  EXPECT_FALSE((*r3)[0].Equals((*r)[0]));
}

}  // namespace
}  // namespace ckpt
