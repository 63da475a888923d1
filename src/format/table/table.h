// Private adapter over libleveldb's Table / TableBuilder for the LevelDB-format tables used by
// checkpoints (`PREFIX.index` of V2 bundles and V1 TensorSlice files). Byte layout:
// docs/format/bundle.md. leveldb types never leave this file pair.
//
// Thread safety: TableReader's const methods are safe for concurrent use; a TableBuilder is
// used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"

namespace ckpt::table {

// Options TensorFlow uses for every checkpoint table; with them, re-adding a TF-written
// table's entries reproduces it byte for byte.
struct TableBuilderOptions {
  // Target uncompressed size of a data block. Default: 262144 (TF's).
  size_t block_size = 262144;
  // Keys between restart points in data blocks (index blocks use 1). Default: 16.
  int block_restart_interval = 16;
};

class TableBuilder {
 public:
  // Builds a table into `file` (borrowed; must outlive the builder; not closed by Finish).
  static std::unique_ptr<TableBuilder> Create(WritableFile* file,
                                              const TableBuilderOptions& options = {});
  ~TableBuilder();  // abandons an unfinished table
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;

  // Keys must be strictly increasing (bytewise); InvalidArgument otherwise. Errors are
  // sticky.
  Status Add(std::string_view key, std::string_view value);
  // Writes the remaining blocks and the footer. The builder is unusable afterwards.
  Status Finish();
  uint64_t num_entries() const;
  // Bytes written so far (the file size after Finish).
  uint64_t file_size() const;

 private:
  struct Rep;
  explicit TableBuilder(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

class TableReader {
 public:
  // Opens the table in `file` (owned). Verifies block checksums on every read, and checks
  // that the footer and block handles lie inside the file. DataLoss naming the file if the
  // table is corrupt.
  static StatusOr<std::unique_ptr<TableReader>> Open(std::unique_ptr<RandomAccessFile> file);
  ~TableReader();
  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;

  const std::string& path() const;

  // Calls `fn(key, value)` for every entry in key order; stops at the first non-OK status
  // from `fn` and returns it. DataLoss on corruption (including keys that are not strictly
  // increasing). The views are valid only during the call.
  Status ForEach(
      const std::function<Status(std::string_view key, std::string_view value)>& fn) const;

  // The value stored under `key`, std::nullopt if absent.
  StatusOr<std::optional<std::string>> Get(std::string_view key) const;

 private:
  struct Rep;
  explicit TableReader(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace ckpt::table
