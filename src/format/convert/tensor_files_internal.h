// Shared pieces of the safetensors and npz codecs (not a public header).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/format/tensor_files.h"

namespace ckpt::internal {

// Little-endian integer of `bytes` (<= 8) bytes at `p`.
inline uint64_t LoadLE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
inline uint64_t LoadLE64(const char* p) { return LoadLE(p, 8); }
inline void StoreLE(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void StoreLE64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// Reads exactly `n` bytes at `offset` into `dst`; DataLoss naming the file and `what` when the
// file is shorter.
Status ReadExact(const RandomAccessFile& file, uint64_t offset, uint64_t n, char* dst,
                 const std::string& what);

// A writer of one file: written under a temporary name (`path.tmp<random>`), synced and
// renamed into place by Finish(); removed if the writer is destroyed before. Checks that the
// tensors come in the announced order with the announced dtype and shape.
class StreamingFileWriter : public TensorFileWriter {
 public:
  StreamingFileWriter(Env* env, std::string path, std::vector<TensorFileEntry> entries)
      : env_(env), path_(std::move(path)), entries_(std::move(entries)) {}
  ~StreamingFileWriter() override;
  Status Open();
  Status Add(const Tensor& tensor) final;
  Status Finish() final;

 protected:
  virtual Status WriteTensor(const TensorFileEntry& entry, const Tensor& tensor) = 0;
  // Called by Finish before syncing (e.g. the zip central directory).
  virtual Status WriteTrailer() { return Status(); }
  Status Append(std::string_view data);
  uint64_t written() const { return written_; }
  const std::vector<TensorFileEntry>& entries() const { return entries_; }
  const std::string& path() const { return path_; }

 private:
  Env* env_;
  std::string path_, tmp_;
  std::vector<TensorFileEntry> entries_;
  std::unique_ptr<WritableFile> file_;
  size_t next_ = 0;
  uint64_t written_ = 0;
  bool finished_ = false;
};

// The name-indexed part of a file reader: `Entry`s (each with a CheckpointTensorInfo `info`)
// kept sorted by name. `Base` is CheckpointReader or a subclass.
template <typename Base, typename Entry>
class EntryTableReader : public Base {
 public:
  const std::vector<CheckpointTensorInfo>& variables() const override { return variables_; }
  bool Contains(std::string_view name) const override { return Find(name) != nullptr; }

 protected:
  const Entry* Find(std::string_view name) const {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                               [](const Entry& e, std::string_view n) { return e.info.name < n; });
    return it != entries_.end() && it->info.name == name ? &*it : nullptr;
  }
  // Sorts and keeps `entries`; DataLoss naming `file` when a name appears twice.
  Status SetEntries(std::vector<Entry> entries, const std::string& file) {
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.info.name < b.info.name; });
    for (size_t i = 1; i < entries.size(); ++i) {
      if (entries[i].info.name == entries[i - 1].info.name) {
        return DataLossError(file + ": tensor " + entries[i].info.name + " appears twice");
      }
    }
    entries_ = std::move(entries);
    for (const Entry& e : entries_) variables_.push_back(e.info);
    return Status();
  }

 private:
  std::vector<Entry> entries_;  // sorted by name
  std::vector<CheckpointTensorInfo> variables_;
};

StatusOr<std::unique_ptr<TensorFileWriter>> CreateSafetensorsWriter(
    Env* env, const std::string& path, std::vector<TensorFileEntry> entries,
    const std::map<std::string, std::string>& metadata);
// `zip64_from`: the size or offset from which a member (and the directory) is written with
// zip64 records; the default is where the 32-bit fields end, tests pass smaller values.
StatusOr<std::unique_ptr<TensorFileWriter>> CreateNpzWriter(Env* env, const std::string& path,
                                                            std::vector<TensorFileEntry> entries,
                                                            uint64_t zip64_from = 0xffffffffu);

}  // namespace ckpt::internal
