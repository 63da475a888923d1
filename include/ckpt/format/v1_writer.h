// Writer for TF's V1 checkpoints (TensorSliceWriter tables), the files TF's SaveSlices / Save
// kernels produce; OpenV1Checkpoint (ckpt/format/checkpoint_reader.h) reads them back.
//
// Thread safety: a free function; concurrent calls must write different files.
#pragma once

#include <string>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"

namespace ckpt {

// Writes the V1 checkpoint file `filename` holding each tensors[i] whole under names[i]:
// one table whose key "" holds SavedTensorSlices{meta} (name, shape, dtype and one full slice
// per tensor) and whose key EncodeTensorNameSlice(name, full slice) holds SavedTensorSlices{data}
// with the values in the TensorProto's typed *_val fields (V1 readers do not read
// tensor_content). Written through `env` under a temporary name and renamed into place, so
// readers never see a partial file; on error the temporary file is removed and `filename` is
// left as it was.
// REQUIRES: names.size() == tensors.size(); the tensors outlive the call.
// Errors: InvalidArgument for a name given twice; Unimplemented for dtypes V1 cannot hold
// (anything but float, double, int32, int16, int8, uint8, int64, bool and string); the Env's
// error, with "writing V1 checkpoint FILENAME" added, when writing fails.
Status WriteV1Checkpoint(Env* env, const std::string& filename,
                         const std::vector<std::string>& names,
                         const std::vector<const Tensor*>& tensors);

}  // namespace ckpt
