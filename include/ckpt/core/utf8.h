// UTF-8 encoding of one code point, shared by the readers and kernels that turn code points
// into text (.npy '<U' strings, JSON \u escapes, string kernels).
// Thread safety: a pure function. Errors: none; see the return value.
#pragma once

#include <cstdint>
#include <string>

namespace ckpt {

// Appends the UTF-8 encoding of `c` to `out`. Returns false (appending nothing) for a value
// that is not a Unicode scalar value: a surrogate (U+D800..U+DFFF) or above U+10FFFF.
inline bool AppendUtf8(uint32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    if (c >= 0xD800 && c < 0xE000) return false;
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x110000) {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    return false;
  }
  return true;
}

}  // namespace ckpt
