// BundleWriter and MergeBundles: TF's TensorBundle V2 layout (docs/format/bundle.md).
//
// Tensor bytes are streamed to the data file: small pieces are gathered in a buffer, large
// tensors are appended in big chunks straight from the tensor's storage, and the CRC is
// computed chunk by chunk while the bytes are cache-hot.
#include <algorithm>
#include <cstring>
#include <map>

#include "ckpt/core/crc32c.h"
#include "ckpt/core/parallel.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/tensor_proto.h"
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

// Version history of the bundle format constants (BundleHeaderProto.version):
//   producer 0: bundles written before the version field existed (2016-09).
//   producer 1: version field added (2016-09-14); current. min_consumer stays 0.
constexpr int kBundleMinProducer = 0;

constexpr size_t kBufferSize = 1 << 20;  // gather small appends up to 1 MiB
constexpr size_t kChunkSize = 8 << 20;   // large tensors go out in 8 MiB appends
// num_shards = 0 (automatic): one data file per this many bytes, up to the hardware threads.
constexpr uint64_t kAutoShardBytes = 256ull << 20;
constexpr int kMaxShards = 4096;

std::string RandomSuffix() { return ".tempstate" + std::to_string(TempNameRandom()); }

tensorflow::BundleHeaderProto MakeHeader(int num_shards, bool big_endian) {
  tensorflow::BundleHeaderProto header;
  header.set_num_shards(num_shards);
  header.set_endianness(big_endian ? tensorflow::BundleHeaderProto::BIG
                                   : tensorflow::BundleHeaderProto::LITTLE);
  header.mutable_version()->set_producer(kBundleVersion);
  return header;
}

// Writes `entries` (header first) as a table at `path`, through a temporary file renamed into
// place. Removes the temporary on failure.
Status WriteIndex(Env* env, const std::string& path, const tensorflow::BundleHeaderProto& header,
                  const std::map<std::string, tensorflow::BundleEntryProto>& entries, bool sync) {
  const std::string tmp = path + RandomSuffix();
  Status s = [&]() -> Status {
    CKPT_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env->NewWritableFile(tmp));
    auto builder = table::TableBuilder::Create(file.get());
    std::string value;
    header.SerializeToString(&value);
    CKPT_RETURN_IF_ERROR(builder->Add("", value));
    for (const auto& [key, entry] : entries) {
      entry.SerializeToString(&value);
      CKPT_RETURN_IF_ERROR(builder->Add(key, value));
    }
    CKPT_RETURN_IF_ERROR(builder->Finish());
    if (sync) CKPT_RETURN_IF_ERROR(file->Sync());
    CKPT_RETURN_IF_ERROR(file->Close());
    return env->RenameFile(tmp, path);
  }();
  if (!s.ok()) env->DeleteFile(tmp).IgnoreError();
  return s;
}

}  // namespace

std::string BundleIndexFilename(std::string_view prefix) { return std::string(prefix) + ".index"; }

std::string BundleDataFilename(std::string_view prefix, int shard_id, int num_shards) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), ".data-%05d-of-%05d", shard_id, num_shards);
  return std::string(prefix) + buf;
}

namespace {

// One data file being written: a temporary file, renamed into place by the writer's Finish.
struct ShardFile {
  int id = 0;
  std::string path, tmp;
  std::unique_ptr<WritableFile> file;
  std::string buffer;  // bytes not yet appended to `file`
  uint64_t size = 0;   // logical size of the data file (appended + buffered)
  bool renamed = false;

  Status Open(Env* env) {
    CKPT_ASSIGN_OR_RETURN(file, env->NewWritableFile(tmp));
    buffer.reserve(kBufferSize);
    return Status();
  }
  Status FlushBuffer() {
    if (buffer.empty()) return Status();
    Status s = file->Append(buffer);
    buffer.clear();
    return s;
  }
  // Appends `n` bytes at `p`, folding them into `*crc`.
  Status Write(const void* p, size_t n, uint32_t* crc) {
    const char* c = static_cast<const char*>(p);
    if (crc) *crc = crc32c::Extend(*crc, c, n);
    size += n;
    if (buffer.size() + n <= kBufferSize) {
      buffer.append(c, n);
      return Status();
    }
    CKPT_RETURN_IF_ERROR(FlushBuffer());
    if (n < kBufferSize) {
      buffer.append(c, n);
      return Status();
    }
    return file->Append(std::string_view(c, n));
  }
  // Streams a large POD buffer: CRC and append chunk by chunk.
  Status WriteLarge(const char* p, size_t n, uint32_t* crc) {
    if (n < kBufferSize) return Write(p, n, crc);
    CKPT_RETURN_IF_ERROR(FlushBuffer());
    for (size_t pos = 0; pos < n; pos += kChunkSize) {
      size_t len = std::min(kChunkSize, n - pos);
      *crc = crc32c::Extend(*crc, p + pos, len);
      CKPT_RETURN_IF_ERROR(file->Append(std::string_view(p + pos, len)));
    }
    size += n;
    return Status();
  }

  // Appends `t` (then zero padding up to `alignment`) and fills the entry's location fields.
  Status WriteTensor(const Tensor& t, int alignment, tensorflow::BundleEntryProto* entry) {
    entry->set_shard_id(id);
    entry->set_offset(static_cast<int64_t>(size));
    const uint64_t start = size;
    uint32_t crc = 0;
    if (DataTypeIsPod(t.dtype())) {
      CKPT_RETURN_IF_ERROR(
          WriteLarge(static_cast<const char*>(t.raw_data()), t.TotalBytes(), &crc));
    } else {
      // Strings: varint64 lengths, masked CRC of the fixed-width lengths, then the bytes.
      const int64_t n = t.num_elements();
      const std::string* strs = t.strings();
      std::string header;
      uint32_t length_crc = 0;
      for (int64_t i = 0; i < n; ++i) {
        uint64_t len = strs[i].size();
        bundle::PutVarint64(&header, len);
        if (len <= 0xffffffffu) {
          uint32_t len32 = static_cast<uint32_t>(len);
          char b[4];
          std::memcpy(b, &len32, 4);
          length_crc = crc32c::Extend(length_crc, b, 4);
        } else {
          char b[8];
          std::memcpy(b, &len, 8);
          length_crc = crc32c::Extend(length_crc, b, 8);
        }
      }
      crc = length_crc;  // the entry CRC starts with the same fixed-width lengths
      CKPT_RETURN_IF_ERROR(Write(header.data(), header.size(), nullptr));
      std::string masked;
      bundle::PutFixed32(&masked, crc32c::Mask(length_crc));
      CKPT_RETURN_IF_ERROR(Write(masked.data(), masked.size(), &crc));
      for (int64_t i = 0; i < n; ++i) {
        CKPT_RETURN_IF_ERROR(WriteLarge(strs[i].data(), strs[i].size(), &crc));
      }
    }
    entry->set_size(static_cast<int64_t>(size - start));
    entry->set_crc32c(crc32c::Mask(crc));
    if (alignment > 1) {
      size_t pad = (alignment - size % alignment) % alignment;
      if (pad > 0) {
        std::string zeros(pad, '\0');
        CKPT_RETURN_IF_ERROR(Write(zeros.data(), pad, nullptr));
      }
    }
    return Status();
  }

  // Flushes, syncs (if asked) and closes the temporary file.
  Status Complete(bool sync) {
    CKPT_RETURN_IF_ERROR(FlushBuffer());
    if (sync) CKPT_RETURN_IF_ERROR(file->Sync());
    CKPT_RETURN_IF_ERROR(file->Close());
    file.reset();
    return Status();
  }

  void Remove(Env* env) {
    if (file) {
      file->Close().IgnoreError();
      file.reset();
    }
    if (!tmp.empty() && env->FileExists(tmp)) env->DeleteFile(tmp).IgnoreError();
    if (renamed) env->DeleteFile(path).IgnoreError();
  }
};

// Which shard each tensor goes to, given their sizes in the order added: largest first onto
// the shard with the fewest bytes so far (ties: lower shard id, then earlier tensor).
std::vector<int> AssignShards(const std::vector<uint64_t>& sizes, int num_shards) {
  std::vector<size_t> order(sizes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  std::vector<uint64_t> load(num_shards, 0);
  std::vector<int> shard(sizes.size(), 0);
  for (size_t i : order) {
    int best = 0;
    for (int s = 1; s < num_shards; ++s) {
      if (load[s] < load[best]) best = s;
    }
    shard[i] = best;
    load[best] += sizes[i];
  }
  return shard;
}

// Bytes a tensor takes in a data file (before alignment padding).
uint64_t StoredBytes(const Tensor& t) {
  if (DataTypeIsPod(t.dtype())) return t.TotalBytes();
  uint64_t n = 4;
  const std::string* strs = t.strings();
  for (int64_t i = 0; i < t.num_elements(); ++i) n += strs[i].size() + 1 + strs[i].size() / 128;
  return n;
}

}  // namespace

struct BundleWriter::Rep {
  Env* env;
  std::string prefix;
  BundleWriterOptions options;
  std::string index_path;
  // num_shards == 1: tensors are streamed to shards[0] as they are added. Otherwise they are
  // kept in `pending` (sharing their storage) and written by Finish.
  bool deferred = false;
  std::vector<ShardFile> shards;
  struct Pending {
    std::string key;
    Tensor tensor;
  };
  std::vector<Pending> pending;
  std::map<std::string, tensorflow::BundleEntryProto> entries;
  Status status;
  bool closed = false;
  bool index_renamed = false;

  ShardFile MakeShard(int id, int num_shards) const {
    ShardFile f;
    f.id = id;
    f.path = BundleDataFilename(prefix, id, num_shards);
    f.tmp = f.path + RandomSuffix();
    return f;
  }

  Status CheckOpen() const {
    if (closed) return FailedPreconditionError("bundle writer for " + prefix + " is closed");
    return status;
  }

  Status AddEntry(std::string_view key, const Tensor& tensor) {
    if (key.empty()) return InvalidArgumentError("bundle key must not be empty (" + prefix + ")");
    if (entries.count(std::string(key))) {
      return InvalidArgumentError("adding duplicate key '" + bundle::PrintableKey(key) + "' to " +
                                  prefix);
    }
    if (!tensor.valid() ||
        !(DataTypeIsPod(tensor.dtype()) || tensor.dtype() == DataType::kString)) {
      return InvalidArgumentError("cannot save key '" + bundle::PrintableKey(key) +
                                  "': unsupported dtype " +
                                  std::string(DataTypeName(tensor.dtype())));
    }
    tensorflow::BundleEntryProto entry;
    entry.set_dtype(static_cast<tensorflow::DataType>(tensor.dtype()));
    ShapeToProto(tensor.shape(), entry.mutable_shape());
    if (deferred) {
      pending.push_back({std::string(key), tensor});
    } else {
      Status s = shards[0].WriteTensor(tensor, options.data_alignment, &entry);
      if (!s.ok()) {
        return s.WithContext("writing key '" + bundle::PrintableKey(key) + "' to " +
                             shards[0].path);
      }
    }
    entries.emplace(std::string(key), std::move(entry));
    return Status();
  }

  // Deferred mode: creates the shard files and writes the pending tensors, one thread per
  // shard, filling in their entries' locations.
  Status WritePending() {
    int n = options.num_shards;
    if (n == 0) {
      uint64_t total = 0;
      for (const auto& p : pending) total += StoredBytes(p.tensor);
      n = static_cast<int>(std::clamp<uint64_t>(total / kAutoShardBytes, 1,
                                                static_cast<uint64_t>(HardwareConcurrency())));
    }
    std::vector<uint64_t> sizes;
    sizes.reserve(pending.size());
    for (const auto& p : pending) sizes.push_back(StoredBytes(p.tensor));
    const std::vector<int> assignment = AssignShards(sizes, n);
    std::vector<std::vector<size_t>> members(n);
    for (size_t i = 0; i < pending.size(); ++i) members[assignment[i]].push_back(i);
    for (int i = 0; i < n; ++i) shards.push_back(MakeShard(i, n));
    for (auto& f : shards) CKPT_RETURN_IF_ERROR(f.Open(env));
    std::vector<tensorflow::BundleEntryProto> located(pending.size());
    CKPT_RETURN_IF_ERROR(ParallelFor(n, options.num_threads, [&](int64_t s) -> Status {
      ShardFile& f = shards[s];
      for (size_t i : members[s]) {
        Status st = f.WriteTensor(pending[i].tensor, options.data_alignment, &located[i]);
        if (!st.ok()) {
          return st.WithContext("writing key '" + bundle::PrintableKey(pending[i].key) + "' to " +
                                f.path);
        }
      }
      Status st = f.Complete(options.sync);
      if (!st.ok()) return st.WithContext("writing " + f.path);
      return Status();
    }));
    for (size_t i = 0; i < pending.size(); ++i) {
      auto& e = entries.at(pending[i].key);
      e.set_shard_id(located[i].shard_id());
      e.set_offset(located[i].offset());
      e.set_size(located[i].size());
      e.set_crc32c(located[i].crc32c());
    }
    pending.clear();
    return Status();
  }

  void Cleanup() {
    pending.clear();
    // A failed Finish leaves no bundle behind: the index goes first so that a crash in
    // between leaves data without an index, never an index without data.
    if (index_renamed) env->DeleteFile(index_path).IgnoreError();
    for (auto& f : shards) f.Remove(env);
  }
};

BundleWriter::BundleWriter(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

BundleWriter::~BundleWriter() {
  if (rep_ && !rep_->closed) {
    rep_->closed = true;
    rep_->Cleanup();
  }
}

StatusOr<std::unique_ptr<BundleWriter>> BundleWriter::Create(Env* env, std::string_view prefix,
                                                             const BundleWriterOptions& options) {
  if (prefix.empty()) return InvalidArgumentError("bundle prefix must not be empty");
  if (options.data_alignment < 1) {
    return InvalidArgumentError("data_alignment must be >= 1, got " +
                                std::to_string(options.data_alignment));
  }
  if (options.num_shards < 0 || options.num_shards > kMaxShards) {
    return InvalidArgumentError("num_shards must be in [0, " + std::to_string(kMaxShards) +
                                "], got " + std::to_string(options.num_shards));
  }
  auto rep = std::make_unique<Rep>();
  rep->env = env;
  rep->prefix = std::string(prefix);
  rep->options = options;
  rep->index_path = BundleIndexFilename(prefix);
  rep->deferred = options.num_shards != 1;
  std::string dir = path::Dirname(prefix);
  if (!dir.empty()) CKPT_RETURN_IF_ERROR(env->RecursivelyCreateDir(dir));
  if (!rep->deferred) {
    rep->shards.push_back(rep->MakeShard(0, 1));
    CKPT_RETURN_IF_ERROR(rep->shards[0].Open(env));
  }
  return std::unique_ptr<BundleWriter>(new BundleWriter(std::move(rep)));
}

Status BundleWriter::Add(std::string_view key, const Tensor& tensor) {
  Rep& r = *rep_;
  CKPT_RETURN_IF_ERROR(r.CheckOpen());
  r.status = r.AddEntry(key, tensor);
  return r.status;
}

Status BundleWriter::AddSlice(std::string_view full_key, const TensorShape& full_shape,
                              const TensorSlice& slice, const Tensor& slice_tensor) {
  Rep& r = *rep_;
  CKPT_RETURN_IF_ERROR(r.CheckOpen());
  const std::string key_str = bundle::PrintableKey(full_key);
  auto shape = slice.SliceShape(full_shape);
  if (!shape.ok()) {
    return r.status = shape.status().WithContext("adding slice of '" + key_str + "'");
  }
  if (!(*shape == slice_tensor.shape())) {
    return r.status = InvalidArgumentError("slice " + slice.ToString() + " of '" + key_str +
                                           "' has shape " + shape->DebugString() +
                                           " but the tensor has shape " +
                                           slice_tensor.shape().DebugString());
  }
  if (slice.CoversAll(full_shape)) return Add(full_key, slice_tensor);
  if (!DataTypeIsPod(slice_tensor.dtype())) {
    return r.status =
               InvalidArgumentError("partitioned tensor '" + key_str + "' has unsupported dtype " +
                                    std::string(DataTypeName(slice_tensor.dtype())));
  }
  if (full_key.empty()) return r.status = InvalidArgumentError("bundle key must not be empty");
  auto it = r.entries.find(std::string(full_key));
  if (it != r.entries.end()) {
    const auto& full = it->second;
    auto old_shape = ShapeFromProto(full.shape());
    if (full.slices_size() == 0 || static_cast<DataType>(full.dtype()) != slice_tensor.dtype() ||
        !old_shape.ok() || !(*old_shape == full_shape)) {
      return r.status = InvalidArgumentError("slice of '" + key_str +
                                             "' conflicts with the entry already added for it "
                                             "(dtype, shape or partitioning differ)");
    }
    for (const auto& p : full.slices()) {
      auto old = bundle::SliceFromProto(p, full_shape);
      if (old.ok() && bundle::ResolveSlice(*old, full_shape)
                          .Intersect(bundle::ResolveSlice(slice, full_shape), nullptr)) {
        return r.status = InvalidArgumentError("slice " + slice.ToString() + " of '" + key_str +
                                               "' overlaps slice " + old->ToString());
      }
    }
  }
  r.status = r.AddEntry(bundle::EncodeTensorNameSlice(full_key, slice), slice_tensor);
  if (!r.status.ok()) return r.status;
  auto& full = r.entries[std::string(full_key)];
  if (full.slices_size() == 0) {
    full.set_dtype(static_cast<tensorflow::DataType>(slice_tensor.dtype()));
    ShapeToProto(full_shape, full.mutable_shape());
  }
  bundle::SliceToProto(slice, full.add_slices());
  return Status();
}

Status BundleWriter::Finish() {
  Rep& r = *rep_;
  if (r.closed) return FailedPreconditionError("bundle writer for " + r.prefix + " is closed");
  r.closed = true;
  if (r.status.ok()) {
    r.status = [&]() -> Status {
      if (r.deferred) {
        CKPT_RETURN_IF_ERROR(r.WritePending());
      } else {
        Status st = r.shards[0].Complete(r.options.sync);
        if (!st.ok()) return st.WithContext("writing " + r.shards[0].path);
      }
      for (ShardFile& f : r.shards) {
        CKPT_RETURN_IF_ERROR(r.env->RenameFile(f.tmp, f.path));
        f.renamed = true;
        f.tmp.clear();
      }
      CKPT_RETURN_IF_ERROR(WriteIndex(r.env, r.index_path,
                                      MakeHeader(static_cast<int>(r.shards.size()), false),
                                      r.entries, r.options.sync));
      r.index_renamed = true;
      if (r.options.sync) {
        std::string dir = path::Dirname(r.prefix);
        CKPT_RETURN_IF_ERROR(r.env->SyncDir(dir.empty() ? "." : dir));
      }
      return Status();
    }();
  }
  if (!r.status.ok()) {
    r.Cleanup();
    r.status = r.status.WithContext("writing bundle " + r.prefix);
  }
  return r.status;
}

Status BundleWriter::status() const { return rep_->status; }

int BundleWriter::num_shards() const { return static_cast<int>(rep_->shards.size()); }

// ---- MergeBundles --------------------------------------------------------------------------

Status MergeBundles(Env* env, std::span<const std::string> prefixes, std::string_view merged_prefix,
                    bool allow_missing_files, bool sync) {
  const std::string merged(merged_prefix);
  std::string dir = path::Dirname(merged);
  if (!dir.empty()) CKPT_RETURN_IF_ERROR(env->RecursivelyCreateDir(dir));

  std::map<std::string, tensorflow::BundleEntryProto> merged_entries;
  std::vector<std::pair<std::string, int>> data_files;  // old data file -> new shard id
  std::vector<bool> data_file_used;
  std::optional<tensorflow::BundleHeaderProto> first_header;
  std::vector<std::string> merged_inputs;

  for (const std::string& prefix : prefixes) {
    const std::string index = BundleIndexFilename(prefix);
    if (allow_missing_files && !env->FileExists(index)) continue;
    CKPT_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(index));
    CKPT_ASSIGN_OR_RETURN(auto reader, table::TableReader::Open(std::move(file)));
    std::optional<tensorflow::BundleHeaderProto> header;
    std::map<int, int> shard_map;  // this input's shard id -> new id
    Status s = reader->ForEach([&](std::string_view key, std::string_view value) -> Status {
      if (!header) {
        header.emplace();
        if (!key.empty() || !header->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          return DataLossError("bundle index " + index + " has no valid header entry");
        }
        if (header->num_shards() < 1) {
          return DataLossError("bundle index " + index + " has invalid num_shards " +
                               std::to_string(header->num_shards()));
        }
        CKPT_RETURN_IF_ERROR(bundle::CheckVersions(header->version(), kBundleVersion,
                                                   kBundleMinProducer, "checkpoint " + prefix));
        if (!first_header) {
          first_header = *header;
        } else if (header->endianness() != first_header->endianness()) {
          return InvalidArgumentError("merging bundles with conflicting endianness: " + prefix);
        } else if (header->version().SerializeAsString() !=
                   first_header->version().SerializeAsString()) {
          return InvalidArgumentError("merging bundles with different format versions: " + prefix);
        }
        for (int i = 0; i < header->num_shards(); ++i) {
          shard_map[i] = static_cast<int>(data_files.size());
          data_files.emplace_back(BundleDataFilename(prefix, i, header->num_shards()),
                                  static_cast<int>(data_files.size()));
          data_file_used.push_back(false);
        }
        return Status();
      }
      tensorflow::BundleEntryProto entry;
      if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
        return DataLossError("entry for key '" + bundle::PrintableKey(key) + "' in " + index +
                             " is not parseable");
      }
      std::string k(key);
      auto it = merged_entries.find(k);
      if (it != merged_entries.end()) {
        auto& old = it->second;
        if (old.slices_size() == 0 || entry.slices_size() == 0 || old.dtype() != entry.dtype() ||
            old.shape().SerializeAsString() != entry.shape().SerializeAsString()) {
          return InvalidArgumentError("duplicate key '" + bundle::PrintableKey(key) +
                                      "' when merging " + prefix + " into " + merged);
        }
        for (const auto& sl : entry.slices()) *old.add_slices() = sl;
        return Status();
      }
      if (entry.slices_size() == 0) {
        auto sm = shard_map.find(entry.shard_id());
        if (sm == shard_map.end()) {
          return DataLossError("entry for key '" + bundle::PrintableKey(key) + "' in " + index +
                               " has shard id " + std::to_string(entry.shard_id()) +
                               " outside [0, " + std::to_string(header->num_shards()) + ")");
        }
        entry.set_shard_id(sm->second);
        data_file_used[sm->second] = true;
      }
      merged_entries.emplace(std::move(k), std::move(entry));
      return Status();
    });
    CKPT_RETURN_IF_ERROR(s);
    if (!header) return DataLossError("bundle index " + index + " has no header entry");
    merged_inputs.push_back(index);
  }
  if (!first_header) {
    return NotFoundError("no bundle to merge into " + merged + ": none of the inputs exist");
  }
  const int total = static_cast<int>(data_files.size());
  for (size_t i = 0; i < data_files.size(); ++i) {
    const auto& [old_name, id] = data_files[i];
    if (!data_file_used[i] && !env->FileExists(old_name)) continue;
    CKPT_RETURN_IF_ERROR(env->RenameFile(old_name, BundleDataFilename(merged, id, total)));
  }
  tensorflow::BundleHeaderProto header = *first_header;
  header.set_num_shards(total);
  CKPT_RETURN_IF_ERROR(WriteIndex(env, BundleIndexFilename(merged), header, merged_entries, sync));
  for (const std::string& index : merged_inputs) {
    if (index != BundleIndexFilename(merged)) env->DeleteFile(index).IgnoreError();
  }
  return Status();
}

}  // namespace ckpt
