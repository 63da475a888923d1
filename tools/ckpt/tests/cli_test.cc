// The ckpt CLI: subcommand functions on TF-written fixtures and on bundles written here, and
// the built binary end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ckpt/format/bundle.h"
#include "ckpt/format/tensor_files.h"
#include "commands.h"

namespace ckpt::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

std::string Fixtures() { return std::string(CKPT_SOURCE_DIR) + "/../shared/fixtures/tf"; }

#define SKIP_WITHOUT_FIXTURES()                   \
  if (!std::filesystem::is_directory(Fixtures())) \
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
  ASSERT_TRUE(
      RunLs(Env::Default(), Fixtures() + "/tf1_estimator_ckpt_tfx/model.ckpt-1000.index", o, js)
          .ok());
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
    if (t["name"] == "global_step") {
      EXPECT_EQ(t["dtype"], "int64");
    }
  }
  EXPECT_TRUE(found);
}

TEST(CliTest, SavedModelDirectoriesAndV1) {
  SKIP_WITHOUT_FIXTURES();
  std::ostringstream out;
  ASSERT_TRUE(RunLs(Env::Default(), Fixtures() + "/tf2_savedmodel_half_plus_two/", {}, out).ok());
  EXPECT_THAT(out.str(),
              MatchesRegex("(.|\n)*_CHECKPOINTABLE_OBJECT_GRAPH +string +\\[\\] +619\n(.|\n)*"));
  EXPECT_THAT(out.str(), HasSubstr("variables/variables)"));
  std::ostringstream v1;
  ASSERT_TRUE(
      RunDump(Env::Default(), Fixtures() + "/v1_plain_bad_half_plus_two/export", {}, v1).ok());
  EXPECT_EQ(v1.str(), "Variable float32 []: 0.5\nVariable_1 float32 []: 2\n");
}

TEST(CliTest, SavedModelFunctionsAndObjectTree) {
  SKIP_WITHOUT_FIXTURES();
  const std::string dir = Fixtures() + "/tf2_savedmodel_half_plus_two";
  std::ostringstream graph;
  ASSERT_TRUE(RunGraph(Env::Default(), dir, false, graph).ok());
  // Each library function with its size and the functions it calls.
  EXPECT_THAT(graph.str(),
              HasSubstr("\n  __inference_signature_wrapper_regress_xy_125: 3 nodes, calls "
                        "__inference_regress_xy_115\n"));
  EXPECT_THAT(graph.str(), HasSubstr("\n  __inference_regress_xy_115: 15 nodes\n"));
  std::ostringstream js;
  ASSERT_TRUE(RunGraph(Env::Default(), dir, true, js).ok());
  auto j = nlohmann::json::parse(js.str());
  const auto& functions = j["meta_graphs"][0]["functions"];
  ASSERT_EQ(functions.size(), 14u) << js.str();
  bool found = false;
  for (const auto& f : functions) {
    if (f["name"] != "__inference_signature_wrapper_classify_xy_205") continue;
    found = true;
    EXPECT_EQ(f["num_nodes"], 3);
    EXPECT_EQ(f["calls"], nlohmann::json::array({"__inference_classify_xy_195"}));
  }
  EXPECT_TRUE(found);

  std::ostringstream objects;
  LsOptions o;
  o.objects = true;
  ASSERT_TRUE(RunLs(Env::Default(), dir, o, objects).ok());
  EXPECT_THAT(objects.str(), HasSubstr("a    -> a/.ATTRIBUTES/VARIABLE_VALUE  float32  []\n"));
  EXPECT_THAT(objects.str(), HasSubstr("# 3 objects with values"));
  // A TF1 name-based checkpoint has no object tree.
  std::ostringstream none;
  Status s = RunLs(Env::Default(), Fixtures() + "/tf1_saver_v2_regression/model", o, none);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr("name-based"));
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
  ASSERT_TRUE(
      RunDump(Env::Default(), Fixtures() + "/tf1_estimator_ckpt_tfx/model.ckpt-1000", o, js).ok());
  auto j = nlohmann::json::parse(js.str());
  const auto& t = j["tensors"][0];
  EXPECT_EQ(t["shape"], nlohmann::json::array({100}));
  ASSERT_EQ(t["values"].size(), 3u);
  EXPECT_FLOAT_EQ(t["values"][0].get<float>(), -0.019179916f);
  EXPECT_EQ(t["truncated"], true);
  std::ostringstream missing;
  o.name = "nope";
  EXPECT_TRUE(IsNotFound(
      RunDump(Env::Default(), Fixtures() + "/tf1_saver_v2_regression/model", o, missing)));
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
  // A directory verifies every checkpoint in it (only model.ckpt-1000 of the three the
  // state file lists is present).
  Status s = RunVerify(Env::Default(), Fixtures() + "/tf1_estimator_ckpt_tfx", out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_THAT(out.str(), HasSubstr("model.ckpt-1000\tok\n"));
  EXPECT_THAT(out.str(), HasSubstr("OK: every checkpoint in"));
  std::ostringstream keras;
  ASSERT_TRUE(RunLs(Env::Default(), Fixtures() + "/tf2_keras_save_weights", {}, keras).ok());
  EXPECT_THAT(keras.str(), HasSubstr("# 18 tensors"));
  EXPECT_THAT(keras.str(), HasSubstr("latest"));
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

TEST(CliBinaryTest, RunBenchmarksAndWritesNpyOutputs) {
  if (!std::filesystem::is_directory(Fixtures())) GTEST_SKIP() << "fixtures not found";
  const std::string model = Fixtures() + "/tf2_savedmodel_half_plus_two";
  const std::string out_dir = ::testing::TempDir() + "/cli_run_npy_" + std::to_string(::getpid());
  std::filesystem::remove_all(out_dir);
  CmdResult r = RunBinary("run " + model +
                          " --signature serving_default --feed 'x=[1.0]' --benchmark 7 "
                          "--json --output-dir " +
                          out_dir);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["outputs"]["y"], nlohmann::json::array({2.5}));
  const auto& b = j["benchmark"];
  EXPECT_EQ(b["runs"], 7);
  EXPECT_EQ(b["warmup_runs"], 1);
  EXPECT_GT(b["min_us"].get<double>(), 0);
  EXPECT_LE(b["min_us"].get<double>(), b["median_us"].get<double>());
  EXPECT_LE(b["median_us"].get<double>(), b["p99_us"].get<double>());
  EXPECT_GE(b["first_result_ms"].get<double>(), b["load_ms"].get<double>());
  // The output file is y.npy, which reads back as the printed values; and it feeds a run.
  auto y = ReadNpy(Env::Default(), out_dir + "/y.npy");
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->dtype(), DataType::kFloat);
  EXPECT_EQ(y->shape(), TensorShape({1}));
  EXPECT_EQ(y->data<float>()[0], 2.5f);
  CmdResult again =
      RunBinary("run " + model + " --signature serving_default --feed x=@" + out_dir + "/y.npy");
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_EQ(again.out, "y = [3.25]\n");
  CmdResult text =
      RunBinary("run " + model + " --signature serving_default --feed 'x=[1.0]' --benchmark 3");
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_THAT(text.out, HasSubstr("3 runs after 1 warm-up: min "));
  std::filesystem::remove_all(out_dir);
}

// A fresh directory under the test temp dir.
std::string TempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void WriteBundle(const std::string& prefix, const std::vector<std::pair<std::string, Tensor>>& ts) {
  auto w = BundleWriter::Create(Env::Default(), prefix);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (const auto& [k, t] : ts) ASSERT_TRUE((*w)->Add(k, t).ok());
  ASSERT_TRUE((*w)->Finish().ok());
}

TEST(CliTest, DumpJsonKeepsBinaryStringsAsBase64) {
  std::string dir = TempDir("cli_b64");
  WriteBundle(
      dir + "/m",
      {{"s", Tensor::FromStrings(
                 {"héllo", std::string("\xff\x00\x01", 3), std::string("\xed\xa0\x80", 3)}, {3})}});
  std::ostringstream js;
  DumpOptions o;
  o.json = true;
  ASSERT_TRUE(RunDump(Env::Default(), dir + "/m", o, js).ok());
  auto v = nlohmann::json::parse(js.str())["tensors"][0]["values"];
  EXPECT_EQ(v[0], "héllo");
  EXPECT_EQ(v[1], nlohmann::json({{"base64", "/wAB"}}));
  EXPECT_EQ(v[2], nlohmann::json({{"base64", "7aCA"}}));  // an encoded surrogate is not UTF-8
  std::filesystem::remove_all(dir);
}

// One way to JSON for dump, run and graph: nested lists following the shape, shortest
// round-trip digits (0.1f is 0.1, not 0.10000000149011612), and strings without loss.
TEST(CliTest, JsonOfTensorsIsNestedShortestAndLossless) {
  EXPECT_EQ(JsonTensor(Tensor::FromVector<float>({0.1f, 1.f, -2.5f, NAN}, {2, 2})).dump(),
            R"([[0.1,1],[-2.5,"nan"]])");
  EXPECT_EQ(JsonTensor(Tensor::Scalar<int64_t>(-7)).dump(), "-7");
  Tensor s = Tensor::FromStrings({"a\"b\n", std::string("\xff", 1), "é"}, {3});
  EXPECT_EQ(JsonTensor(s).dump(), R"(["a\"b\n",{"base64":"/w=="},"é"])");
  // Text output shows a string as the same lossless JSON.
  EXPECT_EQ(FormatValue(s, 0), R"("a\"b\n")");
  EXPECT_EQ(FormatValue(s, 1), R"({"base64":"/w=="})");
  EXPECT_EQ(FormatValue(s, 2), "\"é\"");
  // A name that is not UTF-8 still prints as valid JSON (U+FFFD).
  std::ostringstream out;
  PrintJson(out, {{"name", std::string("x\xff")}});
  EXPECT_EQ(out.str(), "{\n  \"name\": \"x\xef\xbf\xbd\"\n}\n");
}

TEST(CliTest, ConvertAndDiff) {
  std::string dir = TempDir("cli_convert");
  Tensor k = Tensor::FromVector<float>({1, 2, 3, 4}, {2, 2});
  WriteBundle(dir + "/a", {{"dense/kernel", k}, {"step", Tensor::Scalar<int64_t>(5)}});
  ConvertCommandOptions c;
  c.input = dir + "/a";
  c.output = dir + "/a.safetensors";
  c.quiet = true;
  std::ostringstream quiet;
  ASSERT_TRUE(RunConvert(Env::Default(), c, quiet).ok());
  EXPECT_EQ(quiet.str(), "");
  // The converted file is identical: exit 0.
  DiffOptions d;
  d.a = dir + "/a";
  d.b = dir + "/a.safetensors";
  std::ostringstream same;
  auto r = RunDiff(Env::Default(), d, same);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(*r) << same.str();
  EXPECT_THAT(same.str(), HasSubstr("# 2 tensors compared, 0 only in A, 0 only in B, 0 changed"));

  // B: kernel off by 0.5 at one element, step renamed, a new tensor.
  WriteBundle(dir + "/b", {{"dense/kernel", Tensor::FromVector<float>({1, 2, 3.5f, 4}, {2, 2})},
                           {"global_step", Tensor::Scalar<int64_t>(5)},
                           {"extra", Tensor::Scalar<float>(1)}});
  d.b = dir + "/b";
  d.json = true;
  std::ostringstream js;
  r = RunDiff(Env::Default(), d, js);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  auto j = nlohmann::json::parse(js.str());
  EXPECT_EQ(j["missing"], nlohmann::json::array({"step"}));
  EXPECT_EQ(j["extra"], nlohmann::json::array({"extra", "global_step"}));
  ASSERT_EQ(j["changed"].size(), 1u);
  EXPECT_EQ(j["changed"][0]["max_abs_diff"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["changed"][0]["max_rel_diff"].get<double>(), 0.5 / 3.5);
  EXPECT_EQ(j["changed"][0]["mismatched"], 1);

  // Same keys; values within --atol pass, beyond fail; a shape change always fails.
  WriteBundle(dir + "/c", {{"dense/kernel", Tensor::FromVector<float>({1, 2, 3.5f, 4}, {2, 2})},
                           {"step", Tensor::Scalar<int64_t>(5)}});
  CmdResult within = RunBinary("diff --atol 0.5 " + dir + "/a " + dir + "/c");
  EXPECT_EQ(within.exit_code, 0) << within.out;
  CmdResult beyond = RunBinary("diff --atol 0.4 " + dir + "/a " + dir + "/c");
  EXPECT_EQ(beyond.exit_code, 1) << beyond.out;
  EXPECT_THAT(beyond.out, HasSubstr("~ dense/kernel max abs diff 0.5"));
  WriteBundle(dir + "/s", {{"dense/kernel", Tensor::FromVector<float>({1, 2, 3, 4}, {4})},
                           {"step", Tensor::Scalar<int64_t>(5)}});
  CmdResult shape = RunBinary("diff --atol 100 " + dir + "/a " + dir + "/s");
  EXPECT_EQ(shape.exit_code, 1);
  EXPECT_THAT(shape.out, HasSubstr("~ dense/kernel shape: [2,2] -> [4]"));
  EXPECT_EQ(RunBinary("diff " + dir + "/a " + dir + "/nope").exit_code, 2);

  // The binary: --only and --rename, then npz and back.
  CmdResult conv = RunBinary("convert " + dir + "/a " + dir +
                             "/k.npz --only kernel --rename "
                             "'^dense/(.*)=layer.$1'");
  EXPECT_EQ(conv.exit_code, 0) << conv.out;
  EXPECT_THAT(conv.out, HasSubstr("converted 1 tensors, 16 bytes"));
  CmdResult ls = RunBinary("ls " + dir + "/k.npz");
  EXPECT_THAT(ls.out, HasSubstr("layer.kernel  float32  [2,2]  16"));
  CmdResult bad = RunBinary("convert " + dir + "/a " + dir + "/x.npz --rename nonsense");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.out, HasSubstr("is not REGEX=REPLACEMENT"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ckpt::cli

#if CKPT_CLI_HAVE_CHECKPOINT_STATE
#include "ckpt/checkpoint/checkpoint_manager.h"

namespace ckpt::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

TEST(CliTest, DirectoryListsEveryCheckpointAndVerifiesThemAll) {
  std::string dir = ::testing::TempDir() + "/cli_dir_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  {
    CheckpointManagerOptions opts;
    opts.checkpoint_name = "model";
    opts.max_to_keep = 2;
    auto mgr = CheckpointManager::Open(Env::Default(), dir, opts);
    ASSERT_TRUE(mgr.ok()) << mgr.status().ToString();
    for (int step : {10, 20, 30}) {
      SaveOptions so;
      so.metrics["loss"] = 1.0 / step;
      auto saved = (*mgr)->Save(step, {{"w", Tensor::FromVector<float>({1.f * step, 2}, {2})}}, so);
      ASSERT_TRUE(saved.ok()) << saved.status().ToString();
    }
  }
  std::ostringstream out;
  ASSERT_TRUE(RunLs(Env::Default(), dir, {}, out).ok());
  // Retention kept 20 and 30; 30 is the latest, and its tensors follow the listing.
  EXPECT_THAT(out.str(), Not(HasSubstr("model-10")));
  EXPECT_THAT(out.str(), HasSubstr("model-20"));
  EXPECT_THAT(out.str(), MatchesRegex("(.|\n)*30\t[^\n]*latest[^\n]*model-30(.|\n)*"));
  EXPECT_THAT(out.str(), HasSubstr("# 1 tensors, 8 bytes (V2 checkpoint " + dir + "/model-30)"));

  std::ostringstream js;
  LsOptions o;
  o.json = true;
  ASSERT_TRUE(RunLs(Env::Default(), dir, o, js).ok());
  auto j = nlohmann::json::parse(js.str());
  ASSERT_EQ(j["checkpoints"].size(), 2u);
  EXPECT_EQ(j["checkpoints"][1]["step"], 30);
  EXPECT_TRUE(j["checkpoints"][1]["latest"].get<bool>());
  EXPECT_DOUBLE_EQ(j["checkpoints"][0]["metrics"]["loss"].get<double>(), 1.0 / 20);
  EXPECT_EQ(j["latest"]["tensors"][0]["name"], "w");

  std::ostringstream ok;
  EXPECT_TRUE(RunVerify(Env::Default(), dir, ok).ok()) << ok.str();
  // Corrupt the older checkpoint's data: verify of the directory must name it and fail.
  {
    std::string data = dir + "/model-20.data-00000-of-00001";
    FILE* f = std::fopen(data.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fputc(0x7f, f);
    std::fclose(f);
  }
  std::ostringstream bad;
  Status s = RunVerify(Env::Default(), dir, bad);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(bad.str(), HasSubstr("model-20"));
  EXPECT_THAT(bad.str(), HasSubstr("FAILED"));
  CmdResult r = RunBinary("verify " + dir);
  EXPECT_EQ(r.exit_code, 1) << r.out;
  std::filesystem::remove_all(dir);
}

// `ls --json` of a checkpoint directory whose checkpoint names are not UTF-8: the listing used
// to be invalid JSON (raw bytes), and re-parsing it aborted the tool.
TEST(CliTest, LsJsonOfDirectoryWithNonUtf8Names) {
  std::string dir = ::testing::TempDir() + "/cli_odd_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  {
    CheckpointManagerOptions opts;
    opts.checkpoint_name = "m\xff";
    auto mgr = CheckpointManager::Open(Env::Default(), dir, opts);
    ASSERT_TRUE(mgr.ok()) << mgr.status().ToString();
    ASSERT_TRUE((*mgr)->Save(5, {{"w", Tensor::FromVector<float>({1, 2}, {2})}}).ok());
  }
  std::ostringstream js;
  LsOptions o;
  o.json = true;
  ASSERT_TRUE(RunLs(Env::Default(), dir, o, js).ok());
  auto j = nlohmann::json::parse(js.str());
  ASSERT_EQ(j["checkpoints"].size(), 1u);
  EXPECT_EQ(j["checkpoints"][0]["prefix"], dir + "/m\xef\xbf\xbd-5");
  EXPECT_EQ(j["checkpoints"][0]["step"], 5);
  EXPECT_EQ(j["latest"]["tensors"][0]["name"], "w");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ckpt::cli
#endif

#include "ckpt/metagraph/meta_graph.h"
#include "testutil/hostile_graph.h"

namespace ckpt::cli {
namespace {

// `ckpt run` treats a model as untrusted: its file ops read only inside the model's directory
// and write nowhere unless --allow-io says otherwise; --timeout stops a run that never ends;
// a shape fed to make a huge tensor fails before allocating (default memory limit).
TEST(CliBinaryTest, RunConfinesUntrustedModels) {
  const std::string dir = TempDir("cli_untrusted");
  const std::string other = TempDir("cli_untrusted_other");
  auto g = Graph::FromGraphDef(testutil::HostileGraphDef().SerializeAsString());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_TRUE(ExportMetaGraph(Env::Default(), dir + "/model.meta", *g, nullptr).ok());
  { std::ofstream(dir + "/vocab.txt") << "inside"; }
  const std::string run = "run " + dir + "/model.meta ";

  CmdResult inside = RunBinary(run + "--feed 'file=\"" + dir + "/vocab.txt\"' --fetch read:0");
  EXPECT_EQ(inside.exit_code, 0) << inside.out;
  EXPECT_THAT(inside.out, HasSubstr("inside"));

  CmdResult passwd = RunBinary(run + "--feed 'file=\"/etc/passwd\"' --fetch read:0");
  EXPECT_NE(passwd.exit_code, 0);
  EXPECT_THAT(passwd.out, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(passwd.out, HasSubstr("node read (ReadFile): reading '/etc/passwd' is not allowed"));
  EXPECT_THAT(passwd.out, Not(HasSubstr("root:")));
  CmdResult restore = RunBinary(run + "--feed 'file=\"/etc/passwd\"' --fetch restore:0");
  EXPECT_THAT(restore.out, HasSubstr("node restore (RestoreV2): reading '/etc/passwd"));

  const std::string target = other + "/written.txt";
  const std::string write =
      run + "--feed 'file=\"" + target + "\"' --feed 'text=\"x\"' " + "--fetch write ";
  CmdResult denied = RunBinary(write);
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_THAT(denied.out, HasSubstr("node write (WriteFile): writing '" + target + "'"));
  EXPECT_FALSE(std::filesystem::exists(target));
  CmdResult allowed = RunBinary(write + "--allow-io " + other);
  EXPECT_EQ(allowed.exit_code, 0) << allowed.out;
  EXPECT_TRUE(std::filesystem::exists(target));

  CmdResult spin = RunBinary(run + "--feed i=0 --fetch spin:0 --timeout 300");
  EXPECT_NE(spin.exit_code, 0);
  EXPECT_THAT(spin.out, HasSubstr("DEADLINE_EXCEEDED"));
  EXPECT_THAT(spin.out, HasSubstr("the run exceeded its deadline of 300 ms"));

  // 2^20 x 2^20 floats (4 TiB): refused before allocating, by the default limit.
  CmdResult huge = RunBinary(run + "--feed 'dims=[1048576, 1048576]' --fetch fill:0");
  EXPECT_NE(huge.exit_code, 0);
  EXPECT_THAT(huge.out, HasSubstr("RESOURCE_EXHAUSTED"));
  EXPECT_THAT(huge.out, HasSubstr("node fill (Fill)"));
  EXPECT_THAT(huge.out, HasSubstr("allocating a float32 tensor of shape [1048576,1048576]"));
  CmdResult small = RunBinary(run + "--feed 'dims=[2]' --fetch fill:0 --memory-limit 64");
  EXPECT_EQ(small.exit_code, 0) << small.out;
  CmdResult tight = RunBinary(run + "--feed 'dims=[32]' --fetch fill:0 --memory-limit 64");
  EXPECT_THAT(tight.out, HasSubstr("memory limit of 64 bytes"));
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(other);
}

}  // namespace
}  // namespace ckpt::cli
