// The table adapter over libleveldb: round trips, ordering rules, lookups, multi-block tables,
// errors naming the file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "ckpt/format/bundle.h"
#include "format/table/table.h"
#include "testutil/byte_surgery.h"

namespace ckpt {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<table::TableReader> OpenTable(Env* env, const std::string& path) {
  auto f = env->NewRandomAccessFile(path);
  EXPECT_TRUE(f.ok());
  auto r = table::TableReader::Open(std::move(f).value());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

TEST(TableTest, RoundTripAcrossManyBlocks) {
  auto env = NewMemEnv();
  auto file = env->NewWritableFile("/t");
  ASSERT_TRUE(file.ok());
  table::TableBuilderOptions o;
  o.block_size = 1024;  // force many data blocks
  auto b = table::TableBuilder::Create(file->get(), o);
  std::vector<std::pair<std::string, std::string>> kv;
  for (int i = 0; i < 2000; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "key%06d", i);
    kv.emplace_back(key, std::string(i % 50, static_cast<char>('a' + i % 26)));
    ASSERT_TRUE(b->Add(kv.back().first, kv.back().second).ok());
  }
  EXPECT_TRUE(IsInvalidArgument(b->Add("key000001", "late")));  // out of order, sticky
  EXPECT_FALSE(b->Finish().ok());

  file = env->NewWritableFile("/t");
  b = table::TableBuilder::Create(file->get(), o);
  for (const auto& [k, v] : kv) ASSERT_TRUE(b->Add(k, v).ok());
  ASSERT_TRUE(b->Finish().ok());
  EXPECT_EQ(b->num_entries(), 2000u);
  EXPECT_EQ(b->file_size(), (*file)->Size());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(b->Finish().code(), StatusCode::kFailedPrecondition);

  auto r = OpenTable(env.get(), "/t");
  ASSERT_TRUE(r);
  size_t i = 0;
  ASSERT_TRUE(r->ForEach([&](std::string_view k, std::string_view v) {
                 EXPECT_EQ(k, kv[i].first);
                 EXPECT_EQ(v, kv[i].second);
                 ++i;
                 return Status();
               }).ok());
  EXPECT_EQ(i, kv.size());
  auto got = r->Get("key001234");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, kv[1234].second);
  auto absent = r->Get("key0012345");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  // ForEach stops at the callback's first error.
  int calls = 0;
  Status stop = r->ForEach([&](std::string_view, std::string_view) {
    return ++calls == 3 ? AbortedError("stop") : Status();
  });
  EXPECT_EQ(stop.code(), StatusCode::kAborted);
  EXPECT_EQ(calls, 3);

  // A corrupted data block in the middle: the error names the file.
  std::string bytes = testutil::ReadAll(env.get(), "/t");
  bytes[bytes.size() / 2] ^= 0x40;
  testutil::WriteAll(env.get(), "/t", bytes);
  auto r2 = OpenTable(env.get(), "/t");
  ASSERT_TRUE(r2);
  Status s = r2->ForEach([](std::string_view, std::string_view) { return Status(); });
  EXPECT_TRUE(IsDataLoss(s)) << s.ToString();
  EXPECT_THAT(std::string(s.message()), HasSubstr("/t"));
}

TEST(TableTest, EmptyTable) {
  auto env = NewMemEnv();
  auto file = env->NewWritableFile("/e");
  ASSERT_TRUE(file.ok());
  auto b = table::TableBuilder::Create(file->get());
  ASSERT_TRUE(b->Finish().ok());
  ASSERT_TRUE((*file)->Close().ok());
  auto r = OpenTable(env.get(), "/e");
  ASSERT_TRUE(r);
  int n = 0;
  ASSERT_TRUE(r->ForEach([&](std::string_view, std::string_view) {
                 ++n;
                 return Status();
               }).ok());
  EXPECT_EQ(n, 0);
}

TEST(BundleConcurrencyTest, ConcurrentLookups) {
  auto env = NewMemEnv();
  auto w = BundleWriter::Create(env.get(), "/c/m");
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 16; ++i) {
    std::vector<int32_t> v(1000 + i, i);
    ASSERT_TRUE((*w)->Add("t" + std::to_string(i), Tensor::FromVector(v, {1000 + i})).ok());
  }
  ASSERT_TRUE((*w)->Finish().ok());
  auto r = BundleReader::Open(env.get(), "/c/m");
  ASSERT_TRUE(r.ok());
  const BundleReader& reader = **r;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep) {
        int i = (t * 7 + rep) % 16;
        auto got = reader.Lookup("t" + std::to_string(i));
        if (!got.ok() || got->num_elements() != 1000 + i || got->data<int32_t>()[999] != i) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace ckpt
