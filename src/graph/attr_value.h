// Conversions between ckpt::AttrValue and tensorflow::AttrValue.
#pragma once

#include "ckpt/core/status.h"
#include "ckpt/graph/graph.h"
#include "tensorflow/core/framework/attr_value.pb.h"

namespace ckpt {

// InvalidArgument when a tensor or shape cannot be encoded.
Status AttrValueToProto(const AttrValue& value, tensorflow::AttrValue* proto);
// `op_def_type` ("list(int)", ... or "" when unknown) disambiguates empty lists.
StatusOr<AttrValue> AttrValueFromProto(const tensorflow::AttrValue& proto,
                                       std::string_view op_def_type = "");

}  // namespace ckpt
