// A softmax classifier (2-16-16-4 ReLU MLP) trained with Adam on synthetic 2-D data, saved
// with a Saver (global_step, Adam slots and beta powers included) and resumed.
//
//   mlp_demo train DIR STEPS     train from scratch, save DIR/model-STEP every 100 steps
//   mlp_demo resume DIR STEPS    restore the latest checkpoint of DIR (its global_step says
//                                where it stopped) and train on to STEPS
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/core/env.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/optimizers.h"
#include "ckpt/graph/session.h"
#include "ckpt/metagraph/saver.h"

namespace {

using namespace ckpt;  // NOLINT(build/namespaces): example program

constexpr int kClasses = 4, kBatch = 32;

// Four Gaussian blobs at the corners of a square; sample i is deterministic.
void Batch(int64_t step, Tensor* x, Tensor* y) {
  std::mt19937_64 rng(1000 + step);
  std::normal_distribution<float> n(0.f, 0.6f);
  for (int i = 0; i < kBatch; ++i) {
    const int c = static_cast<int>(rng() % kClasses);
    x->data<float>()[2 * i] = (c & 1 ? 2.f : -2.f) + n(rng);
    x->data<float>()[2 * i + 1] = (c & 2 ? 2.f : -2.f) + n(rng);
    y->data<int64_t>()[i] = c;
  }
}

struct Model {
  Graph g;
  Output x, y, loss, accuracy, step;
  Operation train, init;
  std::unique_ptr<Saver> saver;
};

Status Build(Model* m) {
  Graph& g = m->g;
  g.set_seed(7);
  m->x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{-1, 2}), "x");
  m->y = ops::Placeholder(g, DataType::kInt64, PartialShape(std::vector<int64_t>{-1}), "y");
  Output h = m->x;
  int64_t in = 2;
  const int64_t widths[] = {16, 16, kClasses};
  for (int l = 0; l < 3; ++l) {
    ops::VariableOptions vo;
    vo.name = "dense" + std::to_string(l) + "/kernel";
    ops::Variable w = ops::MakeVariable(g, ops::TruncatedNormal(g, {in, widths[l]}, 0.0, 0.5), vo);
    vo.name = "dense" + std::to_string(l) + "/bias";
    ops::Variable b = ops::MakeVariable(g, ops::Zeros(g, {widths[l]}), vo);
    h = ops::Add(g, ops::MatMul(g, h, w.value()), b.value());
    if (l < 2) h = ops::Relu(g, h);
    in = widths[l];
  }
  m->loss = ops::Mean(g, ops::SparseSoftmaxCrossEntropyWithLogits(g, m->y, h), {}, false, "loss");
  Output correct = ops::Equal(g, ops::ArgMax(g, h, 1), m->y);
  m->accuracy = ops::Mean(g, ops::Cast(g, correct, DataType::kFloat), {}, false, "accuracy");
  CKPT_ASSIGN_OR_RETURN(m->step, GetOrCreateGlobalStep(g));
  AdamOptimizer opt(0.01);
  MinimizeOptions mo;
  mo.global_step = m->step;
  CKPT_ASSIGN_OR_RETURN(m->train, opt.Minimize(g, m->loss, mo));
  m->init = ops::GlobalVariablesInitializer(g);
  CKPT_RETURN_IF_ERROR(g.status());
  CKPT_ASSIGN_OR_RETURN(m->saver, Saver::Create(g));
  return Status::OK();
}

int Fail(const Status& s) {
  std::fprintf(stderr, "mlp_demo: %s\n", s.ToString().c_str());
  return 1;
}

Status Loop(Model& m, Session& sess, const std::string& dir, int64_t until) {
  Tensor x(DataType::kFloat, TensorShape{kBatch, 2}), y(DataType::kInt64, TensorShape{kBatch});
  CKPT_ASSIGN_OR_RETURN(auto st, sess.Run({}, {m.step.name()}));
  int64_t step = st[0].data<int64_t>()[0];
  while (step < until) {
    Batch(step, &x, &y);
    Session::FeedList feed = {{m.x.name(), x}, {m.y.name(), y}};
    CKPT_RETURN_IF_ERROR(sess.Run(feed, {}, {m.train.name}).status());
    ++step;
    if (step % 100 == 0) {
      Batch(1000000 + step, &x, &y);  // held-out batch
      CKPT_ASSIGN_OR_RETURN(
          auto r, sess.Run({{m.x.name(), x}, {m.y.name(), y}}, {m.loss.name(), m.accuracy.name()}));
      CKPT_ASSIGN_OR_RETURN(std::string path, m.saver->Save(sess, dir + "/model", step));
      std::printf("step %lld: loss %.4f, accuracy %.2f, saved %s\n", static_cast<long long>(step),
                  r[0].data<float>()[0], r[1].data<float>()[0], path.c_str());
    }
  }
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: mlp_demo train|resume DIR STEPS\n");
    return 2;
  }
  const std::string cmd = argv[1], dir = argv[2];
  const int64_t steps = std::atoll(argv[3]);
  Model m;
  Status s = Build(&m);
  if (!s.ok()) return Fail(s);
  auto sess = Session::Create(&m.g);
  if (!sess.ok()) return Fail(sess.status());
  if (cmd == "train") {
    s = Env::Default()->RecursivelyCreateDir(dir);
    if (!s.ok()) return Fail(s);
    auto r = (*sess)->Run({}, {}, {m.init.name});
    if (!r.ok()) return Fail(r.status());
  } else if (cmd == "resume") {
    auto latest = LatestCheckpoint(Env::Default(), dir);
    if (!latest.ok()) return Fail(latest.status());
    s = m.saver->Restore(**sess, *latest);
    if (!s.ok()) return Fail(s);
    auto st = (*sess)->Run({}, {m.step.name()});
    if (!st.ok()) return Fail(st.status());
    std::printf("restored %s at global_step %lld\n", latest->c_str(),
                static_cast<long long>((*st)[0].data<int64_t>()[0]));
  } else {
    return Fail(InvalidArgumentError("unknown command " + cmd));
  }
  s = Loop(m, **sess, dir, steps);
  return s.ok() ? 0 : Fail(s);
}
