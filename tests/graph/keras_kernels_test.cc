// Conv2D, MaxPool, AvgPool and FusedBatchNormV3 kernels through Graph + Session: values
// worked out by hand (the Python tests compare many more configurations with TensorFlow), and
// the errors bad attrs and shapes give.
#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/session.h"

namespace ckpt {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

Tensor F(std::vector<float> v, TensorShape s) { return Tensor::FromVector<float>(v, s); }

std::vector<float> Values(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
}

// Runs `op` on constant inputs with `attrs`; returns output `index` or the Run error.
StatusOr<Tensor> RunOp(std::string_view op, const std::vector<Tensor>& inputs, AttrMap attrs,
                       int index = 0) {
  Graph g;
  std::vector<Output> in;
  for (size_t i = 0; i < inputs.size(); ++i) {
    in.push_back(ops::Const(g, inputs[i], "in" + std::to_string(i)));
  }
  Operation node = g.AddNode(op, g.UniqueName(op), in, std::move(attrs));
  CKPT_RETURN_IF_ERROR(g.status());
  CKPT_ASSIGN_OR_RETURN(auto session, Session::Create(&g));
  CKPT_ASSIGN_OR_RETURN(auto outs, session->Run({}, {node.output(index).name()}));
  return outs[0];
}

AttrMap ConvAttrs(std::string padding, std::vector<int64_t> strides = {1, 1, 1, 1}) {
  return {{"strides", strides}, {"padding", std::move(padding)}};
}

TEST(KerasKernelsTest, Conv2DValidAndSame) {
  // 1x3x3x1 input 1..9, 2x2x1x1 filter of ones: each output sums a 2x2 window.
  Tensor x = F({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1});
  Tensor f = F({1, 1, 1, 1}, {2, 2, 1, 1});
  auto valid = RunOp("Conv2D", {x, f}, ConvAttrs("VALID"));
  ASSERT_TRUE(valid.ok()) << valid.status().ToString();
  EXPECT_EQ(valid->shape(), (TensorShape{1, 2, 2, 1}));
  EXPECT_THAT(Values(*valid), ElementsAreArray({12.f, 16.f, 24.f, 28.f}));
  // SAME with a 2x2 window pads one row/column after the input (the smaller half before).
  auto same = RunOp("Conv2D", {x, f}, ConvAttrs("SAME"));
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->shape(), (TensorShape{1, 3, 3, 1}));
  EXPECT_THAT(Values(*same),
              ElementsAreArray({12.f, 16.f, 9.f, 24.f, 28.f, 15.f, 15.f, 17.f, 9.f}));
  // Stride 2, SAME: ceil(3/2) = 2 outputs per dimension.
  auto strided = RunOp("Conv2D", {x, f}, ConvAttrs("SAME", {1, 2, 2, 1}));
  ASSERT_TRUE(strided.ok()) << strided.status().ToString();
  EXPECT_THAT(Values(*strided), ElementsAreArray({12.f, 9.f, 15.f, 9.f}));
}

TEST(KerasKernelsTest, Conv2DChannelsAndPointwise) {
  // 1x1x2x2 input, 1x1x2x3 filter: a per-pixel [2] x [2,3] product.
  Tensor x = F({1, 2, 3, 4}, {1, 1, 2, 2});
  Tensor f = F({1, 0, 2, 0, 1, 3}, {1, 1, 2, 3});
  auto out = RunOp("Conv2D", {x, f}, ConvAttrs("VALID"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->shape(), (TensorShape{1, 1, 2, 3}));
  EXPECT_THAT(Values(*out), ElementsAreArray({1.f, 2.f, 8.f, 3.f, 4.f, 18.f}));
}

TEST(KerasKernelsTest, Conv2DDilation) {
  // 1x5x1x1 input, 2x1 filter with dilation 2: x[i] + x[i+2].
  Tensor x = F({1, 2, 3, 4, 5}, {1, 5, 1, 1});
  Tensor f = F({1, 1}, {2, 1, 1, 1});
  AttrMap attrs = ConvAttrs("VALID");
  attrs["dilations"] = std::vector<int64_t>{1, 2, 1, 1};
  auto out = RunOp("Conv2D", {x, f}, attrs);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_THAT(Values(*out), ElementsAreArray({4.f, 6.f, 8.f}));
}

TEST(KerasKernelsTest, Conv2DErrors) {
  Tensor x = F(std::vector<float>(9, 1.f), {1, 3, 3, 1});
  auto depth =
      RunOp("Conv2D", {x, F(std::vector<float>(8, 1.f), {2, 2, 2, 1})}, ConvAttrs("VALID"));
  ASSERT_FALSE(depth.ok());
  EXPECT_THAT(depth.status().message(), HasSubstr("depth"));
  auto big = RunOp("Conv2D", {x, F(std::vector<float>(16, 1.f), {4, 4, 1, 1})}, ConvAttrs("VALID"));
  ASSERT_FALSE(big.ok());
  EXPECT_THAT(big.status().message(), HasSubstr("larger than the input"));
  auto rank = RunOp("Conv2D", {F({1, 2, 3}, {3}), F({1}, {1, 1, 1, 1})}, ConvAttrs("VALID"));
  ASSERT_FALSE(rank.ok());
  EXPECT_THAT(rank.status().message(), HasSubstr("4-dimensional"));
  auto batch_stride = RunOp("Conv2D", {x, F({1}, {1, 1, 1, 1})}, ConvAttrs("VALID", {2, 1, 1, 1}));
  ASSERT_FALSE(batch_stride.ok());
  EXPECT_THAT(batch_stride.status().message(), HasSubstr("strides"));
  AttrMap nchw = ConvAttrs("VALID");
  nchw["data_format"] = "NCHW";
  auto format = RunOp("Conv2D", {x, F({1}, {1, 1, 1, 1})}, nchw);
  ASSERT_FALSE(format.ok());
  EXPECT_THAT(format.status().message(), HasSubstr("NHWC"));
}

AttrMap PoolAttrs(std::vector<int64_t> ksize, std::vector<int64_t> strides, std::string pad) {
  return {{"ksize", ksize}, {"strides", strides}, {"padding", std::move(pad)}};
}

TEST(KerasKernelsTest, MaxPoolIgnoresPadding) {
  // All-negative input: SAME padding must not contribute zeros to the maximum.
  Tensor x = F({-1, -2, -3, -4, -5, -6, -7, -8, -9}, {1, 3, 3, 1});
  auto out = RunOp("MaxPool", {x}, PoolAttrs({1, 2, 2, 1}, {1, 2, 2, 1}, "SAME"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->shape(), (TensorShape{1, 2, 2, 1}));
  EXPECT_THAT(Values(*out), ElementsAreArray({-1.f, -3.f, -7.f, -9.f}));
}

TEST(KerasKernelsTest, AvgPoolDividesByInBoundsCount) {
  Tensor x = F({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1});
  auto same = RunOp("AvgPool", {x}, PoolAttrs({1, 2, 2, 1}, {1, 2, 2, 1}, "SAME"));
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  // Windows: {1,2,4,5} {3,6} {7,8} {9}.
  EXPECT_THAT(Values(*same), ElementsAreArray({3.f, 4.5f, 7.5f, 9.f}));
  auto valid = RunOp("AvgPool", {x}, PoolAttrs({1, 2, 2, 1}, {1, 1, 1, 1}, "VALID"));
  ASSERT_TRUE(valid.ok()) << valid.status().ToString();
  EXPECT_THAT(Values(*valid), ElementsAreArray({3.f, 4.f, 6.f, 7.f}));
}

TEST(KerasKernelsTest, PoolErrors) {
  Tensor x = F(std::vector<float>(9, 1.f), {1, 3, 3, 1});
  auto depth = RunOp("MaxPool", {x}, PoolAttrs({1, 2, 2, 2}, {1, 1, 1, 1}, "VALID"));
  ASSERT_FALSE(depth.ok());
  EXPECT_THAT(depth.status().message(), HasSubstr("ksize"));
  auto big = RunOp("AvgPool", {x}, PoolAttrs({1, 4, 1, 1}, {1, 1, 1, 1}, "VALID"));
  ASSERT_FALSE(big.ok());
  EXPECT_THAT(big.status().message(), HasSubstr("larger than the input"));
  auto rank = RunOp("MaxPool", {F({1, 2}, {1, 2})}, PoolAttrs({1, 1, 1, 1}, {1, 1, 1, 1}, "SAME"));
  ASSERT_FALSE(rank.ok());
  EXPECT_THAT(rank.status().message(), HasSubstr("4-dimensional"));
}

TEST(KerasKernelsTest, FusedBatchNormV3Inference) {
  // Two channels; y = (x - mean) / sqrt(var + eps) * scale + offset.
  Tensor x = F({1, 10, 3, 20}, {1, 1, 2, 2});
  Tensor scale = F({2, 0.5f}, {2});
  Tensor offset = F({1, -1}, {2});
  Tensor mean = F({1, 10}, {2});
  Tensor var = F({4, 100}, {2});
  AttrMap attrs{{"epsilon", 0.0f}, {"is_training", false}, {"U", DataType::kFloat}};
  auto y = RunOp("FusedBatchNormV3", {x, scale, offset, mean, var}, attrs);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_THAT(Values(*y), ElementsAreArray({1.f, -1.f, 3.f, -0.5f}));
  auto bm = RunOp("FusedBatchNormV3", {x, scale, offset, mean, var}, attrs, 1);
  ASSERT_TRUE(bm.ok()) << bm.status().ToString();
  EXPECT_THAT(Values(*bm), ElementsAreArray({1.f, 10.f}));
  auto r3 = RunOp("FusedBatchNormV3", {x, scale, offset, mean, var}, attrs, 5);
  ASSERT_TRUE(r3.ok()) << r3.status().ToString();
  EXPECT_EQ(r3->shape(), (TensorShape{0}));
}

TEST(KerasKernelsTest, FusedBatchNormV3Training) {
  // One channel, values 1..4: batch mean 2.5, biased variance 1.25, corrected 5/3.
  Tensor x = F({1, 2, 3, 4}, {1, 2, 2, 1});
  AttrMap attrs{{"epsilon", 0.0f}, {"is_training", true}, {"U", DataType::kFloat}};
  std::vector<Tensor> in{x, F({1}, {1}), F({0}, {1}), F({0}, {1}), F({1}, {1})};
  auto y = RunOp("FusedBatchNormV3", in, attrs);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  const float s = 1.f / std::sqrt(1.25f);
  EXPECT_THAT(Values(*y),
              testing::Pointwise(testing::FloatNear(1e-6f),
                                 std::vector<float>{-1.5f * s, -0.5f * s, 0.5f * s, 1.5f * s}));
  auto bv = RunOp("FusedBatchNormV3", in, attrs, 2);
  ASSERT_TRUE(bv.ok()) << bv.status().ToString();
  EXPECT_NEAR(bv->data<float>()[0], 5.f / 3.f, 1e-6);
  attrs["exponential_avg_factor"] = 0.5f;
  auto avg = RunOp("FusedBatchNormV3", in, attrs, 2);
  ASSERT_TRUE(avg.ok()) << avg.status().ToString();
  EXPECT_NEAR(avg->data<float>()[0], 0.5f * 1.f + 0.5f * 5.f / 3.f, 1e-6);
}

TEST(KerasKernelsTest, FusedBatchNormErrors) {
  Tensor x = F({1, 2, 3, 4}, {1, 1, 2, 2});
  AttrMap attrs{{"is_training", false}, {"U", DataType::kFloat}};
  auto wrong = RunOp("FusedBatchNormV3",
                     {x, F({1, 1, 1}, {3}), F({0, 0}, {2}), F({0, 0}, {2}), F({1, 1}, {2})}, attrs);
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("scale"));
  auto rank = RunOp(
      "FusedBatchNormV3",
      {F({1, 2}, {1, 2}), F({1, 1}, {2}), F({0, 0}, {2}), F({0, 0}, {2}), F({1, 1}, {2})}, attrs);
  ASSERT_FALSE(rank.ok());
  EXPECT_THAT(rank.status().message(), HasSubstr("4 or 5-dimensional"));
}

}  // namespace
}  // namespace ckpt
