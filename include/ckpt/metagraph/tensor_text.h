// Tensors as JSON text, for command-line feeds and fetches (`ckpt run --feed x:0=[[1],[2]]`).
//
// Thread safety: free functions.
#pragma once

#include <string>
#include <string_view>

#include "ckpt/core/dtype.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/core/tensor_shape.h"

namespace ckpt {

// Parses a JSON number, boolean, string or (nested, rectangular) list of them into a tensor
// of `dtype`. The nesting gives the shape; when it does not fit `want` but has as many
// elements as `want`'s fully defined shape, it is reshaped to it (so "2.4" feeds a [1]
// placeholder). InvalidArgument naming the position for malformed text, ragged lists, values
// that do not convert (a string for a float, 1.5 for an int, out of range) or a shape
// incompatible with `want`. Supported dtypes: float, double, int8/16/32/64, uint8/16/32/64,
// bool, string.
StatusOr<Tensor> ParseTensorJson(std::string_view text, DataType dtype,
                                 const PartialShape& want = PartialShape());

// JSON text of a tensor: nested lists following its shape (a scalar is a bare value); floats
// printed with enough digits to round-trip (NaN/Inf as the strings "nan"/"inf"/"-inf").
// Unsupported dtypes (complex, resource, variant...) give a JSON string describing the tensor.
std::string TensorToJson(const Tensor& t);

}  // namespace ckpt
