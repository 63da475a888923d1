#include "ckpt/checkpoint/checkpoint_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checkpoint_test_util.h"
#include "ckpt/checkpoint/checkpoint_dir.h"
#include "ckpt/format/bundle.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using testutil::FloatTensor;

NamedTensors Vars(int64_t step, int n = 4) {
  return {{"dense/kernel", FloatTensor(n, static_cast<float>(step))},
          {"dense/bias", FloatTensor(2, static_cast<float>(-step))},
          {"global_step", Tensor::Scalar<int64_t>(step)}};
}

std::vector<int64_t> Steps(const CheckpointManager& m) {
  std::vector<int64_t> out;
  for (const auto& c : m.checkpoints()) out.push_back(c.step);
  return out;
}

std::vector<std::string> Files(Env* env, const std::string& dir) {
  auto c = env->GetChildren(dir);
  std::vector<std::string> v = c.ok() ? *c : std::vector<std::string>{};
  std::sort(v.begin(), v.end());
  return v;
}

int64_t StoredStep(Env* env, const std::string& prefix) {
  auto r = BundleReader::Open(env, prefix);
  if (!r.ok()) return -100;
  auto t = (*r)->Lookup("global_step");
  if (!t.ok()) return -200;
  return t->data<int64_t>()[0];
}

class ManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Env> mem_ = NewMemEnv();
  Env* env() { return mem_.get(); }

  std::unique_ptr<CheckpointManager> Open(const CheckpointManagerOptions& o = {}) {
    auto m = CheckpointManager::Open(env(), "/run", o);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : nullptr;
  }
};

TEST_F(ManagerTest, SavesNumberedCheckpointsAndKeepsFive) {
  auto m = Open();
  for (int64_t s = 0; s < 8; ++s) {
    auto p = m->Save(s * 10, Vars(s * 10));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(*p, "/run/model.ckpt-" + std::to_string(s * 10));
  }
  EXPECT_THAT(Steps(*m), ElementsAre(30, 40, 50, 60, 70));
  EXPECT_EQ(m->last_step(), 70);
  EXPECT_EQ(*m->latest_checkpoint(), "/run/model.ckpt-70");
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-20.index"));
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-20.data-00000-of-00001"));
  EXPECT_TRUE(env()->FileExists("/run/model.ckpt-30.index"));
  auto st = GetCheckpointState(env(), "/run");
  ASSERT_TRUE(st.ok() && st->has_value());
  EXPECT_EQ((*st)->model_checkpoint_path, "/run/model.ckpt-70");
  EXPECT_EQ((*st)->all_model_checkpoint_paths.size(), 5u);
  EXPECT_EQ((*st)->all_model_checkpoint_timestamps.size(), 5u);
  EXPECT_GT((*st)->last_preserved_timestamp, 0);
  auto text = env()->ReadFileToString("/run/checkpoint");
  EXPECT_THAT(*text, HasSubstr("model_checkpoint_path: \"model.ckpt-70\"\n"));
  EXPECT_EQ(StoredStep(env(), "/run/model.ckpt-70"), 70);
}

TEST_F(ManagerTest, MaxToKeepNoneAndZero) {
  {
    CheckpointManagerOptions o;
    o.max_to_keep = std::nullopt;
    auto m = Open(o);
    for (int s = 1; s <= 7; ++s) ASSERT_TRUE(m->Save(s, Vars(s)).ok());
    EXPECT_THAT(Steps(*m), ElementsAre(1, 2, 3, 4, 5, 6, 7));
  }
  mem_ = NewMemEnv();
  {
    CheckpointManagerOptions o;
    o.max_to_keep = 0;  // TF1: keep every file, list only the latest
    auto m = Open(o);
    for (int s = 1; s <= 7; ++s) ASSERT_TRUE(m->Save(s, Vars(s)).ok());
    EXPECT_THAT(Steps(*m), ElementsAre(7));
    for (int s = 1; s <= 7; ++s)
      EXPECT_TRUE(env()->FileExists("/run/model.ckpt-" + std::to_string(s) + ".index"));
    auto st = GetCheckpointState(env(), "/run");
    EXPECT_THAT((*st)->all_model_checkpoint_paths, ElementsAre("/run/model.ckpt-7"));
  }
  CheckpointManagerOptions bad;
  bad.max_to_keep = -1;
  EXPECT_TRUE(IsInvalidArgument(CheckpointManager::Open(env(), "/x", bad).status()));
}

TEST_F(ManagerTest, ResavingAStepMovesItToTheEnd) {
  CheckpointManagerOptions o;
  o.max_to_keep = 3;
  auto m = Open(o);
  for (int s : {1, 2, 3}) ASSERT_TRUE(m->Save(s, Vars(s)).ok());
  ASSERT_TRUE(m->Save(1, Vars(100)).ok());
  EXPECT_THAT(Steps(*m), ElementsAre(2, 3, 1));
  EXPECT_EQ(StoredStep(env(), "/run/model.ckpt-1"), 100);
}

TEST_F(ManagerTest, KeepsBestByMetricBesideRecent) {
  CheckpointManagerOptions o;
  o.max_to_keep = 2;
  o.keep_best = 1;
  o.best_metric = "loss";
  auto m = Open(o);
  std::vector<double> losses = {5, 3, 0.5, 4, 6, 7, 8};
  for (size_t i = 0; i < losses.size(); ++i) {
    SaveOptions so;
    so.metrics = {{"loss", losses[i]}, {"acc", 0.1 * i}};
    ASSERT_TRUE(m->Save(i, Vars(i), so).ok());
  }
  EXPECT_THAT(Steps(*m), ElementsAre(2, 5, 6));  // best (0.5 at step 2) + two most recent
  ASSERT_TRUE(m->best_checkpoint().has_value());
  EXPECT_EQ(m->best_checkpoint()->step, 2);
  EXPECT_TRUE(env()->FileExists("/run/model.ckpt-2.metrics"));
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-3.metrics"));

  // Max mode and reload: metrics come back from the sidecars.
  m.reset();
  o.best_mode = MetricMode::kMax;
  o.best_metric = "acc";
  m = Open(o);
  EXPECT_THAT(Steps(*m), ElementsAre(2, 5, 6));
  EXPECT_EQ(m->checkpoints()[0].metrics.at("loss"), 0.5);
  SaveOptions so;
  so.metrics = {{"acc", 0.05}};
  ASSERT_TRUE(m->Save(7, Vars(7), so).ok());
  EXPECT_THAT(Steps(*m), ElementsAre(6, 7));  // best acc is step 6 (0.6), also recent

  auto entries = ScanCheckpointDir(env(), "/run");
  ASSERT_TRUE(entries.ok());
  int best = 0;
  for (const auto& e : *entries)
    if (e.best) {
      ++best;
      EXPECT_EQ(e.step, 6);
    }
  EXPECT_EQ(best, 1);

  SaveOptions bad;
  bad.metrics = {{"has space", 1}};
  EXPECT_TRUE(IsInvalidArgument(m->Save(8, Vars(8), bad).status()));
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-8.index"));
}

TEST_F(ManagerTest, KeepCheckpointEveryNHours) {
  testutil::FaultEnv clock(env());
  CheckpointManagerOptions o;
  o.max_to_keep = 2;
  o.keep_checkpoint_every_n_hours = 1;
  auto mgr = CheckpointManager::Open(&clock, "/run", o);
  ASSERT_TRUE(mgr.ok());
  auto& m = *mgr;
  // One save every 20 minutes.
  for (int s = 0; s < 10; ++s) {
    clock.clock_offset_micros = int64_t{s} * 20 * 60 * 1000000;
    ASSERT_TRUE(m->Save(s, Vars(s)).ok());
  }
  EXPECT_THAT(Steps(*m), ElementsAre(8, 9));
  // Preserved: the first checkpoint at least one hour after creation, then hourly.
  std::vector<int> kept;
  for (int s = 0; s < 10; ++s)
    if (env()->FileExists("/run/model.ckpt-" + std::to_string(s) + ".index")) kept.push_back(s);
  EXPECT_THAT(kept, ElementsAre(3, 6, 8, 9));
  auto st = GetCheckpointState(env(), "/run");
  EXPECT_NEAR((*st)->last_preserved_timestamp - m->checkpoints()[0].timestamp, -2 * 1200, 5);
}

TEST_F(ManagerTest, ReopenContinuesHistoryAndRetention) {
  CheckpointManagerOptions o;
  o.max_to_keep = 3;
  {
    auto m = Open(o);
    for (int s = 1; s <= 4; ++s) ASSERT_TRUE(m->Save(s, Vars(s)).ok());
  }
  auto m = Open(o);
  EXPECT_THAT(Steps(*m), ElementsAre(2, 3, 4));
  EXPECT_EQ(m->last_step(), 4);
  ASSERT_TRUE(m->Save(m->last_step() + 1, Vars(5)).ok());
  EXPECT_THAT(Steps(*m), ElementsAre(3, 4, 5));
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-2.index"));
}

TEST_F(ManagerTest, StateWithoutTimestampsStaysManagedAcrossReloads) {
  // A TF1-style state file: no timestamps, no last_preserved_timestamp.
  for (int s = 1; s <= 3; ++s) {
    auto w = BundleWriter::Create(env(), "/run/model.ckpt-" + std::to_string(s));
    for (auto& [k, t] : Vars(s)) ASSERT_TRUE((*w)->Add(k, t).ok());
    ASSERT_TRUE((*w)->Finish().ok());
  }
  ASSERT_TRUE(env()
                  ->WriteStringToFile("/run/checkpoint",
                                      "model_checkpoint_path: \"/run/model.ckpt-3\"\n"
                                      "all_model_checkpoint_paths: \"/run/model.ckpt-1\"\n"
                                      "all_model_checkpoint_paths: \"/run/model.ckpt-2\"\n"
                                      "all_model_checkpoint_paths: \"/run/model.ckpt-3\"\n")
                  .ok());
  CheckpointManagerOptions o;
  o.max_to_keep = 4;
  for (int round = 0; round < 3; ++round) {
    auto m = Open(o);
    ASSERT_TRUE(m != nullptr);
    std::vector<int64_t> want = {1, 2, 3};
    for (int s = 0; s < round; ++s) want.push_back(4 + s);
    while (want.size() > 4) want.erase(want.begin());
    EXPECT_EQ(Steps(*m), want) << round;
    ASSERT_TRUE(m->Save(4 + round, Vars(4 + round)).ok());
  }
}

TEST_F(ManagerTest, SecondManagerOnTheDirectoryFails) {
  auto m = Open();
  auto second = CheckpointManager::Open(env(), "/run");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use"));
  m.reset();
  EXPECT_TRUE(CheckpointManager::Open(env(), "/run").ok());
}

TEST_F(ManagerTest, SecondManagerFailsOnPosixToo) {
  testutil::TempDir tmp;
  auto a = CheckpointManager::Open(Env::Default(), tmp.path());
  ASSERT_TRUE(a.ok());
  auto b = CheckpointManager::Open(Env::Default(), tmp.path());
  EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ManagerTest, CompanionFilesWrittenAndDeleted) {
  CheckpointManagerOptions o;
  o.max_to_keep = 1;
  auto m = Open(o);
  SaveOptions so;
  so.companion_files = {{"meta", "graph-bytes"}};
  ASSERT_TRUE(m->Save(1, Vars(1), so).ok());
  EXPECT_EQ(*env()->ReadFileToString("/run/model.ckpt-1.meta"), "graph-bytes");
  ASSERT_TRUE(m->Save(2, Vars(2), so).ok());
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-1.meta"));
  EXPECT_THAT(Files(env(), "/run"),
              ElementsAre("checkpoint", "checkpoint.lock", "model.ckpt-2.data-00000-of-00001",
                          "model.ckpt-2.index", "model.ckpt-2.meta"));
  SaveOptions bad;
  bad.companion_files = {{"index", "x"}};
  EXPECT_TRUE(IsInvalidArgument(m->Save(3, Vars(3), bad).status()));
  bad.companion_files = {{"../x", "x"}};
  EXPECT_TRUE(IsInvalidArgument(m->Save(3, Vars(3), bad).status()));
}

TEST_F(ManagerTest, RecoversFromInterruptedSaveLeftovers) {
  {
    auto m = Open();
    ASSERT_TRUE(m->Save(1, Vars(1)).ok());
  }
  // What an interrupted save of step 2 and an interrupted state write leave behind.
  ASSERT_TRUE(env()->WriteStringToFile("/run/model.ckpt-2.data-00000-of-00001", "partial").ok());
  ASSERT_TRUE(env()->WriteStringToFile("/run/model.ckpt-2.meta", "m").ok());
  ASSERT_TRUE(env()->WriteStringToFile("/run/model.ckpt-2.metrics", "x\t1\n").ok());
  ASSERT_TRUE(env()->WriteStringToFile("/run/model.ckpt-2.index.tempstate123", "t").ok());
  ASSERT_TRUE(env()->WriteStringToFile("/run/checkpoint.tmp42", "t").ok());
  ASSERT_TRUE(env()->WriteStringToFile("/run/unrelated.txt", "keep me").ok());
  auto m = Open();
  EXPECT_THAT(Files(env(), "/run"),
              ElementsAre("checkpoint", "checkpoint.lock", "model.ckpt-1.data-00000-of-00001",
                          "model.ckpt-1.index", "unrelated.txt"));
  EXPECT_THAT(Steps(*m), ElementsAre(1));
}

TEST_F(ManagerTest, AdoptsCompleteCheckpointMissingFromState) {
  {
    auto m = Open();
    ASSERT_TRUE(m->Save(1, Vars(1)).ok());
  }
  // A crash after the index rename but before the state file: step 2 is complete.
  auto w = BundleWriter::Create(env(), "/run/model.ckpt-2");
  for (auto& [k, t] : Vars(2)) ASSERT_TRUE((*w)->Add(k, t).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  auto m = Open();
  EXPECT_THAT(Steps(*m), ElementsAre(1, 2));
  EXPECT_EQ(m->last_step(), 2);
  auto latest = LatestCheckpoint(env(), "/run");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, "/run/model.ckpt-2");

  // The very first save interrupted before any state file existed: adopted, and still
  // managed after another restart.
  auto w0 = BundleWriter::Create(env(), "/fresh/model.ckpt-0");
  for (auto& [k, t] : Vars(0)) ASSERT_TRUE((*w0)->Add(k, t).ok());
  ASSERT_TRUE((*w0)->Finish().ok());
  for (int round = 0; round < 2; ++round) {
    auto f = CheckpointManager::Open(env(), "/fresh");
    ASSERT_TRUE(f.ok());
    EXPECT_THAT(Steps(**f), ElementsAre(0)) << round;
  }
}

TEST_F(ManagerTest, LatestFallsBackWhenStateNamesMissingOrCorruptCheckpoint) {
  auto m = Open();
  for (int s = 1; s <= 3; ++s) ASSERT_TRUE(m->Save(s, Vars(s)).ok());
  m.reset();
  // Corrupt the newest index; remove nothing else.
  auto idx = env()->ReadFileToString("/run/model.ckpt-3.index");
  ASSERT_TRUE(env()->WriteStringToFile("/run/model.ckpt-3.index", idx->substr(0, 10)).ok());
  auto latest = LatestVerifiedCheckpoint(env(), "/run");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(*latest, "/run/model.ckpt-2");

  // Data corruption behind an intact index: only a full verification notices.
  auto data = env()->ReadFileToString("/run/model.ckpt-2.data-00000-of-00001");
  std::string flipped = *data;
  flipped[flipped.size() / 2] ^= 0x40;
  ASSERT_TRUE(env()->WriteStringToFile("/run/model.ckpt-2.data-00000-of-00001", flipped).ok());
  auto quick = LatestVerifiedCheckpoint(env(), "/run");
  EXPECT_EQ(*quick, "/run/model.ckpt-2");
  auto full = LatestVerifiedCheckpoint(env(), "/run", {.full_verify = true});
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(*full, "/run/model.ckpt-1");

  m = Open();
  Tensor k(DataType::kFloat, {4}), b(DataType::kFloat, {2});
  Tensor g(DataType::kInt64, {});
  std::vector<RestoreTarget> t = {{"dense/kernel", &k}, {"dense/bias", &b}, {"global_step", &g}};
  auto from = m->RestoreLatest(t);
  ASSERT_TRUE(from.ok()) << from.status().ToString();
  EXPECT_EQ(*from, "/run/model.ckpt-1");
  EXPECT_EQ(g.data<int64_t>()[0], 1);

  // The state file itself corrupt: the manager still opens and rebuilds it.
  m.reset();
  ASSERT_TRUE(env()->WriteStringToFile("/run/checkpoint", "}}} not a state").ok());
  m = Open();
  ASSERT_TRUE(m != nullptr);
  EXPECT_EQ(m->last_step(), 3);
  auto st = GetCheckpointState(env(), "/run");
  EXPECT_TRUE(st.ok()) << st.status().ToString();
}

TEST_F(ManagerTest, RestoreSubsetNameMapScopeMapAndDryRun) {
  auto m = Open();
  NamedTensors vars = {{"old/dense/kernel", FloatTensor(4, 1)},
                       {"old/dense/bias", FloatTensor(2, 7)},
                       {"old/extra", FloatTensor(3, 0)},
                       {"step", Tensor::Scalar<int64_t>(9)}};
  auto prefix = m->Save(9, vars);
  ASSERT_TRUE(prefix.ok());

  // Scope map: new/... <- old/...
  Tensor k(DataType::kFloat, {4}), b(DataType::kFloat, {2});
  std::vector<RestoreTarget> t = {{"new/dense/kernel", &k}, {"new/dense/bias", &b}};
  RestoreReport report;
  ASSERT_TRUE(
      RestoreFromCheckpoint(env(), *prefix, t, {.scope_map = {{"old/", "new/"}}}, &report).ok())
      << report.ToString();
  EXPECT_TRUE(k.Equals(FloatTensor(4, 1)));
  EXPECT_TRUE(b.Equals(FloatTensor(2, 7)));
  EXPECT_THAT(report.unused, UnorderedElementsAre("old/extra", "step"));

  // Name map (TF Saver var_list dict) restores a subset into a borrowed buffer.
  std::vector<float> buf(3, -1);
  auto borrowed = Tensor::Borrow(DataType::kFloat, {3}, buf.data(), buf.size() * sizeof(float));
  ASSERT_TRUE(borrowed.ok());
  Tensor other(DataType::kFloat, {4});
  std::vector<RestoreTarget> t2 = {{"my_extra", &*borrowed}, {"not_restored", &other}};
  ASSERT_TRUE(
      RestoreFromCheckpoint(env(), *prefix, t2, {.name_map = {{"old/extra", "my_extra"}}}, &report)
          .ok());
  EXPECT_THAT(buf, ElementsAre(0.0f, 0.5f, 1.0f));
  EXPECT_THAT(report.skipped, ElementsAre("not_restored"));

  // Dry run lists every problem at once and writes nothing.
  Tensor wrong_shape(DataType::kFloat, {5}), wrong_dtype(DataType::kInt32, {2});
  Tensor missing(DataType::kFloat, {1});
  std::vector<RestoreTarget> t3 = {{"old/dense/kernel", &wrong_shape},
                                   {"old/dense/bias", &wrong_dtype},
                                   {"old/missing", &missing},
                                   {"step", &*borrowed}};
  ASSERT_TRUE(RestoreFromCheckpoint(env(), *prefix, t3, {.dry_run = true}, &report).ok());
  EXPECT_FALSE(report.ok());
  EXPECT_THAT(report.missing, ElementsAre("old/missing"));
  ASSERT_EQ(report.mismatched.size(), 3u);
  EXPECT_EQ(report.mismatched[0].variable, "old/dense/kernel");
  EXPECT_EQ(report.mismatched[0].expected, "float32[5]");
  EXPECT_EQ(report.mismatched[0].stored, "float32[4]");
  EXPECT_EQ(report.mismatched[1].stored, "float32[2]");
  EXPECT_EQ(report.mismatched[2].stored, "int64[]");
  EXPECT_THAT(report.unused, ElementsAre("old/extra"));
  EXPECT_THAT(report.ToString(), HasSubstr("old/missing"));
  EXPECT_THAT(wrong_shape.flat<float>()[0], 0.0f);

  // A real restore with these problems fails, naming them, and writes nothing.
  Status s = RestoreFromCheckpoint(env(), *prefix, t3);
  EXPECT_TRUE(IsInvalidArgument(s));
  EXPECT_THAT(std::string(s.message()), HasSubstr("old/dense/kernel"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("old/missing"));
  EXPECT_THAT(buf, ElementsAre(0.0f, 0.5f, 1.0f));

  // Missing only: NotFound, or skipped with allow_missing.
  Tensor k2(DataType::kFloat, {4});
  std::vector<RestoreTarget> t4 = {{"old/dense/kernel", &k2}, {"old/missing", &missing}};
  EXPECT_TRUE(IsNotFound(RestoreFromCheckpoint(env(), *prefix, t4)));
  EXPECT_TRUE(RestoreFromCheckpoint(env(), *prefix, t4, {.allow_missing = true}).ok());
  EXPECT_TRUE(k2.Equals(FloatTensor(4, 1)));

  // "/" maps the checkpoint root into a scope; bad scope maps are reported.
  Tensor st(DataType::kInt64, {});
  std::vector<RestoreTarget> t5 = {{"restored/step", &st}};
  ASSERT_TRUE(RestoreFromCheckpoint(env(), *prefix, t5, {.scope_map = {{"/", "restored/"}}}).ok());
  EXPECT_EQ(st.data<int64_t>()[0], 9);
  EXPECT_TRUE(IsInvalidArgument(
      RestoreFromCheckpoint(env(), *prefix, t5, {.scope_map = {{"old", "restored/"}}})));
  EXPECT_TRUE(IsNotFound(RestoreFromCheckpoint(env(), "/run/nope-1", t5)));
}

TEST_F(ManagerTest, AsyncSaveSnapshotsAndSurfacesErrors) {
  testutil::FaultEnv fault(env());
  CheckpointManagerOptions o;
  o.max_to_keep = 2;
  auto mgr = CheckpointManager::Open(&fault, "/run", o);
  ASSERT_TRUE(mgr.ok());
  auto& m = *mgr;
  NamedTensors vars = Vars(1, 1 << 16);
  ASSERT_TRUE(m->SaveAsync(1, vars).ok());
  // The caller may change its tensors right away: the save has its own copy.
  vars[0].second.flat<float>()[0] = 12345;
  ASSERT_TRUE(m->Wait().ok());
  auto r = BundleReader::Open(env(), "/run/model.ckpt-1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->Lookup("dense/kernel")->flat<float>()[0], 1.0f);

  // Second save reuses the snapshot buffers (same shapes).
  for (int s = 2; s <= 4; ++s) {
    vars[2].second.data<int64_t>()[0] = s;
    ASSERT_TRUE(m->SaveAsync(s, vars).ok());
  }
  ASSERT_TRUE(m->Wait().ok());
  EXPECT_THAT(Steps(*m), ElementsAre(3, 4));
  EXPECT_EQ(StoredStep(env(), "/run/model.ckpt-4"), 4);

  // A failing background save: the next call reports it (once), without saving.
  fault.fail_at = fault.sites + 3;
  ASSERT_TRUE(m->SaveAsync(5, vars).ok());
  Status next = m->SaveAsync(6, vars);
  EXPECT_EQ(next.code(), StatusCode::kResourceExhausted) << next.ToString();
  EXPECT_THAT(std::string(next.message()), HasSubstr("model.ckpt-5"));
  ASSERT_TRUE(m->Wait().ok());
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-6.index"));
  EXPECT_THAT(Steps(*m), ElementsAre(3, 4));
  fault.fail_at = 0;
  ASSERT_TRUE(m->SaveAsync(6, vars).ok());
  EXPECT_TRUE(m->Wait().ok());
  EXPECT_THAT(Steps(*m), ElementsAre(4, 6));
}

TEST_F(ManagerTest, ConcurrentCallersAreSerialized) {
  CheckpointManagerOptions o;
  o.max_to_keep = std::nullopt;
  auto m = Open(o);
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        int64_t step = t * 100 + i;
        Status s = (i % 2) ? m->SaveAsync(step, Vars(step)) : m->Save(step, Vars(step)).status();
        EXPECT_TRUE(s.ok()) << s.ToString();
        (void)m->checkpoints();
      }
    });
  }
  threads.clear();
  ASSERT_TRUE(m->Wait().ok());
  EXPECT_EQ(m->checkpoints().size(), 20u);
  for (const auto& c : m->checkpoints()) EXPECT_EQ(StoredStep(env(), c.prefix), c.step);
}

TEST_F(ManagerTest, PinnedCheckpointDeletionIsDeferred) {
  CheckpointManagerOptions o;
  o.max_to_keep = 1;
  auto m = Open(o);
  ASSERT_TRUE(m->Save(1, Vars(1)).ok());
  auto pin = CheckpointPin::Acquire(env(), "/run/model.ckpt-1");
  ASSERT_TRUE(pin.ok()) << pin.status().ToString();
  EXPECT_TRUE(IsCheckpointPinned(env(), "/run/model.ckpt-1"));
  ASSERT_TRUE(m->Save(2, Vars(2)).ok());
  EXPECT_THAT(Steps(*m), ElementsAre(2));
  EXPECT_TRUE(env()->FileExists("/run/model.ckpt-1.index"));
  EXPECT_EQ(StoredStep(env(), "/run/model.ckpt-1"), 1);  // still readable
  EXPECT_THAT(m->pending_deletions(), ElementsAre("/run/model.ckpt-1"));
  pin->reset();
  EXPECT_FALSE(IsCheckpointPinned(env(), "/run/model.ckpt-1"));
  ASSERT_TRUE(m->Save(3, Vars(3)).ok());
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-1.index"));
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-1.data-00000-of-00001"));
  EXPECT_TRUE(m->pending_deletions().empty());
  EXPECT_TRUE(IsNotFound(CheckpointPin::Acquire(env(), "/run/model.ckpt-1").status()));
  // A deferral survives a restart of the trainer.
  auto pin4 = CheckpointPin::Acquire(env(), "/run/model.ckpt-3");
  ASSERT_TRUE(pin4.ok());
  ASSERT_TRUE(m->Save(4, Vars(4)).ok());
  EXPECT_THAT(m->pending_deletions(), ElementsAre("/run/model.ckpt-3"));
  m.reset();
  EXPECT_TRUE(env()->FileExists("/run/checkpoint.pending"));
  pin4->reset();
  m = Open(o);
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-3.index"));
  EXPECT_FALSE(env()->FileExists("/run/checkpoint.pending"));
  EXPECT_THAT(Steps(*m), ElementsAre(4));
  // No pin file is left behind by a failed acquisition.
  for (const auto& f : Files(env(), "/run")) EXPECT_EQ(f.find(".pin."), std::string::npos) << f;
}

TEST_F(ManagerTest, PinWaitsForAConcurrentDeletionToDecide) {
  CheckpointManagerOptions o;
  o.max_to_keep = 1;
  auto m = Open(o);
  ASSERT_TRUE(m->Save(1, Vars(1)).ok());
  ASSERT_TRUE(m->Save(2, Vars(2)).ok());
  // A deleter that marked step 2, then saw a pin and backed off: the pin succeeds.
  ASSERT_TRUE(env()->WriteStringToFile("/run/model.ckpt-2.deleting", "").ok());
  std::jthread unmark([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(env()->DeleteFile("/run/model.ckpt-2.deleting").ok());
  });
  auto pin = CheckpointPin::Acquire(env(), "/run/model.ckpt-2");
  EXPECT_TRUE(pin.ok()) << pin.status().ToString();
  unmark.join();
  pin->reset();
  // A deleter that went ahead: the pin fails and leaves nothing behind.
  ASSERT_TRUE(env()->WriteStringToFile("/run/model.ckpt-2.deleting", "").ok());
  std::jthread remove([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(env()->DeleteFile("/run/model.ckpt-2.index").ok());
    ASSERT_TRUE(env()->DeleteFile("/run/model.ckpt-2.deleting").ok());
  });
  EXPECT_TRUE(IsNotFound(CheckpointPin::Acquire(env(), "/run/model.ckpt-2").status()));
  remove.join();
  m.reset();
  // An interrupted deletion of an unlisted checkpoint is finished on Open.
  auto w = BundleWriter::Create(env(), "/run/model.ckpt-0");
  for (auto& [k, t] : Vars(0)) ASSERT_TRUE((*w)->Add(k, t).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  ASSERT_TRUE(env()->WriteStringToFile("/run/model.ckpt-0.deleting", "").ok());
  ASSERT_TRUE(env()->WriteStringToFile("/run/notes.deleting", "not ours").ok());
  m = Open(o);
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-0.index"));
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-0.data-00000-of-00001"));
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-0.deleting"));
  EXPECT_TRUE(env()->FileExists("/run/notes.deleting"));
}

TEST_F(ManagerTest, StalePinOfADeadReaderIsIgnored) {
  testutil::TempDir tmp;
  CheckpointManagerOptions o;
  o.max_to_keep = 1;
  auto m = CheckpointManager::Open(Env::Default(), tmp.path(), o);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->Save(1, Vars(1)).ok());
  // A pin file nobody holds a lock on (its reader died).
  std::string prefix = tmp.path() + "/model.ckpt-1";
  ASSERT_TRUE(Env::Default()->WriteStringToFile(prefix + ".pin.999.1.0", "").ok());
  ASSERT_TRUE((*m)->Save(2, Vars(2)).ok());
  EXPECT_FALSE(Env::Default()->FileExists(prefix + ".index"));
  EXPECT_FALSE(Env::Default()->FileExists(prefix + ".pin.999.1.0"));
}

TEST_F(ManagerTest, RelocatedDirectoryKeepsWorking) {
  testutil::TempDir tmp;
  std::string a = tmp.path() + "/a", b = tmp.path() + "/b";
  {
    auto m = CheckpointManager::Open(Env::Default(), a);
    ASSERT_TRUE(m.ok());
    for (int s = 1; s <= 2; ++s) ASSERT_TRUE((*m)->Save(s, Vars(s)).ok());
  }
  std::filesystem::rename(a, b);
  auto latest = LatestCheckpoint(Env::Default(), b);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, b + "/model.ckpt-2");

  // An old state file with absolute paths of the former location.
  ASSERT_TRUE(Env::Default()
                  ->WriteStringToFile(b + "/checkpoint", "model_checkpoint_path: \"" + a +
                                                             "/model.ckpt-2\"\n"
                                                             "all_model_checkpoint_paths: \"" +
                                                             a +
                                                             "/model.ckpt-1\"\n"
                                                             "all_model_checkpoint_paths: \"" +
                                                             a + "/model.ckpt-2\"\n")
                  .ok());
  auto m = CheckpointManager::Open(Env::Default(), b, {.max_to_keep = 2});
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(Steps(**m), ElementsAre(1, 2));
  ASSERT_TRUE((*m)->Save(3, Vars(3)).ok());
  EXPECT_THAT(Steps(**m), ElementsAre(2, 3));
  EXPECT_FALSE(Env::Default()->FileExists(b + "/model.ckpt-1.index"));
  auto text = Env::Default()->ReadFileToString(b + "/checkpoint");
  EXPECT_THAT(*text, HasSubstr("all_model_checkpoint_paths: \"model.ckpt-2\"\n"));
}

TEST_F(ManagerTest, ListAndVerifyDirectory) {
  CheckpointManagerOptions o;
  o.keep_best = 1;
  o.best_metric = "loss";
  auto m = Open(o);
  for (int s = 1; s <= 3; ++s) {
    SaveOptions so;
    so.metrics = {{"loss", 1.0 / s}};
    ASSERT_TRUE(m->Save(s * 100, Vars(s), so).ok());
  }
  std::ostringstream text, json;
  ASSERT_TRUE(ListCheckpointDir(env(), "/run", text).ok());
  EXPECT_THAT(text.str(), HasSubstr("300\t"));
  EXPECT_THAT(text.str(), HasSubstr("latest,best\tmodel.ckpt-300\tloss=0.3333333333333333"));
  ASSERT_TRUE(ListCheckpointDir(env(), "/run", json, /*json=*/true).ok());
  auto list = nlohmann::json::parse(json.str());
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]["prefix"], "/run/model.ckpt-100");
  EXPECT_EQ(list[0]["step"], 100);
  EXPECT_EQ(list[1]["metrics"], nlohmann::json({{"loss", 0.5}}));
  EXPECT_EQ(list[2]["latest"], true);
  EXPECT_EQ(list[2]["best"], true);
  EXPECT_EQ(list[2]["format"], "V2");

  std::ostringstream v;
  EXPECT_TRUE(VerifyCheckpointDir(env(), "/run", v).ok());
  EXPECT_THAT(v.str(), HasSubstr("model.ckpt-200\tok"));
  auto data = env()->ReadFileToString("/run/model.ckpt-200.data-00000-of-00001");
  std::string flipped = *data;
  flipped[0] ^= 1;
  ASSERT_TRUE(env()->WriteStringToFile("/run/model.ckpt-200.data-00000-of-00001", flipped).ok());
  std::ostringstream v2;
  Status s = VerifyCheckpointDir(env(), "/run", v2, /*json=*/true);
  EXPECT_TRUE(IsDataLoss(s));
  EXPECT_THAT(std::string(s.message()), HasSubstr("model.ckpt-200"));
  auto verified = nlohmann::json::parse(v2.str());
  ASSERT_EQ(verified.size(), 3u);
  EXPECT_EQ(verified[0]["ok"], true);
  EXPECT_TRUE(verified[0]["error"].is_null());
  EXPECT_EQ(verified[1]["ok"], false);
  EXPECT_THAT(verified[1]["error"].get<std::string>(), HasSubstr("model.ckpt-200"));
  EXPECT_TRUE(IsNotFound(ListCheckpointDir(env(), "/nope", text)));
}

// The JSON listing stays valid JSON whatever the names and metrics hold: quotes, control
// bytes, bytes that are not UTF-8 (replaced by U+FFFD) and NaN metrics (null).
TEST_F(ManagerTest, ListDirectoryJsonEscapesOddNamesAndMetrics) {
  CheckpointManagerOptions o;
  o.checkpoint_name =
      "a\"b\x01"
      "c\xff";
  auto m = Open(o);
  SaveOptions so;
  so.metrics = {{"loss", std::nan("")}, {"acc", 0.25}};
  ASSERT_TRUE(m->Save(7, Vars(7), so).ok());
  std::ostringstream out;
  ASSERT_TRUE(ListCheckpointDir(env(), "/run", out, /*json=*/true).ok());
  auto list = nlohmann::json::parse(out.str());  // throws on invalid JSON
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["prefix"],
            "/run/a\"b\x01"
            "c\xef\xbf\xbd-7");
  EXPECT_TRUE(list[0]["metrics"]["loss"].is_null());
  EXPECT_EQ(list[0]["metrics"]["acc"], 0.25);
}

TEST_F(ManagerTest, IteratorYieldsNewCheckpointsAndTimesOut) {
  auto m = Open();
  CheckpointsIterator it(env(), "/run", {.timeout_secs = 0.2, .poll_interval_secs = 0.01});
  auto first = it.Next();
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->has_value());  // nothing yet: timed out
  ASSERT_TRUE(m->Save(1, Vars(1)).ok());
  auto a = it.Next();
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->step, 1);
  EXPECT_NE((*a)->pin, nullptr);
  auto again = it.Next();  // no newer one
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  std::jthread saver([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_TRUE(m->Save(2, Vars(2)).ok());
  });
  CheckpointsIterator it2(env(), "/run", {.timeout_secs = 5, .poll_interval_secs = 0.01});
  auto b = it2.Next();
  ASSERT_TRUE(b.ok() && b->has_value());
  saver.join();
  auto c = it2.Next();
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->step, 2);
}

TEST_F(ManagerTest, RejectsBadOptionsAndTensors) {
  EXPECT_TRUE(
      IsInvalidArgument(CheckpointManager::Open(env(), "/r", {.checkpoint_name = "a/b"}).status()));
  EXPECT_TRUE(IsInvalidArgument(CheckpointManager::Open(env(), "/r", {.keep_best = 2}).status()));
  auto m = Open();
  NamedTensors dup = {{"a", FloatTensor(1, 0)}, {"a", FloatTensor(1, 0)}};
  EXPECT_TRUE(IsInvalidArgument(m->Save(1, dup).status()));
  EXPECT_TRUE(IsInvalidArgument(m->Save(-1, Vars(1)).status()));
  EXPECT_FALSE(m->latest_checkpoint().has_value());
  EXPECT_THAT(Files(env(), "/run"), ElementsAre("checkpoint.lock"));
}

TEST_F(ManagerTest, SaveWithCommitsABundleMadeByTheCallback) {
  auto m = Open({.max_to_keep = 2});
  ASSERT_TRUE(m->Save(1, Vars(1)).ok());
  // Two single-shard bundles merged into the checkpoint, as a multi-process save does.
  auto saved = m->SaveWith(
      2,
      [&](const std::string& prefix) -> Status {
        std::vector<std::string> parts = {prefix + ".part0.tmp", prefix + ".part1.tmp"};
        for (int i = 0; i < 2; ++i) {
          CKPT_ASSIGN_OR_RETURN(auto w, BundleWriter::Create(env(), parts[i]));
          CKPT_RETURN_IF_ERROR(w->Add(i == 0 ? "a" : "global_step",
                                      i == 0 ? FloatTensor(3, 1) : Tensor::Scalar<int64_t>(2)));
          CKPT_RETURN_IF_ERROR(w->Finish());
        }
        return MergeBundles(env(), parts, prefix);
      },
      {.metrics = {{"loss", 0.5}}});
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  EXPECT_EQ(*saved, "/run/model.ckpt-2");
  EXPECT_EQ(m->latest_checkpoint(), "/run/model.ckpt-2");
  EXPECT_EQ(m->checkpoints().back().metrics.at("loss"), 0.5);
  EXPECT_EQ(StoredStep(env(), "/run/model.ckpt-2"), 2);
  auto r = BundleReader::Open(env(), "/run/model.ckpt-2");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->num_shards(), 2);
  EXPECT_TRUE((*r)->VerifyAll().ok());
  // Retention applies as for Save.
  ASSERT_TRUE(m->Save(3, Vars(3)).ok());
  EXPECT_THAT(Steps(*m), ElementsAre(2, 3));
  EXPECT_FALSE(env()->FileExists("/run/model.ckpt-1.index"));
}

TEST_F(ManagerTest, SaveWithFailureLeavesThePreviousCheckpoint) {
  auto m = Open();
  ASSERT_TRUE(m->Save(1, Vars(1)).ok());
  auto before = Files(env(), "/run");
  auto failed = m->SaveWith(2, [&](const std::string& prefix) -> Status {
    // A partial bundle (a data file, no index), then a failure.
    CKPT_RETURN_IF_ERROR(
        env()->WriteStringToFile(BundleDataFilename(prefix, 0, 2), "partial", false));
    return UnavailableError("rank 1 lost");
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(std::string(failed.status().message()),
              HasSubstr("saving checkpoint /run/model.ckpt-2: rank 1 lost"));
  EXPECT_EQ(m->latest_checkpoint(), "/run/model.ckpt-1");
  EXPECT_EQ(Files(env(), "/run"), before);
  // A callback that reports success without producing an index is an error too.
  auto no_index = m->SaveWith(3, [](const std::string&) { return Status::OK(); });
  EXPECT_EQ(no_index.status().code(), StatusCode::kInternal);
  EXPECT_EQ(Files(env(), "/run"), before);
  EXPECT_TRUE(IsInvalidArgument(m->SaveWith(4, nullptr).status()));
  EXPECT_TRUE(
      IsInvalidArgument(m->SaveWith(-1, [](const std::string&) { return Status::OK(); }).status()));
}

}  // namespace
}  // namespace ckpt
