// Uses an installed ckpt: saves a checkpoint with a CheckpointManager, reads it back with the
// format layer's reader and checks every value. Exits 0 on success; prints the problem and
// exits 1 otherwise. Usage: consumer DIR (DIR is created).
#include <cstdio>
#include <string>
#include <vector>

#include "ckpt/checkpoint/checkpoint_manager.h"
#include "ckpt/core/crc32c.h"
#include "ckpt/format/checkpoint_reader.h"

namespace {

ckpt::Status Run(const std::string& dir) {
  ckpt::Env* env = ckpt::Env::Default();
  ckpt::Tensor w = ckpt::Tensor::FromVector<float>({1.5f, -2.0f, 3.25f, 0.0f}, {2, 2});
  ckpt::Tensor step = ckpt::Tensor::Scalar<int64_t>(7);
  std::string prefix;
  {
    CKPT_ASSIGN_OR_RETURN(auto mgr, ckpt::CheckpointManager::Open(env, dir));
    CKPT_ASSIGN_OR_RETURN(prefix, mgr->Save(7, {{"dense/kernel", w}, {"global_step", step}},
                                            {.metrics = {{"loss", 0.25}}}));
  }
  CKPT_ASSIGN_OR_RETURN(auto reader, ckpt::OpenCheckpoint(env, prefix));
  if (reader->variables().size() != 2) {
    return ckpt::InternalError("expected 2 tensors in " + prefix);
  }
  CKPT_ASSIGN_OR_RETURN(ckpt::Tensor w2, reader->Lookup("dense/kernel"));
  CKPT_ASSIGN_OR_RETURN(ckpt::Tensor s2, reader->Lookup("global_step"));
  if (!w2.Equals(w) || !s2.Equals(step)) {
    return ckpt::InternalError("values read back differ: " + w2.DebugString());
  }
  CKPT_RETURN_IF_ERROR(reader->VerifyAll());
  std::printf("ok: %s (%zu tensors, %s, crc32c %s)\n", prefix.c_str(), reader->variables().size(),
              std::string(reader->format()).c_str(),
              ckpt::crc32c::HardwareAccelerated() ? "hardware" : "software");
  return ckpt::Status();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  ckpt::Status s = Run(argv[1]);
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
