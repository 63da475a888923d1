// Converting between TF checkpoints (V1 read, V2 read/write), safetensors and NumPy .npz
// (`ckpt convert`; the Python package binds it as ckpt.convert).
//
// Partitioned (sliced) TF variables are joined into full tensors. Bytes are copied exactly
// (bfloat16, float16 and float8 included); a dtype the output format cannot hold is an
// InvalidArgument error naming the tensor, reported before the output file is created.
// safetensors `__metadata__` is kept when the output is safetensors.
//
// Thread safety: ConvertTensorFile may run concurrently on distinct outputs.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/format/tensor_files.h"

namespace ckpt {

struct ConvertOptions {
  // Input and output formats. Default: kAuto (from the paths, see TensorFileFormatFromPath).
  TensorFileFormat input_format = TensorFileFormat::kAuto;
  TensorFileFormat output_format = TensorFileFormat::kAuto;
  // Only tensors whose (input) name contains a match of this ECMAScript regex. Default: all.
  std::string only;
  // Renames applied in order to each selected name: every match of .first (an ECMAScript
  // regex) is replaced by .second ($1.. for groups). Two tensors renamed to one name are an
  // InvalidArgument error. Default: none.
  std::vector<std::pair<std::string, std::string>> renames;
  // Called after each tensor with (bytes done, total bytes). Default: none.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct ConvertResult {
  int64_t tensors = 0;
  uint64_t bytes = 0;  // tensor bytes written (POD tensors; strings by content)
};

// Converts `input` to `output`. `output` is written atomically (temporary file + rename); on
// error nothing is left at `output`. InvalidArgument for a bad regex or when no tensor is
// selected; errors of the readers and writers otherwise.
StatusOr<ConvertResult> ConvertTensorFile(Env* env, const std::string& input,
                                          const std::string& output,
                                          const ConvertOptions& options = {});

// Parses a `--rename` rule "REGEX=REPL" (split at the last '='). InvalidArgument without '='.
StatusOr<std::pair<std::string, std::string>> ParseRenameRule(std::string_view rule);

}  // namespace ckpt
