// The `checkpoint` state file (text-format CheckpointState). The input is the file: it is
// parsed directly and through GetCheckpointState / LatestCheckpoint on a memory Env; what
// parses must serialize and parse back to the same state.
#include <cmath>
#include <memory>
#include <string>

#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/core/env.h"
#include "fuzz_util.h"

namespace {

bool SameDouble(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  const std::string_view text = in.Rest();
  auto state = ParseCheckpointState(text);
  if (state.ok()) {
    const std::string again = SerializeCheckpointState(*state);
    auto back = ParseCheckpointState(again);
    fuzz::CheckOk(back.status(), "re-parse of a serialized state");
    fuzz::Check(back->model_checkpoint_path == state->model_checkpoint_path &&
                    back->all_model_checkpoint_paths == state->all_model_checkpoint_paths &&
                    back->all_model_checkpoint_timestamps.size() ==
                        state->all_model_checkpoint_timestamps.size() &&
                    SameDouble(back->last_preserved_timestamp, state->last_preserved_timestamp),
                "state round trip");
    for (size_t i = 0; i < state->all_model_checkpoint_timestamps.size(); ++i) {
      fuzz::Check(SameDouble(back->all_model_checkpoint_timestamps[i],
                             state->all_model_checkpoint_timestamps[i]),
                  "timestamp round trip");
    }
  }
  std::unique_ptr<Env> env = NewMemEnv();
  fuzz::CheckOk(env->RecursivelyCreateDir("/run"), "create dir");
  fuzz::CheckOk(env->WriteStringToFile("/run/checkpoint", text), "write state");
  fuzz::CheckOk(env->WriteStringToFile("/run/model-1.index", ""), "write index");
  (void)GetCheckpointState(env.get(), "/run");
  (void)LatestCheckpoint(env.get(), "/run");
  return 0;
}
