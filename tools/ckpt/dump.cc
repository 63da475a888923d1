// `ckpt dump PATH [--name N] [--json] [--max-values K]`: tensor values.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "ckpt/format/tensor_files.h"
#include "commands.h"

namespace ckpt::cli {
namespace {

nlohmann::json JsonNumber(const std::string& text) {
  // FormatValue prints shortest round-trip text; parse it back as a JSON number unless it is
  // not one (nan, inf).
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return text;
  return j;
}

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (int k = 1; k < len; ++k) {
      const unsigned char cc = s[i + k];
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

std::string Base64(std::string_view s) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((s.size() + 2) / 3 * 4);
  for (size_t i = 0; i < s.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(s[i]) << 16;
    if (i + 1 < s.size()) v |= static_cast<unsigned char>(s[i + 1]) << 8;
    if (i + 2 < s.size()) v |= static_cast<unsigned char>(s[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < s.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < s.size() ? kAlphabet[v & 63] : '=');
  }
  return out;
}

nlohmann::json JsonValue(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kString: {
      // Lossless: valid UTF-8 stays a JSON string; other bytes (serialized protos, raw data)
      // become {"base64": standard RFC 4648 base64 with padding}.
      const std::string& s = t.strings()[i];
      if (IsValidUtf8(s)) return s;
      return nlohmann::json{{"base64", Base64(s)}};
    }
    case DataType::kBool:
      return static_cast<const uint8_t*>(t.raw_data())[i] != 0;
    case DataType::kComplex64: {
      const float* c = static_cast<const float*>(t.raw_data()) + 2 * i;
      return nlohmann::json::array({JsonNumber(fmt::format("{}", c[0])),
                                    JsonNumber(fmt::format("{}", c[1]))});
    }
    case DataType::kComplex128: {
      const double* c = static_cast<const double*>(t.raw_data()) + 2 * i;
      return nlohmann::json::array({JsonNumber(fmt::format("{}", c[0])),
                                    JsonNumber(fmt::format("{}", c[1]))});
    }
    default:
      return JsonNumber(FormatValue(t, i));
  }
}

}  // namespace

Status RunDump(Env* env, std::string_view path, const DumpOptions& options, std::ostream& out) {
  CKPT_ASSIGN_OR_RETURN(std::string prefix, ResolveCheckpointPath(env, path));
  CKPT_ASSIGN_OR_RETURN(auto reader, OpenTensorFile(env, prefix));  // TF, .safetensors, .npz
  std::vector<std::string> names;
  if (!options.name.empty()) {
    if (!reader->Contains(options.name)) {
      return NotFoundError("tensor " + options.name + " not found in checkpoint " + prefix);
    }
    names.push_back(options.name);
  } else {
    for (const auto& v : reader->variables()) names.push_back(v.name);
  }
  nlohmann::json tensors = nlohmann::json::array();
  for (const std::string& name : names) {
    CKPT_ASSIGN_OR_RETURN(Tensor t, reader->Lookup(name));
    int64_t n = t.num_elements();
    int64_t shown = options.max_values < 0 ? n : std::min(n, options.max_values);
    if (options.json) {
      nlohmann::json values = nlohmann::json::array();
      for (int64_t i = 0; i < shown; ++i) values.push_back(JsonValue(t, i));
      nlohmann::json entry = {{"name", name},
                              {"dtype", std::string(DataTypeName(t.dtype()))},
                              {"shape", t.shape().dims()},
                              {"values", std::move(values)}};
      if (shown < n) entry["truncated"] = true;
      tensors.push_back(std::move(entry));
      continue;
    }
    out << name << " " << DataTypeName(t.dtype()) << " " << FormatShape(t.shape()) << ": ";
    if (t.shape().rank() == 0) {
      out << FormatValue(t, 0) << "\n";
      continue;
    }
    out << "[";
    for (int64_t i = 0; i < shown; ++i) out << (i ? ", " : "") << FormatValue(t, i);
    if (shown < n) out << (shown ? ", " : "") << "... (" << n - shown << " more)";
    out << "]\n";
  }
  if (options.json) {
    nlohmann::json j = {{"checkpoint", prefix},
                        {"format", std::string(reader->format())},
                        {"tensors", std::move(tensors)}};
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return Status();
}

void AddDumpCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("dump", "Print the values of a checkpoint's tensors");
  auto path = std::make_shared<std::string>();
  auto options = std::make_shared<DumpOptions>();
  cmd->add_option("PATH", *path,
                  "Checkpoint prefix, SavedModel directory or checkpoint directory")
      ->required();
  cmd->add_option("--name,-n", options->name, "Only this tensor");
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->add_option("--max-values", options->max_values,
                  "Print at most this many values per tensor (default: all)");
  cmd->callback([=]() {
    *exit_code = ReportStatus(RunDump(Env::Default(), *path, *options, std::cout));
  });
}

}  // namespace ckpt::cli
