// The one TensorProto / TensorShapeProto codec (ckpt/format/tensor_proto.h).
#include "ckpt/format/tensor_proto.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ckpt {
namespace {

TEST(TensorProtoCodec, MakeTensorProtoLayout) {
  // Like tf.make_tensor_proto: several numbers go to tensor_content, one to the typed field.
  tensorflow::TensorProto p;
  TensorToProto(Tensor::FromVector(std::vector<float>{1.5f, -2.f}, TensorShape{2}), &p);
  EXPECT_EQ(p.dtype(), tensorflow::DT_FLOAT);
  EXPECT_EQ(p.tensor_content().size(), 8u);
  EXPECT_EQ(p.float_val_size(), 0);
  TensorToProto(Tensor::Scalar<float>(3.f), &p);
  EXPECT_TRUE(p.tensor_content().empty());
  ASSERT_EQ(p.float_val_size(), 1);
  EXPECT_EQ(p.float_val(0), 3.f);
  EXPECT_EQ(p.tensor_shape().dim_size(), 0);
}

TEST(TensorProtoCodec, TruncatedValuesRepeatTheLastAsTF) {
  tensorflow::TensorProto p;
  p.set_dtype(tensorflow::DT_INT64);
  p.mutable_tensor_shape()->add_dim()->set_size(4);
  p.add_int64_val(7);
  p.add_int64_val(9);
  auto t = TensorFromProto(p);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->Equals(Tensor::FromVector(std::vector<int64_t>{7, 9, 9, 9}, TensorShape{4})));
  // More values than elements is an error naming the field.
  for (int i = 0; i < 3; ++i) p.add_int64_val(1);
  auto bad = TensorFromProto(p);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("5 int64 values for 4 elements"), std::string::npos)
      << bad.status().ToString();
}

// A string splat repeats the last value into every remaining element, each its own copy: the
// 1 GiB expansion limit counts those bytes, so a 4 KiB value over 1M elements is refused
// before allocating, and a short one over as many elements still decodes.
TEST(TensorProtoCodec, StringSplatCountsTheRepeatedBytes) {
  tensorflow::TensorProto p;
  p.set_dtype(tensorflow::DT_STRING);
  p.mutable_tensor_shape()->add_dim()->set_size(1 << 20);
  p.add_string_val("first");
  p.add_string_val(std::string(4096, 'x'));
  auto big = TensorFromProto(p);
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("repeats a 4096-byte value to more than 1 GiB"),
            std::string::npos)
      << big.status().ToString();
  p.set_string_val(1, "short");
  auto ok = TensorFromProto(p);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->strings()[0], "first");
  EXPECT_EQ(ok->strings()[(1 << 20) - 1], "short");
}

// The repeated tail is filled by doubling copies: every length and element size comes out as
// element-by-element repetition would.
TEST(TensorProtoCodec, RepeatedTailOfEveryLength) {
  for (int n = 3; n <= 70; ++n) {
    tensorflow::TensorProto p;
    p.set_dtype(tensorflow::DT_INT16);
    p.mutable_tensor_shape()->add_dim()->set_size(n);
    p.add_int_val(5);
    p.add_int_val(-6);
    auto t = TensorFromProto(p);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    std::vector<int16_t> want(n, -6);
    want[0] = 5;
    EXPECT_TRUE(t->Equals(Tensor::FromVector(want, TensorShape{n}))) << "n = " << n;
  }
  tensorflow::TensorProto c;
  c.set_dtype(tensorflow::DT_COMPLEX64);
  c.mutable_tensor_shape()->add_dim()->set_size(5);
  c.add_scomplex_val(1.f);
  c.add_scomplex_val(2.f);
  auto t = TensorFromProto(c);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(t->data<float>()[2 * i], 1.f);
    EXPECT_EQ(t->data<float>()[2 * i + 1], 2.f);
  }
}

TEST(TensorProtoCodec, BoolContentHoldsOnlyZeroAndOne) {
  tensorflow::TensorProto p;
  p.set_dtype(tensorflow::DT_BOOL);
  p.mutable_tensor_shape()->add_dim()->set_size(2);
  p.set_tensor_content(std::string("\x01\x00", 2));
  ASSERT_TRUE(TensorFromProto(p).ok());
  p.set_tensor_content(std::string("\x01\xff", 2));
  auto bad = TensorFromProto(p);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(
      bad.status().message().find("bool tensor_content: element 1 is byte 255, expected 0 or 1"),
      std::string::npos)
      << bad.status().ToString();
}

TEST(TensorProtoCodec, TypedValuesRoundTrip) {
  // What the V1 writer stores and the V1 reader reads: every element in the typed field.
  const Tensor t = Tensor::FromVector(std::vector<int32_t>{-3, 0, 70000}, TensorShape{3});
  tensorflow::TensorProto p;
  AppendTensorValues(t, 0, t.num_elements(), &p);
  EXPECT_EQ(p.int_val_size(), 3);
  EXPECT_EQ(TypedValueCount(p, DataType::kInt32), 3);
  auto out = Tensor::Allocate(DataType::kInt32, TensorShape{3});
  ASSERT_TRUE(out.ok());
  CopyTypedValues(p, 3, &*out);
  EXPECT_TRUE(out->Equals(t));
  // Complex values are component pairs; an odd count is no valid count.
  tensorflow::TensorProto c;
  c.add_scomplex_val(1.f);
  c.add_scomplex_val(2.f);
  EXPECT_EQ(TypedValueCount(c, DataType::kComplex64), 1);
  c.add_scomplex_val(3.f);
  EXPECT_EQ(TypedValueCount(c, DataType::kComplex64), -1);
}

TEST(TensorProtoCodec, ShapesFromFilesAreChecked) {
  tensorflow::TensorShapeProto s;
  s.add_dim()->set_size(2);
  s.add_dim()->set_size(3);
  auto shape = ShapeFromProto(s);
  ASSERT_TRUE(shape.ok());
  EXPECT_EQ(shape->num_elements(), 6);
  tensorflow::TensorShapeProto back;
  ShapeToProto(*shape, &back);
  EXPECT_EQ(back.SerializeAsString(), s.SerializeAsString());
  s.add_dim()->set_size(-1);
  EXPECT_EQ(ShapeFromProto(s).status().code(), StatusCode::kInvalidArgument);
  // A partial shape accepts -1 but not unknown_rank with dims.
  auto partial = PartialShapeFromProto(s);
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->IsFullyDefined());
  s.set_unknown_rank(true);
  EXPECT_EQ(PartialShapeFromProto(s).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ckpt
