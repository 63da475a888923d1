// A safetensors file (the input): SafetensorsReader parses the JSON header, checks every
// tensor's offsets, reads each tensor and verifies the file, also through OpenTensorFile.
#include <memory>

#include "ckpt/core/env.h"
#include "ckpt/format/tensor_files.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  std::unique_ptr<Env> env = NewMemEnv();
  fuzz::CheckOk(env->WriteStringToFile("/t.safetensors", in.Rest()), "write file");
  auto reader = SafetensorsReader::Open(env.get(), "/t.safetensors");
  if (reader.ok()) fuzz::ReadEveryTensor(**reader);
  auto generic = OpenTensorFile(env.get(), "/t.safetensors");
  if (generic.ok()) fuzz::ReadEveryTensor(**generic);
  return 0;
}
