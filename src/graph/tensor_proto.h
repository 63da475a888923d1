// Conversions between ckpt::Tensor and tensorflow::TensorProto (Const "value" attrs,
// tensor-valued attrs), following TF's encoding rules.
//
// Thread safety: free functions.
#pragma once

#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"

namespace ckpt {

// Encodes `t` as Python's tf.make_tensor_proto(ndarray) does: one-element tensors and
// strings in the typed *_val fields, others in tensor_content (little-endian bytes).
void TensorToProto(const Tensor& t, tensorflow::TensorProto* proto);
// Python's make_tensor_proto(scalar, shape=shape): one *_val element meaning "every element".
// REQUIRES: `value` is a scalar (or one-element) tensor.
void SplatTensorToProto(const Tensor& value, const TensorShape& shape,
                        tensorflow::TensorProto* proto);
// Decodes any valid TensorProto form (tensor_content, full or truncated *_val repeated to fill
// as TF does, empty = zeros). InvalidArgument/DataLoss for bad dtype, shape, or sizes.
StatusOr<Tensor> TensorFromProto(const tensorflow::TensorProto& proto);

void PartialShapeToProto(const PartialShape& shape, tensorflow::TensorShapeProto* proto);
// InvalidArgument for dims < -1 or rank above kMaxTensorRank.
StatusOr<PartialShape> PartialShapeFromProto(const tensorflow::TensorShapeProto& proto);

}  // namespace ckpt
