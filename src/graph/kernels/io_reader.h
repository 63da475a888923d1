// Checkpoint access for the restore kernels (RestoreV2, RestoreSlice, Restore): a V2 bundle
// when PREFIX.index exists, else a V1 table checkpoint (file or pattern), as TF's restore ops.
//
// Kept separate from the kernels so that the format layer's CheckpointReader types stay out of
// translation units that include the graph headers.
//
// Thread safety: one RestoreSource per Compute call; not shared.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/format/v1_writer.h"  // WriteV1Checkpoint, for the Save kernels

namespace ckpt {

class RestoreSource {
 public:
  virtual ~RestoreSource() = default;
  // "V1" or "V2".
  virtual std::string_view format() const = 0;
  // NotFound "Key K not found in checkpoint P" when absent.
  virtual StatusOr<Tensor> Lookup(std::string_view key) const = 0;
  // `shape_and_slice` is TF's "d0 d1 ... slice-spec" string ("" for the whole tensor).
  virtual StatusOr<Tensor> LookupSlice(std::string_view key,
                                       std::string_view shape_and_slice) const = 0;
};

// NotFound "Failed to find any matching files for P" when neither form exists.
StatusOr<std::unique_ptr<RestoreSource>> OpenRestoreSource(Env* env, std::string_view prefix);

}  // namespace ckpt
