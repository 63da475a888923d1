// A NumPy .npy file (the input), as `ckpt run --feed NAME=@FILE.npy` reads it (ReadNpy): the
// preamble, the header dict and the array data, strings ('<U' UTF-32, '|S' bytes) included.
// What reads must write back (WriteNpy) and read again to an equal tensor.
#include <memory>

#include "ckpt/core/env.h"
#include "ckpt/format/tensor_files.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  std::unique_ptr<Env> env = NewMemEnv();
  fuzz::CheckOk(env->WriteStringToFile("/t.npy", in.Rest()), "write file");
  auto t = ReadNpy(env.get(), "/t.npy");
  if (!t.ok()) return 0;
  fuzz::CheckOk(WriteNpy(env.get(), "/back.npy", *t), "write back what was read");
  auto back = ReadNpy(env.get(), "/back.npy");
  fuzz::CheckOk(back.status(), "read back what was written");
  fuzz::Check(back->Equals(*t), ".npy round trip keeps dtype, shape and values");
  return 0;
}
