// DataType: TensorFlow's element types, with TF's numeric enum values (they go on the wire).
//
// Every dtype that can appear in a checkpoint is listed. Quantized, float8 and 4-bit types
// are carried as raw bytes (ckpt does no arithmetic on them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ckpt {

enum class DataType : int32_t {
  kInvalid = 0,
  kFloat = 1,
  kDouble = 2,
  kInt32 = 3,
  kUInt8 = 4,
  kInt16 = 5,
  kInt8 = 6,
  kString = 7,
  kComplex64 = 8,
  kInt64 = 9,
  kBool = 10,
  kQInt8 = 11,
  kQUInt8 = 12,
  kQInt32 = 13,
  kBFloat16 = 14,
  kQInt16 = 15,
  kQUInt16 = 16,
  kUInt16 = 17,
  kComplex128 = 18,
  kHalf = 19,
  kResource = 20,
  kVariant = 21,
  kUInt32 = 22,
  kUInt64 = 23,
  kFloat8E5M2 = 24,
  kFloat8E4M3FN = 25,
  kFloat8E4M3FNUZ = 26,
  kFloat8E4M3B11FNUZ = 27,
  kFloat8E5M2FNUZ = 28,
  kInt4 = 29,
  kUInt4 = 30,
  kInt2 = 31,
  kUInt2 = 32,
  kFloat4E2M1FN = 33,
};
inline constexpr int kNumDataTypes = 34;        // 0 .. 33
inline constexpr int kDataTypeRefOffset = 100;  // DT_FLOAT_REF = 101, ...

// True for every value in [0, 33].
bool IsValidDataType(int32_t value);

// Bytes per element for fixed-size types stored memcpy-able in bundles; 0 for kString,
// kVariant, kResource and kInvalid. 4-bit and 2-bit types occupy one byte per element in
// checkpoints.
size_t DataTypeSize(DataType dtype);

// True when a tensor of this type is a flat array of DataTypeSize()-byte elements.
bool DataTypeIsPod(DataType dtype);

// TensorFlow's Python name: "float32", "int64", "string", "bfloat16", "qint8", ... .
// "invalid" for an unknown value.
std::string_view DataTypeName(DataType dtype);

// TensorFlow's enum name: "DT_FLOAT", "DT_INT64", ...
std::string_view DataTypeEnumName(DataType dtype);

// Parses a Python name ("float32", also "float"/"double"/"half" aliases) or an enum name
// ("DT_FLOAT"). std::nullopt when unknown.
std::optional<DataType> DataTypeFromName(std::string_view name);

// Ref types (DT_FLOAT_REF = 101 ...) as used by VariableV2 outputs in graphs.
bool IsRefType(int32_t value);
inline DataType BaseType(int32_t value) {
  return static_cast<DataType>(value >= kDataTypeRefOffset ? value - kDataTypeRefOffset : value);
}

// Compile-time mapping from C++ type to DataType.
template <typename T>
struct DataTypeOf;
#define CKPT_DTYPE_OF_(T, DT)             \
  template <>                             \
  struct DataTypeOf<T> {                  \
    static constexpr DataType value = DT; \
  }
CKPT_DTYPE_OF_(float, DataType::kFloat);
CKPT_DTYPE_OF_(double, DataType::kDouble);
CKPT_DTYPE_OF_(int32_t, DataType::kInt32);
CKPT_DTYPE_OF_(uint8_t, DataType::kUInt8);
CKPT_DTYPE_OF_(int16_t, DataType::kInt16);
CKPT_DTYPE_OF_(int8_t, DataType::kInt8);
CKPT_DTYPE_OF_(int64_t, DataType::kInt64);
CKPT_DTYPE_OF_(bool, DataType::kBool);
CKPT_DTYPE_OF_(uint16_t, DataType::kUInt16);
CKPT_DTYPE_OF_(uint32_t, DataType::kUInt32);
CKPT_DTYPE_OF_(uint64_t, DataType::kUInt64);
#undef CKPT_DTYPE_OF_

}  // namespace ckpt
