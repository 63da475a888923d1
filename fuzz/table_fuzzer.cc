// The `.index` table of a V2 bundle: the input is the index file. The LevelDB table reader
// iterates and looks up every entry; the "" entry is parsed as the BundleHeaderProto and every
// other as a BundleEntryProto (shape and slices decoded); then BundleReader::Open validates
// the same index (header, entries) without data files.
#include <memory>
#include <string>

#include "ckpt/core/env.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/tensor_proto.h"
#include "format/table/table.h"
#include "fuzz_util.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  std::unique_ptr<Env> env = NewMemEnv();
  fuzz::CheckOk(env->WriteStringToFile("/m.index", in.Rest()), "write index");

  auto file = env->NewRandomAccessFile("/m.index");
  fuzz::CheckOk(file.status(), "open index");
  auto table = table::TableReader::Open(std::move(*file));
  if (table.ok()) {
    int n = 0;
    (void)(*table)->ForEach([&](std::string_view key, std::string_view value) -> Status {
      if (key.empty()) {
        tensorflow::BundleHeaderProto header;
        (void)header.ParseFromArray(value.data(), static_cast<int>(value.size()));
      } else {
        tensorflow::BundleEntryProto entry;
        if (entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          (void)ShapeFromProto(entry.shape());
          (void)PartialShapeFromProto(entry.shape());
        }
      }
      if (++n <= 16) {
        auto got = (*table)->Get(key);
        fuzz::Check(!got.ok() || (got->has_value() && **got == value), "Get agrees with ForEach",
                    got.status());
      }
      return Status::OK();
    });
    (void)(*table)->Get("");
    (void)(*table)->Get("\xff\xff");
  }

  auto reader = BundleReader::Open(env.get(), "/m");
  if (reader.ok()) {
    for (const std::string& key : (*reader)->keys()) {
      auto entry = (*reader)->GetEntry(key);
      fuzz::CheckOk(entry.status(), "GetEntry of a listed key");
      (void)(*reader)->Lookup(key);  // no data file: a clean error
    }
  }
  return 0;
}
