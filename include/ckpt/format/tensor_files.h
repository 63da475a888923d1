// Tensor files of other frameworks: safetensors (`.safetensors`) and NumPy archives (`.npz`),
// read through the CheckpointReader interface and written by streaming writers.
//
// safetensors: an 8-byte little-endian header length N, N bytes of JSON {"NAME": {"dtype",
// "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}, then the raw
// little-endian tensor bytes. dtypes: BOOL U8 I8 U16 I16 F16 BF16 U32 I32 F32 U64 I64 F64
// C64 F8_E5M2 F8_E4M3 (TF float8_e4m3fn). Strings have no safetensors dtype.
//
// npz: a zip archive of `NAME.npy` files (NumPy format 1.0-3.0). Reading handles stored and
// deflated entries and zip64; writing stores entries uncompressed (np.load reads them
// mmap-free as np.savez's output), with zip64 records where members or the archive pass 4 GiB.
// dtypes: bool, (u)int8-64, float16/32/64, complex64/128. NumPy has no bfloat16 or float8: writing
// those is an InvalidArgument error naming the tensor (ml_dtypes arrays save as opaque void dtypes
// that np.load cannot give back), as are strings and Fortran-ordered arrays on reading.
//
// Errors: NotFound for missing files; DataLoss naming the file (and tensor) for malformed or
// truncated input; every size is checked against the file before anything is allocated.
//
// Thread safety: readers' const methods are safe for concurrent use; a writer is used by one
// thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/format/checkpoint_reader.h"

namespace ckpt {

enum class TensorFileFormat {
  kAuto,        // from the path: *.safetensors, *.npz, else a TF checkpoint
  kTensorFlow,  // a TF checkpoint prefix (V2 bundle; V1 on reading)
  kSafetensors,
  kNpz,
};

// The format `path` names: kSafetensors for "*.safetensors", kNpz for "*.npz", else
// kTensorFlow.
TensorFileFormat TensorFileFormatFromPath(std::string_view path);
std::string_view TensorFileFormatName(TensorFileFormat format);  // "tf", "safetensors", "npz"
// The inverse: "" or "auto" -> kAuto, "tf", "safetensors", "npz"; InvalidArgument otherwise.
StatusOr<TensorFileFormat> TensorFileFormatFromName(std::string_view name);

// The safetensors name of `dtype` ("F32", ...), or empty when safetensors cannot hold it.
std::string_view SafetensorsDtypeName(DataType dtype);
// The NumPy type string of `dtype` ("<f4", ...), or empty when NumPy cannot hold it.
std::string_view NpyDescr(DataType dtype);

// A safetensors file. variables() lists its tensors sorted by name (format() is
// "safetensors"); VerifyAll checks the header's offsets cover the data exactly.
class SafetensorsReader : public CheckpointReader {
 public:
  // The file is memory-mapped where the Env supports it; `env` must outlive the reader.
  static StatusOr<std::unique_ptr<SafetensorsReader>> Open(Env* env, const std::string& path);
  // The `__metadata__` object (empty if absent).
  virtual const std::map<std::string, std::string>& metadata() const = 0;
};

// An .npz archive: one tensor per `NAME.npy` member (the ".npy" is dropped from the name).
// format() is "npz"; VerifyAll checks every member's CRC-32.
StatusOr<std::unique_ptr<CheckpointReader>> OpenNpz(Env* env, const std::string& path);

// One array in a NumPy .npy file (format 1.0-3.0): the dtypes npz holds, and strings: '<U'
// (read as UTF-8) and '|S' (bytes; NumPy drops trailing NUL bytes, so they do not round-trip).
// WriteNpy writes strings as '|S' of the longest element's width, atomically (a temporary file
// renamed into place, not synced). Errors as for npz, naming `path`.
StatusOr<Tensor> ReadNpy(Env* env, const std::string& path);
Status WriteNpy(Env* env, const std::string& path, const Tensor& t);

// Opens a TF checkpoint (prefix), safetensors or npz file as chosen by `format` (kAuto: from
// the path).
StatusOr<std::unique_ptr<CheckpointReader>> OpenTensorFile(
    Env* env, const std::string& path, TensorFileFormat format = TensorFileFormat::kAuto);

// What a writer is told before the first tensor: every tensor's name, dtype and shape, in the
// order Add will be called.
struct TensorFileEntry {
  std::string name;
  DataType dtype = DataType::kInvalid;
  TensorShape shape;
};

// Writes a safetensors file, npz archive or TF checkpoint tensor by tensor, under a temporary
// name renamed into place by Finish() (a failed or abandoned write leaves no file at `path`).
class TensorFileWriter {
 public:
  virtual ~TensorFileWriter() = default;
  // Adds the next tensor; its name, dtype and shape must be those of the next entry given to
  // Create (InvalidArgument otherwise).
  virtual Status Add(const Tensor& tensor) = 0;
  // Checks every entry was added, syncs and renames the file into place.
  virtual Status Finish() = 0;

  // `metadata` is kept by safetensors (`__metadata__`) and ignored by the other formats.
  // InvalidArgument naming the tensor when the format cannot hold an entry's dtype, and for
  // duplicate or empty names. `env` must outlive the writer.
  static StatusOr<std::unique_ptr<TensorFileWriter>> Create(
      Env* env, const std::string& path, TensorFileFormat format,
      std::vector<TensorFileEntry> entries, std::map<std::string, std::string> metadata = {});
};

}  // namespace ckpt
