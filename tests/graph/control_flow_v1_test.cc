// TF1 control flow (control flow v1): conditionals run with dead tensors (graph/deadness.h).
// Graphs are written by hand the way tf.compat.v1.cond writes them; values hand-computed.
#include <google/protobuf/text_format.h>

#include <string>
#include <vector>

#include "ckpt/graph/graph_def.h"
#include "ckpt/graph/session.h"
#include "graph/test_util.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::F;
using testutil::Values;

// One NodeDef in text form: `attrs` is extra text ("T" attrs come from T()).
std::string N(const std::string& name, const std::string& op, std::vector<std::string> inputs,
              const std::string& attrs = "") {
  std::string s = "node { name: '" + name + "' op: '" + op + "' ";
  for (const auto& in : inputs) s += "input: '" + in + "' ";
  return s + attrs + " }\n";
}
std::string T(const char* type) {
  return std::string("attr { key: 'T' value { type: ") + type + " } } ";
}
std::string Placeholder(const std::string& name, const char* type) {
  return N(name, "Placeholder", {},
           std::string("attr { key: 'dtype' value { type: ") + type + " } }");
}
std::string ConstF(const std::string& name, float v, std::vector<std::string> controls = {}) {
  return N(name, "Const", std::move(controls),
           "attr { key: 'dtype' value { type: DT_FLOAT } } attr { key: 'value' value { tensor { "
           "dtype: DT_FLOAT tensor_shape {} float_val: " +
               std::to_string(v) + " } } }");
}
std::string Merge(const std::string& name, std::vector<std::string> in, const char* type) {
  return N(name, "Merge", in,
           T(type) + "attr { key: 'N' value { i: " + std::to_string(in.size()) + " } }");
}

StatusOr<Graph> Import(const std::string& text) {
  tensorflow::GraphDef def;
  if (!google::protobuf::TextFormat::ParseFromString(text, &def)) {
    return InvalidArgumentError("test graph does not parse");
  }
  return Graph::FromGraphDef(def.SerializeAsString());
}

// cond(p, x + 10, x - 20) as tf.compat.v1.cond writes it: pivots are Identities of the
// predicate's Switch, branch constants hang on them by control edges.
std::string CondGraph() {
  return Placeholder("x", "DT_FLOAT") + Placeholder("p", "DT_BOOL") +
         N("c/Switch", "Switch", {"p", "p"}, T("DT_BOOL")) +
         N("c/switch_t", "Identity", {"c/Switch:1"}, T("DT_BOOL")) +
         N("c/switch_f", "Identity", {"c/Switch"}, T("DT_BOOL")) +
         N("c/pred_id", "Identity", {"p"}, T("DT_BOOL")) +
         N("c/x/Switch", "Switch", {"x", "c/pred_id"}, T("DT_FLOAT")) +
         ConstF("c/ten", 10, {"^c/switch_t"}) + ConstF("c/twenty", 20, {"^c/switch_f"}) +
         N("c/then", "AddV2", {"c/x/Switch:1", "c/ten"}, T("DT_FLOAT")) +
         N("c/else", "Sub", {"c/x/Switch", "c/twenty"}, T("DT_FLOAT")) +
         Merge("c/Merge", {"c/then", "c/else"}, "DT_FLOAT") +
         N("out", "Mul", {"c/Merge", "c/Merge"}, T("DT_FLOAT"));
}

Tensor B(bool b) {
  Tensor t(DataType::kBool, TensorShape({}));
  t.data<bool>()[0] = b;
  return t;
}

TEST(ControlFlowV1, CondRunsTheTakenBranch) {
  auto g = Import(CondGraph());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto r = (*s)->Run({{"x:0", F({1}, {})}, {"p:0", B(true)}}, {"c/Merge:0", "c/Merge:1", "out:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(11));
  EXPECT_THAT(Values<int32_t>((*r)[1]), ElementsAre(0));  // value_index: the first input
  EXPECT_THAT(Values<float>((*r)[2]), ElementsAre(121));
  r = (*s)->Run({{"x:0", F({1}, {})}, {"p:0", B(false)}}, {"c/Merge:0", "c/Merge:1", "out:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(-19));
  EXPECT_THAT(Values<int32_t>((*r)[1]), ElementsAre(1));
  EXPECT_THAT(Values<float>((*r)[2]), ElementsAre(361));
  // The same plan again, the other way (dead bits are rewritten every run).
  r = (*s)->Run({{"x:0", F({2}, {})}, {"p:0", B(true)}}, {"c/Merge:0", "c/Merge:1", "out:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(12));
}

TEST(ControlFlowV1, FetchingADeadTensorNamesIt) {
  auto g = Import(CondGraph());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok());
  auto r = (*s)->Run({{"x:0", F({1}, {})}, {"p:0", B(false)}}, {"c/then:0"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("fetch 'c/then:0' has no value"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("node 'c/then' did not run"));
  // The live branch's tensor is fine, and so is the dead one fetched through an Identity
  // that was elided (the pivot), when its branch is taken.
  r = (*s)->Run({{"x:0", F({1}, {})}, {"p:0", B(true)}}, {"c/then:0", "c/switch_t:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<float>((*r)[0]), ElementsAre(11));
  r = (*s)->Run({{"x:0", F({1}, {})}, {"p:0", B(true)}}, {"c/switch_f:0"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("'c/switch_f'"));
  // A dead target does not run and is no error (TF's behaviour).
  CKPT_ASSERT_OK((*s)->Run({{"x:0", F({1}, {})}, {"p:0", B(false)}}, {}, {"c/then"}).status());
}

TEST(ControlFlowV1, NestedCond) {
  // cond(p, cond(q, x + 1, -x), x - 5)
  const std::string text =
      Placeholder("x", "DT_FLOAT") + Placeholder("p", "DT_BOOL") + Placeholder("q", "DT_BOOL") +
      N("sw", "Switch", {"x", "p"}, T("DT_FLOAT")) + N("q_sw", "Switch", {"q", "p"}, T("DT_BOOL")) +
      N("sw2", "Switch", {"sw:1", "q_sw:1"}, T("DT_FLOAT")) +
      N("piv2", "Identity", {"sw2:1"}, T("DT_FLOAT")) + ConstF("one", 1, {"^piv2"}) +
      N("a", "AddV2", {"sw2:1", "one"}, T("DT_FLOAT")) + N("b", "Neg", {"sw2"}, T("DT_FLOAT")) +
      Merge("m2", {"a", "b"}, "DT_FLOAT") + N("piv", "Identity", {"sw"}, T("DT_FLOAT")) +
      ConstF("five", 5, {"^piv"}) + N("e", "Sub", {"sw", "five"}, T("DT_FLOAT")) +
      Merge("m", {"m2", "e"}, "DT_FLOAT");
  auto g = Import(text);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok());
  auto run = [&](bool p, bool q) {
    auto r = (*s)->Run({{"x:0", F({3}, {})}, {"p:0", B(p)}, {"q:0", B(q)}}, {"m:0", "m:1"});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::pair(Values<float>((*r)[0])[0], Values<int32_t>((*r)[1])[0]);
  };
  EXPECT_EQ(run(true, true), std::pair(4.0f, 0));
  EXPECT_EQ(run(true, false), std::pair(-3.0f, 0));
  EXPECT_EQ(run(false, true), std::pair(-2.0f, 1));  // the inner Merge is dead: all inputs are
  EXPECT_EQ(run(false, false), std::pair(-2.0f, 1));
}

}  // namespace
}  // namespace ckpt
