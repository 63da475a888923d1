#include "ckpt/metagraph/saver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/format/bundle.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/session.h"
#include "ckpt/metagraph/meta_graph.h"
#include "metagraph/test_util.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::BuildSeedForward;

struct Node {
  std::string name, op;
  std::vector<std::string> inputs;
};

std::vector<Node> SaveNodes(const Graph& g) {
  std::vector<Node> out;
  for (const auto& n : g.node_names()) {
    if (n.rfind("save/", 0) != 0) continue;
    NodeInfo info = *g.GetNode(n);
    out.push_back({info.name, info.op, info.inputs});
  }
  return out;
}

// The save/* nodes tf.compat.v1.train.Saver() adds to the seed graph (TF 2.21), ref variables.
TEST(SaverGraph, SeedRefVariablesMatchTensorFlowNodes) {
  Graph g;
  BuildSeedForward(g, /*use_resource=*/false);
  auto saver = Saver::Create(g);
  ASSERT_TRUE(saver.ok()) << saver.status().ToString();
  std::vector<Node> want = {
      {"save/filename/input", "Const", {}},
      {"save/filename", "PlaceholderWithDefault", {"save/filename/input"}},
      {"save/Const", "PlaceholderWithDefault", {"save/filename"}},
      {"save/SaveV2/tensor_names", "Const", {}},
      {"save/SaveV2/shape_and_slices", "Const", {}},
      {"save/SaveV2",
       "SaveV2",
       {"save/Const", "save/SaveV2/tensor_names", "save/SaveV2/shape_and_slices", "Variable"}},
      {"save/control_dependency", "Identity", {"save/Const", "^save/SaveV2"}},
      {"save/RestoreV2/tensor_names", "Const", {}},
      {"save/RestoreV2/shape_and_slices", "Const", {}},
      {"save/RestoreV2",
       "RestoreV2",
       {"save/Const", "save/RestoreV2/tensor_names", "save/RestoreV2/shape_and_slices"}},
      {"save/Assign", "Assign", {"Variable", "save/RestoreV2"}},
      {"save/restore_all", "NoOp", {"^save/Assign"}},
  };
  std::vector<Node> got = SaveNodes(g);
  ASSERT_EQ(got.size(), want.size()) << g.DebugString();
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].name, want[i].name);
    EXPECT_EQ(got[i].op, want[i].op) << want[i].name;
    EXPECT_EQ(got[i].inputs, want[i].inputs) << want[i].name;
  }
  auto cls = g.GetAttr("save/Assign", "_class");
  ASSERT_TRUE(cls.ok());
  EXPECT_THAT(cls->get<std::vector<std::string>>(), ElementsAre("loc:@Variable"));
  auto names = g.GetAttr("save/SaveV2/tensor_names", "value");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->get<Tensor>().strings()[0], "Variable");
  auto def_value = g.GetAttr("save/filename/input", "value");
  ASSERT_TRUE(def_value.ok());
  EXPECT_EQ(def_value->get<Tensor>().strings()[0], "model");

  const SaverDef& d = (*saver)->saver_def();
  EXPECT_EQ(d.filename_tensor_name, "save/Const:0");
  EXPECT_EQ(d.save_tensor_name, "save/control_dependency:0");
  EXPECT_EQ(d.restore_op_name, "save/restore_all");
  EXPECT_EQ(d.max_to_keep, 5);
  EXPECT_FLOAT_EQ(d.keep_checkpoint_every_n_hours, 10000.0f);
  EXPECT_EQ(d.version, SaverDef::Version::kV2);
  EXPECT_FALSE(d.sharded);
}

TEST(SaverGraph, SeedResourceVariablesMatchTensorFlowNodes) {
  Graph g;
  BuildSeedForward(g, /*use_resource=*/true);
  auto saver = Saver::Create(g);
  ASSERT_TRUE(saver.ok()) << saver.status().ToString();
  std::vector<Node> got = SaveNodes(g);
  std::vector<Node> tail = {
      {"save/Identity", "Identity", {"save/RestoreV2"}},
      {"save/AssignVariableOp", "AssignVariableOp", {"Variable", "save/Identity"}},
      {"save/restore_all", "NoOp", {"^save/AssignVariableOp"}},
  };
  ASSERT_EQ(got.size(), 13u) << g.DebugString();
  EXPECT_EQ(got[5].name, "save/SaveV2");
  EXPECT_EQ(got[5].inputs.back(), "Variable/Read/ReadVariableOp");
  for (size_t i = 0; i < tail.size(); ++i) {
    EXPECT_EQ(got[10 + i].name, tail[i].name);
    EXPECT_EQ(got[10 + i].op, tail[i].op);
    EXPECT_EQ(got[10 + i].inputs, tail[i].inputs);
  }
}

TEST(SaverGraph, SecondSaverGetsItsOwnScope) {
  Graph g;
  BuildSeedForward(g, false);
  ASSERT_TRUE(Saver::Create(g).ok());
  auto second = Saver::Create(g);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)->saver_def().filename_tensor_name, "save_1/Const:0");
  EXPECT_EQ((*second)->saver_def().restore_op_name, "save_1/restore_all");
}

TEST(SaverGraph, UnknownVarListNameIsAnError) {
  Graph g;
  BuildSeedForward(g, false);
  SaverOptions o;
  o.var_list = {"NoSuchVariable"};
  auto saver = Saver::Create(g, o);
  ASSERT_FALSE(saver.ok());
  EXPECT_THAT(std::string(saver.status().message()), HasSubstr("NoSuchVariable"));
}

class SaverRoundTrip : public ::testing::TestWithParam<bool> {};

TEST_P(SaverRoundTrip, SaveRestoreWithStepsRetentionAndMeta) {
  const bool resource = GetParam();
  Graph g;
  auto m = BuildSeedForward(g, resource);
  auto saver = Saver::Create(g);
  ASSERT_TRUE(saver.ok()) << saver.status().ToString();
  auto sess = Session::Create(&g);
  ASSERT_TRUE(sess.ok()) << sess.status().ToString();
  ASSERT_TRUE((*sess)->Run({}, {}, {m.init.name}).ok());

  testutil::TempDir tmp(resource ? "mg_res" : "mg_ref");
  const std::string dir = tmp.path();
  const std::string prefix = dir + "/checkpoint_model";
  Env* env = Env::Default();
  for (int step = 199; step <= 1399; step += 200) {
    ASSERT_TRUE(
        (*sess)
            ->SetVariable("Variable", Tensor::FromVector<float>({static_cast<float>(step)}, {1}))
            .ok());
    auto path = (*saver)->Save(**sess, prefix, step);
    ASSERT_TRUE(path.ok()) << path.status().ToString();
    EXPECT_EQ(*path, prefix + "-" + std::to_string(step));
    EXPECT_TRUE(env->FileExists(*path + ".index"));
    EXPECT_TRUE(env->FileExists(*path + ".data-00000-of-00001"));
    EXPECT_TRUE(env->FileExists(*path + ".meta"));
  }
  // max_to_keep = 5: 199 and 399 are gone, 599..1399 listed.
  EXPECT_FALSE(env->FileExists(prefix + "-199.index"));
  EXPECT_FALSE(env->FileExists(prefix + "-399.meta"));
  auto state = GetCheckpointState(env, dir);
  ASSERT_TRUE(state.ok() && state->has_value());
  EXPECT_EQ((*state)->model_checkpoint_path, prefix + "-1399");
  EXPECT_EQ((*state)->all_model_checkpoint_paths.size(), 5u);
  EXPECT_EQ((*state)->all_model_checkpoint_paths.front(), prefix + "-599");
  EXPECT_EQ((*saver)->last_checkpoints().size(), 5u);

  // The bundle holds the value under the variable's name.
  auto reader = BundleReader::Open(env, prefix + "-999");
  ASSERT_TRUE(reader.ok());
  auto stored = (*reader)->Lookup("Variable");
  ASSERT_TRUE(stored.ok());
  EXPECT_FLOAT_EQ(stored->data<float>()[0], 999.0f);

  // Restore step 999 through the graph's restore op.
  ASSERT_TRUE((*sess)->SetVariable("Variable", Tensor::FromVector<float>({-5.0f}, {1})).ok());
  Status s = (*saver)->Restore(**sess, prefix + "-999");
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto v = (*sess)->GetVariable("Variable");
  ASSERT_TRUE(v.ok());
  EXPECT_FLOAT_EQ(v->data<float>()[0], 999.0f);
  // predict = round(sigmoid(x + 999)) = 1 for x = -998.5 ... and 0 for x = -1010.
  auto y =
      (*sess)->Run({{"input:0", Tensor::FromVector<float>({-1010.0f}, {1})}}, {m.predict.name()});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_FLOAT_EQ((*y)[0].data<float>()[0], 0.0f);

  // The .meta is a MetaGraphDef with this saver_def and the predict_op collection.
  auto meta = env->ReadFileToString(prefix + "-999.meta");
  ASSERT_TRUE(meta.ok());
  auto info = InspectMetaGraph(*meta);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_TRUE(info->saver_def.has_value());
  EXPECT_EQ(info->saver_def->restore_op_name, "save/restore_all");
  EXPECT_THAT(info->collections["predict_op"], ElementsAre("Round:0"));
  EXPECT_THAT(info->collections["variables"], ElementsAre("Variable:0"));
  EXPECT_TRUE(info->unsupported_ops.empty());
}

INSTANTIATE_TEST_SUITE_P(RefAndResource, SaverRoundTrip, ::testing::Bool());

TEST(SaverErrors, RestoreMissingCheckpointAndKey) {
  Graph g;
  auto m = BuildSeedForward(g, false);
  auto saver = Saver::Create(g);
  ASSERT_TRUE(saver.ok());
  auto sess = Session::Create(&g);
  ASSERT_TRUE(sess.ok());
  testutil::TempDir tmp("mg_err");
  const std::string dir = tmp.path();
  Status s = (*saver)->Restore(**sess, dir + "/nothing-here");
  EXPECT_TRUE(IsNotFound(s)) << s.ToString();
  EXPECT_THAT(std::string(s.message()), HasSubstr("nothing-here"));

  // A checkpoint without the key "Variable".
  {
    auto w = BundleWriter::Create(Env::Default(), dir + "/other");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Add("SomethingElse", Tensor::FromVector<float>({1.0f}, {1})).ok());
    ASSERT_TRUE((*w)->Finish().ok());
  }
  s = (*saver)->Restore(**sess, dir + "/other");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("Variable"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("not found"));

  // Wrong dtype stored under the key.
  {
    auto w = BundleWriter::Create(Env::Default(), dir + "/wrongtype");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Add("Variable", Tensor::FromVector<double>({1.0}, {1})).ok());
    ASSERT_TRUE((*w)->Finish().ok());
  }
  s = (*saver)->Restore(**sess, dir + "/wrongtype");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("float64"));

  // Saving an uninitialized variable fails and writes nothing.
  auto path = (*saver)->Save(**sess, dir + "/uninit", 1);
  EXPECT_FALSE(path.ok());
  EXPECT_FALSE(Env::Default()->FileExists(dir + "/uninit-1.index"));
}

TEST(SaverVarMap, DictFormSavesUnderGivenKeys) {
  Graph g;
  auto m = BuildSeedForward(g, false);
  SaverOptions o;
  o.var_map = {{"A", "Variable"}};
  auto saver = Saver::Create(g, o);
  ASSERT_TRUE(saver.ok()) << saver.status().ToString();
  auto sess = Session::Create(&g);
  ASSERT_TRUE(sess.ok());
  ASSERT_TRUE((*sess)->SetVariable("Variable", Tensor::FromVector<float>({2.5f}, {1})).ok());
  testutil::TempDir tmp("mg_map");
  const std::string dir = tmp.path();
  SaveCallOptions co;
  co.write_meta_graph = false;
  auto path = (*saver)->Save(**sess, dir + "/m", std::nullopt, co);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, dir + "/m");
  EXPECT_FALSE(Env::Default()->FileExists(dir + "/m.meta"));
  auto reader = BundleReader::Open(Env::Default(), dir + "/m");
  ASSERT_TRUE(reader.ok());
  EXPECT_THAT((*reader)->keys(), ElementsAre("A"));
  auto latest = LatestCheckpoint(Env::Default(), dir);
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(*latest, dir + "/m");
  ASSERT_TRUE((*sess)->SetVariable("Variable", Tensor::FromVector<float>({0.0f}, {1})).ok());
  ASSERT_TRUE((*saver)->Restore(**sess, dir + "/m").ok());
  EXPECT_FLOAT_EQ((*sess)->GetVariable("Variable")->data<float>()[0], 2.5f);
}

TEST(SaverMeta, ExportedAgainOnlyWhenTheGraphChanged) {
  Graph g;
  auto m = BuildSeedForward(g, /*use_resource=*/false);
  auto saver = Saver::Create(g);
  ASSERT_TRUE(saver.ok()) << saver.status().ToString();
  auto sess = Session::Create(&g);
  ASSERT_TRUE(sess.ok());
  ASSERT_TRUE((*sess)->Run({}, {}, {m.init.name}).ok());
  testutil::TempDir tmp("mg_meta_cache");
  const std::string prefix = tmp.path() + "/model";
  Env* env = Env::Default();
  SaveCallOptions fast;
  fast.sync = false;  // TF's durability: same files, no fsync
  ASSERT_TRUE((*saver)->Save(**sess, prefix, 1, fast).ok());
  ASSERT_TRUE((*saver)->Save(**sess, prefix, 2).ok());
  EXPECT_EQ(*env->ReadFileToString(prefix + "-1.meta"), *env->ReadFileToString(prefix + "-2.meta"));
  // A collection added between saves shows in the next .meta, not in the earlier ones.
  g.AddToCollection("extra", m.predict.name());
  ASSERT_TRUE((*saver)->Save(**sess, prefix, 3).ok());
  auto before = InspectMetaGraph(*env->ReadFileToString(prefix + "-2.meta"));
  auto after = InspectMetaGraph(*env->ReadFileToString(prefix + "-3.meta"));
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(before->collections.count("extra"), 0u);
  EXPECT_THAT(after->collections["extra"], ElementsAre(m.predict.name()));
  // Unsynced saves are ordinary checkpoints: listed, restorable.
  auto state = GetCheckpointState(env, path::Dirname(prefix));
  ASSERT_TRUE(state.ok() && state->has_value());
  EXPECT_EQ((*state)->all_model_checkpoint_paths.size(), 3u);
  Status restored = (*saver)->Restore(**sess, prefix + "-1");
  EXPECT_TRUE(restored.ok()) << restored.ToString();
}

}  // namespace
}  // namespace ckpt
