#include "checkpoint/deletion.h"

#include "checkpoint/checkpoint_files.h"

namespace ckpt::internal {

Status DeleteCheckpointRemains(Env* env, const std::string& prefix,
                               const std::vector<std::string>& children) {
  std::string dir = path::Dirname(prefix);
  std::string base = path::Basename(prefix);
  std::string dotted = base + ".";
  Status first;
  for (const auto& c : children) {
    if (c.size() <= dotted.size() || c.compare(0, dotted.size(), dotted) != 0) continue;
    std::string_view rest = std::string_view(c).substr(dotted.size());
    if (rest == "index" || rest == "deleting") continue;  // the caller's business
    if (rest.substr(0, 4) == "pin.") continue;            // readers' pins
    std::string p = path::Join(dir, c);
    Status s = env->DeleteFile(p);
    if (!s.ok() && env->FileExists(p)) first.Update(s.WithContext("deleting " + p));
  }
  return first;
}

StatusOr<DeleteResult> DeleteCheckpoint(Env* env, const std::string& prefix) {
  std::string index = prefix + ".index";
  std::string marker = prefix + std::string(kDeletingSuffix);
  CKPT_RETURN_IF_ERROR(env->WriteStringToFile(marker, "")
                           .WithContext("marking checkpoint " + prefix + " for deletion"));
  // One listing, taken after the marker is down, serves the pin check and the deletions: a
  // reader pinning later sees the marker and backs off; the checkpoint's own files all exist.
  std::string dir = path::Dirname(prefix);
  const std::vector<std::string> children = ListDir(env, dir);
  if (IsCheckpointPinnedIn(env, prefix, children)) {
    CKPT_RETURN_IF_ERROR(
        env->DeleteFile(marker).WithContext("unmarking pinned checkpoint " + prefix));
    return DeleteResult::kPinned;
  }
  // Index first: a half-deleted checkpoint is never visible as a checkpoint.
  if (env->FileExists(index))
    CKPT_RETURN_IF_ERROR(env->DeleteFile(index).WithContext("deleting " + index));
  CKPT_RETURN_IF_ERROR(DeleteCheckpointRemains(env, prefix, children));
  CKPT_RETURN_IF_ERROR(env->DeleteFile(marker).WithContext("deleting " + marker));
  return DeleteResult::kDeleted;
}

}  // namespace ckpt::internal
