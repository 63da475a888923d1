// Every checkpoint written by real TensorFlow under ../shared/fixtures/tf reads exactly as its
// EXPECTED.json says, and re-writing each uncompressed table reproduces it byte for byte.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "ckpt/core/crc32c.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/checkpoint_reader.h"
#include "format/table/table.h"
#include "testutil/sha256.h"

namespace ckpt {
namespace {

using nlohmann::json;

std::string FixturesDir() { return std::string(CKPT_SOURCE_DIR) + "/../shared/fixtures/tf"; }

#define SKIP_WITHOUT_FIXTURES()                                        \
  if (!std::filesystem::is_directory(FixturesDir()))                   \
  GTEST_SKIP() << "TensorFlow fixtures not found at " << FixturesDir() \
               << " (they live beside the repository, in ../shared/fixtures/tf)"

std::vector<std::string> FixtureNames() {
  std::vector<std::string> names;
  if (!std::filesystem::is_directory(FixturesDir())) return names;
  for (const auto& d : std::filesystem::directory_iterator(FixturesDir())) {
    if (d.is_directory() && std::filesystem::exists(d.path() / "EXPECTED.json")) {
      names.push_back(d.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

json LoadExpected(const std::string& fixture) {
  std::ifstream in(FixturesDir() + "/" + fixture + "/EXPECTED.json");
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

std::string RawBytes(const Tensor& t) {
  return std::string(static_cast<const char*>(t.raw_data()), t.TotalBytes());
}

double ValueAt(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kFloat: return t.data<float>()[i];
    case DataType::kDouble: return t.data<double>()[i];
    case DataType::kInt32: return t.data<int32_t>()[i];
    case DataType::kInt64: return static_cast<double>(t.data<int64_t>()[i]);
    case DataType::kBool: return t.data<bool>()[i];
    default: return NAN;
  }
}

uint32_t ParseHex32(const std::string& s) {
  return static_cast<uint32_t>(std::stoul(s, nullptr, 16));
}

int CheckedBundles = 0;

void CheckBundle(const std::string& fixture, const std::string& index_name, const json& exp) {
  SCOPED_TRACE(fixture + "/" + index_name);
  const std::string prefix =
      FixturesDir() + "/" + fixture + "/" + index_name.substr(0, index_name.size() - 6);
  auto opened = BundleReader::Open(Env::Default(), prefix);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  const BundleReader& reader = **opened;
  EXPECT_EQ(reader.num_shards(), exp["header"]["num_shards"].get<int>());
  EXPECT_EQ(reader.big_endian(), exp["header"].value("endianness", 0) == 1);
  const json& entries = exp["entries"];
  ASSERT_EQ(reader.keys().size(), entries.size());
  for (const json& e : entries) {
    const std::string key = e["key"];
    SCOPED_TRACE(key);
    auto info = reader.GetEntry(key);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(static_cast<int>(info->dtype), e["dtype_enum"].get<int>());
    EXPECT_EQ(info->shape.dim_vector(), e["shape"].get<std::vector<int64_t>>());
    EXPECT_EQ(info->shard_id, e["shard_id"].get<int>());
    EXPECT_EQ(info->offset, e["offset"].get<int64_t>());
    EXPECT_EQ(info->size, e["size"].get<int64_t>());
    EXPECT_EQ(info->masked_crc32c, ParseHex32(e["crc32c_masked"]));
    EXPECT_EQ(crc32c::Unmask(info->masked_crc32c), ParseHex32(e["crc32c_unmasked"]));
    auto t = reader.Lookup(key);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->dtype(), info->dtype);
    EXPECT_EQ(t->shape(), info->shape);
    if (e.contains("raw_sha256")) {
      EXPECT_EQ(testutil::Sha256Hex(RawBytes(*t)), e["raw_sha256"].get<std::string>());
      const auto first = e["first_values"].get<std::vector<double>>();
      ASSERT_LE(first.size(), static_cast<size_t>(t->num_elements()));
      for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(ValueAt(*t, i), first[i]) << i;
      double sum = 0;
      for (int64_t i = 0; i < t->num_elements(); ++i) sum += ValueAt(*t, i);
      double want = e["sum"].get<double>();
      EXPECT_NEAR(sum, want, 1e-5 + 1e-5 * std::fabs(want));
    }
    if (e.contains("string_lengths")) {
      const auto lengths = e["string_lengths"].get<std::vector<uint64_t>>();
      const auto digests = e["string_sha256"].get<std::vector<std::string>>();
      ASSERT_EQ(static_cast<size_t>(t->num_elements()), lengths.size());
      for (size_t i = 0; i < lengths.size(); ++i) {
        EXPECT_EQ(t->strings()[i].size(), lengths[i]);
        EXPECT_EQ(testutil::Sha256Hex(t->strings()[i]), digests[i]);
      }
    }
  }
  EXPECT_TRUE(reader.VerifyAll().ok()) << reader.VerifyAll().ToString();
  // The same through the generic reader, with mmap views.
  auto ckpt = OpenCheckpoint(Env::Default(), prefix);
  ASSERT_TRUE(ckpt.ok()) << ckpt.status().ToString();
  EXPECT_EQ((*ckpt)->format(), "V2");
  EXPECT_EQ((*ckpt)->variables().size(), entries.size());
  BundleReaderOptions mm;
  mm.use_mmap = true;
  auto mapped = BundleReader::Open(Env::Default(), prefix, mm);
  ASSERT_TRUE(mapped.ok());
  for (const json& e : entries) {
    if (!e.contains("raw_sha256")) continue;
    auto v = (*mapped)->LookupView(e["key"].get<std::string>());
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(testutil::Sha256Hex(RawBytes(*v)), e["raw_sha256"].get<std::string>());
  }
  ++CheckedBundles;
}

TEST(FixturesTest, EveryBundleReadsAsExpected) {
  SKIP_WITHOUT_FIXTURES();
  int bundles = 0;
  for (const std::string& fixture : FixtureNames()) {
    json exp = LoadExpected(fixture);
    ASSERT_FALSE(exp.is_discarded()) << fixture;
    for (auto& [name, value] : exp.items()) {
      if (value.value("kind", "") == "tensor_bundle_v2_index") {
        CheckBundle(fixture, name, value);
        ++bundles;
      }
    }
  }
  EXPECT_EQ(bundles, 7);  // every V2 fixture, SavedModel variables included
  EXPECT_EQ(CheckedBundles, bundles);
}

// Re-adds every entry of a table through our TableBuilder and compares bytes.
void CheckRewrite(const std::string& path, bool expect_identical) {
  SCOPED_TRACE(path);
  auto file = Env::Default()->NewRandomAccessFile(path);
  ASSERT_TRUE(file.ok());
  auto reader = table::TableReader::Open(std::move(file).value());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto mem = NewMemEnv();
  auto out = mem->NewWritableFile("/t");
  ASSERT_TRUE(out.ok());
  auto builder = table::TableBuilder::Create(out->get());
  Status s = (*reader)->ForEach(
      [&](std::string_view k, std::string_view v) { return builder->Add(k, v); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(builder->Finish().ok());
  ASSERT_TRUE((*out)->Close().ok());
  auto original = Env::Default()->ReadFileToString(path);
  auto rewritten = mem->ReadFileToString("/t");
  ASSERT_TRUE(original.ok() && rewritten.ok());
  if (expect_identical) {
    EXPECT_EQ(*rewritten, *original);
  } else {
    EXPECT_NE(*rewritten, *original);  // TF's Snappy blocks; we never compress
  }
}

TEST(FixturesTest, RewritingTablesReproducesTensorFlowBytes) {
  SKIP_WITHOUT_FIXTURES();
  int identical = 0;
  for (const std::string& fixture : FixtureNames()) {
    json exp = LoadExpected(fixture);
    for (auto& [name, value] : exp.items()) {
      const std::string kind = value.value("kind", "");
      const std::string path = FixturesDir() + "/" + fixture + "/" + name;
      if (kind == "tensor_bundle_v2_index") {
        bool compressed = false;
        for (const json& b : value["data_blocks"]) compressed |= b["compression_type"] != 0;
        CheckRewrite(path, !compressed);
        identical += !compressed;
      } else if (kind == "V1 TensorSliceWriter table") {
        CheckRewrite(path, true);
        ++identical;
      }
    }
  }
  EXPECT_EQ(identical, 7);  // 5 uncompressed V2 indexes + 2 V1 files
}

TEST(FixturesTest, V1CheckpointsReadAsExpected) {
  SKIP_WITHOUT_FIXTURES();
  struct Case {
    std::string fixture, prefix, file;
  };
  for (const Case& c :
       {Case{"v1_sharded_session_bundle", "export-?????-of-00001", "export-00000-of-00001"},
        Case{"v1_plain_bad_half_plus_two", "export", "export"}}) {
    SCOPED_TRACE(c.fixture);
    json exp = LoadExpected(c.fixture)[c.file];
    auto reader = OpenCheckpoint(Env::Default(), FixturesDir() + "/" + c.fixture + "/" + c.prefix);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->format(), "V1");
    ASSERT_EQ((*reader)->variables().size(), exp["meta"].size());
    for (const json& rec : exp["records"]) {
      const std::string name = rec["name"];
      auto t = (*reader)->Lookup(name);
      ASSERT_TRUE(t.ok()) << t.status().ToString();
      const auto values = rec["data"]["float_val"].get<std::vector<double>>();
      ASSERT_EQ(t->dtype(), DataType::kFloat);
      ASSERT_EQ(static_cast<size_t>(t->num_elements()), values.size());
      for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(t->data<float>()[i], values[i]);
    }
    EXPECT_TRUE((*reader)->VerifyAll().ok());
    EXPECT_TRUE(IsNotFound((*reader)->Lookup("missing").status()));
  }
  EXPECT_TRUE(IsNotFound(OpenCheckpoint(Env::Default(), FixturesDir() + "/nothing/here").status()));
}

TEST(FixturesTest, StaleShardsAreIgnored) {
  SKIP_WITHOUT_FIXTURES();
  const std::string prefix = FixturesDir() + "/tf2_savedmodel_stale_shards/variables/variables";
  auto reader = BundleReader::Open(Env::Default(), prefix);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->num_shards(), 1);
  auto iter = (*reader)->Lookup("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE");
  ASSERT_TRUE(iter.ok()) << iter.status().ToString();
  EXPECT_EQ(iter->data<int64_t>()[0], 2605);
}

}  // namespace
}  // namespace ckpt
