// The deletion protocol for a checkpoint other processes may be reading (private to the
// checkpoint layer): a `PREFIX.deleting` marker, pins (`PREFIX.pin.*`), index first.
#pragma once

#include <string>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"

namespace ckpt::internal {

enum class DeleteResult { kDeleted, kPinned };
// Deletes checkpoint `prefix`: creates the marker `PREFIX.deleting` (new pins wait for it to
// go away), then, unless a live pin holds the checkpoint (then the marker is removed and
// kPinned returned), deletes its index, its data files and companions `PREFIX.*`, and the
// marker last. The index is never hidden while the checkpoint may be in use.
StatusOr<DeleteResult> DeleteCheckpoint(Env* env, const std::string& prefix);

// IsCheckpointPinned over a listing of the checkpoint's directory already taken.
bool IsCheckpointPinnedIn(Env* env, const std::string& prefix,
                          const std::vector<std::string>& children);

// Removes `PREFIX.*` companions and data files of a prefix whose index is gone.
Status DeleteCheckpointRemains(Env* env, const std::string& prefix,
                               const std::vector<std::string>& children);

}  // namespace ckpt::internal
