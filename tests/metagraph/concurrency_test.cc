// The concurrency contract, under load: 8 threads run one Session (inference and training
// steps) while another thread saves checkpoints through a Saver and an evaluator iterates over
// them (CheckpointsIterator, pinned), restoring each into its own session. Every call must
// succeed and every checkpoint the evaluator sees must restore. CI runs this under
// ThreadSanitizer too (scripts/test.sh), where any data race fails it.
//
// CKPT_STRESS_RUNS sets the number of session runs (default 10000).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ckpt/checkpoint/checkpoint_dir.h"
#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/format/bundle.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/optimizers.h"
#include "ckpt/graph/session.h"
#include "ckpt/metagraph/saver.h"
#include "testutil/temp_dir.h"

namespace ckpt {
namespace {

int StressRuns() {
  const char* v = std::getenv("CKPT_STRESS_RUNS");
  return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : 10000;
}

TEST(Concurrency, SessionRunsWhileSavingAndEvaluating) {
  // y = x W + b; loss = mean((y - t)^2); one GradientDescent step per train run.
  Graph g;
  Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{-1, 4}), "x");
  Output t = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{-1, 3}), "t");
  ops::VariableOptions wo, bo;
  wo.name = "W";
  bo.name = "b";
  ops::Variable w = ops::MakeVariable(g, ops::RandomNormal(g, TensorShape({4, 3}), 0.0, 0.1), wo);
  ops::Variable b = ops::MakeVariable(g, ops::Zeros(g, TensorShape({3})), bo);
  Output y = ops::Add(g, ops::MatMul(g, x, ops::ReadValue(g, w)), ops::ReadValue(g, b), "y");
  Output loss = ops::Mean(g, ops::Square(g, ops::Sub(g, y, t)));
  GradientDescentOptimizer sgd(0.01);
  auto train = sgd.Minimize(g, loss);
  ASSERT_TRUE(train.ok()) << train.status().ToString();
  Operation init = ops::GlobalVariablesInitializer(g);
  SaverOptions so;
  so.max_to_keep = 3;
  auto saver = Saver::Create(g, so);
  ASSERT_TRUE(saver.ok()) << saver.status().ToString();
  auto session = Session::Create(&g);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  ASSERT_TRUE((*session)->Run({}, {}, {init.name}).ok());

  testutil::TempDir tmp("concurrency");
  ASSERT_FALSE(tmp.path().empty());
  const std::string prefix = tmp.path() + "/model";
  const Tensor xs = Tensor::FromVector<float>(std::vector<float>(8 * 4, 0.5f), {8, 4});
  const Tensor ts = Tensor::FromVector<float>(std::vector<float>(8 * 3, 1.0f), {8, 3});

  const int total_runs = StressRuns();
  constexpr int kRunners = 8;
  std::atomic<int> next_run{0}, runs_done{0}, saves{0}, evaluated{0};
  std::atomic<bool> failed{false};  // stops the runners when any thread failed
  std::atomic<bool> running{true};
  std::mutex errors_mu;
  std::vector<std::string> errors;
  auto fail = [&](const std::string& who, const Status& s) {
    std::lock_guard<std::mutex> l(errors_mu);
    errors.push_back(who + ": " + s.ToString());
    failed = true;
  };

  // Runners keep going until both `total_runs` runs and kMinSaves saves have happened, so
  // that saves interleave with runs however fast either is.
  constexpr int kMinSaves = 20;
  std::vector<std::thread> runners;
  for (int r = 0; r < kRunners; ++r) {
    runners.emplace_back([&, r] {
      while (!failed && (runs_done < total_runs || saves < kMinSaves)) {
        const int i = next_run++;
        // Every 10th run is a training step; the rest are inference.
        auto out = i % 10 == 0
                       ? (*session)->Run({{"x:0", xs}, {"t:0", ts}}, {loss.name()}, {train->name})
                       : (*session)->Run({{"x:0", xs}}, {"y:0"});
        if (!out.ok()) {
          fail("runner " + std::to_string(r), out.status());
          return;
        }
        if (out->size() != 1 || (i % 10 != 0 && (*out)[0].shape() != TensorShape({8, 3}))) {
          fail("runner " + std::to_string(r), InternalError("wrong result shape"));
          return;
        }
        ++runs_done;
      }
    });
  }
  std::thread saver_thread([&] {
    SaveCallOptions fast;
    fast.sync = false;  // TF's durability: the test is about concurrency, not power loss
    for (int step = 1; running; ++step) {
      auto saved = (*saver)->Save(**session, prefix, step, fast);
      if (!saved.ok()) {
        fail("saver", saved.status());
        return;
      }
      ++saves;
    }
  });
  std::thread evaluator([&] {
    Session* eval = nullptr;
    auto eval_session = Session::Create(&g);
    if (!eval_session.ok()) return fail("evaluator", eval_session.status());
    eval = eval_session->get();
    auto eval_saver = Saver::FromSaverDef(g, (*saver)->saver_def());
    if (!eval_saver.ok()) return fail("evaluator", eval_saver.status());
    CheckpointsIteratorOptions io;
    io.poll_interval_secs = 0.002;
    io.timeout_secs = 0.5;
    CheckpointsIterator it(Env::Default(), tmp.path(), io);
    for (;;) {
      auto next = it.Next();
      if (!next.ok()) return fail("evaluator", next.status());
      if (!next->has_value()) {
        if (!running) return;  // no new checkpoint after the saver stopped
        continue;
      }
      Status s = (*eval_saver)->Restore(*eval, (*next)->prefix);
      if (!s.ok()) return fail("evaluator restoring " + (*next)->prefix, s);
      auto out = eval->Run({{"x:0", xs}}, {"y:0"});
      if (!out.ok()) return fail("evaluator", out.status());
      ++evaluated;
    }
  });

  for (auto& r : runners) r.join();
  running = false;
  saver_thread.join();
  evaluator.join();

  std::printf("%d runs, %d saves, %d checkpoints evaluated\n", runs_done.load(), saves.load(),
              evaluated.load());
  EXPECT_THAT(errors, ::testing::IsEmpty());
  EXPECT_GE(runs_done.load(), total_runs);
  EXPECT_GE(saves.load(), kMinSaves);
  EXPECT_GT(evaluated.load(), 0);
  // The latest checkpoint is complete and holds the variables' final values.
  auto latest = LatestCheckpoint(Env::Default(), tmp.path());
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  auto reader = BundleReader::Open(Env::Default(), *latest);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->Lookup("W").ok());
}

}  // namespace
}  // namespace ckpt
