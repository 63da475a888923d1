// Private helpers shared by the checkpoint layer: file names of a checkpoint, step parsing,
// globbing, metrics sidecars, and pin-aware deletion.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"

namespace ckpt::internal {

inline constexpr std::string_view kMetricsSuffix = "metrics";
inline constexpr std::string_view kPinMarker = ".pin.";
inline constexpr std::string_view kDeletingSuffix = ".deleting";  // deletion marker

// Shell-style match of `name` against `pattern` ('?' and '*' only).
bool GlobMatch(std::string_view pattern, std::string_view name);

// True if `prefix.index` exists, or `prefix` exists as a file, or (V1 sharded pattern) some
// file of its directory matches it.
bool CheckpointExists(Env* env, const std::string& prefix);

// "<name>-<digits>" -> digits; std::nullopt otherwise. With an empty `name`, any
// "<something>-<digits>".
std::optional<int64_t> ParseStep(std::string_view basename, std::string_view name = {});

// Children of `dir`, or an empty list if it cannot be listed.
std::vector<std::string> ListDir(Env* env, const std::string& dir);

// Names (in `children`) of the data files `<base>.data-*` of a prefix basename.
std::vector<std::string> DataFilesOf(const std::vector<std::string>& children,
                                     std::string_view base);

// Sum of the sizes of the index and data files (or the V1 file(s)) of `prefix`.
uint64_t CheckpointSize(Env* env, const std::string& prefix,
                        const std::vector<std::string>& children);

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

// Opens checkpoint `prefix` (checking its index) and with `full_verify` verifies every
// checksum (V2, or V1 through OpenCheckpoint). NotFound when absent, DataLoss when corrupt.
Status CheckCheckpoint(Env* env, const std::string& prefix, bool full_verify);

enum class DeleteResult { kDeleted, kPinned };
// Deletes checkpoint `prefix`: creates the marker `PREFIX.deleting` (new pins wait for it to
// go away), then, unless a live pin holds the checkpoint (then the marker is removed and
// kPinned returned), deletes its index, its data files and companions `PREFIX.*`, and the
// marker last. The index is never hidden while the checkpoint may be in use.
StatusOr<DeleteResult> DeleteCheckpoint(Env* env, const std::string& prefix);

// IsCheckpointPinned over a listing of the checkpoint's directory already taken.
bool IsCheckpointPinnedIn(Env* env, const std::string& prefix,
                          const std::vector<std::string>& children);

// Removes `PREFIX.*` companions and data files of a prefix whose index is gone.
Status DeleteCheckpointRemains(Env* env, const std::string& prefix,
                               const std::vector<std::string>& children);

}  // namespace ckpt::internal
