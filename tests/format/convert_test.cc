// safetensors and npz codecs and ConvertTensorFile on an in-memory Env: exact round trips of
// every dtype each format holds, partitioned TF variables joined, renames and selection, clear
// errors for dtypes a format cannot hold and for corrupt files. Interop with the real
// safetensors, NumPy and TensorFlow packages: tests/python/test_convert.py.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "ckpt/format/bundle.h"
#include "ckpt/format/convert.h"
#include "ckpt/format/tensor_files.h"
#include "format/convert/tensor_files_internal.h"
#include "testutil/byte_surgery.h"

namespace ckpt {
namespace {

using ::testing::HasSubstr;

// A tensor whose bytes are a counter pattern (every dtype: distinct, NaN payloads included).
Tensor Pattern(DataType dtype, const TensorShape& shape, int seed) {
  Tensor t(dtype, shape);
  auto* p = static_cast<unsigned char*>(t.raw_data());
  for (size_t i = 0; i < t.TotalBytes(); ++i) {
    p[i] = static_cast<unsigned char>(i * 31 + seed);
    if (dtype == DataType::kBool) p[i] &= 1;
  }
  return t;
}

class ConvertTest : public ::testing::Test {
 protected:
  std::unique_ptr<Env> env_ = NewMemEnv();
  Env* env() { return env_.get(); }

  void WriteTf(const std::string& prefix, const std::vector<std::pair<std::string, Tensor>>& ts) {
    auto w = BundleWriter::Create(env(), prefix);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (const auto& [k, t] : ts) ASSERT_TRUE((*w)->Add(k, t).ok());
    ASSERT_TRUE((*w)->Finish().ok());
  }
  Tensor Read(const std::string& path, const std::string& name) {
    auto r = OpenTensorFile(env(), path);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return Tensor();
    auto t = (*r)->Lookup(name);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? *t : Tensor();
  }
};

const std::vector<DataType> kSafetensorsTypes = {
    DataType::kBool,   DataType::kUInt8,     DataType::kInt8,       DataType::kUInt16,
    DataType::kInt16,  DataType::kHalf,      DataType::kBFloat16,   DataType::kUInt32,
    DataType::kInt32,  DataType::kFloat,     DataType::kUInt64,     DataType::kInt64,
    DataType::kDouble, DataType::kComplex64, DataType::kFloat8E5M2, DataType::kFloat8E4M3FN};

TEST_F(ConvertTest, TfToSafetensorsToTfIsBitExactForEveryDtype) {
  std::vector<std::pair<std::string, Tensor>> ts;
  int seed = 0;
  for (DataType d : kSafetensorsTypes) {
    ts.emplace_back("t/" + std::string(DataTypeName(d)), Pattern(d, {3, 5}, ++seed));
  }
  ts.emplace_back("scalar", Pattern(DataType::kFloat, {}, 7));
  ts.emplace_back("empty", Tensor(DataType::kFloat, {0, 4}));
  WriteTf("/in/model", ts);
  auto r1 = ConvertTensorFile(env(), "/in/model", "/out/model.safetensors");
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_EQ(r1->tensors, static_cast<int64_t>(ts.size()));
  auto r2 = ConvertTensorFile(env(), "/out/model.safetensors", "/back/model");
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  for (const auto& [k, t] : ts) {
    EXPECT_TRUE(Read("/out/model.safetensors", k).Equals(t)) << k;
    EXPECT_TRUE(Read("/back/model", k).Equals(t)) << k;
  }
}

TEST_F(ConvertTest, SafetensorsLayoutIsTheDocumentedOne) {
  WriteTf("/in/m", {{"b", Tensor::FromVector<float>({1, 2}, {2})},
                    {"a", Tensor::FromVector<int64_t>({7}, {1})}});
  ASSERT_TRUE(ConvertTensorFile(env(), "/in/m", "/o.safetensors").ok());
  std::string bytes = testutil::ReadAll(env(), "/o.safetensors");
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.substr(0, header.find_last_not_of(' ') + 1),
            R"({"a":{"data_offsets":[0,8],"dtype":"I64","shape":[1]},)"
            R"("b":{"data_offsets":[8,16],"dtype":"F32","shape":[2]}})");
  ASSERT_EQ(bytes.size(), 8 + n + 16);
  int64_t a;
  float b[2];
  std::memcpy(&a, bytes.data() + 8 + n, 8);
  std::memcpy(b, bytes.data() + 16 + n, 8);
  EXPECT_EQ(a, 7);
  EXPECT_EQ(b[1], 2.0f);
}

TEST_F(ConvertTest, SafetensorsMetadataIsKept) {
  std::vector<TensorFileEntry> e = {{"x", DataType::kFloat, {2}}};
  auto w = TensorFileWriter::Create(env(), "/a.safetensors", TensorFileFormat::kAuto, e,
                                    {{"format", "pt"}, {"note", "ü"}});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add(Tensor::FromVector<float>({1, 2}, {2})).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  ASSERT_TRUE(ConvertTensorFile(env(), "/a.safetensors", "/b.safetensors").ok());
  auto r = SafetensorsReader::Open(env(), "/b.safetensors");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->metadata().at("format"), "pt");
  EXPECT_EQ((*r)->metadata().at("note"), "ü");
}

TEST_F(ConvertTest, NpzRoundTripKeepsEveryNumpyDtype) {
  std::vector<std::pair<std::string, Tensor>> ts;
  int seed = 0;
  for (DataType d :
       {DataType::kBool, DataType::kUInt8, DataType::kInt8, DataType::kUInt16, DataType::kInt16,
        DataType::kHalf, DataType::kUInt32, DataType::kInt32, DataType::kFloat, DataType::kUInt64,
        DataType::kInt64, DataType::kDouble, DataType::kComplex64, DataType::kComplex128}) {
    ts.emplace_back("layer/" + std::string(DataTypeName(d)), Pattern(d, {2, 3, 4}, ++seed));
  }
  ts.emplace_back("scalar", Pattern(DataType::kDouble, {}, 3));
  ts.emplace_back("vector", Pattern(DataType::kInt32, {5}, 4));
  WriteTf("/in/m", ts);
  ASSERT_TRUE(ConvertTensorFile(env(), "/in/m", "/m.npz").ok());
  auto r = OpenNpz(env(), "/m.npz");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)->VerifyAll().ok());
  ASSERT_EQ((*r)->variables().size(), ts.size());
  for (const auto& [k, t] : ts) EXPECT_TRUE(Read("/m.npz", k).Equals(t)) << k;
  ASSERT_TRUE(ConvertTensorFile(env(), "/m.npz", "/back").ok());
  for (const auto& [k, t] : ts) EXPECT_TRUE(Read("/back", k).Equals(t)) << k;
}

// zip64 records (members or archives past 4 GiB) written at a lowered threshold: every member
// and the directory then take the zip64 form. The archive reads back here and, where Python
// with NumPy is installed, in np.load and zipfile (their zip64 readers are the reference).
TEST_F(ConvertTest, NpzWritesZip64Records) {
  const std::string dir = ::testing::TempDir() + "/npz_zip64_" + std::to_string(::getpid());
  ASSERT_TRUE(Env::Default()->RecursivelyCreateDir(dir).ok());
  const std::string path = dir + "/z.npz";
  std::vector<std::pair<std::string, Tensor>> ts = {{"a", Pattern(DataType::kFloat, {3, 5}, 1)},
                                                    {"b", Pattern(DataType::kInt64, {7}, 2)},
                                                    {"c", Pattern(DataType::kDouble, {}, 3)}};
  std::vector<TensorFileEntry> entries;
  for (const auto& [k, t] : ts) entries.push_back({k, t.dtype(), t.shape()});
  auto w = internal::CreateNpzWriter(Env::Default(), path, entries, /*zip64_from=*/0);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (const auto& [k, t] : ts) ASSERT_TRUE((*w)->Add(t).ok());
  ASSERT_TRUE((*w)->Finish().ok());
  auto raw = Env::Default()->ReadFileToString(path);
  ASSERT_TRUE(raw.ok());
  EXPECT_NE(raw->find(std::string("PK\x06\x06", 4)), std::string::npos);  // zip64 end record
  EXPECT_NE(raw->find(std::string("PK\x06\x07", 4)), std::string::npos);  // and its locator
  auto r = OpenNpz(Env::Default(), path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)->VerifyAll().ok());
  for (const auto& [k, t] : ts) {
    auto got = (*r)->Lookup(k);
    ASSERT_TRUE(got.ok()) << k;
    EXPECT_TRUE(got->Equals(t)) << k;
  }
  if (std::system("python3 -c 'import numpy' >/dev/null 2>&1") == 0) {
    const std::string check =
        "python3 -c \"import numpy as np, zipfile, sys; z = zipfile.ZipFile(sys.argv[1]); "
        "assert z.testzip() is None; f = np.load(sys.argv[1]); "
        "assert sorted(f.files) == ['a', 'b', 'c']; assert f['a'].shape == (3, 5); "
        "assert f['b'].dtype == np.int64 and f['c'].shape == ()\" " +
        path;
    EXPECT_EQ(std::system(check.c_str()), 0) << check;
  }
  std::filesystem::remove_all(dir);
}

TEST_F(ConvertTest, PartitionedVariablesAreJoined) {
  auto w = BundleWriter::Create(env(), "/p/m");
  ASSERT_TRUE(w.ok());
  Tensor full = Pattern(DataType::kFloat, {4, 3}, 1);
  for (int part = 0; part < 2; ++part) {
    Tensor slice(DataType::kFloat, {2, 3});
    std::memcpy(slice.raw_data(), full.data<float>() + part * 6, 6 * sizeof(float));
    auto s = TensorSlice::Parse(part == 0 ? "0,2:-" : "2,2:-");
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*w)->AddSlice("w", full.shape(), *s, slice).ok());
  }
  ASSERT_TRUE((*w)->Finish().ok());
  ASSERT_TRUE(ConvertTensorFile(env(), "/p/m", "/p.safetensors").ok());
  EXPECT_TRUE(Read("/p.safetensors", "w").Equals(full));
}

TEST_F(ConvertTest, OnlyAndRenameSelectAndRenameTensors) {
  WriteTf("/in/m", {{"dense/kernel", Pattern(DataType::kFloat, {2}, 1)},
                    {"dense/bias", Pattern(DataType::kFloat, {2}, 2)},
                    {"global_step", Tensor::Scalar<int64_t>(3)}});
  ConvertOptions o;
  o.only = "^dense/";
  auto rule = ParseRenameRule("^dense/(.*)$=layer.$1");
  ASSERT_TRUE(rule.ok());
  o.renames.push_back(*rule);
  ASSERT_TRUE(ConvertTensorFile(env(), "/in/m", "/o.safetensors", o).ok());
  auto r = OpenTensorFile(env(), "/o.safetensors");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)->variables().size(), 2u);
  EXPECT_EQ((*r)->variables()[0].name, "layer.bias");
  EXPECT_EQ((*r)->variables()[1].name, "layer.kernel");
  EXPECT_TRUE(Read("/o.safetensors", "layer.kernel").Equals(Pattern(DataType::kFloat, {2}, 1)));

  o.renames = {{"^dense/.*", "x"}};
  auto clash = ConvertTensorFile(env(), "/in/m", "/c.safetensors", o);
  EXPECT_THAT(clash.status().ToString(), HasSubstr("are both renamed to x"));
  EXPECT_FALSE(env()->FileExists("/c.safetensors"));
  o.renames = {{"(", "x"}};
  EXPECT_TRUE(IsInvalidArgument(ConvertTensorFile(env(), "/in/m", "/c.safetensors", o).status()));
  EXPECT_FALSE(ParseRenameRule("no-equals").ok());
}

TEST_F(ConvertTest, DtypesAFormatCannotHoldNameTheTensor) {
  WriteTf("/in/m", {{"ok", Pattern(DataType::kFloat, {2}, 1)},
                    {"words", Tensor::FromStrings({"a", "b"}, {2})},
                    {"bf", Pattern(DataType::kBFloat16, {2}, 1)}});
  ConvertOptions o;
  o.only = "words";
  auto s = ConvertTensorFile(env(), "/in/m", "/o.safetensors", o);
  EXPECT_TRUE(IsInvalidArgument(s.status()));
  EXPECT_THAT(s.status().ToString(),
              HasSubstr("tensor words: safetensors cannot hold dtype string"));
  o.only = "bf";
  s = ConvertTensorFile(env(), "/in/m", "/o.npz", o);
  EXPECT_THAT(s.status().ToString(), HasSubstr("tensor bf: npz cannot hold dtype bfloat16"));
  EXPECT_FALSE(env()->FileExists("/o.npz"));
  EXPECT_FALSE(env()->FileExists("/o.safetensors"));
  // Strings survive TF -> TF.
  o.only = "words";
  ASSERT_TRUE(ConvertTensorFile(env(), "/in/m", "/tf2", o).ok());
  EXPECT_TRUE(Read("/tf2", "words").Equals(Tensor::FromStrings({"a", "b"}, {2})));
}

TEST_F(ConvertTest, CorruptSafetensorsAreDataLossNamingTheFile) {
  WriteTf("/in/m",
          {{"a", Pattern(DataType::kFloat, {4}, 1)}, {"b", Pattern(DataType::kInt32, {2}, 2)}});
  ASSERT_TRUE(ConvertTensorFile(env(), "/in/m", "/g.safetensors").ok());
  const std::string good = testutil::ReadAll(env(), "/g.safetensors");
  auto open = [&](const std::string& bytes) {
    testutil::WriteAll(env(), "/bad.safetensors", bytes);
    return SafetensorsReader::Open(env(), "/bad.safetensors").status();
  };
  EXPECT_TRUE(open(good).ok());
  std::string huge = good;
  huge[7] = 0x7f;  // header length ~ 2^63
  EXPECT_TRUE(IsDataLoss(open(huge)));
  EXPECT_THAT(open(good.substr(0, good.size() - 1)).ToString(), HasSubstr("/bad.safetensors"));
  EXPECT_TRUE(IsDataLoss(open(good.substr(0, 5))));
  std::string shape = good;
  shape.replace(shape.find("[4]"), 3, "[5]");
  EXPECT_THAT(open(shape).ToString(), HasSubstr("tensor a"));
  std::string dtype = good;
  dtype.replace(dtype.find("I32"), 3, "Q32");
  EXPECT_THAT(open(dtype).ToString(), HasSubstr("unsupported dtype \"Q32\""));
  std::string notjson = good;
  notjson[8] = '[';
  EXPECT_TRUE(IsDataLoss(open(notjson)));
}

TEST_F(ConvertTest, CorruptNpzIsAnErrorNotACrash) {
  WriteTf("/in/m", {{"a", Pattern(DataType::kFloat, {4}, 1)}});
  ASSERT_TRUE(ConvertTensorFile(env(), "/in/m", "/g.npz").ok());
  const std::string good = testutil::ReadAll(env(), "/g.npz");
  // Every truncation and every single-byte flip: an error or (for bytes no check covers, such
  // as the data itself) a successful open; never a crash or an oversized allocation.
  for (size_t n = 0; n < good.size(); ++n) {
    testutil::WriteAll(env(), "/t.npz", good.substr(0, n));
    EXPECT_FALSE(OpenNpz(env(), "/t.npz").ok()) << n;
  }
  int verify_failures = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    std::string b = good;
    b[i] = static_cast<char>(b[i] ^ 0x5a);
    testutil::WriteAll(env(), "/f.npz", b);
    auto r = OpenNpz(env(), "/f.npz");
    if (r.ok()) {
      for (const auto& v : (*r)->variables()) (*r)->Lookup(v.name).status().IgnoreError();
      if (!(*r)->VerifyAll().ok()) ++verify_failures;
    }
  }
  EXPECT_GT(verify_failures, 0);  // flipped data bytes are caught by the CRC
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

// A bool tensor holding a byte other than 0 or 1, written by each format's writer (which copies
// bytes as they are, with matching checksums): every reader refuses it, naming the tensor.
TEST(BoolBytes, EveryReaderRefusesBoolBytesOtherThanZeroOrOne) {
  std::unique_ptr<Env> env = NewMemEnv();
  Tensor flags(DataType::kBool, TensorShape{3});
  static_cast<unsigned char*>(flags.raw_data())[1] = 7;
  for (auto [path, format] : {std::pair{"/f.safetensors", TensorFileFormat::kSafetensors},
                              std::pair{"/f.npz", TensorFileFormat::kNpz},
                              std::pair{"/f", TensorFileFormat::kTensorFlow}}) {
    TensorFileEntry e;
    e.name = "flags";
    e.dtype = DataType::kBool;
    e.shape = flags.shape();
    auto w = TensorFileWriter::Create(env.get(), path, format, {e});
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE((*w)->Add(flags).ok());
    ASSERT_TRUE((*w)->Finish().ok());
    auto r = OpenTensorFile(env.get(), path);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto t = (*r)->Lookup("flags");
    ASSERT_FALSE(t.ok()) << path;
    EXPECT_EQ(t.status().code(), StatusCode::kDataLoss) << path;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr("bool tensor flags"));
    EXPECT_THAT(std::string(t.status().message()),
                HasSubstr("element 1 is byte 7, expected 0 or 1"));
  }
}

}  // namespace
}  // namespace ckpt
