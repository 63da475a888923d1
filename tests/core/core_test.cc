#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ckpt/core/crc32c.h"
#include "ckpt/core/dtype.h"
#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "testutil/temp_dir.h"

namespace ckpt::crc32c {
uint32_t ExtendPortableForTesting(uint32_t init_crc, const void* data, size_t n);
}

namespace ckpt {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

TEST(StatusTest, CodesAndMessages) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.ToString(), "OK");
  Status s = NotFoundError("key w not found");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: key w not found");
  EXPECT_EQ(s.WithContext("/tmp/m").message(), "/tmp/m: key w not found");
  Status first;
  first.Update(DataLossError("a"));
  first.Update(InternalError("b"));
  EXPECT_EQ(first.message(), "a");
}

StatusOr<int> Half(int x) {
  if (x % 2) return InvalidArgumentError("odd");
  return x / 2;
}
Status UseHalf(int x, int* out) {
  CKPT_ASSIGN_OR_RETURN(*out, Half(x));
  return Status::OK();
}

TEST(StatusTest, StatusOrAndMacros) {
  int v = 0;
  EXPECT_TRUE(UseHalf(8, &v).ok());
  EXPECT_EQ(v, 4);
  Status s = UseHalf(3, &v);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  StatusOr<std::string> so = std::string("x");
  EXPECT_EQ(*so, "x");
  StatusOr<int> bad = Status();  // OK without value is an error
  EXPECT_EQ(bad.status().code(), StatusCode::kInternal);
}

TEST(DTypeTest, NamesSizesAndValues) {
  EXPECT_EQ(static_cast<int>(DataType::kHalf), 19);
  EXPECT_EQ(static_cast<int>(DataType::kUInt64), 23);
  EXPECT_EQ(DataTypeName(DataType::kFloat), "float32");
  EXPECT_EQ(DataTypeName(DataType::kHalf), "float16");
  EXPECT_EQ(DataTypeEnumName(DataType::kInt64), "DT_INT64");
  EXPECT_EQ(DataTypeSize(DataType::kComplex128), 16u);
  EXPECT_EQ(DataTypeSize(DataType::kBFloat16), 2u);
  EXPECT_EQ(DataTypeSize(DataType::kString), 0u);
  EXPECT_FALSE(DataTypeIsPod(DataType::kVariant));
  EXPECT_EQ(DataTypeFromName("int64"), DataType::kInt64);
  EXPECT_EQ(DataTypeFromName("DT_BOOL"), DataType::kBool);
  EXPECT_EQ(DataTypeFromName("nope"), std::nullopt);
  EXPECT_TRUE(IsRefType(101));
  EXPECT_EQ(BaseType(101), DataType::kFloat);
  for (int v = 1; v < kNumDataTypes; ++v) {
    auto dt = static_cast<DataType>(v);
    EXPECT_EQ(DataTypeFromName(DataTypeName(dt)), dt) << v;
  }
}

TEST(TensorShapeTest, Validation) {
  EXPECT_EQ(TensorShape{}.num_elements(), 1);
  EXPECT_EQ((TensorShape{2, 0, 3}).num_elements(), 0);
  EXPECT_FALSE(TensorShape::FromDims({-1}).ok());
  EXPECT_FALSE(TensorShape::FromDims({1LL << 40, 1LL << 40}).ok());
  // A zero dimension after dims whose product overflows: 0 elements, no overflow on the way
  // (found by fuzz/npy_fuzzer: an .npy shape of (16000000025600, 9007464, 0)).
  auto empty = TensorShape::FromDims({16000000025600LL, 9007464, 0});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->num_elements(), 0);
  TensorShape grown = *empty;
  grown.set_dim(2, 0);
  EXPECT_EQ(grown.num_elements(), 0);
  EXPECT_FALSE(TensorShape::FromDims(std::vector<int64_t>(300, 1)).ok());
  EXPECT_EQ(TensorShape::FromDims({3, 4})->DebugString(), "[3,4]");
  PartialShape p(std::vector<int64_t>{-1, 3});
  EXPECT_TRUE(p.IsCompatibleWith(TensorShape{7, 3}));
  EXPECT_FALSE(p.IsCompatibleWith(TensorShape{7, 4}));
  EXPECT_TRUE(PartialShape().IsCompatibleWith(TensorShape{1, 2, 3}));
  EXPECT_EQ(p.DebugString(), "[?,3]");
}

TEST(TensorTest, OwnedBorrowedAndStrings) {
  Tensor t = Tensor::FromVector<float>({1, 2, 3, 4}, TensorShape{2, 2});
  EXPECT_EQ(t.TotalBytes(), 16u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
  Tensor shared = t;
  shared.data<float>()[0] = 9;
  EXPECT_EQ(t.data<float>()[0], 9);  // copies share storage
  Tensor deep = t.Clone();
  deep.data<float>()[0] = 1;
  EXPECT_EQ(t.data<float>()[0], 9);
  EXPECT_EQ(t.DebugString(), "float32[2,2] {9, 2, 3, 4}");

  std::vector<double> buf(6, 0.5);
  auto b = Tensor::Borrow(DataType::kDouble, TensorShape{2, 3}, buf.data(), 48);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->is_borrowed());
  b->data<double>()[5] = 7;
  EXPECT_EQ(buf[5], 7);
  EXPECT_FALSE(Tensor::Borrow(DataType::kDouble, TensorShape{2, 3}, buf.data(), 40).ok());

  Tensor s = Tensor::FromStrings({"a", std::string("b\0c", 3)}, TensorShape{2});
  EXPECT_EQ(s.strings()[1].size(), 3u);
  EXPECT_TRUE(s.Equals(s.Clone()));
  EXPECT_FALSE(Tensor::Allocate(DataType::kVariant, TensorShape{}).ok());
  auto huge = Tensor::Allocate(DataType::kFloat, TensorShape{1LL << 62});
  EXPECT_FALSE(huge.ok());
  auto u = Tensor::AllocateUninitialized(DataType::kInt64, TensorShape{3, 5});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->TotalBytes(), 120u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(u->raw_data()) % 64, 0u);
  auto us = Tensor::AllocateUninitialized(DataType::kString, TensorShape{2});
  ASSERT_TRUE(us.ok());
  EXPECT_EQ(us->strings()[1], "");
  auto r = t.Reshaped(TensorShape{4});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->SharesBufferWith(t));
}

TEST(Crc32cTest, KnownVectorsAndMasking) {
  EXPECT_EQ(crc32c::Value(""), 0u);
  EXPECT_EQ(crc32c::Value("123456789"), 0xE3069283u);
  const unsigned char zeros[4] = {0, 0, 0, 0};
  EXPECT_EQ(crc32c::Value(zeros, 4), 0x48674BC7u);
  float half = 0.5f;
  EXPECT_EQ(crc32c::Value(&half, 4), 0x26973E52u);
  int64_t thousand = 1000;
  EXPECT_EQ(crc32c::Value(&thousand, 8), 0x5517FBC7u);
  EXPECT_EQ(crc32c::Mask(0), 0xA282EAD8u);
  EXPECT_EQ(crc32c::Mask(crc32c::Value(&half, 4)), 0x1F273806u);
  EXPECT_EQ(crc32c::Mask(crc32c::Value(&thousand, 8)), 0x9A119507u);
  for (uint32_t v : {0u, 1u, 0xdeadbeefu, 0xffffffffu}) {
    EXPECT_EQ(crc32c::Unmask(crc32c::Mask(v)), v);
  }
}

TEST(Crc32cTest, HardwareMatchesPortableAtEverySizeAndAlignment) {
  std::mt19937 rng(42);
  std::vector<unsigned char> data(100000);
  for (auto& c : data) c = static_cast<unsigned char>(rng());
  for (size_t n :
       {0, 1, 7, 8, 9, 255, 256, 767, 768, 769, 8191, 24575, 24576, 24577, 30000, 99990}) {
    for (size_t off = 0; off < 9; ++off) {
      uint32_t hw = crc32c::Value(data.data() + off, n);
      uint32_t sw = crc32c::ExtendPortableForTesting(0, data.data() + off, n);
      ASSERT_EQ(hw, sw) << "n=" << n << " off=" << off;
    }
  }
  // Extend(Value(A), B) == Value(A ++ B)
  uint32_t a = crc32c::Value(data.data(), 5000);
  EXPECT_EQ(crc32c::Extend(a, data.data() + 5000, 40000), crc32c::Value(data.data(), 45000));
}

class EnvTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (GetParam()) {
      mem_ = NewMemEnv();
      env_ = mem_.get();
      dir_ = "/mem/envtest";
    } else {
      env_ = Env::Default();
      tmp_ = std::make_unique<testutil::TempDir>("env_test");
      ASSERT_FALSE(tmp_->path().empty());
      dir_ = tmp_->path() + "/sub";
    }
  }
  std::unique_ptr<testutil::TempDir> tmp_;
  std::unique_ptr<Env> mem_;
  Env* env_ = nullptr;
  std::string dir_;
};

TEST_P(EnvTest, FilesDirsRenameLock) {
  ASSERT_TRUE(env_->RecursivelyCreateDir(dir_ + "/a/b").ok());
  EXPECT_TRUE(env_->IsDirectory(dir_ + "/a/b"));
  std::string f = dir_ + "/a/file";
  ASSERT_TRUE(env_->WriteStringToFile(f, "hello world", true).ok());
  EXPECT_TRUE(env_->FileExists(f));
  EXPECT_EQ(*env_->GetFileSize(f), 11u);
  EXPECT_EQ(*env_->ReadFileToString(f), "hello world");
  {
    auto file = env_->NewRandomAccessFile(f, {.use_mmap = true});
    ASSERT_TRUE(file.ok());
    char scratch[16];
    std::string_view got;
    ASSERT_TRUE((*file)->Read(6, 16, &got, scratch).ok());
    EXPECT_EQ(got, "world");
    ASSERT_TRUE((*file)->Read(100, 4, &got, scratch).ok());
    EXPECT_TRUE(got.empty());
  }
  ASSERT_TRUE(env_->AtomicWriteStringToFile(dir_ + "/a/state", "v1").ok());
  ASSERT_TRUE(env_->AtomicWriteStringToFile(dir_ + "/a/state", "v2").ok());
  EXPECT_EQ(*env_->ReadFileToString(dir_ + "/a/state"), "v2");
  ASSERT_TRUE(env_->RenameFile(f, dir_ + "/a/moved").ok());
  EXPECT_FALSE(env_->FileExists(f));
  auto kids = env_->GetChildren(dir_ + "/a");
  ASSERT_TRUE(kids.ok());
  EXPECT_THAT(*kids, UnorderedElementsAre("b", "moved", "state"));
  EXPECT_EQ(env_->NewRandomAccessFile(dir_ + "/nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(env_->DeleteFile(dir_ + "/nope").code(), StatusCode::kNotFound);
  auto lock = env_->LockFile(dir_ + "/LOCK");
  ASSERT_TRUE(lock.ok());
  auto second = env_->LockFile(dir_ + "/LOCK");
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  lock->reset();
  EXPECT_TRUE(env_->LockFile(dir_ + "/LOCK").ok());
  EXPECT_GT(env_->NowMicros(), 1600000000ull * 1000000);
}

INSTANTIATE_TEST_SUITE_P(PosixAndMem, EnvTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Mem" : "Posix"; });

TEST(PathTest, Helpers) {
  EXPECT_EQ(path::Join("a", "b"), "a/b");
  EXPECT_EQ(path::Join("a/", "b"), "a/b");
  EXPECT_EQ(path::Join("a", "/b"), "/b");
  EXPECT_EQ(path::Dirname("a/b/c"), "a/b");
  EXPECT_EQ(path::Dirname("c"), "");
  EXPECT_EQ(path::Dirname("/c"), "/");
  EXPECT_EQ(path::Basename("a/b/c"), "c");
  EXPECT_EQ(path::Normalize("./a//b/../c/"), "a/c");
  EXPECT_EQ(path::Normalize("/x/../../y"), "/y");
  EXPECT_EQ(path::Relative("/t/ckpt/model-1", "/t/ckpt"), "model-1");
  EXPECT_EQ(path::Relative("/t/other/m", "/t/ckpt"), "../other/m");
  EXPECT_EQ(path::Relative("d/m", "d"), "m");
}

TEST(TensorShapeTest, InlineAndHeapDims) {
  for (int rank = 0; rank <= 10; ++rank) {
    TensorShape s;
    int64_t n = 1;
    for (int d = 0; d < rank; ++d) {
      s.AddDim(d + 2);
      n *= d + 2;
    }
    ASSERT_EQ(s.rank(), rank);
    EXPECT_EQ(s.num_elements(), n);
    for (int d = 0; d < rank; ++d) EXPECT_EQ(s.dim(d), d + 2);
    TensorShape copy = s;  // copies across the inline/heap boundary
    EXPECT_EQ(copy, s);
    TensorShape moved = std::move(copy);
    EXPECT_EQ(moved, s);
    EXPECT_EQ(copy.rank(), 0);  // NOLINT(bugprone-use-after-move): moved-from is a scalar
    TensorShape assigned{7};
    assigned = s;
    EXPECT_EQ(assigned, s);
    EXPECT_EQ(assigned.num_elements(), n);
    assigned = TensorShape{3, 4};
    EXPECT_EQ(assigned, TensorShape({3, 4}));
    EXPECT_EQ(assigned.num_elements(), 12);
    EXPECT_EQ(s.dim_vector().size(), static_cast<size_t>(rank));
  }
  TensorShape big = *TensorShape::FromDims(std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8});
  big.set_dim(7, 0);
  EXPECT_EQ(big.num_elements(), 0);
  big.RemoveDim(7);
  EXPECT_EQ(big.rank(), 7);
  EXPECT_EQ(big.num_elements(), 5040);
  big.RemoveDim(0);
  EXPECT_EQ(big, TensorShape({2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(big.DebugString(), "[2,3,4,5,6,7]");
  big = big;  // NOLINT: self-assignment keeps the dims
  EXPECT_EQ(big.num_elements(), 5040);
  EXPECT_FALSE(TensorShape::FromDims(std::vector<int64_t>{-1}).ok());
  EXPECT_FALSE(TensorShape::FromDims(std::vector<int64_t>{1LL << 40, 1LL << 40}).ok());
}

TEST(TensorTest, AllocateReusingTakesOnlyUnsharedBuffers) {
  Tensor spare = *Tensor::Allocate(DataType::kFloat, TensorShape{16});
  const void* buf = spare.raw_data();
  EXPECT_TRUE(spare.RefCountIsOne());
  {
    Tensor shared = spare;  // a second holder: the buffer must not be taken
    EXPECT_FALSE(spare.RefCountIsOne());
    Tensor t = *Tensor::AllocateReusing(&spare, DataType::kFloat, TensorShape{4}, false);
    EXPECT_NE(t.raw_data(), buf);
    EXPECT_TRUE(spare.valid());
  }
  EXPECT_TRUE(spare.RefCountIsOne());
  // Unshared and large enough: taken, as another dtype and shape; zero-filled on request.
  spare.data<float>()[0] = 5;
  Tensor t = *Tensor::AllocateReusing(&spare, DataType::kInt32, TensorShape{2, 8}, true);
  EXPECT_EQ(t.raw_data(), buf);
  EXPECT_FALSE(spare.valid());
  EXPECT_EQ(t.dtype(), DataType::kInt32);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(t.data<int32_t>()[i], 0);
  // Too small: a fresh buffer, the spare stays.
  Tensor small = *Tensor::Allocate(DataType::kFloat, TensorShape{2});
  Tensor grown = *Tensor::AllocateReusing(&small, DataType::kFloat, TensorShape{3}, false);
  EXPECT_TRUE(small.valid());
  EXPECT_NE(grown.raw_data(), small.raw_data());
  // Strings are never recycled; borrowed buffers are never owned.
  Tensor strings = Tensor::FromStrings({"a", "b"}, TensorShape{2});
  Tensor out = *Tensor::AllocateReusing(&strings, DataType::kInt8, TensorShape{1}, false);
  EXPECT_TRUE(strings.valid());
  EXPECT_EQ(strings.strings()[1], "b");
  float mine[4] = {1, 2, 3, 4};
  Tensor borrowed = *Tensor::Borrow(DataType::kFloat, TensorShape{4}, mine, sizeof(mine));
  EXPECT_FALSE(borrowed.RefCountIsOne());
  Tensor other = *Tensor::AllocateReusing(&borrowed, DataType::kFloat, TensorShape{4}, false);
  EXPECT_NE(other.raw_data(), static_cast<void*>(mine));
  // Elements stay 64-byte aligned and Reset releases.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(other.raw_data()) % 64, 0u);
  other.Reset();
  EXPECT_FALSE(other.valid());
}

}  // namespace
}  // namespace ckpt

namespace ckpt {
namespace {

TEST(MemoryAccountTest, ChargesLiveBuffersAndRefusesOverTheLimit) {
  MemoryAccount* account = MemoryAccount::Create(1000);
  auto a = Tensor::AllocateReusing(nullptr, DataType::kFloat, TensorShape{100}, true, account);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(account->in_use(), 400);
  auto b = Tensor::AllocateReusing(nullptr, DataType::kFloat, TensorShape{200}, true, account);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(std::string(b.status().message())
                .find("[200] (800 bytes) would exceed the memory "
                      "limit of 1000 bytes (400 in use)"),
            std::string::npos)
      << b.status().ToString();
  EXPECT_EQ(account->in_use(), 400);  // the refused charge left nothing behind
  // Reusing a charged buffer charges nothing more; freeing releases it.
  Tensor spare = std::move(a).value();
  auto c = Tensor::AllocateReusing(&spare, DataType::kInt32, TensorShape{50}, false, account);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(account->in_use(), 400);
  auto s = Tensor::AllocateReusing(nullptr, DataType::kString, TensorShape{2}, true, account);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(account->in_use(), 400 + 2 * static_cast<int64_t>(sizeof(std::string)));
  // A tensor may outlive its account's creator: the buffer keeps the account alive.
  account->Unref();
  c = Tensor();
  s = Tensor();  // frees the last charged buffers, then the account (ASan checks both)
}

}  // namespace
}  // namespace ckpt
