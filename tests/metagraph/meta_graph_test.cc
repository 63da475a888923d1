#include "ckpt/metagraph/meta_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <limits>

#include "ckpt/graph/ops.h"
#include "ckpt/graph/session.h"
#include "ckpt/metagraph/saved_model.h"
#include "ckpt/metagraph/tensor_text.h"
#include "metagraph/test_util.h"
#include "tensorflow/core/framework/variable.pb.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::BuildSeedForward;

TEST(ExportMetaGraph, HoldsGraphSaverCollectionsAndStrippedOps) {
  Graph g;
  auto m = BuildSeedForward(g, false);
  auto saver = Saver::Create(g);
  ASSERT_TRUE(saver.ok());
  g.AddToCollection(kTrainOp, m.init.name);
  auto bytes = ExportMetaGraph(g, &(*saver)->saver_def());
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  tensorflow::MetaGraphDef mg;
  ASSERT_TRUE(mg.ParseFromString(*bytes));
  EXPECT_EQ(mg.graph_def().node_size(), g.num_nodes());
  EXPECT_EQ(mg.graph_def().versions().producer(), kGraphDefProducer);
  EXPECT_EQ(mg.meta_info_def().tensorflow_version(), kMetaGraphTensorflowVersion);
  // Stripped op list: the ops used, sorted, with their OpDefs.
  std::vector<std::string> ops;
  for (const auto& op : mg.meta_info_def().stripped_op_list().op()) ops.push_back(op.name());
  EXPECT_TRUE(std::is_sorted(ops.begin(), ops.end()));
  EXPECT_THAT(ops, ::testing::Contains("RestoreV2"));
  EXPECT_THAT(ops, ::testing::Contains("VariableV2"));
  EXPECT_EQ(mg.saver_def().restore_op_name(), "save/restore_all");
  EXPECT_EQ(mg.saver_def().version(), tensorflow::SaverDef::V2);
  // Variables as VariableDef bytes; predict_op / train_op as node lists.
  const auto& vars = mg.collection_def().at("variables");
  ASSERT_EQ(vars.bytes_list().value_size(), 1);
  tensorflow::VariableDef vd;
  ASSERT_TRUE(vd.ParseFromString(vars.bytes_list().value(0)));
  EXPECT_EQ(vd.variable_name(), "Variable:0");
  EXPECT_EQ(vd.initializer_name(), "Variable/Assign");
  EXPECT_EQ(vd.snapshot_name(), "Variable/read:0");
  EXPECT_TRUE(vd.trainable());
  EXPECT_FALSE(vd.is_resource());
  EXPECT_THAT(mg.collection_def().at("predict_op").node_list().value(), ElementsAre("Round:0"));
  EXPECT_THAT(mg.collection_def().at("train_op").node_list().value(), ElementsAre("init"));
}

TEST(ImportMetaGraph, RoundTripRestoresCollectionsVariablesAndRuns) {
  Graph g;
  auto m = BuildSeedForward(g, true);
  auto saver = Saver::Create(g);
  ASSERT_TRUE(saver.ok());
  auto sess = Session::Create(&g);
  ASSERT_TRUE(sess.ok());
  ASSERT_TRUE((*sess)->SetVariable("Variable", Tensor::FromVector<float>({-1.0f}, {1})).ok());
  testutil::TempDir tmp("mg_imp");
  const std::string dir = tmp.path();
  auto path = (*saver)->Save(**sess, dir + "/model", 3);
  ASSERT_TRUE(path.ok()) << path.status().ToString();

  auto imported = ImportMetaGraph(Env::Default(), *path + ".meta");
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  Graph& ig = *imported->graph;
  EXPECT_EQ(ig.num_nodes(), g.num_nodes());
  EXPECT_THAT(ig.GetCollection("predict_op"), ElementsAre("Round:0"));
  EXPECT_THAT(ig.GetCollection(kTrainableVariables), ElementsAre("Variable:0"));
  const VariableInfo* v = ig.FindVariable("Variable:0");
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->is_resource);
  EXPECT_EQ(v->snapshot_name, "Variable/Read/ReadVariableOp:0");
  ASSERT_NE(imported->saver, nullptr);
  EXPECT_EQ(imported->saver->saver_def().filename_tensor_name, "save/Const:0");

  auto isess = Session::Create(&ig);
  ASSERT_TRUE(isess.ok());
  ASSERT_TRUE(imported->saver->Restore(**isess, *path).ok());
  auto predict = ig.GetTensorByName(ig.GetCollection("predict_op")[0]);
  ASSERT_TRUE(predict.ok());
  for (float x : {0.0f, 0.9f, 1.1f, 3.0f}) {
    auto y = (*isess)->Run({{"input:0", Tensor::FromVector<float>({x}, {1})}}, {predict->name()});
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    EXPECT_FLOAT_EQ((*y)[0].data<float>()[0], x - 1.0f > 0 ? 1.0f : 0.0f) << x;
  }
  // Re-exporting the imported graph keeps it identical.
  auto again = ExportMetaGraph(ig, &imported->saver->saver_def());
  ASSERT_TRUE(again.ok());
  auto first = Env::Default()->ReadFileToString(*path + ".meta");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*again, *first);
}

TEST(ImportMetaGraph, ImportScopePrefixesNamesAndCollections) {
  Graph g;
  BuildSeedForward(g, false);
  auto saver = Saver::Create(g);
  ASSERT_TRUE(saver.ok());
  auto bytes = ExportMetaGraph(g, &(*saver)->saver_def());
  ASSERT_TRUE(bytes.ok());
  MetaGraphImportOptions o;
  o.import_scope = "imported";
  auto imported = ImportMetaGraphFromBytes(*bytes, o);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_TRUE(imported->graph->HasNode("imported/input"));
  EXPECT_THAT(imported->graph->GetCollection("predict_op"), ElementsAre("imported/Round:0"));
  EXPECT_EQ(imported->saver->saver_def().restore_op_name, "imported/save/restore_all");
  EXPECT_NE(imported->graph->FindVariable("imported/Variable:0"), nullptr);
}

TEST(ImportMetaGraph, EveryUnsupportedOpInOneError) {
  Graph g;
  BuildSeedForward(g, false);
  auto bytes = ExportMetaGraph(g, nullptr);
  ASSERT_TRUE(bytes.ok());
  tensorflow::MetaGraphDef mg;
  ASSERT_TRUE(mg.ParseFromString(*bytes));
  for (const char* op : {"FancyNewOp", "MutableDenseHashTableV2", "FancyNewOp", "AnotherOne"}) {
    auto* n = mg.mutable_graph_def()->add_node();
    n->set_name(std::string("n_") + std::to_string(mg.graph_def().node_size()));
    n->set_op(op);
  }
  auto imported = ImportMetaGraphFromBytes(mg.SerializeAsString());
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.status().code(), StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(imported.status().message()), HasSubstr("3 ops that cannot run here"));
  EXPECT_THAT(std::string(imported.status().message()),
              HasSubstr("AnotherOne, FancyNewOp, MutableDenseHashTableV2"));
  auto info = InspectMetaGraph(mg.SerializeAsString());
  ASSERT_TRUE(info.ok());
  EXPECT_THAT(info->unsupported_ops,
              ElementsAre("AnotherOne", "FancyNewOp", "MutableDenseHashTableV2"));
}

TEST(ImportMetaGraph, GarbageIsDataLoss) {
  auto imported = ImportMetaGraphFromBytes("\xff\xff\xff garbage");
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.status().code(), StatusCode::kDataLoss);
  auto missing = ImportMetaGraph(Env::Default(), "/nonexistent/dir/model.meta");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("model.meta"));
}

TEST(LoadModel, ResolvesNamesAndPathForms) {
  Graph g;
  auto m = BuildSeedForward(g, false);
  auto saver = Saver::Create(g);
  ASSERT_TRUE(saver.ok());
  auto sess = Session::Create(&g);
  ASSERT_TRUE(sess.ok());
  ASSERT_TRUE((*sess)->SetVariable("Variable", Tensor::FromVector<float>({-2.0f}, {1})).ok());
  testutil::TempDir tmp("mg_load");
  const std::string dir = tmp.path();
  ASSERT_TRUE((*saver)->Save(**sess, dir + "/ck", 1).ok());
  ASSERT_TRUE((*sess)->SetVariable("Variable", Tensor::FromVector<float>({4.0f}, {1})).ok());
  ASSERT_TRUE((*saver)->Save(**sess, dir + "/ck", 2).ok());

  auto latest = LoadModel(Env::Default(), dir);
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ((*latest)->checkpoint_prefix, dir + "/ck-2");
  EXPECT_FLOAT_EQ((*latest)->session->GetVariable("Variable")->data<float>()[0], 4.0f);
  auto first = LoadModel(Env::Default(), dir + "/ck-1");
  ASSERT_TRUE(first.ok());
  EXPECT_FLOAT_EQ((*first)->session->GetVariable("Variable")->data<float>()[0], -2.0f);
  auto meta = LoadModel(Env::Default(), dir + "/ck-1.meta");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ((*meta)->checkpoint_prefix, dir + "/ck-1");

  EXPECT_EQ(*(*first)->ResolveTensorName("predict_op"), "Round:0");
  EXPECT_EQ(*(*first)->ResolveTensorName("input"), "input:0");
  EXPECT_EQ(*(*first)->ResolveTensorName("Round:0"), "Round:0");
  EXPECT_EQ(*(*first)->ResolveTensorName("init"), "init");
  EXPECT_FALSE((*first)->ResolveTensorName("nope").ok());
  auto feed = (*first)->ParseFeed("input:0", "2.4");  // reshaped to the placeholder's [1]
  ASSERT_TRUE(feed.ok()) << feed.status().ToString();
  EXPECT_EQ(feed->shape(), TensorShape({1}));
  EXPECT_FALSE((*first)->ParseFeed("input:0", "[1, 2]").ok());
  EXPECT_FALSE((*first)->ParseFeed("input:0", "[\"a\"]").ok());

  auto none = LoadModel(Env::Default(), dir + "/no-such-prefix");
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(IsNotFound(none.status()));
}

TEST(TensorText, ParsesAndPrintsNestedLists) {
  auto t = ParseTensorJson("[[1, 2.5], [3, -4e2]]", DataType::kFloat);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->shape(), TensorShape({2, 2}));
  EXPECT_EQ(TensorToJson(*t), "[[1,2.5],[3,-400]]");
  auto i = ParseTensorJson("[1, 2, 3]", DataType::kInt64);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(TensorToJson(*i), "[1,2,3]");
  EXPECT_FALSE(ParseTensorJson("[1.5]", DataType::kInt32).ok());
  EXPECT_FALSE(ParseTensorJson("[300]", DataType::kInt8).ok());
  EXPECT_FALSE(ParseTensorJson("[[1], [2, 3]]", DataType::kFloat).ok());
  EXPECT_FALSE(ParseTensorJson("[1, 2", DataType::kFloat).ok());
  EXPECT_FALSE(ParseTensorJson(std::string(100, '['), DataType::kFloat).ok());
  auto s = ParseTensorJson("[\"a\", \"b\\\"c\"]", DataType::kString);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->strings()[1], "b\"c");
  EXPECT_EQ(TensorToJson(*s), "[\"a\",\"b\\\"c\"]");
  // JSON escapes, as Python's json.dumps writes non-ASCII text (\u, surrogate pairs).
  auto u = ParseTensorJson(R"(["\u00c9t\u00e9 \ud83d\ude00\r\/", "\u0041"])", DataType::kString);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->strings()[0], "\xC3\x89t\xC3\xA9 \xF0\x9F\x98\x80\r/");
  EXPECT_EQ(u->strings()[1], "A");
  EXPECT_FALSE(ParseTensorJson(R"(["\ud83d"])", DataType::kString).ok());
  EXPECT_FALSE(ParseTensorJson(R"(["\u12"])", DataType::kString).ok());
  auto b = ParseTensorJson("true", DataType::kBool);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(TensorToJson(*b), "true");
}

// 64-bit integers are parsed exactly, not through a double (2^53 + 1 would become 2^53), and
// a value outside the dtype's range is an error naming it.
TEST(TensorText, ParsesSixtyFourBitIntegersExactly) {
  auto i = ParseTensorJson("[9007199254740993, -9223372036854775808, 9223372036854775807]",
                           DataType::kInt64);
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(i->data<int64_t>()[0], 9007199254740993);
  EXPECT_EQ(i->data<int64_t>()[1], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(i->data<int64_t>()[2], std::numeric_limits<int64_t>::max());
  EXPECT_EQ(TensorToJson(*i), "[9007199254740993,-9223372036854775808,9223372036854775807]");
  auto u = ParseTensorJson("[18446744073709551615, 0]", DataType::kUInt64);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->data<uint64_t>()[0], std::numeric_limits<uint64_t>::max());
  // Integral doubles are still integers; fractions, overflow and negatives of unsigned are not.
  auto e = ParseTensorJson("[1e3, -0, 2.0]", DataType::kInt32);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(TensorToJson(*e), "[1000,0,2]");
  Status over = ParseTensorJson("[9223372036854775808]", DataType::kInt64).status();
  EXPECT_TRUE(IsInvalidArgument(over));
  EXPECT_NE(over.message().find("9223372036854775808"), std::string::npos) << over.ToString();
  EXPECT_FALSE(ParseTensorJson("[18446744073709551616]", DataType::kUInt64).ok());
  Status neg = ParseTensorJson("[1, -1]", DataType::kUInt8).status();
  EXPECT_NE(neg.message().find("element 1 (-1) is not a valid uint8"), std::string::npos)
      << neg.ToString();
  // Floats and bools take integer literals of any size.
  auto f = ParseTensorJson("[18446744073709551615, -3]", DataType::kDouble);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->data<double>()[0], 18446744073709551615.0);
  EXPECT_EQ(f->data<double>()[1], -3.0);
  auto b = ParseTensorJson("[0, 7, 18446744073709551615]", DataType::kBool);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(TensorToJson(*b), "[false,true,true]");
}

// 2^63 and 2^32 are out of range of int64 and uint32, not wrapped into them.
TEST(TensorText, IntegersAtTheTopOfTheRangeAreRejected) {
  EXPECT_FALSE(ParseTensorJson("9223372036854775808", DataType::kInt64).ok());
  EXPECT_FALSE(ParseTensorJson("4294967296", DataType::kUInt32).ok());
  auto t = ParseTensorJson("[-9223372036854775808, 4294967295]", DataType::kInt64);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->data<int64_t>()[0], std::numeric_limits<int64_t>::min());
  auto u = ParseTensorJson("4294967295", DataType::kUInt32);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->data<uint32_t>()[0], 4294967295u);
}

}  // namespace
}  // namespace ckpt
