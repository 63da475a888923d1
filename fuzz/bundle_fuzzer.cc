// A full V2 bundle read. Input: flags byte, uint32 index length, the `.index` bytes, then the
// `.data-00000-of-00001` bytes. BundleReader opens it (with or without mmap), reads every
// tensor whole, into a buffer, as a view and (for partitioned keys) by slice, then verifies
// every checksum; OpenCheckpoint lists it as the generic reader does.
#include <memory>
#include <string>

#include "ckpt/core/env.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/checkpoint_reader.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  const uint8_t flags = in.Byte();
  std::unique_ptr<Env> env = NewMemEnv();
  fuzz::CheckOk(env->WriteStringToFile("/m.index", in.LengthPrefixed()), "write index");
  fuzz::CheckOk(env->WriteStringToFile("/m.data-00000-of-00001", in.Rest()), "write data");

  BundleReaderOptions options;
  options.use_mmap = (flags & 1) != 0;
  options.verify_checksums = (flags & 2) == 0;
  auto reader = BundleReader::Open(env.get(), "/m", options);
  if (reader.ok()) {
    const BundleReader& r = **reader;
    for (const std::string& key : r.keys()) {
      auto entry = r.GetEntry(key);
      fuzz::CheckOk(entry.status(), "GetEntry of a listed key");
      auto t = r.Lookup(key);
      if (t.ok()) {
        Tensor into(t->dtype(), t->shape());
        (void)r.LookupInto(key, &into);
      }
      (void)r.LookupView(key);
    }
    (void)r.VerifyAll();
  }
  auto ckpt = OpenCheckpoint(env.get(), "/m");
  if (ckpt.ok()) {
    for (const auto& v : (*ckpt)->variables()) (void)(*ckpt)->Lookup(v.name);
    (void)(*ckpt)->VerifyAll();
  }
  return 0;
}
