// BundleReader: reads TF's TensorBundle V2 (docs/format/bundle.md), treating every byte as
// untrusted. The whole index is parsed and validated at Open (it is small: one entry per
// tensor); data shards are opened lazily and read straight into the destination tensor.

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "ckpt/core/crc32c.h"
#include "ckpt/core/parallel.h"
#include "ckpt/core/thread_annotations.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/tensor_proto.h"
#include "format/bool_bytes.h"
#include "format/bundle/byte_swap.h"
#include "format/bundle/coding.h"
#include "format/bundle/slice_key.h"
#include "format/bundle/slice_math.h"
#include "format/bundle/versions.h"
#include "format/table/table.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb.h"

namespace ckpt {
namespace {

constexpr int kBundleMinProducer = 0;
// Large tensors are read and checksummed 256 KiB at a time: each piece is still in the core's
// L2 cache when its CRC is computed, so verifying costs no second pass over memory.
constexpr size_t kReadChunk = 256 << 10;
constexpr size_t kStringBuffer = 1 << 20;
// Tensors over twice this size are read by several threads, this many bytes each.
constexpr uint64_t kPiece = 16 << 20;
// Reads of fewer bytes than this in all stay on the calling thread (starting threads would
// cost more than they save).
constexpr uint64_t kParallelMinBytes = 4 << 20;

using bundle::PrintableKey;

// Sequential reads of one entry's extent [offset, offset+size) through a small buffer.
class ExtentReader {
 public:
  ExtentReader(const RandomAccessFile* file, uint64_t offset, uint64_t size)
      : file_(file), pos_(offset), end_(offset + size) {}

  uint64_t remaining() const { return (end_ - pos_) + (buf_.size() - buf_pos_); }

  Status ReadVarint64(uint64_t* v, bool* ok) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      char c;
      bool got;
      CKPT_RETURN_IF_ERROR(ReadByte(&c, &got));
      if (!got) break;
      uint64_t byte = static_cast<unsigned char>(c);
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        *ok = true;
        return Status();
      }
    }
    *ok = false;
    return Status();
  }

  // Reads exactly n bytes (REQUIRES: n <= remaining()).
  Status Read(char* dst, uint64_t n) {
    uint64_t avail = buf_.size() - buf_pos_;
    uint64_t take = std::min(avail, n);
    std::memcpy(dst, buf_.data() + buf_pos_, take);
    buf_pos_ += take;
    dst += take;
    n -= take;
    if (n == 0) return Status();
    if (n >= kStringBuffer) return ReadDirect(dst, n);
    CKPT_RETURN_IF_ERROR(Fill());
    if (buf_.size() < n) return Short();
    std::memcpy(dst, buf_.data(), n);
    buf_pos_ = n;
    return Status();
  }

 private:
  Status ReadByte(char* c, bool* got) {
    if (buf_pos_ == buf_.size()) {
      CKPT_RETURN_IF_ERROR(Fill());
      if (buf_.empty()) {
        *got = false;
        return Status();
      }
    }
    *c = buf_[buf_pos_++];
    *got = true;
    return Status();
  }
  Status Fill() {
    size_t n = static_cast<size_t>(std::min<uint64_t>(kStringBuffer, end_ - pos_));
    buf_.resize(n);
    buf_pos_ = 0;
    if (n == 0) return Status();
    std::string_view view;
    CKPT_RETURN_IF_ERROR(file_->Read(pos_, n, &view, buf_.data()));
    if (view.size() != n) return Short();
    if (view.data() != buf_.data()) std::memcpy(buf_.data(), view.data(), n);
    pos_ += n;
    return Status();
  }
  Status ReadDirect(char* dst, uint64_t n) {
    if (n > end_ - pos_) return Short();
    std::string_view view;
    CKPT_RETURN_IF_ERROR(file_->Read(pos_, n, &view, dst));
    if (view.size() != n) return Short();
    if (view.data() != dst) std::memcpy(dst, view.data(), n);
    pos_ += n;
    return Status();
  }
  Status Short() const { return DataLossError("short read of " + file_->path()); }

  const RandomAccessFile* file_;
  uint64_t pos_, end_;
  std::string buf_;
  size_t buf_pos_ = 0;
};

}  // namespace

struct BundleReader::Rep {
  Env* env;
  std::string prefix;
  std::string index_path;
  BundleReaderOptions options;
  int num_shards = 1;
  bool big_endian = false;
  std::vector<BundleEntryInfo> entries;  // every table entry, sorted by key
  std::vector<std::string> keys;         // logical keys
  std::unique_ptr<std::atomic<bool>[]> view_verified;

  mutable Mutex mu;
  mutable std::map<int, std::unique_ptr<RandomAccessFile>> shards CKPT_GUARDED_BY(mu);

  const BundleEntryInfo* Find(std::string_view key) const {
    auto it = std::lower_bound(
        entries.begin(), entries.end(), key,
        [](const BundleEntryInfo& e, std::string_view k) { return std::string_view(e.key) < k; });
    if (it == entries.end() || it->key != key) return nullptr;
    return &*it;
  }
  Status NotFound(std::string_view key) const {
    return NotFoundError("key " + PrintableKey(key) + " not found in checkpoint " + prefix);
  }
  std::string DataPath(int shard) const { return BundleDataFilename(prefix, shard, num_shards); }

  StatusOr<const RandomAccessFile*> Shard(int id) const {
    MutexLock lock(mu);
    auto it = shards.find(id);
    if (it != shards.end()) return it->second.get();
    RandomAccessFileOptions ro;
    ro.use_mmap = options.use_mmap;
    auto file = env->NewRandomAccessFile(DataPath(id), ro);
    if (!file.ok()) return file.status().WithContext("opening data file of checkpoint " + prefix);
    const RandomAccessFile* raw = file->get();
    shards.emplace(id, std::move(file).value());
    return raw;
  }

  // The shard of a non-partitioned entry, after checking its extent lies inside the file.
  StatusOr<const RandomAccessFile*> ShardFor(const BundleEntryInfo& e) const {
    CKPT_ASSIGN_OR_RETURN(const RandomAccessFile* file, Shard(e.shard_id));
    uint64_t fsize = file->Size();
    if (static_cast<uint64_t>(e.offset) > fsize ||
        static_cast<uint64_t>(e.size) > fsize - static_cast<uint64_t>(e.offset)) {
      return DataLossError("entry for key " + PrintableKey(e.key) + " (offset " +
                           std::to_string(e.offset) + ", size " + std::to_string(e.size) +
                           ") extends past the end of " + file->path() + " (" +
                           std::to_string(fsize) + " bytes)");
    }
    return file;
  }

  // Checks that the bytes of `e` (or of all its slices) lie inside their shards.
  Status CheckExtents(const BundleEntryInfo& e) const {
    if (e.slices.empty()) return ShardFor(e).status();
    for (const TensorSlice& slice : e.slices) {
      const BundleEntryInfo* part = Find(bundle::EncodeTensorNameSlice(e.key, slice));
      if (part == nullptr) return DataLossError("missing slice entry of " + PrintableKey(e.key));
      CKPT_RETURN_IF_ERROR(ShardFor(*part).status());
    }
    return Status();
  }

  Status ChecksumError(const BundleEntryInfo& e, const RandomAccessFile* file,
                       uint32_t computed) const {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "stored crc32c %08x vs. calculated %08x",
                  crc32c::Unmask(e.masked_crc32c), computed);
    return DataLossError("checksum mismatch for key " + PrintableKey(e.key) + " in " +
                         file->path() + ": " + buf);
  }

  // A bool byte other than 0 or 1 (format/bool_bytes.h) is refused like a corrupt byte.
  static Status CheckBools(const BundleEntryInfo& e, const RandomAccessFile* file, const void* p) {
    if (e.dtype != DataType::kBool) return Status();
    const std::string bad = internal::InvalidBoolByte(p, static_cast<size_t>(e.size));
    if (bad.empty()) return Status();
    return DataLossError("bool tensor " + PrintableKey(e.key) + " in " + file->path() + ": " + bad);
  }

  // Reads bytes [pos, pos + len) of POD entry `e` to out + pos, folding them into *crc when
  // `verify`.
  static Status ReadPodRange(const BundleEntryInfo& e, const RandomAccessFile* file, char* out,
                             uint64_t pos, uint64_t len, bool verify, uint32_t* crc) {
    const uint64_t end = pos + len;
    for (; pos < end; pos += kReadChunk) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(kReadChunk, end - pos));
      std::string_view view;
      CKPT_RETURN_IF_ERROR(file->Read(e.offset + pos, n, &view, out + pos));
      if (view.size() != n) {
        return DataLossError("short read of key " + PrintableKey(e.key) + " from " + file->path());
      }
      if (view.data() != out + pos) std::memcpy(out + pos, view.data(), n);
      if (verify) *crc = crc32c::Extend(*crc, out + pos, n);
    }
    return Status();
  }

  // The checks after a POD entry's bytes are all in dst: CRC, bool bytes, byte order.
  Status FinishPod(const BundleEntryInfo& e, const RandomAccessFile* file, void* dst, bool verify,
                   uint32_t crc) const {
    if (verify && crc != crc32c::Unmask(e.masked_crc32c)) return ChecksumError(e, file, crc);
    CKPT_RETURN_IF_ERROR(CheckBools(e, file, dst));
    if (big_endian) bundle::ByteSwap(e.dtype, dst, static_cast<uint64_t>(e.size));
    return Status();
  }

  // Reads a POD entry's bytes into dst (e.size bytes), verifying the CRC, swapping if needed.
  Status ReadPod(const BundleEntryInfo& e, void* dst, bool verify) const {
    CKPT_ASSIGN_OR_RETURN(const RandomAccessFile* file, ShardFor(e));
    uint32_t crc = 0;
    CKPT_RETURN_IF_ERROR(ReadPodRange(e, file, static_cast<char*>(dst), 0,
                                      static_cast<uint64_t>(e.size), verify, &crc));
    return FinishPod(e, file, dst, verify, crc);
  }

  // Reads every target (already checked to match its entry) on options.num_threads threads.
  // POD tensors over 2 * kPiece bytes are read as kPiece pieces, whose CRCs are combined.
  Status ReadMany(std::span<const std::pair<const BundleEntryInfo*, Tensor*>> targets) const {
    const int threads = options.num_threads > 0 ? options.num_threads : HardwareConcurrency();
    auto read_whole = [&](size_t i) -> Status {
      const auto& [e, out] = targets[i];
      if (!e->slices.empty()) {
        return ReadPartitioned(*e, out,
                               bundle::ResolveSlice(TensorSlice(e->shape.rank()), e->shape));
      }
      return ReadEntry(*e, out);
    };
    auto pieced = [&](const BundleEntryInfo& e) {
      return e.slices.empty() && DataTypeIsPod(e.dtype) &&
             static_cast<uint64_t>(e.size) > 2 * kPiece;
    };
    bool any_pieced = false;
    uint64_t total = 0;
    for (const auto& t : targets) {
      any_pieced |= pieced(*t.first);
      total += static_cast<uint64_t>(t.first->size);
    }
    if (threads == 1 || total < kParallelMinBytes || (targets.size() == 1 && !any_pieced)) {
      for (size_t i = 0; i < targets.size(); ++i) CKPT_RETURN_IF_ERROR(read_whole(i));
      return Status();
    }
    struct Job {
      size_t target;
      uint64_t pos = 0, len = 0;  // len == 0: the whole target through read_whole
      uint32_t crc = 0;
    };
    std::vector<Job> jobs;
    std::vector<const RandomAccessFile*> files(targets.size(), nullptr);
    for (size_t i = 0; i < targets.size(); ++i) {
      const BundleEntryInfo& e = *targets[i].first;
      if (!pieced(e)) {
        jobs.push_back({i});
        continue;
      }
      CKPT_ASSIGN_OR_RETURN(files[i], ShardFor(e));
      const uint64_t size = static_cast<uint64_t>(e.size);
      for (uint64_t pos = 0; pos < size; pos += kPiece) {
        jobs.push_back({i, pos, std::min<uint64_t>(kPiece, size - pos)});
      }
    }
    const bool verify = options.verify_checksums;
    CKPT_RETURN_IF_ERROR(
        ParallelFor(static_cast<int64_t>(jobs.size()), threads, [&](int64_t j) -> Status {
          Job& job = jobs[j];
          if (job.len == 0) return read_whole(job.target);
          const auto& [e, out] = targets[job.target];
          return ReadPodRange(*e, files[job.target], static_cast<char*>(out->raw_data()), job.pos,
                              job.len, verify, &job.crc);
        }));
    for (size_t j = 0; j < jobs.size();) {
      const size_t i = jobs[j].target;
      if (jobs[j].len == 0) {
        ++j;
        continue;
      }
      uint32_t crc = 0;
      for (; j < jobs.size() && jobs[j].target == i; ++j) {
        crc = crc32c::Combine(crc, jobs[j].crc, jobs[j].len);
      }
      const auto& [e, out] = targets[i];
      CKPT_RETURN_IF_ERROR(FinishPod(*e, files[i], out->raw_data(), verify, crc));
    }
    return Status();
  }

  // CRC32C of n bytes at p: over 2 * kPiece bytes, pieces on options.num_threads threads.
  uint32_t Crc(const char* p, uint64_t n) const {
    const int threads = options.num_threads > 0 ? options.num_threads : HardwareConcurrency();
    if (threads == 1 || n <= 2 * kPiece) return n > 0 ? crc32c::Value(p, n) : 0;
    std::vector<uint32_t> crcs((n + kPiece - 1) / kPiece);
    ParallelFor(static_cast<int64_t>(crcs.size()), threads, [&](int64_t i) {
      const uint64_t pos = static_cast<uint64_t>(i) * kPiece;
      crcs[i] = crc32c::Value(p + pos, std::min<uint64_t>(kPiece, n - pos));
      return Status();
    }).IgnoreError();
    uint32_t crc = 0;
    for (size_t i = 0; i < crcs.size(); ++i) {
      crc = crc32c::Combine(crc, crcs[i], std::min<uint64_t>(kPiece, n - i * kPiece));
    }
    return crc;
  }

  // Checks that `out` can receive entry `key` (present, same dtype and shape).
  StatusOr<const BundleEntryInfo*> FindTarget(std::string_view key, const Tensor* out) const {
    const BundleEntryInfo* e = Find(key);
    if (e == nullptr) return NotFound(key);
    if (out == nullptr || out->dtype() != e->dtype || !(out->shape() == e->shape)) {
      return InvalidArgumentError(
          "key " + PrintableKey(key) + ": expected " +
          (out ? std::string(DataTypeName(out->dtype())) + " " + out->shape().DebugString()
               : std::string("a tensor")) +
          " but checkpoint " + prefix + " stores " + std::string(DataTypeName(e->dtype)) + " " +
          e->shape.DebugString());
    }
    return e;
  }

  // Computes the CRC of an entry's raw bytes without keeping them.
  Status VerifyRaw(const BundleEntryInfo& e) const {
    CKPT_ASSIGN_OR_RETURN(const RandomAccessFile* file, ShardFor(e));
    std::string scratch;
    uint32_t crc = 0;
    const uint64_t size = static_cast<uint64_t>(e.size);
    for (uint64_t pos = 0; pos < size; pos += kReadChunk) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(kReadChunk, size - pos));
      if (scratch.size() < n) scratch.resize(n);
      std::string_view view;
      CKPT_RETURN_IF_ERROR(file->Read(e.offset + pos, n, &view, scratch.data()));
      if (view.size() != n) {
        return DataLossError("short read of key " + PrintableKey(e.key) + " from " + file->path());
      }
      crc = crc32c::Extend(crc, view.data(), n);
    }
    if (crc != crc32c::Unmask(e.masked_crc32c)) return ChecksumError(e, file, crc);
    return Status();
  }

  // Reads a DT_STRING entry into `out` (num_elements strings).
  Status ReadStrings(const BundleEntryInfo& e, std::string* out, bool verify) const {
    CKPT_ASSIGN_OR_RETURN(const RandomAccessFile* file, ShardFor(e));
    const int64_t n = e.shape.num_elements();
    auto bad = [&](const std::string& what) {
      return DataLossError("string tensor " + PrintableKey(e.key) + " in " + file->path() + ": " +
                           what);
    };
    ExtentReader reader(file, e.offset, e.size);
    // n <= size - 4 was checked at Open, so this allocation is bounded by the file.
    std::vector<uint64_t> lengths(static_cast<size_t>(n));
    uint32_t length_crc = 0;
    for (int64_t i = 0; i < n; ++i) {
      bool ok;
      CKPT_RETURN_IF_ERROR(reader.ReadVarint64(&lengths[i], &ok));
      if (!ok) return bad("string lengths longer than the entry size");
      uint64_t len = lengths[i];
      if (len <= 0xffffffffu) {
        uint32_t v = static_cast<uint32_t>(len);
        if (big_endian) v = __builtin_bswap32(v);
        char b[4];
        std::memcpy(b, &v, 4);
        length_crc = crc32c::Extend(length_crc, b, 4);
      } else {
        uint64_t v = big_endian ? __builtin_bswap64(len) : len;
        char b[8];
        std::memcpy(b, &v, 8);
        length_crc = crc32c::Extend(length_crc, b, 8);
      }
    }
    if (reader.remaining() < 4) return bad("string lengths longer than the entry size");
    char stored[4];
    CKPT_RETURN_IF_ERROR(reader.Read(stored, 4));
    uint32_t masked = bundle::DecodeFixed32(stored);
    if (big_endian) masked = __builtin_bswap32(masked);
    if (verify && crc32c::Unmask(masked) != length_crc) return bad("length checksum mismatch");
    // Sum of lengths must equal what is left of the entry.
    uint64_t total = 0;
    for (uint64_t len : lengths) {
      if (len > reader.remaining() - total) return bad("string lengths exceed the entry size");
      total += len;
    }
    if (total != reader.remaining()) {
      return bad("entry size " + std::to_string(e.size) + " does not match the string lengths");
    }
    uint32_t crc = crc32c::Extend(length_crc, stored, 4);
    for (int64_t i = 0; i < n; ++i) {
      out[i].resize(lengths[i]);
      CKPT_RETURN_IF_ERROR(reader.Read(out[i].data(), lengths[i]));
      if (verify) crc = crc32c::Extend(crc, out[i].data(), out[i].size());
    }
    if (verify && crc != crc32c::Unmask(e.masked_crc32c)) return ChecksumError(e, file, crc);
    return Status();
  }

  // Reads a non-partitioned entry into `out` (dtype and shape already match).
  Status ReadEntry(const BundleEntryInfo& e, Tensor* out) const {
    if (DataTypeIsPod(e.dtype)) return ReadPod(e, out->raw_data(), options.verify_checksums);
    if (e.dtype == DataType::kString) {
      return ReadStrings(e, out->strings(), options.verify_checksums);
    }
    return UnimplementedError("reading key " + PrintableKey(e.key) + " of dtype " +
                              std::string(DataTypeName(e.dtype)) + " is not supported");
  }

  // When `region` is all of the stored slice `stored` and lies in the output `out_slice` as
  // one contiguous row-major block (every dimension after its first partial one spans the
  // output's full extent), the block's element offset in the output; -1 otherwise.
  static int64_t ContiguousOffset(const TensorSlice& stored, const TensorSlice& region,
                                  const TensorSlice& out_slice) {
    const int rank = region.rank();
    for (int d = 0; d < rank; ++d) {
      if (region.extent(d).start != stored.extent(d).start ||
          region.extent(d).length != stored.extent(d).length)
        return -1;
    }
    int d = 0;
    while (d < rank && region.extent(d).length == 1) ++d;  // leading single index dims
    for (int k = d + 1; k < rank; ++k) {
      if (region.extent(k).start != out_slice.extent(k).start ||
          region.extent(k).length != out_slice.extent(k).length)
        return -1;
    }
    int64_t offset = 0;
    for (int k = 0; k < rank; ++k) {
      offset = offset * out_slice.extent(k).length +
               (region.extent(k).start - out_slice.extent(k).start);
    }
    return offset;
  }

  // Copies into `out` (holding resolved slice `out_slice` of the full tensor) every part of
  // the stored slices of partitioned entry `e` that intersects it.
  Status ReadPartitioned(const BundleEntryInfo& e, Tensor* out,
                         const TensorSlice& out_slice) const {
    if (!DataTypeIsPod(e.dtype)) {
      // A valid file (TF writes such entries), but TF cannot assemble them either.
      return UnimplementedError("partitioned tensor " + PrintableKey(e.key) + " of dtype " +
                                std::string(DataTypeName(e.dtype)) + " in checkpoint " + prefix +
                                " cannot be assembled from slices");
    }
    const size_t elem = DataTypeSize(e.dtype);
    int64_t covered = 0;
    for (const TensorSlice& stored : e.slices) {
      TensorSlice resolved = bundle::ResolveSlice(stored, e.shape);
      TensorSlice region;
      if (!resolved.Intersect(out_slice, &region)) continue;
      const BundleEntryInfo* part = Find(bundle::EncodeTensorNameSlice(e.key, stored));
      if (part == nullptr) return DataLossError("missing slice entry of " + PrintableKey(e.key));
      int64_t count = 1;
      for (const auto& x : region.extents()) count *= x.length;
      covered += count;
      if (const int64_t at = ContiguousOffset(resolved, region, out_slice); at >= 0) {
        // The whole stored slice is one block of the output: read it in place.
        CKPT_RETURN_IF_ERROR(ReadPod(*part, static_cast<char*>(out->raw_data()) + at * elem,
                                     options.verify_checksums));
        continue;
      }
      CKPT_ASSIGN_OR_RETURN(Tensor tmp, Tensor::AllocateUninitialized(e.dtype, part->shape));
      CKPT_RETURN_IF_ERROR(ReadPod(*part, tmp.raw_data(), options.verify_checksums));
      bundle::CopyRegion(elem, tmp.raw_data(), resolved, out->raw_data(), out_slice, region);
    }
    int64_t wanted = out->num_elements();
    if (covered != wanted) {
      return DataLossError("checkpoint " + prefix +
                           " does not have sufficient slices for "
                           "partitioned tensor " +
                           PrintableKey(e.key) + " (covered " + std::to_string(covered) + " of " +
                           std::to_string(wanted) + " elements)");
    }
    return Status();
  }

  Status ParseIndex(const table::TableReader& table);
};

Status BundleReader::Rep::ParseIndex(const table::TableReader& table) {
  bool have_header = false;
  std::set<std::string> referenced_slices;
  Status s = table.ForEach([&](std::string_view key, std::string_view value) -> Status {
    const std::string where = " in " + index_path;
    if (!have_header) {
      if (!key.empty()) return DataLossError("missing header entry" + where);
      tensorflow::BundleHeaderProto header;
      if (!header.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
        return DataLossError("unable to parse header" + where);
      }
      have_header = true;
      if (header.num_shards() < 1) {
        return DataLossError("invalid num_shards " + std::to_string(header.num_shards()) + where);
      }
      num_shards = header.num_shards();
      if (header.endianness() == tensorflow::BundleHeaderProto::BIG) {
        big_endian = true;
      } else if (header.endianness() != tensorflow::BundleHeaderProto::LITTLE) {
        return DataLossError("invalid endianness " + std::to_string(header.endianness()) + where);
      }
      return bundle::CheckVersions(header.version(), kBundleVersion, kBundleMinProducer,
                                   "checkpoint " + prefix);
    }
    const std::string what = "entry for key " + PrintableKey(key) + where;
    tensorflow::BundleEntryProto proto;
    if (!proto.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return DataLossError(what + " is not parseable");
    }
    BundleEntryInfo e;
    e.key = std::string(key);
    int32_t dtype = static_cast<int32_t>(proto.dtype());
    if (!IsValidDataType(dtype) || dtype == 0) {
      return DataLossError(what + " has invalid dtype " + std::to_string(dtype));
    }
    e.dtype = static_cast<DataType>(dtype);
    auto shape = ShapeFromProto(proto.shape());
    if (!shape.ok())
      return DataLossError(what +
                           " has an invalid shape: " + std::string(shape.status().message()));
    e.shape = *shape;
    if (proto.slices_size() > 0) {
      for (const auto& sp : proto.slices()) {
        auto slice = bundle::SliceFromProto(sp, e.shape);
        if (!slice.ok()) return DataLossError(what + ": " + std::string(slice.status().message()));
        TensorSlice resolved = bundle::ResolveSlice(*slice, e.shape);
        for (const TensorSlice& other : e.slices) {
          if (resolved.Intersect(bundle::ResolveSlice(other, e.shape), nullptr)) {
            return DataLossError(what + " has overlapping slices " + slice->ToString() + " and " +
                                 other.ToString());
          }
        }
        if (!referenced_slices.insert(bundle::EncodeTensorNameSlice(key, *slice)).second) {
          return DataLossError(what + " lists slice " + slice->ToString() + " twice");
        }
        e.slices.push_back(std::move(*slice));
      }
    } else {
      e.shard_id = proto.shard_id();
      e.offset = proto.offset();
      e.size = proto.size();
      e.masked_crc32c = proto.crc32c();
      if (e.shard_id < 0 || e.shard_id >= num_shards) {
        return DataLossError(what + " has shard id " + std::to_string(e.shard_id) +
                             " outside [0, " + std::to_string(num_shards) + ")");
      }
      if (e.offset < 0 || e.size < 0 || e.offset > INT64_MAX - e.size) {
        return DataLossError(what + " has invalid extent (offset " + std::to_string(e.offset) +
                             ", size " + std::to_string(e.size) + ")");
      }
      const int64_t n = e.shape.num_elements();
      if (DataTypeIsPod(e.dtype)) {
        int64_t expected;
        if (bundle::MulOverflow(n, static_cast<int64_t>(DataTypeSize(e.dtype)), &expected) ||
            expected != e.size) {
          return DataLossError(what + " has invalid size " + std::to_string(e.size) + " for " +
                               std::string(DataTypeName(e.dtype)) + " " + e.shape.DebugString());
        }
      } else if (e.dtype == DataType::kString) {
        // One varint byte per element at least, plus the 4-byte length checksum.
        if (e.size < 4 || n > e.size - 4) {
          return DataLossError(what + " has size " + std::to_string(e.size) + ", too small for " +
                               std::to_string(n) + " strings");
        }
      }
    }
    entries.push_back(std::move(e));
    return Status();
  });
  if (!s.ok()) return s;
  if (!have_header) return DataLossError("missing header entry in " + index_path);
  // Every slice of a partitioned tensor must have its own entry, of the right dtype/shape.
  for (const BundleEntryInfo& e : entries) {
    for (const TensorSlice& slice : e.slices) {
      const BundleEntryInfo* part = Find(bundle::EncodeTensorNameSlice(e.key, slice));
      auto want = slice.SliceShape(e.shape);
      if (part == nullptr || !part->slices.empty() || part->dtype != e.dtype || !want.ok() ||
          !(part->shape == *want)) {
        return DataLossError("slice " + slice.ToString() + " of partitioned tensor " +
                             PrintableKey(e.key) + " in " + index_path +
                             " is missing or does not match");
      }
    }
  }
  for (const BundleEntryInfo& e : entries) {
    if (!referenced_slices.count(e.key)) keys.push_back(e.key);
  }
  view_verified = std::make_unique<std::atomic<bool>[]>(entries.size());
  return Status();
}

BundleReader::BundleReader(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
BundleReader::~BundleReader() = default;

StatusOr<std::unique_ptr<BundleReader>> BundleReader::Open(Env* env, std::string_view prefix,
                                                           const BundleReaderOptions& options) {
  auto rep = std::make_unique<Rep>();
  rep->env = env;
  rep->prefix = std::string(prefix);
  rep->index_path = BundleIndexFilename(prefix);
  rep->options = options;
  auto file = env->NewRandomAccessFile(rep->index_path);
  if (!file.ok()) {
    if (IsNotFound(file.status()) || !env->FileExists(rep->index_path)) {
      return NotFoundError("checkpoint index " + rep->index_path + " not found (" +
                           std::string(file.status().message()) + ")");
    }
    return file.status();
  }
  auto table = table::TableReader::Open(std::move(file).value());
  if (!table.ok()) {
    return Status(table.status().code(),
                  "unable to read checkpoint index " + rep->index_path +
                      "; perhaps the file is corrupt or was written by a newer version: " +
                      std::string(table.status().message()));
  }
  CKPT_RETURN_IF_ERROR(rep->ParseIndex(**table));
  return std::unique_ptr<BundleReader>(new BundleReader(std::move(rep)));
}

const std::string& BundleReader::prefix() const { return rep_->prefix; }
int BundleReader::num_shards() const { return rep_->num_shards; }
bool BundleReader::big_endian() const { return rep_->big_endian; }
const std::vector<std::string>& BundleReader::keys() const { return rep_->keys; }
bool BundleReader::Contains(std::string_view key) const { return rep_->Find(key) != nullptr; }

StatusOr<BundleEntryInfo> BundleReader::GetEntry(std::string_view key) const {
  const BundleEntryInfo* e = rep_->Find(key);
  if (e == nullptr) return rep_->NotFound(key);
  return *e;
}

StatusOr<Tensor> BundleReader::Lookup(std::string_view key) const {
  const BundleEntryInfo* e = rep_->Find(key);
  if (e == nullptr) return rep_->NotFound(key);
  if (!DataTypeIsPod(e->dtype) && e->dtype != DataType::kString) {
    return UnimplementedError("reading key " + PrintableKey(key) + " of dtype " +
                              std::string(DataTypeName(e->dtype)) + " is not supported");
  }
  // Extents are checked against the shard sizes before allocating, so a hostile entry cannot
  // make us allocate more than the files hold.
  CKPT_RETURN_IF_ERROR(rep_->CheckExtents(*e));
  // Every byte is overwritten by the read (or the lookup fails), so skip zero-filling.
  auto t = Tensor::AllocateUninitialized(e->dtype, e->shape);
  if (!t.ok()) return t.status().WithContext("reading key " + PrintableKey(key));
  Tensor out = std::move(t).value();
  CKPT_RETURN_IF_ERROR(LookupInto(key, &out));
  return out;
}

Status BundleReader::LookupInto(std::string_view key, Tensor* out) const {
  CKPT_ASSIGN_OR_RETURN(const BundleEntryInfo* e, rep_->FindTarget(key, out));
  const std::pair<const BundleEntryInfo*, Tensor*> target{e, out};
  return rep_->ReadMany({&target, 1});
}

Status BundleReader::LookupMany(std::span<const std::pair<std::string, Tensor*>> targets) const {
  std::vector<std::pair<const BundleEntryInfo*, Tensor*>> resolved;
  resolved.reserve(targets.size());
  for (const auto& [key, out] : targets) {
    CKPT_ASSIGN_OR_RETURN(const BundleEntryInfo* e, rep_->FindTarget(key, out));
    resolved.emplace_back(e, out);
  }
  return rep_->ReadMany(resolved);
}

StatusOr<Tensor> BundleReader::LookupSlice(std::string_view key, const TensorSlice& slice) const {
  const BundleEntryInfo* e = rep_->Find(key);
  if (e == nullptr) return rep_->NotFound(key);
  auto shape = slice.SliceShape(e->shape);
  if (!shape.ok()) return shape.status().WithContext("slice of key " + PrintableKey(key));
  if (slice.CoversAll(e->shape)) return Lookup(key);
  // The extent is checked before allocating; LookupSliceInto makes the other checks. Every
  // element is written (ReadPartitioned fails unless the slices cover the request).
  CKPT_RETURN_IF_ERROR(rep_->CheckExtents(*e));
  CKPT_ASSIGN_OR_RETURN(Tensor out, Tensor::AllocateUninitialized(e->dtype, *shape));
  CKPT_RETURN_IF_ERROR(LookupSliceInto(key, slice, &out));
  return out;
}

Status BundleReader::LookupSliceInto(std::string_view key, const TensorSlice& slice,
                                     Tensor* out) const {
  const BundleEntryInfo* e = rep_->Find(key);
  if (e == nullptr) return rep_->NotFound(key);
  auto shape = slice.SliceShape(e->shape);
  if (!shape.ok()) return shape.status().WithContext("slice of key " + PrintableKey(key));
  if (out == nullptr || !out->valid() || out->dtype() != e->dtype || out->shape() != *shape) {
    return InvalidArgumentError(
        "slice " + slice.ToString() + " of key " + PrintableKey(key) + " is " +
        std::string(DataTypeName(e->dtype)) + shape->DebugString() + " but the target is " +
        (out != nullptr && out->valid()
             ? std::string(DataTypeName(out->dtype())) + out->shape().DebugString()
             : std::string("invalid")));
  }
  if (slice.CoversAll(e->shape)) return LookupInto(key, out);
  if (!DataTypeIsPod(e->dtype)) {
    return UnimplementedError("slicing key " + PrintableKey(key) + " of dtype " +
                              std::string(DataTypeName(e->dtype)) + " is not supported");
  }
  CKPT_RETURN_IF_ERROR(rep_->CheckExtents(*e));
  TensorSlice want = bundle::ResolveSlice(slice, e->shape);
  if (!e->slices.empty()) return rep_->ReadPartitioned(*e, out, want);
  CKPT_ASSIGN_OR_RETURN(Tensor full, Lookup(key));
  bundle::CopyRegion(DataTypeSize(e->dtype), full.raw_data(),
                     bundle::ResolveSlice(TensorSlice(e->shape.rank()), e->shape), out->raw_data(),
                     want, want);
  return Status();
}

StatusOr<Tensor> BundleReader::LookupView(std::string_view key) const {
  const Rep& r = *rep_;
  const BundleEntryInfo* e = r.Find(key);
  if (e == nullptr) return r.NotFound(key);
  if (!r.options.use_mmap) {
    return FailedPreconditionError("LookupView of " + PrintableKey(key) + " needs use_mmap");
  }
  if (!DataTypeIsPod(e->dtype) || !e->slices.empty() || r.big_endian) {
    return FailedPreconditionError("LookupView of " + PrintableKey(key) +
                                   ": only non-partitioned little-endian POD tensors can be "
                                   "viewed in place");
  }
  CKPT_ASSIGN_OR_RETURN(const RandomAccessFile* file, r.ShardFor(*e));
  std::string_view mapped = file->Mapped();
  if (mapped.data() == nullptr && e->size > 0) {
    return FailedPreconditionError("data file " + file->path() + " is not memory-mapped");
  }
  const char* p = mapped.data() ? mapped.data() + e->offset : nullptr;
  size_t index = static_cast<size_t>(e - r.entries.data());
  if (r.options.verify_checksums && !r.view_verified[index].load(std::memory_order_acquire)) {
    const uint32_t crc = r.Crc(p, static_cast<uint64_t>(e->size));
    if (crc != crc32c::Unmask(e->masked_crc32c)) return r.ChecksumError(*e, file, crc);
    r.view_verified[index].store(true, std::memory_order_release);
  }
  if (p != nullptr) CKPT_RETURN_IF_ERROR(Rep::CheckBools(*e, file, p));
  static char empty_dummy[1];
  void* data = p ? const_cast<char*>(p) : empty_dummy;
  return Tensor::Borrow(e->dtype, e->shape, data, static_cast<size_t>(e->size));
}

Status BundleReader::VerifyAll() const {
  const Rep& r = *rep_;
  // Entries are checked concurrently; the first bad one in key order is reported.
  uint64_t total = 0;
  for (const BundleEntryInfo& e : r.entries) total += static_cast<uint64_t>(e.size);
  const int threads = total < kParallelMinBytes ? 1 : r.options.num_threads;
  return ParallelFor(static_cast<int64_t>(r.entries.size()), threads, [&](int64_t i) -> Status {
    const BundleEntryInfo& e = r.entries[i];
    if (!e.slices.empty()) return Status();  // each slice is checked as its own entry
    if (DataTypeIsPod(e.dtype)) return r.VerifyRaw(e);
    if (e.dtype == DataType::kString) {
      std::vector<std::string> strings(static_cast<size_t>(e.shape.num_elements()));
      return r.ReadStrings(e, strings.data(), true);
    }
    // Variant checksums cover re-encoded lengths; only the extent can be checked here.
    return r.ShardFor(e).status();
  });
}

}  // namespace ckpt
