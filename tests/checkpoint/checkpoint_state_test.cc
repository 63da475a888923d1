#include "ckpt/checkpoint/checkpoint_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "checkpoint_test_util.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/checkpoint_reader.h"
#include "ckpt/format/v1_writer.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(FormatPythonFloat, MatchesPythonRepr) {
  EXPECT_EQ(FormatPythonFloat(1672531200.0), "1672531200.0");
  EXPECT_EQ(FormatPythonFloat(1601613356.2644634), "1601613356.2644634");
  EXPECT_EQ(FormatPythonFloat(1601611588.861176), "1601611588.861176");
  EXPECT_EQ(FormatPythonFloat(1e-05), "1e-05");
  EXPECT_EQ(FormatPythonFloat(0.0001), "0.0001");
  EXPECT_EQ(FormatPythonFloat(0.00012), "0.00012");
  EXPECT_EQ(FormatPythonFloat(1.5e-07), "1.5e-07");
  EXPECT_EQ(FormatPythonFloat(1e16), "1e+16");
  EXPECT_EQ(FormatPythonFloat(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(FormatPythonFloat(12345678901234567890.0), "1.2345678901234567e+19");
  EXPECT_EQ(FormatPythonFloat(0.1), "0.1");
  EXPECT_EQ(FormatPythonFloat(-2.5), "-2.5");
  EXPECT_EQ(FormatPythonFloat(100.0), "100.0");
  EXPECT_EQ(FormatPythonFloat(1e100), "1e+100");
  EXPECT_EQ(FormatPythonFloat(5e-324), "5e-324");
  EXPECT_EQ(FormatPythonFloat(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(FormatPythonFloat(0.0), "0.0");
  EXPECT_EQ(FormatPythonFloat(-0.0), "-0.0");
  EXPECT_EQ(FormatPythonFloat(INFINITY), "inf");
  EXPECT_EQ(FormatPythonFloat(-INFINITY), "-inf");
  EXPECT_EQ(FormatPythonFloat(NAN), "nan");
}

// A V1 prefix with a bracket class names the files it matches, as in TF (GetMatchingPaths) and
// in the V1 reader; the state-file code once took "[0-9]" for a plain name and reported the
// checkpoint missing while the reader opened it.
TEST(CheckpointState, LatestCheckpointMatchesBracketPatternAsTheV1ReaderDoes) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->RecursivelyCreateDir("/ck").ok());
  const Tensor w = testutil::FloatTensor(3, 1.0f);
  ASSERT_TRUE(WriteV1Checkpoint(env.get(), "/ck/model-7", {"w"}, {&w}).ok());
  CheckpointState st;
  st.model_checkpoint_path = "/ck/model-[0-9]";
  ASSERT_TRUE(WriteCheckpointState(env.get(), "/ck", st, /*relative_paths=*/false).ok());

  auto latest = LatestCheckpoint(env.get(), "/ck");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(*latest, "/ck/model-[0-9]");
  auto reader = OpenCheckpoint(env.get(), *latest);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->format(), "V1");
  auto got = (*reader)->Lookup("w");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->Equals(w));

  // A class that matches no file is missing for both.
  st.model_checkpoint_path = "/ck/model-[89]";
  ASSERT_TRUE(WriteCheckpointState(env.get(), "/ck", st, /*relative_paths=*/false).ok());
  EXPECT_EQ(LatestCheckpoint(env.get(), "/ck").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(OpenCheckpoint(env.get(), "/ck/model-[89]").status().code(), StatusCode::kNotFound);
}

TEST(CheckpointState, SerializesLikeTextFormat) {
  CheckpointState s;
  s.model_checkpoint_path = "ckpt-12";
  s.all_model_checkpoint_paths = {"ckpt-10", "ckpt-11", "ckpt-12"};
  s.all_model_checkpoint_timestamps = {1601613356.2644634, 1601613798.8340204, 1601614241.2990458};
  s.last_preserved_timestamp = 1601609353.4315968;
  EXPECT_EQ(SerializeCheckpointState(s),
            "model_checkpoint_path: \"ckpt-12\"\n"
            "all_model_checkpoint_paths: \"ckpt-10\"\n"
            "all_model_checkpoint_paths: \"ckpt-11\"\n"
            "all_model_checkpoint_paths: \"ckpt-12\"\n"
            "all_model_checkpoint_timestamps: 1601613356.2644634\n"
            "all_model_checkpoint_timestamps: 1601613798.8340204\n"
            "all_model_checkpoint_timestamps: 1601614241.2990458\n"
            "last_preserved_timestamp: 1601609353.4315968\n");
}

TEST(CheckpointState, EscapesStringsLikePython) {
  CheckpointState s;
  // Valid UTF-8 stays, control bytes, DEL and invalid UTF-8 bytes become octal.
  s.model_checkpoint_path = std::string("a\"b\\c'd\ne\x01\xc3\xa9\x7f\xff\xc3", 15);
  EXPECT_EQ(SerializeCheckpointState(s),
            "model_checkpoint_path: \"a\\\"b\\\\c\\'d\\ne\\001\xc3\xa9\\177\\377\\303\"\n");
  auto back = ParseCheckpointState(SerializeCheckpointState(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->model_checkpoint_path, s.model_checkpoint_path);
}

TEST(CheckpointState, ParsesTolerantly) {
  auto s = ParseCheckpointState(
      "# written by hand\n"
      "last_preserved_timestamp: 12.5 all_model_checkpoint_paths: 'a-1'\n"
      "  all_model_checkpoint_paths: \"a-\" \"2\";\n"
      "all_model_checkpoint_timestamps: [1e3, 2.0]\n"
      "model_checkpoint_path:\"a-2\"  # trailing comment\n");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->model_checkpoint_path, "a-2");
  EXPECT_THAT(s->all_model_checkpoint_paths, ElementsAre("a-1", "a-2"));
  EXPECT_THAT(s->all_model_checkpoint_timestamps, ElementsAre(1000.0, 2.0));
  EXPECT_EQ(s->last_preserved_timestamp, 12.5);
}

TEST(CheckpointState, RejectsBadText) {
  for (const char* bad :
       {"model_checkpoint_path \"x\"", "model_checkpoint_path: x", "unknown_field: 1",
        "model_checkpoint_path: \"unterminated", "all_model_checkpoint_timestamps: abc",
        "all_model_checkpoint_paths: [\"a\"", "model_checkpoint_path: \"\\q\""}) {
    auto s = ParseCheckpointState(bad);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_TRUE(IsDataLoss(s.status())) << bad << ": " << s.status().ToString();
  }
  auto s = ParseCheckpointState("model_checkpoint_path: \"a\"\nbogus: 1\n");
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("line 2"));
}

TEST(CheckpointState, HostileTextNeverCrashesAndRoundTrips) {
  const std::string seed =
      "model_checkpoint_path: \"ckpt-12\"\n"
      "all_model_checkpoint_paths: \"ckpt-1\\001\\\"x\"\n"
      "all_model_checkpoint_paths: \"ckpt-12\"\n"
      "all_model_checkpoint_timestamps: 1601613356.2644634\n"
      "all_model_checkpoint_timestamps: 1e-05\n"
      "last_preserved_timestamp: 1601609353.4315968\n";
  std::mt19937 rng(7);
  const char alphabet[] = "\"'\\:[],;#\n 0123456789.e-+xabcfinINF\x00\xff";
  int parsed = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string t = seed;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % (t.size() + 1);
      switch (rng() % 3) {
        case 0:
          if (pos < t.size()) t.erase(pos, 1 + rng() % 8);
          break;
        case 1: t.insert(pos, 1, alphabet[rng() % (sizeof(alphabet) - 1)]); break;
        default:
          if (pos < t.size()) t[pos] = alphabet[rng() % (sizeof(alphabet) - 1)];
      }
    }
    auto s = ParseCheckpointState(t);
    if (!s.ok()) {
      EXPECT_TRUE(IsDataLoss(s.status())) << s.status().ToString();
      continue;
    }
    ++parsed;
    auto again = ParseCheckpointState(SerializeCheckpointState(*s));
    ASSERT_TRUE(again.ok()) << SerializeCheckpointState(*s);
    EXPECT_EQ(again->model_checkpoint_path, s->model_checkpoint_path);
    EXPECT_EQ(again->all_model_checkpoint_paths, s->all_model_checkpoint_paths);
    ASSERT_EQ(again->all_model_checkpoint_timestamps.size(),
              s->all_model_checkpoint_timestamps.size());
    for (size_t k = 0; k < s->all_model_checkpoint_timestamps.size(); ++k) {
      double a = s->all_model_checkpoint_timestamps[k],
             b = again->all_model_checkpoint_timestamps[k];
      EXPECT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << a << " vs " << b;
    }
  }
  EXPECT_GT(parsed, 100);  // the mutations also produce valid variants
}

TEST(CheckpointState, WriteRelativeReadJoins) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->RecursivelyCreateDir("/d").ok());
  CheckpointState s;
  s.model_checkpoint_path = "/d/model-2";
  s.all_model_checkpoint_paths = {"/d/model-1", "/elsewhere/model-0"};
  ASSERT_TRUE(WriteCheckpointState(env.get(), "/d", s).ok());
  auto text = env->ReadFileToString("/d/checkpoint");
  ASSERT_TRUE(text.ok());
  // model path appended to the list as TF does; inside paths relative, outside absolute.
  EXPECT_EQ(*text,
            "model_checkpoint_path: \"model-2\"\n"
            "all_model_checkpoint_paths: \"model-1\"\n"
            "all_model_checkpoint_paths: \"/elsewhere/model-0\"\n"
            "all_model_checkpoint_paths: \"model-2\"\n");
  auto children = env->GetChildren("/d");
  ASSERT_TRUE(children.ok());
  EXPECT_THAT(*children, ElementsAre("checkpoint"));  // no temporary file left

  auto back = GetCheckpointState(env.get(), "/d");
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->model_checkpoint_path, "/d/model-2");
  EXPECT_THAT((*back)->all_model_checkpoint_paths,
              ElementsAre("/d/model-1", "/elsewhere/model-0", "/d/model-2"));

  ASSERT_TRUE(WriteCheckpointState(env.get(), "/d", s, /*relative_paths=*/false).ok());
  text = env->ReadFileToString("/d/checkpoint");
  EXPECT_THAT(*text, HasSubstr("model_checkpoint_path: \"/d/model-2\"\n"));
}

TEST(CheckpointState, WriteValidates) {
  auto env = NewMemEnv();
  CheckpointState s;
  s.model_checkpoint_path = "/d/m-1";
  s.all_model_checkpoint_paths = {"/d/m-1"};
  s.all_model_checkpoint_timestamps = {1.0, 2.0};
  EXPECT_TRUE(IsInvalidArgument(WriteCheckpointState(env.get(), "/d", s)));
  s.all_model_checkpoint_timestamps.clear();
  EXPECT_TRUE(IsInvalidArgument(WriteCheckpointState(env.get(), "/d", s, true, "a/b")));
  s.model_checkpoint_path = "/d/checkpoint";
  EXPECT_TRUE(IsInvalidArgument(WriteCheckpointState(env.get(), "/d", s)));
}

TEST(CheckpointState, AbsentCorruptAndEmpty) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->RecursivelyCreateDir("/d").ok());
  auto none = GetCheckpointState(env.get(), "/d");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(IsNotFound(LatestCheckpoint(env.get(), "/d").status()));

  ASSERT_TRUE(env->WriteStringToFile("/d/checkpoint", "garbage ]]").ok());
  auto bad = GetCheckpointState(env.get(), "/d");
  EXPECT_TRUE(IsDataLoss(bad.status()));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("/d/checkpoint"));

  ASSERT_TRUE(env->WriteStringToFile("/d/checkpoint", "all_model_checkpoint_paths: \"x\"\n").ok());
  EXPECT_TRUE(IsDataLoss(GetCheckpointState(env.get(), "/d").status()));

  ASSERT_TRUE(env->WriteStringToFile("/d/checkpoint",
                                     "model_checkpoint_path: \"x\"\n"
                                     "all_model_checkpoint_paths: \"x\"\n"
                                     "all_model_checkpoint_timestamps: 1.0\n"
                                     "all_model_checkpoint_timestamps: 2.0\n")
                  .ok());
  EXPECT_TRUE(IsDataLoss(GetCheckpointState(env.get(), "/d").status()));
}

TEST(CheckpointState, LatestNeedsFilesAndRelocates) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->RecursivelyCreateDir("/new").ok());
  // A state file with absolute paths from a directory that was moved to /new.
  ASSERT_TRUE(env->WriteStringToFile("/new/checkpoint",
                                     "model_checkpoint_path: \"/old/model.ckpt-7\"\n"
                                     "all_model_checkpoint_paths: \"/old/model.ckpt-7\"\n")
                  .ok());
  auto latest = LatestCheckpoint(env.get(), "/new");
  EXPECT_TRUE(IsNotFound(latest.status()));
  EXPECT_THAT(std::string(latest.status().message()), HasSubstr("/old/model.ckpt-7"));

  auto w = BundleWriter::Create(env.get(), "/new/model.ckpt-7");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add("v", testutil::FloatTensor(3, 1)).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  latest = LatestCheckpoint(env.get(), "/new");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(*latest, "/new/model.ckpt-7");
}

TEST(CheckpointState, PosixRelativeDirectory) {
  testutil::TempDir tmp;
  Env* env = Env::Default();
  std::string dir = tmp.path() + "/run";
  ASSERT_TRUE(env->RecursivelyCreateDir(dir).ok());
  CheckpointState s;
  s.model_checkpoint_path = dir + "/m-1";
  ASSERT_TRUE(WriteCheckpointState(env, dir, s).ok());
  auto text = env->ReadFileToString(dir + "/checkpoint");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "model_checkpoint_path: \"m-1\"\nall_model_checkpoint_paths: \"m-1\"\n");
}

}  // namespace
}  // namespace ckpt
