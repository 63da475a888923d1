#include "ckpt/core/dtype.h"

#include <array>

namespace ckpt {
namespace {

struct DTypeInfo {
  std::string_view py_name;
  std::string_view enum_name;
  size_t size;  // 0: not a flat POD array
};

// Indexed by enum value 0..33.
constexpr std::array<DTypeInfo, kNumDataTypes> kInfo = {{
    {"invalid", "DT_INVALID", 0},
    {"float32", "DT_FLOAT", 4},
    {"float64", "DT_DOUBLE", 8},
    {"int32", "DT_INT32", 4},
    {"uint8", "DT_UINT8", 1},
    {"int16", "DT_INT16", 2},
    {"int8", "DT_INT8", 1},
    {"string", "DT_STRING", 0},
    {"complex64", "DT_COMPLEX64", 8},
    {"int64", "DT_INT64", 8},
    {"bool", "DT_BOOL", 1},
    {"qint8", "DT_QINT8", 1},
    {"quint8", "DT_QUINT8", 1},
    {"qint32", "DT_QINT32", 4},
    {"bfloat16", "DT_BFLOAT16", 2},
    {"qint16", "DT_QINT16", 2},
    {"quint16", "DT_QUINT16", 2},
    {"uint16", "DT_UINT16", 2},
    {"complex128", "DT_COMPLEX128", 16},
    {"float16", "DT_HALF", 2},
    {"resource", "DT_RESOURCE", 0},
    {"variant", "DT_VARIANT", 0},
    {"uint32", "DT_UINT32", 4},
    {"uint64", "DT_UINT64", 8},
    {"float8_e5m2", "DT_FLOAT8_E5M2", 1},
    {"float8_e4m3fn", "DT_FLOAT8_E4M3FN", 1},
    {"float8_e4m3fnuz", "DT_FLOAT8_E4M3FNUZ", 1},
    {"float8_e4m3b11fnuz", "DT_FLOAT8_E4M3B11FNUZ", 1},
    {"float8_e5m2fnuz", "DT_FLOAT8_E5M2FNUZ", 1},
    {"int4", "DT_INT4", 1},
    {"uint4", "DT_UINT4", 1},
    {"int2", "DT_INT2", 1},
    {"uint2", "DT_UINT2", 1},
    {"float4_e2m1fn", "DT_FLOAT4_E2M1FN", 1},
}};
static_assert(kInfo.size() == 34, "one entry per DataType value");

}  // namespace

bool IsValidDataType(int32_t value) { return value >= 0 && value < kNumDataTypes; }

size_t DataTypeSize(DataType dtype) {
  int v = static_cast<int>(dtype);
  return IsValidDataType(v) ? kInfo[v].size : 0;
}

bool DataTypeIsPod(DataType dtype) { return DataTypeSize(dtype) != 0; }

std::string_view DataTypeName(DataType dtype) {
  int v = static_cast<int>(dtype);
  return IsValidDataType(v) ? kInfo[v].py_name : "invalid";
}

std::string_view DataTypeEnumName(DataType dtype) {
  int v = static_cast<int>(dtype);
  return IsValidDataType(v) ? kInfo[v].enum_name : "DT_INVALID";
}

std::optional<DataType> DataTypeFromName(std::string_view name) {
  if (name == "float") return DataType::kFloat;
  if (name == "double") return DataType::kDouble;
  if (name == "half") return DataType::kHalf;
  for (int v = 1; v < kNumDataTypes; ++v) {
    if (kInfo[v].py_name == name || kInfo[v].enum_name == name) return static_cast<DataType>(v);
  }
  return std::nullopt;
}

bool IsRefType(int32_t value) {
  return value > kDataTypeRefOffset && value < kDataTypeRefOffset + kNumDataTypes;
}

}  // namespace ckpt
