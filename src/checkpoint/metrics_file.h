// The metrics sidecar `PREFIX.metrics` of a checkpoint (private to the checkpoint layer).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"

namespace ckpt::internal {

// Metrics sidecar `PREFIX.metrics`: lines "name<TAB>value"; a line "@best<TAB>metric<TAB>min|max"
// records the manager's keep_best setting.
struct MetricsFile {
  std::map<std::string, double> metrics;
  std::string best_metric;
  bool best_max = false;
};
std::string SerializeMetrics(const MetricsFile& m);
StatusOr<MetricsFile> ParseMetrics(std::string_view text, const std::string& file);
// Reads the sidecar of `prefix`; std::nullopt if absent or unreadable.
std::optional<MetricsFile> ReadMetrics(Env* env, const std::string& prefix);

// Whether a metric name is acceptable (non-empty, no whitespace or control bytes).
bool ValidMetricName(std::string_view name);

}  // namespace ckpt::internal
