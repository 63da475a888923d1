// Every TF-written graph under ../shared/fixtures/tf: its MetaGraphDef is read and matches
// EXPECTED.json; graphs whose ops all run here import, restore their checkpoint through their
// own Saver subgraph and give the stored values; the others fail import with one error naming
// exactly their unsupported ops.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "ckpt/core/env.h"
#include "ckpt/graph/session.h"
#include "ckpt/metagraph/meta_graph.h"
#include "ckpt/metagraph/saved_model.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"
#include "testutil/temp_dir.h"

namespace ckpt {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

std::string FixtureRoot() { return std::string(CKPT_SOURCE_DIR) + "/../shared/fixtures/tf"; }

struct GraphFixture {
  std::string dir;
  std::string graph_file;  // relative to dir
  bool saved_model = false;
  std::string prefix;    // checkpoint prefix relative to dir ("" = none)
  std::string ckpt_key;  // EXPECTED.json entry of the checkpoint
  // Exactly the ops expected to be unsupported (checked when `known_unsupported`).
  std::set<std::string> unsupported;
  // true: the graph must import, restore and run; false: `unsupported` (or, when empty, the
  // ops InspectMetaGraph reports) must be named by the import error.
  bool must_run = false;
};

const std::vector<GraphFixture>& Fixtures() {
  static const auto* f = new std::vector<GraphFixture>{
      {"tf1_saver_v2_regression", "model.meta", false, "model", "model.index", {}, true},
      {"tf1_savedmodel_rust_regression",
       "saved_model.pb",
       true,
       "variables/variables",
       "variables/variables.index",
       {},
       true},
      {"tf1_savedmodel_half_plus_two",
       "saved_model.pb",
       true,
       "variables/variables",
       "variables/variables.index",
       {},
       true},
      {"v1_plain_bad_half_plus_two", "export.meta", false, "export", "export", {}, true},
      {"v1_sharded_session_bundle",
       "export.meta",
       false,
       "export-?????-of-00001",
       "export-00000-of-00001",
       {},
       true},
      {"tf1_estimator_ckpt_tfx",
       "model.ckpt-1000.meta",
       false,
       "model.ckpt-1000",
       "model.ckpt-1000.index",
       {}},
      {"tf2_savedmodel_half_plus_two",
       "saved_model.pb",
       true,
       "variables/variables",
       "variables/variables.index",
       {},
       true},
      {"tf2_savedmodel_stale_shards",
       "saved_model.pb",
       true,
       "variables/variables",
       "variables/variables.index",
       {},
       true},
  };
  return *f;
}

StatusOr<json> LoadExpected(const std::string& dir) {
  CKPT_ASSIGN_OR_RETURN(std::string text, Env::Default()->ReadFileToString(dir + "/EXPECTED.json"));
  return json::parse(text);
}

// The MetaGraphDef bytes of a fixture (the first meta graph of a SavedModel).
StatusOr<std::string> MetaGraphBytes(const GraphFixture& f) {
  CKPT_ASSIGN_OR_RETURN(std::string bytes, Env::Default()->ReadFileToString(
                                               FixtureRoot() + "/" + f.dir + "/" + f.graph_file));
  if (!f.saved_model) return bytes;
  tensorflow::SavedModel sm;
  if (!sm.ParseFromString(bytes) || sm.meta_graphs_size() == 0) {
    return DataLossError("bad SavedModel " + f.dir);
  }
  return sm.meta_graphs(0).SerializeAsString();
}

class FixtureGraphs : public ::testing::TestWithParam<GraphFixture> {
 protected:
  void SetUp() override {
    if (!Env::Default()->IsDirectory(FixtureRoot())) {
      GTEST_SKIP() << "TF fixtures not found at " << FixtureRoot()
                   << " (they live beside the repository, in shared/fixtures/tf)";
    }
  }
};

TEST_P(FixtureGraphs, InspectMatchesExpected) {
  const GraphFixture& f = GetParam();
  auto expected_all = LoadExpected(FixtureRoot() + "/" + f.dir);
  ASSERT_TRUE(expected_all.ok());
  json e = (*expected_all)[f.graph_file];
  if (f.saved_model) e = e["meta_graphs"][0];
  auto bytes = MetaGraphBytes(f);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto info = InspectMetaGraph(*bytes);
  ASSERT_TRUE(info.ok()) << info.status().ToString();

  EXPECT_EQ(info->num_nodes, e["num_nodes"].get<int>());
  EXPECT_EQ(info->graph_producer, e["graph_versions"]["producer"].get<int>());
  if (e["tensorflow_version"].is_string()) {
    EXPECT_EQ(info->tensorflow_version, e["tensorflow_version"].get<std::string>());
  }
  // The node ops are the ops of the stripped op list.
  std::set<std::string> ops;
  for (const auto& [op, n] : info->op_counts) ops.insert(op);
  std::set<std::string> stripped;
  for (const auto& op : e["stripped_op_list"]) stripped.insert(op.get<std::string>());
  if (info->num_functions == 0) {
    EXPECT_EQ(ops, stripped);
  } else {  // the stripped list also covers the ops of the function library
    for (const auto& op : ops) EXPECT_TRUE(stripped.count(op)) << op;
  }
  if (e["tags"].is_array()) {
    std::vector<std::string> tags;
    for (const auto& t : e["tags"]) tags.push_back(t.get<std::string>());
    EXPECT_EQ(info->tags, tags);
  }
  if (e["saver_def"].is_object()) {
    ASSERT_TRUE(info->saver_def.has_value());
    const json& s = e["saver_def"];
    EXPECT_EQ(info->saver_def->filename_tensor_name, s.value("filename_tensor_name", ""));
    EXPECT_EQ(info->saver_def->save_tensor_name, s.value("save_tensor_name", ""));
    EXPECT_EQ(info->saver_def->restore_op_name, s.value("restore_op_name", ""));
    EXPECT_EQ(info->saver_def->max_to_keep, s.value("max_to_keep", 0));
    EXPECT_EQ(info->saver_def->sharded, s.value("sharded", 0) != 0);
    EXPECT_EQ(static_cast<int>(info->saver_def->version), s.value("version", 0));
  }
  if (e["collections"].is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : e["collections"].items()) keys.insert(k);
    std::set<std::string> got;
    for (const auto& [k, v] : info->collections) got.insert(k);
    EXPECT_EQ(got, keys);
    for (const auto& [k, v] : e["collections"].items()) {
      if (v.contains("node_list")) {
        std::vector<std::string> want;
        for (const auto& x : v["node_list"]) want.push_back(x.get<std::string>());
        EXPECT_EQ(info->collections[k], want) << k;
      }
    }
  }
  if (e["signatures"].is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : e["signatures"].items()) {
      keys.insert(k);
      ASSERT_TRUE(info->signatures.count(k)) << k;
      const Signature& sig = info->signatures[k];
      if (v["method_name"].is_string()) {
        EXPECT_EQ(sig.method_name, v["method_name"].get<std::string>());
      }
      for (const auto& [ik, iv] : v["inputs"].items()) {
        ASSERT_TRUE(sig.inputs.count(ik)) << k << " input " << ik;
        if (iv["name"].is_string()) EXPECT_EQ(sig.inputs.at(ik).name, iv["name"]);
      }
      for (const auto& [ok, ov] : v["outputs"].items()) {
        ASSERT_TRUE(sig.outputs.count(ok)) << k << " output " << ok;
        if (ov["name"].is_string()) EXPECT_EQ(sig.outputs.at(ok).name, ov["name"]);
      }
    }
    std::set<std::string> got;
    for (const auto& [k, v] : info->signatures) got.insert(k);
    EXPECT_EQ(got, keys);
  }
}

// Float entries of the checkpoint, from EXPECTED.json: key -> first values.
std::map<std::string, std::vector<double>> ExpectedFloats(const json& ckpt) {
  std::map<std::string, std::vector<double>> out;
  if (ckpt.contains("entries")) {
    for (const auto& en : ckpt["entries"]) {
      if (en["dtype"] == "DT_FLOAT" && en.contains("first_values")) {
        out[en["key"].get<std::string>()] = en["first_values"].get<std::vector<double>>();
      }
    }
  } else if (ckpt.contains("records")) {
    for (const auto& r : ckpt["records"]) {
      if (r["data"].contains("float_val")) {
        out[r["name"].get<std::string>()] = r["data"]["float_val"].get<std::vector<double>>();
      }
    }
  }
  return out;
}

TEST_P(FixtureGraphs, ImportsRestoresOrNamesEveryUnsupportedOp) {
  const GraphFixture& f = GetParam();
  auto bytes = MetaGraphBytes(f);
  ASSERT_TRUE(bytes.ok());
  auto info = InspectMetaGraph(*bytes);
  ASSERT_TRUE(info.ok());
  auto imported = ImportMetaGraphFromBytes(*bytes);
  if (f.must_run) {
    EXPECT_TRUE(info->unsupported_ops.empty());
  }
  if (!f.must_run) {
    ASSERT_FALSE(info->unsupported_ops.empty());
    // Graphs with ops this runtime lacks (Estimator input pipelines) or V1 save ops: one
    // error at import naming every unsupported op.
    ASSERT_FALSE(imported.ok());
    EXPECT_EQ(imported.status().code(), StatusCode::kUnimplemented);
    for (const auto& op : info->unsupported_ops) {
      EXPECT_THAT(std::string(imported.status().message()), HasSubstr(op));
    }
    if (!f.unsupported.empty()) {
      EXPECT_EQ(std::set<std::string>(info->unsupported_ops.begin(), info->unsupported_ops.end()),
                f.unsupported);
    }
    return;
  }
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  ASSERT_NE(imported->saver, nullptr);
  auto sess = Session::Create(imported->graph.get());
  ASSERT_TRUE(sess.ok()) << sess.status().ToString();
  const std::string dir = FixtureRoot() + "/" + f.dir;
  Status s = imported->saver->Restore(**sess, dir + "/" + f.prefix);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto expected_all = LoadExpected(dir);
  ASSERT_TRUE(expected_all.ok());
  auto floats = ExpectedFloats((*expected_all)[f.ckpt_key]);
  ASSERT_FALSE(floats.empty());
  // Object-based checkpoints (TF2) key variables by object path; the object graph gives the
  // variable's name, which is its VarHandleOp's node name.
  std::map<std::string, std::string> node_of_key;
  const json& objects = (*expected_all)[f.ckpt_key]["object_graph"];
  if (objects.is_object()) {
    for (const auto& a : objects["attributes"]) node_of_key[a["checkpoint_key"]] = a["full_name"];
  }
  int checked = 0;
  for (const auto& [ckpt_key, values] : floats) {
    const std::string key = node_of_key.count(ckpt_key) ? node_of_key[ckpt_key] : ckpt_key;
    if (!imported->graph->HasNode(key)) continue;
    auto v = (*sess)->GetVariable(key);
    ASSERT_TRUE(v.ok()) << key << ": " << v.status().ToString();
    ASSERT_GE(v->num_elements(), static_cast<int64_t>(values.size()));
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_FLOAT_EQ(v->data<float>()[i], static_cast<float>(values[i])) << key;
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

INSTANTIATE_TEST_SUITE_P(TF, FixtureGraphs, ::testing::ValuesIn(Fixtures()),
                         [](const auto& info) { return info.param.dir; });

// tf1_saver_v2_regression: linear regression y = W * X + b trained by TF 1.11. Running its
// prediction after the restore gives W * x + b, and its train_op keeps training.
TEST(FixtureRegression, PredictsAndKeepsTraining) {
  const std::string dir = FixtureRoot() + "/tf1_saver_v2_regression";
  if (!Env::Default()->IsDirectory(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  auto m = LoadModel(Env::Default(), dir);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->checkpoint_prefix, dir + "/model");
  const float w = 0.21396178f, b = 1.0495254f;
  EXPECT_FLOAT_EQ((*m)->session->GetVariable("W")->data<float>()[0], w);
  EXPECT_FLOAT_EQ((*m)->session->GetVariable("b")->data<float>()[0], b);
  auto graph_ops = (*m)->graph->GetCollection(kTrainOp);
  ASSERT_EQ(graph_ops.size(), 1u);
  EXPECT_EQ(graph_ops[0], "GradientDescent");
  // One training step on X = [1, 2], Y = [3, 5] moves W and b.
  Session::FeedList feeds = {{"X:0", Tensor::FromVector<float>({1.0f, 2.0f}, {2})},
                             {"Y:0", Tensor::FromVector<float>({3.0f, 5.0f}, {2})}};
  auto r = (*m)->session->Run(feeds, {}, {"GradientDescent"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE((*m)->session->GetVariable("W")->data<float>()[0], w);
  EXPECT_NE((*m)->session->GetVariable("b")->data<float>()[0], b);
}

TEST(FixtureSavedModel, RustRegressionLoadsByTags) {
  const std::string dir = FixtureRoot() + "/tf1_savedmodel_rust_regression";
  if (!Env::Default()->IsDirectory(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  LoadOptions lo;
  auto wrong = LoadSavedModel(Env::Default(), dir, lo);  // tags {serve} only: no match
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(IsNotFound(wrong.status())) << wrong.status().ToString();
  EXPECT_THAT(std::string(wrong.status().message()), HasSubstr("serve"));
  lo.tags = {"serve", "train"};
  auto m = LoadSavedModel(Env::Default(), dir, lo);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FLOAT_EQ((*m)->session->GetVariable("w")->data<float>()[0], -0.85786223f);
  EXPECT_FLOAT_EQ((*m)->session->GetVariable("b")->data<float>()[0], 0.0f);
}

// A serialized tf.Example {features {feature {key: KEY value {float_list {value: V}}}}}.
std::string FloatExample(const std::string& key, float v) {
  auto ld = [](int field, const std::string& body) {
    std::string out(1, static_cast<char>(field << 3 | 2));
    out += static_cast<char>(body.size());  // bodies here are < 128 bytes
    return out + body;
  };
  std::string packed(4, '\0');
  std::memcpy(packed.data(), &v, 4);
  std::string feature = ld(2, ld(1, packed));       // Feature.float_list.value (packed)
  std::string entry = ld(1, key) + ld(2, feature);  // map entry
  return ld(1, ld(1, entry));                       // Example.features.feature
}

TEST(FixtureSavedModel, HalfPlusTwoSignaturesRunByKey) {
  const std::string dir = FixtureRoot() + "/tf1_savedmodel_half_plus_two";
  if (!Env::Default()->IsDirectory(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  auto m = LoadSavedModel(Env::Default(), dir);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->checkpoint_prefix, dir + "/variables/variables");
  EXPECT_EQ((*m)->signatures.size(), 5u);
  auto y = (*m)->RunSignature("serving_default",
                              {{"x", Tensor::FromVector<float>({1.0f, 2.0f, -4.0f}, {3, 1})}});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  const Tensor& out = y->at("y");
  ASSERT_EQ(out.shape(), TensorShape({3, 1}));
  EXPECT_FLOAT_EQ(out.data<float>()[0], 2.5f);
  EXPECT_FLOAT_EQ(out.data<float>()[1], 3.0f);
  EXPECT_FLOAT_EQ(out.data<float>()[2], 0.0f);
  // classify / regress take serialized tf.Examples (ParseExample).
  auto examples = Tensor::FromStrings({FloatExample("x", 10.0f), FloatExample("x", 0.0f)}, {2});
  auto r = (*m)->RunSignature("regress_x_to_y", {{"inputs", examples}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FLOAT_EQ(r->at("outputs").data<float>()[0], 7.0f);
  EXPECT_FLOAT_EQ(r->at("outputs").data<float>()[1], 2.0f);
  auto bad =
      (*m)->RunSignature("regress_x_to_y", {{"inputs", Tensor::FromStrings({"\xff\xff"}, {1})}});
  EXPECT_FALSE(bad.ok());
  EXPECT_FALSE((*m)->RunSignature("no_such_signature", {}).ok());
}

// The TF2 half_plus_two (TF 2.14, tf.saved_model.save): every signature is a
// StatefulPartitionedCall of a library function, the variables are restored by the traced
// restore function and the init op assigns the asset path. Values are TF's (a = 0.5, b = 2,
// c = 3).
TEST(FixtureSavedModel, Tf2HalfPlusTwoSignaturesRunByKey) {
  const std::string dir = FixtureRoot() + "/tf2_savedmodel_half_plus_two";
  if (!Env::Default()->IsDirectory(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  auto m = LoadSavedModel(Env::Default(), dir);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->checkpoint_prefix, dir + "/variables/variables");
  EXPECT_EQ((*m)->signatures.size(), 7u);  // 6 + __saved_model_init_op
  // The init op ran with the asset's absolute path fed.
  auto asset = (*m)->session->GetVariable("Variable");
  ASSERT_TRUE(asset.ok()) << asset.status().ToString();
  EXPECT_EQ(asset->strings()[0], dir + "/assets/foo.txt");
  auto y = (*m)->RunSignature("serving_default", {{"x", Tensor::FromVector<float>({3.0f}, {1})}});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_FLOAT_EQ(y->at("y").data<float>()[0], 3.5f);  // 0.5 x + 2
  auto y3 =
      (*m)->RunSignature("regress_x2_to_y3", {{"inputs", Tensor::FromVector<float>({3.0f}, {1})}});
  ASSERT_TRUE(y3.ok()) << y3.status().ToString();
  EXPECT_FLOAT_EQ(y3->at("outputs").data<float>()[0], 4.5f);  // 0.5 x + 3
  // classify / regress on serialized tf.Examples (ParseExampleV2).
  auto examples = Tensor::FromStrings({FloatExample("x", 10.0f), FloatExample("x", 0.0f)}, {2});
  for (const char* key : {"regress_x_to_y", "classify_x_to_y"}) {
    auto r = (*m)->RunSignature(key, {{"inputs", examples}});
    ASSERT_TRUE(r.ok()) << key << ": " << r.status().ToString();
    const Tensor& out = r->begin()->second;
    ASSERT_EQ(out.shape(), TensorShape({2, 1})) << key;
    EXPECT_FLOAT_EQ(out.data<float>()[0], 7.0f) << key;
    EXPECT_FLOAT_EQ(out.data<float>()[1], 2.0f) << key;
  }
  auto r2 = (*m)->RunSignature("regress_x_to_y2", {{"inputs", examples}});
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_FLOAT_EQ(r2->at("outputs").data<float>()[0], 8.0f);  // 0.5 x + 3
  EXPECT_FLOAT_EQ(r2->at("outputs").data<float>()[1], 3.0f);
}

// The TF-built sharded Saver subgraph of half_plus_two (StringJoin "_temp/part",
// ShardedFilename, SaveV2 per shard, MergeV2Checkpoints) run as TF runs it: save tensor
// fetched with the filename fed; the merged bundle restores, and the temp directory is gone.
// (The one-element Pack of shard names is fed: the graph layer's Pack has no string kernel.)
TEST(FixtureSavedModel, HalfPlusTwoShardedSaveOpRuns) {
  const std::string dir = FixtureRoot() + "/tf1_savedmodel_half_plus_two";
  if (!Env::Default()->IsDirectory(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  testutil::TempDir tmp("mg_hp2");
  ASSERT_FALSE(tmp.path().empty());
  const std::string prefix = tmp.path() + "/model";
  {
    // By default a loaded model's graph writes nowhere: its save op is refused.
    auto confined = LoadSavedModel(Env::Default(), dir);
    ASSERT_TRUE(confined.ok()) << confined.status().ToString();
    const SaverDef& def = (*confined)->saver->saver_def();
    auto denied = (*confined)->session->Run(
        {{def.filename_tensor_name, Tensor::StringScalar(prefix)}}, {"save/control_dependency:0"});
    ASSERT_FALSE(denied.ok());
    EXPECT_EQ(denied.status().code(), StatusCode::kPermissionDenied) << denied.status().ToString();
    EXPECT_THAT(std::string(denied.status().message()), HasSubstr("(SaveV2)"));
    EXPECT_THAT(std::string(denied.status().message()), HasSubstr(tmp.path()));
    EXPECT_TRUE(Env::Default()->GetChildren(tmp.path())->empty());
  }
  LoadOptions lo;
  lo.file_access.write_dirs = {tmp.path()};
  auto m = LoadSavedModel(Env::Default(), dir, lo);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const SaverDef& def = (*m)->saver->saver_def();
  EXPECT_TRUE(def.sharded);
  ASSERT_TRUE((*m)->session->SetVariable("a", Tensor::Scalar<float>(1.25f)).ok());
  // Step 1: the shard (StringJoin + ShardedFilename + SaveV2) through save/control_dependency.
  auto shard = (*m)->session->Run({{def.filename_tensor_name, Tensor::StringScalar(prefix)}},
                                  {"save/control_dependency:0"});
  ASSERT_TRUE(shard.ok()) << shard.status().ToString();
  const std::string shard_name = (*shard)[0].strings()[0];
  EXPECT_EQ(shard_name.rfind(prefix + "_temp", 0), 0u) << shard_name;
  EXPECT_TRUE(shard_name.ends_with("/part-00000-of-00001")) << shard_name;
  EXPECT_TRUE(Env::Default()->FileExists(shard_name + ".index"));
  // Step 2: MergeV2Checkpoints into the prefix (deleting the temp directory).
  auto got = (*m)->session->Run(
      {{def.filename_tensor_name, Tensor::StringScalar(prefix)},
       {"save/MergeV2Checkpoints/checkpoint_prefixes:0", Tensor::FromStrings({shard_name}, {1})}},
      {}, {"save/MergeV2Checkpoints"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(Env::Default()->FileExists(prefix + ".index"));
  EXPECT_TRUE(Env::Default()->FileExists(prefix + ".data-00000-of-00001"));
  auto children = Env::Default()->GetChildren(tmp.path());
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(children->size(), 2u) << "temporary shard directory left behind";
  ASSERT_TRUE((*m)->session->SetVariable("a", Tensor::Scalar<float>(0.0f)).ok());
  ASSERT_TRUE((*m)->saver->Restore(*(*m)->session, prefix).ok());
  EXPECT_FLOAT_EQ((*m)->session->GetVariable("a")->data<float>()[0], 1.25f);
  EXPECT_FLOAT_EQ((*m)->session->GetVariable("b")->data<float>()[0], 2.0f);
  // Saver::Save on the imported sharded graph: one merged bundle, restorable.
  auto saved = (*m)->saver->Save(*(*m)->session, tmp.path() + "/via_saver", 7);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  ASSERT_TRUE((*m)->session->SetVariable("a", Tensor::Scalar<float>(0.0f)).ok());
  ASSERT_TRUE((*m)->saver->Restore(*(*m)->session, *saved).ok());
  EXPECT_FLOAT_EQ((*m)->session->GetVariable("a")->data<float>()[0], 1.25f);
}

TEST(FixtureV1, SessionBundleRestoresAndSavesV1) {
  const std::string dir = FixtureRoot() + "/v1_sharded_session_bundle";
  if (!Env::Default()->IsDirectory(dir)) GTEST_SKIP() << "fixtures not found at " << dir;
  auto mg = ImportMetaGraph(Env::Default(), dir + "/export.meta");
  ASSERT_TRUE(mg.ok()) << mg.status().ToString();
  auto sess = Session::Create(mg->graph.get());
  ASSERT_TRUE(sess.ok());
  ASSERT_TRUE(mg->saver->Restore(**sess, dir + "/export-?????-of-00001").ok());
  EXPECT_FLOAT_EQ((*sess)->GetVariable("a")->data<float>()[0], 0.5f);
  EXPECT_FLOAT_EQ((*sess)->GetVariable("b")->data<float>()[0], 2.0f);
  // Saving runs the graph's own V1 save op (SaveSlices, sharded names).
  testutil::TempDir tmp("mg_v1");
  ASSERT_FALSE(tmp.path().empty());
  const std::string dir_out = tmp.path();
  ASSERT_TRUE((*sess)->SetVariable("a", Tensor::Scalar<float>(7.0f)).ok());
  auto path = mg->saver->Save(**sess, dir_out + "/export", 5);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, dir_out + "/export-5-?????-of-00001");
  EXPECT_TRUE(Env::Default()->FileExists(dir_out + "/export-5-00000-of-00001"));
  ASSERT_TRUE((*sess)->SetVariable("a", Tensor::Scalar<float>(0.0f)).ok());
  Status s = mg->saver->Restore(**sess, *path);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FLOAT_EQ((*sess)->GetVariable("a")->data<float>()[0], 7.0f);
}

}  // namespace
}  // namespace ckpt
