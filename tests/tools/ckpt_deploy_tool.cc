// Helper for tests/python/test_deploy_*.py: the C++ side of the seed model's deploy flow.
//
//   ckpt_deploy_tool predict PATH X...
//       Loads PATH (a .meta, a checkpoint prefix, a checkpoint directory or a SavedModel
//       directory), runs collection "predict_op" with input:0 = [x] for every X.
//       Prints {"prefix": ..., "predictions": [...], "variables": {name: value}}.
//   ckpt_deploy_tool build_train_save DIR RESOURCE(0|1) LR DATA_JSON SAVE_EVERY
//       Builds the seed graph in C++ (train_op: gradient descent on the logistic loss),
//       initializes A = 10 (instead of a random draw, for reproducibility), trains one step per
//       [x, y] pair in DATA_JSON, saving DIR/checkpoint_model-STEP every SAVE_EVERY steps.
//       Prints {"prefix": last prefix, "A": value, "predictions": ...}.
//   ckpt_deploy_tool import_train_save PREFIX OUT_PREFIX DATA_JSON
//       Imports PREFIX.meta (a TF-written training graph), restores PREFIX, runs its train_op
//       (collection "train_op", else node "GradientDescent") once per [x, y] pair (feeding
//       input:0 and Placeholder:0), then saves OUT_PREFIX with step len(DATA) through the
//       imported Saver. Prints {"A": value, "prefix": ...}.
//   ckpt_deploy_tool signature DIR KEY TAGS NAME=JSON...
//       Loads a SavedModel with comma-separated TAGS and runs signature KEY.
//   ckpt_deploy_tool bench PATH ITERS X
//       Median / mean latency (microseconds) of predict_op at batch 1 over ITERS runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/session.h"
#include "ckpt/metagraph/meta_graph.h"
#include "ckpt/metagraph/saved_model.h"
#include "ckpt/metagraph/saver.h"
#include "ckpt/metagraph/tensor_text.h"

namespace {

using namespace ckpt;  // NOLINT
using json = nlohmann::json;

int Fail(const Status& s) {
  std::cerr << "error: " << s.ToString() << "\n";
  return 1;
}

json TensorJson(const Tensor& t) { return json::parse(TensorToJson(t)); }

json VariablesJson(Session& sess) {
  json v = json::object();
  for (const auto& var : sess.ListVariables()) {
    auto t = sess.GetVariable(var.name);
    if (t.ok()) v[var.name] = TensorJson(*t);
  }
  return v;
}

StatusOr<json> Predict(LoadedModel& m, const std::vector<float>& xs) {
  CKPT_ASSIGN_OR_RETURN(std::string fetch, m.ResolveTensorName("predict_op"));
  json preds = json::array();
  for (float x : xs) {
    CKPT_ASSIGN_OR_RETURN(
        auto out, m.session->Run({{"input:0", Tensor::FromVector<float>({x}, {1})}}, {fetch}));
    preds.push_back(TensorJson(out[0]));
  }
  return preds;
}

int CmdPredict(int argc, char** argv) {
  if (argc < 3) return Fail(InvalidArgumentError("usage: predict PATH X..."));
  auto m = LoadModel(Env::Default(), argv[2]);
  if (!m.ok()) return Fail(m.status());
  std::vector<float> xs;
  for (int i = 3; i < argc; ++i) xs.push_back(std::stof(argv[i]));
  auto preds = Predict(**m, xs);
  if (!preds.ok()) return Fail(preds.status());
  json out = {{"prefix", (*m)->checkpoint_prefix},
              {"predictions", *preds},
              {"variables", VariablesJson(*(*m)->session)}};
  std::cout << out.dump() << "\n";
  return 0;
}

int CmdBuildTrainSave(int argc, char** argv) {
  if (argc < 7) {
    return Fail(InvalidArgumentError("usage: build_train_save DIR RESOURCE LR DATA EVERY"));
  }
  const std::string dir = argv[2];
  const bool resource = std::string(argv[3]) == "1";
  const float lr = std::stof(argv[4]);
  json data = json::parse(argv[5]);
  const int every = std::stoi(argv[6]);

  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}), "input");
  Output y = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}));
  Output init_value = ops::RandomNormal(g, TensorShape({1}), 10.0);
  ops::VariableOptions vo;
  vo.use_resource = resource;
  ops::Variable a = ops::MakeVariable(g, init_value, vo);
  Output my_output = ops::Add(g, x, ops::ReadValue(g, a));
  Output logits = ops::ExpandDims(g, my_output, 0);
  Output labels = ops::ExpandDims(g, y, 0);
  ops::SigmoidCrossEntropyWithLogits(g, labels, logits);
  Output predict = ops::Round(g, ops::Sigmoid(g, my_output));
  g.AddToCollection("predict_op", predict.name());
  // d loss / d A = sigmoid(x + A) - y; A -= lr * grad.
  Operation train;
  {
    Graph::NameScope scope(g, "GradientDescent");
    Output grad = ops::Sub(g, ops::Sigmoid(g, my_output), y, "grad");
    Output step = ops::Mul(g, grad, lr, "step");
    Operation update = resource
                           ? ops::AssignSubVariableOp(g, a.variable, step, "update_A")
                           : Operation(ops::AssignSub(g, a.variable, step, false, "update_A").node);
    train = ops::Group(g, {update}, scope.scope_name());
  }
  g.AddToCollection(kTrainOp, train.name);
  Operation init = ops::GlobalVariablesInitializer(g);
  auto saver = Saver::Create(g);
  if (!saver.ok()) return Fail(saver.status());
  auto sess = Session::Create(&g);
  if (!sess.ok()) return Fail(sess.status());
  auto r = (*sess)->Run({}, {}, {init.name});
  if (!r.ok()) return Fail(r.status());
  Status s = (*sess)->SetVariable(a.variable.node, Tensor::FromVector<float>({10.0f}, {1}));
  if (!s.ok()) return Fail(s);
  std::string last;
  for (size_t i = 0; i < data.size(); ++i) {
    const float xv = data[i][0].get<float>(), yv = data[i][1].get<float>();
    auto step = (*sess)->Run({{"input:0", Tensor::FromVector<float>({xv}, {1})},
                              {"Placeholder:0", Tensor::FromVector<float>({yv}, {1})}},
                             {}, {train.name});
    if (!step.ok()) return Fail(step.status());
    if ((i + 1) % every == 0) {
      auto p = (*saver)->Save(**sess, dir + "/checkpoint_model", static_cast<int64_t>(i));
      if (!p.ok()) return Fail(p.status());
      last = *p;
    }
  }
  auto av = (*sess)->GetVariable(a.variable.node);
  if (!av.ok()) return Fail(av.status());
  json preds = json::array();
  for (float xv : {-3.0f, -1.0f, 0.0f, 1.0f, 2.4f, 5.0f}) {
    auto out = (*sess)->Run({{"input:0", Tensor::FromVector<float>({xv}, {1})}}, {predict.name()});
    if (!out.ok()) return Fail(out.status());
    preds.push_back(TensorJson((*out)[0]));
  }
  std::cout << json{{"prefix", last}, {"A", TensorJson(*av)}, {"predictions", preds}}.dump()
            << "\n";
  return 0;
}

int CmdImportTrainSave(int argc, char** argv) {
  if (argc < 5) return Fail(InvalidArgumentError("usage: import_train_save PREFIX OUT DATA"));
  const std::string prefix = argv[2];
  const std::string out_prefix = argv[3];
  json data = json::parse(argv[4]);
  auto mg = ImportMetaGraph(Env::Default(), prefix + ".meta");
  if (!mg.ok()) return Fail(mg.status());
  if (mg->saver == nullptr) return Fail(InvalidArgumentError("no saver_def"));
  auto sess = Session::Create(mg->graph.get());
  if (!sess.ok()) return Fail(sess.status());
  Status s = mg->saver->Restore(**sess, prefix);
  if (!s.ok()) return Fail(s);
  std::string train = mg->graph->GetCollection(kTrainOp).empty()
                          ? "GradientDescent"
                          : mg->graph->GetCollection(kTrainOp).front();
  for (const auto& d : data) {
    auto r = (*sess)->Run({{"input:0", Tensor::FromVector<float>({d[0].get<float>()}, {1})},
                           {"Placeholder:0", Tensor::FromVector<float>({d[1].get<float>()}, {1})}},
                          {}, {train});
    if (!r.ok()) return Fail(r.status());
  }
  auto p = mg->saver->Save(**sess, out_prefix, static_cast<int64_t>(data.size()));
  if (!p.ok()) return Fail(p.status());
  std::cout << json{{"prefix", *p}, {"variables", VariablesJson(**sess)}}.dump() << "\n";
  return 0;
}

int CmdSignature(int argc, char** argv) {
  if (argc < 5) return Fail(InvalidArgumentError("usage: signature DIR KEY TAGS NAME=JSON..."));
  LoadOptions lo;
  lo.tags.clear();
  std::string tags = argv[4];
  for (size_t start = 0; start <= tags.size();) {
    size_t c = tags.find(',', start);
    if (c == std::string::npos) c = tags.size();
    if (c > start) lo.tags.push_back(tags.substr(start, c - start));
    start = c + 1;
  }
  auto m = LoadSavedModel(Env::Default(), argv[2], lo);
  if (!m.ok()) return Fail(m.status());
  auto it = (*m)->signatures.find(argv[3]);
  if (it == (*m)->signatures.end()) return Fail(NotFoundError("no signature"));
  std::map<std::string, Tensor> inputs;
  for (int i = 5; i < argc; ++i) {
    std::string arg = argv[i];
    size_t eq = arg.find('=');
    std::string key = arg.substr(0, eq);
    auto in = it->second.inputs.find(key);
    if (in == it->second.inputs.end()) return Fail(NotFoundError("no input " + key));
    auto t = (*m)->ParseFeed(in->second.name, arg.substr(eq + 1));
    if (!t.ok()) return Fail(t.status());
    inputs[key] = *t;
  }
  auto out = (*m)->RunSignature(argv[3], inputs);
  if (!out.ok()) return Fail(out.status());
  json j = json::object();
  for (const auto& [k, t] : *out) j[k] = TensorJson(t);
  std::cout << j.dump() << "\n";
  return 0;
}

int CmdBench(int argc, char** argv) {
  if (argc < 5) return Fail(InvalidArgumentError("usage: bench PATH ITERS X"));
  auto m = LoadModel(Env::Default(), argv[2]);
  if (!m.ok()) return Fail(m.status());
  const int iters = std::stoi(argv[3]);
  const float x = std::stof(argv[4]);
  auto fetch = (*m)->ResolveTensorName("predict_op");
  if (!fetch.ok()) return Fail(fetch.status());
  Session::FeedList feeds = {{"input:0", Tensor::FromVector<float>({x}, {1})}};
  std::vector<std::string> fetches = {*fetch};
  for (int i = 0; i < 100; ++i) (void)(*m)->session->Run(feeds, fetches);  // warm-up
  std::vector<double> us;
  us.reserve(iters);
  float last = 0;
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto out = (*m)->session->Run(feeds, fetches);
    auto t1 = std::chrono::steady_clock::now();
    if (!out.ok()) return Fail(out.status());
    last = (*out)[0].data<float>()[0];
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(us.begin(), us.end());
  double mean = 0;
  for (double v : us) mean += v;
  mean /= us.size();
  std::cout << json{{"median_us", us[us.size() / 2]},
                    {"mean_us", mean},
                    {"p90_us", us[us.size() * 9 / 10]},
                    {"iters", iters},
                    {"last", last}}
                   .dump()
            << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: ckpt_deploy_tool predict|build_train_save|import_train_save|"
                 "signature|bench ...\n";
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "predict") return CmdPredict(argc, argv);
  if (cmd == "build_train_save") return CmdBuildTrainSave(argc, argv);
  if (cmd == "import_train_save") return CmdImportTrainSave(argc, argv);
  if (cmd == "signature") return CmdSignature(argc, argv);
  if (cmd == "bench") return CmdBench(argc, argv);
  std::cerr << "unknown command " << cmd << "\n";
  return 2;
}
