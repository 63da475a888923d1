// The numeric ops of Keras TextVectorization exports against hand-computed values:
// RaggedTensorToTensor, DenseBincount / RaggedBincount, Cumsum and integer Pad, with their
// edge cases and the errors bad inputs give (tests/python/test_tf2_savedmodel.py compares them
// with TensorFlow).
#include <string>
#include <vector>

#include "graph/test_util.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::D;
using testutil::F;
using testutil::I;
using testutil::L;
using testutil::OpError;
using testutil::OpOutput;
using testutil::S;
using testutil::Strings;
using testutil::Values;

// ---- RaggedTensorToTensor ------------------------------------------------------------------

AttrMap Partitions(std::vector<std::string> types) {
  return {{"row_partition_types", AttrValue(std::move(types))}};
}

TEST(RaggedOps, RowSplitsPadAndTruncate) {
  Tensor v = L({1, 2, 3, 4, 5}, {5});
  Tensor splits = L({0, 2, 2, 5}, {4});
  Tensor out = OpOutput("RaggedTensorToTensor", {L({-1, -1}, {2}), v, L({0}, {}), splits},
                        Partitions({"ROW_SPLITS"}));
  EXPECT_EQ(out.shape(), TensorShape({3, 3}));
  EXPECT_THAT(Values<int64_t>(out), ElementsAre(1, 2, 0, 0, 0, 0, 3, 4, 5));
  Tensor small = OpOutput("RaggedTensorToTensor", {L({2, 2}, {2}), v, L({9}, {}), splits},
                          Partitions({"ROW_SPLITS"}));
  EXPECT_EQ(small.shape(), TensorShape({2, 2}));
  EXPECT_THAT(Values<int64_t>(small), ElementsAre(1, 2, 9, 9));
  Tensor big = OpOutput("RaggedTensorToTensor", {L({4, 4}, {2}), v, L({9}, {}), splits},
                        Partitions({"ROW_SPLITS"}));
  EXPECT_THAT(Values<int64_t>(big), ElementsAre(1, 2, 9, 9, 9, 9, 9, 9, 3, 4, 5, 9, 9, 9, 9, 9));
  // A scalar -1 shape: unknown rank, every dim from the data.
  Tensor scalar_shape = OpOutput("RaggedTensorToTensor", {L({-1}, {}), v, L({0}, {}), splits},
                                 Partitions({"ROW_SPLITS"}));
  EXPECT_EQ(scalar_shape.shape(), TensorShape({3, 3}));
}

TEST(RaggedOps, FirstDimSizeValueRowIds) {
  // What Keras's TextVectorization emits: rows from FIRST_DIM_SIZE, items by row id.
  Tensor out = OpOutput(
      "RaggedTensorToTensor",
      {L({-1, 6}, {2}), L({1, 2, 3, 4, 5}, {5}), L({0}, {}), L({4}, {}), L({0, 0, 2, 2, 2}, {5})},
      Partitions({"FIRST_DIM_SIZE", "VALUE_ROWIDS"}));
  EXPECT_EQ(out.shape(), TensorShape({4, 6}));
  EXPECT_THAT(Values<int64_t>(out),
              ElementsAre(1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  // Empty values: rows of padding only; no rows at all.
  Tensor empty = OpOutput("RaggedTensorToTensor",
                          {L({-1, 3}, {2}), L({}, {0}), L({7}, {}), L({2}, {}), L({}, {0})},
                          Partitions({"FIRST_DIM_SIZE", "VALUE_ROWIDS"}));
  EXPECT_EQ(empty.shape(), TensorShape({2, 3}));
  EXPECT_THAT(Values<int64_t>(empty), ElementsAre(7, 7, 7, 7, 7, 7));
  Tensor none = OpOutput("RaggedTensorToTensor",
                         {L({-1, 3}, {2}), L({}, {0}), L({7}, {}), L({0}, {}), L({}, {0})},
                         Partitions({"FIRST_DIM_SIZE", "VALUE_ROWIDS"}));
  EXPECT_EQ(none.shape(), TensorShape({0, 3}));
}

TEST(RaggedOps, TwoRaggedDimsStringsAndInnerDims) {
  Tensor out = OpOutput("RaggedTensorToTensor",
                        {L({-1, -1, -1}, {3}), I({1, 2, 3, 4, 5, 6}, {6}), I({0}, {}),
                         L({0, 2, 3}, {3}), L({0, 1, 3, 6}, {4})},
                        Partitions({"ROW_SPLITS", "ROW_SPLITS"}));
  EXPECT_EQ(out.shape(), TensorShape({2, 2, 3}));
  EXPECT_THAT(Values<int32_t>(out), ElementsAre(1, 0, 0, 2, 3, 0, 4, 5, 6, 0, 0, 0));
  Tensor str = OpOutput(
      "RaggedTensorToTensor",
      {I({-1, -1}, {2}), S({"a", "b", "c"}, {3}), Tensor::StringScalar(""), I({0, 1, 3}, {3})},
      Partitions({"ROW_SPLITS"}));
  EXPECT_THAT(Strings(str), ElementsAre("a", "", "b", "c"));
  // Inner dims come from the values; default_value broadcasts over them.
  Tensor inner = OpOutput(
      "RaggedTensorToTensor",
      {L({-1, -1, -1}, {3}), F({1, 2, 3, 4, 5, 6}, {3, 2}), F({7, 8}, {2}), L({0, 1, 3}, {3})},
      Partitions({"ROW_SPLITS"}));
  EXPECT_EQ(inner.shape(), TensorShape({2, 2, 2}));
  EXPECT_THAT(Values<float>(inner), ElementsAre(1, 2, 7, 8, 3, 4, 5, 6));
}

TEST(RaggedOps, RejectsBadPartitionsAndShapes) {
  Tensor v = L({1, 2, 3}, {3});
  auto err = [&](std::vector<Tensor> in, std::vector<std::string> types) {
    return OpError("RaggedTensorToTensor", in, Partitions(std::move(types)));
  };
  EXPECT_THAT(err({L({-1, -1}, {2}), v, L({0}, {}), L({1, 2, 3}, {3})}, {"ROW_SPLITS"}).message(),
              HasSubstr("must start with 0"));
  EXPECT_THAT(
      err({L({-1, -1}, {2}), v, L({0}, {}), L({0, 2, 1, 3}, {4})}, {"ROW_SPLITS"}).message(),
      HasSubstr("non-decreasing"));
  EXPECT_THAT(err({L({-1, -1}, {2}), v, L({0}, {}), L({0, 2, 9}, {3})}, {"ROW_SPLITS"}).message(),
              HasSubstr("address 9 values but there are 3"));
  EXPECT_THAT(err({L({-1, -1}, {2}), v, L({0}, {}), L({2}, {}), L({0, 2, 1}, {3})},
                  {"FIRST_DIM_SIZE", "VALUE_ROWIDS"})
                  .message(),
              HasSubstr("value_rowids[1] = 2 is not in [0, 2)"));
  EXPECT_THAT(err({L({-1, -1}, {2}), v, L({0}, {}), L({2}, {}), L({1, 0, 1}, {3})},
                  {"FIRST_DIM_SIZE", "VALUE_ROWIDS"})
                  .message(),
              HasSubstr("must be sorted"));
  EXPECT_THAT(err({L({-1, -1}, {2}), v, L({0}, {}), L({-4}, {}), L({}, {0})},
                  {"FIRST_DIM_SIZE", "VALUE_ROWIDS"})
                  .message(),
              HasSubstr("FIRST_DIM_SIZE must be non-negative"));
  EXPECT_THAT(err({L({3, 3, 3}, {3}), v, L({0}, {}), L({0, 3}, {2})}, {"ROW_SPLITS"}).message(),
              HasSubstr("rt_input.rank = 2 but shape.rank = 3"));
  EXPECT_THAT(err({L({-1, -1}, {2}), v, L({0, 0}, {2}), L({0, 3}, {2})}, {"ROW_SPLITS"}).message(),
              HasSubstr("default_value"));
  EXPECT_THAT(err({L({-1, -1}, {2}), v, L({0}, {}), L({0, 3}, {2})}, {"VALUE_ROWIDS"}).message(),
              HasSubstr("unsupported row_partition_types[0] 'VALUE_ROWIDS'"));
  // A huge requested shape is refused by the allocator, not attempted.
  Status huge = err({L({1 << 20, 1 << 30}, {2}), v, L({0}, {}), L({0, 3}, {2})}, {"ROW_SPLITS"});
  EXPECT_FALSE(huge.ok());
}

// ---- DenseBincount / RaggedBincount --------------------------------------------------------

TEST(MathOps, DenseBincountCountsWeightsAndBinary) {
  Tensor counts = OpOutput("DenseBincount", {I({1, 2, 2, 3, 7}, {5}), I({4}, {}), F({}, {0})});
  EXPECT_EQ(counts.shape(), TensorShape({4}));
  EXPECT_THAT(Values<float>(counts), ElementsAre(0, 1, 2, 1));  // 7 >= size: dropped
  Tensor weighted =
      OpOutput("DenseBincount", {I({1, 2, 2, 3}, {4}), I({4}, {}), D({1, 2, 2, 3.5}, {4})});
  EXPECT_THAT(Values<double>(weighted), ElementsAre(0, 1, 4, 3.5));
  Tensor binary = OpOutput(
      "DenseBincount",
      {L({1, 2, 2, 3, 0, 0, 9, 1}, {2, 4}), L({4}, {}), L({5, 5, 5, 5, 5, 5, 5, 5}, {2, 4})},
      {{"binary_output", AttrValue(true)}});
  EXPECT_EQ(binary.shape(), TensorShape({2, 4}));
  EXPECT_THAT(Values<int64_t>(binary), ElementsAre(0, 1, 1, 1, 1, 1, 0, 0));
  Tensor scalar = OpOutput("DenseBincount", {I({3}, {}), I({4}, {}), I({}, {0})});
  EXPECT_THAT(Values<int32_t>(scalar), ElementsAre(0, 0, 0, 1));
  Tensor empty = OpOutput("DenseBincount", {I({}, {0}), I({2}, {}), F({}, {0})});
  EXPECT_THAT(Values<float>(empty), ElementsAre(0, 0));
}

TEST(MathOps, BincountRejectsBadInputs) {
  EXPECT_THAT(OpError("DenseBincount", {I({1, -1}, {2}), I({4}, {}), F({}, {0})}).message(),
              HasSubstr("input must be non-negative, got -1"));
  EXPECT_THAT(OpError("DenseBincount", {I({1}, {1}), I({-1}, {}), F({}, {0})}).message(),
              HasSubstr("size (-1) must be non-negative"));
  EXPECT_THAT(OpError("DenseBincount", {I({1, 2}, {2}), I({4}, {}), F({1}, {1})}).message(),
              HasSubstr("weights must be the same shape"));
  EXPECT_THAT(OpError("DenseBincount", {I({0}, {1, 1, 1}), I({4}, {}), F({}, {0})}).message(),
              HasSubstr("at most rank 2"));
  // A 8 TiB output is refused by the allocator, not attempted.
  EXPECT_EQ(OpError("DenseBincount", {L({0}, {1}), L({int64_t{1} << 40}, {}), D({}, {0})}).code(),
            StatusCode::kResourceExhausted);
  EXPECT_THAT(
      OpError("RaggedBincount", {L({0, 2}, {2}), I({1}, {1}), I({4}, {}), F({}, {0})}).message(),
      HasSubstr("splits must start with 0 and end with the number of values (1)"));
  EXPECT_THAT(
      OpError("RaggedBincount", {L({0, 2, 1}, {3}), I({1}, {1}), I({4}, {}), F({}, {0})}).message(),
      HasSubstr("splits must be non-decreasing"));
}

TEST(MathOps, RaggedBincountPerRow) {
  Tensor out = OpOutput("RaggedBincount",
                        {L({0, 3, 3, 5}, {4}), L({1, 1, 2, 0, 5}, {5}), L({3}, {}), F({}, {0})});
  EXPECT_EQ(out.shape(), TensorShape({3, 3}));
  EXPECT_THAT(Values<float>(out), ElementsAre(0, 2, 1, 0, 0, 0, 1, 0, 0));
  Tensor binary = OpOutput("RaggedBincount",
                           {L({0, 3, 3, 5}, {4}), L({1, 1, 2, 0, 5}, {5}), L({3}, {}), F({}, {0})},
                           {{"binary_output", AttrValue(true)}});
  EXPECT_THAT(Values<float>(binary), ElementsAre(0, 1, 1, 0, 0, 0, 1, 0, 0));
}

TEST(MathOps, PadIntegerTokenIds) {
  Tensor out = OpOutput("Pad", {L({1, 2, 3}, {1, 3}), I({0, 0, 1, 2}, {2, 2})});
  EXPECT_EQ(out.shape(), TensorShape({1, 6}));
  EXPECT_THAT(Values<int64_t>(out), ElementsAre(0, 1, 2, 3, 0, 0));
}

// ---- Cumsum --------------------------------------------------------------------------------

TEST(MathOps, CumsumExclusiveReverseAxes) {
  Tensor x = F({1, 2, 3, 4, 5, 6}, {2, 3});
  auto cumsum = [&](const Tensor& t, const Tensor& axis, bool exclusive, bool reverse) {
    return OpOutput("Cumsum", {t, axis},
                    {{"exclusive", AttrValue(exclusive)}, {"reverse", AttrValue(reverse)}});
  };
  EXPECT_THAT(Values<float>(cumsum(x, I({1}, {}), false, false)), ElementsAre(1, 3, 6, 4, 9, 15));
  EXPECT_THAT(Values<float>(cumsum(x, I({1}, {}), true, false)), ElementsAre(0, 1, 3, 0, 4, 9));
  EXPECT_THAT(Values<float>(cumsum(x, I({1}, {}), false, true)), ElementsAre(6, 5, 3, 15, 11, 6));
  EXPECT_THAT(Values<float>(cumsum(x, I({1}, {}), true, true)), ElementsAre(5, 3, 0, 11, 6, 0));
  EXPECT_THAT(Values<float>(cumsum(x, L({0}, {}), false, false)), ElementsAre(1, 2, 3, 5, 7, 9));
  EXPECT_THAT(Values<float>(cumsum(x, I({-2}, {}), true, true)), ElementsAre(4, 5, 6, 0, 0, 0));
  EXPECT_THAT(Values<int64_t>(cumsum(L({5, -2, 7}, {3}), I({0}, {}), false, false)),
              ElementsAre(5, 3, 10));
  // Integers wrap as TF's do.
  EXPECT_THAT(Values<int32_t>(cumsum(I({2147483647, 1}, {2}), I({0}, {}), false, false)),
              ElementsAre(2147483647, -2147483647 - 1));
  EXPECT_EQ(cumsum(F({}, {0, 3}), I({1}, {}), false, false).shape(), TensorShape({0, 3}));
}

TEST(MathOps, CumsumRejectsBadAxis) {
  EXPECT_THAT(OpError("Cumsum", {F({1, 2}, {2}), I({1}, {})}).message(),
              HasSubstr("Cumsum axis 1 is out of range for a tensor of rank 1"));
  EXPECT_THAT(OpError("Cumsum", {F({1, 2}, {2}), I({0, 0}, {2})}).message(),
              HasSubstr("axis must be a scalar"));
  EXPECT_THAT(OpError("Cumsum", {F({1}, {}), I({0}, {})}).message(), HasSubstr("out of range"));
}

}  // namespace
}  // namespace ckpt
