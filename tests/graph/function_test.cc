// Function calls of TF2 GraphDefs (graph/function_library.h): inlining of PartitionedCall /
// StatefulPartitionedCall and function-name ops, nested calls, polymorphic attrs, FunctionDef
// input naming, control_ret side effects, captured resource variables, and the load-time
// errors for missing, recursive and mistyped calls.
#include <google/protobuf/text_format.h>

#include "ckpt/graph/session.h"
#include "graph/test_util.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::F;
using testutil::Values;

// A polymorphic function: Double[T](x: T) -> y = x + x.
constexpr char kDouble[] = R"pb(
  signature {
    name: "Double"
    input_arg { name: "x" type_attr: "T" }
    output_arg { name: "y" type_attr: "T" }
    attr { name: "T" type: "type" }
  }
  node_def {
    name: "sum" op: "AddV2" input: "x" input: "x"
    attr { key: "T" value { placeholder: "T" } }
  }
  ret { key: "y" value: "sum:z:0" }
)pb";

// ScaleAndCount(x: float, v: resource) -> (scaled = Double(x) * v, second = unstacked[1]);
// side effect: v += 1 (a control_ret nothing consumes).
constexpr char kScale[] = R"pb(
  signature {
    name: "ScaleAndCount"
    input_arg { name: "x" type: DT_FLOAT }
    input_arg { name: "v" type: DT_RESOURCE }
    output_arg { name: "scaled" type: DT_FLOAT }
    output_arg { name: "second" type: DT_FLOAT }
    is_stateful: true
  }
  node_def { name: "read" op: "ReadVariableOp" input: "v" attr { key: "dtype" value { type: DT_FLOAT } } }
  node_def { name: "twice" op: "Double" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
  node_def {
    name: "mul" op: "Mul" input: "twice:y:0" input: "read:value:0"
    attr { key: "T" value { type: DT_FLOAT } }
  }
  node_def {
    name: "unstack" op: "Unpack" input: "x"
    attr { key: "T" value { type: DT_FLOAT } }
    attr { key: "num" value { i: 2 } }
  }
  node_def { name: "one" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
             attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 1 } } } }
  node_def {
    name: "count" op: "AssignAddVariableOp" input: "v" input: "one:output:0"
    input: "^read"
    attr { key: "dtype" value { type: DT_FLOAT } }
  }
  ret { key: "scaled" value: "mul:z:0" }
  ret { key: "second" value: "unstack:output:1" }
  control_ret { key: "count" value: "count" }
)pb";

// The outer graph: a variable v = 3 and a StatefulPartitionedCall of ScaleAndCount.
constexpr char kGraph[] = R"pb(
  node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
  node { name: "v" op: "VarHandleOp" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "shape" value { shape {} } } attr { key: "shared_name" value { s: "v" } } }
  node { name: "three" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 3 } } } }
  node { name: "init" op: "AssignVariableOp" input: "v" input: "three"
         attr { key: "dtype" value { type: DT_FLOAT } } }
  node {
    name: "call" op: "StatefulPartitionedCall" input: "x" input: "v"
    attr { key: "f" value { func { name: "ScaleAndCount" } } }
    attr { key: "Tin" value { list { type: DT_FLOAT type: DT_RESOURCE } } }
    attr { key: "Tout" value { list { type: DT_FLOAT type: DT_FLOAT } } }
  }
  node { name: "after" op: "Neg" input: "call:1" attr { key: "T" value { type: DT_FLOAT } } }
)pb";

tensorflow::GraphDef MakeGraph(std::initializer_list<const char*> functions,
                               const char* graph = kGraph) {
  tensorflow::GraphDef def;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(graph, &def));
  for (const char* f : functions) {
    EXPECT_TRUE(
        google::protobuf::TextFormat::ParseFromString(f, def.mutable_library()->add_function()));
  }
  return def;
}

TEST(Functions, InlinedCallComputesReturnsAndRunsSideEffects) {
  auto g = Graph::FromGraphDef(MakeGraph({kDouble, kScale}).SerializeAsString());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  // Bodies are inlined under the call's name; the call node remains for fetches by name.
  EXPECT_TRUE(g->HasNode("call/mul"));
  EXPECT_TRUE(g->HasNode("call/twice/sum"));  // the nested call, inlined too
  EXPECT_EQ(*g->OpType("call"), "IdentityN");
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  CKPT_ASSERT_OK((*s)->Run({}, {}, {"init"}).status());
  auto r = (*s)->Run({{"x:0", F({1, 2}, {2})}}, {"call:0", "call:1", "after:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(6, 12));  // (x + x) * 3
  EXPECT_THAT(Values<float>((*r)[1]), ElementsAre(2));      // unstack:output:1
  EXPECT_THAT(Values<float>((*r)[2]), ElementsAre(-2));
  // The control_ret ran once (after the read): v = 4, and the next call sees it.
  EXPECT_THAT(Values<float>(*(*s)->GetVariable("v")), ElementsAre(4));
  r = (*s)->Run({{"x:0", F({1, 2}, {2})}}, {"call:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(8, 16));
  EXPECT_THAT(Values<float>(*(*s)->GetVariable("v")), ElementsAre(5));
  // Fetching only `after` (which reads call:1) does not need the side effects.
  r = (*s)->Run({{"x:0", F({1, 2}, {2})}}, {"after:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<float>(*(*s)->GetVariable("v")), ElementsAre(5));
}

TEST(Functions, FunctionNameOpBindsPolymorphicAttrs) {
  constexpr char graph[] = R"pb(
    node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } } }
    node { name: "d" op: "Double" input: "x" attr { key: "T" value { type: DT_INT32 } } }
  )pb";
  auto g = Graph::FromGraphDef(MakeGraph({kDouble}, graph).SerializeAsString());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok());
  auto r = (*s)->Run({{"x:0", Tensor::FromVector<int32_t>({7, -1}, {2})}}, {"d:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt32);
  EXPECT_THAT(Values<int32_t>((*r)[0]), ElementsAre(14, -2));
}

TEST(Functions, CallControlInputsRunBeforeTheBody) {
  constexpr char graph[] = R"pb(
    node { name: "v" op: "VarHandleOp" attr { key: "dtype" value { type: DT_FLOAT } }
           attr { key: "shape" value { shape {} } } }
    node { name: "three" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
           attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 3 } } } }
    node { name: "init" op: "AssignVariableOp" input: "v" input: "three"
           attr { key: "dtype" value { type: DT_FLOAT } } }
    node { name: "x" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
           attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } }
                                              float_val: 1 float_val: 2 } } } }
    node {
      name: "call" op: "StatefulPartitionedCall" input: "x" input: "v" input: "^init"
      attr { key: "f" value { func { name: "ScaleAndCount" } } }
      attr { key: "Tin" value { list { type: DT_FLOAT type: DT_RESOURCE } } }
      attr { key: "Tout" value { list { type: DT_FLOAT type: DT_FLOAT } } }
    }
  )pb";
  auto g = Graph::FromGraphDef(MakeGraph({kDouble, kScale}, graph).SerializeAsString());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok());
  // The variable is read only after `init` ran, though nothing in the body names it.
  auto r = (*s)->Run({}, {"call:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(6, 12));
}

TEST(Functions, MissingFunctionIsNamedAtLoad) {
  auto def = MakeGraph({kDouble});  // ScaleAndCount absent
  auto g = Graph::FromGraphDef(def.SerializeAsString());
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("'ScaleAndCount'"));
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("node 'call'"));
}

TEST(Functions, RecursiveFunctionIsRejectedAtLoad) {
  constexpr char ping[] = R"pb(
    signature { name: "Ping" input_arg { name: "x" type: DT_FLOAT } output_arg { name: "y" type: DT_FLOAT } }
    node_def { name: "p" op: "Pong" input: "x" }
    ret { key: "y" value: "p:y:0" }
  )pb";
  constexpr char pong[] = R"pb(
    signature { name: "Pong" input_arg { name: "x" type: DT_FLOAT } output_arg { name: "y" type: DT_FLOAT } }
    node_def { name: "q" op: "Ping" input: "x" }
    ret { key: "y" value: "q:y:0" }
  )pb";
  constexpr char graph[] = R"pb(
    node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
    node { name: "c" op: "Ping" input: "x" }
  )pb";
  auto g = Graph::FromGraphDef(MakeGraph({ping, pong}, graph).SerializeAsString());
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("recursive"));
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("Ping -> Pong -> Ping"));
}

TEST(Functions, CallTypesMustMatchTheSignature) {
  auto def = MakeGraph({kDouble, kScale});
  // Tin says int32 where the function takes a float.
  auto* tin = (*def.mutable_node(4)->mutable_attr())["Tin"].mutable_list();
  tin->set_type(0, tensorflow::DT_INT32);
  auto g = Graph::FromGraphDef(def.SerializeAsString());
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(g.status().message()),
              HasSubstr("declares Tin [int32, resource] but function 'ScaleAndCount' has "
                        "inputs [float32, resource]"));

  def = MakeGraph({kDouble, kScale});
  def.mutable_node(4)->mutable_input()->RemoveLast();  // one input short
  g = Graph::FromGraphDef(def.SerializeAsString());
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("passes 1 inputs"));

  // A body input naming an output arg its node does not have.
  def = MakeGraph({kDouble, kScale});
  (*def.mutable_library()->mutable_function(1)->mutable_ret())["scaled"] = "mul:nope:0";
  g = Graph::FromGraphDef(def.SerializeAsString());
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("'mul:nope:0'"));
}

// Control flow v2: Less10(i: int32, x: float) -> i < 10; Step(i, x) -> (i + 1, x * 2).
constexpr char kLess10[] = R"pb(
  signature {
    name: "Less10" input_arg { name: "i" type: DT_INT32 } input_arg { name: "x" type: DT_FLOAT }
    output_arg { name: "c" type: DT_BOOL }
  }
  node_def { name: "ten" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
             attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 10 } } } }
  node_def { name: "less" op: "Less" input: "i" input: "ten:output:0"
             attr { key: "T" value { type: DT_INT32 } } }
  ret { key: "c" value: "less:z:0" }
)pb";
constexpr char kStep[] = R"pb(
  signature {
    name: "Step" input_arg { name: "i" type: DT_INT32 } input_arg { name: "x" type: DT_FLOAT }
    output_arg { name: "i_next" type: DT_INT32 } output_arg { name: "x_next" type: DT_FLOAT }
  }
  node_def { name: "one" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
             attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 1 } } } }
  node_def { name: "inc" op: "AddV2" input: "i" input: "one:output:0"
             attr { key: "T" value { type: DT_INT32 } } }
  node_def { name: "twice" op: "Double" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
  ret { key: "i_next" value: "inc:z:0" }
  ret { key: "x_next" value: "twice:y:0" }
)pb";
constexpr char kNegate[] = R"pb(
  signature { name: "Negate" input_arg { name: "x" type: DT_FLOAT } output_arg { name: "y" type: DT_FLOAT } }
  node_def { name: "neg" op: "Neg" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
  ret { key: "y" value: "neg:y:0" }
)pb";
constexpr char kDoubleF[] = R"pb(
  signature { name: "DoubleF" input_arg { name: "x" type: DT_FLOAT } output_arg { name: "y" type: DT_FLOAT } }
  node_def { name: "d" op: "Double" input: "x" attr { key: "T" value { type: DT_FLOAT } } }
  ret { key: "y" value: "d:y:0" }
)pb";

constexpr char kFlowGraph[] = R"pb(
  node { name: "i" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } } }
  node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
  node { name: "p" op: "Placeholder" attr { key: "dtype" value { type: DT_BOOL } } }
  node { name: "k" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } } }
  node {
    name: "loop" op: "StatelessWhile" input: "i" input: "x"
    attr { key: "T" value { list { type: DT_INT32 type: DT_FLOAT } } }
    attr { key: "cond" value { func { name: "Less10" } } }
    attr { key: "body" value { func { name: "Step" } } }
  }
  node {
    name: "if" op: "StatelessIf" input: "p" input: "x"
    attr { key: "Tcond" value { type: DT_BOOL } }
    attr { key: "Tin" value { list { type: DT_FLOAT } } }
    attr { key: "Tout" value { list { type: DT_FLOAT } } }
    attr { key: "then_branch" value { func { name: "DoubleF" } } }
    attr { key: "else_branch" value { func { name: "Negate" } } }
  }
  node {
    name: "case" op: "Case" input: "k" input: "x"
    attr { key: "Tin" value { list { type: DT_FLOAT } } }
    attr { key: "Tout" value { list { type: DT_FLOAT } } }
    attr { key: "branches" value { list { func { name: "Negate" } func { name: "DoubleF" } } } }
  }
)pb";

TEST(Functions, ControlFlowRunsBranchesAndLoops) {
  auto g = Graph::FromGraphDef(
      MakeGraph({kDouble, kLess10, kStep, kNegate, kDoubleF}, kFlowGraph).SerializeAsString());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok());
  auto I32 = [](int32_t v) { return Tensor::Scalar<int32_t>(v); };
  auto r = (*s)->Run({{"i:0", I32(7)}, {"x:0", F({1.5f}, {1})}}, {"loop:0", "loop:1"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<int32_t>((*r)[0]), ElementsAre(10));                  // 3 iterations
  EXPECT_THAT(Values<float>((*r)[1]), ElementsAre(12));                    // 1.5 * 2^3
  r = (*s)->Run({{"i:0", I32(12)}, {"x:0", F({1.5f}, {1})}}, {"loop:1"});  // no iteration
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(1.5));
  for (bool p : {true, false}) {
    r = (*s)->Run({{"p:0", Tensor::Scalar<bool>(p)}, {"x:0", F({3}, {1})}}, {"if:0"});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(p ? 6 : -3));
  }
  // Case: branch k; an index out of range runs the last branch, as in TF.
  for (auto [k, want] :
       {std::pair(0, -3.0f), std::pair(1, 6.0f), std::pair(7, 6.0f), std::pair(-1, 6.0f)}) {
    r = (*s)->Run({{"k:0", I32(k)}, {"x:0", F({3}, {1})}}, {"case:0"});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(want)) << "k = " << k;
  }
}

// The shape functions of the TF2 ops, as TF's: While keeps its loop variables' shapes, If and
// Case take output_shapes, ResourceGather is indices + the variable's trailing dims, and
// ParseExampleV2's dense output is the batch followed by the feature's dense shape.
constexpr char kShapeGraph[] = R"pb(
  node { name: "i" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } }
         attr { key: "shape" value { shape {} } } }
  node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "shape" value { shape { dim { size: -1 } dim { size: 4 } } } } }
  node { name: "p" op: "Placeholder" attr { key: "dtype" value { type: DT_BOOL } } }
  node {
    name: "loop" op: "StatelessWhile" input: "i" input: "x"
    attr { key: "T" value { list { type: DT_INT32 type: DT_FLOAT } } }
    attr { key: "cond" value { func { name: "Less10" } } }
    attr { key: "body" value { func { name: "Step" } } }
  }
  node {
    name: "if" op: "StatelessIf" input: "p" input: "x"
    attr { key: "Tcond" value { type: DT_BOOL } }
    attr { key: "Tin" value { list { type: DT_FLOAT } } }
    attr { key: "Tout" value { list { type: DT_FLOAT } } }
    attr { key: "then_branch" value { func { name: "DoubleF" } } }
    attr { key: "else_branch" value { func { name: "Negate" } } }
    attr { key: "output_shapes" value { list { shape { dim { size: 2 } dim { size: 4 } } } } }
  }
  node { name: "v" op: "VarHandleOp" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "shape" value { shape { dim { size: 5 } dim { size: 3 } } } } }
  node { name: "idx" op: "Placeholder" attr { key: "dtype" value { type: DT_INT64 } }
         attr { key: "shape" value { shape { dim { size: 2 } dim { size: 6 } } } } }
  node { name: "gather" op: "ResourceGather" input: "v" input: "idx"
         attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "Tindices" value { type: DT_INT64 } } }
  node { name: "ser" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } }
         attr { key: "shape" value { shape { dim { size: -1 } } } } }
  node { name: "keys" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
  node { name: "dflt" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
  node {
    name: "parse" op: "ParseExampleV2"
    input: "ser" input: "keys" input: "keys" input: "keys" input: "keys" input: "dflt"
    attr { key: "Tdense" value { list { type: DT_FLOAT } } }
    attr { key: "num_sparse" value { i: 0 } }
    attr { key: "sparse_types" value { list {} } }
    attr { key: "ragged_value_types" value { list {} } }
    attr { key: "ragged_split_types" value { list {} } }
    attr { key: "dense_shapes" value { list { shape { dim { size: 3 } } } } }
  }
)pb";

TEST(Functions, ShapeFunctionsOfTheTf2Ops) {
  auto g = Graph::FromGraphDef(
      MakeGraph({kDouble, kLess10, kStep, kNegate, kDoubleF}, kShapeGraph).SerializeAsString());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->OutputShape({"loop", 0}).DebugString(), "[]");
  EXPECT_EQ(g->OutputShape({"loop", 1}).DebugString(), "[?,4]");
  EXPECT_EQ(g->OutputShape({"if", 0}).DebugString(), "[2,4]");
  EXPECT_EQ(g->OutputShape({"gather", 0}).DebugString(), "[2,6,3]");
  EXPECT_EQ(g->OutputShape({"parse", 0}).DebugString(), "[?,3]");
}

TEST(Functions, ControlFlowErrorsAtLoad) {
  // The loop body returns (int32, int32) for loop variables (int32, float).
  auto def = MakeGraph({kDouble, kLess10, kStep, kNegate, kDoubleF}, kFlowGraph);
  auto* step = def.mutable_library()->mutable_function(2);
  step->mutable_signature()->mutable_output_arg(1)->set_type(tensorflow::DT_INT32);
  auto g = Graph::FromGraphDef(def.SerializeAsString());
  ASSERT_FALSE(g.ok());
  EXPECT_THAT(std::string(g.status().message()),
              HasSubstr("loop body 'Step' returns [int32, int32] but the loop variables are "
                        "[int32, float32]"));
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("node 'loop'"));
  // A branch naming a function the library lacks.
  def = MakeGraph({kDouble, kLess10, kStep, kDoubleF}, kFlowGraph);  // no Negate
  g = Graph::FromGraphDef(def.SerializeAsString());
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(std::string(g.status().message()), HasSubstr("'Negate'"));
}

// A dense shape whose element count overflows int64 is an error of the node, not arithmetic
// on the overflowed count.
TEST(Functions, ParseExampleRejectsOverflowingDenseShapes) {
  constexpr char kHugeParse[] = R"pb(
    node { name: "ser" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } }
           attr { key: "shape" value { shape { dim { size: -1 } } } } }
    node { name: "keys" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
           attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape { dim { size: 1 } }
                  string_val: "a" } } } }
    node { name: "none" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
           attr { key: "value" value { tensor { dtype: DT_STRING
                  tensor_shape { dim { size: 0 } } } } } }
    node { name: "dflt" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
           attr { key: "value" value { tensor { dtype: DT_FLOAT
                  tensor_shape { dim { size: 0 } } } } } }
    node {
      name: "parse" op: "ParseExampleV2"
      input: "ser" input: "none" input: "none" input: "keys" input: "none" input: "dflt"
      attr { key: "Tdense" value { list { type: DT_FLOAT } } }
      attr { key: "num_sparse" value { i: 0 } }
      attr { key: "sparse_types" value { list {} } }
      attr { key: "ragged_value_types" value { list {} } }
      attr { key: "ragged_split_types" value { list {} } }
      attr { key: "dense_shapes" value { list { shape { dim { size: 4294967296 }
                                                        dim { size: 4294967296 } } } } }
    }
  )pb";
  auto g = Graph::FromGraphDef(MakeGraph({}, kHugeParse).SerializeAsString());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto r = (*s)->Run({{"ser:0", Tensor::FromStrings({""}, TensorShape({1}))}}, {"parse:0"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("too large"));
}

}  // namespace
}  // namespace ckpt
