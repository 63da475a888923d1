// Names and files of one checkpoint in a directory (private to the checkpoint layer): companion
// suffixes, step parsing, which files make up a checkpoint, whether it exists and opens.
#pragma once

#include <cstdint>
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

// True if `prefix.index` exists, or `prefix` exists as a file, or (V1 pattern, see
// ckpt/core/file_pattern.h) some file of its directory matches it.
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

// Opens checkpoint `prefix` (checking its index) and with `full_verify` verifies every
// checksum (V2, or V1 through OpenCheckpoint). NotFound when absent, DataLoss when corrupt.
Status CheckCheckpoint(Env* env, const std::string& prefix, bool full_verify);

// Whether the rest of a directory entry "<prefix>.<rest>" names a temporary file (an
// interrupted write: "tmp" or "temp" anywhere in it).
bool LooksTemporary(std::string_view rest);

// Splits a directory entry "<name>-<step>.<rest>" into step and rest; false for other entries.
bool SplitEntry(std::string_view entry, std::string_view name, int64_t* step,
                std::string_view* rest);

// Whether `s` is well-formed UTF-8 (what proto3 string fields must hold).
bool IsValidUtf8(std::string_view s);

}  // namespace ckpt::internal
