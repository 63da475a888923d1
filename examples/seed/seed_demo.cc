// The seed's workflow in C++: train sigmoid(x + A) with gradient descent, save checkpoints
// with a Saver, restore and continue, pick the best step, warm-start a changed model.
//
//   seed_demo train DIR [STEPS]          train from scratch, save every 200 steps into
//                                        DIR/checkpoint_model-STEP (max_to_keep 5); the
//                                        training loss goes to TensorBoard in DIR/train
//   seed_demo resume DIR PREFIX STEPS    rebuild the graph, restore PREFIX (e.g.
//                                        DIR/checkpoint_model-999) and train on to STEPS
//                                        with the same data order as an uninterrupted run
//   seed_demo evaluate DIR               evaluate every kept checkpoint on the 100 points,
//                                        print the best step; loss and accuracy of each go
//                                        to TensorBoard in DIR/eval
//   seed_demo warmstart PREFIX           a changed model (new loss, variable renamed, one new
//                                        variable) initialised from PREFIX's "Variable"
//
// The graph seed is fixed (A's initial value is the same in every run).
// Data: 50 points from N(-1, 1) labelled 0 and 50 from N(3, 1) labelled 1; step i trains on
// point order[i], with order drawn once from a fixed seed, so a resumed run sees the same
// points as an uninterrupted one.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/checkpoint/summary_writer.h"
#include "ckpt/core/env.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/optimizers.h"
#include "ckpt/graph/session.h"
#include "ckpt/metagraph/saver.h"

namespace {

using namespace ckpt;  // NOLINT(build/namespaces): example program

constexpr int kPoints = 100;
constexpr int kMaxSteps = 100000;

struct Data {
  std::vector<float> x, y;
  std::vector<int> order;  // point index per step
};

Data MakeData() {
  Data d;
  std::mt19937_64 rng(20240601);
  std::normal_distribution<double> n0(-1.0, 1.0), n1(3.0, 1.0);
  for (int i = 0; i < 50; ++i) d.x.push_back(static_cast<float>(n0(rng)));
  for (int i = 0; i < 50; ++i) d.x.push_back(static_cast<float>(n1(rng)));
  for (int i = 0; i < kPoints; ++i) d.y.push_back(i < 50 ? 0.f : 1.f);
  std::uniform_int_distribution<int> pick(0, kPoints - 1);
  for (int i = 0; i < kMaxSteps; ++i) d.order.push_back(pick(rng));
  return d;
}

struct SeedModel {
  Graph graph;
  Output x, y, a, loss, predict;
  Operation train, init;
  std::unique_ptr<Saver> saver;
};

// The seed's graph: input placeholder "input", A ~ N(10, 1), loss = sigmoid cross entropy of
// expand_dims(x + A), predict_op = round(sigmoid(x + A)), GradientDescent(0.05).
Status BuildSeed(SeedModel* m) {
  Graph& g = m->graph;
  // tf.compat.v1.set_random_seed(2024): every run starts from the same A, so an uninterrupted
  // run and a killed-and-resumed one can be compared exactly.
  g.set_seed(2024);
  m->x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}), "input");
  m->y = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}));
  ops::Variable a = ops::MakeVariable(g, ops::RandomNormal(g, {1}, 10.0));
  m->a = a.value();
  Output out = ops::Add(g, m->x, a.value());
  Output logits = ops::ExpandDims(g, out, 0);
  Output labels = ops::ExpandDims(g, m->y, 0);
  m->loss = ops::SigmoidCrossEntropyWithLogits(g, labels, logits);
  m->predict = ops::Round(g, ops::Sigmoid(g, out));
  g.AddToCollection("predict_op", m->predict.name());
  GradientDescentOptimizer opt(0.05);
  CKPT_ASSIGN_OR_RETURN(m->train, opt.Minimize(g, m->loss));
  // Exported in the .meta, so a program without the model code (C++ or TensorFlow) can keep
  // training.
  g.AddToCollection("train_op", m->train.name);
  m->init = ops::GlobalVariablesInitializer(g);
  CKPT_RETURN_IF_ERROR(g.status());
  SaverOptions so;
  so.max_to_keep = 5;
  CKPT_ASSIGN_OR_RETURN(m->saver, Saver::Create(g, so));
  return Status::OK();
}

Session::FeedList Feed(const SeedModel& m, float x, float y) {
  return {{m.x.name(), Tensor::FromVector<float>({x}, TensorShape{1})},
          {m.y.name(), Tensor::FromVector<float>({y}, TensorShape{1})}};
}

std::string Vec(const Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.8g", i ? " " : "", t.data<float>()[i]);
    s += buf;
  }
  return s + "]";
}

int Fail(const Status& s) {
  std::fprintf(stderr, "seed_demo: %s\n", s.ToString().c_str());
  return 1;
}

// Trains steps [first, last), printing and (when save_dir is set) saving every 200 steps.
// Training loss also goes to TensorBoard: SAVE_DIR/train.
Status TrainLoop(SeedModel& m, Session& sess, const Data& d, int first, int last,
                 const std::string& save_dir) {
  std::unique_ptr<SummaryWriter> summary;
  if (!save_dir.empty()) {
    CKPT_ASSIGN_OR_RETURN(summary, SummaryWriter::Create(Env::Default(), save_dir + "/train"));
  }
  for (int i = first; i < last; ++i) {
    const int k = d.order[i];
    auto feed = Feed(m, d.x[k], d.y[k]);
    CKPT_RETURN_IF_ERROR(sess.Run(feed, {}, {m.train.name}).status());
    if ((i + 1) % 200 == 0) {
      CKPT_ASSIGN_OR_RETURN(auto av, sess.Run({}, {m.a.name()}));
      CKPT_ASSIGN_OR_RETURN(auto lv, sess.Run(feed, {m.loss.name()}));
      std::printf("Step #%d A = %s\nLoss = %s\n", i + 1, Vec(av[0]).c_str(), Vec(lv[0]).c_str());
      if (summary != nullptr) {
        CKPT_RETURN_IF_ERROR(summary->AddScalar("loss", lv[0].data<float>()[0], i));
        CKPT_ASSIGN_OR_RETURN(std::string path,
                              m.saver->Save(sess, save_dir + "/checkpoint_model", i));
        std::printf("  saved %s\n", path.c_str());
      }
    }
  }
  CKPT_ASSIGN_OR_RETURN(auto av, sess.Run({}, {m.a.name()}));
  std::printf("final A = %s\n", Vec(av[0]).c_str());
  return Status::OK();
}

int Train(const std::string& dir, int steps) {
  SeedModel m;
  Status s = BuildSeed(&m);
  if (!s.ok()) return Fail(s);
  auto sess = Session::Create(&m.graph);
  if (!sess.ok()) return Fail(sess.status());
  auto r = (*sess)->Run({}, {}, {m.init.name});
  if (!r.ok()) return Fail(r.status());
  s = TrainLoop(m, **sess, MakeData(), 0, steps, dir);
  return s.ok() ? 0 : Fail(s);
}

int Resume(const std::string& prefix, int steps) {
  SeedModel m;
  Status s = BuildSeed(&m);
  if (!s.ok()) return Fail(s);
  auto sess = Session::Create(&m.graph);
  if (!sess.ok()) return Fail(sess.status());
  s = m.saver->Restore(**sess, prefix);
  if (!s.ok()) return Fail(s);
  // checkpoint_model-999 holds the variables after step index 999: continue at 1000.
  const size_t dash = prefix.rfind('-');
  const int done = dash == std::string::npos ? 0 : std::atoi(prefix.c_str() + dash + 1) + 1;
  auto av = (*sess)->Run({}, {m.a.name()});
  if (!av.ok()) return Fail(av.status());
  std::printf("restored %s: A = %s, continuing at step %d\n", prefix.c_str(), Vec((*av)[0]).c_str(),
              done + 1);
  s = TrainLoop(m, **sess, MakeData(), done, steps, "");
  return s.ok() ? 0 : Fail(s);
}

int Evaluate(const std::string& dir) {
  auto state = GetCheckpointState(Env::Default(), dir);
  if (!state.ok()) return Fail(state.status());
  if (!state->has_value()) return Fail(NotFoundError("no checkpoint state file in " + dir));
  SeedModel m;
  Status s = BuildSeed(&m);
  if (!s.ok()) return Fail(s);
  auto sess = Session::Create(&m.graph);
  if (!sess.ok()) return Fail(sess.status());
  const Data d = MakeData();
  // Evaluation loss and accuracy of every kept checkpoint, for TensorBoard: DIR/eval.
  auto summary = SummaryWriter::Create(Env::Default(), dir + "/eval");
  if (!summary.ok()) return Fail(summary.status());
  std::string best;
  double best_loss = 1e300;
  for (const std::string& path : (*state)->all_model_checkpoint_paths) {
    s = m.saver->Restore(**sess, path);
    if (!s.ok()) return Fail(s);
    double loss = 0;
    int correct = 0;
    for (int k = 0; k < kPoints; ++k) {
      auto r = (*sess)->Run(Feed(m, d.x[k], d.y[k]), {m.loss.name(), m.predict.name()});
      if (!r.ok()) return Fail(r.status());
      loss += (*r)[0].data<float>()[0];
      correct += (*r)[1].data<float>()[0] == d.y[k];
    }
    loss /= kPoints;
    std::printf("%s: mean loss %.6f, accuracy %d%%\n", path.c_str(), loss, correct);
    const size_t dash = path.rfind('-');
    const int64_t step = dash == std::string::npos ? 0 : std::atoll(path.c_str() + dash + 1);
    s = (*summary)->AddScalars({{"loss", loss}, {"accuracy", correct / double(kPoints)}}, step);
    if (!s.ok()) return Fail(s);
    if (loss < best_loss) {
      best_loss = loss;
      best = path;
    }
  }
  std::printf("best step: %s (mean loss %.6f)\n", best.c_str(), best_loss);
  return 0;
}

// Warm start: a new model whose variable "A_warm" takes its value from the checkpoint's
// "Variable", plus a new scale "B" (not in the checkpoint, initialised fresh), trained with a
// different loss (squared error of sigmoid(B * x + A)).
int WarmStart(const std::string& prefix) {
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}), "input");
  Output y = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}), "label");
  ops::VariableOptions vo;
  vo.name = "A_warm";
  ops::Variable a = ops::MakeVariable(g, ops::Zeros(g, {1}), vo);
  vo.name = "B";
  ops::Variable b = ops::MakeVariable(g, ops::Ones(g, {1}), vo);
  Output pred = ops::Sigmoid(g, ops::Add(g, ops::Mul(g, b.value(), x), a.value()));
  Output loss = ops::Mean(g, ops::Square(g, ops::Sub(g, pred, y)));
  GradientDescentOptimizer opt(0.5);
  auto train = opt.Minimize(g, loss);
  if (!train.ok()) return Fail(train.status());
  Operation init = ops::GlobalVariablesInitializer(g);
  // Restore only A_warm, from the checkpoint key "Variable".
  SaverOptions so;
  so.name = "warm_start";
  so.var_map = {{"Variable", "A_warm"}};
  auto warm = Saver::Create(g, so);
  if (!warm.ok()) return Fail(warm.status());
  auto sess = Session::Create(&g);
  if (!sess.ok()) return Fail(sess.status());
  auto r = (*sess)->Run({}, {}, {init.name});
  if (!r.ok()) return Fail(r.status());
  Status s = (*warm)->Restore(**sess, prefix);
  if (!s.ok()) return Fail(s);
  auto av = (*sess)->Run({}, {a.value().name(), b.value().name()});
  if (!av.ok()) return Fail(av.status());
  std::printf("warm start from %s: A_warm = %s (from 'Variable'), B = %s (fresh)\n", prefix.c_str(),
              Vec((*av)[0]).c_str(), Vec((*av)[1]).c_str());
  const Data d = MakeData();
  for (int i = 0; i < 400; ++i) {
    const int k = d.order[i];
    Session::FeedList f = {{x.name(), Tensor::FromVector<float>({d.x[k]}, TensorShape{1})},
                           {y.name(), Tensor::FromVector<float>({d.y[k]}, TensorShape{1})}};
    auto t = (*sess)->Run(f, {}, {train->name});
    if (!t.ok()) return Fail(t.status());
  }
  av = (*sess)->Run({}, {a.value().name(), b.value().name()});
  if (!av.ok()) return Fail(av.status());
  std::printf("after 400 steps of the new loss: A_warm = %s, B = %s\n", Vec((*av)[0]).c_str(),
              Vec((*av)[1]).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "train" && argc >= 3) return Train(argv[2], argc > 3 ? std::atoi(argv[3]) : 1400);
  if (cmd == "resume" && argc >= 5) return Resume(argv[3], std::atoi(argv[4]));
  if (cmd == "evaluate" && argc >= 3) return Evaluate(argv[2]);
  if (cmd == "warmstart" && argc >= 3) return WarmStart(argv[2]);
  std::fprintf(stderr,
               "usage: seed_demo train DIR [STEPS] | resume DIR PREFIX STEPS | evaluate DIR | "
               "warmstart PREFIX\n");
  return 2;
}
