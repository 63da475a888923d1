// The checkpoint layer on directories written by real TensorFlow (shared/fixtures/tf).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checkpoint_test_util.h"
#include "ckpt/checkpoint/checkpoint_dir.h"
#include "ckpt/checkpoint/checkpoint_manager.h"
#include "ckpt/checkpoint/checkpoint_state.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string FixtureDir(const std::string& name) {
  return std::string(CKPT_SOURCE_DIR) + "/../shared/fixtures/tf/" + name;
}

nlohmann::json Expected(const std::string& name) {
  std::ifstream in(FixtureDir(name) + "/EXPECTED.json");
  return nlohmann::json::parse(in);
}

#define REQUIRE_FIXTURE(name)                     \
  if (!std::filesystem::exists(FixtureDir(name))) \
  GTEST_SKIP() << "fixture " << FixtureDir(name) << " absent (no ../shared checkout)"

TEST(TfFixtures, StateFileOfTf1SaverV2) {
  REQUIRE_FIXTURE("tf1_saver_v2_regression");
  Env* env = Env::Default();
  std::string dir = FixtureDir("tf1_saver_v2_regression");
  auto expected = Expected("tf1_saver_v2_regression")["checkpoint"];
  auto text = env->ReadFileToString(dir + "/checkpoint");
  ASSERT_TRUE(text.ok());
  auto parsed = ParseCheckpointState(*text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->model_checkpoint_path, expected["model_checkpoint_path"]);
  // Our writer reproduces TF's bytes.
  EXPECT_EQ(SerializeCheckpointState(*parsed), *text);
  EXPECT_EQ(text->size(), expected["file_size"].get<size_t>());
  auto latest = LatestVerifiedCheckpoint(env, dir, {.full_verify = true});
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(*latest, dir + "/model");
  std::ostringstream out;
  EXPECT_TRUE(VerifyCheckpointDir(env, dir, out).ok()) << out.str();
  EXPECT_THAT(out.str(), HasSubstr("model\tok"));
}

TEST(TfFixtures, MovedV1DirectoryWithAbsolutePaths) {
  REQUIRE_FIXTURE("v1_plain_bad_half_plus_two");
  Env* env = Env::Default();
  std::string dir = FixtureDir("v1_plain_bad_half_plus_two");
  auto expected = Expected("v1_plain_bad_half_plus_two");
  std::string recorded = expected["checkpoint"]["model_checkpoint_path"];
  ASSERT_TRUE(path::IsAbsolute(recorded));
  ASSERT_FALSE(env->FileExists(recorded)) << "the fixture's original location exists";

  // The state file names an absolute path from where TF wrote it; it resolves inside `dir`.
  auto state = GetCheckpointState(env, dir);
  ASSERT_TRUE(state.ok() && state->has_value()) << state.status().ToString();
  EXPECT_EQ((*state)->model_checkpoint_path, dir + "/export");
  auto latest = LatestCheckpoint(env, dir);
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(*latest, dir + "/export");

  // V1 restore into caller tensors, values from the oracle.
  std::map<std::string, float> want;
  for (const auto& r : expected["export"]["records"])
    want[r["name"]] = r["data"]["float_val"][0].get<float>();
  ASSERT_EQ(want.size(), 2u);
  Tensor a(DataType::kFloat, {}), b(DataType::kFloat, {});
  std::vector<RestoreTarget> t = {{"Variable", &a}, {"Variable_1", &b}};
  RestoreReport report;
  Status s = RestoreFromCheckpoint(env, *latest, t, {}, &report);
  ASSERT_TRUE(s.ok()) << s.ToString() << report.ToString();
  EXPECT_EQ(a.data<float>()[0], want["Variable"]);
  EXPECT_EQ(b.data<float>()[0], want["Variable_1"]);

  auto entries = ScanCheckpointDir(env, dir);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].format, "V1");
  EXPECT_TRUE((*entries)[0].latest);
  EXPECT_EQ((*entries)[0].size_bytes, expected["export"]["file_size"].get<uint64_t>());
  std::ostringstream out;
  EXPECT_TRUE(VerifyCheckpointDir(env, dir, out).ok()) << out.str();
}

TEST(TfFixtures, ManagerAdoptsACopiedTfDirectory) {
  REQUIRE_FIXTURE("tf1_saver_v2_regression");
  testutil::TempDir tmp;
  std::string dir = tmp.path() + "/copy";
  std::filesystem::copy(FixtureDir("tf1_saver_v2_regression"), dir);
  auto m = CheckpointManager::Open(Env::Default(), dir, {.checkpoint_name = "model"});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ((*m)->checkpoints().size(), 1u);
  EXPECT_EQ((*m)->checkpoints()[0].prefix, dir + "/model");
  EXPECT_EQ((*m)->last_step(), -1);  // "model" has no step number
  ASSERT_TRUE((*m)->Save(0, {{"x", Tensor::Scalar<float>(1.5f)}}).ok());
  std::vector<std::string> paths;
  for (const auto& c : (*m)->checkpoints()) paths.push_back(c.prefix);
  EXPECT_THAT(paths, ElementsAre(dir + "/model", dir + "/model-0"));
}

}  // namespace
}  // namespace ckpt
