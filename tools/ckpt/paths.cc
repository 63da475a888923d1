// Path resolution for the subcommands: what the user typed -> a checkpoint prefix.
#include "commands.h"

#include "ckpt/format/bundle.h"

#if CKPT_CLI_HAVE_CHECKPOINT_STATE
#include "ckpt/checkpoint/checkpoint_state.h"
#endif

namespace ckpt::cli {

StatusOr<std::string> ResolveCheckpointPath(Env* env, std::string_view path_in) {
  std::string p(path_in);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p.empty()) return InvalidArgumentError("empty checkpoint path");
  constexpr std::string_view kIndex = ".index";
  if (p.size() > kIndex.size() && p.ends_with(kIndex) && env->FileExists(p) &&
      !env->IsDirectory(p)) {
    return p.substr(0, p.size() - kIndex.size());
  }
  if (!env->IsDirectory(p)) return p;
  if (env->FileExists(path::Join(p, "saved_model.pb")) ||
      env->FileExists(path::Join(p, "saved_model.pbtxt")) ||
      env->FileExists(BundleIndexFilename(path::Join(p, "variables/variables")))) {
    return path::Join(p, "variables/variables");
  }
#if CKPT_CLI_HAVE_CHECKPOINT_STATE
  auto latest = LatestCheckpoint(env, p);
  if (!latest.ok()) {
    return Status(latest.status().code(), "no checkpoint found in directory " + p + ": " +
                                              std::string(latest.status().message()));
  }
  return *latest;
#else
  return UnimplementedError("directory " + p +
                            " is not a SavedModel; finding the latest checkpoint of a "
                            "directory needs the checkpoint layer, which this build lacks");
#endif
}

bool IsCheckpointDirectory(Env* env, std::string_view path_in) {
#if CKPT_CLI_HAVE_CHECKPOINT_STATE
  std::string p(path_in);
  if (!env->IsDirectory(p)) return false;
  auto resolved = ResolveCheckpointPath(env, p);
  return !resolved.ok() || !resolved->ends_with("/variables/variables");
#else
  return false;
#endif
}

}  // namespace ckpt::cli
