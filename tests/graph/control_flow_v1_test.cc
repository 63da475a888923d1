// TF1 control flow (control flow v1): conditionals run with dead tensors (graph/deadness.h),
// while-loop frames raised into While nodes at import (graph/while_loop_raising.h). Graphs are
// written by hand the way tf.compat.v1.cond / while_loop write them; values hand-computed.
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
using testutil::I;
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
std::string ConstI(const std::string& name, int v, std::vector<std::string> controls = {}) {
  return N(name, "Const", std::move(controls),
           "attr { key: 'dtype' value { type: DT_INT32 } } attr { key: 'value' value { tensor { "
           "dtype: DT_INT32 tensor_shape {} int_val: " +
               std::to_string(v) + " } } }");
}
std::string Enter(const std::string& name, const std::string& in, const char* type,
                  const std::string& frame, bool constant = false) {
  return N(name, "Enter", {in},
           T(type) + "attr { key: 'frame_name' value { s: '" + frame + "' } }" +
               (constant ? " attr { key: 'is_constant' value { b: true } }" : ""));
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

// The loop parts of a frame: loop variables `vars` (name, type, initial value) and the
// Merge/Switch/Identity/NextIteration/Exit chain of each, named PREFIX/{enter,merge,switch,
// id,next,exit}_VAR. The body and the condition are the caller's (reading PREFIX/merge_VAR
// and PREFIX/id_VAR, writing what PREFIX/next_VAR reads: PREFIX/new_VAR).
struct Var {
  std::string name, init;
  const char* type;
};
std::string Loop(const std::string& p, const std::string& frame, const std::vector<Var>& vars,
                 const std::string& pred) {
  std::string s = N(p + "/LoopCond", "LoopCond", {pred});
  for (const auto& v : vars) {
    const std::string x = "_" + v.name;
    s += Enter(p + "/enter" + x, v.init, v.type, frame) +
         Merge(p + "/merge" + x, {p + "/enter" + x, p + "/next" + x}, v.type) +
         N(p + "/switch" + x, "Switch", {p + "/merge" + x, p + "/LoopCond"}, T(v.type)) +
         N(p + "/id" + x, "Identity", {p + "/switch" + x + ":1"}, T(v.type)) +
         N(p + "/next" + x, "NextIteration", {p + "/new" + x}, T(v.type)) +
         N(p + "/exit" + x, "Exit", {p + "/switch" + x}, T(v.type));
  }
  return s;
}

// while i < n: i += 1; s += i  (s = 1 + 2 + ... + n)
std::string SumLoop() {
  return Placeholder("n", "DT_INT32") + ConstI("zero", 0) +
         Loop("w", "w/while_context", {{"i", "zero", "DT_INT32"}, {"s", "zero", "DT_INT32"}},
              "w/Less") +
         Enter("w/n", "n", "DT_INT32", "w/while_context", /*constant=*/true) +
         N("w/Less", "Less", {"w/merge_i", "w/n"}, T("DT_INT32")) +
         ConstI("w/one", 1, {"^w/id_i"}) +
         N("w/new_i", "AddV2", {"w/id_i", "w/one"}, T("DT_INT32")) +
         N("w/new_s", "AddV2", {"w/id_s", "w/new_i"}, T("DT_INT32")) +
         N("result", "Mul", {"w/exit_s", "w/exit_i"}, T("DT_INT32"));
}

TEST(ControlFlowV1, WhileLoopSumsOneToN) {
  auto g = Import(SumLoop());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  // The frame became a While; its Exits are Identities of the While's outputs.
  EXPECT_EQ(*g->OpType("w/while_context"), "While");
  EXPECT_EQ(*g->OpType("w/exit_s"), "Identity");
  EXPECT_FALSE(g->HasNode("w/merge_i"));
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int n : {0, 1, 4, 100}) {
    auto r = (*s)->Run({{"n:0", I({n}, {})}}, {"w/exit_s:0", "w/exit_i:0", "result:0"});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_THAT(Values<int32_t>((*r)[0]), ElementsAre(n * (n + 1) / 2)) << n;
    EXPECT_THAT(Values<int32_t>((*r)[1]), ElementsAre(n));
    EXPECT_THAT(Values<int32_t>((*r)[2]), ElementsAre(n * n * (n + 1) / 2));
  }
}

TEST(ControlFlowV1, NestedWhileLoops) {
  // for i in range(n): t = inner(t, i) where inner: for j in range(i): u += 1.
  // t = 0 + 1 + ... + (n - 1).
  const std::string text =
      Placeholder("n", "DT_INT32") + ConstI("zero", 0) +
      Loop("o", "outer", {{"i", "zero", "DT_INT32"}, {"t", "zero", "DT_INT32"}}, "o/Less") +
      Enter("o/n", "n", "DT_INT32", "outer", true) +
      N("o/Less", "Less", {"o/merge_i", "o/n"}, T("DT_INT32")) +
      // the inner loop, entered from the outer body
      ConstI("o/zero", 0, {"^o/id_i"}) +
      Loop("o/in", "outer/inner", {{"j", "o/zero", "DT_INT32"}, {"u", "o/id_t", "DT_INT32"}},
           "o/in/Less") +
      Enter("o/in/lim", "o/id_i", "DT_INT32", "outer/inner", true) +
      N("o/in/Less", "Less", {"o/in/merge_j", "o/in/lim"}, T("DT_INT32")) +
      ConstI("o/in/one", 1, {"^o/in/id_j"}) +
      N("o/in/new_j", "AddV2", {"o/in/id_j", "o/in/one"}, T("DT_INT32")) +
      N("o/in/new_u", "AddV2", {"o/in/id_u", "o/in/one"}, T("DT_INT32")) +
      ConstI("o/one", 1, {"^o/id_i"}) + N("o/new_i", "AddV2", {"o/id_i", "o/one"}, T("DT_INT32")) +
      N("o/new_t", "Identity", {"o/in/exit_u"}, T("DT_INT32"));
  auto g = Import(text);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(*g->OpType("outer"), "While");
  EXPECT_FALSE(g->HasNode("outer/inner"));  // inside the outer body's function
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int n : {0, 1, 5, 20}) {
    auto r = (*s)->Run({{"n:0", I({n}, {})}}, {"o/exit_t:0"});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_THAT(Values<int32_t>((*r)[0]), ElementsAre(n * (n - 1) / 2)) << n;
  }
}

TEST(ControlFlowV1, CondInsideLoopBody) {
  // while i < n: s += 10 if i < 2 else 1; i += 1
  const std::string text =
      Placeholder("n", "DT_INT32") + ConstI("zero", 0) +
      Loop("w", "w", {{"i", "zero", "DT_INT32"}, {"s", "zero", "DT_INT32"}}, "w/Less") +
      Enter("w/n", "n", "DT_INT32", "w", true) +
      N("w/Less", "Less", {"w/merge_i", "w/n"}, T("DT_INT32")) + ConstI("w/one", 1, {"^w/id_i"}) +
      N("w/new_i", "AddV2", {"w/id_i", "w/one"}, T("DT_INT32")) + ConstI("w/two", 2, {"^w/id_i"}) +
      N("w/small", "Less", {"w/id_i", "w/two"}, T("DT_INT32")) +
      N("w/c/Switch", "Switch", {"w/small", "w/small"}, T("DT_BOOL")) +
      N("w/c/switch_t", "Identity", {"w/c/Switch:1"}, T("DT_BOOL")) +
      N("w/c/switch_f", "Identity", {"w/c/Switch"}, T("DT_BOOL")) +
      N("w/c/s", "Switch", {"w/id_s", "w/small"}, T("DT_INT32")) +
      ConstI("w/c/ten", 10, {"^w/c/switch_t"}) + ConstI("w/c/one", 1, {"^w/c/switch_f"}) +
      N("w/c/a", "AddV2", {"w/c/s:1", "w/c/ten"}, T("DT_INT32")) +
      N("w/c/b", "AddV2", {"w/c/s", "w/c/one"}, T("DT_INT32")) +
      Merge("w/c/Merge", {"w/c/a", "w/c/b"}, "DT_INT32") +
      N("w/new_s", "Identity", {"w/c/Merge"}, T("DT_INT32"));
  auto g = Import(text);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (auto [n, want] : {std::pair(0, 0), std::pair(1, 10), std::pair(4, 22), std::pair(6, 24)}) {
    auto r = (*s)->Run({{"n:0", I({n}, {})}}, {"w/exit_s:0"});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_THAT(Values<int32_t>((*r)[0]), ElementsAre(want)) << n;
  }
}

TEST(ControlFlowV1, LoopInsideCondBranch) {
  // cond(p, sum 1..n, -1): the raised While sits on the true branch and is dead otherwise.
  std::string text = SumLoop();
  // Enter the loop from the Switch's true output instead of zero / n directly.
  text += Placeholder("p", "DT_BOOL") + N("cs", "Switch", {"n", "p"}, T("DT_INT32")) +
          N("cs_f", "Identity", {"cs"}, T("DT_INT32")) + ConstI("minus", -1, {"^cs_f"}) +
          Merge("cm", {"w/exit_s", "minus"}, "DT_INT32");
  auto replace = [&](const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
  };
  replace("name: 'w/n' op: 'Enter' input: 'n'", "name: 'w/n' op: 'Enter' input: 'cs:1'");
  auto g = Import(text);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok());
  auto r = (*s)->Run({{"n:0", I({3}, {})}, {"p:0", B(true)}}, {"cm:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<int32_t>((*r)[0]), ElementsAre(6));
  r = (*s)->Run({{"n:0", I({3}, {})}, {"p:0", B(false)}}, {"cm:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<int32_t>((*r)[0]), ElementsAre(-1));
}

void ExpectImportError(const std::string& text, std::vector<std::string> parts) {
  auto g = Import(text);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument) << g.status().ToString();
  for (const auto& p : parts) EXPECT_THAT(std::string(g.status().message()), HasSubstr(p));
}

TEST(ControlFlowV1, MalformedFramesAreRejectedAtImport) {
  std::string text = SumLoop();
  auto with = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  // An Exit outside any loop.
  ExpectImportError(text + N("stray", "Exit", {"zero"}, T("DT_INT32")),
                    {"node 'stray' (Exit) is outside any while loop"});
  // An Exit that reads a loop Merge, not its Switch.
  ExpectImportError(with("name: 'w/exit_i' op: 'Exit' input: 'w/switch_i'",
                         "name: 'w/exit_i' op: 'Exit' input: 'w/merge_i'"),
                    {"node 'w/exit_i' (Exit) leaves while-loop frame 'w/while_context'",
                     "expected it to read output 0 of a Switch on LoopCond 'w/LoopCond'"});
  // A loop Merge without its NextIteration.
  ExpectImportError(
      with("input: 'w/enter_i' input: 'w/next_i'", "input: 'w/enter_i' input: 'w/enter_i'"),
      {"node 'w/merge_i' (Merge)", "has no NextIteration input"});
  // A body node reading a value from outside the frame without an Enter.
  ExpectImportError(with("input: 'w/id_s' input: 'w/new_i'", "input: 'w/id_s' input: 'zero'"),
                    {"node 'w/new_s' (AddV2) has inputs from different frames",
                     "while-loop frame 'w/while_context'", "the root frame"});
  // Two loops sharing a frame name, entered from different frames.
  ExpectImportError(
      text + Enter("other", "w/id_i", "DT_INT32", "w/while_context"),
      {"node 'other' (Enter) enters while-loop frame 'w/while_context'", "mismatched frame names"});
  // No LoopCond.
  ExpectImportError(
      with("op: 'LoopCond' input: 'w/Less'", "op: 'Identity' input: 'w/Less' " + T("DT_BOOL")),
      {"while-loop frame 'w/while_context' has 0 LoopCond nodes"});
  // A body reading the loop's Switch output 0.
  ExpectImportError(
      with("input: 'w/id_s' input: 'w/new_i'", "input: 'w/switch_s' input: 'w/new_i'"),
      {"node 'w/new_s' (AddV2)", "reads 'w/switch_s', output 0 of a loop Switch"});
  // A NextIteration outside any frame.
  ExpectImportError(text + N("stray", "NextIteration", {"zero"}, T("DT_INT32")),
                    {"node 'stray' (NextIteration) is outside any while loop"});
}

}  // namespace
}  // namespace ckpt
