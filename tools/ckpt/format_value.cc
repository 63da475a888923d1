// Value formatting shared by the subcommands (text and JSON of tensor elements, shapes) and
// the one way they print JSON.
#include "commands.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <ostream>

namespace ckpt::cli {

std::string FormatShape(const TensorShape& shape) { return shape.DebugString(); }

namespace {

float HalfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(mant), -24);
  } else if (exp == 31) {
    v = mant ? NAN : INFINITY;
  } else {
    v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  }
  return sign ? -v : v;
}

float BFloat16ToFloat(uint16_t b) {
  uint32_t bits = uint32_t{b} << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::string FloatString(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}
std::string FloatString(float v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = s[i + k];
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

std::string Base64(std::string_view s) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((s.size() + 2) / 3 * 4);
  for (size_t i = 0; i < s.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(s[i]) << 16;
    if (i + 1 < s.size()) v |= static_cast<unsigned char>(s[i + 1]) << 8;
    if (i + 2 < s.size()) v |= static_cast<unsigned char>(s[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < s.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < s.size() ? kAlphabet[v & 63] : '=');
  }
  return out;
}

// `text` (FormatValue's shortest round-trip digits) as a JSON number, or as the string itself
// when it is not one (nan, inf, -inf).
nlohmann::json JsonNumber(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return text;
  return j;
}

void AppendNested(const Tensor& t, int dim, int64_t* index, nlohmann::json* out) {
  if (dim == t.shape().rank()) {
    *out = JsonValue(t, (*index)++);
    return;
  }
  *out = nlohmann::json::array();
  for (int64_t i = 0; i < t.shape().dim(dim); ++i) {
    nlohmann::json e;
    AppendNested(t, dim + 1, index, &e);
    out->push_back(std::move(e));
  }
}

}  // namespace

std::string FormatValue(const Tensor& t, int64_t i) {
  const void* p = t.raw_data();
  switch (t.dtype()) {
    case DataType::kFloat: return FloatString(static_cast<const float*>(p)[i]);
    case DataType::kDouble: return FloatString(static_cast<const double*>(p)[i]);
    case DataType::kHalf: return FloatString(HalfToFloat(static_cast<const uint16_t*>(p)[i]));
    case DataType::kBFloat16:
      return FloatString(BFloat16ToFloat(static_cast<const uint16_t*>(p)[i]));
    case DataType::kInt8:
    case DataType::kQInt8:
    case DataType::kInt4:
    case DataType::kInt2: return fmt::format("{}", static_cast<const int8_t*>(p)[i]);
    case DataType::kInt16:
    case DataType::kQInt16: return fmt::format("{}", static_cast<const int16_t*>(p)[i]);
    case DataType::kInt32:
    case DataType::kQInt32: return fmt::format("{}", static_cast<const int32_t*>(p)[i]);
    case DataType::kInt64: return fmt::format("{}", static_cast<const int64_t*>(p)[i]);
    case DataType::kUInt16:
    case DataType::kQUInt16: return fmt::format("{}", static_cast<const uint16_t*>(p)[i]);
    case DataType::kUInt32: return fmt::format("{}", static_cast<const uint32_t*>(p)[i]);
    case DataType::kUInt64: return fmt::format("{}", static_cast<const uint64_t*>(p)[i]);
    case DataType::kBool: return static_cast<const uint8_t*>(p)[i] ? "true" : "false";
    case DataType::kComplex64: {
      const float* c = static_cast<const float*>(p) + 2 * i;
      return "(" + FloatString(c[0]) + (c[1] < 0 ? "" : "+") + FloatString(c[1]) + "j)";
    }
    case DataType::kComplex128: {
      const double* c = static_cast<const double*>(p) + 2 * i;
      return "(" + FloatString(c[0]) + (c[1] < 0 ? "" : "+") + FloatString(c[1]) + "j)";
    }
    case DataType::kString: return JsonBytes(t.strings()[i]).dump();
    default:
      // uint8, quint8, float8 and 4-bit types: the raw byte.
      if (DataTypeSize(t.dtype()) == 1) {
        return fmt::format("{}", static_cast<const uint8_t*>(p)[i]);
      }
      return "?";
  }
}

nlohmann::json JsonBytes(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  return nlohmann::json{{"base64", Base64(s)}};
}

nlohmann::json JsonValue(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kString: return JsonBytes(t.strings()[i]);
    case DataType::kBool: return static_cast<const uint8_t*>(t.raw_data())[i] != 0;
    case DataType::kComplex64: {
      const float* c = static_cast<const float*>(t.raw_data()) + 2 * i;
      return nlohmann::json::array({JsonNumber(FloatString(c[0])), JsonNumber(FloatString(c[1]))});
    }
    case DataType::kComplex128: {
      const double* c = static_cast<const double*>(t.raw_data()) + 2 * i;
      return nlohmann::json::array({JsonNumber(FloatString(c[0])), JsonNumber(FloatString(c[1]))});
    }
    default: return JsonNumber(FormatValue(t, i));
  }
}

nlohmann::json JsonTensor(const Tensor& t) {
  if (t.dtype() == DataType::kResource || t.dtype() == DataType::kVariant) {
    return "<" + std::string(DataTypeName(t.dtype())) + " " + t.shape().DebugString() + ">";
  }
  nlohmann::json out;
  int64_t index = 0;
  AppendNested(t, 0, &index, &out);
  return out;
}

void PrintJson(std::ostream& out, const nlohmann::json& j) {
  out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

}  // namespace ckpt::cli
