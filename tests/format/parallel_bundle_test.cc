// Bundles written as several data files by concurrent threads, and tensors read concurrently
// (pieces of large tensors with combined checksums): same bytes as the sequential writer for
// the same shard layout, exact values, corruption found in any piece.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "ckpt/format/bundle.h"
#include "testutil/fault_env.h"

namespace ckpt {
namespace {

using ::testing::HasSubstr;

Tensor Floats(int64_t n, float start) {
  Tensor t(DataType::kFloat, TensorShape{n});
  for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

// A mixed set of tensors: sizes from a scalar to 2 MiB, strings, a partitioned tensor.
struct Contents {
  std::vector<std::pair<std::string, Tensor>> plain;
  Tensor part0 = Floats(6, 100), part1 = Floats(4, 200);  // rows 0-2 and 3-4 of a 5x2 tensor
};

Contents MakeContents() {
  Contents c;
  c.plain = {{"big", Floats(512 * 1024, 1)},
             {"mid", Floats(4000, 2)},
             {"scalar", Tensor::Scalar<int64_t>(42)},
             {"strings", Tensor::FromStrings({"", "abc", std::string(300, 'z')}, {3})},
             {"mid2", Floats(5000, 3)},
             {"small", Floats(3, 4)}};
  return c;
}

Status Write(Env* env, const std::string& prefix, const Contents& c, BundleWriterOptions o) {
  CKPT_ASSIGN_OR_RETURN(auto w, BundleWriter::Create(env, prefix, o));
  for (const auto& [k, t] : c.plain) CKPT_RETURN_IF_ERROR(w->Add(k, t));
  const TensorShape full{5, 2};
  CKPT_ASSIGN_OR_RETURN(TensorSlice s0, TensorSlice::Parse("0,3:-"));
  CKPT_ASSIGN_OR_RETURN(TensorSlice s1, TensorSlice::Parse("3,2:-"));
  CKPT_ASSIGN_OR_RETURN(Tensor p0, c.part0.Reshaped({3, 2}));
  CKPT_ASSIGN_OR_RETURN(Tensor p1, c.part1.Reshaped({2, 2}));
  CKPT_RETURN_IF_ERROR(w->AddSlice("part", full, s0, p0));
  CKPT_RETURN_IF_ERROR(w->AddSlice("part", full, s1, p1));
  return w->Finish();
}

std::string Bytes(Env* env, const std::string& path) {
  auto s = env->ReadFileToString(path);
  EXPECT_TRUE(s.ok()) << path << ": " << s.status().ToString();
  return s.ok() ? *s : "";
}

void ExpectContents(Env* env, const std::string& prefix, const Contents& c, int threads) {
  BundleReaderOptions ro;
  ro.num_threads = threads;
  auto r = BundleReader::Open(env, prefix, ro);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE((*r)->VerifyAll().ok());
  for (const auto& [k, t] : c.plain) {
    auto got = (*r)->Lookup(k);
    ASSERT_TRUE(got.ok()) << k << ": " << got.status().ToString();
    EXPECT_TRUE(got->Equals(t)) << k;
  }
  auto part = (*r)->Lookup("part");
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(part->data<float>()[i], 100 + i);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(part->data<float>()[6 + i], 200 + i);
}

TEST(ParallelBundle, SameBytesWithAnyThreadCountAndAsSequentialShards) {
  auto env = NewMemEnv();
  const Contents c = MakeContents();
  BundleWriterOptions o;
  o.num_shards = 3;
  o.num_threads = 1;
  ASSERT_TRUE(Write(env.get(), "/a/m", c, o).ok());
  o.num_threads = 3;
  ASSERT_TRUE(Write(env.get(), "/b/m", c, o).ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Bytes(env.get(), BundleDataFilename("/a/m", i, 3)),
              Bytes(env.get(), BundleDataFilename("/b/m", i, 3)))
        << i;
  }
  EXPECT_EQ(Bytes(env.get(), "/a/m.index"), Bytes(env.get(), "/b/m.index"));
  EXPECT_FALSE(env->FileExists(BundleDataFilename("/b/m", 0, 1)));
  ExpectContents(env.get(), "/b/m", c, 4);
  ExpectContents(env.get(), "/b/m", c, 1);

  // Balanced by size: the 2 MiB tensor alone on shard 0, the rest spread over 1 and 2.
  auto r = BundleReader::Open(env.get(), "/b/m");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->num_shards(), 3);
  std::map<std::string, int> shard;
  for (const auto& [k, t] : c.plain) shard[k] = (*r)->GetEntry(k)->shard_id;
  EXPECT_EQ(shard["big"], 0);
  EXPECT_EQ(shard["mid2"], 1);
  EXPECT_EQ(shard["mid"], 2);
  for (const auto& [k, s] : shard) {
    if (k != "big") EXPECT_NE(s, 0) << k;
  }

  // The sequential writer, one single-shard bundle per shard of that layout, merged (TF's
  // MergeV2Checkpoints), gives the same data files byte for byte.
  std::vector<std::string> parts;
  for (int s = 0; s < 3; ++s) {
    parts.push_back("/c/part" + std::to_string(s));
    auto w = BundleWriter::Create(env.get(), parts.back());
    ASSERT_TRUE(w.ok());
    for (const auto& [k, t] : c.plain) {
      if (shard[k] == s) ASSERT_TRUE((*w)->Add(k, t).ok());
    }
    ASSERT_TRUE((*w)->Finish().ok());
  }
  ASSERT_TRUE(MergeBundles(env.get(), parts, "/c/m").ok());
  // (The partitioned tensor's slices are not in /c; compare the shards' leading bytes.)
  for (int i = 0; i < 3; ++i) {
    std::string parallel = Bytes(env.get(), BundleDataFilename("/b/m", i, 3));
    std::string sequential = Bytes(env.get(), BundleDataFilename("/c/m", i, 3));
    ASSERT_LE(sequential.size(), parallel.size());
    EXPECT_EQ(parallel.substr(0, sequential.size()), sequential) << i;
  }
  for (const auto& [k, t] : c.plain) {
    auto rc = BundleReader::Open(env.get(), "/c/m");
    ASSERT_TRUE(rc.ok());
    auto a = (*rc)->GetEntry(k), b = (*r)->GetEntry(k);
    EXPECT_EQ(a->shard_id, b->shard_id) << k;
    EXPECT_EQ(a->offset, b->offset) << k;
    EXPECT_EQ(a->masked_crc32c, b->masked_crc32c) << k;
  }
}

TEST(ParallelBundle, AutomaticShardCountAndAlignment) {
  auto env = NewMemEnv();
  const Contents c = MakeContents();
  BundleWriterOptions o;
  o.num_shards = 0;  // a few MiB: one shard
  o.data_alignment = 64;
  auto w = BundleWriter::Create(env.get(), "/m", o);
  ASSERT_TRUE(w.ok());
  for (const auto& [k, t] : c.plain) ASSERT_TRUE((*w)->Add(k, t).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_EQ((*w)->num_shards(), 1);
  auto r = BundleReader::Open(env.get(), "/m");
  ASSERT_TRUE(r.ok());
  for (const auto& [k, t] : c.plain) {
    EXPECT_EQ((*r)->GetEntry(k)->offset % 64, 0) << k;
    EXPECT_TRUE((*r)->Lookup(k)->Equals(t)) << k;
  }
  o.num_shards = -1;
  EXPECT_THAT(std::string(BundleWriter::Create(env.get(), "/x", o).status().message()),
              HasSubstr("num_shards"));
  o.num_shards = 5000;
  EXPECT_FALSE(BundleWriter::Create(env.get(), "/x", o).ok());
}

TEST(ParallelBundle, MoreShardsThanTensorsLeavesEmptyShardsTfCanOpen) {
  auto env = NewMemEnv();
  BundleWriterOptions o;
  o.num_shards = 4;
  auto w = BundleWriter::Create(env.get(), "/m", o);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add("only", Floats(10, 0)).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(env->FileExists(BundleDataFilename("/m", i, 4)));
  EXPECT_EQ(Bytes(env.get(), BundleDataFilename("/m", 3, 4)), "");
  auto r = BundleReader::Open(env.get(), "/m");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->Lookup("only")->Equals(Floats(10, 0)));
}

// A tensor large enough to be read in pieces (> 32 MiB).
TEST(ParallelBundle, LargeTensorReadInPiecesEqualsSequentialAndFindsCorruption) {
  auto env = NewMemEnv();
  const int64_t n = (40 << 20) / 4 + 123;  // 40 MiB and a partial last piece
  Tensor big = Floats(n, 0.5f);
  {
    auto w = BundleWriter::Create(env.get(), "/m");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Add("big", big).ok());
    ASSERT_TRUE((*w)->Add("small", Floats(7, 1)).ok());
    ASSERT_TRUE((*w)->Finish().ok());
  }
  for (int threads : {1, 2, 5}) {
    BundleReaderOptions ro;
    ro.num_threads = threads;
    auto r = BundleReader::Open(env.get(), "/m", ro);
    ASSERT_TRUE(r.ok());
    Tensor out(DataType::kFloat, TensorShape{n}), small(DataType::kFloat, TensorShape{7});
    std::vector<std::pair<std::string, Tensor*>> targets = {{"small", &small}, {"big", &out}};
    ASSERT_TRUE((*r)->LookupMany(targets).ok()) << threads;
    EXPECT_TRUE(out.Equals(big)) << threads;
    EXPECT_TRUE(small.Equals(Floats(7, 1)));
  }
  // One flipped byte in the third piece: the combined checksum catches it.
  std::string data = Bytes(env.get(), BundleDataFilename("/m", 0, 1));
  data[(33 << 20) + 5] ^= 0x40;
  ASSERT_TRUE(env->WriteStringToFile(BundleDataFilename("/m", 0, 1), data).ok());
  for (int threads : {1, 3}) {
    BundleReaderOptions ro;
    ro.num_threads = threads;
    auto r = BundleReader::Open(env.get(), "/m", ro);
    ASSERT_TRUE(r.ok());
    auto got = (*r)->Lookup("big");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
    EXPECT_THAT(std::string(got.status().message()), HasSubstr("big"));
  }
}

// Many whole tensors (over the 4 MiB a read needs to use threads), from four shards, plus a
// string and a partitioned tensor, read by one LookupMany on four threads.
TEST(ParallelBundle, ManyTensorsFromManyShardsReadConcurrently) {
  auto env = NewMemEnv();
  Contents c = MakeContents();
  for (int i = 0; i < 12; ++i) {
    c.plain.emplace_back("t" + std::to_string(i), Floats(256 * 1024, static_cast<float>(i)));
  }
  BundleWriterOptions o;
  o.num_shards = 4;
  ASSERT_TRUE(Write(env.get(), "/m", c, o).ok());
  BundleReaderOptions ro;
  ro.num_threads = 4;
  auto r = BundleReader::Open(env.get(), "/m", ro);
  ASSERT_TRUE(r.ok());
  std::vector<Tensor> outs;
  outs.reserve(c.plain.size() + 1);
  std::vector<std::pair<std::string, Tensor*>> targets;
  for (const auto& [k, t] : c.plain) {
    outs.emplace_back(t.dtype(), t.shape());
    targets.emplace_back(k, &outs.back());
  }
  outs.emplace_back(DataType::kFloat, TensorShape{5, 2});
  targets.emplace_back("part", &outs.back());
  ASSERT_TRUE((*r)->LookupMany(targets).ok());
  for (size_t i = 0; i < c.plain.size(); ++i) EXPECT_TRUE(outs[i].Equals(c.plain[i].second)) << i;
  EXPECT_EQ(outs.back().data<float>()[9], 203);
  EXPECT_TRUE((*r)->VerifyAll().ok());
}

TEST(ParallelBundle, LookupManyChecksEveryTargetBeforeReading) {
  auto env = NewMemEnv();
  const Contents c = MakeContents();
  ASSERT_TRUE(Write(env.get(), "/m", c, {}).ok());
  auto r = BundleReader::Open(env.get(), "/m");
  ASSERT_TRUE(r.ok());
  Tensor mid(DataType::kFloat, TensorShape{4000});
  mid.data<float>()[0] = -7;
  Tensor wrong(DataType::kFloat, TensorShape{2});
  std::vector<std::pair<std::string, Tensor*>> targets = {{"mid", &mid}, {"small", &wrong}};
  Status s = (*r)->LookupMany(targets);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("small"));
  EXPECT_EQ(mid.data<float>()[0], -7);  // untouched
  targets = {{"mid", &mid}, {"nope", &wrong}};
  EXPECT_EQ((*r)->LookupMany(targets).code(), StatusCode::kNotFound);
}

// Every failing file operation of a concurrent 3-shard save: the error reaches the caller and
// nothing is left behind (no index, no temporary, no data file).
TEST(ParallelBundle, EveryFailingOperationIsReportedAndCleanedUp) {
  const Contents c = MakeContents();
  BundleWriterOptions o;
  o.num_shards = 3;
  auto mem = NewMemEnv();
  testutil::FaultEnv counter(mem.get());
  ASSERT_TRUE(Write(&counter, "/base/m", c, o).ok());
  int cases = 0;
  for (auto op : testutil::FaultEnv::kAllOps) {
    for (int n = 0; n < counter.count(op); ++n) {
      SCOPED_TRACE(std::string(testutil::FaultEnv::OpName(op)) + " #" + std::to_string(n));
      auto fresh = NewMemEnv();
      testutil::FaultEnv faulty(fresh.get());
      faulty.FailNth(op, n);
      Status s = Write(&faulty, "/d/m", c, o);
      EXPECT_EQ(faulty.failures(), 1);
      EXPECT_FALSE(s.ok());
      EXPECT_THAT(std::string(s.message()), HasSubstr("injected"));
      auto children = fresh->GetChildren("/d");
      if (children.ok()) EXPECT_THAT(*children, ::testing::IsEmpty());
      ++cases;
    }
  }
  EXPECT_GT(cases, 15);
}

}  // namespace
}  // namespace ckpt
