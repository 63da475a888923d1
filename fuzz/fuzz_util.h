// Helpers shared by the fuzz targets: splitting one input into parts, and checks that abort
// (so libFuzzer reports them) when an invariant of the code under test fails.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "ckpt/core/status.h"
#include "ckpt/format/checkpoint_reader.h"

namespace ckpt::fuzz {

// Reads an input front to back; reading past the end yields zeros / empty strings.
class Input {
 public:
  Input(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), data == nullptr ? 0 : size) {}
  uint8_t Byte() {
    if (rest_.empty()) return 0;
    const uint8_t b = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return b;
  }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{Byte()} << (8 * i);
    return v;
  }
  // The next `n` bytes (fewer at the end).
  std::string_view Take(size_t n) {
    n = std::min(n, rest_.size());
    std::string_view s = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return s;
  }
  // A part prefixed by its little-endian uint32 length.
  std::string_view LengthPrefixed() { return Take(U32()); }
  std::string_view Rest() { return Take(rest_.size()); }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

// Aborts with `what` and the status when `s` is not OK: an invariant the fuzz target relies
// on (writing to a memory Env, re-reading what the code itself wrote) broke.
inline void Check(bool ok, const char* what, const Status& s = Status::OK()) {
  if (!ok) {
    std::fprintf(stderr, "fuzz check failed: %s: %s\n", what, s.ToString().c_str());
    std::abort();
  }
}
inline void CheckOk(const Status& s, const char* what) { Check(s.ok(), what, s); }

// Lists, looks up and verifies every tensor of a reader (the tensor-file targets): a listed
// tensor must be found, and one that reads must have its listed dtype and shape.
inline void ReadEveryTensor(const CheckpointReader& r) {
  for (const auto& v : r.variables()) {
    Check(r.Contains(v.name), "Contains a listed tensor");
    auto t = r.Lookup(v.name);
    if (t.ok()) {
      Check(t->dtype() == v.dtype && t->shape() == v.shape,
            "Lookup gives the listed dtype and shape");
    }
  }
  (void)r.VerifyAll();
}

}  // namespace ckpt::fuzz
