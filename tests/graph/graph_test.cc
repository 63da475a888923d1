// Graph building: TF naming, scopes, control dependencies, collections, lookups, GraphDef
// round trips and the sticky error.
#include "ckpt/graph/graph.h"

#include "graph/graph_impl.h"
#include "graph/test_util.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(GraphNaming, DefaultNamesAreUniquified) {
  Graph g;
  Output a = ops::Const(g, Tensor::Scalar<float>(1));
  Output b = ops::Const(g, Tensor::Scalar<float>(2));
  Output c = ops::Add(g, a, b);
  Output d = ops::Add(g, c, b);
  Output v1 = ops::VariableV2(g, TensorShape{}, DataType::kFloat);
  Output v2 = ops::VariableV2(g, TensorShape{}, DataType::kFloat);
  EXPECT_EQ(a.node, "Const");
  EXPECT_EQ(b.node, "Const_1");
  EXPECT_EQ(c.node, "Add");
  EXPECT_EQ(d.node, "Add_1");
  EXPECT_EQ(v1.node, "Variable");
  EXPECT_EQ(v2.node, "Variable_1");
  CKPT_ASSERT_OK(g.status());
}

TEST(GraphNaming, ExplicitNamesAndCaseInsensitiveCollisions) {
  Graph g;
  EXPECT_EQ(ops::Placeholder(g, DataType::kFloat, PartialShape(), "input").node, "input");
  EXPECT_EQ(ops::Placeholder(g, DataType::kFloat, PartialShape(), "input").node, "input_1");
  // TF compares names case-insensitively: "add" after "Add" becomes "add_1".
  Output x = ops::Const(g, Tensor::Scalar<float>(1), "x");
  EXPECT_EQ(ops::Add(g, x, x).node, "Add");
  EXPECT_EQ(ops::Add(g, x, x, "add").node, "add_1");
  // A name that already has a suffix is itself uniquified.
  EXPECT_EQ(g.UniqueName("input_1"), "input_1_1");
  EXPECT_EQ(g.UniqueName("fresh", /*mark_as_used=*/false), "fresh");
  EXPECT_EQ(g.UniqueName("fresh"), "fresh");
}

TEST(GraphNaming, NameScopes) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(), "x");
  {
    Graph::NameScope a(g, "a");
    EXPECT_EQ(a.scope_name(), "a/");
    {
      Graph::NameScope b(g, "b");
      EXPECT_EQ(g.name_scope(), "a/b");
      Output y = ops::Add(g, x, 1.0f);
      EXPECT_EQ(y.node, "a/b/Add");
      // The literal became "<op>/<arg>".
      EXPECT_TRUE(g.HasNode("a/b/Add/y"));
    }
    Graph::NameScope b2(g, "b");
    EXPECT_EQ(b2.scope_name(), "a/b_1/");
  }
  EXPECT_EQ(g.name_scope(), "");
  {
    Graph::NameScope reenter(g, "a/b/");
    EXPECT_EQ(ops::Neg(g, x).node, "a/b/Neg");
    Graph::NameScope root(g, "");
    EXPECT_EQ(ops::Neg(g, x).node, "Neg");
  }
  Graph::NameScope a1(g, "a");
  EXPECT_EQ(a1.scope_name(), "a_1/");
  CKPT_ASSERT_OK(g.status());
}

TEST(GraphControlDeps, AddedToNodesInScope) {
  Graph g;
  Operation n1 = ops::NoOp(g);
  Operation n2 = ops::NoOp(g);
  Output c;
  {
    Graph::ControlDependencies deps(g, {n1});
    {
      Graph::ControlDependencies more(g, {n2, n1});
      c = ops::Const(g, Tensor::Scalar<int32_t>(3));
    }
  }
  Output d = ops::Const(g, Tensor::Scalar<int32_t>(4));
  auto info = g.GetNode(c.node);
  ASSERT_TRUE(info.ok());
  EXPECT_THAT(info->inputs, ElementsAre("^NoOp", "^NoOp_1"));
  EXPECT_TRUE(g.GetNode(d.node)->inputs.empty());
}

TEST(GraphCollections, AddGetClear) {
  Graph g;
  EXPECT_TRUE(g.GetCollection("losses").empty());
  g.AddToCollection("losses", "loss:0");
  g.AddToCollection("losses", "reg:0");
  g.AddToCollection(kTrainOp, "train");
  EXPECT_THAT(g.GetCollection("losses"), ElementsAre("loss:0", "reg:0"));
  EXPECT_THAT(g.collection_keys(), ElementsAre("losses", "train_op"));
  g.ClearCollection("losses");
  EXPECT_THAT(g.collection_keys(), ElementsAre("train_op"));
}

TEST(GraphLookups, TensorAndOperationByName) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, testutil::PS({-1, 3}), "input");
  Output xent = ops::SoftmaxCrossEntropyWithLogitsOp(g, x, x);
  auto t = g.GetTensorByName("input:0");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, x);
  EXPECT_EQ(g.OutputType(*t), DataType::kFloat);
  auto t1 = g.GetTensorByName(xent.node + ":1");
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(t1->index, 1);
  EXPECT_EQ(g.GetTensorByName("input").status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(g.GetTensorByName("input").status().message()),
              HasSubstr("refers to an operation"));
  EXPECT_EQ(g.GetTensorByName("input:1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(g.GetTensorByName("nope:0").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(g.GetTensorByName("input:x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(g.GetOperationByName("input").ok());
  EXPECT_EQ(g.GetOperationByName("input:0").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(g.GetOperationByName("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*g.OpType("input"), "Placeholder");
  EXPECT_EQ(*g.NumOutputs(xent.node), 2);
  auto shape = g.GetAttr("input", "shape");
  ASSERT_TRUE(shape.ok());
  EXPECT_EQ(shape->get<PartialShape>(), testutil::PS({-1, 3}));
  EXPECT_EQ(g.GetAttr("input", "nope").status().code(), StatusCode::kNotFound);
  EXPECT_THAT(g.Consumers("input"), ElementsAre(xent.node));
}

TEST(GraphAttrs, DefaultsAreFilledAndTypesInferred) {
  Graph g;
  Output a = ops::Placeholder(g, DataType::kDouble, testutil::PS({2, 2}), "a");
  Output m = ops::MatMul(g, a, a);
  EXPECT_EQ(g.GetAttr(m.node, "T")->get<DataType>(), DataType::kDouble);
  EXPECT_FALSE(g.GetAttr(m.node, "transpose_a")->get<bool>());
  EXPECT_FALSE(g.GetAttr(m.node, "grad_a")->get<bool>());
  // Low-level AddNode infers T and N from the inputs.
  Operation n = g.AddNode("AddN", g.UniqueName("sum"), std::vector<Output>{a, a, m});
  ASSERT_TRUE(n.valid()) << g.status().ToString();
  EXPECT_EQ(g.GetAttr("sum", "N")->get<int64_t>(), 3);
  EXPECT_EQ(g.GetAttr("sum", "T")->get<DataType>(), DataType::kDouble);
  EXPECT_EQ(g.OutputShape(m), testutil::PS({2, 2}));
}

// The shape engine: each op's registered shape function gives what TF's shape function gives
// for the same node.
TEST(GraphShapes, ShapeFunctionsOfTheRegistry) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, testutil::PS({-1, 3}), "x");
  Output full = ops::Const(g, 1.0, DataType::kFloat, TensorShape{4, 3}, "full");
  // TF's PlaceholderWithDefault shape fn returns the shape attr, not the default's shape.
  Output pwd = ops::PlaceholderWithDefault(g, full, testutil::PS({-1, 3}), "pwd");
  EXPECT_EQ(g.OutputShape(pwd), testutil::PS({-1, 3}));
  // Broadcasting takes the known dim against an unknown one.
  EXPECT_EQ(g.OutputShape(ops::Add(g, x, full)), testutil::PS({4, 3}));
  // Gradient helpers: the shape of their first input (ReluGrad) / the channel dim.
  Operation rg = g.AddNode("ReluGrad", "rg", std::vector<Output>{full, full});
  EXPECT_EQ(g.OutputShape(rg.output(0)), testutil::PS({4, 3}));
  Operation bg = g.AddNode("BiasAddGrad", "bg", std::vector<Output>{x});
  EXPECT_EQ(g.OutputShape(bg.output(0)), testutil::PS({3}));
  ASSERT_TRUE(g.status().ok()) << g.status().ToString();
}

TEST(GraphAttrs, SetAttrReinfersTheNodesShapes) {
  Graph g;
  Output a = ops::Placeholder(g, DataType::kFloat, testutil::PS({2, 3}), "a");
  Output r = ops::Reshape(g, a, ops::Const(g, Tensor::FromVector<int32_t>({3, 2}, TensorShape{2})));
  EXPECT_EQ(g.OutputShape(r), testutil::PS({3, 2}));
  g.SetAttr(Operation("a"), "shape", PartialShape(std::vector<int64_t>{6}));
  EXPECT_EQ(g.OutputShape(a), testutil::PS({6}));
  EXPECT_EQ(g.GetAttr("a", "shape")->get<PartialShape>(), testutil::PS({6}));
  ASSERT_TRUE(g.status().ok());
  g.SetAttr(Operation("nope"), "shape", PartialShape());
  EXPECT_EQ(g.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(g.status().message(), HasSubstr("nope"));
}

TEST(GraphErrors, StickyStatus) {
  Graph g;
  Output f = ops::Placeholder(g, DataType::kFloat, PartialShape(), "f");
  Output i = ops::Placeholder(g, DataType::kInt32, PartialShape(), "i");
  Output bad = ops::Add(g, f, i);  // dtype mismatch
  EXPECT_FALSE(bad.valid());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("int32"));
  // Later additions are no-ops and the first error stays.
  Status first = g.status();
  EXPECT_FALSE(ops::Neg(g, f).valid());
  EXPECT_EQ(g.status(), first);
  EXPECT_FALSE(Session::Create(&g).ok());
}

TEST(GraphErrors, UnknownOpAndBadInputs) {
  {
    Graph g;
    EXPECT_FALSE(g.AddNode("NoSuchOp", "x", {}).valid());
    EXPECT_EQ(g.status().code(), StatusCode::kNotFound);
  }
  {
    Graph g;
    EXPECT_FALSE(g.AddNode("Neg", "n", std::vector<Output>{Output("ghost")}).valid());
    EXPECT_EQ(g.status().code(), StatusCode::kNotFound);
  }
  {
    Graph g;
    Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(), "x");
    EXPECT_FALSE(g.AddNode("Neg", "x", std::vector<Output>{x}).valid());  // duplicate name
    EXPECT_THAT(std::string(g.status().message()), HasSubstr("duplicate"));
  }
  {
    Graph g;
    Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(), "x");
    // Assign needs a ref input.
    EXPECT_FALSE(ops::Assign(g, x, 1.0f).valid());
    EXPECT_THAT(std::string(g.status().message()), HasSubstr("float32_ref"));
  }
}

TEST(GraphDef, RoundTripKeepsNodesCollectionsSeparate) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, testutil::PS({-1, 2}), "x");
  Output w = ops::Const(g, Tensor::FromVector<float>({1, 2, 3, 4}, TensorShape{2, 2}), "w");
  Output y = ops::MatMul(g, x, w);
  std::string bytes = g.SerializeGraphDef();
  EXPECT_EQ(bytes, g.SerializeGraphDef());  // deterministic
  auto g2 = Graph::FromGraphDef(bytes);
  ASSERT_TRUE(g2.ok()) << g2.status().ToString();
  EXPECT_EQ(g2->num_nodes(), 3);
  EXPECT_EQ(g2->SerializeGraphDef(), bytes);
  EXPECT_EQ(g2->OutputType(y), DataType::kFloat);
  // Names of the imported graph are in use.
  EXPECT_EQ(g2->UniqueName("MatMul"), "MatMul_1");
  tensorflow::GraphDef def;
  ASSERT_TRUE(def.ParseFromString(bytes));
  EXPECT_EQ(def.versions().producer(), kGraphDefProducer);
}

TEST(GraphDef, ImportFillsDefaultsAndValidates) {
  tensorflow::GraphDef def;
  auto* n = def.add_node();
  n->set_name("x");
  n->set_op("Placeholder");
  (*n->mutable_attr())["dtype"].set_type(tensorflow::DT_FLOAT);
  auto* m = def.add_node();  // forward reference is fine
  m->set_name("n");
  m->set_op("Neg");
  m->add_input("y");
  (*m->mutable_attr())["T"].set_type(tensorflow::DT_FLOAT);
  auto* y = def.add_node();
  y->set_name("y");
  y->set_op("Identity");
  y->add_input("x");
  (*y->mutable_attr())["T"].set_type(tensorflow::DT_FLOAT);
  auto g = Graph::FromGraphDef(def.SerializeAsString());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  // Placeholder's shape attr got its default (unknown rank).
  EXPECT_FALSE(g->GetAttr("x", "shape")->get<PartialShape>().known_rank());

  def.mutable_node(1)->set_input(0, "missing");
  EXPECT_EQ(Graph::FromGraphDef(def.SerializeAsString()).status().code(), StatusCode::kNotFound);
  def.mutable_node(1)->set_input(0, "x:3");
  EXPECT_EQ(Graph::FromGraphDef(def.SerializeAsString()).status().code(),
            StatusCode::kInvalidArgument);
  def.mutable_node(1)->set_input(0, "y");
  def.mutable_node(1)->set_op("Frobnicate");
  EXPECT_EQ(Graph::FromGraphDef(def.SerializeAsString()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Graph::FromGraphDef("\xff\xff garbage").status().code(), StatusCode::kDataLoss);
  // A cycle (outside a while loop's NextIteration back edge) is rejected on import.
  tensorflow::GraphDef cyc;
  for (const char* name : {"a", "b"}) {
    auto* c = cyc.add_node();
    c->set_name(name);
    c->set_op("Identity");
    c->add_input(std::string(name) == "a" ? "b" : "a");
    (*c->mutable_attr())["T"].set_type(tensorflow::DT_FLOAT);
  }
  auto gc = Graph::FromGraphDef(cyc.SerializeAsString());
  ASSERT_FALSE(gc.ok());
  EXPECT_EQ(gc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(gc.status().message()),
              HasSubstr("graph has a cycle: 2 nodes wait on each other ('a', 'b'); a cycle is "
                        "allowed only through a NextIteration node"));
}

TEST(GraphSeeds, FollowTfRules) {
  Graph g;
  EXPECT_EQ(g.GetSeed(std::nullopt), std::make_pair(int64_t{0}, int64_t{0}));
  EXPECT_EQ(g.GetSeed(5), std::make_pair(kDefaultGraphSeed, int64_t{5}));
  g.set_seed(3);
  EXPECT_EQ(g.GetSeed(7), std::make_pair(int64_t{3}, int64_t{7}));
  EXPECT_EQ(g.GetSeed(std::nullopt), std::make_pair(int64_t{3}, int64_t{0}));
  g.set_seed(0);
  EXPECT_EQ(g.GetSeed(0), std::make_pair(int64_t{0}, int64_t{INT32_MAX}));
}

TEST(GraphVariables, MakeVariableRegistersInfoAndCollections) {
  Graph g;
  Output init = ops::TruncatedNormal(g, TensorShape{3, 4}, 0.0, 0.1, DataType::kFloat, 1);
  ops::Variable w = ops::MakeVariable(g, init, {.name = "W"});
  ops::Variable b =
      ops::MakeVariable(g, ops::Zeros(g, TensorShape{4}), {.name = "b", .trainable = false});
  CKPT_ASSERT_OK(g.status());
  EXPECT_EQ(w.variable.name(), "W:0");
  EXPECT_EQ(w.initializer.name, "W/Assign");
  EXPECT_EQ(w.snapshot.name(), "W/read:0");
  EXPECT_TRUE(g.IsRefOutput(w.variable));
  EXPECT_EQ(w.shape, testutil::PS({3, 4}));
  const VariableInfo* info = g.FindVariable("W:0");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->initial_value_name, "truncated_normal:0");
  EXPECT_EQ(info->snapshot_name, "W/read:0");
  EXPECT_THAT(g.GetCollection(kGlobalVariables), ElementsAre("W:0", "b:0"));
  EXPECT_THAT(g.GetCollection(kTrainableVariables), ElementsAre("W:0"));
  Operation initop = ops::GlobalVariablesInitializer(g);
  EXPECT_EQ(initop.name, "init");
  EXPECT_THAT(g.GetNode("init")->inputs, ElementsAre("^W/Assign", "^b/Assign"));
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

TEST(GraphDef, HostileConstsFailCleanly) {
  // A Const claiming 2^40 floats from one float_val: refused on import, naming the node.
  tensorflow::GraphDef def;
  auto* n = def.add_node();
  n->set_name("c");
  n->set_op("Const");
  (*n->mutable_attr())["dtype"].set_type(tensorflow::DT_FLOAT);
  auto* t = (*n->mutable_attr())["value"].mutable_tensor();
  t->set_dtype(tensorflow::DT_FLOAT);
  t->mutable_tensor_shape()->add_dim()->set_size(int64_t{1} << 40);
  t->add_float_val(1.0f);
  auto g = Graph::FromGraphDef(def.SerializeAsString());
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(g.status().message()),
              ::testing::HasSubstr("node 'c' (Const) attr 'value': tensor proto of shape "
                                   "[1099511627776] float32 expands to more than 1 GiB"));
  // tensor_content with the wrong byte count.
  t->clear_float_val();
  t->mutable_tensor_shape()->mutable_dim(0)->set_size(3);
  t->set_tensor_content(std::string(8, '\0'));
  g = Graph::FromGraphDef(def.SerializeAsString());
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(std::string(g.status().message()),
              ::testing::HasSubstr("node 'c' (Const) attr 'value': tensor proto tensor_content "
                                   "has 8 bytes, expected 12 for shape [3] float32"));
  // Const whose value dtype disagrees with its dtype attr.
  t->set_dtype(tensorflow::DT_INT32);
  t->set_tensor_content(std::string(12, '\0'));
  g = Graph::FromGraphDef(def.SerializeAsString());
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(std::string(g.status().message()),
              ::testing::HasSubstr("node 'c' (Const): value is int32 but attr dtype is float32"));
  // Attr of the wrong kind is rejected on import.
  (*n->mutable_attr())["dtype"].set_i(3);
  EXPECT_EQ(Graph::FromGraphDef(def.SerializeAsString()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(GraphVersion, ChangesWithEveryModification) {
  Graph g;
  uint64_t last = g.version();
  auto changed = [&] {
    const bool c = g.version() != last;
    last = g.version();
    return c;
  };
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(), "x");
  EXPECT_TRUE(changed());
  Output y = ops::Neg(g, x, "y");
  EXPECT_TRUE(changed());
  EXPECT_EQ(g.num_nodes(), 2);
  EXPECT_FALSE(changed());  // lookups change nothing
  (void)g.GetNode("y");
  EXPECT_FALSE(changed());
  g.AddToCollection("c", "y");
  EXPECT_TRUE(changed());
  g.ClearCollection("c");
  EXPECT_TRUE(changed());
  g.SetDevice(Operation("y"), "/cpu:0");
  EXPECT_TRUE(changed());
  g.AddControlInput(Operation("y"), Operation("x"));
  EXPECT_TRUE(changed());
}

}  // namespace
}  // namespace ckpt
