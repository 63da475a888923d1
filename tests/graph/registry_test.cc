// Registry consistency: every registered op has an OpDef with a shape function and a CPU
// kernel, and every kernel an OpDef (gradients_registry_test.cc requires a gradient decision).
#include "graph/kernel.h"
#include "graph/op_registry.h"
#include "graph/test_util.h"

namespace ckpt {
namespace {

TEST(Registry, EveryOpHasAKernelAndEveryKernelAnOp) {
  const auto ops = OpRegistry::Global().ListOps();
  ASSERT_GT(ops.size(), 80u);
  for (const auto& op : ops) {
    EXPECT_NE(KernelRegistry::Global().Find(op), nullptr) << "op " << op << " has no kernel";
  }
  for (const auto& k : KernelRegistry::Global().ListOps()) {
    EXPECT_NE(OpRegistry::Global().Find(k), nullptr) << "kernel " << k << " has no OpDef";
  }
}

TEST(Registry, EveryOpHasAShapeFunction) {
  for (const auto& op : OpRegistry::Global().ListOps()) {
    EXPECT_NE(OpRegistry::Global().FindShapeFn(op), nullptr) << "op " << op << " has no shape fn";
  }
}

TEST(Registry, OpWithoutShapeFunctionIsRejected) {
  OpRegistry r;
  tensorflow::OpDef def;
  def.set_name("Foo");
  EXPECT_EQ(r.Register(def, nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(r.Register(def, shape_fn::Unknown).ok());
  EXPECT_EQ(r.FindShapeFn("Foo"), &shape_fn::Unknown);
  EXPECT_EQ(r.Register(def, shape_fn::Unknown).code(), StatusCode::kAlreadyExists);
}

TEST(Registry, OpDefsCarryTfDefaults) {
  const tensorflow::OpDef* mm = OpRegistry::Global().Find("MatMul");
  ASSERT_NE(mm, nullptr);
  bool found = false;
  for (const auto& a : mm->attr()) {
    if (a.name() == "transpose_a") {
      found = true;
      EXPECT_FALSE(a.default_value().b());
    }
  }
  EXPECT_TRUE(found);
  auto bytes = GetOpDef("VariableV2");
  ASSERT_TRUE(bytes.ok());
  tensorflow::OpDef def;
  ASSERT_TRUE(def.ParseFromString(*bytes));
  EXPECT_TRUE(def.is_stateful());
  EXPECT_TRUE(def.output_arg(0).is_ref());
  EXPECT_EQ(GetOpDef("Nope").status().code(), StatusCode::kNotFound);
  auto names = RegisteredOps();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

}  // namespace
}  // namespace ckpt
