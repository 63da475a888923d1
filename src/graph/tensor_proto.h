// Graph code reaches the TensorProto / TensorShapeProto codec (make_tensor_proto rules for Const
// "value" attrs, shape attrs) through this name; the codec itself lives in the format layer.
#pragma once

#include "ckpt/format/tensor_proto.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"
