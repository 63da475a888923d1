// Hostile input: corrupted, truncated and hand-crafted bundles must give a clear error (or,
// where the damage is harmless, the right value) and never crash or allocate wildly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "ckpt/core/crc32c.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/checkpoint_reader.h"
#include "format/bundle/coding.h"
#include "format/bundle/slice_key.h"
#include "format/table/table.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb.h"
#include "tensorflow/core/util/saved_tensor_slice.pb.h"
#include "testutil/byte_surgery.h"

namespace ckpt {
namespace {

using ::testing::HasSubstr;

// A small bundle with every kind of entry the reader handles.
std::map<std::string, Tensor> SampleTensors() {
  std::map<std::string, Tensor> m;
  m.emplace("a_float", Tensor::FromVector<float>({1.5f, -2, 3, 4, 5, 6}, {2, 3}));
  m.emplace("b_i64", Tensor::Scalar<int64_t>(1000));
  m.emplace("c_str", Tensor::FromStrings({"x", "", "hello"}, {3}));
  m.emplace("d_empty", Tensor(DataType::kDouble, TensorShape{0}));
  return m;
}

void WriteSample(Env* env, const std::string& prefix) {
  auto w = BundleWriter::Create(env, prefix);
  ASSERT_TRUE(w.ok());
  for (const auto& [k, t] : SampleTensors()) ASSERT_TRUE((*w)->Add(k, t).ok());
  // A partitioned tensor too.
  ASSERT_TRUE((*w)->AddSlice("e_part", {4}, *TensorSlice::Parse("0,2"),
                             Tensor::FromVector<int32_t>({1, 2}, {2}))
                  .ok());
  ASSERT_TRUE((*w)->AddSlice("e_part", {4}, *TensorSlice::Parse("2,2"),
                             Tensor::FromVector<int32_t>({3, 4}, {2}))
                  .ok());
  ASSERT_TRUE((*w)->Finish().ok());
}

// True when `got` holds the same stored bytes as `want` (dtype and shape may differ: a
// rewritten index can legitimately reinterpret checksummed bytes).
bool SameBytes(const Tensor& got, const Tensor& want) {
  if ((got.dtype() == DataType::kString) != (want.dtype() == DataType::kString)) return false;
  if (got.dtype() == DataType::kString) {
    if (got.num_elements() != want.num_elements()) return false;
    for (int64_t i = 0; i < got.num_elements(); ++i) {
      if (got.strings()[i] != want.strings()[i]) return false;
    }
    return true;
  }
  return got.TotalBytes() == want.TotalBytes() &&
         std::memcmp(got.raw_data(), want.raw_data(), got.TotalBytes()) == 0;
}

// Opens and reads everything; every read must fail cleanly or return the original value
// (with `bytes_only`, the original bytes). Returns the number of successful reads.
int ReadEverything(Env* env, const std::string& prefix, bool bytes_only = false) {
  auto expected = SampleTensors();
  expected.emplace("e_part", Tensor::FromVector<int32_t>({1, 2, 3, 4}, {4}));
  auto reader = BundleReader::Open(env, prefix);
  if (!reader.ok()) {
    EXPECT_FALSE(reader.status().message().empty());
    return 0;
  }
  int ok = 0;
  for (const auto& [k, t] : expected) {
    auto got = (*reader)->Lookup(k);
    if (got.ok()) {
      if (bytes_only) {
        EXPECT_TRUE(SameBytes(*got, t)) << k;
      } else {
        EXPECT_TRUE(got->Equals(t)) << k;
      }
      ++ok;
    } else {
      EXPECT_FALSE(got.status().message().empty());
    }
  }
  (*reader)->VerifyAll().IgnoreError();
  for (const std::string& k : (*reader)->keys()) (*reader)->Lookup(k).status().IgnoreError();
  return ok;
}

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteSample(env_.get(), "/h/m");
    index_ = testutil::ReadAll(env_.get(), "/h/m.index");
    data_ = testutil::ReadAll(env_.get(), "/h/m.data-00000-of-00001");
    ASSERT_FALSE(index_.empty());
    ASSERT_FALSE(data_.empty());
    ASSERT_EQ(ReadEverything(env_.get(), "/h/m"), 5);
  }
  void Restore() {
    testutil::WriteAll(env_.get(), "/h/m.index", index_);
    testutil::WriteAll(env_.get(), "/h/m.data-00000-of-00001", data_);
  }
  std::unique_ptr<Env> env_ = NewMemEnv();
  std::string index_, data_;
};

TEST_F(HostileTest, FlipEveryIndexByte) {
  for (size_t i = 0; i < index_.size(); ++i) {
    for (unsigned char mask : {0xff, 0x01, 0x80}) {
      Restore();
      testutil::FlipByte(env_.get(), "/h/m.index", i, mask);
      ReadEverything(env_.get(), "/h/m");
    }
  }
}

// Block layout of a single-data-block table: [start, end) of each block's contents (the type
// byte and CRC follow).
std::vector<std::pair<size_t, size_t>> BlockExtents(const std::string& table) {
  const char* footer = table.data() + table.size() - 48;
  std::string_view f(footer, 40);
  auto varint = [&](std::string_view* v) {
    uint64_t x = 0;
    for (int shift = 0; !v->empty(); shift += 7) {
      uint8_t b = static_cast<uint8_t>(v->front());
      v->remove_prefix(1);
      x |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) break;
    }
    return x;
  };
  uint64_t meta_off = varint(&f), meta_size = varint(&f);
  uint64_t index_off = varint(&f), index_size = varint(&f);
  return {{0, meta_off - 5}, {meta_off, meta_off + meta_size}, {index_off, index_off + index_size}};
}

TEST_F(HostileTest, FlipEveryIndexByteBehindValidChecksums) {
  // Checksums are recomputed after each flip, so the table and proto parsers see the damage.
  auto blocks = BlockExtents(index_);
  int opened = 0, failed = 0;
  for (size_t i = 0; i + 48 < index_.size(); ++i) {
    for (unsigned char mask : {0xff, 0x01, 0x80, 0x10}) {
      std::string bytes = index_;
      bytes[i] = static_cast<char>(bytes[i] ^ mask);
      for (auto [start, end] : blocks) {
        if (i >= start && i <= end) {  // contents or the type byte
          std::string crc;
          bundle::PutFixed32(&crc,
                             crc32c::Mask(crc32c::Value(bytes.data() + start, end - start + 1)));
          bytes.replace(end + 1, 4, crc);
        }
      }
      Restore();
      testutil::WriteAll(env_.get(), "/h/m.index", bytes);
      int ok = ReadEverything(env_.get(), "/h/m", /*bytes_only=*/true);
      (ok > 0 ? opened : failed)++;
    }
  }
  EXPECT_GT(opened, 0);
  EXPECT_GT(failed, 0);
}

TEST_F(HostileTest, FlipEveryDataByteIsDetected) {
  for (size_t i = 0; i < data_.size(); ++i) {
    Restore();
    testutil::FlipByte(env_.get(), "/h/m.data-00000-of-00001", i, 0x01);
    // Exactly one tensor covers byte i, and its checksum catches the flip.
    EXPECT_EQ(ReadEverything(env_.get(), "/h/m"), 4) << "byte " << i;
    auto r = BundleReader::Open(env_.get(), "/h/m");
    ASSERT_TRUE(r.ok());
    Status v = (*r)->VerifyAll();
    EXPECT_TRUE(IsDataLoss(v)) << i << " " << v.ToString();
    EXPECT_THAT(std::string(v.message()), HasSubstr("/h/m.data-00000-of-00001"));
  }
}

TEST_F(HostileTest, TruncateIndexAtEveryLength) {
  for (size_t n = 0; n < index_.size(); ++n) {
    Restore();
    testutil::Truncate(env_.get(), "/h/m.index", n);
    auto r = BundleReader::Open(env_.get(), "/h/m");
    EXPECT_FALSE(r.ok()) << n;
    EXPECT_TRUE(IsDataLoss(r.status())) << n << " " << r.status().ToString();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("/h/m.index"));
  }
}

TEST_F(HostileTest, TruncateDataAtEveryLength) {
  for (size_t n = 0; n < data_.size(); ++n) {
    Restore();
    testutil::Truncate(env_.get(), "/h/m.data-00000-of-00001", n);
    EXPECT_LT(ReadEverything(env_.get(), "/h/m"), 5) << n;
    auto r = BundleReader::Open(env_.get(), "/h/m");
    ASSERT_TRUE(r.ok());
    Status v = (*r)->VerifyAll();
    EXPECT_TRUE(IsDataLoss(v)) << n << " " << v.ToString();
  }
}

TEST_F(HostileTest, MissingFiles) {
  auto r = BundleReader::Open(env_.get(), "/nope/m");
  EXPECT_TRUE(IsNotFound(r.status())) << r.status().ToString();
  ASSERT_TRUE(env_->DeleteFile("/h/m.data-00000-of-00001").ok());
  auto r2 = BundleReader::Open(env_.get(), "/h/m");
  ASSERT_TRUE(r2.ok());
  Status s = (*r2)->Lookup("a_float").status();
  EXPECT_TRUE(IsNotFound(s)) << s.ToString();
  EXPECT_THAT(std::string(s.message()), HasSubstr("m.data-00000-of-00001"));
}

// ---- hand-crafted indexes -------------------------------------------------------------------

tensorflow::BundleHeaderProto Header(int num_shards = 1) {
  tensorflow::BundleHeaderProto h;
  h.set_num_shards(num_shards);
  h.mutable_version()->set_producer(1);
  return h;
}

tensorflow::BundleEntryProto Entry(int dtype, std::vector<int64_t> dims, int64_t offset,
                                   int64_t size, uint32_t crc = 0) {
  tensorflow::BundleEntryProto e;
  e.set_dtype(static_cast<tensorflow::DataType>(dtype));
  for (int64_t d : dims) e.mutable_shape()->add_dim()->set_size(d);
  e.set_offset(offset);
  e.set_size(size);
  e.set_crc32c(crc);
  return e;
}

class CraftedTest : public ::testing::Test {
 protected:
  // Writes /c/m.index with the given raw key/value pairs (header first if given) and a data
  // file holding `data`.
  void Write(const std::optional<tensorflow::BundleHeaderProto>& header,
             const std::vector<std::pair<std::string, std::string>>& entries,
             const std::string& data = std::string(64, '\0')) {
    auto file = env_->NewWritableFile("/c/m.index");
    ASSERT_TRUE(file.ok());
    auto builder = table::TableBuilder::Create(file->get());
    if (header) {
      ASSERT_TRUE(builder->Add("", header->SerializeAsString()).ok());
    }
    for (const auto& [k, v] : entries) ASSERT_TRUE(builder->Add(k, v).ok());
    ASSERT_TRUE(builder->Finish().ok());
    ASSERT_TRUE((*file)->Close().ok());
    ASSERT_TRUE(env_->WriteStringToFile("/c/m.data-00000-of-00001", data).ok());
  }
  void WriteEntry(const tensorflow::BundleEntryProto& e,
                  const std::string& data = std::string(64, '\0')) {
    Write(Header(), {{"k", e.SerializeAsString()}}, data);
  }
  // Status of opening and reading key "k".
  Status OpenAndRead() {
    auto r = BundleReader::Open(env_.get(), "/c/m");
    if (!r.ok()) return r.status();
    return (*r)->Lookup("k").status();
  }
  std::unique_ptr<Env> env_ = NewMemEnv();
};

void ExpectError(const Status& s, StatusCode code, const std::string& substr) {
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_THAT(std::string(s.message()), HasSubstr(substr));
}

TEST_F(CraftedTest, HugeSizeAndOffset) {
  WriteEntry(Entry(1, {}, 0, int64_t{1} << 60));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "invalid size");
  // Shape and size agree but the data file cannot hold them: no allocation is attempted.
  WriteEntry(Entry(1, {int64_t{1} << 58}, 0, int64_t{1} << 60));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "extends past the end");
  WriteEntry(Entry(1, {}, int64_t{1} << 62, 4));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "extends past the end");
  WriteEntry(Entry(1, {}, INT64_MAX - 1, 4));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "invalid extent");
  WriteEntry(Entry(1, {}, -4, 4));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "invalid extent");
  WriteEntry(Entry(1, {}, 62, 4));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "extends past the end");
}

TEST_F(CraftedTest, BadShapes) {
  WriteEntry(Entry(1, {2, -3}, 0, 4));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "negative dimension");
  WriteEntry(Entry(1, std::vector<int64_t>(1000, 1), 0, 4));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "rank 1000");
  WriteEntry(Entry(1, {int64_t{1} << 40, int64_t{1} << 40}, 0, 4));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "too many elements");
  auto e = Entry(1, {}, 0, 4);
  e.mutable_shape()->set_unknown_rank(true);
  WriteEntry(e);
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "unknown rank");
}

TEST_F(CraftedTest, BadDtypes) {
  WriteEntry(Entry(9999, {}, 0, 4));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "invalid dtype 9999");
  WriteEntry(Entry(0, {}, 0, 4));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "invalid dtype 0");
  WriteEntry(Entry(-5, {}, 0, 4));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "invalid dtype -5");
  WriteEntry(Entry(21, {}, 0, 4));  // DT_VARIANT: listed, but not decodable
  ExpectError(OpenAndRead(), StatusCode::kUnimplemented, "variant");
}

TEST_F(CraftedTest, StringLengths) {
  // One element claiming 2^63 bytes.
  std::string data;
  bundle::PutVarint64(&data, uint64_t{1} << 63);
  bundle::PutFixed32(&data, 0);
  data += "abc";
  WriteEntry(Entry(7, {}, 0, static_cast<int64_t>(data.size())), data);
  Status s = OpenAndRead();
  EXPECT_TRUE(IsDataLoss(s)) << s.ToString();
  // A varint that never ends.
  WriteEntry(Entry(7, {}, 0, 16), std::string(16, '\xff'));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "string lengths longer");
  // More elements than the entry has bytes.
  WriteEntry(Entry(7, {1000}, 0, 16), std::string(16, '\0'));
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "too small for 1000 strings");
  // Lengths add up past the entry, each one individually plausible.
  data.clear();
  bundle::PutVarint64(&data, 5);
  bundle::PutVarint64(&data, 5);
  uint32_t lengths[2] = {5, 5};
  bundle::PutFixed32(&data, crc32c::Mask(crc32c::Value(lengths, 8)));
  data += "abcdefg";
  WriteEntry(Entry(7, {2}, 0, static_cast<int64_t>(data.size())), data);
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "exceed the entry size");
  // A wrong length checksum.
  data.clear();
  bundle::PutVarint64(&data, 1);
  bundle::PutFixed32(&data, 12345);
  data += "z";
  WriteEntry(Entry(7, {}, 0, static_cast<int64_t>(data.size())), data);
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "length checksum");
}

TEST_F(CraftedTest, HeaderProblems) {
  Write(std::nullopt, {{"k", Entry(1, {}, 0, 4).SerializeAsString()}});
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "missing header");
  Write(std::nullopt, {});
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "missing header");
  auto future = Header();
  future.mutable_version()->set_min_consumer(2);
  Write(future, {});
  ExpectError(OpenAndRead(), StatusCode::kInvalidArgument, "requires consumer version >= 2");
  auto banned = Header();
  banned.mutable_version()->add_bad_consumers(1);
  Write(banned, {});
  ExpectError(OpenAndRead(), StatusCode::kInvalidArgument, "disallows consumer version 1");
  auto old = Header();
  old.mutable_version()->set_producer(-1);
  Write(old, {});
  ExpectError(OpenAndRead(), StatusCode::kInvalidArgument, "producer version -1");
  Write(Header(0), {});
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "invalid num_shards 0");
  auto endian = Header();
  endian.set_endianness(static_cast<tensorflow::BundleHeaderProto::Endianness>(7));
  Write(endian, {});
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "invalid endianness 7");
  {
    auto file = env_->NewWritableFile("/c/m.index");
    ASSERT_TRUE(file.ok());
    auto builder = table::TableBuilder::Create(file->get());
    ASSERT_TRUE(builder->Add("", "\xff\xff\xff").ok());
    ASSERT_TRUE(builder->Finish().ok());
    ASSERT_TRUE((*file)->Close().ok());
    ExpectError(OpenAndRead(), StatusCode::kDataLoss, "unable to parse header");
  }
  Write(Header(), {{"k", "\xff\xff\xff"}});
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "not parseable");
  auto e = Entry(1, {}, 0, 4);
  e.set_shard_id(3);
  WriteEntry(e);
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "shard id 3");
  ASSERT_TRUE(env_->WriteStringToFile("/c/m.index", "not a table at all").ok());
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "/c/m.index");
  ASSERT_TRUE(env_->WriteStringToFile("/c/m.index", std::string(100, '\0')).ok());
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "bad magic");
}

TEST_F(CraftedTest, BadPartitions) {
  auto full = Entry(1, {4}, 0, 0);
  full.clear_offset();
  full.clear_size();
  auto* sl = full.add_slices()->add_extent();
  sl->set_start(0);
  sl->set_length(2);
  // The slice entry is missing.
  WriteEntry(full);
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "missing or does not match");
  // Overlapping slices.
  auto overlap = full;
  auto* sl2 = overlap.add_slices()->add_extent();
  sl2->set_start(1);
  sl2->set_length(3);
  WriteEntry(overlap);
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "overlapping slices");
  // A slice outside the tensor.
  auto outside = Entry(1, {4}, 0, 0);
  auto* sl3 = outside.add_slices()->add_extent();
  sl3->set_start(3);
  sl3->set_length(5);
  WriteEntry(outside);
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "does not fit");
  // Slices present but not covering the tensor.
  std::string data(8, '\0');
  auto part = Entry(1, {2}, 0, 8, crc32c::Mask(crc32c::Value(data.data(), 8)));
  Write(Header(),
        {{bundle::EncodeTensorNameSlice("k", *TensorSlice::Parse("0,2")), part.SerializeAsString()},
         {"k", full.SerializeAsString()}},
        data);
  ExpectError(OpenAndRead(), StatusCode::kDataLoss, "sufficient slices");
}

TEST_F(CraftedTest, DuplicateKeys) {
  // Write keys "k" and "l", rename "l" to "k" in place and repair the block checksum.
  std::string v1 = Entry(1, {}, 0, 4).SerializeAsString();
  std::string v2 = Entry(1, {}, 4, 4).SerializeAsString();
  Write(Header(), {{"k", v1}, {"l", v2}}, std::string(8, '\0'));
  std::string index = testutil::ReadAll(env_.get(), "/c/m.index");
  std::string needle = std::string("\x00\x01", 2) + static_cast<char>(v2.size()) + "l";
  size_t pos = index.find(needle);
  ASSERT_NE(pos, std::string::npos);
  index[pos + 3] = 'k';
  // The data block is [0, metaindex offset - 5); its trailer follows.
  const char* footer = index.data() + index.size() - 48;
  uint64_t meta_offset = static_cast<unsigned char>(footer[0]);
  ASSERT_LT(meta_offset, 128u);  // one-byte varint
  size_t block = meta_offset - 5;
  uint32_t crc = crc32c::Mask(crc32c::Value(index.data(), block + 1));
  std::string fixed;
  bundle::PutFixed32(&fixed, crc);
  index.replace(block + 1, 4, fixed);
  testutil::WriteAll(env_.get(), "/c/m.index", index);
  auto r = BundleReader::Open(env_.get(), "/c/m");
  ExpectError(r.status(), StatusCode::kDataLoss, "out of order or duplicated");
}

TEST(V1HostileTest, CraftedV1Files) {
  auto env = NewMemEnv();
  auto write = [&](const tensorflow::SavedTensorSlices& meta,
                   const std::vector<std::pair<std::string, std::string>>& records) {
    auto file = env->NewWritableFile("/v1/ckpt");
    ASSERT_TRUE(file.ok());
    auto builder = table::TableBuilder::Create(file->get());
    ASSERT_TRUE(builder->Add("", meta.SerializeAsString()).ok());
    for (const auto& [k, v] : records) ASSERT_TRUE(builder->Add(k, v).ok());
    ASSERT_TRUE(builder->Finish().ok());
    ASSERT_TRUE((*file)->Close().ok());
  };
  tensorflow::SavedTensorSlices meta;
  meta.mutable_meta()->mutable_versions()->set_producer(1);
  auto* t = meta.mutable_meta()->add_tensor();
  t->set_name("w");
  t->set_type(tensorflow::DT_FLOAT);
  t->mutable_shape()->add_dim()->set_size(int64_t{1} << 40);
  t->add_slice()->add_extent();
  write(meta, {});
  auto r = OpenCheckpoint(env.get(), "/v1/ckpt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->format(), "V1");
  ExpectError((*r)->Lookup("w").status(), StatusCode::kDataLoss, "too little data");

  // The right number of bytes but the wrong number of values.
  t->mutable_shape()->mutable_dim(0)->set_size(3);
  tensorflow::SavedTensorSlices rec;
  rec.mutable_data()->set_name("w");
  rec.mutable_data()->mutable_slice()->add_extent();
  rec.mutable_data()->mutable_data()->add_float_val(1);
  rec.mutable_data()->mutable_data()->add_float_val(2);
  write(meta, {{bundle::EncodeTensorNameSlice("w", TensorSlice(1)), rec.SerializeAsString()}});
  r = OpenCheckpoint(env.get(), "/v1/ckpt");
  ASSERT_TRUE(r.ok());
  ExpectError((*r)->Lookup("w").status(), StatusCode::kDataLoss, "holds 2 values, expected 3");
  EXPECT_FALSE((*r)->VerifyAll().ok());
  rec.mutable_data()->mutable_data()->add_float_val(3);
  write(meta, {{bundle::EncodeTensorNameSlice("w", TensorSlice(1)), rec.SerializeAsString()}});
  r = OpenCheckpoint(env.get(), "/v1/ckpt");
  ASSERT_TRUE(r.ok());
  auto w = (*r)->Lookup("w");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->data<float>()[2], 3.0f);
  EXPECT_TRUE((*r)->VerifyAll().ok());

  meta.mutable_meta()->mutable_versions()->set_min_consumer(5);
  write(meta, {});
  ExpectError(OpenCheckpoint(env.get(), "/v1/ckpt").status(), StatusCode::kInvalidArgument,
              "requires consumer version >= 5");
  meta.mutable_meta()->mutable_versions()->set_min_consumer(0);
  t->set_type(static_cast<tensorflow::DataType>(9999));
  write(meta, {});
  ExpectError(OpenCheckpoint(env.get(), "/v1/ckpt").status(), StatusCode::kDataLoss,
              "unsupported dtype 9999");
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// A bool tensor whose bytes are not all 0 or 1, written with a matching CRC (a crafted file, not
// a corrupt one): every read path refuses it, naming the key, the file and the element.
TEST(HostileBools, BoolBytesOtherThanZeroOrOneAreRefused) {
  std::unique_ptr<Env> env = NewMemEnv();
  Tensor bools(DataType::kBool, TensorShape{4});
  const unsigned char raw[4] = {0, 1, 2, 1};
  std::memcpy(bools.raw_data(), raw, 4);
  auto w = BundleWriter::Create(env.get(), "/b/m");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add("flags", bools).ok());
  Tensor ok(DataType::kBool, TensorShape{2});
  ok.data<bool>()[0] = true;
  ASSERT_TRUE((*w)->Add("ok", ok).ok());
  ASSERT_TRUE((*w)->Finish().ok());

  for (bool mmap : {false, true}) {
    BundleReaderOptions o;
    o.use_mmap = mmap;
    auto r = BundleReader::Open(env.get(), "/b/m", o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto got = (*r)->Lookup("flags");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), StatusCode::kDataLoss);
    EXPECT_THAT(std::string(got.status().message()),
                HasSubstr("bool tensor flags in /b/m.data-00000-of-00001: element 2 is byte 2, "
                          "expected 0 or 1"));
    auto fine = (*r)->Lookup("ok");
    ASSERT_TRUE(fine.ok()) << fine.status().ToString();
    EXPECT_TRUE(fine->data<bool>()[0]);
    if (mmap) {
      auto view = (*r)->LookupView("flags");
      ASSERT_FALSE(view.ok());
      EXPECT_EQ(view.status().code(), StatusCode::kDataLoss);
    }
  }
}

}  // namespace
}  // namespace ckpt
