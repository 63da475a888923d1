// `ckpt ls PATH [--json]`: name, dtype, shape and bytes of every tensor.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "ckpt/format/checkpoint_reader.h"
#include "commands.h"

namespace ckpt::cli {

Status RunLs(Env* env, std::string_view path, const LsOptions& options, std::ostream& out) {
  CKPT_ASSIGN_OR_RETURN(std::string prefix, ResolveCheckpointPath(env, path));
  CKPT_ASSIGN_OR_RETURN(auto reader, OpenCheckpoint(env, prefix));
  const auto& vars = reader->variables();
  int64_t total = 0;
  for (const auto& v : vars) total += v.bytes;
  if (options.json) {
    nlohmann::json j;
    j["checkpoint"] = prefix;
    j["format"] = std::string(reader->format());
    j["tensors"] = nlohmann::json::array();
    for (const auto& v : vars) {
      j["tensors"].push_back({{"name", v.name},
                              {"dtype", std::string(DataTypeName(v.dtype))},
                              {"shape", v.shape.dims()},
                              {"bytes", v.bytes}});
    }
    j["total_bytes"] = total;
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return Status();
  }
  size_t wn = 4, wd = 5, ws = 5;
  for (const auto& v : vars) {
    wn = std::max(wn, v.name.size());
    wd = std::max(wd, DataTypeName(v.dtype).size());
    ws = std::max(ws, FormatShape(v.shape).size());
  }
  for (const auto& v : vars) {
    out << fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", v.name, wn, DataTypeName(v.dtype), wd,
                       FormatShape(v.shape), ws, v.bytes);
  }
  out << fmt::format("# {} tensors, {} bytes ({} checkpoint {})\n", vars.size(), total,
                     reader->format(), prefix);
  return Status();
}

void AddLsCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("ls", "List the tensors of a checkpoint: name, dtype, shape, bytes");
  auto path = std::make_shared<std::string>();
  auto options = std::make_shared<LsOptions>();
  cmd->add_option("PATH", *path,
                  "Checkpoint prefix, SavedModel directory or checkpoint directory")
      ->required();
  cmd->add_flag("--json", options->json, "Print JSON");
  cmd->callback([=]() {
    *exit_code = ReportStatus(RunLs(Env::Default(), *path, *options, std::cout));
  });
}

}  // namespace ckpt::cli
