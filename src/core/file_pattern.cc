#include "ckpt/core/file_pattern.h"

#include <fnmatch.h>

#include <algorithm>

namespace ckpt {

bool IsFilePattern(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

bool FilePatternMatch(std::string_view pattern, std::string_view name) {
  const std::string p(pattern), n(name);
  return fnmatch(p.c_str(), n.c_str(), FNM_PATHNAME) == 0;
}

StatusOr<std::vector<std::string>> MatchingFiles(Env* env, std::string_view pattern) {
  std::vector<std::string> files;
  const std::string whole(pattern);
  if (!IsFilePattern(pattern)) {
    if (env->FileExists(whole) && !env->IsDirectory(whole)) files.push_back(whole);
    return files;
  }
  const std::string dir = path::Dirname(pattern);
  const std::string base = path::Basename(pattern);
  if (IsFilePattern(dir)) {
    return InvalidArgumentError("only the file name may be a pattern: " + whole);
  }
  auto children = env->GetChildren(dir.empty() ? "." : dir);
  if (children.ok()) {
    for (const std::string& name : *children) {
      if (FilePatternMatch(base, name)) files.push_back(dir.empty() ? name : path::Join(dir, name));
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace ckpt
