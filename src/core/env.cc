#include <random>

#include "ckpt/core/env.h"

namespace ckpt {

Status Env::RecursivelyCreateDir(const std::string& dir) {
  if (dir.empty() || IsDirectory(dir)) return Status::OK();
  std::string parent = path::Dirname(dir);
  if (!parent.empty() && parent != dir) CKPT_RETURN_IF_ERROR(RecursivelyCreateDir(parent));
  return CreateDir(dir);
}

StatusOr<std::string> Env::ReadFileToString(const std::string& p) {
  CKPT_ASSIGN_OR_RETURN(auto file, NewRandomAccessFile(p));
  uint64_t size = file->Size();
  std::string out(size, '\0');
  std::string_view got;
  CKPT_RETURN_IF_ERROR(file->Read(0, size, &got, out.data()));
  if (got.size() != size) {
    return DataLossError(p + ": short read (" + std::to_string(got.size()) + " of " +
                         std::to_string(size) + " bytes)");
  }
  if (got.data() != out.data()) out.assign(got.data(), got.size());
  return out;
}

Status Env::WriteStringToFile(const std::string& p, std::string_view data, bool sync) {
  CKPT_ASSIGN_OR_RETURN(auto file, NewWritableFile(p));
  CKPT_RETURN_IF_ERROR(file->Append(data));
  if (sync) CKPT_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

Status Env::AtomicWriteStringToFile(const std::string& p, std::string_view data, SyncMode sync) {
  std::string tmp = p + ".tmp" + std::to_string(TempNameRandom());
  Status s = WriteStringToFile(tmp, data, /*sync=*/sync != SyncMode::kNone);
  if (s.ok()) s = RenameFile(tmp, p);
  if (!s.ok()) {
    if (FileExists(tmp)) DeleteFile(tmp).IgnoreError();
    return s;
  }
  if (sync != SyncMode::kFileAndDir) return Status::OK();
  std::string dir = path::Dirname(p);
  return SyncDir(dir.empty() ? "." : dir);
}

uint64_t TempNameRandom() {
  static thread_local std::mt19937_64 rng{(uint64_t{std::random_device{}()} << 32) ^
                                          std::random_device{}()};
  return rng();
}

namespace path {

std::string Join(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  if (IsAbsolute(b)) return std::string(b);
  std::string r(a);
  if (r.back() != '/') r += '/';
  r += b;
  return r;
}

std::string Dirname(std::string_view p) {
  size_t pos = p.rfind('/');
  if (pos == std::string_view::npos) return "";
  if (pos == 0) return "/";
  return std::string(p.substr(0, pos));
}

std::string Basename(std::string_view p) {
  size_t pos = p.rfind('/');
  return std::string(pos == std::string_view::npos ? p : p.substr(pos + 1));
}

bool IsAbsolute(std::string_view p) { return !p.empty() && p[0] == '/'; }

namespace {
std::vector<std::string> Split(std::string_view p) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view c = p.substr(i, j - i);
    if (!c.empty() && c != ".") {
      if (c == ".." && !parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else {
        parts.emplace_back(c);
      }
    }
    i = j + 1;
  }
  return parts;
}
}  // namespace

std::string Normalize(std::string_view p) {
  bool abs = IsAbsolute(p);
  auto parts = Split(p);
  std::string r = abs ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (abs && parts[i] == "..") continue;  // "/.." is "/"
    if (!r.empty() && r.back() != '/') r += '/';
    r += parts[i];
  }
  if (r.empty()) r = ".";
  return r;
}

std::string Relative(std::string_view p, std::string_view base) {
  auto a = Split(Normalize(p));
  auto b = Split(Normalize(base));
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  std::string r;
  for (size_t k = i; k < b.size(); ++k) r += r.empty() ? ".." : "/..";
  for (size_t k = i; k < a.size(); ++k) {
    if (!r.empty()) r += '/';
    r += a[k];
  }
  return r.empty() ? "." : r;
}

}  // namespace path
}  // namespace ckpt
