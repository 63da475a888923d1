// TensorBoard event files: a round trip through SummaryWriter (there is no event reader in
// ckpt). The input drives the writer (filename suffix, then scalars with arbitrary tags,
// values and steps); the file it wrote to a memory Env is then read back record by record:
// every record's length and masked CRC32C must check, every event must parse, and the
// scalars must be the ones written, in order.
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_files.h"
#include "ckpt/checkpoint/summary_writer.h"
#include "ckpt/core/crc32c.h"
#include "ckpt/core/env.h"
#include "fuzz_util.h"
#include "tensorflow/core/util/event.pb.h"

namespace {

struct Written {
  int64_t step;
  std::map<std::string, double> values;
};

uint64_t Fixed(std::string_view s, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{static_cast<uint8_t>(s[i])} << (8 * i);
  return v;
}

bool SameFloat(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  std::unique_ptr<Env> env = NewMemEnv();
  SummaryWriterOptions options;
  options.filename_suffix = std::string(in.Take(in.Byte() % 16));
  auto writer = SummaryWriter::Create(env.get(), "/logs", options);
  if (!writer.ok()) return 0;  // e.g. a suffix naming a missing directory
  const std::string path = (*writer)->path();

  std::vector<Written> written;
  for (int event = 0; event < 16 && !in.empty(); ++event) {
    Written w;
    w.step = static_cast<int64_t>(uint64_t{in.U32()} << 32 | in.U32());
    const int n = in.Byte() % 4;
    for (int i = 0; i < n; ++i) {
      std::string tag(in.Take(in.Byte() % 32));
      uint64_t bits = uint64_t{in.U32()} << 32 | in.U32();
      double value;
      std::memcpy(&value, &bits, sizeof value);
      w.values[tag] = value;
    }
    Status s = (*writer)->AddScalars(w.values, w.step, /*wall_time=*/1.5);
    if (s.ok()) {
      written.push_back(std::move(w));
    } else {
      bool bad_tag = false;
      for (const auto& [tag, value] : w.values) {
        bad_tag = bad_tag || tag.empty() || !internal::IsValidUtf8(tag);
      }
      fuzz::Check(bad_tag, "AddScalars fails only for an empty or non-UTF-8 tag", s);
    }
  }
  fuzz::CheckOk((*writer)->Close(), "close");

  auto bytes = env->ReadFileToString(path);
  fuzz::CheckOk(bytes.status(), "read the event file");
  std::string_view rest = *bytes;
  std::vector<tensorflow::Event> events;
  while (!rest.empty()) {
    fuzz::Check(rest.size() >= 12, "record header");
    const uint64_t len = Fixed(rest, 8);
    fuzz::Check(crc32c::Unmask(static_cast<uint32_t>(Fixed(rest.substr(8), 4))) ==
                    crc32c::Value(rest.data(), 8),
                "length CRC");
    fuzz::Check(rest.size() >= 16 + len, "record length");
    const std::string_view payload = rest.substr(12, len);
    fuzz::Check(crc32c::Unmask(static_cast<uint32_t>(Fixed(rest.substr(12 + len), 4))) ==
                    crc32c::Value(payload),
                "payload CRC");
    tensorflow::Event e;
    fuzz::Check(e.ParseFromArray(payload.data(), static_cast<int>(payload.size())), "event parses");
    events.push_back(std::move(e));
    rest.remove_prefix(16 + len);
  }
  fuzz::Check(events.size() == written.size() + 1, "one event per AddScalars plus the first");
  fuzz::Check(events[0].file_version() == "brain.Event:2", "file_version event first");
  for (size_t i = 0; i < written.size(); ++i) {
    const tensorflow::Event& e = events[i + 1];
    fuzz::Check(e.step() == written[i].step && e.wall_time() == 1.5, "step and wall time");
    fuzz::Check(e.summary().value_size() == static_cast<int>(written[i].values.size()),
                "value count");
    int k = 0;
    for (const auto& [tag, value] : written[i].values) {
      const auto& v = e.summary().value(k++);
      fuzz::Check(v.tag() == tag && SameFloat(v.simple_value(), static_cast<float>(value)),
                  "scalar round trip");
    }
  }
  return 0;
}
