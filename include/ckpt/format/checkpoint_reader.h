// CheckpointReader: reads any TensorFlow checkpoint prefix, V2 (bundle) or V1 (TensorSlice
// tables), like tf.train.load_checkpoint. V2 is chosen when `PREFIX.index` exists; otherwise
// PREFIX is taken as a V1 file or pattern (`export`, `export-?????-of-00001`).
//
// Thread safety: const methods are safe for concurrent use.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"

namespace ckpt {

struct VariableInfo {
  std::string name;
  DataType dtype = DataType::kInvalid;
  TensorShape shape;
  // Bytes the tensor occupies in the data files (for V1: its element bytes; for strings the
  // encoded size where known, else 0).
  int64_t bytes = 0;
};

class CheckpointReader {
 public:
  virtual ~CheckpointReader() = default;
  // Sorted by name; partitioned tensors appear once with their full shape.
  virtual const std::vector<VariableInfo>& variables() const = 0;
  virtual bool Contains(std::string_view name) const = 0;
  virtual StatusOr<Tensor> Lookup(std::string_view name) const = 0;
  // "V1" or "V2".
  virtual std::string_view format() const = 0;
  // Verifies every checksum the format carries.
  virtual Status VerifyAll() const = 0;
};

// Opens the checkpoint at `prefix` (V2 if `PREFIX.index` exists, else V1 files matching the
// pattern `prefix`). NotFound when neither exists; DataLoss when the files are corrupt.
// `env` must outlive the reader.
StatusOr<std::unique_ptr<CheckpointReader>> OpenCheckpoint(Env* env, std::string_view prefix);

// A V1 (TensorSliceWriter) checkpoint: the files matching `pattern` (a path whose basename may
// contain `*`, `?` and `[...]`). NotFound when no file matches.
StatusOr<std::unique_ptr<CheckpointReader>> OpenV1Checkpoint(Env* env, std::string_view pattern);

}  // namespace ckpt
