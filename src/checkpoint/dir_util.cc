#include "checkpoint/dir_util.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "ckpt/checkpoint/checkpoint_dir.h"
#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/checkpoint_reader.h"

namespace ckpt::internal {

bool GlobMatch(std::string_view pattern, std::string_view name) {
  size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool CheckpointExists(Env* env, const std::string& prefix) {
  if (prefix.empty()) return false;
  if (env->FileExists(prefix + ".index")) return true;
  std::string base = path::Basename(prefix);
  if (base.find_first_of("?*") == std::string::npos) {
    return env->FileExists(prefix) && !env->IsDirectory(prefix);
  }
  std::string dir = path::Dirname(prefix);
  for (const auto& c : ListDir(env, dir.empty() ? "." : dir))
    if (GlobMatch(base, c)) return true;
  return false;
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
    if (GlobMatch("?????-of-?????", rest)) out.push_back(c);
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
      if (GlobMatch(base, c)) add(path::Join(dir, c));
  }
  return total;
}

bool ValidMetricName(std::string_view name) {
  if (name.empty() || name.size() > 256 || name[0] == '@') return false;
  for (unsigned char c : name)
    if (c <= ' ' || c == 127) return false;
  return true;
}

std::string SerializeMetrics(const MetricsFile& m) {
  std::string out = "# ckpt checkpoint metrics v1\n";
  if (!m.best_metric.empty())
    out += "@best\t" + m.best_metric + "\t" + (m.best_max ? "max" : "min") + "\n";
  for (const auto& [k, v] : m.metrics) out += k + "\t" + FormatPythonFloat(v) + "\n";
  return out;
}

StatusOr<MetricsFile> ParseMetrics(std::string_view text, const std::string& file) {
  MetricsFile m;
  if (text.size() > (1u << 20)) return DataLossError(file + ": metrics file larger than 1 MiB");
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string_view> f;
    size_t s = 0;
    while (true) {
      size_t t = line.find('\t', s);
      f.push_back(line.substr(s, t == std::string_view::npos ? std::string_view::npos : t - s));
      if (t == std::string_view::npos) break;
      s = t + 1;
    }
    auto bad = [&](std::string_view why) {
      return DataLossError(file + ": line " + std::to_string(line_no) + ": " + std::string(why));
    };
    if (f[0] == "@best") {
      if (f.size() != 3 || !ValidMetricName(f[1]) || (f[2] != "min" && f[2] != "max"))
        return bad("expected '@best<TAB>metric<TAB>min|max'");
      m.best_metric = std::string(f[1]);
      m.best_max = f[2] == "max";
      continue;
    }
    if (f.size() != 2 || !ValidMetricName(f[0])) return bad("expected 'name<TAB>value'");
    std::string v(f[1]);
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size()) return bad("bad value '" + v + "'");
    if (!m.metrics.emplace(std::string(f[0]), d).second)
      return bad("duplicate metric '" + std::string(f[0]) + "'");
  }
  return m;
}

std::optional<MetricsFile> ReadMetrics(Env* env, const std::string& prefix) {
  std::string file = prefix + "." + std::string(kMetricsSuffix);
  if (!env->FileExists(file)) return std::nullopt;
  auto text = env->ReadFileToString(file);
  if (!text.ok()) return std::nullopt;
  auto m = ParseMetrics(*text, file);
  if (!m.ok()) return std::nullopt;
  return std::move(m).value();
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

Status DeleteCheckpointRemains(Env* env, const std::string& prefix,
                               const std::vector<std::string>& children) {
  std::string dir = path::Dirname(prefix);
  std::string base = path::Basename(prefix);
  std::string dotted = base + ".";
  Status first;
  for (const auto& c : children) {
    if (c.size() <= dotted.size() || c.compare(0, dotted.size(), dotted) != 0) continue;
    std::string_view rest = std::string_view(c).substr(dotted.size());
    if (rest == "index" || rest == "deleting") continue;  // the caller's business
    if (rest.substr(0, 4) == "pin.") continue;                   // readers' pins
    std::string p = path::Join(dir, c);
    Status s = env->DeleteFile(p);
    if (!s.ok() && env->FileExists(p)) first.Update(s.WithContext("deleting " + p));
  }
  return first;
}

StatusOr<DeleteResult> DeleteCheckpoint(Env* env, const std::string& prefix) {
  std::string index = prefix + ".index";
  std::string marker = prefix + std::string(kDeletingSuffix);
  CKPT_RETURN_IF_ERROR(
      env->WriteStringToFile(marker, "").WithContext("marking checkpoint " + prefix +
                                                     " for deletion"));
  // One listing, taken after the marker is down, serves the pin check and the deletions: a
  // reader pinning later sees the marker and backs off; the checkpoint's own files all exist.
  std::string dir = path::Dirname(prefix);
  const std::vector<std::string> children = ListDir(env, dir);
  if (IsCheckpointPinnedIn(env, prefix, children)) {
    CKPT_RETURN_IF_ERROR(env->DeleteFile(marker).WithContext(
        "unmarking pinned checkpoint " + prefix));
    return DeleteResult::kPinned;
  }
  // Index first: a half-deleted checkpoint is never visible as a checkpoint.
  if (env->FileExists(index))
    CKPT_RETURN_IF_ERROR(env->DeleteFile(index).WithContext("deleting " + index));
  CKPT_RETURN_IF_ERROR(DeleteCheckpointRemains(env, prefix, children));
  CKPT_RETURN_IF_ERROR(env->DeleteFile(marker).WithContext("deleting " + marker));
  return DeleteResult::kDeleted;
}

}  // namespace ckpt::internal
