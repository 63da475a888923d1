// Lookup tables (src/graph/kernels/lookup_kernels.cc): static tables initialized from tensors
// and from vocabulary files, mutable tables, and their errors. Values here are worked out by
// hand; tests/python/test_tf2_savedmodel.py compares the same ops with TensorFlow.
#include <google/protobuf/text_format.h>

#include <filesystem>
#include <fstream>

#include "ckpt/graph/session.h"
#include "graph/test_util.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "testutil/temp_dir.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using testutil::L;
using testutil::Values;

// A string -> int64 static table `static` (filled by `import` from fed keys/values, or by
// `init_file` from a fed vocabulary path), a mutable table `mutable`, and ops over both.
constexpr char kGraph[] = R"pb(
  node { name: "keys" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
  node { name: "values" op: "Placeholder" attr { key: "dtype" value { type: DT_INT64 } } }
  node { name: "file" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
  node { name: "dflt" op: "Const" attr { key: "dtype" value { type: DT_INT64 } }
         attr { key: "value" value { tensor { dtype: DT_INT64 tensor_shape {} int64_val: -1 } } } }
  node { name: "static" op: "HashTableV2"
         attr { key: "key_dtype" value { type: DT_STRING } }
         attr { key: "value_dtype" value { type: DT_INT64 } }
         attr { key: "shared_name" value { s: "vocab" } } }
  node { name: "import" op: "LookupTableImportV2" input: "static" input: "keys" input: "values"
         attr { key: "Tin" value { type: DT_STRING } } attr { key: "Tout" value { type: DT_INT64 } } }
  node { name: "init_file" op: "InitializeTableFromTextFileV2" input: "static" input: "file"
         attr { key: "key_index" value { i: -2 } } attr { key: "value_index" value { i: -1 } }
         attr { key: "offset" value { i: 0 } } }
  node { name: "find" op: "LookupTableFindV2" input: "static" input: "keys" input: "dflt"
         attr { key: "Tin" value { type: DT_STRING } } attr { key: "Tout" value { type: DT_INT64 } } }
  node { name: "size" op: "LookupTableSizeV2" input: "static" }
  node { name: "mutable" op: "MutableHashTableV2"
         attr { key: "key_dtype" value { type: DT_STRING } }
         attr { key: "value_dtype" value { type: DT_INT64 } } }
  node { name: "insert" op: "LookupTableInsertV2" input: "mutable" input: "keys" input: "values"
         attr { key: "Tin" value { type: DT_STRING } } attr { key: "Tout" value { type: DT_INT64 } } }
  node { name: "remove" op: "LookupTableRemoveV2" input: "mutable" input: "keys"
         attr { key: "Tin" value { type: DT_STRING } } }
  node { name: "mimport" op: "LookupTableImportV2" input: "mutable" input: "keys" input: "values"
         attr { key: "Tin" value { type: DT_STRING } } attr { key: "Tout" value { type: DT_INT64 } } }
  node { name: "mfind" op: "LookupTableFindV2" input: "mutable" input: "keys" input: "dflt"
         attr { key: "Tin" value { type: DT_STRING } } attr { key: "Tout" value { type: DT_INT64 } } }
  node { name: "msize" op: "LookupTableSizeV2" input: "mutable" }
  node { name: "export" op: "LookupTableExportV2" input: "mutable"
         attr { key: "Tkeys" value { type: DT_STRING } } attr { key: "Tvalues" value { type: DT_INT64 } } }
)pb";

Tensor S(std::vector<std::string> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::FromStrings(v, TensorShape({n}));
}

class LookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tensorflow::GraphDef def;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kGraph, &def));
    auto g = Graph::FromGraphDef(def.SerializeAsString());
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    graph_ = std::make_unique<Graph>(std::move(*g));
    auto s = Session::Create(graph_.get());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    session_ = std::move(*s);
  }

  StatusOr<std::vector<Tensor>> Run(const Session::FeedList& feeds,
                                    const std::vector<std::string>& fetches,
                                    const std::vector<std::string>& targets = {}) {
    return session_->Run(feeds, fetches, targets);
  }

  std::string WriteVocab(const std::string& text) {
    const std::string path = dir_.path() + "/vocab.txt";
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  testutil::TempDir dir_{"lookup"};
  std::unique_ptr<Graph> graph_;
  std::unique_ptr<Session> session_;
};

TEST_F(LookupTest, StaticTableFromTensors) {
  // Not yet initialized: a clear error naming the table.
  auto r = Run({{"keys:0", S({"a"})}}, {"find:0"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("static"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("not initialized"));

  CKPT_ASSERT_OK(
      Run({{"keys:0", S({"a", "b", "c"})}, {"values:0", L({10, 20, 30}, {3})}}, {}, {"import"})
          .status());
  r = Run({{"keys:0", Tensor::FromStrings({"c", "x", "a", "b"}, TensorShape({2, 2}))}},
          {"find:0", "size:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), TensorShape({2, 2}));
  EXPECT_THAT(Values<int64_t>((*r)[0]), ElementsAre(30, -1, 10, 20));
  EXPECT_THAT(Values<int64_t>((*r)[1]), ElementsAre(3));

  // Initializing again with the same entries is a no-op (TF re-runs init ops); with other
  // entries it is refused and the table keeps its contents.
  CKPT_ASSERT_OK(
      Run({{"keys:0", S({"a", "b", "c"})}, {"values:0", L({10, 20, 30}, {3})}}, {}, {"import"})
          .status());
  auto again = Run({{"keys:0", S({"a"})}, {"values:0", L({99}, {1})}}, {}, {"import"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("different data"));
  r = Run({{"keys:0", S({"a"})}}, {"find:0"});
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Values<int64_t>((*r)[0]), ElementsAre(10));
}

TEST_F(LookupTest, StaticTableRefusesOneKeyWithTwoValues) {
  auto r = Run({{"keys:0", S({"a", "a"})}, {"values:0", L({1, 2}, {2})}}, {}, {"import"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("different values for key 'a'"));
  // The failed initialization left the table uninitialized, so a correct one still works.
  CKPT_ASSERT_OK(Run({{"keys:0", S({"a"})}, {"values:0", L({1}, {1})}}, {}, {"import"}).status());
}

TEST_F(LookupTest, VocabularyFile) {
  const std::string path = WriteVocab("apple\nbanana\r\ncherry\n");
  CKPT_ASSERT_OK(Run({{"file:0", Tensor::StringScalar(path)}}, {}, {"init_file"}).status());
  auto r = Run({{"keys:0", S({"cherry", "apple", "kiwi", "banana"})}}, {"find:0", "size:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<int64_t>((*r)[0]), ElementsAre(2, 0, -1, 1));
  EXPECT_THAT(Values<int64_t>((*r)[1]), ElementsAre(3));
  // Initializing from a file again is a no-op, as in TF.
  CKPT_ASSERT_OK(Run({{"file:0", Tensor::StringScalar(path)}}, {}, {"init_file"}).status());
}

TEST_F(LookupTest, BadVocabularyFilesAreNamed) {
  const std::string path = WriteVocab("apple\n\ncherry\n");
  auto r = Run({{"file:0", Tensor::StringScalar(path)}}, {}, {"init_file"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(path));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("empty line at line 1"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("init_file"));

  r = Run({{"file:0", Tensor::StringScalar(dir_.path() + "/missing.txt")}}, {}, {"init_file"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().ToString();
}

TEST_F(LookupTest, MutableTable) {
  auto r = Run({{"keys:0", S({"a"})}}, {"mfind:0", "msize:0"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();  // empty, not "uninitialized"
  EXPECT_THAT(Values<int64_t>((*r)[0]), ElementsAre(-1));
  EXPECT_THAT(Values<int64_t>((*r)[1]), ElementsAre(0));

  CKPT_ASSERT_OK(
      Run({{"keys:0", S({"a", "b", "c"})}, {"values:0", L({1, 2, 3}, {3})}}, {}, {"insert"})
          .status());
  CKPT_ASSERT_OK(Run({{"keys:0", S({"b", "d"})}, {"values:0", L({20, 4}, {2})}}, {}, {"insert"})
                     .status());  // overwrites b
  CKPT_ASSERT_OK(Run({{"keys:0", S({"a", "zzz"})}}, {}, {"remove"}).status());
  r = Run({{"keys:0", S({"a", "b", "c", "d"})}}, {"mfind:0", "msize:0", "export:0", "export:1"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(Values<int64_t>((*r)[0]), ElementsAre(-1, 20, 3, 4));
  EXPECT_THAT(Values<int64_t>((*r)[1]), ElementsAre(3));
  std::vector<std::pair<std::string, int64_t>> exported;
  for (int i = 0; i < 3; ++i) {
    exported.emplace_back((*r)[2].strings()[i], (*r)[3].data<int64_t>()[i]);
  }
  EXPECT_THAT(exported, UnorderedElementsAre(std::pair<std::string, int64_t>{"b", 20},
                                             std::pair<std::string, int64_t>{"c", 3},
                                             std::pair<std::string, int64_t>{"d", 4}));

  // Import (what a checkpoint restore runs) replaces the contents.
  CKPT_ASSERT_OK(Run({{"keys:0", S({"x"})}, {"values:0", L({7}, {1})}}, {}, {"mimport"}).status());
  r = Run({{"keys:0", S({"b", "x"})}}, {"mfind:0", "msize:0"});
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Values<int64_t>((*r)[0]), ElementsAre(-1, 7));
  EXPECT_THAT(Values<int64_t>((*r)[1]), ElementsAre(1));
}

TEST_F(LookupTest, MismatchedShapesAndDtypesAreErrors) {
  auto r = Run({{"keys:0", S({"a", "b"})}, {"values:0", L({1}, {1})}}, {}, {"insert"});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("same shape"));

  // A find whose key dtype is not the table's.
  tensorflow::GraphDef def;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    node { name: "t" op: "HashTableV2"
           attr { key: "key_dtype" value { type: DT_INT64 } }
           attr { key: "value_dtype" value { type: DT_FLOAT } } }
    node { name: "k" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
    node { name: "d" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
           attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape {} float_val: 0 } } } }
    node { name: "f" op: "LookupTableFindV2" input: "t" input: "k" input: "d"
           attr { key: "Tin" value { type: DT_STRING } } attr { key: "Tout" value { type: DT_FLOAT } } }
  )pb",
                                                            &def));
  auto g = Graph::FromGraphDef(def.SerializeAsString());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  auto s = Session::Create(&*g);
  ASSERT_TRUE(s.ok());
  r = (*s)->Run({{"k:0", S({"a"})}}, {"f:0"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("conflicting key/value dtypes"));
}

TEST_F(LookupTest, VocabularyFileObeysTheFileAccessPolicy) {
  const std::string path = WriteVocab("apple\n");
  SessionOptions opts;
  opts.file_access = FileAccessPolicy::ReadOnly({dir_.path() + "/elsewhere"});
  auto s = Session::Create(graph_.get(), opts);
  ASSERT_TRUE(s.ok());
  auto r = (*s)->Run({{"file:0", Tensor::StringScalar(path)}}, {}, {"init_file"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(path));
}

}  // namespace
}  // namespace ckpt
