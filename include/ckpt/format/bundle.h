// TensorBundle (TensorFlow checkpoint format V2): `PREFIX.index` (a LevelDB-format table of
// BundleEntryProto values keyed by tensor name, with a BundleHeaderProto under the empty key)
// plus data shards `PREFIX.data-SSSSS-of-NNNNN`. Byte layout: docs/format/bundle.md.
//
// BundleWriter writes a bundle of one or more data shards (several are written concurrently);
// MergeBundles combines bundles into one multi-shard bundle (as TF's MergeV2Checkpoints).
// BundleReader reads any V2 bundle written by TensorFlow or ckpt, treating the files as untrusted.
//
// Thread safety: a BundleWriter is used by one thread. BundleReader's const methods are safe
// for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ckpt/core/dtype.h"
#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/core/tensor_shape.h"
#include "ckpt/format/tensor_slice.h"

namespace ckpt {

// File names of a bundle.
std::string BundleIndexFilename(std::string_view prefix);  // PREFIX.index
std::string BundleDataFilename(std::string_view prefix, int shard_id, int num_shards);

// Version written in BundleHeaderProto.version.producer, and the newest min_consumer read.
inline constexpr int kBundleVersion = 1;

// What the index says about one key.
struct BundleEntryInfo {
  std::string key;
  DataType dtype = DataType::kInvalid;
  TensorShape shape;
  int32_t shard_id = 0;
  int64_t offset = 0;
  int64_t size = 0;
  uint32_t masked_crc32c = 0;
  // Non-empty for the full-tensor entry of a partitioned tensor (then shard/offset/size/crc
  // are unused and each slice has its own entry).
  std::vector<TensorSlice> slices;
};

struct BundleWriterOptions {
  // Pad each tensor with zeros so the next starts at a multiple of this. Default: 1 (none,
  // as TensorFlow).
  int data_alignment = 1;
  // fsync data and index before renaming them into place. Default: true.
  bool sync = true;
  // Number of data files `PREFIX.data-K-of-N`. 1 (default, as TF's SaveV2): tensors are
  // streamed to the file as they are added. Otherwise Add/AddSlice only record the tensors,
  // sharing their storage (the caller must not modify them until Finish returns), and Finish
  // writes the shards concurrently, then the index. Tensors go to shards by size, largest
  // first onto the shard with the fewest bytes so far (ties: lower shard id), and keep the
  // order they were added in within a shard, so the same tensors give the same files however
  // many threads write them. 0: one shard per 256 MiB of data, at most HardwareConcurrency()
  // (ckpt/core/parallel.h). At most 4096.
  int num_shards = 1;
  // Threads writing shards at once (num_shards != 1). <= 0: HardwareConcurrency(). Default: 0.
  int num_threads = 0;
};

class BundleWriter {
 public:
  // Starts a bundle at `prefix`; creates its directory. Files are written under temporary
  // names and renamed into place by Finish() (data first, index last), so `PREFIX.index`
  // exists only for a complete bundle. `env` must outlive the writer.
  static StatusOr<std::unique_ptr<BundleWriter>> Create(Env* env, std::string_view prefix,
                                                        const BundleWriterOptions& options = {});
  ~BundleWriter();  // removes temporary files if Finish() did not succeed

  // Appends `tensor` under `key`. InvalidArgument for an empty or duplicate key or an
  // unsupported dtype. Errors are sticky: after one, Add is a no-op and Finish returns it.
  Status Add(std::string_view key, const Tensor& tensor);

  // Adds one slice of a partitioned tensor `full_key` of shape `full_shape`. A slice that
  // covers the whole tensor is stored as a plain entry (as TensorFlow does).
  Status AddSlice(std::string_view full_key, const TensorShape& full_shape,
                  const TensorSlice& slice, const Tensor& slice_tensor);

  // Writes the index and renames files into place. After Finish the writer is closed:
  // further calls return FailedPrecondition. On failure (an earlier sticky error, or an I/O
  // error here) every file this writer created is removed, so no `PREFIX.index` is left.
  Status Finish();

  // The first error recorded (OK if none).
  Status status() const;

  // The number of data files written (after a successful Finish; with num_shards = 0 it is
  // chosen by Finish).
  int num_shards() const;

 private:
  struct Rep;
  explicit BundleWriter(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

// Merges single- or multi-shard bundles `prefixes` into one bundle at `merged_prefix`,
// renaming their data files and writing a new index (TF's MergeBundles). Inputs' index files
// are deleted afterwards. With allow_missing_files, absent inputs are skipped (error if all
// are absent). InvalidArgument on conflicting keys, endianness or versions. With `sync`, the
// new index is fsync'ed before its rename; without it (TF's durability) the merge is still
// atomic against a process crash, and no fsync makes the file system flush the renamed data
// files (on ext4 with data=ordered, any fsync commits the journal and writes them out).
Status MergeBundles(Env* env, std::span<const std::string> prefixes, std::string_view merged_prefix,
                    bool allow_missing_files = false, bool sync = true);

struct BundleReaderOptions {
  // Map data files into memory; Lookup then copies from the mapping, and LookupView can
  // return zero-copy views. Default: false.
  bool use_mmap = false;
  // Verify per-tensor CRC32C on every read. Default: true.
  bool verify_checksums = true;
  // Threads for one read: a tensor over 32 MiB is read in 16 MiB pieces concurrently (their
  // checksums combined), and LookupMany reads its tensors concurrently. 1: sequential.
  // <= 0: HardwareConcurrency() (ckpt/core/parallel.h). Default: 0.
  int num_threads = 0;
};

class BundleReader {
 public:
  // Opens `PREFIX.index`, checks the header (version, endianness, num_shards) and validates
  // every entry (dtype, shape, shard id, extent, size). Data shards are opened lazily.
  // NotFound if the index is missing; DataLoss if it is corrupt; InvalidArgument if it needs
  // a newer reader (min_consumer > kBundleVersion). `env` must outlive the reader.
  static StatusOr<std::unique_ptr<BundleReader>> Open(Env* env, std::string_view prefix,
                                                      const BundleReaderOptions& options = {});
  ~BundleReader();

  const std::string& prefix() const;
  int num_shards() const;
  bool big_endian() const;

  // Every logical tensor key in sorted order (slice keys of partitioned tensors are hidden).
  const std::vector<std::string>& keys() const;
  bool Contains(std::string_view key) const;
  // NotFound "key K not found in checkpoint P".
  StatusOr<BundleEntryInfo> GetEntry(std::string_view key) const;

  // Reads a whole tensor (assembling slices of partitioned tensors), verifying its checksum.
  // The entry's extent is checked against its data file before anything is allocated.
  // DataLoss naming file and key on a bad checksum or extent; Unimplemented for DT_VARIANT.
  StatusOr<Tensor> Lookup(std::string_view key) const;
  // Reads into `out`, which must already have the stored dtype and shape (owned or
  // borrowed storage: restoring into a caller buffer with no extra copy).
  // InvalidArgument naming the key and expected vs. stored dtype/shape otherwise.
  Status LookupInto(std::string_view key, Tensor* out) const;
  // Reads several tensors into `targets` ({key, out} as for LookupInto), concurrently on
  // options' num_threads: every target is checked (key present, dtype and shape equal) before
  // any byte is read. On an error reading, the error of the first target (in the given
  // order) that failed is returned; other targets may have been written.
  Status LookupMany(std::span<const std::pair<std::string, Tensor*>> targets) const;
  // Reads a sub-rectangle of a tensor (partitioned or not). Of a partitioned tensor only the
  // stored slices that intersect `slice` are read (each whole, so its checksum is verified);
  // a stored slice that lies inside `slice` as one contiguous block is read in place.
  StatusOr<Tensor> LookupSlice(std::string_view key, const TensorSlice& slice) const;
  // As LookupSlice, into `out`, which must have the stored dtype and the slice's shape (owned
  // or borrowed storage); InvalidArgument naming the key otherwise.
  Status LookupSliceInto(std::string_view key, const TensorSlice& slice, Tensor* out) const;

  // With use_mmap, a borrowed tensor pointing straight into the mapped data file (valid
  // while the reader lives); the checksum is verified once. FailedPrecondition without
  // use_mmap or for non-POD/partitioned/big-endian entries.
  StatusOr<Tensor> LookupView(std::string_view key) const;

  // Checks every entry: extents inside their shard, sizes, and all checksums. Returns the
  // first problem (DataLoss naming file and key).
  Status VerifyAll() const;

 private:
  struct Rep;
  explicit BundleReader(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace ckpt
