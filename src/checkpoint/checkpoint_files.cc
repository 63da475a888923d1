#include "checkpoint/checkpoint_files.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "ckpt/core/file_pattern.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/checkpoint_reader.h"

namespace ckpt::internal {

bool CheckpointExists(Env* env, const std::string& prefix) {
  if (prefix.empty()) return false;
  if (env->FileExists(prefix + ".index")) return true;
  auto files = MatchingFiles(env, prefix);  // a V1 file, or the files of a V1 pattern
  return files.ok() && !files->empty();
}

std::optional<int64_t> ParseStep(std::string_view base, std::string_view name) {
  size_t dash = base.rfind('-');
  if (dash == std::string_view::npos || dash + 1 >= base.size()) return std::nullopt;
  if (!name.empty() && base.substr(0, dash) != name) return std::nullopt;
  if (name.empty() && dash == 0) return std::nullopt;
  std::string_view digits = base.substr(dash + 1);
  if (digits.size() > 18) return std::nullopt;
  for (char c : digits)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  int64_t v = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (r.ec != std::errc()) return std::nullopt;
  return v;
}

std::vector<std::string> ListDir(Env* env, const std::string& dir) {
  auto c = env->GetChildren(dir.empty() ? "." : dir);
  if (!c.ok()) return {};
  std::vector<std::string> out = std::move(c).value();
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> DataFilesOf(const std::vector<std::string>& children,
                                     std::string_view base) {
  std::vector<std::string> out;
  std::string pre = std::string(base) + ".data-";
  for (const auto& c : children) {
    if (c.size() <= pre.size() || c.compare(0, pre.size(), pre) != 0) continue;
    // "SSSSS-of-NNNNN", nothing else (temporary files carry more).
    std::string_view rest = std::string_view(c).substr(pre.size());
    if (FilePatternMatch("?????-of-?????", rest)) out.push_back(c);
  }
  return out;
}

uint64_t CheckpointSize(Env* env, const std::string& prefix,
                        const std::vector<std::string>& children) {
  uint64_t total = 0;
  std::string dir = path::Dirname(prefix);
  std::string base = path::Basename(prefix);
  auto add = [&](const std::string& p) {
    auto s = env->GetFileSize(p);
    if (s.ok()) total += *s;
  };
  if (env->FileExists(prefix + ".index")) {
    add(prefix + ".index");
    for (const auto& d : DataFilesOf(children, base)) add(path::Join(dir, d));
  } else {
    for (const auto& c : children)
      if (FilePatternMatch(base, c)) add(path::Join(dir, c));
  }
  return total;
}

Status CheckCheckpoint(Env* env, const std::string& prefix, bool full_verify) {
  if (!env->FileExists(prefix + ".index")) {
    if (!CheckpointExists(env, prefix))
      return NotFoundError("checkpoint " + prefix + " not found (no " + prefix + ".index)");
    CKPT_ASSIGN_OR_RETURN(auto v1, OpenCheckpoint(env, prefix));  // V1
    if (full_verify) return v1->VerifyAll();
    return Status::OK();
  }
  CKPT_ASSIGN_OR_RETURN(auto reader, BundleReader::Open(env, prefix));
  if (full_verify) return reader->VerifyAll();
  return Status::OK();
}

bool LooksTemporary(std::string_view rest) {
  return rest.find("tmp") != std::string_view::npos || rest.find("temp") != std::string_view::npos;
}

bool SplitEntry(std::string_view entry, std::string_view name, int64_t* step,
                std::string_view* rest) {
  if (entry.size() <= name.size() + 1 || entry.compare(0, name.size(), name) != 0 ||
      entry[name.size()] != '-')
    return false;
  size_t dot = entry.find('.', name.size() + 1);
  if (dot == std::string_view::npos) return false;
  auto s = internal::ParseStep(entry.substr(0, dot), name);
  if (!s) return false;
  *step = *s;
  *rest = entry.substr(dot + 1);
  return true;
}

}  // namespace ckpt::internal
