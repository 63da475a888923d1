#include "format/bundle/slice_key.h"

#include <limits>

namespace ckpt::bundle {
namespace ordered_code {

void WriteNumIncreasing(std::string* dest, uint64_t v) {
  unsigned char buf[9];
  int len = 0;
  for (uint64_t x = v; x != 0; x >>= 8) ++len;
  buf[0] = static_cast<unsigned char>(len);
  for (int i = 0; i < len; ++i) buf[len - i] = static_cast<unsigned char>(v >> (8 * i));
  dest->append(reinterpret_cast<const char*>(buf), len + 1);
}

bool ReadNumIncreasing(std::string_view* src, uint64_t* v) {
  if (src->empty()) return false;
  size_t len = static_cast<unsigned char>((*src)[0]);
  if (len > 8 || src->size() < len + 1) return false;
  uint64_t x = 0;
  for (size_t i = 0; i < len; ++i) x = (x << 8) | static_cast<unsigned char>((*src)[1 + i]);
  *v = x;
  src->remove_prefix(len + 1);
  return true;
}

void WriteString(std::string* dest, std::string_view s) {
  for (char c : s) {
    if (c == '\x00') {
      dest->append("\x00\xff", 2);
    } else if (c == '\xff') {
      dest->append("\xff\x00", 2);
    } else {
      dest->push_back(c);
    }
  }
  dest->append("\x00\x01", 2);
}

bool ReadString(std::string_view* src, std::string* s) {
  s->clear();
  size_t i = 0;
  while (i < src->size()) {
    char c = (*src)[i];
    if (c != '\x00' && c != '\xff') {
      s->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= src->size()) return false;
    char next = (*src)[i + 1];
    if (c == '\x00' && next == '\x01') {
      src->remove_prefix(i + 2);
      return true;
    }
    if (c == '\x00' && next == '\xff') {
      s->push_back('\x00');
    } else if (c == '\xff' && next == '\x00') {
      s->push_back('\xff');
    } else {
      return false;
    }
    i += 2;
  }
  return false;
}

// Signed numbers: n bytes carry 7n-1 value bits (n <= 10); the first byte(s) hold n as a run
// of header bits, XOR-ed so that larger numbers sort later and negatives first.
void WriteSignedNumIncreasing(std::string* dest, int64_t v) {
  uint64_t x = v < 0 ? ~static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  if (x < 64) {
    dest->push_back(static_cast<char>(0x80 ^ (static_cast<uint64_t>(v) & 0xff)));
    return;
  }
  int n = 2;
  // n bytes hold values with |x| < 2^(7n-1); n = 10 covers everything.
  while (n < 10 && (x >> (7 * n - 1)) != 0) ++n;
  unsigned char buf[10];
  uint64_t u = static_cast<uint64_t>(v);
  uint64_t sign_fill = v < 0 ? 0xff : 0x00;
  for (int i = 0; i < n; ++i) {
    int shift = 8 * (n - 1 - i);
    buf[i] = shift >= 64 ? static_cast<unsigned char>(sign_fill)
                         : static_cast<unsigned char>(u >> shift);
  }
  // Header bits for n bytes: n ones then a zero (spilling into the second byte for n >= 8).
  static const unsigned char kHeader[11][2] = {{0, 0},    {0x80, 0},    {0xc0, 0},   {0xe0, 0},
                                               {0xf0, 0}, {0xf8, 0},    {0xfc, 0},   {0xfe, 0},
                                               {0xff, 0}, {0xff, 0x80}, {0xff, 0xc0}};
  buf[0] ^= kHeader[n][0];
  buf[1] ^= kHeader[n][1];
  dest->append(reinterpret_cast<const char*>(buf), n);
}

bool ReadSignedNumIncreasing(std::string_view* src, int64_t* v) {
  if (src->empty()) return false;
  unsigned char first = static_cast<unsigned char>((*src)[0]);
  // Positive numbers start with a 1 bit; negative ones are the complement.
  const unsigned char xor_mask = (first & 0x80) ? 0x00 : 0xff;
  unsigned char b0 = first ^ xor_mask;
  int n;
  if (b0 != 0xff) {
    n = 0;
    for (unsigned char m = 0x80; m != 0 && (b0 & m); m >>= 1) ++n;
  } else {
    if (src->size() < 2) return false;
    unsigned char b1 = static_cast<unsigned char>((*src)[1]) ^ xor_mask;
    if ((b1 & 0x80) == 0) {
      n = 8;
    } else if ((b1 & 0x40) == 0) {
      n = 9;
    } else {
      n = 10;
    }
  }
  if (n < 1 || n > 10 || src->size() < static_cast<size_t>(n)) return false;
  unsigned char buf[10];
  for (int i = 0; i < n; ++i) buf[i] = static_cast<unsigned char>((*src)[i]) ^ xor_mask;
  // Strip header bits (now the leading ones of the positive form).
  static const unsigned char kHeader[11][2] = {{0, 0},    {0x80, 0},    {0xc0, 0},   {0xe0, 0},
                                               {0xf0, 0}, {0xf8, 0},    {0xfc, 0},   {0xfe, 0},
                                               {0xff, 0}, {0xff, 0x80}, {0xff, 0xc0}};
  buf[0] ^= kHeader[n][0];
  if (n > 1) buf[1] ^= kHeader[n][1];
  uint64_t x = 0;
  for (int i = 0; i < n; ++i) {
    if (i < n - 8 && buf[i] != 0) return false;  // would not fit in 64 bits
    x = (x << 8) | buf[i];
  }
  // x is the positive form (~v for negatives).
  if (n >= 10 && (x >> 63) != 0) return false;
  int64_t value = static_cast<int64_t>(x);
  *v = xor_mask ? ~value : value;
  src->remove_prefix(n);
  return true;
}

}  // namespace ordered_code

std::string EncodeTensorNameSlice(std::string_view name, const TensorSlice& slice) {
  std::string key;
  ordered_code::WriteNumIncreasing(&key, 0);
  ordered_code::WriteString(&key, name);
  ordered_code::WriteNumIncreasing(&key, static_cast<uint64_t>(slice.rank()));
  for (int d = 0; d < slice.rank(); ++d) {
    const TensorSlice::Extent& e = slice.extent(d);
    bool full = e.length == TensorSlice::kFullExtent;
    ordered_code::WriteSignedNumIncreasing(&key, full ? 0 : e.start);
    ordered_code::WriteSignedNumIncreasing(&key, full ? -1 : e.length);
  }
  return key;
}

Status DecodeTensorNameSlice(std::string_view key, std::string* name, TensorSlice* slice) {
  auto bad = [&](std::string_view what) {
    return InvalidArgumentError("malformed slice key (" + std::string(what) + ")");
  };
  std::string_view src = key;
  uint64_t zero, rank;
  if (!ordered_code::ReadNumIncreasing(&src, &zero) || zero != 0) return bad("leading number");
  if (!ordered_code::ReadString(&src, name)) return bad("name");
  if (!ordered_code::ReadNumIncreasing(&src, &rank)) return bad("rank");
  // Each dimension takes at least two bytes; this also bounds the allocation.
  if (rank > src.size() / 2 || rank >= std::numeric_limits<int32_t>::max()) return bad("rank");
  std::vector<TensorSlice::Extent> extents(rank);
  for (uint64_t d = 0; d < rank; ++d) {
    int64_t start, length;
    if (!ordered_code::ReadSignedNumIncreasing(&src, &start) ||
        !ordered_code::ReadSignedNumIncreasing(&src, &length)) {
      return bad("extent");
    }
    if (length == -1) {
      if (start != 0) return bad("full extent with a start");
      extents[d] = TensorSlice::Extent{0, TensorSlice::kFullExtent};
    } else {
      if (start < 0 || length < 0 || start > std::numeric_limits<int64_t>::max() - length) {
        return bad("extent");
      }
      extents[d] = TensorSlice::Extent{start, length};
    }
  }
  if (!src.empty()) return bad("trailing bytes");
  *slice = TensorSlice(std::move(extents));
  return Status();
}

}  // namespace ckpt::bundle
