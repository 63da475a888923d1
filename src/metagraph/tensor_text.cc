#include "ckpt/metagraph/tensor_text.h"

#include "ckpt/core/utf8.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

namespace ckpt {

namespace {

// Values of a JSON literal, flattened, with the shape implied by nesting. An integer literal
// is kept exactly (int64_t, or uint64_t above INT64_MAX), so 64-bit values do not round through
// a double; other numbers are doubles.
using Scalar = std::variant<double, bool, std::string, int64_t, uint64_t>;

// The literal as an exact integer when it is one that fits 64 bits (-?[0-9]+).
std::optional<Scalar> ExactInteger(const std::string& tok) {
  const char* first = tok.data();
  const char* last = first + tok.size();
  const bool negative = first != last && *first == '-';
  if (first + negative == last ||
      !std::all_of(first + negative, last, [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int64_t i = 0;
  if (auto [p, ec] = std::from_chars(first, last, i); ec == std::errc() && p == last) return i;
  uint64_t u = 0;
  if (!negative) {
    if (auto [p, ec] = std::from_chars(first, last, u); ec == std::errc() && p == last) return u;
  }
  return std::nullopt;  // beyond 64 bits: a double, which no integer dtype accepts
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Status Parse(std::vector<Scalar>* values, std::vector<int64_t>* dims) {
    std::vector<int64_t> shape;
    CKPT_RETURN_IF_ERROR(Value(0, &shape, values));
    Skip();
    if (pos_ != s_.size()) return Error("unexpected text after the value");
    *dims = shape;
    return Status::OK();
  }

 private:
  static constexpr int kMaxDepth = 32;

  // Four hex digits at pos_ + 1 (pos_ is on the 'u' of "\\u"); pos_ ends after them.
  bool Hex4(uint32_t* v) {
    if (pos_ + 4 >= s_.size()) return false;
    *v = 0;
    for (size_t i = pos_ + 1; i <= pos_ + 4; ++i) {
      const char c = s_[i];
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) return false;
      *v = *v * 16 + static_cast<uint32_t>(d);
    }
    pos_ += 5;
    return true;
  }

  // JSON's \\uXXXX (a UTF-16 unit; a surrogate pair is one code point), appended as UTF-8.
  Status UnicodeEscape(std::string* out) {
    uint32_t cp = 0;
    if (!Hex4(&cp)) return Error("\\u must be followed by four hex digits");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t lo = 0;
      if (s_.substr(pos_, 2) != "\\u" || (++pos_, !Hex4(&lo)) || lo < 0xDC00 || lo > 0xDFFF) {
        return Error("unpaired UTF-16 surrogate in \\u escape");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return Error("unpaired UTF-16 surrogate in \\u escape");
    }
    AppendUtf8(cp, out);  // surrogates were refused above; cp <= U+10FFFF
    return Status::OK();
  }

  Status Error(const std::string& what) const {
    return InvalidArgumentError("malformed tensor value '" + std::string(s_) + "' at offset " +
                                std::to_string(pos_) + ": " + what);
  }
  void Skip() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }

  // Parses one value at nesting `depth`; `shape` receives its shape (dims below depth).
  Status Value(int depth, std::vector<int64_t>* shape, std::vector<Scalar>* out) {
    if (depth > kMaxDepth) return Error("nesting deeper than 32");
    Skip();
    if (pos_ >= s_.size()) return Error("value expected");
    char c = s_[pos_];
    if (c == '[') {
      ++pos_;
      int64_t n = 0;
      std::vector<int64_t> elem_shape;
      bool first = true;
      Skip();
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        shape->assign({0});
        return Status::OK();
      }
      while (true) {
        std::vector<int64_t> sub;
        CKPT_RETURN_IF_ERROR(Value(depth + 1, &sub, out));
        if (first) {
          elem_shape = sub;
          first = false;
        } else if (sub != elem_shape) {
          return Error("ragged list (elements of different shapes)");
        }
        ++n;
        Skip();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == ']') {
          ++pos_;
          break;
        }
        return Error("',' or ']' expected");
      }
      shape->assign({n});
      shape->insert(shape->end(), elem_shape.begin(), elem_shape.end());
      return Status::OK();
    }
    shape->clear();
    if (c == '"') {
      ++pos_;
      std::string v;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) {
          const char e = s_[++pos_];
          if (e == 'u') {
            CKPT_RETURN_IF_ERROR(UnicodeEscape(&v));
            continue;
          }
          v += e == 'n'   ? '\n'
               : e == 't' ? '\t'
               : e == 'r' ? '\r'
               : e == 'b' ? '\b'
               : e == 'f' ? '\f'
                          : e;
        } else {
          v += s_[pos_];
        }
        ++pos_;
      }
      if (pos_ >= s_.size()) return Error("unterminated string");
      ++pos_;
      out->emplace_back(std::move(v));
      return Status::OK();
    }
    if (s_.substr(pos_, 4) == "true") {
      pos_ += 4;
      out->emplace_back(true);
      return Status::OK();
    }
    if (s_.substr(pos_, 5) == "false") {
      pos_ += 5;
      out->emplace_back(false);
      return Status::OK();
    }
    size_t end = pos_;
    while (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) ||
                               s_[end] == '-' || s_[end] == '+' || s_[end] == '.')) {
      ++end;
    }
    std::string tok(s_.substr(pos_, end - pos_));
    if (tok.empty()) return Error("value expected");
    if (std::optional<Scalar> exact = ExactInteger(tok)) {
      pos_ = end;
      out->push_back(std::move(*exact));
      return Status::OK();
    }
    double d = 0;
    if (tok == "nan" || tok == "NaN") {
      d = std::numeric_limits<double>::quiet_NaN();
    } else if (tok == "inf" || tok == "Infinity") {
      d = std::numeric_limits<double>::infinity();
    } else if (tok == "-inf" || tok == "-Infinity") {
      d = -std::numeric_limits<double>::infinity();
    } else {
      auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), d);
      if (ec != std::errc() || p != tok.data() + tok.size()) {
        return Error("'" + tok + "' is not a number");
      }
    }
    pos_ = end;
    out->emplace_back(d);
    return Status::OK();
  }

  std::string_view s_;
  size_t pos_ = 0;
};

Status OutOfRange(size_t i, const std::string& value, const Tensor& t) {
  return InvalidArgumentError("element " + std::to_string(i) + " (" + value + ") is not a valid " +
                              std::string(DataTypeName(t.dtype())));
}

template <typename T>
Status FillInts(const std::vector<Scalar>& v, Tensor* t) {
  for (size_t i = 0; i < v.size(); ++i) {
    T& dst = t->data<T>()[i];
    if (const bool* b = std::get_if<bool>(&v[i])) {
      dst = *b ? 1 : 0;
    } else if (const int64_t* x = std::get_if<int64_t>(&v[i])) {
      if (!std::in_range<T>(*x)) return OutOfRange(i, std::to_string(*x), *t);
      dst = static_cast<T>(*x);
    } else if (const uint64_t* u = std::get_if<uint64_t>(&v[i])) {
      if (!std::in_range<T>(*u)) return OutOfRange(i, std::to_string(*u), *t);
      dst = static_cast<T>(*u);
    } else if (const double* x = std::get_if<double>(&v[i])) {
      // An integral double (1e3, 2.0) in range is taken; max() of a 64-bit type rounds up to
      // 2^64 (2^63) as a double, so compare against the exact power of two above it.
      const double d = *x;
      if (std::floor(d) != d || d < static_cast<double>(std::numeric_limits<T>::lowest()) ||
          d >= std::ldexp(1.0, std::numeric_limits<T>::digits)) {
        return OutOfRange(i, std::to_string(d), *t);
      }
      dst = static_cast<T>(d);
    } else {
      return InvalidArgumentError("element " + std::to_string(i) + " is a string, expected " +
                                  std::string(DataTypeName(t->dtype())));
    }
  }
  return Status::OK();
}

// A number or bool scalar as a double (nullopt for a string).
std::optional<double> AsDouble(const Scalar& v) {
  if (const double* x = std::get_if<double>(&v)) return *x;
  if (const int64_t* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (const uint64_t* u = std::get_if<uint64_t>(&v)) return static_cast<double>(*u);
  if (const bool* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
  return std::nullopt;
}

template <typename T>
Status FillFloats(const std::vector<Scalar>& v, Tensor* t) {
  for (size_t i = 0; i < v.size(); ++i) {
    const std::optional<double> d = AsDouble(v[i]);
    if (!d) {
      return InvalidArgumentError("element " + std::to_string(i) + " is a string, expected " +
                                  std::string(DataTypeName(t->dtype())));
    }
    t->data<T>()[i] = static_cast<T>(*d);
  }
  return Status::OK();
}

template <typename T>
void AppendNumber(std::string* out, T v) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v)) {
      *out += "\"nan\"";
      return;
    }
    if (std::isinf(v)) {
      *out += v > 0 ? "\"inf\"" : "\"-inf\"";
      return;
    }
    char buf[64];
    auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    out->append(buf, p);
  } else if constexpr (std::is_same_v<T, bool>) {
    *out += v ? "true" : "false";
  } else {
    *out += std::to_string(v);
  }
}

void AppendString(std::string* out, const std::string& s) {
  *out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      *out += '\\';
      *out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      *out += buf;
    } else {
      *out += static_cast<char>(c);
    }
  }
  *out += '"';
}

template <typename F>
void Nest(const TensorShape& shape, int dim, int64_t* index, std::string* out, F&& elem) {
  if (dim == shape.rank()) {
    elem((*index)++);
    return;
  }
  *out += '[';
  for (int64_t i = 0; i < shape.dim(dim); ++i) {
    if (i) *out += ',';
    Nest(shape, dim + 1, index, out, elem);
  }
  *out += ']';
}

}  // namespace

StatusOr<Tensor> ParseTensorJson(std::string_view text, DataType dtype, const PartialShape& want) {
  std::vector<Scalar> values;
  std::vector<int64_t> dims;
  CKPT_RETURN_IF_ERROR(Parser(text).Parse(&values, &dims));
  CKPT_ASSIGN_OR_RETURN(TensorShape shape, TensorShape::FromDims(dims));
  if (!want.IsCompatibleWith(shape)) {
    if (want.IsFullyDefined()) {
      TensorShape w;
      for (int64_t d : want.dims()) w.AddDim(d);
      if (w.num_elements() == shape.num_elements()) shape = w;
    }
    if (!want.IsCompatibleWith(shape)) {
      return InvalidArgumentError("value '" + std::string(text) + "' has shape " +
                                  shape.DebugString() + ", expected " + want.DebugString());
    }
  }
  CKPT_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(dtype, shape));
  Status s;
  switch (dtype) {
    case DataType::kFloat: s = FillFloats<float>(values, &t); break;
    case DataType::kDouble: s = FillFloats<double>(values, &t); break;
    case DataType::kInt8: s = FillInts<int8_t>(values, &t); break;
    case DataType::kInt16: s = FillInts<int16_t>(values, &t); break;
    case DataType::kInt32: s = FillInts<int32_t>(values, &t); break;
    case DataType::kInt64: s = FillInts<int64_t>(values, &t); break;
    case DataType::kUInt8: s = FillInts<uint8_t>(values, &t); break;
    case DataType::kUInt16: s = FillInts<uint16_t>(values, &t); break;
    case DataType::kUInt32: s = FillInts<uint32_t>(values, &t); break;
    case DataType::kUInt64: s = FillInts<uint64_t>(values, &t); break;
    case DataType::kBool:
      for (size_t i = 0; i < values.size(); ++i) {
        if (const std::optional<double> d = AsDouble(values[i])) {
          t.data<bool>()[i] = *d != 0;
        } else {
          return InvalidArgumentError("element " + std::to_string(i) +
                                      " is a string, expected bool");
        }
      }
      break;
    case DataType::kString:
      for (size_t i = 0; i < values.size(); ++i) {
        const std::string* str = std::get_if<std::string>(&values[i]);
        if (str == nullptr) {
          return InvalidArgumentError("element " + std::to_string(i) +
                                      " is not a string, expected string");
        }
        t.strings()[i] = *str;
      }
      break;
    default:
      return InvalidArgumentError("cannot parse a value of dtype " +
                                  std::string(DataTypeName(dtype)));
  }
  if (!s.ok())
    return InvalidArgumentError("value '" + std::string(text) + "': " + std::string(s.message()));
  return t;
}

std::string TensorToJson(const Tensor& t) {
  std::string out;
  int64_t index = 0;
  auto run = [&](auto tag) {
    using T = decltype(tag);
    Nest(t.shape(), 0, &index, &out, [&](int64_t i) { AppendNumber<T>(&out, t.data<T>()[i]); });
  };
  switch (t.dtype()) {
    case DataType::kFloat: run(float{}); break;
    case DataType::kDouble: run(double{}); break;
    case DataType::kInt8: run(int8_t{}); break;
    case DataType::kInt16: run(int16_t{}); break;
    case DataType::kInt32: run(int32_t{}); break;
    case DataType::kInt64: run(int64_t{}); break;
    case DataType::kUInt8: run(uint8_t{}); break;
    case DataType::kUInt16: run(uint16_t{}); break;
    case DataType::kUInt32: run(uint32_t{}); break;
    case DataType::kUInt64: run(uint64_t{}); break;
    case DataType::kBool: run(bool{}); break;
    case DataType::kString:
      Nest(t.shape(), 0, &index, &out, [&](int64_t i) { AppendString(&out, t.strings()[i]); });
      break;
    default:
      AppendString(
          &out, "<" + std::string(DataTypeName(t.dtype())) + " " + t.shape().DebugString() + ">");
  }
  return out;
}

}  // namespace ckpt
