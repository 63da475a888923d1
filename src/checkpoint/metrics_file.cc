#include "checkpoint/metrics_file.h"

#include <cstdlib>
#include <vector>

#include "checkpoint/checkpoint_files.h"
#include "ckpt/checkpoint/checkpoint_state.h"

namespace ckpt::internal {

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

}  // namespace ckpt::internal
