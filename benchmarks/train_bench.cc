// C++ side of the training benchmarks (TF side: benchmarks/tf_train_bench.py; driver:
// benchmarks/run_train_bench.sh). Prints one JSON object:
//   seed_loop_seconds: the seed's loop, 1400 GradientDescent steps on sigmoid(x + A) with one
//       random point per step, fetching A and the loss and saving (Saver, .meta included,
//       max_to_keep 5) every 200 steps: 7 saves;
//   seed_step_us: mean time of one training step (Session::Run of the train op) in that loop;
//   seed_save_ms: mean time of one Saver::Save (files fsync'ed, state file written atomically);
//   seed_loop_seconds_no_fsync / seed_save_ms_no_fsync / seed_step_us_no_fsync: the same with
//       SaveCallOptions::sync off, the durability of TF's Saver (which issues no fsync when
//       saving: checked with strace on tf.compat.v1.train.Saver.save);
//   fsync_ms: median latency of one fsync of a fresh 4 KiB file in WORKDIR (the disk's floor
//       under a durable save);
//   classifier_steps_per_second_batch64: 784-256-256-10 ReLU MLP, sparse softmax cross
//       entropy, Adam(1e-3), batch 64, after 20 warm-up steps.
//   Usage: train_bench [WORKDIR] [CLASSIFIER_STEPS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/optimizers.h"
#include "ckpt/graph/session.h"
#include "ckpt/metagraph/saver.h"

namespace {

using namespace ckpt;  // NOLINT(build/namespaces): benchmark program
using Clock = std::chrono::steady_clock;

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "train_bench: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// The disk's fsync latency: median of 50 rounds of (4 KiB write + fsync) on a fresh file in
// `dir`, each then removed: the hardware floor under a durable save's handful of fsyncs.
double FsyncMillis(const std::string& dir) {
  Env* env = Env::Default();
  std::vector<double> ms;
  const std::string data(4096, 'x');
  for (int i = 0; i < 50; ++i) {
    const std::string f = dir + "/fsync_probe" + std::to_string(i);
    auto file = env->NewWritableFile(f);
    Check(file.status(), "fsync probe");
    Check((*file)->Append(data), "fsync probe");
    const auto t0 = Clock::now();
    Check((*file)->Sync(), "fsync probe");
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    Check((*file)->Close(), "fsync probe");
    env->DeleteFile(f).IgnoreError();
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

struct SeedTimes {
  double total = 0, steps = 0, saves = 0;
};

SeedTimes SeedLoop(const std::string& dir, bool sync) {
  std::mt19937_64 rng(0);
  std::normal_distribution<double> n0(-1, 1), n1(3, 1);
  std::vector<float> xs, ys;
  for (int i = 0; i < 100; ++i) {
    xs.push_back(static_cast<float>(i < 50 ? n0(rng) : n1(rng)));
    ys.push_back(i < 50 ? 0.f : 1.f);
  }
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<int> idx(1400);
  for (int& i : idx) i = pick(rng);

  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}), "input");
  Output y = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}));
  ops::Variable a = ops::MakeVariable(g, ops::RandomNormal(g, {1}, 10.0));
  Output out = ops::Add(g, x, a.value());
  Output loss =
      ops::SigmoidCrossEntropyWithLogits(g, ops::ExpandDims(g, y, 0), ops::ExpandDims(g, out, 0));
  g.AddToCollection("predict_op", ops::Round(g, ops::Sigmoid(g, out)).name());
  GradientDescentOptimizer opt(0.05);
  auto train = opt.Minimize(g, loss);
  Check(train.status(), "minimize");
  Operation init = ops::GlobalVariablesInitializer(g);
  auto saver = Saver::Create(g);
  Check(saver.status(), "saver");
  auto sess = Session::Create(&g);
  Check(sess.status(), "session");
  Check((*sess)->Run({}, {}, {init.name}).status(), "init");
  SaveCallOptions save_options;
  save_options.sync = sync;

  Tensor xt(DataType::kFloat, TensorShape{1}), yt(DataType::kFloat, TensorShape{1});
  Session::FeedList feed = {{x.name(), xt}, {y.name(), yt}};
  const std::vector<std::string> targets = {train->name};
  const std::vector<std::string> no_fetch;
  double step_total = 0, save_total = 0;
  const auto t0 = Clock::now();
  for (int i = 0; i < 1400; ++i) {
    feed[0].second.data<float>()[0] = xs[idx[i]];
    feed[1].second.data<float>()[0] = ys[idx[i]];
    const auto s0 = Clock::now();
    Check((*sess)->Run(feed, no_fetch, targets).status(), "train step");
    step_total += std::chrono::duration<double>(Clock::now() - s0).count();
    if ((i + 1) % 200 == 0) {
      Check((*sess)->Run({}, {a.value().name()}).status(), "fetch A");
      Check((*sess)->Run(feed, {loss.name()}).status(), "fetch loss");
      const auto v0 = Clock::now();
      Check((*saver)->Save(**sess, dir + "/checkpoint_model", i, save_options).status(), "save");
      save_total += std::chrono::duration<double>(Clock::now() - v0).count();
    }
  }
  SeedTimes t;
  t.total = std::chrono::duration<double>(Clock::now() - t0).count();
  t.steps = step_total;
  t.saves = save_total;
  return t;
}

double Classifier(int steps) {
  Graph g;
  g.set_seed(0);
  Output x =
      ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{-1, 784}), "x");
  Output y = ops::Placeholder(g, DataType::kInt64, PartialShape(std::vector<int64_t>{-1}), "y");
  Output h = x;
  int64_t in = 784;
  for (int i = 0; i < 2; ++i) {
    ops::VariableOptions vo;
    vo.name = "w" + std::to_string(i);
    ops::Variable w = ops::MakeVariable(g, ops::TruncatedNormal(g, {in, 256}, 0.0, 0.05), vo);
    vo.name = "b" + std::to_string(i);
    ops::Variable b = ops::MakeVariable(g, ops::Zeros(g, {256}), vo);
    h = ops::Relu(g, ops::Add(g, ops::MatMul(g, h, w.value()), b.value(), "add"));
    in = 256;
  }
  ops::VariableOptions vo;
  vo.name = "w_out";
  ops::Variable w = ops::MakeVariable(g, ops::TruncatedNormal(g, {256, 10}, 0.0, 0.05), vo);
  vo.name = "b_out";
  ops::Variable b = ops::MakeVariable(g, ops::Zeros(g, {10}), vo);
  Output logits = ops::Add(g, ops::MatMul(g, h, w.value()), b.value(), "add");
  Output loss = ops::Mean(g, ops::SparseSoftmaxCrossEntropyWithLogits(g, y, logits));
  AdamOptimizer opt(1e-3);
  auto train = opt.Minimize(g, loss);
  Check(train.status(), "minimize");
  Operation init = ops::GlobalVariablesInitializer(g);
  Check(g.status(), "graph");
  auto sess = Session::Create(&g);
  Check(sess.status(), "session");
  Check((*sess)->Run({}, {}, {init.name}).status(), "init");
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(0, 1);
  Tensor xb(DataType::kFloat, TensorShape{64, 784});
  for (int64_t i = 0; i < xb.num_elements(); ++i) xb.data<float>()[i] = u(rng);
  Tensor yb(DataType::kInt64, TensorShape{64});
  for (int i = 0; i < 64; ++i) yb.data<int64_t>()[i] = static_cast<int64_t>(rng() % 10);
  Session::FeedList feed = {{x.name(), xb}, {y.name(), yb}};
  for (int i = 0; i < 20; ++i) Check((*sess)->Run(feed, {}, {train->name}).status(), "warmup");
  const auto t0 = Clock::now();
  for (int i = 0; i < steps; ++i) Check((*sess)->Run(feed, {}, {train->name}).status(), "step");
  return steps / std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && argv[1][0] == '-') {
    std::fprintf(stderr,
                 "usage: %s [WORK_DIR (default /tmp/ckpt_train_bench)] [CLASSIFIER_STEPS]\n",
                 argv[0]);
    return 2;
  }
  std::string dir = argc > 1 ? argv[1] : "/tmp/ckpt_train_bench";
  const int steps = argc > 2 ? std::atoi(argv[2]) : 200;
  Check(ckpt::Env::Default()->RecursivelyCreateDir(dir), "mkdir");
  // Best of 5 runs of the seed loop per durability mode (shared machine), fresh directories.
  auto best_of = [&](bool sync, const char* tag) {
    SeedTimes best;
    best.total = 1e9;
    for (int r = 0; r < 5; ++r) {
      const std::string d = dir + "/" + tag + std::to_string(r);
      Check(ckpt::Env::Default()->RecursivelyCreateDir(d), "mkdir");
      SeedTimes t = SeedLoop(d, sync);
      if (t.total < best.total) best = t;
    }
    return best;
  };
  const SeedTimes durable = best_of(true, "durable");
  const SeedTimes tf_like = best_of(false, "nosync");
  const double fsync_ms = FsyncMillis(dir);
  const double cls = steps > 0 ? Classifier(steps) : 0.0;
  std::printf(
      "{\"seed_loop_seconds\": %.6f, \"seed_step_us\": %.3f, \"seed_save_ms\": %.3f, "
      "\"seed_loop_seconds_no_fsync\": %.6f, \"seed_save_ms_no_fsync\": %.3f, "
      "\"seed_step_us_no_fsync\": %.3f, \"fsync_ms\": %.3f, "
      "\"classifier_steps_per_second_batch64\": %.2f}\n",
      durable.total, durable.steps / 1400 * 1e6, durable.saves / 7 * 1e3, tf_like.total,
      tf_like.saves / 7 * 1e3, tf_like.steps / 1400 * 1e6, fsync_ms, cls);
  return 0;
}
