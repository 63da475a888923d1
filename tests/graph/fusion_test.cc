// Element-wise chains fused by the session planner (graph/kernels/fused_elementwise.h): fewer
// steps, and the same bits as running every op as its own step.
#include <cstring>
#include <random>

#include "graph/test_util.h"

namespace ckpt {
namespace {

using testutil::PS;

Tensor Random(const std::vector<int64_t>& dims, uint32_t seed, float scale = 1) {
  Tensor t(DataType::kFloat, TensorShape::FromDims(dims).value());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

bool SameBits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.TotalBytes()) == 0;
}

struct Runs {
  int fused_steps = 0, unfused_steps = 0;
  std::vector<Tensor> fused, unfused;
  Status fused_status, unfused_status;
};

// Runs the graph with and without fusion.
Runs RunBoth(const Graph& g, const Session::FeedList& feeds,
             const std::vector<std::string>& fetches) {
  Runs r;
  for (bool fuse : {true, false}) {
    SessionOptions o;
    o.fuse_elementwise = fuse;
    auto s = Session::Create(&g, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return r;
    auto steps = (*s)->NumPlannedSteps(feeds, fetches);
    EXPECT_TRUE(steps.ok()) << steps.status().ToString();
    auto out = (*s)->Run(feeds, fetches);
    (fuse ? r.fused_steps : r.unfused_steps) = steps.ok() ? *steps : -1;
    (fuse ? r.fused_status : r.unfused_status) = out.status();
    if (out.ok()) (fuse ? r.fused : r.unfused) = std::move(out).value();
  }
  return r;
}

// Keras's inference batch norm after a convolution, then its activation: conv * scale +
// offset, Relu6. Three steps become one, bit for bit.
TEST(Fusion, BatchNormAndActivationAfterAConvolutionAreOneStep) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PS({2, 9, 9, 3}), "x");
  Output scale = ops::Placeholder(g, DataType::kFloat, PS({8}), "scale");
  Output offset = ops::Placeholder(g, DataType::kFloat, PS({8}), "offset");
  AttrMap attrs;
  attrs["strides"] = std::vector<int64_t>{1, 1, 1, 1};
  attrs["padding"] = std::string("SAME");
  Output f = ops::Const(g, Random({3, 3, 3, 8}, 1), "f");
  Output conv = g.AddNode("Conv2D", "conv", std::vector<Output>{x, f}, attrs).output();
  Output y = ops::Relu6(g, ops::Add(g, ops::Mul(g, conv, scale, "bn/mul"), offset, "bn/add"));
  CKPT_ASSERT_OK(g.status());
  const Session::FeedList feeds = {{"x:0", Random({2, 9, 9, 3}, 2)},
                                   {"scale:0", Random({8}, 3, 4)},
                                   {"offset:0", Random({8}, 4)}};
  Runs r = RunBoth(g, feeds, {y.name()});
  CKPT_ASSERT_OK(r.fused_status);
  CKPT_ASSERT_OK(r.unfused_status);
  EXPECT_EQ(r.unfused_steps, 4);  // conv, mul, add, relu6
  EXPECT_EQ(r.fused_steps, 2);
  ASSERT_EQ(r.fused.size(), 1u);
  EXPECT_TRUE(SameBits(r.fused[0], r.unfused[0]));
  // The values reach both ends of Relu6.
  int zeros = 0, sixes = 0;
  for (int64_t i = 0; i < r.fused[0].num_elements(); ++i) {
    zeros += r.fused[0].data<float>()[i] == 0.0f;
    sixes += r.fused[0].data<float>()[i] == 6.0f;
  }
  EXPECT_GT(zeros, 0);
  EXPECT_GT(sixes, 0);
}

// Every op kind, with the chained value on either side of Sub and Mul, and scalar operands.
TEST(Fusion, EveryOpKindMatchesItsOwnKernel) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PS({4, 6, 16}), "x");
  Output b = ops::Placeholder(g, DataType::kFloat, PS({16}), "b");
  Output v = ops::Placeholder(g, DataType::kFloat, PS({1, 1, 16}), "v");
  Output k = ops::Placeholder(g, DataType::kFloat, PS({}), "k");
  Output t = ops::BiasAdd(g, ops::Neg(g, x), b);
  t = ops::Sub(g, t, v, "sub");
  t = ops::Sub(g, k, t, "rsub");
  t = ops::Mul(g, k, t, "mul");
  t = ops::Add(g, t, b, "add");
  Output y = ops::Relu(g, t);
  CKPT_ASSERT_OK(g.status());
  const Session::FeedList feeds = {{"x:0", Random({4, 6, 16}, 5)},
                                   {"b:0", Random({16}, 6)},
                                   {"v:0", Random({1, 1, 16}, 7)},
                                   {"k:0", Tensor::Scalar<float>(-1.7f)}};
  Runs r = RunBoth(g, feeds, {y.name()});
  CKPT_ASSERT_OK(r.fused_status);
  CKPT_ASSERT_OK(r.unfused_status);
  EXPECT_EQ(r.unfused_steps - r.fused_steps, 5);  // six ops, one step
  EXPECT_TRUE(SameBits(r.fused[0], r.unfused[0]));
}

// A ResNet block's end, conv + bias, batch norm, the shortcut added (on either side), Relu,
// and a layer norm's (x - mean) * inv_std * gamma + beta with per-row mean and inv_std: each
// one step, bit for bit.
TEST(Fusion, ResidualAddsAndPerRowOperandsAreOneStep) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PS({2, 5, 5, 4}), "x");
  Output shortcut = ops::Placeholder(g, DataType::kFloat, PS({2, 5, 5, 6}), "shortcut");
  Output c6 = ops::Placeholder(g, DataType::kFloat, PS({6}), "c6");
  AttrMap attrs;
  attrs["strides"] = std::vector<int64_t>{1, 1, 1, 1};
  attrs["padding"] = std::string("SAME");
  Output f = ops::Const(g, Random({1, 1, 4, 6}, 20), "f");
  Output conv = g.AddNode("Conv2D", "conv", std::vector<Output>{x, f}, attrs).output();
  Output bn = ops::Add(g, ops::Mul(g, ops::BiasAdd(g, conv, c6), c6, "bn/mul"), c6, "bn/add");
  Output block = ops::Relu(g, ops::Add(g, bn, shortcut, "residual"));
  Output block2 = ops::Relu(g, ops::Add(g, shortcut, ops::Neg(g, shortcut), "residual2"));

  Output h = ops::Placeholder(g, DataType::kFloat, PS({3, 7, 16}), "h");
  Output mean = ops::Placeholder(g, DataType::kFloat, PS({3, 7, 1}), "mean");
  Output inv = ops::Placeholder(g, DataType::kFloat, PS({3, 7, 1}), "inv");
  Output gamma = ops::Placeholder(g, DataType::kFloat, PS({16}), "gamma");
  Output norm =
      ops::Add(g, ops::Mul(g, ops::Mul(g, ops::Sub(g, ops::Neg(g, h), mean, "ln/sub"), inv), gamma),
               gamma, "ln/add");
  CKPT_ASSERT_OK(g.status());
  const Session::FeedList feeds = {
      {"x:0", Random({2, 5, 5, 4}, 21)}, {"shortcut:0", Random({2, 5, 5, 6}, 22)},
      {"c6:0", Random({6}, 23)},         {"h:0", Random({3, 7, 16}, 24)},
      {"mean:0", Random({3, 7, 1}, 25)}, {"inv:0", Random({3, 7, 1}, 26, 3)},
      {"gamma:0", Random({16}, 27)}};
  Runs r = RunBoth(g, feeds, {block.name(), block2.name(), norm.name()});
  CKPT_ASSERT_OK(r.fused_status);
  CKPT_ASSERT_OK(r.unfused_status);
  // Unfused: conv, bias, mul, add, residual, relu; neg, residual2, relu; the layer norm's
  // neg, sub, mul, mul, add: 14. Fused: conv and its chain, the Neg and its chain (the
  // shortcut is residual2's other operand), the Neg and the norm's chain: 6.
  EXPECT_EQ(r.unfused_steps, 14);
  EXPECT_EQ(r.fused_steps, 6);
  ASSERT_EQ(r.fused.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(SameBits(r.fused[i], r.unfused[i])) << i;
}

// A second operand that broadcasts some other way runs the chain op by op (same result), and
// an op's own error still names it.
TEST(Fusion, OtherOperandsRunOpByOpAndKeepTheirErrors) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PS({2, 3, 8}), "x");
  Output full = ops::Placeholder(g, DataType::kFloat, PS({3, 8}), "full");
  Output bias = ops::Placeholder(g, DataType::kFloat, PS({-1}), "bias");
  Output y = ops::Relu(g, ops::Mul(g, ops::Mul(g, ops::Neg(g, x), full, "m1"), full, "m2"));
  Output z =
      ops::Relu(g, ops::BiasAdd(g, ops::Mul(g, ops::Neg(g, x), full, "m3"), bias, "bad_bias"));
  CKPT_ASSERT_OK(g.status());
  Session::FeedList feeds = {{"x:0", Random({2, 3, 8}, 8)}, {"full:0", Random({3, 8}, 9)}};
  Runs r = RunBoth(g, feeds, {y.name()});
  CKPT_ASSERT_OK(r.fused_status);
  EXPECT_EQ(r.unfused_steps - r.fused_steps, 2);
  EXPECT_TRUE(SameBits(r.fused[0], r.unfused[0]));

  feeds.emplace_back("bias:0", Random({5}, 10));  // 5 values for 8 channels
  r = RunBoth(g, feeds, {z.name()});
  EXPECT_TRUE(IsInvalidArgument(r.fused_status)) << r.fused_status.ToString();
  EXPECT_NE(r.fused_status.message().find("bad_bias"), std::string::npos)
      << r.fused_status.ToString();
  EXPECT_EQ(r.fused_status.code(), r.unfused_status.code());
}

// A value something else reads (a fetch, a second consumer) ends the chain there.
TEST(Fusion, ValuesReadElsewhereAreNotFusedAway) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PS({2, 4}), "x");
  Output c = ops::Placeholder(g, DataType::kFloat, PS({4}), "c");
  Output m = ops::Mul(g, ops::Neg(g, x), c, "m");  // the chain starts at a step's output
  Output a = ops::Add(g, m, c, "a");
  Output y = ops::Relu6(g, a, "y");
  Output other = ops::Sub(g, a, c, "other");  // a second reader of `a`
  CKPT_ASSERT_OK(g.status());
  const Session::FeedList feeds = {{"x:0", Random({2, 4}, 11, 8)}, {"c:0", Random({4}, 12, 3)}};
  // m -> a fuses after the Neg (a has two readers, so the chain stops there); y and other
  // stay steps.
  Runs r = RunBoth(g, feeds, {y.name(), other.name(), m.name()});
  CKPT_ASSERT_OK(r.fused_status);
  EXPECT_EQ(r.fused_steps, r.unfused_steps);  // m is fetched: nothing to fuse
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(SameBits(r.fused[i], r.unfused[i])) << i;
  r = RunBoth(g, feeds, {y.name(), other.name()});
  CKPT_ASSERT_OK(r.fused_status);
  EXPECT_EQ(r.unfused_steps - r.fused_steps, 1);  // m + a: one step
  for (size_t i = 0; i < 2; ++i) EXPECT_TRUE(SameBits(r.fused[i], r.unfused[i])) << i;
}

// Swish as tf.nn.silu writes it, x * Sigmoid(x), and as a Keras layer does inside
// tf.custom_gradient: Mul(beta, x), Sigmoid of that, Mul(x, sigmoid), the results passed on
// through an IdentityN. After a batch norm, each is one step with it. 19 channels: rows that
// are not a whole number of SIMD packets (and values below -9, Sigmoid's exp branch) must
// still give the same bits as the Sigmoid kernel over the whole tensor.
TEST(Fusion, SwishAndKerasScaledSwishAreOneStepBitExactly) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PS({3, 5, 19}), "x");
  Output scale = ops::Placeholder(g, DataType::kFloat, PS({19}), "scale");
  Output beta = ops::Placeholder(g, DataType::kFloat, PS({-1, -1, -1}), "beta");
  Output h = ops::Add(g, ops::Mul(g, ops::Neg(g, x), scale, "bn/mul"), scale, "bn/add");
  Output silu = ops::Mul(g, h, ops::Sigmoid(g, h, "silu/Sigmoid"), "silu/mul");
  Output h2 = ops::Mul(g, ops::Neg(g, silu), scale, "bn2/mul");
  Output s2 = ops::Sigmoid(g, ops::Mul(g, beta, h2, "act/mul"), "act/Sigmoid");
  Output act = ops::Mul(g, h2, s2, "act/mul_1");
  std::vector<Output> passed = ops::IdentityN(g, {act, h2, beta}, "act/IdentityN");
  Output y = ops::Relu(g, passed[0], "y");
  CKPT_ASSERT_OK(g.status());
  Tensor xv = Random({3, 5, 19}, 13, 12);
  xv.data<float>()[7] = -30.0f;
  xv.data<float>()[18] = 40.0f;
  Tensor one_beta(DataType::kFloat, TensorShape({1, 1, 1}));
  one_beta.data<float>()[0] = 1.25f;
  const Session::FeedList feeds = {
      {"x:0", xv}, {"scale:0", Random({19}, 14, 2)}, {"beta:0", one_beta}};
  Runs r = RunBoth(g, feeds, {y.name()});
  CKPT_ASSERT_OK(r.fused_status);
  CKPT_ASSERT_OK(r.unfused_status);
  // Unfused: neg, bn/mul, bn/add, sigmoid, mul, neg, bn2/mul, act/mul, sigmoid, mul_1, relu
  // (the IdentityN is elided either way); fused: neg, then one chain up to silu/mul, neg, then
  // one chain from bn2/mul to y.
  EXPECT_EQ(r.unfused_steps, 11);
  EXPECT_EQ(r.fused_steps, 4);
  ASSERT_EQ(r.fused.size(), 1u);
  EXPECT_TRUE(SameBits(r.fused[0], r.unfused[0]));
  int positive = 0;
  for (int64_t i = 0; i < r.fused[0].num_elements(); ++i)
    positive += r.fused[0].data<float>()[i] > 0;
  EXPECT_GT(positive, 10);

  // The elided IdentityN's other outputs are the values it was given.
  r = RunBoth(g, feeds, {passed[2].name(), passed[0].name()});
  CKPT_ASSERT_OK(r.fused_status);
  ASSERT_EQ(r.fused.size(), 2u);
  EXPECT_TRUE(SameBits(r.fused[0], one_beta));
  EXPECT_TRUE(SameBits(r.fused[1], r.unfused[1]));

  // The same graph run op by op inside the fused step (a beta that is not per-channel) gives
  // the same bits too.
  Session::FeedList odd = feeds;
  odd[2].second = Random({3, 5, 19}, 15);
  r = RunBoth(g, odd, {y.name()});
  CKPT_ASSERT_OK(r.fused_status);
  EXPECT_EQ(r.fused_steps, 4);
  EXPECT_TRUE(SameBits(r.fused[0], r.unfused[0]));
}

// A Sigmoid whose value is also read elsewhere, or a swish's input read a third time, is not
// fused away.
TEST(Fusion, SwishWithOtherReadersStaysApart) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PS({2, 16}), "x");
  Output h = ops::Neg(g, x, "h");
  Output s = ops::Sigmoid(g, h, "s");
  Output y = ops::Mul(g, h, s, "y");
  Output other = ops::Add(g, s, x, "other");  // s read twice
  CKPT_ASSERT_OK(g.status());
  const Session::FeedList feeds = {{"x:0", Random({2, 16}, 16, 4)}};
  Runs r = RunBoth(g, feeds, {y.name(), other.name()});
  CKPT_ASSERT_OK(r.fused_status);
  EXPECT_EQ(r.fused_steps, r.unfused_steps);
  for (size_t i = 0; i < 2; ++i) EXPECT_TRUE(SameBits(r.fused[i], r.unfused[i])) << i;
  r = RunBoth(g, feeds, {y.name(), h.name()});  // h fetched
  CKPT_ASSERT_OK(r.fused_status);
  EXPECT_EQ(r.fused_steps, r.unfused_steps);
  r = RunBoth(g, feeds, {y.name()});
  CKPT_ASSERT_OK(r.fused_status);
  EXPECT_EQ(r.unfused_steps - r.fused_steps, 1);  // sigmoid + mul: one step
  EXPECT_TRUE(SameBits(r.fused[0], r.unfused[0]));
}

}  // namespace
}  // namespace ckpt
