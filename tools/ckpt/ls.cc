// `ckpt ls PATH [--json] [--objects]`: name, dtype, shape and bytes of every tensor, or the
// object tree of a TF2 object-based checkpoint.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include <sstream>

#include "ckpt/format/tensor_files.h"
#include "commands.h"
#if CKPT_CLI_HAVE_CHECKPOINT_STATE
#include "ckpt/checkpoint/checkpoint_dir.h"
#include "ckpt/checkpoint/object_graph.h"
#endif

namespace ckpt::cli {

namespace {
Status ListTensors(Env* env, std::string_view path, const LsOptions& options, std::ostream& out) {
  CKPT_ASSIGN_OR_RETURN(std::string prefix, ResolveCheckpointPath(env, path));
  CKPT_ASSIGN_OR_RETURN(auto reader, OpenTensorFile(env, prefix));  // TF, .safetensors, .npz
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
    PrintJson(out, j);
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

#if CKPT_CLI_HAVE_CHECKPOINT_STATE
// `--objects`: every value of the object graph, by object path.
Status ListObjects(Env* env, std::string_view path, const LsOptions& options, std::ostream& out) {
  CKPT_ASSIGN_OR_RETURN(std::string prefix, ResolveCheckpointPath(env, path));
  CKPT_ASSIGN_OR_RETURN(auto objects, ReadObjectGraph(env, prefix));
  CKPT_ASSIGN_OR_RETURN(auto reader, OpenTensorFile(env, prefix));
  std::map<std::string, const CheckpointTensorInfo*> info;
  for (const auto& v : reader->variables()) info[v.name] = &v;
  auto dtype_of = [&](const CheckpointObject& o) {
    auto it = info.find(o.key);
    return it == info.end() ? std::string("missing") : std::string(DataTypeName(it->second->dtype));
  };
  auto shape_of = [&](const CheckpointObject& o) {
    auto it = info.find(o.key);
    return it == info.end() ? std::string() : FormatShape(it->second->shape);
  };
  if (options.json) {
    nlohmann::json j;
    j["checkpoint"] = prefix;
    j["objects"] = nlohmann::json::array();
    for (const auto& o : objects) {
      auto it = info.find(o.key);
      j["objects"].push_back(
          {{"path", o.path},
           {"key", o.key},
           {"dtype", dtype_of(o)},
           {"shape",
            it == info.end() ? nlohmann::json() : nlohmann::json(it->second->shape.dims())}});
    }
    PrintJson(out, j);
    return Status();
  }
  size_t wp = 4, wk = 3, wd = 5;
  for (const auto& o : objects) {
    wp = std::max(wp, o.path.size());
    wk = std::max(wk, o.key.size());
    wd = std::max(wd, dtype_of(o).size());
  }
  for (const auto& o : objects) {
    out << fmt::format("{:<{}} -> {:<{}}  {:<{}}  {}\n", o.path, wp, o.key, wk, dtype_of(o), wd,
                       shape_of(o));
  }
  out << fmt::format("# {} objects with values (checkpoint {})\n", objects.size(), prefix);
  return Status();
}
#endif

}  // namespace

Status RunLs(Env* env, std::string_view path, const LsOptions& options, std::ostream& out) {
#if CKPT_CLI_HAVE_CHECKPOINT_STATE
  if (options.objects) return ListObjects(env, path, options, out);
  if (IsCheckpointDirectory(env, path)) {
    std::string dir(path);
    if (!options.json) {
      CKPT_RETURN_IF_ERROR(ListCheckpointDir(env, dir, out, false));
      out << "\n";
      return ListTensors(env, path, options, out);
    }
    std::ostringstream checkpoints, latest;
    CKPT_RETURN_IF_ERROR(ListCheckpointDir(env, dir, checkpoints, true));
    nlohmann::json j;
    j["checkpoints"] = nlohmann::json::parse(checkpoints.str());
    Status s = ListTensors(env, path, options, latest);
    j["latest"] = s.ok() ? nlohmann::json::parse(latest.str()) : nlohmann::json();
    PrintJson(out, j);
    return s;
  }
#endif
  return ListTensors(env, path, options, out);
}

void AddLsCommand(CLI::App& app, int* exit_code) {
  auto* cmd =
      app.add_subcommand("ls", "List the tensors of a checkpoint: name, dtype, shape, bytes");
  auto path = std::make_shared<std::string>();
  auto options = std::make_shared<LsOptions>();
  cmd->add_option("PATH", *path, "Checkpoint prefix, SavedModel directory or checkpoint directory")
      ->required();
  cmd->add_flag("--json", options->json, "Print JSON");
#if CKPT_CLI_HAVE_CHECKPOINT_STATE
  cmd->add_flag("--objects", options->objects,
                "List the object tree of a TF2 checkpoint (tf.train.Checkpoint, Keras): "
                "object path -> key, dtype, shape");
#endif
  cmd->callback(
      [=]() { *exit_code = ReportStatus(RunLs(Env::Default(), *path, *options, std::cout)); });
}

}  // namespace ckpt::cli
