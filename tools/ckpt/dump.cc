// `ckpt dump PATH [--name N] [--json] [--max-values K]`: tensor values.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include "ckpt/format/tensor_files.h"
#include "commands.h"

namespace ckpt::cli {

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
    PrintJson(out, j);
  }
  return Status();
}

void AddDumpCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("dump", "Print the values of a checkpoint's tensors");
  auto path = std::make_shared<std::string>();
  auto options = std::make_shared<DumpOptions>();
  cmd->add_option("PATH", *path, "Checkpoint prefix, SavedModel directory or checkpoint directory")
      ->required();
  cmd->add_option("--name,-n", options->name, "Only this tensor");
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->add_option("--max-values", options->max_values,
                  "Print at most this many values per tensor (default: all)");
  cmd->callback(
      [=]() { *exit_code = ReportStatus(RunDump(Env::Default(), *path, *options, std::cout)); });
}

}  // namespace ckpt::cli
