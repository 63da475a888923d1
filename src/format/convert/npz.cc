// NumPy .npz archives: a zip of NAME.npy members (format: include/ckpt/format/tensor_files.h).
#include <zlib.h>

#include <algorithm>
#include <charconv>

#include "ckpt/core/utf8.h"
#include "ckpt/format/tensor_files.h"
#include "format/bool_bytes.h"
#include "format/convert/tensor_files_internal.h"

namespace ckpt {
namespace {

using internal::LoadLE;
using internal::StoreLE;

struct NpyType {
  DataType dtype;
  std::string_view descr;
};
constexpr NpyType kNpyTypes[] = {
    {DataType::kBool, "|b1"},      {DataType::kUInt8, "|u1"},       {DataType::kInt8, "|i1"},
    {DataType::kUInt16, "<u2"},    {DataType::kInt16, "<i2"},       {DataType::kHalf, "<f2"},
    {DataType::kUInt32, "<u4"},    {DataType::kInt32, "<i4"},       {DataType::kFloat, "<f4"},
    {DataType::kUInt64, "<u8"},    {DataType::kInt64, "<i8"},       {DataType::kDouble, "<f8"},
    {DataType::kComplex64, "<c8"}, {DataType::kComplex128, "<c16"},
};

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr uint64_t kMaxNpyHeader = 1 << 20;
// Deflate cannot compress better than about 1032:1; a member claiming more is corrupt.
constexpr uint64_t kMaxDeflateRatio = 1100;

struct Member {
  std::string name;  // without ".npy"
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t compressed = 0, uncompressed = 0, local_offset = 0;
  uint64_t data_offset = 0;  // of the compressed bytes in the archive
  uint64_t npy_header = 0;   // bytes of the .npy header (magic included)
  CheckpointTensorInfo info;
};

// Reads a member's uncompressed bytes sequentially.
class MemberStream {
 public:
  MemberStream(const RandomAccessFile& file, const Member& m) : file_(file), m_(m) {}
  ~MemberStream() {
    if (inflating_) inflateEnd(&zs_);
  }
  Status Read(char* dst, uint64_t n, const std::string& what) {
    if (n > m_.uncompressed - out_pos_) {
      return DataLossError(file_.path() + ": member " + m_.name + ".npy: " + what +
                           " runs past the member's " + std::to_string(m_.uncompressed) + " bytes");
    }
    if (m_.method == 0) {
      CKPT_RETURN_IF_ERROR(internal::ReadExact(file_, m_.data_offset + out_pos_, n, dst, what));
      out_pos_ += n;
      return Status();
    }
    if (!inflating_) {
      zs_ = {};
      if (inflateInit2(&zs_, -MAX_WBITS) != Z_OK) return InternalError("zlib inflateInit2 failed");
      inflating_ = true;
    }
    uint64_t done = 0;
    while (done < n) {
      if (zs_.avail_in == 0) {
        uint64_t left = m_.compressed - in_pos_;
        if (left == 0) break;
        size_t chunk = static_cast<size_t>(std::min<uint64_t>(left, 1 << 20));
        in_buf_.resize(chunk);
        std::string_view got;
        CKPT_RETURN_IF_ERROR(file_.Read(m_.data_offset + in_pos_, chunk, &got, in_buf_.data()));
        if (got.size() != chunk) break;
        in_pos_ += chunk;
        zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(got.data()));
        zs_.avail_in = static_cast<uInt>(chunk);
      }
      uint64_t want = std::min<uint64_t>(n - done, 1u << 30);
      zs_.next_out = reinterpret_cast<Bytef*>(dst + done);
      zs_.avail_out = static_cast<uInt>(want);
      int rc = inflate(&zs_, Z_NO_FLUSH);
      done += want - zs_.avail_out;
      if (rc == Z_STREAM_END) break;
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return DataLossError(file_.path() + ": member " + m_.name + ".npy: corrupt deflate data (" +
                             (zs_.msg ? zs_.msg : "zlib error " + std::to_string(rc)) + ")");
      }
    }
    out_pos_ += done;
    if (done != n) {
      return DataLossError(file_.path() + ": member " + m_.name +
                           ".npy: deflate data ends before " + what + " (" + std::to_string(done) +
                           " of " + std::to_string(n) + " bytes)");
    }
    return Status();
  }

 private:
  const RandomAccessFile& file_;
  const Member& m_;
  z_stream zs_{};
  bool inflating_ = false;
  std::string in_buf_;
  uint64_t in_pos_ = 0, out_pos_ = 0;
};

// The value text after `'key':` in a .npy header dict, up to the next top-level ',' or '}'.
std::string_view DictValue(std::string_view header, std::string_view key) {
  std::string quoted1 = "'" + std::string(key) + "'", quoted2 = "\"" + std::string(key) + "\"";
  size_t k = header.find(quoted1);
  if (k == std::string_view::npos) k = header.find(quoted2);
  if (k == std::string_view::npos) return {};
  size_t colon = header.find(':', k + quoted1.size());
  if (colon == std::string_view::npos) return {};
  size_t start = colon + 1, depth = 0, i = start;
  for (; i < header.size(); ++i) {
    char c = header[i];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') {
      if (depth == 0) break;
      --depth;
    }
    if ((c == ',' || c == '}') && depth == 0) break;
  }
  std::string_view v = header.substr(start, i - start);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return v;
}

// What a .npy header says. Strings (only in single .npy files) are kString with the NumPy
// kind ('U': UTF-32 code points, 'S': bytes) and the fixed width of one element in characters.
struct NpyHeader {
  DataType dtype = DataType::kInvalid;
  TensorShape shape;
  uint64_t header_bytes = 0;  // preamble + header dict
  char str_kind = 0;
  uint64_t str_width = 0;
  // Bytes of one element's data.
  uint64_t element_bytes() const {
    return str_kind == 'U' ? 4 * str_width : str_kind == 'S' ? str_width : DataTypeSize(dtype);
  }
};

// Parses the .npy preamble and header read from `s` (Read(char*, n, what)). Errors start with
// `where` (the file, or the archive and member) and name `tensor`.
template <typename Stream>
Status ReadNpyHeader(Stream& s, const std::string& where, const std::string& tensor,
                     bool allow_strings, NpyHeader* h) {
  auto bad = [&](const std::string& why) { return DataLossError(where + ": " + why); };
  char pre[12];
  CKPT_RETURN_IF_ERROR(s.Read(pre, 10, "the .npy preamble"));
  if (std::string_view(pre, 6) != "\x93NUMPY") return bad("not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(pre[6]);
  uint64_t hlen, pre_len;
  if (major == 1) {
    hlen = LoadLE(pre + 8, 2);
    pre_len = 10;
  } else if (major == 2 || major == 3) {
    CKPT_RETURN_IF_ERROR(s.Read(pre + 10, 2, "the .npy preamble"));
    hlen = LoadLE(pre + 8, 4);
    pre_len = 12;
  } else {
    return bad("unsupported .npy format version " + std::to_string(major));
  }
  if (hlen > kMaxNpyHeader) return bad(".npy header of " + std::to_string(hlen) + " bytes");
  std::string header(hlen, '\0');
  CKPT_RETURN_IF_ERROR(s.Read(header.data(), hlen, "the .npy header"));
  h->header_bytes = pre_len + hlen;
  std::string_view descr = DictValue(header, "descr");
  if (descr.size() < 2 || (descr.front() != '\'' && descr.front() != '"')) {
    return bad("tensor " + tensor + ": unsupported dtype " + std::string(descr) +
               " (structured or missing 'descr')");
  }
  descr = descr.substr(1, descr.size() - 2);
  std::string norm(descr);
  if (!norm.empty() && norm[0] == '=') norm[0] = '<';  // native order on a little-endian host
  if (norm.size() == 3 && norm[2] == '1' && norm[0] == '<') norm[0] = '|';
  for (const auto& t : kNpyTypes) {
    if (t.descr == norm) h->dtype = t.dtype;
  }
  // Fixed-width strings: '<U5' / '|S5' (also without the byte-order mark).
  std::string_view str = norm;
  if (!str.empty() && (str[0] == '<' || str[0] == '|')) str.remove_prefix(1);
  if (allow_strings && str.size() >= 2 && (str[0] == 'U' || str[0] == 'S')) {
    uint64_t width = 0;
    auto [p, ec] = std::from_chars(str.data() + 1, str.data() + str.size(), width);
    // Width 0 is refused: its elements hold no bytes, so the data size could not bound the
    // number of strings a header claims.
    if (ec == std::errc() && p == str.data() + str.size() && width > 0 && width <= kMaxNpyHeader) {
      h->dtype = DataType::kString;
      h->str_kind = str[0];
      h->str_width = width;
    }
  }
  if (h->dtype == DataType::kInvalid) {
    return InvalidArgumentError(
        where + ": tensor " + tensor + ": NumPy dtype '" + std::string(descr) +
        "' has no TF equivalent here (supported: little-endian bool, (u)int8-64, "
        "float16/32/64, complex64/128" +
        (allow_strings ? ", and strings as '<U' or '|S'" : "") + ")");
  }
  std::string_view fortran = DictValue(header, "fortran_order");
  if (fortran == "True") {
    return InvalidArgumentError(where + ": tensor " + tensor +
                                ": Fortran-ordered arrays are not supported (save a C-ordered "
                                "copy: np.ascontiguousarray)");
  }
  if (fortran != "False") return bad("missing 'fortran_order'");
  std::string_view shape = DictValue(header, "shape");
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')') return bad("bad 'shape'");
  shape = shape.substr(1, shape.size() - 2);
  std::vector<int64_t> dims;
  while (!shape.empty()) {
    while (!shape.empty() && (shape.front() == ' ' || shape.front() == ',')) shape.remove_prefix(1);
    if (shape.empty()) break;
    int64_t d = -1;
    auto [p, ec] = std::from_chars(shape.data(), shape.data() + shape.size(), d);
    if (ec != std::errc() || d < 0) return bad("bad 'shape' dimension");
    dims.push_back(d);
    shape.remove_prefix(p - shape.data());
    if (!shape.empty() && shape.front() == 'L') shape.remove_prefix(1);
  }
  auto ts = TensorShape::FromDims(dims);
  if (!ts.ok()) return bad(std::string(ts.status().message()));
  h->shape = *ts;
  return Status();
}

// Checks that `data_bytes` bytes follow the header: exactly the array's.
Status CheckNpyDataSize(const NpyHeader& h, uint64_t data_bytes, const std::string& where) {
  const uint64_t n = static_cast<uint64_t>(h.shape.num_elements());
  const uint64_t each = h.element_bytes();
  if ((each != 0 && n > data_bytes / each) || n * each != data_bytes) {
    return DataLossError(
        where + ": holds " + std::to_string(data_bytes) + " data bytes, " +
        (each != 0 && n > UINT64_MAX / each ? std::string("more") : std::to_string(n * each)) +
        " expected for " + h.shape.DebugString());
  }
  return Status();
}

// The .npy (version 1.0) preamble and header of an array of `descr` and `shape`.
std::string NpyHeaderBytes(std::string_view descr, const TensorShape& shape) {
  std::string dims = "(";
  for (int64_t d : shape.dims()) dims += std::to_string(d) + ", ";
  if (shape.rank() > 0) dims.resize(dims.size() - (shape.rank() == 1 ? 1 : 2));
  dims += ")";
  std::string header =
      "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': " + dims + ", }";
  // Version 1.0: 10-byte preamble; the whole header padded with spaces to 64 bytes, '\n' last.
  const size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header.push_back('\n');
  std::string npy = "\x93NUMPY\x01";
  npy.push_back('\0');
  StoreLE(&npy, header.size(), 2);
  npy += header;
  return npy;
}

// Parses the .npy header of npz member `m` (its dtype, shape and header size).
Status ParseNpyHeader(const RandomAccessFile& file, Member* m) {
  MemberStream s(file, *m);
  const std::string where = file.path() + ": member " + m->name + ".npy";
  NpyHeader h;
  CKPT_RETURN_IF_ERROR(ReadNpyHeader(s, where, m->name, /*allow_strings=*/false, &h));
  m->npy_header = h.header_bytes;
  m->info.dtype = h.dtype;
  m->info.shape = h.shape;
  if (m->uncompressed < m->npy_header) return DataLossError(where + ": truncated header");
  CKPT_RETURN_IF_ERROR(CheckNpyDataSize(h, m->uncompressed - m->npy_header, where));
  m->info.bytes = static_cast<int64_t>(m->uncompressed - m->npy_header);
  return Status();
}

class NpzReader final : public internal::EntryTableReader<CheckpointReader, Member> {
 public:
  StatusOr<Tensor> Lookup(std::string_view name) const override {
    const Member* m = Find(name);
    if (m == nullptr)
      return NotFoundError("tensor " + std::string(name) + " not in " + file_->path());
    CKPT_ASSIGN_OR_RETURN(Tensor t, Tensor::AllocateUninitialized(m->info.dtype, m->info.shape));
    MemberStream s(*file_, *m);
    std::string skip(m->npy_header, '\0');
    CKPT_RETURN_IF_ERROR(s.Read(skip.data(), skip.size(), "the .npy header"));
    CKPT_RETURN_IF_ERROR(s.Read(static_cast<char*>(t.raw_data()), t.TotalBytes(), "tensor data"));
    if (t.dtype() == DataType::kBool) {
      const std::string bad = internal::InvalidBoolByte(t.raw_data(), t.TotalBytes());
      if (!bad.empty()) {
        return DataLossError(file_->path() + ": bool tensor " + m->name + ": " + bad);
      }
    }
    return t;
  }
  std::string_view format() const override { return "npz"; }
  Status VerifyAll() const override {
    for (const CheckpointTensorInfo& v : variables()) {
      const Member& m = *Find(v.name);
      MemberStream s(*file_, m);
      uLong crc = crc32(0, nullptr, 0);
      std::string buf;
      for (uint64_t done = 0; done < m.uncompressed;) {
        uint64_t n = std::min<uint64_t>(m.uncompressed - done, 1 << 20);
        buf.resize(n);
        CKPT_RETURN_IF_ERROR(s.Read(buf.data(), n, "member data"));
        crc = crc32(crc, reinterpret_cast<const Bytef*>(buf.data()), static_cast<uInt>(n));
        done += n;
      }
      if (static_cast<uint32_t>(crc) != m.crc) {
        return DataLossError(file_->path() + ": member " + m.name + ".npy: CRC-32 mismatch");
      }
    }
    return Status();
  }

  Status Init(Env* env, const std::string& path) {
    CKPT_ASSIGN_OR_RETURN(file_, env->NewRandomAccessFile(path, {.use_mmap = true}));
    const uint64_t size = file_->Size();
    auto bad = [&](const std::string& why) {
      return DataLossError(path + ": not a valid npz/zip archive: " + why);
    };
    // End of central directory: the last signature within the final 64 KiB + 22 bytes.
    const uint64_t tail_len = std::min<uint64_t>(size, 65557);
    std::string tail(tail_len, '\0');
    CKPT_RETURN_IF_ERROR(
        internal::ReadExact(*file_, size - tail_len, tail_len, tail.data(), "zip trailer"));
    int64_t eocd = -1;
    for (int64_t i = static_cast<int64_t>(tail_len) - 22; i >= 0; --i) {
      if (LoadLE(tail.data() + i, 4) == kEndSig) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) return bad("no end-of-central-directory record");
    const char* e = tail.data() + eocd;
    uint64_t count = LoadLE(e + 10, 2), cd_size = LoadLE(e + 12, 4), cd_offset = LoadLE(e + 16, 4);
    const uint64_t eocd_pos = size - tail_len + eocd;
    if ((count == 0xffff || cd_size == 0xffffffff || cd_offset == 0xffffffff) && eocd_pos >= 20) {
      char loc[20];
      CKPT_RETURN_IF_ERROR(internal::ReadExact(*file_, eocd_pos - 20, 20, loc, "zip64 locator"));
      if (LoadLE(loc, 4) == kZip64LocatorSig) {
        uint64_t z64 = LoadLE(loc + 8, 8);
        char rec[56];
        if (z64 > size - 56) return bad("zip64 record out of range");
        CKPT_RETURN_IF_ERROR(internal::ReadExact(*file_, z64, 56, rec, "zip64 end record"));
        if (LoadLE(rec, 4) != kZip64EndSig) return bad("bad zip64 end record");
        count = LoadLE(rec + 32, 8);
        cd_size = LoadLE(rec + 40, 8);
        cd_offset = LoadLE(rec + 48, 8);
      }
    }
    if (cd_offset > size || cd_size > size - cd_offset || count > cd_size / 46) {
      return bad("central directory out of range");
    }
    std::vector<Member> members;
    std::string cd(cd_size, '\0');
    CKPT_RETURN_IF_ERROR(
        internal::ReadExact(*file_, cd_offset, cd_size, cd.data(), "central directory"));
    uint64_t pos = 0;
    for (uint64_t i = 0; i < count; ++i) {
      if (cd_size - pos < 46 || LoadLE(cd.data() + pos, 4) != kCentralSig) {
        return bad("central directory entry " + std::to_string(i) + " is malformed");
      }
      const char* c = cd.data() + pos;
      Member m;
      const uint16_t flags = static_cast<uint16_t>(LoadLE(c + 8, 2));
      m.method = static_cast<uint16_t>(LoadLE(c + 10, 2));
      m.crc = static_cast<uint32_t>(LoadLE(c + 16, 4));
      m.compressed = LoadLE(c + 20, 4);
      m.uncompressed = LoadLE(c + 24, 4);
      const uint64_t nlen = LoadLE(c + 28, 2), xlen = LoadLE(c + 30, 2), clen = LoadLE(c + 32, 2);
      m.local_offset = LoadLE(c + 42, 4);
      if (cd_size - pos < 46 + nlen + xlen + clen) return bad("central directory entry overruns");
      std::string name(c + 46, nlen);
      // zip64 extra field: the 64-bit values of the fields saturated above, in order.
      for (uint64_t x = 0; x + 4 <= xlen;) {
        const char* f = c + 46 + nlen + x;
        uint64_t id = LoadLE(f, 2), len = LoadLE(f + 2, 2);
        if (x + 4 + len > xlen) break;
        if (id == 1) {
          const char* v = f + 4;
          uint64_t left = len;
          auto take = [&](uint64_t* field) {
            if (*field == 0xffffffff && left >= 8) {
              *field = LoadLE(v, 8);
              v += 8;
              left -= 8;
            }
          };
          take(&m.uncompressed);
          take(&m.compressed);
          take(&m.local_offset);
        }
        x += 4 + len;
      }
      pos += 46 + nlen + xlen + clen;
      if (!name.ends_with(".npy")) {
        return InvalidArgumentError(path + ": member " + name + " is not a .npy file");
      }
      m.name = name.substr(0, name.size() - 4);
      m.info.name = m.name;
      if (flags & 1) return InvalidArgumentError(path + ": member " + name + " is encrypted");
      if (m.method != 0 && m.method != 8) {
        return InvalidArgumentError(path + ": member " + name + " uses compression method " +
                                    std::to_string(m.method) +
                                    " (only stored and deflate are supported)");
      }
      if (m.method == 0 && m.compressed != m.uncompressed)
        return bad("stored member " + name + " sizes differ");
      if (m.method == 8 && m.uncompressed / kMaxDeflateRatio > m.compressed + 1) {
        return bad("member " + name + " claims an impossible compression ratio");
      }
      char local[30];
      if (m.local_offset > size - 30) return bad("member " + name + " local header out of range");
      CKPT_RETURN_IF_ERROR(
          internal::ReadExact(*file_, m.local_offset, 30, local, "local header of " + name));
      if (LoadLE(local, 4) != kLocalSig) return bad("member " + name + " has no local header");
      m.data_offset = m.local_offset + 30 + LoadLE(local + 26, 2) + LoadLE(local + 28, 2);
      if (m.data_offset > size || m.compressed > size - m.data_offset) {
        return bad("member " + name + " data runs past the end of the file");
      }
      CKPT_RETURN_IF_ERROR(ParseNpyHeader(*file_, &m));
      members.push_back(std::move(m));
    }
    return SetEntries(std::move(members), path);
  }

 private:
  std::unique_ptr<RandomAccessFile> file_;
};

uint32_t Crc32(uint32_t crc, std::string_view data) {
  uLong c = crc;
  for (size_t done = 0; done < data.size();) {
    size_t n = std::min<size_t>(data.size() - done, 1u << 30);
    c = crc32(c, reinterpret_cast<const Bytef*>(data.data() + done), static_cast<uInt>(n));
    done += n;
  }
  return static_cast<uint32_t>(c);
}

// Stored (uncompressed) members. A member whose size or offset reaches `zip64_from` (4 GiB - 1
// by default, where the 32-bit fields end) carries a zip64 extra field, and an archive whose
// directory needs it ends with the zip64 end-of-directory record and locator, as Python's
// zipfile writes them; np.load reads both.
class NpzWriter final : public internal::StreamingFileWriter {
 public:
  NpzWriter(Env* env, std::string path, std::vector<TensorFileEntry> entries, uint64_t zip64_from)
      : StreamingFileWriter(env, std::move(path), std::move(entries)), zip64_from_(zip64_from) {}

 protected:
  Status WriteTensor(const TensorFileEntry& e, const Tensor& t) override {
    const std::string npy = NpyHeaderBytes(NpyDescr(e.dtype), e.shape);
    std::string_view data(static_cast<const char*>(t.raw_data()), t.TotalBytes());
    const uint64_t size = npy.size() + data.size();
    const std::string name = e.name + ".npy";
    if (name.size() > 0xffff) {
      return InvalidArgumentError("tensor " + e.name + ": name too long for a zip archive");
    }
    const uint32_t crc = Crc32(Crc32(0, npy), data);
    Central c{name, crc, size, written(), size >= zip64_from_ || written() >= zip64_from_};
    std::string local;
    StoreLE(&local, kLocalSig, 4);
    StoreLE(&local, c.zip64 ? 45 : 20, 2);  // version needed
    StoreLE(&local, 0x800, 2);              // flags: UTF-8 name
    StoreLE(&local, 0, 2);                  // stored
    StoreLE(&local, 0, 2);                  // time
    StoreLE(&local, 0x21, 2);               // date 1980-01-01
    StoreLE(&local, crc, 4);
    StoreLE(&local, c.zip64 ? 0xffffffffu : size, 4);
    StoreLE(&local, c.zip64 ? 0xffffffffu : size, 4);
    StoreLE(&local, name.size(), 2);
    StoreLE(&local, c.zip64 ? 20 : 0, 2);  // extra: the zip64 sizes
    local += name;
    if (c.zip64) {
      StoreLE(&local, 0x0001, 2);
      StoreLE(&local, 16, 2);
      StoreLE(&local, size, 8);  // uncompressed
      StoreLE(&local, size, 8);  // compressed
    }
    CKPT_RETURN_IF_ERROR(Append(local));
    CKPT_RETURN_IF_ERROR(Append(npy));
    CKPT_RETURN_IF_ERROR(Append(data));
    central_.push_back(std::move(c));
    return Status();
  }

  Status WriteTrailer() override {
    const uint64_t cd_offset = written();
    std::string cd;
    for (const Central& c : central_) {
      StoreLE(&cd, kCentralSig, 4);
      StoreLE(&cd, c.zip64 ? 45 : 20, 2);  // version made by
      StoreLE(&cd, c.zip64 ? 45 : 20, 2);  // version needed
      StoreLE(&cd, 0x800, 2);
      StoreLE(&cd, 0, 2);
      StoreLE(&cd, 0, 2);
      StoreLE(&cd, 0x21, 2);
      StoreLE(&cd, c.crc, 4);
      StoreLE(&cd, c.zip64 ? 0xffffffffu : c.size, 4);
      StoreLE(&cd, c.zip64 ? 0xffffffffu : c.size, 4);
      StoreLE(&cd, c.name.size(), 2);
      StoreLE(&cd, c.zip64 ? 28 : 0, 2);  // extra
      StoreLE(&cd, 0, 2);                 // comment
      StoreLE(&cd, 0, 2);                 // disk
      StoreLE(&cd, 0, 2);                 // internal attributes
      StoreLE(&cd, 0, 4);                 // external attributes
      StoreLE(&cd, c.zip64 ? 0xffffffffu : c.offset, 4);
      cd += c.name;
      if (c.zip64) {
        StoreLE(&cd, 0x0001, 2);
        StoreLE(&cd, 24, 2);
        StoreLE(&cd, c.size, 8);
        StoreLE(&cd, c.size, 8);
        StoreLE(&cd, c.offset, 8);
      }
    }
    const uint64_t dir_size = cd.size();
    const uint64_t n = central_.size();
    const bool zip64_end = n >= 0xffff || cd_offset >= zip64_from_ || dir_size >= zip64_from_;
    if (zip64_end) {
      const uint64_t end64_offset = cd_offset + dir_size;
      StoreLE(&cd, kZip64EndSig, 4);
      StoreLE(&cd, 44, 8);  // size of the rest of this record
      StoreLE(&cd, 45, 2);  // version made by
      StoreLE(&cd, 45, 2);  // version needed
      StoreLE(&cd, 0, 4);   // this disk
      StoreLE(&cd, 0, 4);   // disk of the directory
      StoreLE(&cd, n, 8);
      StoreLE(&cd, n, 8);
      StoreLE(&cd, dir_size, 8);
      StoreLE(&cd, cd_offset, 8);
      StoreLE(&cd, kZip64LocatorSig, 4);
      StoreLE(&cd, 0, 4);  // disk of the zip64 end record
      StoreLE(&cd, end64_offset, 8);
      StoreLE(&cd, 1, 4);  // disks
    }
    StoreLE(&cd, kEndSig, 4);
    StoreLE(&cd, 0, 2);  // this disk
    StoreLE(&cd, 0, 2);  // disk of the directory
    StoreLE(&cd, zip64_end ? 0xffff : n, 2);
    StoreLE(&cd, zip64_end ? 0xffff : n, 2);
    StoreLE(&cd, zip64_end ? 0xffffffffu : dir_size, 4);
    StoreLE(&cd, zip64_end ? 0xffffffffu : cd_offset, 4);
    StoreLE(&cd, 0, 2);  // comment
    return Append(cd);
  }

 private:
  struct Central {
    std::string name;
    uint32_t crc;
    uint64_t size, offset;
    bool zip64;
  };
  const uint64_t zip64_from_;
  std::vector<Central> central_;
};

}  // namespace

std::string_view NpyDescr(DataType dtype) {
  for (const auto& t : kNpyTypes) {
    if (t.dtype == dtype) return t.descr;
  }
  return {};
}

namespace {

// Sequential reads of a plain .npy file.
class FileStream {
 public:
  explicit FileStream(const RandomAccessFile& file) : file_(file) {}
  Status Read(char* dst, uint64_t n, const std::string& what) {
    CKPT_RETURN_IF_ERROR(internal::ReadExact(file_, pos_, n, dst, what));
    pos_ += n;
    return Status();
  }

 private:
  const RandomAccessFile& file_;
  uint64_t pos_ = 0;
};

}  // namespace

StatusOr<Tensor> ReadNpy(Env* env, const std::string& path) {
  CKPT_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(path));
  FileStream s(*file);
  NpyHeader h;
  CKPT_RETURN_IF_ERROR(ReadNpyHeader(s, path, path, /*allow_strings=*/true, &h));
  const uint64_t size = file->Size();
  if (size < h.header_bytes) return DataLossError(path + ": truncated .npy header");
  CKPT_RETURN_IF_ERROR(CheckNpyDataSize(h, size - h.header_bytes, path));
  if (h.dtype != DataType::kString) {
    CKPT_ASSIGN_OR_RETURN(Tensor t, Tensor::AllocateUninitialized(h.dtype, h.shape));
    CKPT_RETURN_IF_ERROR(s.Read(static_cast<char*>(t.raw_data()), t.TotalBytes(), "array data"));
    if (t.dtype() == DataType::kBool) {
      const std::string bad = internal::InvalidBoolByte(t.raw_data(), t.TotalBytes());
      if (!bad.empty()) return DataLossError(path + ": bool array: " + bad);
    }
    return t;
  }
  // Strings: NumPy pads each element with NULs to the width and drops them on reading.
  CKPT_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(DataType::kString, h.shape));
  std::string raw(size - h.header_bytes, '\0');
  CKPT_RETURN_IF_ERROR(s.Read(raw.data(), raw.size(), "array data"));
  const uint64_t each = h.element_bytes();
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    const char* e = raw.data() + i * each;
    std::string& out = t.strings()[i];
    if (h.str_kind == 'S') {
      size_t n = each;
      while (n > 0 && e[n - 1] == '\0') --n;
      out.assign(e, n);
      continue;
    }
    size_t n = h.str_width;
    while (n > 0 && LoadLE(e + 4 * (n - 1), 4) == 0) --n;
    for (size_t k = 0; k < n; ++k) {
      const uint32_t c = static_cast<uint32_t>(LoadLE(e + 4 * k, 4));
      if (!AppendUtf8(c, &out)) {
        return DataLossError(path + ": element " + std::to_string(i) +
                             " holds an invalid code point " + std::to_string(c));
      }
    }
  }
  return t;
}

Status WriteNpy(Env* env, const std::string& path, const Tensor& t) {
  std::string npy;
  if (t.dtype() == DataType::kString) {
    size_t width = 1;  // NumPy has no zero-width string dtype
    for (int64_t i = 0; i < t.num_elements(); ++i) width = std::max(width, t.strings()[i].size());
    npy = NpyHeaderBytes("|S" + std::to_string(width), t.shape());
    const size_t header = npy.size();
    npy.resize(header + width * static_cast<size_t>(t.num_elements()), '\0');
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      const std::string& v = t.strings()[i];
      std::copy(v.begin(), v.end(), npy.begin() + header + i * width);
    }
  } else {
    const std::string_view descr = NpyDescr(t.dtype());
    if (descr.empty()) {
      return InvalidArgumentError(path + ": NumPy has no dtype for " +
                                  std::string(DataTypeName(t.dtype())));
    }
    npy = NpyHeaderBytes(descr, t.shape());
    npy.append(static_cast<const char*>(t.raw_data()), t.TotalBytes());
  }
  return env->AtomicWriteStringToFile(path, npy, Env::SyncMode::kNone);
}

StatusOr<std::unique_ptr<CheckpointReader>> OpenNpz(Env* env, const std::string& path) {
  auto r = std::make_unique<NpzReader>();
  CKPT_RETURN_IF_ERROR(r->Init(env, path));
  return std::unique_ptr<CheckpointReader>(std::move(r));
}

namespace internal {
StatusOr<std::unique_ptr<TensorFileWriter>> CreateNpzWriter(Env* env, const std::string& path,
                                                            std::vector<TensorFileEntry> entries,
                                                            uint64_t zip64_from) {
  for (const auto& e : entries) {
    if (NpyDescr(e.dtype).empty()) {
      std::string why = e.dtype == DataType::kBFloat16
                            ? " (NumPy has no bfloat16; write safetensors or a TF checkpoint)"
                            : "";
      return InvalidArgumentError("tensor " + e.name + ": npz cannot hold dtype " +
                                  std::string(DataTypeName(e.dtype)) + why + " (writing " + path +
                                  ")");
    }
  }
  auto w = std::make_unique<NpzWriter>(env, path, std::move(entries), zip64_from);
  CKPT_RETURN_IF_ERROR(w->Open());
  return std::unique_ptr<TensorFileWriter>(std::move(w));
}
}  // namespace internal

}  // namespace ckpt
