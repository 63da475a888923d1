// Every write, flush, sync, close, rename and file creation of BundleWriter fails in turn:
// the error reaches the caller and no index or temporary file is left behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ckpt/format/bundle.h"
#include "testutil/fault_env.h"

namespace ckpt {
namespace {

using testutil::FaultEnv;

// Writes a bundle with small and large (multi-chunk) tensors; returns the first error.
Status WriteBundle(Env* env, const std::string& prefix) {
  CKPT_ASSIGN_OR_RETURN(auto w, BundleWriter::Create(env, prefix));
  Tensor big(DataType::kFloat, TensorShape{3 << 20});  // 12 MiB: several appends
  for (int64_t i = 0; i < big.num_elements(); ++i) big.data<float>()[i] = static_cast<float>(i);
  w->Add("a", Tensor::Scalar(1.0f)).IgnoreError();
  w->Add("big", big).IgnoreError();
  w->Add("s", Tensor::FromStrings({"x", std::string(2 << 20, 'y')}, {2})).IgnoreError();
  return w->Finish();
}

std::vector<std::string> Children(Env* env, const std::string& dir) {
  auto c = env->GetChildren(dir);
  return c.ok() ? *c : std::vector<std::string>{};
}

TEST(FaultTest, EveryFailingOperationIsReportedAndCleanedUp) {
  auto mem = NewMemEnv();
  FaultEnv env(mem.get());
  ASSERT_TRUE(WriteBundle(&env, "/base/m").ok());
  std::map<FaultEnv::Op, int> counts;
  for (auto op : FaultEnv::kAllOps) counts[op] = env.count(op);
  EXPECT_GT(counts[FaultEnv::Op::kAppend], 3);
  EXPECT_EQ(counts[FaultEnv::Op::kRename], 2);
  EXPECT_EQ(counts[FaultEnv::Op::kSync], 2);
  int cases = 0;
  for (auto op : FaultEnv::kAllOps) {
    for (int n = 0; n < counts[op]; ++n) {
      SCOPED_TRACE(std::string(FaultEnv::OpName(op)) + " #" + std::to_string(n));
      auto fresh = NewMemEnv();
      FaultEnv faulty(fresh.get());
      faulty.FailNth(op, n);
      Status s = WriteBundle(&faulty, "/d/m");
      EXPECT_EQ(faulty.failures(), 1);
      EXPECT_FALSE(s.ok());
      EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("injected"));
      EXPECT_FALSE(fresh->FileExists("/d/m.index"));
      for (const std::string& name : Children(fresh.get(), "/d")) {
        EXPECT_THAT(name, ::testing::Not(::testing::HasSubstr("tempstate")));
        EXPECT_THAT(name, ::testing::Not(::testing::HasSubstr(".index")));
      }
      ++cases;
    }
  }
  EXPECT_GT(cases, 8);
}

// Bundles PREFIX0 and PREFIX1, each holding scalar "k<i>" = scale * i: the inputs of a merge.
void WriteTwoBundles(Env* env, const std::string& prefix, float scale) {
  for (int i = 0; i < 2; ++i) {
    auto w = BundleWriter::Create(env, prefix + std::to_string(i));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Add("k" + std::to_string(i), Tensor::Scalar(scale * i)).ok());
    ASSERT_TRUE((*w)->Finish().ok());
  }
}

// A merge with sync fsyncs its new index; one without (TF's durability, as a distributed save
// with writer_options.sync = false) calls no fsync at all, and both give the same bundle.
TEST(FaultTest, MergeSyncsOnlyWhenAsked) {
  for (bool sync : {true, false}) {
    auto mem = NewMemEnv();
    ASSERT_NO_FATAL_FAILURE(WriteTwoBundles(mem.get(), "/s/p", 1.5f));
    FaultEnv counting(mem.get());
    counting.Reset();
    std::vector<std::string> inputs = {"/s/p0", "/s/p1"};
    ASSERT_TRUE(MergeBundles(&counting, inputs, "/s/m", false, sync).ok());
    EXPECT_EQ(counting.count(FaultEnv::Op::kSync), sync ? 1 : 0) << "sync=" << sync;
    auto reader = BundleReader::Open(mem.get(), "/s/m");
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ((*reader)->Lookup("k1")->data<float>()[0], 1.5f);
  }
}

TEST(FaultTest, MergeFailuresReachTheCaller) {
  auto mem = NewMemEnv();
  ASSERT_NO_FATAL_FAILURE(WriteTwoBundles(mem.get(), "/t/p", 1.0f));
  FaultEnv faulty(mem.get());
  faulty.FailNth(FaultEnv::Op::kAppend, 0);  // the merged index
  std::vector<std::string> inputs = {"/t/p0", "/t/p1"};
  Status s = MergeBundles(&faulty, inputs, "/t/merged");
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("injected"));
  EXPECT_FALSE(mem->FileExists("/t/merged.index"));
  for (const std::string& name : Children(mem.get(), "/t")) {
    EXPECT_THAT(name, ::testing::Not(::testing::HasSubstr("tempstate")));
  }
}

}  // namespace
}  // namespace ckpt
