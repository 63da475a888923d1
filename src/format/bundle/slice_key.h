// Keys of slice entries (partitioned tensors in V2 bundles, every record of V1 files):
// TF's OrderedCode "increasing" encoding of (0, name, rank, start_0, length_0, ...).
// Byte layout: docs/format/bundle.md ("Slice keys").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ckpt/core/status.h"
#include "ckpt/format/tensor_slice.h"

namespace ckpt::bundle {

std::string EncodeTensorNameSlice(std::string_view name, const TensorSlice& slice);

// InvalidArgument for keys that are not well-formed slice keys.
Status DecodeTensorNameSlice(std::string_view key, std::string* name, TensorSlice* slice);

namespace ordered_code {
void WriteNumIncreasing(std::string* dest, uint64_t v);
void WriteString(std::string* dest, std::string_view s);
void WriteSignedNumIncreasing(std::string* dest, int64_t v);
// Each consumes from the front of `*src`; false on malformed input.
bool ReadNumIncreasing(std::string_view* src, uint64_t* v);
bool ReadString(std::string_view* src, std::string* s);
bool ReadSignedNumIncreasing(std::string_view* src, int64_t* v);
}  // namespace ordered_code

}  // namespace ckpt::bundle
