// Compatibility with TensorFlow's own graph construction and execution.
//
// tests/graph/tf_graphs.py builds small models with TF 2.21 (tf.compat.v1 graph mode). For
// each, this test (1) builds the same model with ckpt::ops and requires the NodeDefs to be
// equal to TF's (names, ops, inputs, attrs, in order) and the collections to match, and
// (2) imports TF's GraphDef, loads the variable values TF used and runs TF's fetches with
// ckpt::Session, comparing against TF's outputs.
#include <google/protobuf/util/message_differencer.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "graph/graph_impl.h"
#include "graph/test_util.h"
#include "testutil/temp_dir.h"

namespace ckpt {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testutil::PS;

// Runs the generator once and caches its output under $CKPT_BINARY_DIR (ctest runs each test
// in its own process), keyed by the generator's contents; a scratch directory per process.
class TfGraphs : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string script = std::string(CKPT_SOURCE_DIR) + "/tests/graph/tf_graphs.py";
    std::ifstream sf(script);
    std::stringstream text;
    text << sf.rdbuf();
    const char* bin = std::getenv("CKPT_BINARY_DIR");
    const fs::path base = bin != nullptr ? fs::path(bin) : fs::temp_directory_path();
    const std::string key = std::to_string(std::hash<std::string>{}(text.str()));
    dir_ = new std::string((base / ("tf_graphs_" + key)).string());
    scratch_dir_ = new testutil::TempDir("tf_scratch");
    scratch_ = &scratch_dir_->path();
    if (fs::exists(*dir_ + "/done")) {
      ok_ = true;
      return;
    }
    const std::string tmp = *dir_ + ".tmp" + std::to_string(::getpid());
    fs::create_directories(tmp);
    const std::string cmd = "python3 -c 'import tensorflow' >/dev/null 2>&1 && python3 " + script +
                            " " + tmp + " >" + tmp + "/log.txt 2>&1";
    ok_ = std::system(cmd.c_str()) == 0;
    if (ok_) {
      std::ofstream(tmp + "/done") << "ok\n";
      std::error_code ec;
      fs::rename(tmp, *dir_, ec);  // another process may have won the race: use its copy
      if (ec) fs::remove_all(tmp, ec);
    } else {
      std::error_code ec;
      fs::remove_all(tmp, ec);
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete scratch_dir_;
  }
  void SetUp() override {
    if (!ok_) GTEST_SKIP() << "TensorFlow (python3 -c 'import tensorflow') is not available";
  }

  static std::string Read(const std::string& name) {
    std::ifstream f(*dir_ + "/" + name, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  static json Doc(const std::string& model) { return json::parse(Read(model + ".json")); }

  // Requires our graph's NodeDefs to equal TF's, in order.
  static void ExpectSameNodes(const Graph& ours, const std::string& model) {
    tensorflow::GraphDef theirs;
    ASSERT_TRUE(theirs.ParseFromString(Read(model + ".pb"))) << model;
    const tensorflow::GraphDef& mine = GetGraphDef(ours);
    std::string names_mine, names_theirs;
    for (const auto& n : mine.node()) names_mine += n.name() + "\n";
    for (const auto& n : theirs.node()) names_theirs += n.name() + "\n";
    ASSERT_EQ(names_mine, names_theirs) << model << ": node names/order differ";
    for (int i = 0; i < theirs.node_size(); ++i) {
      // TF 2.21 also writes NodeDef.experimental_type (full-type info, field 7) for a few ops
      // such as Shape; our protos do not model it and TF re-derives it on import.
      theirs.mutable_node(i)
          ->GetReflection()
          ->MutableUnknownFields(theirs.mutable_node(i))
          ->Clear();
      std::string diff;
      google::protobuf::util::MessageDifferencer d;
      d.ReportDifferencesToString(&diff);
      EXPECT_TRUE(d.Compare(mine.node(i), theirs.node(i)))
          << model << " node " << theirs.node(i).name() << ":\n"
          << diff;
    }
  }

  static void ExpectSameCollections(const Graph& ours, const std::string& model) {
    json doc = Doc(model);
    for (auto& [key, values] : doc["collections"].items()) {
      std::vector<std::string> want = values.get<std::vector<std::string>>();
      EXPECT_EQ(ours.GetCollection(key), want) << model << " collection " << key;
    }
  }

  // Imports TF's GraphDef and runs its fetches with TF's variable values and feeds.
  static void ExpectSameOutputs(const std::string& model, double tol = 1e-5) {
    auto g = Graph::FromGraphDef(Read(model + ".pb"));
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    auto s = Session::Create(&*g);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    json doc = Doc(model);
    for (auto& [name, v] : doc["variables"].items()) {
      CKPT_ASSERT_OK((*s)->SetVariable(name, FromJson(v)));
    }
    Session::FeedList feeds;
    for (auto& [name, v] : doc["feeds"].items()) feeds.emplace_back(name, FromJson(v));
    std::vector<std::string> fetches;
    for (auto& f : doc["fetches"]) fetches.push_back(f["name"]);
    for (int run = 0; run < 2; ++run) {
      auto r = (*s)->Run(feeds, fetches);
      ASSERT_TRUE(r.ok()) << model << ": " << r.status().ToString();
      for (size_t i = 0; i < fetches.size(); ++i) {
        json want_doc = doc["fetches"][i];
        if (run == 1) want_doc["values"] = doc["fetches_second_run"][i];
        Tensor want = FromJson(want_doc);
        const Tensor& got = (*r)[i];
        ASSERT_EQ(got.dtype(), want.dtype()) << fetches[i];
        ASSERT_EQ(got.shape(), want.shape()) << fetches[i];
        for (int64_t k = 0; k < want.num_elements(); ++k) {
          EXPECT_NEAR(AsDouble(got, k), AsDouble(want, k), tol * (1 + std::abs(AsDouble(want, k))))
              << model << " run " << run << " " << fetches[i] << "[" << k << "]";
        }
      }
    }
  }

  static Tensor FromJson(const json& v) {
    std::vector<int64_t> dims = v["shape"].get<std::vector<int64_t>>();
    TensorShape shape = TensorShape::FromDims(dims).value();
    const std::string dt = v["dtype"];
    if (dt == "float32")
      return Tensor::FromVector<float>(v["values"].get<std::vector<float>>(), shape);
    if (dt == "float64")
      return Tensor::FromVector<double>(v["values"].get<std::vector<double>>(), shape);
    if (dt == "int32")
      return Tensor::FromVector<int32_t>(v["values"].get<std::vector<int32_t>>(), shape);
    if (dt == "int64")
      return Tensor::FromVector<int64_t>(v["values"].get<std::vector<int64_t>>(), shape);
    if (dt == "bool") return Tensor::FromVector(v["values"].get<std::vector<bool>>(), shape);
    ADD_FAILURE() << "dtype " << dt;
    return Tensor();
  }
  static double AsDouble(const Tensor& t, int64_t i) {
    switch (t.dtype()) {
      case DataType::kFloat: return t.data<float>()[i];
      case DataType::kDouble: return t.data<double>()[i];
      case DataType::kInt32: return t.data<int32_t>()[i];
      case DataType::kInt64: return static_cast<double>(t.data<int64_t>()[i]);
      case DataType::kBool: return t.data<bool>()[i];
      default: return std::nan("");
    }
  }

  static std::string* dir_;
  static testutil::TempDir* scratch_dir_;
  static const std::string* scratch_;
  static bool ok_;
};
std::string* TfGraphs::dir_ = nullptr;
testutil::TempDir* TfGraphs::scratch_dir_ = nullptr;
const std::string* TfGraphs::scratch_ = nullptr;
bool TfGraphs::ok_ = false;

TEST_F(TfGraphs, LinearRegressionNodeDefsMatchTf) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PS({-1, 3}), "input");
  Output y = ops::Placeholder(g, DataType::kFloat, PS({-1, 1}));
  ops::Variable w = ops::MakeVariable(
      g, ops::RandomNormal(g, TensorShape{3, 1}, 0.0, 0.1, DataType::kFloat, 1), {.name = "W"});
  ops::Variable b = ops::MakeVariable(g, ops::Zeros(g, TensorShape{1}), {.name = "b"});
  Output pred = ops::Add(g, ops::MatMul(g, x, w.value()), b.value(), "add");
  Output loss = ops::Mean(g, ops::Square(g, ops::Sub(g, pred, y, "sub")));
  g.AddToCollection("losses", loss.name());
  ops::GlobalVariablesInitializer(g);
  CKPT_ASSERT_OK(g.status());
  ExpectSameNodes(g, "linear");
  ExpectSameCollections(g, "linear");
}

TEST_F(TfGraphs, ClassifierNodeDefsMatchTf) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PS({-1, 4}), "x");
  Output labels = ops::Placeholder(g, DataType::kInt64, PS({-1}), "labels");
  ops::Variable w0 = ops::MakeVariable(
      g, ops::TruncatedNormal(g, TensorShape{4, 5}, 0.0, 0.1, DataType::kFloat, 2), {.name = "w0"});
  ops::Variable b0 = ops::MakeVariable(g, ops::Zeros(g, TensorShape{5}), {.name = "b0"});
  Output h = ops::Relu(g, ops::BiasAdd(g, ops::MatMul(g, x, w0.value()), b0.value()));
  ops::Variable w1 = ops::MakeVariable(
      g, ops::RandomUniform(g, TensorShape{5, 3}, -0.5, 0.5, DataType::kFloat, 3), {.name = "w1"});
  ops::Variable b1 = ops::MakeVariable(g, ops::Zeros(g, TensorShape{3}), {.name = "b1"});
  Output logits = ops::Add(g, ops::MatMul(g, h, w1.value()), b1.value(), "add");
  ops::Softmax(g, logits, "probs");
  ops::Mean(g, ops::SparseSoftmaxCrossEntropyWithLogits(g, labels, logits));
  Output onehot = ops::OneHot(g, labels, 3);
  ops::SoftmaxCrossEntropyWithLogits(g, onehot, logits);
  ops::SigmoidCrossEntropyWithLogits(g, onehot, logits);
  Output am = ops::ArgMax(g, logits, 1);
  ops::Mean(g, ops::Cast(g, ops::Equal(g, am, labels), DataType::kFloat));
  ops::Sum(g, h, std::vector<int>{1}, true);
  ops::GlobalVariablesInitializer(g);
  CKPT_ASSERT_OK(g.status());
  ExpectSameNodes(g, "classifier");
  ExpectSameCollections(g, "classifier");
}

TEST_F(TfGraphs, SeedModelNodeDefsMatchTf) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PS({1}), "input");
  Output y = ops::Placeholder(g, DataType::kFloat, PS({1}));
  ops::Variable a = ops::MakeVariable(g, ops::RandomNormal(g, TensorShape{1}, 10.0));
  Output out = ops::Add(g, x, a.value());
  Output logits = ops::ExpandDims(g, out, 0);
  Output lab = ops::ExpandDims(g, y, 0);
  ops::SigmoidCrossEntropyWithLogits(g, lab, logits);
  Output pred = ops::Round(g, ops::Sigmoid(g, out));
  g.AddToCollection("predict_op", pred.name());
  ops::GlobalVariablesInitializer(g);
  CKPT_ASSERT_OK(g.status());
  ExpectSameNodes(g, "seed");
  ExpectSameCollections(g, "seed");
}

TEST_F(TfGraphs, ResourceVariablesNodeDefsMatchTf) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PS({-1, 2}), "x");
  ops::Variable w =
      ops::MakeVariable(g, ops::Ones(g, TensorShape{2, 2}), {.name = "W", .use_resource = true});
  ops::MakeVariable(g, 2.0f, {.name = "v", .use_resource = true});
  {
    Graph::NameScope scope(g, "MatMul");
    Output read = ops::ReadValue(g, w);
    ops::MatMul(g, x, read, false, false, scope.scope_name());
  }
  ops::GlobalVariablesInitializer(g);
  CKPT_ASSERT_OK(g.status());
  ExpectSameNodes(g, "resource");
  ExpectSameCollections(g, "resource");
}

TEST_F(TfGraphs, LiteralInitialValuesNodeDefsMatchTf) {
  Graph g;
  ops::Variable v = ops::MakeVariable(g, 3.0f, {.name = "v"});
  ops::Variable w = ops::MakeVariable(g, testutil::F({1, 2}, {2}));
  Output y = ops::Mul(g, v.value(), w.value());
  {
    Graph::NameScope scope(g, "scope");
    ops::Maximum(g, y, 4.0f);
  }
  ops::GlobalVariablesInitializer(g);
  CKPT_ASSERT_OK(g.status());
  ExpectSameNodes(g, "literal_ref");
}

TEST_F(TfGraphs, RandomOpsNodeDefsMatchTf) {
  Graph g;
  ops::RandomNormal(g, TensorShape{6}, 0.0, 1.0, DataType::kFloat, 1);
  ops::RandomUniform(g, TensorShape{5}, 0.0, 1.0, DataType::kFloat, 2);
  ops::TruncatedNormal(g, TensorShape{9}, 0.0, 1.0, DataType::kFloat, 3);
  ops::RandomNormal(g, TensorShape{3}, 0.0, 1.0, DataType::kDouble, 4);
  ops::RandomUniform(g, TensorShape{3}, 0.0, 1.0, DataType::kDouble, 5);
  ops::TruncatedNormal(g, TensorShape{5}, 0.0, 1.0, DataType::kDouble, 6);
  ops::RandomNormal(g, TensorShape{2, 3}, 10.0, 2.0, DataType::kFloat, 7);
  ops::RandomUniform(g, TensorShape{4}, -1.0, 3.0, DataType::kFloat, 8);
  CKPT_ASSERT_OK(g.status());
  ExpectSameNodes(g, "random");
}

// Seeded random ops produce TF's values (Philox stream, TF's sample conversions).
TEST_F(TfGraphs, TfGraphsRunWithSameOutputs) {
  for (const char* model :
       {"linear", "classifier", "seed", "resource", "literal_ref", "random", "op_zoo"}) {
    SCOPED_TRACE(model);
    ExpectSameOutputs(model);
  }
}

TEST_F(TfGraphs, ExportedGraphsReimportIdentically) {
  for (const char* model : {"linear", "classifier", "seed", "resource", "literal_ref", "random"}) {
    auto g = Graph::FromGraphDef(Read(std::string(model) + ".pb"));
    ASSERT_TRUE(g.ok()) << model << ": " << g.status().ToString();
    tensorflow::GraphDef theirs, again;
    ASSERT_TRUE(theirs.ParseFromString(Read(std::string(model) + ".pb")));
    ASSERT_TRUE(again.ParseFromString(g->SerializeGraphDef()));
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(theirs, again)) << model;
  }
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// The other direction: TensorFlow imports a GraphDef we built and computes what we compute.
TEST_F(TfGraphs, TfRunsOurGraph) {
  Graph g;
  g.set_seed(42);
  Output x = ops::Placeholder(g, DataType::kFloat, testutil::PS({-1, 3}), "x");
  Output labels = ops::Placeholder(g, DataType::kInt64, testutil::PS({-1}), "labels");
  ops::Variable w = ops::MakeVariable(
      g, ops::TruncatedNormal(g, TensorShape{3, 4}, 0.0, 0.5, DataType::kFloat, 1), {.name = "w"});
  ops::Variable b =
      ops::MakeVariable(g, ops::RandomUniform(g, TensorShape{4}, -1, 1, DataType::kFloat, 2),
                        {.name = "b", .use_resource = true});
  Output logits = ops::Add(g, ops::MatMul(g, x, w.value()), ops::ReadValue(g, b), "logits");
  Output loss =
      ops::Mean(g, ops::SparseSoftmaxCrossEntropyWithLogits(g, labels, logits), {}, false, "loss");
  Output probs = ops::Softmax(g, logits, "probs");
  Operation init = ops::GlobalVariablesInitializer(g);
  CKPT_ASSERT_OK(g.status());

  Tensor xv = testutil::F({1, 2, 3, -1, 0.5f, 2}, {2, 3});
  Tensor lv = testutil::L({3, 1}, {2});
  auto s = Session::Create(&g);
  ASSERT_TRUE(s.ok());
  CKPT_ASSERT_OK((*s)->Run({}, {}, {init.name}).status());
  auto ours = (*s)->Run({{"x:0", xv}, {"labels:0", lv}}, {"loss:0", "probs:0"});
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();

  const std::string pb = *scratch_ + "/ours.pb";
  {
    std::ofstream f(pb, std::ios::binary);
    f << g.SerializeGraphDef();
  }
  const std::string out = *scratch_ + "/ours_out.json";
  const std::string py =
      "import json, os, sys\n"
      "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
      "import numpy as np, tensorflow as tf\n"
      "tf1 = tf.compat.v1\n"
      "gd = tf1.GraphDef(); gd.ParseFromString(open(sys.argv[1], 'rb').read())\n"
      "g = tf.Graph()\n"
      "with g.as_default(): tf.graph_util.import_graph_def(gd, name='')\n"
      "with tf1.Session(graph=g) as s:\n"
      "  s.run('init')\n"
      "  l, p = s.run(['loss:0', 'probs:0'], {'x:0': np.array([[1, 2, 3], [-1, 0.5, 2]], "
      "np.float32),\n"
      "                                        'labels:0': np.array([3, 1], np.int64)})\n"
      "json.dump({'loss': float(l), 'probs': p.flatten().tolist()}, open(sys.argv[2], 'w'))\n";
  {
    std::ofstream f(*scratch_ + "/run_ours.py");
    f << py;
  }
  const std::string cmd = "python3 " + *scratch_ + "/run_ours.py " + pb + " " + out + " >" +
                          *scratch_ + "/run_ours.log 2>&1";
  auto read_scratch = [&](const std::string& name) {
    std::ifstream f(*scratch_ + "/" + name);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_scratch("run_ours.log");
  json tf_out = json::parse(read_scratch("ours_out.json"));
  EXPECT_NEAR((*ours)[0].data<float>()[0], tf_out["loss"].get<double>(), 1e-5);
  std::vector<double> tf_probs = tf_out["probs"];
  ASSERT_EQ(tf_probs.size(), 8u);
  for (size_t i = 0; i < tf_probs.size(); ++i) {
    // Same seeds, same Philox stream: TF initializes the variables to our values.
    EXPECT_NEAR((*ours)[1].data<float>()[i], tf_probs[i], 1e-6) << i;
  }
}

}  // namespace
}  // namespace ckpt
