// A V1 (TensorSlice table) checkpoint: the input is the file. The V1 reader lists its
// tensors (merging slices into full tensors), reads each and verifies the checksums.
#include <memory>

#include "ckpt/core/env.h"
#include "ckpt/format/checkpoint_reader.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  std::unique_ptr<Env> env = NewMemEnv();
  fuzz::CheckOk(env->WriteStringToFile("/model.ckpt", in.Rest()), "write checkpoint");
  auto reader = OpenV1Checkpoint(env.get(), "/model.ckpt");
  if (reader.ok()) fuzz::ReadEveryTensor(**reader);
  return 0;
}
