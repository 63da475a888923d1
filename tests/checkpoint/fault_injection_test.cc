// Fails every file-system call site of a save in turn (one error, or "disk full": that call
// and every later one) and checks that the error reaches the caller and the directory stays
// consistent: the latest checkpoint restores and verifies, earlier kept ones survive, and
// reopening removes every leftover.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "checkpoint_test_util.h"
#include "ckpt/checkpoint/checkpoint_dir.h"
#include "ckpt/checkpoint/checkpoint_manager.h"
#include "ckpt/format/bundle.h"

namespace ckpt {
namespace {

using testutil::FaultEnv;
using testutil::FloatTensor;

NamedTensors Vars(int64_t step) {
  return {{"w", FloatTensor(1000, static_cast<float>(step))},
          {"s", Tensor::StringScalar("step " + std::to_string(step))},
          {"global_step", Tensor::Scalar<int64_t>(step)}};
}

SaveOptions Opts(int64_t step) {
  SaveOptions so;
  so.metrics = {{"loss", 1.0 / (step + 1)}};
  so.companion_files = {{"meta", "meta of " + std::to_string(step)}};
  return so;
}

CheckpointManagerOptions ManagerOptions(int num_shards = 1) {
  CheckpointManagerOptions o;
  o.max_to_keep = 2;
  o.writer_options.num_shards = num_shards;
  return o;
}

// Checks the directory with a healthy Env; returns the latest step.
int64_t CheckConsistent(Env* env, const std::string& where) {
  SCOPED_TRACE(where);
  auto m = CheckpointManager::Open(env, "/run", ManagerOptions());
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return -1;
  EXPECT_TRUE((*m)->pending_deletions().empty());
  auto children = env->GetChildren("/run");
  EXPECT_TRUE(children.ok());
  for (const auto& c : *children) {
    EXPECT_EQ(c.find("tmp"), std::string::npos) << "leftover " << c;
    EXPECT_EQ(c.find("tempstate"), std::string::npos) << "leftover " << c;
    EXPECT_EQ(c.find(".deleting"), std::string::npos) << "leftover " << c;
    size_t d = c.find(".data-");
    if (d != std::string::npos)
      EXPECT_TRUE(env->FileExists("/run/" + c.substr(0, d) + ".index")) << "orphan " << c;
  }
  auto st = GetCheckpointState(env, "/run");
  EXPECT_TRUE(st.ok() && st->has_value()) << st.status().ToString();
  if (!st.ok() || !st->has_value()) return -1;
  for (const auto& p : (*st)->all_model_checkpoint_paths) {
    auto r = BundleReader::Open(env, p);
    EXPECT_TRUE(r.ok()) << p << ": " << r.status().ToString();
    if (r.ok()) EXPECT_TRUE((*r)->VerifyAll().ok()) << p;
    auto meta = env->ReadFileToString(p + ".meta");
    EXPECT_TRUE(meta.ok()) << p;
  }
  Tensor w(DataType::kFloat, {1000}), g(DataType::kInt64, {});
  Tensor s(DataType::kString, {});
  std::vector<RestoreTarget> t = {{"w", &w}, {"global_step", &g}, {"s", &s}};
  auto from = (*m)->RestoreLatest(t);
  EXPECT_TRUE(from.ok()) << from.status().ToString();
  int64_t step = g.data<int64_t>()[0];
  EXPECT_EQ(w.flat<float>()[0], static_cast<float>(step));
  EXPECT_EQ(s.strings()[0], "step " + std::to_string(step));
  EXPECT_EQ((*st)->model_checkpoint_path, "/run/model.ckpt-" + std::to_string(step));
  return step;
}

void RunFaultSweep(bool disk_full, int num_shards = 1) {
  int exercised = 0;
  for (int site = 1; site < 500; ++site) {
    auto mem = NewMemEnv();
    {
      auto m = CheckpointManager::Open(mem.get(), "/run", ManagerOptions());
      ASSERT_TRUE(m.ok());
      for (int s = 1; s <= 3; ++s) ASSERT_TRUE((*m)->Save(s, Vars(s), Opts(s)).ok());
    }
    FaultEnv fault(mem.get());
    fault.fail_all_after = disk_full;
    auto m = CheckpointManager::Open(&fault, "/run", ManagerOptions(num_shards));
    ASSERT_TRUE(m.ok());
    fault.fail_at = fault.sites + site;
    auto saved = (*m)->Save(4, Vars(4), Opts(4));
    if (!fault.failed) {
      ASSERT_TRUE(saved.ok()) << saved.status().ToString();
      EXPECT_GT(exercised, 10);  // a save has many call sites
      m->reset();
      EXPECT_EQ(CheckConsistent(mem.get(), "no fault"), 4);
      return;
    }
    ++exercised;
    std::string failed_site;
    {
      std::lock_guard<std::mutex> l(fault.mu);
      failed_site = fault.log[fault.fail_at - 1];
    }
    SCOPED_TRACE("fault at site " + std::to_string(site) + ": " + failed_site);
    if (getenv("CKPT_FAULT_LOG")) {
      for (int i = 0; i < fault.sites; ++i)
        fprintf(stderr, "  %d %s\n", i + 1, fault.log[i].c_str());
    }
    // The error reaches the caller.
    ASSERT_FALSE(saved.ok());
    EXPECT_EQ(saved.status().code(), StatusCode::kResourceExhausted) << saved.status().ToString();
    EXPECT_THAT(std::string(saved.status().message()), ::testing::HasSubstr("injected"));
    m->reset();
    fault.fail_at = 0;
    int64_t latest = CheckConsistent(mem.get(), failed_site);
    // Either the save committed (the failure hit a deletion afterwards) or it did not.
    EXPECT_TRUE(latest == 3 || latest == 4) << latest;
    auto st = GetCheckpointState(mem.get(), "/run");
    ASSERT_TRUE(st.ok() && st->has_value());
    std::vector<std::string> expect =
        latest == 3 ? std::vector<std::string>{"/run/model.ckpt-2", "/run/model.ckpt-3"}
                    : std::vector<std::string>{"/run/model.ckpt-3", "/run/model.ckpt-4"};
    EXPECT_EQ((*st)->all_model_checkpoint_paths, expect);
  }
  FAIL() << "the save never completed without hitting a fault";
}

TEST(FaultInjection, EverySingleFailingCallSite) { RunFaultSweep(/*disk_full=*/false); }

TEST(FaultInjection, DiskFullFromEveryCallSiteOn) { RunFaultSweep(/*disk_full=*/true); }

// The same with the bundle written as three data files by concurrent threads.
TEST(FaultInjection, EverySingleFailingCallSiteOfAShardedSave) {
  RunFaultSweep(/*disk_full=*/false, /*num_shards=*/3);
}

TEST(FaultInjection, DiskFullFromEveryCallSiteOnOfAShardedSave) {
  RunFaultSweep(/*disk_full=*/true, /*num_shards=*/3);
}

TEST(FaultInjection, FailingStateWriteKeepsPreviousState) {
  auto mem = NewMemEnv();
  FaultEnv fault(mem.get());
  auto m = CheckpointManager::Open(&fault, "/run", ManagerOptions());
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE((*m)->Save(1, Vars(1), Opts(1)).ok());
  // Fail the rename of the state file's temporary.
  std::vector<std::string> log;
  fault.log.clear();
  int base = fault.sites;
  ASSERT_TRUE((*m)->Save(2, Vars(2), Opts(2)).ok());
  int state_rename = -1;
  for (size_t i = 0; i < fault.log.size(); ++i)
    if (fault.log[i].find("rename /run/checkpoint.tmp") == 0) state_rename = static_cast<int>(i);
  ASSERT_GE(state_rename, 0);
  int offset = state_rename + 1;
  (void)base;
  fault.fail_at = fault.sites + offset;
  auto s = (*m)->Save(3, Vars(3), Opts(3));
  ASSERT_TRUE(fault.failed);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(*(*m)->latest_checkpoint(), "/run/model.ckpt-2");
  EXPECT_FALSE(mem->FileExists("/run/model.ckpt-3.index"));
  fault.fail_at = 0;
  ASSERT_TRUE((*m)->Save(3, Vars(3), Opts(3)).ok());
  EXPECT_EQ(*(*m)->latest_checkpoint(), "/run/model.ckpt-3");
}

// What a save makes durable, counted: fsyncs of files and of the directory.
TEST(FaultInjection, SyncsPerSave) {
  auto mem = NewMemEnv();
  auto count = [&](bool sync, int* files, int* dirs) {
    FaultEnv env(mem.get());
    CheckpointManagerOptions o = ManagerOptions();
    o.writer_options.sync = sync;
    const std::string dir = sync ? "/durable" : "/fast";
    auto m = CheckpointManager::Open(&env, dir, o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    std::vector<std::pair<int, int>> per_save;
    for (int64_t step = 1; step <= 3; ++step) {
      {
        std::lock_guard<std::mutex> l(env.mu);
        env.log.clear();
      }
      ASSERT_TRUE((*m)->Save(step, Vars(step), Opts(step)).ok());
      int f = 0, d = 0;
      for (const auto& entry : env.log) {
        f += entry.rfind("sync ", 0) == 0;
        d += entry.rfind("syncdir ", 0) == 0;
      }
      per_save.emplace_back(f, d);
    }
    // Save 1: data, index, .meta, .metrics and the state file; one directory sync after the
    // bundle's renames (companions included), one after the state file's. Save 3 also drops
    // save 1 (max_to_keep 2): its deletion log is synced with the state file.
    files[0] = per_save[0].first;
    dirs[0] = per_save[0].second;
    files[1] = per_save[2].first;
    dirs[1] = per_save[2].second;
    m->reset();
    // Either way the directory reopens with the last two checkpoints, the latest restorable.
    auto again = CheckpointManager::Open(mem.get(), dir, ManagerOptions());
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    ASSERT_EQ((*again)->checkpoints().size(), 2u);
    EXPECT_EQ((*again)->checkpoints().back().step, 3);
    auto reader = BundleReader::Open(mem.get(), (*again)->checkpoints().back().prefix);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_TRUE((*reader)->VerifyAll().ok());
  };
  int files[2], dirs[2];
  count(true, files, dirs);
  EXPECT_EQ(files[0], 5);
  EXPECT_EQ(dirs[0], 2);
  EXPECT_EQ(files[1], 6);
  EXPECT_EQ(dirs[1], 2);
  count(false, files, dirs);
  EXPECT_EQ(files[0] + dirs[0] + files[1] + dirs[1], 0);
}

}  // namespace
}  // namespace ckpt
