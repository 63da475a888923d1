// The gradient registry covers every registered op explicitly, and Gradients() builds the
// node names TF builds for the seed model (the full node-by-node comparison with TensorFlow
// is tests/python/test_train_graphs.py).
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "ckpt/graph/gradients.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/optimizers.h"
#include "ckpt/graph/session.h"

namespace ckpt {
namespace {

TEST(GradientRegistry, EveryRegisteredOpHasAGradientDecision) {
  std::vector<std::string> missing;
  for (const std::string& op : RegisteredOps()) {
    if (LookupGradientRegistration(op) == GradientRegistration::kUnknown) missing.push_back(op);
  }
  std::string list;
  for (const auto& m : missing) list += m + " ";
  EXPECT_TRUE(missing.empty()) << "ops with neither a gradient nor a no-gradient registration: "
                               << list;
}

TEST(GradientRegistry, KnownDecisions) {
  EXPECT_EQ(LookupGradientRegistration("MatMul"), GradientRegistration::kFunction);
  EXPECT_EQ(LookupGradientRegistration("Shape"), GradientRegistration::kNoGradient);
  EXPECT_EQ(LookupGradientRegistration("Equal"), GradientRegistration::kNoGradient);
  EXPECT_EQ(LookupGradientRegistration("NoSuchOp"), GradientRegistration::kUnknown);
}

TEST(Gradients, UnconnectedInputIsInvalid) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{2}), "x");
  Output z = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{2}), "z");
  Output y = ops::Square(g, x);
  auto grads = Gradients(g, {y}, {x, z});
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  EXPECT_TRUE((*grads)[0].valid());
  EXPECT_FALSE((*grads)[1].valid());
}

TEST(Gradients, BadArguments) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{2}), "x");
  Output i = ops::Placeholder(g, DataType::kInt32, PartialShape(std::vector<int64_t>{2}), "i");
  Output y = ops::Square(g, x);
  auto r = Gradients(g, {Output("nope", 0)}, {x});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = Gradients(g, {y}, {x}, {x, x});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = Gradients(g, {i}, {i});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().ToString().find("int32"), std::string::npos) << r.status().ToString();
}

TEST(Gradients, SecondCallUsesNextScopeAndAggregatesWithAddN) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{2}), "x");
  Output y = ops::Mul(g, x, x);
  ASSERT_TRUE(Gradients(g, {y}, {x}).ok());
  auto second = Gradients(g, {y}, {x});
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(g.HasNode("gradients/grad_ys_0"));
  EXPECT_TRUE(g.HasNode("gradients_1/grad_ys_0"));
  EXPECT_EQ((*second)[0].node, "gradients_1/AddN");
  EXPECT_EQ(*g.OpType("gradients_1/AddN"), "AddN");
  // d(x*x)/dx = 2x.
  auto sess = Session::Create(&g);
  ASSERT_TRUE(sess.ok());
  auto out = (*sess)->Run({{"x:0", Tensor::FromVector<float>({1.5f, -2.f}, TensorShape{2})}},
                          {(*second)[0].name()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[0], 3.f);
  EXPECT_FLOAT_EQ((*out)[0].data<float>()[1], -4.f);
}

// The seed model's gradient nodes, as TF 2.21 names them (tf.compat.v1, ref variables).
TEST(Gradients, SeedModelNodeNamesMatchTensorFlow) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}), "input");
  Output y = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}));
  ops::Variable a = ops::MakeVariable(g, ops::RandomNormal(g, {1}, 10.0));
  Output out = ops::Add(g, x, a.value());
  // Sequenced as the seed does (the logits' ExpandDims first): node names follow creation
  // order, and the order of evaluating function arguments differs between compilers.
  Output logits = ops::ExpandDims(g, out, 0);
  Output labels = ops::ExpandDims(g, y, 0);
  Output loss = ops::SigmoidCrossEntropyWithLogits(g, labels, logits);
  GradientDescentOptimizer opt(0.05);
  auto train = opt.Minimize(g, loss);
  ASSERT_TRUE(train.ok()) << train.status().ToString();
  EXPECT_EQ(train->name, "GradientDescent");
  const std::vector<std::string> expected = {
      "gradients/Shape",
      "gradients/grad_ys_0/Const",
      "gradients/grad_ys_0",
      "gradients/logistic_loss_grad/tuple/group_deps",
      "gradients/logistic_loss_grad/tuple/control_dependency",
      "gradients/logistic_loss_grad/tuple/control_dependency_1",
      "gradients/logistic_loss/sub_grad/Neg",
      "gradients/logistic_loss/sub_grad/tuple/group_deps",
      "gradients/logistic_loss/Log1p_grad/add/x",
      "gradients/logistic_loss/Log1p_grad/add",
      "gradients/logistic_loss/Log1p_grad/Reciprocal",
      "gradients/logistic_loss/Log1p_grad/mul",
      "gradients/logistic_loss/Select_grad/zeros_like",
      "gradients/logistic_loss/mul_grad/Mul",
      "gradients/logistic_loss/mul_grad/Mul_1",
      "gradients/logistic_loss/Exp_grad/mul",
      "gradients/logistic_loss/Neg_grad/Neg",
      "gradients/AddN",
      "gradients/ExpandDims_grad/Shape",
      "gradients/ExpandDims_grad/Reshape",
      "gradients/Add_grad/tuple/control_dependency_1",
      "GradientDescent/learning_rate",
      "GradientDescent/update_Variable/ApplyGradientDescent",
      "GradientDescent"};
  for (const auto& n : expected) EXPECT_TRUE(g.HasNode(n)) << n;
  auto info = g.GetNode("GradientDescent/update_Variable/ApplyGradientDescent");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->inputs,
            (std::vector<std::string>{"Variable", "GradientDescent/learning_rate",
                                      "gradients/Add_grad/tuple/control_dependency_1"}));
  auto addn = g.GetNode("gradients/AddN");
  ASSERT_TRUE(addn.ok());
  EXPECT_EQ(addn->inputs.size(), 4u);
  EXPECT_EQ(g.GetCollection(kTrainOp), std::vector<std::string>{"GradientDescent"});
}

}  // namespace
}  // namespace ckpt
