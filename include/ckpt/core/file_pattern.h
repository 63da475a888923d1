// File patterns as TensorFlow's Env::GetMatchingPaths reads them (V1 checkpoint prefixes such
// as `model-?????-of-00002` or `ckpt-[0-9]`): the one definition of what a pattern is and what
// it matches, shared by the V1 reader, checkpoint-directory code and the Saver.
//
// Thread safety: free functions; MatchingFiles is as thread-safe as `env`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"

namespace ckpt {

// True when `s` holds a pattern character: '*', '?' or '['.
bool IsFilePattern(std::string_view s);

// Shell-style match of one file name against `pattern`: '*' (any run), '?' (any one character),
// '[...]' classes with ranges and '!'/'^' negation, '\' escapes (POSIX fnmatch with
// FNM_PATHNAME: no wildcard matches '/').
bool FilePatternMatch(std::string_view pattern, std::string_view name);

// The files `pattern` names, sorted: for a plain path, the path itself when it exists and is not
// a directory; for a pattern, every child of its directory whose name matches its last
// component (an unlistable directory matches nothing). InvalidArgument when a directory
// component holds a pattern character (only the file name may be a pattern).
StatusOr<std::vector<std::string>> MatchingFiles(Env* env, std::string_view pattern);

}  // namespace ckpt
