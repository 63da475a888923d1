// Round trips through BundleWriter/BundleReader on an in-memory Env, byte-level checks of
// what the writer emits, partitioned tensors, merging, big-endian bundles and mmap views.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstring>

#include "ckpt/core/crc32c.h"
#include "ckpt/format/bundle.h"
#include "format/bundle/slice_key.h"
#include "format/bundle/slice_math.h"
#include "format/table/table.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb.h"
#include "testutil/byte_surgery.h"
#include "testutil/temp_dir.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class BundleTest : public ::testing::Test {
 protected:
  std::unique_ptr<Env> env_ = NewMemEnv();
  Env* env() { return env_.get(); }

  std::unique_ptr<BundleReader> Open(const std::string& prefix, BundleReaderOptions o = {}) {
    auto r = BundleReader::Open(env(), prefix, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }
};

template <typename T>
Tensor Iota(const TensorShape& shape, T start = T(1)) {
  Tensor t(DataTypeOf<T>::value, shape);
  T* p = t.data<T>();
  for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = static_cast<T>(start + static_cast<T>(i));
  return t;
}

TEST_F(BundleTest, FileNames) {
  EXPECT_EQ(BundleIndexFilename("/a/m"), "/a/m.index");
  EXPECT_EQ(BundleDataFilename("/a/m", 0, 1), "/a/m.data-00000-of-00001");
  EXPECT_EQ(BundleDataFilename("p", 3, 12), "p.data-00003-of-00012");
  EXPECT_EQ(BundleDataFilename("p", 1, 123456), "p.data-00001-of-123456");
}

TEST_F(BundleTest, WritesTheSameBytesAsTensorFlow) {
  // tf1_saver_v2_regression: two float scalars W=0.21396178, b=1.0495254 (spec §2.10).
  const uint8_t w_bytes[] = {0xcc, 0x18, 0x5b, 0x3e};
  const uint8_t b_bytes[] = {0xd9, 0x56, 0x86, 0x3f};
  float w, b;
  std::memcpy(&w, w_bytes, 4);
  std::memcpy(&b, b_bytes, 4);
  auto writer = BundleWriter::Create(env(), "/ckpt/model");
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->Add("W", Tensor::Scalar(w)).ok());
  ASSERT_TRUE((*writer)->Add("b", Tensor::Scalar(b)).ok());
  ASSERT_TRUE((*writer)->Finish().ok());

  std::string data = testutil::ReadAll(env(), "/ckpt/model.data-00000-of-00001");
  EXPECT_EQ(data, std::string("\xcc\x18\x5b\x3e\xd9\x56\x86\x3f", 8));
  const char kIndex[] =
      "\x00\x00\x06\x08\x01\x1a\x02\x08\x01"
      "\x00\x01\x0b\x57\x08\x01\x12\x00\x28\x04\x35\x74\xed\x71\x6f"
      "\x00\x01\x0d\x62\x08\x01\x12\x00\x20\x04\x28\x04\x35\xf4\xbd\x50\x83"
      "\x00\x00\x00\x00\x01\x00\x00\x00"
      "\x00\xbc\x6c\x4d\x28"
      "\x00\x00\x00\x00\x01\x00\x00\x00"
      "\x00\xc0\xf2\xa1\xb0"
      "\x00\x01\x02\x63\x00\x31"
      "\x00\x00\x00\x00\x01\x00\x00\x00"
      "\x00\x54\xf2\x76\x2d"
      "\x36\x08\x43\x0e\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
      "\x57\xfb\x80\x8b\x24\x75\x47\xdb";
  EXPECT_EQ(testutil::ReadAll(env(), "/ckpt/model.index"), std::string(kIndex, sizeof(kIndex) - 1));
  // No temporary files are left.
  auto children = env()->GetChildren("/ckpt");
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(children->size(), 2u);
}

TEST_F(BundleTest, RoundTripsEveryPodDtype) {
  auto writer = BundleWriter::Create(env(), "/d/all");
  ASSERT_TRUE(writer.ok());
  std::vector<std::pair<std::string, Tensor>> saved;
  for (int v = 1; v < kNumDataTypes; ++v) {
    DataType dt = static_cast<DataType>(v);
    if (!DataTypeIsPod(dt)) continue;
    Tensor t(dt, TensorShape{3, 5});
    auto* p = static_cast<uint8_t*>(t.raw_data());
    for (size_t i = 0; i < t.TotalBytes(); ++i) p[i] = static_cast<uint8_t>(i * 7 + v);
    if (dt == DataType::kBool) {
      for (size_t i = 0; i < t.TotalBytes(); ++i) p[i] &= 1;
    }
    std::string key = "t_" + std::string(DataTypeName(dt));
    ASSERT_TRUE((*writer)->Add(key, t).ok()) << key;
    saved.emplace_back(key, t);
  }
  ASSERT_TRUE((*writer)->Finish().ok());
  auto reader = Open("/d/all");
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->keys().size(), saved.size());
  for (const auto& [key, t] : saved) {
    auto got = reader->Lookup(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status().ToString();
    EXPECT_TRUE(got->Equals(t)) << key;
    auto info = reader->GetEntry(key);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->size, static_cast<int64_t>(t.TotalBytes()));
    EXPECT_EQ(crc32c::Unmask(info->masked_crc32c), crc32c::Value(t.raw_data(), t.TotalBytes()));
  }
  EXPECT_TRUE(reader->VerifyAll().ok());
}

TEST_F(BundleTest, ScalarsEmptyTensorsAndStrings) {
  auto writer = BundleWriter::Create(env(), "/s/m");
  ASSERT_TRUE(writer.ok());
  Tensor empty(DataType::kFloat, TensorShape{0, 4});
  Tensor strs = Tensor::FromStrings({"abc", "", std::string("\0\xff", 2), std::string(300, 'x')},
                                    TensorShape{2, 2});
  Tensor no_strs = Tensor::FromStrings({}, TensorShape{0});
  ASSERT_TRUE((*writer)->Add("abc", Tensor::StringScalar("abc")).ok());
  ASSERT_TRUE((*writer)->Add("empty", empty).ok());
  ASSERT_TRUE((*writer)->Add("i64", Tensor::Scalar<int64_t>(1000)).ok());
  ASSERT_TRUE((*writer)->Add("no_strs", no_strs).ok());
  ASSERT_TRUE((*writer)->Add("strs", strs).ok());
  ASSERT_TRUE((*writer)->Finish().ok());

  // The scalar "abc": 03 | masked length crc | 61 62 63, entry crc 0x199ad1c3 (spec §3.5).
  std::string data = testutil::ReadAll(env(), "/s/m.data-00000-of-00001");
  EXPECT_EQ(data.substr(0, 8), std::string("\x03\x63\x3f\x7f\x28\x61\x62\x63", 8));
  auto reader = Open("/s/m");
  ASSERT_TRUE(reader);
  auto abc = reader->GetEntry("abc");
  ASSERT_TRUE(abc.ok());
  EXPECT_EQ(abc->masked_crc32c, 0x199ad1c3u);
  EXPECT_EQ(abc->size, 8);
  auto e = reader->GetEntry("empty");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->size, 0);
  EXPECT_EQ(e->offset, 8);
  EXPECT_EQ(e->masked_crc32c, 0xa282ead8u);
  auto ns = reader->GetEntry("no_strs");
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns->size, 4);
  EXPECT_EQ(data.substr(ns->offset, 4), std::string("\xd8\xea\x82\xa2", 4));
  auto i64 = reader->GetEntry("i64");
  ASSERT_TRUE(i64.ok());
  EXPECT_EQ(i64->masked_crc32c, 0x9a119507u);

  for (const char* key : {"abc", "empty", "i64", "no_strs", "strs"}) {
    auto t = reader->Lookup(key);
    ASSERT_TRUE(t.ok()) << key << " " << t.status().ToString();
  }
  EXPECT_TRUE(reader->Lookup("strs")->Equals(strs));
  EXPECT_TRUE(reader->Lookup("empty")->Equals(empty));
  EXPECT_EQ(reader->Lookup("abc")->strings()[0], "abc");
  EXPECT_EQ(reader->Lookup("i64")->data<int64_t>()[0], 1000);
  EXPECT_EQ(reader->Lookup("no_strs")->num_elements(), 0);
  EXPECT_TRUE(reader->VerifyAll().ok());
}

TEST_F(BundleTest, WriterErrorsAreStickyAndFinishCloses) {
  auto writer = BundleWriter::Create(env(), "/e/m");
  ASSERT_TRUE(writer.ok());
  BundleWriter& w = **writer;
  ASSERT_TRUE(w.Add("a", Tensor::Scalar(1.0f)).ok());
  Status dup = w.Add("a", Tensor::Scalar(2.0f));
  EXPECT_TRUE(IsInvalidArgument(dup));
  EXPECT_THAT(std::string(dup.message()), HasSubstr("duplicate key"));
  EXPECT_FALSE(w.Add("b", Tensor::Scalar(2.0f)).ok());  // sticky
  Status finished = w.Finish();
  EXPECT_EQ(finished, w.status());
  EXPECT_TRUE(IsInvalidArgument(finished));
  EXPECT_THAT(std::string(finished.message()), HasSubstr("duplicate key"));
  EXPECT_EQ(w.Finish().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(env()->FileExists("/e/m.index"));
  auto children = env()->GetChildren("/e");
  ASSERT_TRUE(children.ok());
  EXPECT_TRUE(children->empty()) << (*children)[0];

  auto w2 = BundleWriter::Create(env(), "/e/m2");
  ASSERT_TRUE(w2.ok());
  EXPECT_TRUE(IsInvalidArgument((*w2)->Add("", Tensor::Scalar(1.0f))));
  auto w3 = BundleWriter::Create(env(), "/e/m3");
  ASSERT_TRUE(w3.ok());
  EXPECT_TRUE(IsInvalidArgument((*w3)->Add("x", Tensor())));
  auto w4 = BundleWriter::Create(env(), "/e/m4");
  ASSERT_TRUE(w4.ok());
  ASSERT_TRUE((*w4)->Finish().ok());
  EXPECT_EQ((*w4)->Add("late", Tensor::Scalar(1.0f)).code(), StatusCode::kFailedPrecondition);
  auto empty_reader = Open("/e/m4");
  ASSERT_TRUE(empty_reader);
  EXPECT_TRUE(empty_reader->keys().empty());
}

TEST_F(BundleTest, DestroyingAnUnfinishedWriterRemovesTemporaries) {
  {
    auto writer = BundleWriter::Create(env(), "/u/m");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Add("a", Tensor::Scalar(1.0f)).ok());
  }
  auto children = env()->GetChildren("/u");
  ASSERT_TRUE(children.ok());
  EXPECT_TRUE(children->empty());
}

TEST_F(BundleTest, DataAlignmentPadsButReadsTheSame) {
  BundleWriterOptions o;
  o.data_alignment = 16;
  auto writer = BundleWriter::Create(env(), "/al/m", o);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Add("a", Iota<int8_t>({3})).ok());
  ASSERT_TRUE((*writer)->Add("b", Iota<double>({2})).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  auto reader = Open("/al/m");
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->GetEntry("b")->offset, 16);
  EXPECT_TRUE(reader->Lookup("b")->Equals(Iota<double>({2})));
}

TEST_F(BundleTest, LookupIntoCallerBufferAndMismatches) {
  auto writer = BundleWriter::Create(env(), "/li/m");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Add("w", Iota<float>({4, 3})).ok());
  ASSERT_TRUE((*writer)->Finish().ok());
  auto reader = Open("/li/m");
  ASSERT_TRUE(reader);
  std::vector<float> buf(12, -1);
  auto t = Tensor::Borrow(DataType::kFloat, TensorShape{4, 3}, buf.data(), 48);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(reader->LookupInto("w", &*t).ok());
  EXPECT_EQ(buf[0], 1.0f);
  EXPECT_EQ(buf[11], 12.0f);
  Tensor wrong_shape(DataType::kFloat, TensorShape{3, 4});
  Status s = reader->LookupInto("w", &wrong_shape);
  EXPECT_TRUE(IsInvalidArgument(s));
  EXPECT_THAT(std::string(s.message()), HasSubstr("[4,3]"));
  Tensor wrong_dtype(DataType::kDouble, TensorShape{4, 3});
  EXPECT_TRUE(IsInvalidArgument(reader->LookupInto("w", &wrong_dtype)));
  Status nf = reader->Lookup("nope").status();
  EXPECT_TRUE(IsNotFound(nf));
  EXPECT_THAT(std::string(nf.message()), HasSubstr("key nope not found in checkpoint /li/m"));
}

TEST_F(BundleTest, PartitionedTensors) {
  auto writer = BundleWriter::Create(env(), "/p/m");
  ASSERT_TRUE(writer.ok());
  Tensor full = Iota<float>({10, 4});
  // Rows 0..4 and 5..9, as Python's "10 4 0,5:0,4" and "10 4 5,5:0,4".
  auto top = TensorSlice::Parse("0,5:0,4");
  auto bottom = TensorSlice::Parse("5,5:-");
  ASSERT_TRUE(top.ok() && bottom.ok());
  Tensor top_t = Iota<float>({5, 4}, 1.0f);
  Tensor bottom_t = Iota<float>({5, 4}, 21.0f);
  ASSERT_TRUE((*writer)->AddSlice("w", {10, 4}, *top, top_t).ok());
  ASSERT_TRUE((*writer)->AddSlice("w", {10, 4}, *bottom, bottom_t).ok());
  // Overlap and shape errors.
  EXPECT_TRUE(IsInvalidArgument((*writer)->AddSlice("w2", {10, 4}, *top, Iota<float>({4, 4}))));
  ASSERT_TRUE((*writer)->Finish().ok() == false);  // the error above is sticky

  writer = BundleWriter::Create(env(), "/p/m");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->AddSlice("w", {10, 4}, *top, top_t).ok());
  EXPECT_TRUE(IsInvalidArgument(
      (*writer)->AddSlice("w", {10, 4}, *TensorSlice::Parse("4,2:-"), Iota<float>({2, 4}))));
  writer = BundleWriter::Create(env(), "/p/m");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->AddSlice("w", {10, 4}, *top, top_t).ok());
  ASSERT_TRUE((*writer)->AddSlice("w", {10, 4}, *bottom, bottom_t).ok());
  // A slice covering everything is a plain entry.
  ASSERT_TRUE((*writer)->AddSlice("v", {2}, *TensorSlice::Parse("0,2"), Iota<int32_t>({2})).ok());
  ASSERT_TRUE((*writer)->Finish().ok());

  auto reader = Open("/p/m");
  ASSERT_TRUE(reader);
  EXPECT_THAT(reader->keys(), ElementsAre("v", "w"));
  std::string key = bundle::EncodeTensorNameSlice("w", *top);
  EXPECT_EQ(key, std::string("\x00\x77\x00\x01\x01\x02\x80\x85\x80\x84", 10));
  EXPECT_TRUE(reader->Contains(key));
  auto info = reader->GetEntry("w");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->slices.size(), 2u);
  EXPECT_EQ(info->shape, (TensorShape{10, 4}));
  auto got = reader->Lookup("w");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->Equals(full));
  auto part = reader->LookupSlice("w", *TensorSlice::Parse("3,4:1,2"));
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  EXPECT_THAT(std::vector<float>(part->flat<float>().begin(), part->flat<float>().end()),
              ElementsAre(14, 15, 18, 19, 22, 23, 26, 27));
  auto plain = reader->LookupSlice("v", *TensorSlice::Parse("1,1"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->data<int32_t>()[0], 2);
  EXPECT_TRUE(IsInvalidArgument(reader->LookupSlice("w", *TensorSlice::Parse("8,5:-")).status()));
  EXPECT_TRUE(reader->VerifyAll().ok());
}

// LookupSliceInto reads stored slices that form one block of the target in place and copies
// the others; every mix gives the values of the same region of the full tensor.
TEST_F(BundleTest, LookupSliceIntoMixesInPlaceAndCopiedSlices) {
  // w: 12 x 3 x 2 floats, value = flat index, stored as 4 row blocks of 3; c: 4 x 6 stored as
  // 2 column blocks (never contiguous in a row slice).
  Tensor w = Iota<float>({12, 3, 2}, 0.0f);
  Tensor c = Iota<float>({4, 6}, 0.0f);
  {
    auto writer = BundleWriter::Create(env(), "/sl/m");
    ASSERT_TRUE(writer.ok());
    for (int b = 0; b < 4; ++b) {
      TensorSlice rows({{3 * b, 3}, {0, TensorSlice::kFullExtent}, {0, TensorSlice::kFullExtent}});
      Tensor part(DataType::kFloat, TensorShape{3, 3, 2});
      for (int i = 0; i < 18; ++i) part.data<float>()[i] = w.data<float>()[18 * b + i];
      ASSERT_TRUE((*writer)->AddSlice("w", {12, 3, 2}, rows, part).ok());
    }
    for (int b = 0; b < 2; ++b) {
      TensorSlice cols({{0, TensorSlice::kFullExtent}, {3 * b, 3}});
      Tensor part(DataType::kFloat, TensorShape{4, 3});
      for (int r = 0; r < 4; ++r)
        for (int k = 0; k < 3; ++k)
          part.data<float>()[3 * r + k] = c.data<float>()[6 * r + 3 * b + k];
      ASSERT_TRUE((*writer)->AddSlice("c", {4, 6}, cols, part).ok());
    }
    ASSERT_TRUE((*writer)->Finish().ok());
  }
  auto reader = BundleReader::Open(env(), "/sl/m");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto expect_region = [&](const char* key, const Tensor& full, const char* spec) {
    auto slice = TensorSlice::Parse(spec);
    ASSERT_TRUE(slice.ok());
    TensorShape shape = slice->SliceShape(full.shape()).value();
    std::vector<float> buf(static_cast<size_t>(shape.num_elements()), -1.f);
    Tensor out =
        Tensor::Borrow(DataType::kFloat, shape, buf.data(), buf.size() * sizeof(float)).value();
    ASSERT_TRUE((*reader)->LookupSliceInto(key, *slice, &out).ok()) << spec;
    Tensor want = (*reader)->LookupSlice(key, *slice).value();
    // The expected values straight from the full tensor.
    const auto& fs = full.shape();
    std::vector<int64_t> idx(fs.rank(), 0);
    for (int64_t k = 0; k < shape.num_elements(); ++k) {
      int64_t flat = 0;
      for (int d = 0; d < fs.rank(); ++d)
        flat = flat * fs.dim(d) + (slice->IsFullAt(d) ? 0 : slice->extent(d).start) + idx[d];
      ASSERT_EQ(buf[k], full.data<float>()[flat]) << key << " " << spec << " element " << k;
      ASSERT_EQ(want.data<float>()[k], buf[k]) << key << " " << spec << " element " << k;
      for (int d = fs.rank() - 1; d >= 0; --d) {
        if (++idx[d] < shape.dim(d)) break;
        idx[d] = 0;
      }
    }
  };
  expect_region("w", w, "3,3:-:-");      // exactly one stored slice
  expect_region("w", w, "3,6:-:-");      // two, each in place
  expect_region("w", w, "2,8:-:-");      // two partial (copied) around two in place
  expect_region("w", w, "0,12:1,2:-");   // column part: every slice copied
  expect_region("w", w, "4,1:2,1:1,1");  // one element
  expect_region("c", c, "1,2:-");        // column blocks: copied
  expect_region("c", c, "-:3,3");        // one stored column block
  Tensor wrong(DataType::kFloat, TensorShape{2, 3, 2});
  Status s = (*reader)->LookupSliceInto("w", *TensorSlice::Parse("3,3:-:-"), &wrong);
  EXPECT_TRUE(IsInvalidArgument(s));
  EXPECT_THAT(std::string(s.message()), HasSubstr("key w"));
}

TEST_F(BundleTest, SliceKeysAndOrderedCode) {
  EXPECT_EQ(bundle::EncodeTensorNameSlice("a", TensorSlice()),
            std::string("\x00\x61\x00\x01\x00", 5));
  auto s = TensorSlice::Parse("0,5:-");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(bundle::EncodeTensorNameSlice("w", *s),
            std::string("\x00\x77\x00\x01\x01\x02\x80\x85\x80\x7f", 10));
  for (int64_t v :
       {int64_t{0}, int64_t{5}, int64_t{-1}, int64_t{-64}, int64_t{63}, int64_t{64}, int64_t{100},
        int64_t{-100}, int64_t{8191}, int64_t{8192}, int64_t{1} << 40, -(int64_t{1} << 40),
        (int64_t{1} << 62) - 1, int64_t{1} << 62, INT64_MAX, INT64_MIN}) {
    std::string enc;
    bundle::ordered_code::WriteSignedNumIncreasing(&enc, v);
    std::string_view view = enc;
    int64_t back = 0;
    ASSERT_TRUE(bundle::ordered_code::ReadSignedNumIncreasing(&view, &back)) << v;
    EXPECT_EQ(back, v);
    EXPECT_TRUE(view.empty());
  }
  std::string enc;
  bundle::ordered_code::WriteSignedNumIncreasing(&enc, 100);
  EXPECT_EQ(enc, "\xc0\x64");
  // Order is preserved.
  std::string a, b;
  bundle::ordered_code::WriteSignedNumIncreasing(&a, -1000);
  bundle::ordered_code::WriteSignedNumIncreasing(&b, 3);
  EXPECT_LT(a, b);
  std::string name;
  TensorSlice back;
  std::string key =
      bundle::EncodeTensorNameSlice(std::string("x\0y\xff", 4), *TensorSlice::Parse("2,3:-:0,1"));
  ASSERT_TRUE(bundle::DecodeTensorNameSlice(key, &name, &back).ok());
  EXPECT_EQ(name, std::string("x\0y\xff", 4));
  EXPECT_EQ(back.ToString(), "2,3:-:0,1");
  EXPECT_FALSE(bundle::DecodeTensorNameSlice("plain", &name, &back).ok());
  EXPECT_FALSE(bundle::DecodeTensorNameSlice(key.substr(0, key.size() - 1), &name, &back).ok());
}

TEST_F(BundleTest, TensorSliceParsing) {
  auto s = TensorSlice::Parse("0,5:-");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rank(), 2);
  EXPECT_FALSE(s->IsFull());
  EXPECT_EQ(s->ToString(), "0,5:-");
  EXPECT_EQ(*s->SliceShape({10, 4}), (TensorShape{5, 4}));
  EXPECT_FALSE(s->SliceShape({4, 4}).ok());
  EXPECT_FALSE(s->SliceShape({10}).ok());
  EXPECT_TRUE(TensorSlice::Parse("-:-")->IsFull());
  EXPECT_TRUE(TensorSlice::Parse("0,10:0,4")->CoversAll({10, 4}));
  EXPECT_FALSE(TensorSlice::Parse("0,5:0,4")->CoversAll({10, 4}));
  EXPECT_FALSE(TensorSlice::Parse("a,b").ok());
  EXPECT_FALSE(TensorSlice::Parse("-1,2").ok());
  EXPECT_FALSE(TensorSlice::Parse("1").ok());
  TensorSlice r;
  EXPECT_TRUE(TensorSlice::Parse("0,5:1,2")->Intersect(*TensorSlice::Parse("3,4:-"), &r));
  EXPECT_EQ(r.ToString(), "3,2:1,2");
  EXPECT_FALSE(TensorSlice::Parse("0,5")->Intersect(*TensorSlice::Parse("5,1"), &r));
  EXPECT_EQ(TensorSlice().ToString(), "");
}

TEST_F(BundleTest, MergeBundles) {
  for (int i = 0; i < 3; ++i) {
    auto w = BundleWriter::Create(env(), "/m/tmp/part-" + std::to_string(i));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Add("k" + std::to_string(i), Tensor::Scalar<int32_t>(i * 10)).ok());
    if (i < 2) {
      auto sl = TensorSlice::Parse(std::to_string(i) + ",1");
      ASSERT_TRUE(
          (*w)->AddSlice("part", {2}, *sl, Tensor::FromVector<float>({i + 0.5f}, {1})).ok());
    }
    ASSERT_TRUE((*w)->Finish().ok());
  }
  std::vector<std::string> inputs = {"/m/tmp/part-0", "/m/tmp/missing", "/m/tmp/part-1",
                                     "/m/tmp/part-2"};
  EXPECT_FALSE(MergeBundles(env(), inputs, "/m/merged").ok());
  ASSERT_TRUE(MergeBundles(env(), inputs, "/m/merged", /*allow_missing_files=*/true).ok());
  auto reader = Open("/m/merged");
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->num_shards(), 3);
  EXPECT_THAT(reader->keys(), ElementsAre("k0", "k1", "k2", "part"));
  EXPECT_EQ(reader->GetEntry("k2")->shard_id, 2);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(reader->Lookup("k" + std::to_string(i))->data<int32_t>()[0], i * 10);
    EXPECT_TRUE(env()->FileExists(BundleDataFilename("/m/merged", i, 3)));
    EXPECT_FALSE(env()->FileExists("/m/tmp/part-" + std::to_string(i) + ".index"));
  }
  auto part = reader->Lookup("part");
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  EXPECT_THAT(std::vector<float>(part->flat<float>().begin(), part->flat<float>().end()),
              ElementsAre(0.5f, 1.5f));
  EXPECT_TRUE(reader->VerifyAll().ok());

  // Conflicting keys.
  for (int i = 0; i < 2; ++i) {
    auto w = BundleWriter::Create(env(), "/c/p" + std::to_string(i));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Add("same", Tensor::Scalar(1.0f)).ok());
    ASSERT_TRUE((*w)->Finish().ok());
  }
  std::vector<std::string> dup = {"/c/p0", "/c/p1"};
  EXPECT_TRUE(IsInvalidArgument(MergeBundles(env(), dup, "/c/merged")));
  EXPECT_FALSE(env()->FileExists("/c/merged.index"));
  std::vector<std::string> none = {"/nothing"};
  EXPECT_FALSE(MergeBundles(env(), none, "/c/x", true).ok());
}

// Writes an index by hand (for headers and entries the writer never produces).
void WriteIndex(Env* env, const std::string& prefix, const tensorflow::BundleHeaderProto* header,
                const std::vector<std::pair<std::string, std::string>>& entries) {
  auto file = env->NewWritableFile(BundleIndexFilename(prefix));
  ASSERT_TRUE(file.ok());
  auto builder = table::TableBuilder::Create(file->get());
  if (header) {
    ASSERT_TRUE(builder->Add("", header->SerializeAsString()).ok());
  }
  for (const auto& [k, v] : entries) ASSERT_TRUE(builder->Add(k, v).ok());
  ASSERT_TRUE(builder->Finish().ok());
  ASSERT_TRUE((*file)->Close().ok());
}

TEST_F(BundleTest, ReadsBigEndianBundles) {
  // A big-endian writer's bytes: int32 {1, 2}, float 1.5, a string scalar "hey".
  std::string data;
  const char i32[] = {0, 0, 0, 1, 0, 0, 0, 2};
  data.append(i32, 8);
  float f = 1.5f;
  uint32_t fb;
  std::memcpy(&fb, &f, 4);
  fb = __builtin_bswap32(fb);
  data.append(reinterpret_cast<const char*>(&fb), 4);
  // String: varint 3, masked crc of the big-endian uint32 length, bytes.
  std::string str;
  str.push_back(3);
  const char len_be[] = {0, 0, 0, 3};
  uint32_t length_crc = crc32c::Value(len_be, 4);
  uint32_t masked_be = __builtin_bswap32(crc32c::Mask(length_crc));
  str.append(reinterpret_cast<const char*>(&masked_be), 4);
  str += "hey";
  uint32_t str_crc = crc32c::Extend(length_crc, str.data() + 1, 4);
  str_crc = crc32c::Extend(str_crc, "hey", 3);
  data += str;
  ASSERT_TRUE(env()->WriteStringToFile("/be/m.data-00000-of-00001", data).ok());

  tensorflow::BundleHeaderProto header;
  header.set_num_shards(1);
  header.set_endianness(tensorflow::BundleHeaderProto::BIG);
  header.mutable_version()->set_producer(1);
  auto entry = [](DataType dt, std::vector<int64_t> dims, int64_t off, int64_t size, uint32_t crc) {
    tensorflow::BundleEntryProto e;
    e.set_dtype(static_cast<tensorflow::DataType>(dt));
    for (int64_t d : dims) e.mutable_shape()->add_dim()->set_size(d);
    e.set_offset(off);
    e.set_size(size);
    e.set_crc32c(crc32c::Mask(crc));
    return e.SerializeAsString();
  };
  WriteIndex(env(), "/be/m", &header,
             {{"f", entry(DataType::kFloat, {}, 8, 4, crc32c::Value(data.data() + 8, 4))},
              {"i", entry(DataType::kInt32, {2}, 0, 8, crc32c::Value(data.data(), 8))},
              {"s", entry(DataType::kString, {}, 12, 8, str_crc)}});
  auto reader = Open("/be/m");
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->big_endian());
  auto i = reader->Lookup("i");
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(i->data<int32_t>()[0], 1);
  EXPECT_EQ(i->data<int32_t>()[1], 2);
  EXPECT_EQ(reader->Lookup("f")->data<float>()[0], 1.5f);
  auto s = reader->Lookup("s");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->strings()[0], "hey");
  EXPECT_TRUE(reader->VerifyAll().ok());
}

TEST_F(BundleTest, MmapViewsAreZeroCopy) {
  // MemEnv may or may not map; the POSIX Env does. Use a real temp dir.
  Env* posix = Env::Default();
  testutil::TempDir tmp("view_test");
  const std::string dir = tmp.path();
  ASSERT_FALSE(dir.empty());
  std::string prefix = dir + "/m";
  auto w = BundleWriter::Create(posix, prefix);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add("a", Iota<float>({64, 64})).ok());
  ASSERT_TRUE((*w)->Add("s", Tensor::StringScalar("x")).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  BundleReaderOptions o;
  o.use_mmap = true;
  auto r = BundleReader::Open(posix, prefix, o);
  ASSERT_TRUE(r.ok());
  auto v = (*r)->LookupView("a");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->is_borrowed());
  EXPECT_TRUE(v->Equals(Iota<float>({64, 64})));
  EXPECT_EQ((*r)->LookupView("s").status().code(), StatusCode::kFailedPrecondition);
  auto plain = BundleReader::Open(posix, prefix);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->LookupView("a").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*r)->Lookup("a")->Equals(Iota<float>({64, 64})));
  r->reset();
  // A corrupted mapping is caught by the one-time checksum.
  auto data = posix->ReadFileToString(prefix + ".data-00000-of-00001");
  ASSERT_TRUE(data.ok());
  (*data)[100] ^= 0x10;
  ASSERT_TRUE(posix->WriteStringToFile(prefix + ".data-00000-of-00001", *data).ok());
  auto bad = BundleReader::Open(posix, prefix, o);
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE(IsDataLoss((*bad)->LookupView("a").status()));
}

TEST_F(BundleTest, LargeTensorStreamsThroughChunks) {
  // 20 MiB crosses the writer's and reader's chunk sizes.
  Tensor big = Iota<int32_t>({5 << 20});
  auto w = BundleWriter::Create(env(), "/big/m");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add("a", Tensor::Scalar(1.0f)).ok());
  ASSERT_TRUE((*w)->Add("big", big).ok());
  ASSERT_TRUE((*w)->Add("z", Tensor::StringScalar(std::string(3 << 20, 'q'))).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  auto reader = Open("/big/m");
  ASSERT_TRUE(reader);
  auto got = reader->Lookup("big");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->Equals(big));
  EXPECT_EQ(reader->GetEntry("big")->masked_crc32c,
            crc32c::Mask(crc32c::Value(big.raw_data(), big.TotalBytes())));
  EXPECT_EQ(reader->Lookup("z")->strings()[0].size(), size_t{3} << 20);
  EXPECT_TRUE(reader->VerifyAll().ok());
}

}  // namespace
}  // namespace ckpt
