// An .npz archive (the input): the zip directory and local headers, stored or deflated
// members and each member's .npy header are parsed; every tensor is read and every CRC-32
// verified, also through OpenTensorFile.
#include <memory>

#include "ckpt/core/env.h"
#include "ckpt/format/tensor_files.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  std::unique_ptr<Env> env = NewMemEnv();
  fuzz::CheckOk(env->WriteStringToFile("/t.npz", in.Rest()), "write file");
  auto reader = OpenNpz(env.get(), "/t.npz");
  if (reader.ok()) fuzz::ReadEveryTensor(**reader);
  auto generic = OpenTensorFile(env.get(), "/t.npz");
  if (generic.ok()) fuzz::ReadEveryTensor(**generic);
  return 0;
}
