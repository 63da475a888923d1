// The ckpt CLI: subcommand functions on TF-written fixtures and on bundles written here, and
// the built binary end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ckpt/format/bundle.h"
#include "commands.h"

namespace ckpt::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

std::string Fixtures() { return std::string(CKPT_SOURCE_DIR) + "/../shared/fixtures/tf"; }

#define SKIP_WITHOUT_FIXTURES()                                  \
  if (!std::filesystem::is_directory(Fixtures()))                \
  GTEST_SKIP() << "TensorFlow fixtures not found at " << Fixtures()

struct CmdResult {
  int exit_code;
  std::string out;
};

CmdResult RunBinary(const std::string& args) {
  std::string cmd = std::string(CKPT_CLI_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(CliTest, LsOnTensorFlowCheckpoint) {
  SKIP_WITHOUT_FIXTURES();
  std::ostringstream out;
  Status s = RunLs(Env::Default(), Fixtures() + "/tf1_saver_v2_regression/model", {}, out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_THAT(out.str(), HasSubstr("W     float32  []     4\nb     float32  []     4\n"));
  EXPECT_THAT(out.str(), HasSubstr("# 2 tensors, 8 bytes (V2 checkpoint"));

  std::ostringstream js;
  LsOptions o;
  o.json = true;
  ASSERT_TRUE(RunLs(Env::Default(), Fixtures() + "/tf1_estimator_ckpt_tfx/model.ckpt-1000.index",
                    o, js).ok());
  auto j = nlohmann::json::parse(js.str());
  EXPECT_EQ(j["format"], "V2");
  ASSERT_EQ(j["tensors"].size(), 60u);
  bool found = false;
  for (const auto& t : j["tensors"]) {
    if (t["name"] == "dnn/hiddenlayer_1/kernel") {
      EXPECT_EQ(t["dtype"], "float32");
      EXPECT_EQ(t["shape"], nlohmann::json::array({100, 70}));
      EXPECT_EQ(t["bytes"], 28000);
      found = true;
    }
    if (t["name"] == "global_step") EXPECT_EQ(t["dtype"], "int64");
  }
  EXPECT_TRUE(found);
}

TEST(CliTest, SavedModelDirectoriesAndV1) {
  SKIP_WITHOUT_FIXTURES();
  std::ostringstream out;
  ASSERT_TRUE(RunLs(Env::Default(), Fixtures() + "/tf2_savedmodel_half_plus_two/", {}, out).ok());
  EXPECT_THAT(out.str(), MatchesRegex("(.|\n)*_CHECKPOINTABLE_OBJECT_GRAPH +string +\\[\\] +619\n(.|\n)*"));
  EXPECT_THAT(out.str(), HasSubstr("variables/variables)"));
  std::ostringstream v1;
  ASSERT_TRUE(RunDump(Env::Default(), Fixtures() + "/v1_plain_bad_half_plus_two/export", {}, v1).ok());
  EXPECT_EQ(v1.str(), "Variable float32 []: 0.5\nVariable_1 float32 []: 2\n");
}

TEST(CliTest, DumpValues) {
  SKIP_WITHOUT_FIXTURES();
  std::ostringstream out;
  DumpOptions o;
  o.name = "W";
  ASSERT_TRUE(RunDump(Env::Default(), Fixtures() + "/tf1_saver_v2_regression/model", o, out).ok());
  EXPECT_EQ(out.str(), "W float32 []: 0.21396178\n");
  std::ostringstream js;
  o.name = "dnn/hiddenlayer_0/bias";
  o.json = true;
  o.max_values = 3;
  ASSERT_TRUE(RunDump(Env::Default(), Fixtures() + "/tf1_estimator_ckpt_tfx/model.ckpt-1000", o,
                      js).ok());
  auto j = nlohmann::json::parse(js.str());
  const auto& t = j["tensors"][0];
  EXPECT_EQ(t["shape"], nlohmann::json::array({100}));
  ASSERT_EQ(t["values"].size(), 3u);
  EXPECT_FLOAT_EQ(t["values"][0].get<float>(), -0.019179916f);
  EXPECT_EQ(t["truncated"], true);
  std::ostringstream missing;
  o.name = "nope";
  EXPECT_TRUE(IsNotFound(RunDump(Env::Default(), Fixtures() + "/tf1_saver_v2_regression/model",
                                 o, missing)));
}

TEST(CliTest, VerifyDetectsCorruption) {
  auto env = NewMemEnv();
  auto w = BundleWriter::Create(env.get(), "/v/m");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add("x", Tensor::FromVector<int32_t>({1, 2, 3}, {3})).ok());
  ASSERT_TRUE((*w)->Add("s", Tensor::FromStrings({"a", "b\n"}, {2})).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  std::ostringstream ok;
  ASSERT_TRUE(RunVerify(env.get(), "/v/m", ok).ok());
  EXPECT_EQ(ok.str(), "OK: 2 tensors, 21 bytes verified (V2 checkpoint /v/m)\n");
  std::ostringstream dump;
  ASSERT_TRUE(RunDump(env.get(), "/v/m", {}, dump).ok());
  EXPECT_EQ(dump.str(), "s string [2]: [\"a\", \"b\\n\"]\nx int32 [3]: [1, 2, 3]\n");
  auto data = env->ReadFileToString("/v/m.data-00000-of-00001");
  ASSERT_TRUE(data.ok());
  (*data)[1] ^= 1;
  ASSERT_TRUE(env->WriteStringToFile("/v/m.data-00000-of-00001", *data).ok());
  std::ostringstream bad;
  Status s = RunVerify(env.get(), "/v/m", bad);
  EXPECT_TRUE(IsDataLoss(s));
  EXPECT_THAT(bad.str(), HasSubstr("FAILED: /v/m: DATA_LOSS: checksum mismatch for key x"));
  std::ostringstream none;
  EXPECT_TRUE(IsNotFound(RunVerify(env.get(), "/nothing", none)));
  EXPECT_THAT(none.str(), HasSubstr("FAILED"));
}

#if CKPT_CLI_HAVE_CHECKPOINT_STATE
TEST(CliTest, CheckpointDirectoryUsesLatestCheckpoint) {
  SKIP_WITHOUT_FIXTURES();
  std::ostringstream out;
  Status s = RunVerify(Env::Default(), Fixtures() + "/tf1_estimator_ckpt_tfx", out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_THAT(out.str(), HasSubstr("OK: 60 tensors"));
  EXPECT_THAT(out.str(), HasSubstr("model.ckpt-1000)"));
  std::ostringstream keras;
  ASSERT_TRUE(RunLs(Env::Default(), Fixtures() + "/tf2_keras_save_weights", {}, keras).ok());
  EXPECT_THAT(keras.str(), HasSubstr("# 18 tensors"));
}
#endif

TEST(CliBinaryTest, RunsSubcommands) {
  CmdResult help = RunBinary("--help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* sub : {"ls", "dump", "verify"}) {
    EXPECT_THAT(help.out, HasSubstr(sub));
    CmdResult h = RunBinary(std::string(sub) + " --help");
    EXPECT_EQ(h.exit_code, 0) << sub;
    EXPECT_THAT(h.out, HasSubstr("PATH")) << sub;
  }
  EXPECT_NE(RunBinary("").exit_code, 0);
  CmdResult missing = RunBinary("verify /nonexistent/ckpt/prefix");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.out, HasSubstr("FAILED"));
  if (!std::filesystem::is_directory(Fixtures())) GTEST_SKIP() << "fixtures not found";
  CmdResult ls = RunBinary("ls " + Fixtures() + "/tf1_saver_v2_regression/model");
  EXPECT_EQ(ls.exit_code, 0);
  EXPECT_THAT(ls.out, HasSubstr("W     float32  []     4"));
  CmdResult verify = RunBinary("verify " + Fixtures() + "/tf2_savedmodel_stale_shards");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_THAT(verify.out, HasSubstr("OK: 28 tensors"));
  CmdResult dump = RunBinary("dump --name optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE " + Fixtures() +
                       "/tf2_savedmodel_stale_shards");
  EXPECT_EQ(dump.out, "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE int64 []: 2605\n");
}

}  // namespace
}  // namespace ckpt::cli
