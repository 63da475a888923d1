// Adapter from ckpt's Env files and Status to libleveldb's table classes. leveldb already reads
// TF's tables (including Snappy blocks) and writes them byte-identically with TF's options;
// this file only translates types and adds the hostile-input checks leveldb leaves out
// (block handles are validated against the file size before leveldb allocates for them).
#include "format/table/table.h"

#include <leveldb/comparator.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/status.h>
#include <leveldb/table.h>
#include <leveldb/table_builder.h>

#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "ckpt/core/crc32c.h"
#include "ckpt/core/thread_annotations.h"

namespace ckpt::table {
namespace {

constexpr size_t kFooterSize = 48;
constexpr size_t kBlockTrailerSize = 5;
constexpr uint64_t kTableMagic = 0xdb4775248b80fb57ull;

leveldb::Slice ToSlice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }
std::string_view ToView(const leveldb::Slice& s) { return std::string_view(s.data(), s.size()); }

// Remembers the first ckpt::Status a file adapter saw so callers get the original error
// rather than leveldb's re-wording of it.
class ErrorSlot {
 public:
  void Record(const Status& s) {
    MutexLock lock(mu_);
    first_.Update(s);
  }
  Status Get() const {
    MutexLock lock(mu_);
    return first_;
  }

 private:
  mutable Mutex mu_;
  Status first_ CKPT_GUARDED_BY(mu_);
};

class LeveldbReadFile final : public leveldb::RandomAccessFile {
 public:
  LeveldbReadFile(ckpt::RandomAccessFile* file, ErrorSlot* errors) : file_(file), errors_(errors) {}
  leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                       char* scratch) const override {
    std::string_view view;
    Status s = file_->Read(offset, n, &view, scratch);
    if (!s.ok()) {
      errors_->Record(s);
      *result = leveldb::Slice();
      return leveldb::Status::IOError(file_->path(), std::string(s.message()));
    }
    *result = ToSlice(view);
    return leveldb::Status::OK();
  }

 private:
  ckpt::RandomAccessFile* file_;
  ErrorSlot* errors_;
};

class LeveldbWriteFile final : public leveldb::WritableFile {
 public:
  LeveldbWriteFile(ckpt::WritableFile* file, ErrorSlot* errors) : file_(file), errors_(errors) {}
  leveldb::Status Append(const leveldb::Slice& data) override {
    return Wrap(file_->Append(ToView(data)));
  }
  // The table builder never owns the file: closing is the caller's job.
  leveldb::Status Close() override { return leveldb::Status::OK(); }
  leveldb::Status Flush() override { return Wrap(file_->Flush()); }
  leveldb::Status Sync() override { return Wrap(file_->Sync()); }

 private:
  leveldb::Status Wrap(const Status& s) {
    if (s.ok()) return leveldb::Status::OK();
    errors_->Record(s);
    return leveldb::Status::IOError(std::string(s.message()));
  }
  ckpt::WritableFile* file_;
  ErrorSlot* errors_;
};

Status FromLeveldb(const leveldb::Status& s, const ErrorSlot& errors, std::string_view path) {
  if (s.ok()) return Status();
  Status original = errors.Get();
  if (!original.ok()) return original;
  std::string msg = std::string(path) + ": " + s.ToString();
  if (s.IsCorruption()) return DataLossError("corrupt table " + msg);
  if (s.IsNotFound()) return NotFoundError(msg);
  if (s.IsInvalidArgument()) return InvalidArgumentError(msg);
  if (s.IsNotSupportedError()) return DataLossError("unsupported table feature in " + msg);
  return UnknownError(msg);
}

// varint64 decoding bounded by `end`; false on truncation or overlong encodings.
bool GetVarint64(const char** p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && *p < end; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(**p);
    ++*p;
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}
bool GetVarint32(const char** p, const char* end, uint32_t* v) {
  uint64_t v64;
  if (!GetVarint64(p, end, &v64) || v64 > 0xffffffffu) return false;
  *v = static_cast<uint32_t>(v64);
  return true;
}
uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | (uint32_t{u[1]} << 8) | (uint32_t{u[2]} << 16) | (uint32_t{u[3]} << 24);
}

struct Handle {
  uint64_t offset = 0;
  uint64_t size = 0;
};

// A block handle must describe bytes (plus trailer) that lie before the footer.
bool HandleFits(const Handle& h, uint64_t data_end) {
  if (h.size > data_end || h.offset > data_end) return false;
  return h.size + kBlockTrailerSize <= data_end - h.offset;
}

Status Corrupt(const std::string& path, std::string_view what) {
  return DataLossError("corrupt table " + path + ": " + std::string(what));
}

// Checks what leveldb trusts blindly: the footer's handles and, for an uncompressed index
// block, every data-block handle. leveldb allocates `handle.size` bytes before reading.
Status ValidateLayout(ckpt::RandomAccessFile* file) {
  const std::string& path = file->path();
  uint64_t size = file->Size();
  if (size < kFooterSize) return Corrupt(path, "file is too short to be a table");
  char footer[kFooterSize];
  std::string_view view;
  CKPT_RETURN_IF_ERROR(file->Read(size - kFooterSize, kFooterSize, &view, footer));
  if (view.size() != kFooterSize) return Corrupt(path, "short read of footer");
  uint64_t magic =
      DecodeFixed32(view.data() + 40) | (uint64_t{DecodeFixed32(view.data() + 44)} << 32);
  if (magic != kTableMagic) return Corrupt(path, "not a table (bad magic number)");
  const char* p = view.data();
  const char* end = view.data() + 40;
  Handle meta, index;
  if (!GetVarint64(&p, end, &meta.offset) || !GetVarint64(&p, end, &meta.size) ||
      !GetVarint64(&p, end, &index.offset) || !GetVarint64(&p, end, &index.size)) {
    return Corrupt(path, "bad block handle in footer");
  }
  uint64_t data_end = size - kFooterSize;
  if (!HandleFits(meta, data_end) || !HandleFits(index, data_end)) {
    return Corrupt(path, "footer block handle points outside the file");
  }
  std::string block(index.size + kBlockTrailerSize, '\0');
  CKPT_RETURN_IF_ERROR(file->Read(index.offset, block.size(), &view, block.data()));
  if (view.size() != block.size()) return Corrupt(path, "truncated index block");
  uint32_t stored = DecodeFixed32(view.data() + index.size + 1);
  if (crc32c::Unmask(stored) != crc32c::Value(view.data(), index.size + 1)) {
    return Corrupt(path, "index block checksum mismatch");
  }
  if (view[index.size] != 0) return Status();  // compressed: leveldb checks what it inflates
  // Walk the block's entries; values are data-block handles.
  if (index.size < 4) return Corrupt(path, "index block too small");
  uint32_t num_restarts = DecodeFixed32(view.data() + index.size - 4);
  if (num_restarts > (index.size - 4) / 4) return Corrupt(path, "bad index block restarts");
  const char* q = view.data();
  const char* entries_end = view.data() + index.size - 4 - 4 * uint64_t{num_restarts};
  while (q < entries_end) {
    uint32_t shared, non_shared, value_len;
    if (!GetVarint32(&q, entries_end, &shared) || !GetVarint32(&q, entries_end, &non_shared) ||
        !GetVarint32(&q, entries_end, &value_len) ||
        uint64_t{non_shared} + value_len > static_cast<uint64_t>(entries_end - q)) {
      return Corrupt(path, "bad index block entry");
    }
    q += non_shared;
    const char* v = q;
    q += value_len;
    Handle h;
    if (!GetVarint64(&v, q, &h.offset) || !GetVarint64(&v, q, &h.size) ||
        !HandleFits(h, data_end)) {
      return Corrupt(path, "data block handle points outside the file");
    }
  }
  return Status();
}

}  // namespace

// ---- TableBuilder --------------------------------------------------------------------------

struct TableBuilder::Rep {
  ErrorSlot errors;
  std::unique_ptr<LeveldbWriteFile> file;
  leveldb::Options options;
  std::unique_ptr<leveldb::TableBuilder> builder;
  std::string last_key;
  Status status;
  bool finished = false;
};

TableBuilder::TableBuilder(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

TableBuilder::~TableBuilder() {
  if (rep_ && rep_->builder && !rep_->finished) rep_->builder->Abandon();
}

std::unique_ptr<TableBuilder> TableBuilder::Create(WritableFile* file,
                                                   const TableBuilderOptions& options) {
  auto rep = std::make_unique<Rep>();
  rep->file = std::make_unique<LeveldbWriteFile>(file, &rep->errors);
  rep->options.comparator = leveldb::BytewiseComparator();
  rep->options.block_size = options.block_size;
  rep->options.block_restart_interval = options.block_restart_interval;
  rep->options.compression = leveldb::kNoCompression;
  rep->options.filter_policy = nullptr;
  rep->builder = std::make_unique<leveldb::TableBuilder>(rep->options, rep->file.get());
  return std::unique_ptr<TableBuilder>(new TableBuilder(std::move(rep)));
}

Status TableBuilder::Add(std::string_view key, std::string_view value) {
  Rep& r = *rep_;
  if (r.finished) return FailedPreconditionError("table builder is finished");
  if (!r.status.ok()) return r.status;
  if (r.builder->NumEntries() > 0 && !(std::string_view(r.last_key) < key)) {
    r.status = InvalidArgumentError("table keys must be strictly increasing: '" + r.last_key +
                                    "' then '" + std::string(key) + "'");
    return r.status;
  }
  r.last_key.assign(key);
  r.builder->Add(ToSlice(key), ToSlice(value));
  r.status = FromLeveldb(r.builder->status(), r.errors, "table being written");
  return r.status;
}

Status TableBuilder::Finish() {
  Rep& r = *rep_;
  if (r.finished) return FailedPreconditionError("table builder is finished");
  r.finished = true;
  if (!r.status.ok()) {
    r.builder->Abandon();
    return r.status;
  }
  r.status = FromLeveldb(r.builder->Finish(), r.errors, "table being written");
  return r.status;
}

uint64_t TableBuilder::num_entries() const { return rep_->builder->NumEntries(); }
uint64_t TableBuilder::file_size() const { return rep_->builder->FileSize(); }

// ---- TableReader ---------------------------------------------------------------------------

struct TableReader::Rep {
  std::unique_ptr<ckpt::RandomAccessFile> file;
  ErrorSlot errors;
  std::unique_ptr<LeveldbReadFile> adapter;
  leveldb::Options options;
  std::unique_ptr<leveldb::Table> table;
};

TableReader::TableReader(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
TableReader::~TableReader() = default;

const std::string& TableReader::path() const { return rep_->file->path(); }

StatusOr<std::unique_ptr<TableReader>> TableReader::Open(std::unique_ptr<RandomAccessFile> file) {
  CKPT_RETURN_IF_ERROR(ValidateLayout(file.get()));
  auto rep = std::make_unique<Rep>();
  rep->file = std::move(file);
  rep->adapter = std::make_unique<LeveldbReadFile>(rep->file.get(), &rep->errors);
  rep->options.comparator = leveldb::BytewiseComparator();
  rep->options.paranoid_checks = true;  // verify the index block's checksum too
  rep->options.filter_policy = nullptr;
  leveldb::Table* table = nullptr;
  leveldb::Status s;
  try {
    s = leveldb::Table::Open(rep->options, rep->adapter.get(), rep->file->Size(), &table);
  } catch (const std::bad_alloc&) {
    return Corrupt(rep->file->path(), "block size is impossibly large");
  }
  CKPT_RETURN_IF_ERROR(FromLeveldb(s, rep->errors, rep->file->path()));
  rep->table.reset(table);
  return std::unique_ptr<TableReader>(new TableReader(std::move(rep)));
}

Status TableReader::ForEach(
    const std::function<Status(std::string_view key, std::string_view value)>& fn) const {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  std::string prev;
  bool first = true;
  try {
    std::unique_ptr<leveldb::Iterator> it(rep_->table->NewIterator(ro));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string_view key = ToView(it->key());
      if (!first && !(std::string_view(prev) < key)) {
        return Corrupt(path(), "keys out of order or duplicated at '" + std::string(key) + "'");
      }
      first = false;
      prev.assign(key);
      CKPT_RETURN_IF_ERROR(fn(key, ToView(it->value())));
    }
    return FromLeveldb(it->status(), rep_->errors, path());
  } catch (const std::bad_alloc&) {
    return Corrupt(path(), "block size is impossibly large");
  }
}

StatusOr<std::optional<std::string>> TableReader::Get(std::string_view key) const {
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  try {
    std::unique_ptr<leveldb::Iterator> it(rep_->table->NewIterator(ro));
    it->Seek(ToSlice(key));
    if (it->Valid() && ToView(it->key()) == key) {
      return std::optional<std::string>(std::string(ToView(it->value())));
    }
    CKPT_RETURN_IF_ERROR(FromLeveldb(it->status(), rep_->errors, path()));
    return std::optional<std::string>();
  } catch (const std::bad_alloc&) {
    return Corrupt(path(), "block size is impossibly large");
  }
}

}  // namespace ckpt::table
