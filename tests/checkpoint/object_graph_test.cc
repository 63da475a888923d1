// TF2 object graphs (ckpt/checkpoint/object_graph.h): every path to every value, slot
// variables under each path of their variable, cycles, and malformed graphs. A Keras model's
// checkpoint is compared with TensorFlow's own proto in tests/python/test_tf2_savedmodel.py.
#include "ckpt/checkpoint/object_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tensorflow/core/protobuf/trackable_object_graph.pb.h"

namespace ckpt {
namespace {

using ::testing::HasSubstr;

// root -> model -> kernel (a variable), root -> optimizer -> var0 (the same variable), the
// optimizer's slot "m" of it, and model -> root (a cycle).
tensorflow::TrackableObjectGraph HandBuilt() {
  tensorflow::TrackableObjectGraph g;
  for (int i = 0; i < 5; ++i) g.add_nodes();
  auto child = [&](int from, int to, const char* name) {
    auto* c = g.mutable_nodes(from)->add_children();
    c->set_node_id(to);
    c->set_local_name(name);
  };
  child(0, 1, "model");
  child(0, 3, "optimizer");
  child(1, 2, "kernel");
  child(1, 0, "root");
  child(3, 2, "var0");
  auto* a = g.mutable_nodes(2)->add_attributes();
  a->set_name("VARIABLE_VALUE");
  a->set_checkpoint_key("model/kernel/.ATTRIBUTES/VARIABLE_VALUE");
  auto* s = g.mutable_nodes(3)->add_slot_variables();
  s->set_original_variable_node_id(2);
  s->set_slot_name("m");
  s->set_slot_variable_node_id(4);
  auto* sa = g.mutable_nodes(4)->add_attributes();
  sa->set_name("VARIABLE_VALUE");
  sa->set_checkpoint_key("model/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE");
  auto* table = g.mutable_nodes(1)->add_attributes();  // a non-variable value of the model
  table->set_name("table-keys");
  table->set_checkpoint_key("model/.ATTRIBUTES/table-keys");
  return g;
}

StatusOr<std::vector<CheckpointObject>> Parse(const tensorflow::TrackableObjectGraph& g) {
  return ParseObjectGraph(Tensor::StringScalar(g.SerializeAsString()), "/ckpt/x");
}

TEST(ObjectGraph, EveryPathToEveryValue) {
  auto objects = Parse(HandBuilt());
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& o : *objects) got.emplace_back(o.path, o.key);
  const std::string kernel = "model/kernel/.ATTRIBUTES/VARIABLE_VALUE";
  const std::string m = "model/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE";
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                     {"model/.ATTRIBUTES/table-keys", "model/.ATTRIBUTES/table-keys"},
                     {"model/kernel", kernel},
                     {"model/kernel/.OPTIMIZER_SLOT/optimizer/m", m},
                     {"optimizer/var0", kernel},
                     {"optimizer/var0/.OPTIMIZER_SLOT/optimizer/m", m}}));
  EXPECT_EQ((*objects)[1].attribute, "VARIABLE_VALUE");
  EXPECT_EQ((*objects)[0].attribute, "table-keys");
}

TEST(ObjectGraph, MalformedGraphsAreDataLoss) {
  auto bad = HandBuilt();
  bad.mutable_nodes(1)->mutable_children(0)->set_node_id(9);
  auto r = Parse(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("node 1 refers to node 9 of 5"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("/ckpt/x"));

  auto slot = HandBuilt();
  slot.mutable_nodes(3)->mutable_slot_variables(0)->set_slot_variable_node_id(-1);
  EXPECT_EQ(Parse(slot).status().code(), StatusCode::kDataLoss);

  r = ParseObjectGraph(Tensor::StringScalar("\xff\xff\xff not a proto"), "/ckpt/x");
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  r = ParseObjectGraph(Tensor::FromVector<float>({1}, TensorShape({1})), "/ckpt/x");
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("not a string scalar"));
}

TEST(ObjectGraph, ExponentiallyManyPathsAreRefused) {
  // A ladder of 40 diamonds: 2^40 paths to its last node.
  tensorflow::TrackableObjectGraph g;
  const int n = 2 * 40 + 1;
  for (int i = 0; i < n; ++i) g.add_nodes();
  for (int i = 0; i + 2 < n; i += 2) {
    for (int j : {1, 2}) {
      auto* c = g.mutable_nodes(i)->add_children();
      c->set_node_id(i + j);
      c->set_local_name("a" + std::to_string(j));
      auto* d = g.mutable_nodes(i + j)->add_children();
      d->set_node_id(i + 2);
      d->set_local_name("b");
    }
  }
  auto* a = g.mutable_nodes(n - 1)->add_attributes();
  a->set_name("VARIABLE_VALUE");
  a->set_checkpoint_key("k");
  auto r = Parse(g);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("object paths"));
}

}  // namespace
}  // namespace ckpt
