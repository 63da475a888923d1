// The metrics sidecar `PREFIX.metrics` of a checkpoint. The input is the file: parsed directly
// and through ReadMetrics on a memory Env; what parses must serialize and parse back equal.
#include <cmath>
#include <memory>
#include <string>

#include "checkpoint/metrics_file.h"
#include "ckpt/core/env.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  const std::string_view text = in.Rest();
  auto m = internal::ParseMetrics(text, "/run/model-1.metrics");
  if (m.ok()) {
    for (const auto& [name, value] : m->metrics) {
      fuzz::Check(internal::ValidMetricName(name), "parsed metric names are valid");
    }
    auto back = internal::ParseMetrics(internal::SerializeMetrics(*m), "again");
    fuzz::CheckOk(back.status(), "re-parse of serialized metrics");
    fuzz::Check(back->best_metric == m->best_metric && back->best_max == m->best_max &&
                    back->metrics.size() == m->metrics.size(),
                "metrics round trip");
    for (const auto& [name, value] : m->metrics) {
      auto it = back->metrics.find(name);
      fuzz::Check(it != back->metrics.end() &&
                      (it->second == value || (std::isnan(it->second) && std::isnan(value))),
                  "metric value round trip");
    }
  }
  std::unique_ptr<Env> env = NewMemEnv();
  fuzz::CheckOk(env->RecursivelyCreateDir("/run"), "create dir");
  fuzz::CheckOk(env->WriteStringToFile("/run/model-1.metrics", text), "write sidecar");
  (void)internal::ReadMetrics(env.get(), "/run/model-1");
  return 0;
}
