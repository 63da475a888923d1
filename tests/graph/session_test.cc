// Session: pruning, feeds and their checks, errors, variables (ref and resource), and the
// saver-facing variable API.
#include "ckpt/graph/session.h"

#include "graph/test_util.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::F;
using testutil::Values;

TEST(Session, MinimalLinearModel) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, testutil::PS({-1, 2}), "x");
  ops::Variable w = ops::MakeVariable(g, F({1, 2, 3, 4}, {2, 2}), {.name = "W"});
  ops::Variable b = ops::MakeVariable(g, F({10, 20}, {2}), {.name = "b"});
  Output y = ops::Add(g, ops::MatMul(g, x, w.value()), b.value(), "y");
  Operation init = ops::GlobalVariablesInitializer(g);
  CKPT_ASSERT_OK(g.status());
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  CKPT_ASSERT_OK((*s)->Run({}, {}, {init.name}).status());
  auto r = (*s)->Run({{"x:0", F({1, 1, 2, 0}, {2, 2})}}, {y.name()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // [1,1]·W = [4,6] + b ; [2,0]·W = [2,4] + b
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(14, 26, 12, 24));
  EXPECT_EQ((*r)[0].shape(), TensorShape({2, 2}));
}

TEST(Session, RunsOnlyTheNeededSubgraph) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(), "x");
  Output a = ops::Const(g, Tensor::Scalar<float>(2), "a");
  Output needs_feed = ops::Mul(g, x, a, "needs_feed");
  Output independent = ops::Add(g, a, a, "independent");
  (void)needs_feed;
  // "independent" does not depend on x, so x need not be fed.
  Tensor t = testutil::RunOne(g, independent);
  EXPECT_EQ(t.data<float>()[0], 4.0f);
  // Fetching needs_feed without a feed fails with TF's message.
  Status st = testutil::RunStatus(g, needs_feed);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("you must feed a value for placeholder tensor 'x' with dtype float"));
}

TEST(Session, FeedingAnyTensorCutsItsInputs) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(), "x");
  Output sq = ops::Square(g, x, "sq");
  Output out = ops::Add(g, sq, 1.0f, "out");
  // Feeding sq:0 means x is not needed.
  Tensor t = testutil::RunOne(g, out, {{"sq:0", Tensor::Scalar<float>(5)}});
  EXPECT_EQ(t.data<float>()[0], 6.0f);
  // Feeding the fetched tensor returns it.
  Tensor t2 = testutil::RunOne(g, sq, {{"sq", Tensor::Scalar<float>(7)}});
  EXPECT_EQ(t2.data<float>()[0], 7.0f);
}

TEST(Session, ControlDependenciesRunFirst) {
  Graph g;
  ops::Variable v = ops::MakeVariable(g, Tensor::Scalar<float>(1), {.name = "v"});
  Output add = ops::AssignAdd(g, v.variable, 10.0f, false, "inc");
  Output read;
  {
    Graph::ControlDependencies deps(g, {Operation(add.node)});
    read = ops::Identity(g, v.variable, "read_after");
  }
  Operation init = ops::GlobalVariablesInitializer(g);
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  CKPT_ASSERT_OK((*s)->Run({}, {}, {init.name}).status());
  auto r = (*s)->Run({}, {read.name()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].data<float>()[0], 11.0f);
  r = (*s)->Run({}, {read.name()});
  EXPECT_EQ((*r)[0].data<float>()[0], 21.0f);
}

TEST(Session, FeedChecks) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, testutil::PS({-1, 3}), "x");
  Output y = ops::Neg(g, x);
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  auto bad_dtype = (*s)->Run({{"x:0", testutil::I({1, 2, 3}, {1, 3})}}, {y.name()});
  EXPECT_EQ(bad_dtype.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_dtype.status().message()), HasSubstr("int32"));
  auto bad_shape = (*s)->Run({{"x:0", F({1, 2}, {1, 2})}}, {y.name()});
  EXPECT_EQ(bad_shape.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_shape.status().message()), HasSubstr("[?,3]"));
  auto ok = (*s)->Run({{"x:0", F({1, 2, 3, 4, 5, 6}, {2, 3})}}, {y.name()});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_THAT(Values<float>((*ok)[0]), ElementsAre(-1, -2, -3, -4, -5, -6));
  EXPECT_EQ((*s)->Run({{"nope:0", F({1}, {1})}}, {y.name()}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ((*s)->Run({{"x:1", F({1}, {1})}}, {y.name()}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*s)->Run({}, {"ghost:0"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*s)->Run({}, {}, {"ghost"}).status().code(), StatusCode::kNotFound);
  auto twice = (*s)->Run({{"x:0", F({1, 2, 3}, {1, 3})}, {"x", F({1, 2, 3}, {1, 3})}}, {y.name()});
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument);
}

TEST(Session, UninitializedVariableError) {
  Graph g;
  ops::Variable w = ops::MakeVariable(g, F({1, 2}, {2}), {.name = "W"});
  Output y = ops::Mul(g, w.value(), 2.0f);
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  auto r = (*s)->Run({}, {y.name()});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("attempting to use uninitialized value W"));
  EXPECT_EQ((*s)->GetVariable("W").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(*(*s)->IsVariableInitialized("W"));
  CKPT_ASSERT_OK((*s)->Run({}, {}, {w.initializer.name}).status());
  EXPECT_TRUE(*(*s)->IsVariableInitialized("W"));
  r = (*s)->Run({}, {y.name()});
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(2, 4));
}

TEST(Session, VariableAccessForSavers) {
  Graph g;
  ops::Variable w = ops::MakeVariable(g, F({1, 2}, {2}), {.name = "W"});
  ops::Variable r =
      ops::MakeVariable(g, Tensor::Scalar<double>(3), {.name = "R", .use_resource = true});
  Output sum = ops::Sum(g, w.value(), std::vector<int>{0});
  Output rv = ops::ReadValue(g, r);
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  auto vars = (*s)->ListVariables();
  ASSERT_EQ(vars.size(), 2u);
  EXPECT_EQ(vars[0].name, "W");
  EXPECT_EQ(vars[0].op, "VariableV2");
  EXPECT_EQ(vars[0].shape, testutil::PS({2}));
  EXPECT_FALSE(vars[0].initialized);
  EXPECT_EQ(vars[1].name, "R");
  EXPECT_EQ(vars[1].op, "VarHandleOp");
  EXPECT_EQ(vars[1].dtype, DataType::kDouble);

  CKPT_ASSERT_OK((*s)->SetVariable("W", F({5, 6}, {2})));
  CKPT_ASSERT_OK((*s)->SetVariable("R:0", Tensor::Scalar<double>(9)));
  auto out = (*s)->Run({}, {sum.name(), rv.name()});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].data<float>()[0], 11.0f);
  EXPECT_EQ((*out)[1].data<double>()[0], 9.0);
  auto got = (*s)->GetVariable("W");
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(Values<float>(*got), ElementsAre(5, 6));
  // Wrong dtype / shape / unknown names are rejected.
  EXPECT_EQ((*s)->SetVariable("W", testutil::D({1, 2}, {2})).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*s)->SetVariable("W", F({1, 2, 3}, {3})).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*s)->SetVariable("nope", F({1}, {1})).code(), StatusCode::kNotFound);
  EXPECT_EQ((*s)->GetVariable(sum.node).status().code(), StatusCode::kNotFound);
  // Running the initializers overwrites what was set.
  Operation init = ops::GlobalVariablesInitializer(g);
  CKPT_ASSERT_OK((*s)->Run({}, {}, {init.name}).status());  // graph grew after Create
  EXPECT_THAT(Values<float>(*(*s)->GetVariable("W")), ElementsAre(1, 2));
  EXPECT_EQ((*s)->GetVariable("R")->data<double>()[0], 3.0);
}

TEST(Session, ResourceVariableOps) {
  Graph g;
  Output h = ops::VarHandleOp(g, DataType::kFloat, TensorShape{2}, "", "v", "v");
  Output init_flag = ops::VarIsInitializedOp(g, h);
  Operation assign = ops::AssignVariableOp(g, h, F({1, 2}, {2}));
  Operation add = ops::AssignAddVariableOp(g, h, F({10, 10}, {2}));
  Operation sub = ops::AssignSubVariableOp(g, h, F({1, 1}, {2}));
  Output read = ops::ReadVariableOp(g, h, DataType::kFloat);
  CKPT_ASSERT_OK(g.status());
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  auto r = (*s)->Run({}, {init_flag.name()});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)[0].data<bool>()[0]);
  auto bad = (*s)->Run({}, {read.name()});
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
  CKPT_ASSERT_OK((*s)->Run({}, {}, {assign.name}).status());
  CKPT_ASSERT_OK((*s)->Run({}, {}, {add.name}).status());
  CKPT_ASSERT_OK((*s)->Run({}, {}, {sub.name}).status());
  r = (*s)->Run({}, {read.name(), init_flag.name()});
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(10, 11));
  EXPECT_TRUE((*r)[1].data<bool>()[0]);
  // Handles pass through Identity (as in graphs TF writes for functions and SavedModels).
  Output h2 = ops::Identity(g, h, "handle_copy");
  Output read2 = ops::ReadVariableOp(g, h2, DataType::kFloat);
  r = (*s)->Run({}, {read2.name()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(10, 11));
  // Fetching the handle itself is not supported.
  EXPECT_EQ((*s)->Run({}, {h.name()}).status().code(), StatusCode::kUnimplemented);
}

TEST(Session, RefAssignChecksShape) {
  Graph g;
  ops::Variable v = ops::MakeVariable(g, F({1, 2}, {2}), {.name = "v"});
  Output bad = ops::Assign(g, v.variable, F({1, 2, 3}, {3}));
  Output loose = ops::Assign(g, v.variable, F({1, 2, 3}, {3}), /*validate_shape=*/false);
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  CKPT_ASSERT_OK((*s)->Run({}, {}, {v.initializer.name}).status());
  auto r = (*s)->Run({}, {}, {bad.node});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("node Assign"));
  CKPT_ASSERT_OK((*s)->Run({}, {}, {loose.node}).status());
  EXPECT_EQ((*s)->GetVariable("v")->shape(), TensorShape({3}));
}

TEST(Session, KernelErrorsNameTheNode) {
  Graph g;
  Output a = ops::Placeholder(g, DataType::kFloat, PartialShape(), "a");
  Output b = ops::Placeholder(g, DataType::kFloat, PartialShape(), "b");
  Output m = ops::MatMul(g, a, b, false, false, "mm");
  Status st = testutil::RunStatus(g, m, {{"a", F({1, 2, 3}, {1, 3})}, {"b", F({1, 2}, {2, 1})}});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()), HasSubstr("node mm (MatMul)"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("size-incompatible"));
}

TEST(Session, RepeatedRunsReusePlans) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, testutil::PS({-1}), "x");
  Output y = ops::Mul(g, x, x);
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  for (int i = 1; i <= 3; ++i) {
    auto r = (*s)->Run({{"x:0", F({static_cast<float>(i)}, {1})}}, {y.name(), y.name()});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].data<float>()[0], static_cast<float>(i * i));
    EXPECT_EQ((*r)[1].data<float>()[0], static_cast<float>(i * i));
  }
}

TEST(Session, FetchedTensorsSurviveLaterRuns) {
  // A plan recycles an intermediate's buffer on the next run only when nothing else holds it:
  // a fetched tensor the caller still holds must keep its values.
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, testutil::PS({-1}), "x");
  Output y = ops::Mul(g, ops::Add(g, x, x), x, "y");
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  auto first = (*s)->Run({{"x:0", F({1, 2, 3}, {3})}}, {y.name()});
  ASSERT_TRUE(first.ok());
  const void* first_buffer = (*first)[0].raw_data();
  for (float v : {4.0f, 5.0f}) {
    auto r = (*s)->Run({{"x:0", F({v, v, v}, {3})}}, {y.name()});
    ASSERT_TRUE(r.ok());
    EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(2 * v * v, 2 * v * v, 2 * v * v));
    EXPECT_NE((*r)[0].raw_data(), first_buffer);
  }
  EXPECT_THAT(Values<float>((*first)[0]), ElementsAre(2, 8, 18));
  // Shapes may change between runs of one plan; recycled buffers grow as needed.
  auto big = (*s)->Run({{"x:0", F(std::vector<float>(1000, 1.0f), {1000})}}, {y.name()});
  ASSERT_TRUE(big.ok());
  EXPECT_EQ((*big)[0].num_elements(), 1000);
  EXPECT_EQ((*big)[0].data<float>()[999], 2.0f);
  auto small = (*s)->Run({{"x:0", F({3}, {1})}}, {y.name()});
  ASSERT_TRUE(small.ok());
  EXPECT_THAT(Values<float>((*small)[0]), ElementsAre(18));
}

TEST(Session, AssignedValuesStayApartFromFeedsAndRecycledBuffers) {
  // An assign keeps a step's own output buffer instead of copying it (a restore's tensors become
  // the variables' values); a fed tensor is copied, and a buffer a variable holds is never
  // recycled for a later step.
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, testutil::PS({3}), "x");
  Output h = ops::VarHandleOp(g, DataType::kFloat, TensorShape{3}, "", "v", "v");
  Operation assign_fed = ops::AssignVariableOp(g, h, x, "assign_fed");
  Operation assign_computed = ops::AssignVariableOp(g, h, ops::Add(g, x, x), "assign_computed");
  Output read = ops::ReadVariableOp(g, h, DataType::kFloat);
  Output y = ops::Mul(g, x, x, "y");
  CKPT_ASSERT_OK(g.status());
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  Tensor fed = F({1, 2, 3}, {3});
  CKPT_ASSERT_OK((*s)->Run({{"x:0", fed}}, {}, {assign_fed.name}).status());
  fed.data<float>()[0] = 100;  // the caller changes its tensor: the variable does not
  auto r = (*s)->Run({}, {read.name()});
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(1, 2, 3));
  CKPT_ASSERT_OK((*s)->Run({{"x:0", F({1, 2, 3}, {3})}}, {}, {assign_computed.name}).status());
  // Later steps of the same plan allocate where the assigned buffer would be recycled.
  for (float v : {7.0f, 8.0f}) {
    CKPT_ASSERT_OK((*s)->Run({{"x:0", F({v, v, v}, {3})}}, {y.name()}).status());
    CKPT_ASSERT_OK((*s)->Run({{"x:0", F({v, v, v}, {3})}}, {}, {"Add"}).status());
  }
  r = (*s)->Run({}, {read.name()});
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(2, 4, 6));
}

TEST(Session, ConstantFoldingKeepsControlDependencies) {
  // A Const is folded into the plan, but the assignment it depends on still runs each time.
  Graph g;
  ops::Variable v = ops::MakeVariable(g, Tensor::Scalar<float>(0), {.name = "v"});
  Output inc = ops::AssignAdd(g, v.variable, 1.0f, false, "inc");
  Output c;
  {
    Graph::ControlDependencies deps(g, {Operation(inc.node)});
    c = ops::Const(g, 7.0, DataType::kFloat, {}, "seven");
  }
  Output doubled = ops::Add(g, c, c, "doubled");  // folded too: pure, over a folded input
  Operation init = ops::GlobalVariablesInitializer(g);
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  CKPT_ASSERT_OK((*s)->Run({}, {}, {init.name}).status());
  for (int i = 1; i <= 3; ++i) {
    auto r = (*s)->Run({}, {doubled.name(), c.name()});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].data<float>()[0], 14.0f);
    EXPECT_EQ((*r)[1].data<float>()[0], 7.0f);
    EXPECT_EQ((*s)->GetVariable("v")->data<float>()[0], static_cast<float>(i));
  }
}

TEST(Session, ConstantFoldingLeavesErrorsToRun) {
  // A pure node over constants that fails is not folded: each Run reports its error.
  Graph g;
  Output bad = ops::Reshape(g, ops::Const(g, 1.0, DataType::kFloat, {6}),
                            ops::Const(g, 4.0, DataType::kInt32, {1}), "bad_reshape");
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  for (int i = 0; i < 2; ++i) {
    auto r = (*s)->Run({}, {bad.name()});
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("bad_reshape"));
  }
}

TEST(Session, RandomOpsAreNotFolded) {
  Graph g;
  g.set_seed(3);
  Output r = ops::RandomNormal(g, {4}, 1.0);
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  auto a = (*s)->Run({}, {r.name()});
  auto b = (*s)->Run({}, {r.name()});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(Values<float>((*a)[0]), Values<float>((*b)[0]));
}

TEST(Session, FeedingAFoldableTensorOverridesIt) {
  Graph g;
  Output c = ops::Const(g, 2.0, DataType::kFloat, {}, "c");
  Output y = ops::Mul(g, c, c, "y");
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  auto folded = (*s)->Run({}, {y.name()});
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ((*folded)[0].data<float>()[0], 4.0f);
  auto fed = (*s)->Run({{"c:0", Tensor::Scalar<float>(5)}}, {y.name()});
  ASSERT_TRUE(fed.ok());
  EXPECT_EQ((*fed)[0].data<float>()[0], 25.0f);
}

TEST(Session, ElidedIdentityAndNoOpKeepTheirControlInputs) {
  // Identity of a plain value and NoOp are not steps of a plan; what they depend on still runs,
  // in order, before what depends on them.
  Graph g;
  ops::Variable v = ops::MakeVariable(g, Tensor::Scalar<float>(0), {.name = "v"});
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(), "x");
  Output inc = ops::AssignAdd(g, v.variable, 1.0f, false, "inc");
  Output y;
  Operation group;
  {
    Graph::ControlDependencies deps(g, {Operation(inc.node)});
    y = ops::Identity(g, x, "y");
    group = ops::NoOp(g, "group");
  }
  Output z;
  {
    Graph::ControlDependencies deps(g, {group});
    z = ops::Identity(g, v.variable, "z");  // reads v after the increment
  }
  Output twice = ops::Add(g, y, y, "twice");
  Operation init = ops::GlobalVariablesInitializer(g);
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  CKPT_ASSERT_OK((*s)->Run({}, {}, {init.name}).status());
  auto r = (*s)->Run({{"x:0", Tensor::Scalar<float>(3)}}, {twice.name(), y.name()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].data<float>()[0], 6.0f);
  EXPECT_EQ((*r)[1].data<float>()[0], 3.0f);
  EXPECT_EQ((*s)->GetVariable("v")->data<float>()[0], 1.0f);
  auto after = (*s)->Run({}, {z.name()});
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ((*after)[0].data<float>()[0], 2.0f);
  CKPT_ASSERT_OK((*s)->Run({}, {}, {group.name}).status());
  EXPECT_EQ((*s)->GetVariable("v")->data<float>()[0], 3.0f);
}

}  // namespace
}  // namespace ckpt
