// `ckpt graph PATH [--json]`: what a meta graph / SavedModel holds: ops (with counts),
// collections, saver, signatures, and the ops this runtime cannot run.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/metagraph/meta_graph.h"
#include "commands.h"

namespace ckpt::cli {

namespace {

// Strings a graph holds (collection values may be serialized protos) without loss.
nlohmann::json Strings(const std::vector<std::string>& v) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : v) out.push_back(JsonBytes(s));
  return out;
}

void PrintText(const std::string& label, const MetaGraphInfo& g, std::ostream& out) {
  out << "meta graph " << label;
  if (!g.tags.empty()) {
    out << " (tags";
    for (const auto& t : g.tags) out << " " << t;
    out << ")";
  }
  out << ": " << g.num_nodes << " nodes, graph producer " << g.graph_producer;
  if (!g.tensorflow_version.empty()) out << ", written by TensorFlow " << g.tensorflow_version;
  if (g.num_functions > 0) out << ", " << g.num_functions << " functions";
  out << "\nops:\n";
  for (const auto& [op, n] : g.op_counts) out << "  " << op << " x" << n << "\n";
  out << "collections:\n";
  for (const auto& [k, values] : g.collections) {
    out << "  " << k << ":";
    for (const auto& v : values) out << " " << v;
    out << "\n";
  }
  if (g.saver_def) {
    const SaverDef& s = *g.saver_def;
    out << "saver: filename " << s.filename_tensor_name << ", save " << s.save_tensor_name
        << ", restore " << s.restore_op_name << ", V" << static_cast<int>(s.version)
        << (s.sharded ? ", sharded" : "") << ", max_to_keep " << s.max_to_keep << "\n";
  }
  if (!g.signatures.empty()) out << "signatures:\n";
  for (const auto& [k, sig] : g.signatures) {
    out << "  " << k << " (" << sig.method_name << ")\n";
    for (const auto& [ik, t] : sig.inputs) {
      out << "    in  " << ik << ": " << t.name << " " << DataTypeName(t.dtype) << " "
          << t.shape.DebugString() << "\n";
    }
    for (const auto& [ok, t] : sig.outputs) {
      out << "    out " << ok << ": " << t.name << " " << DataTypeName(t.dtype) << " "
          << t.shape.DebugString() << "\n";
    }
  }
  if (!g.functions.empty()) out << "functions:\n";
  for (const auto& f : g.functions) {
    out << "  " << f.name << ": " << f.num_nodes << " nodes";
    for (size_t i = 0; i < f.calls.size(); ++i) out << (i == 0 ? ", calls " : ", ") << f.calls[i];
    out << "\n";
  }
  if (g.unsupported_ops.empty()) {
    out << "runnable: yes (every op has a kernel)\n";
  } else {
    out << "runnable: no; unsupported ops:";
    for (const auto& op : g.unsupported_ops) out << " " << op;
    out << "\n";
  }
}

nlohmann::json Json(const MetaGraphInfo& g) {
  nlohmann::json j = {{"tags", Strings(g.tags)},
                      {"tensorflow_version", JsonBytes(g.tensorflow_version)},
                      {"graph_producer", g.graph_producer},
                      {"num_nodes", g.num_nodes},
                      {"num_functions", g.num_functions},
                      {"ops", nlohmann::json::object()},
                      {"collections", nlohmann::json::object()},
                      {"saver_def", nullptr},
                      {"signatures", nlohmann::json::object()},
                      {"unsupported_ops", Strings(g.unsupported_ops)}};
  for (const auto& [op, n] : g.op_counts) j["ops"][op] = n;
  j["functions"] = nlohmann::json::array();
  for (const auto& f : g.functions) {
    j["functions"].push_back(
        {{"name", JsonBytes(f.name)}, {"num_nodes", f.num_nodes}, {"calls", Strings(f.calls)}});
  }
  for (const auto& [k, v] : g.collections) j["collections"][k] = Strings(v);
  if (g.saver_def) {
    const SaverDef& s = *g.saver_def;
    j["saver_def"] = {{"filename_tensor_name", JsonBytes(s.filename_tensor_name)},
                      {"save_tensor_name", JsonBytes(s.save_tensor_name)},
                      {"restore_op_name", JsonBytes(s.restore_op_name)},
                      {"version", static_cast<int>(s.version)},
                      {"sharded", s.sharded},
                      {"max_to_keep", s.max_to_keep}};
  }
  auto tensors = [](const std::map<std::string, SignatureTensor>& m) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, t] : m) {
      out[key] = {{"name", JsonBytes(t.name)},
                  {"dtype", std::string(DataTypeName(t.dtype))},
                  {"shape", t.shape.DebugString()}};
    }
    return out;
  };
  for (const auto& [k, sig] : g.signatures) {
    j["signatures"][k] = {{"method_name", JsonBytes(sig.method_name)},
                          {"inputs", tensors(sig.inputs)},
                          {"outputs", tensors(sig.outputs)}};
  }
  return j;
}

}  // namespace

Status RunGraph(Env* env, std::string_view path_in, bool json, std::ostream& out) {
  std::string p(path_in);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  std::vector<std::pair<std::string, MetaGraphInfo>> graphs;
  if (env->IsDirectory(p) && env->FileExists(path::Join(p, "saved_model.pb"))) {
    const std::string pb = path::Join(p, "saved_model.pb");
    CKPT_ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(pb));
    auto infos = InspectSavedModel(bytes);
    if (!infos.ok()) return infos.status().WithContext(pb);
    for (size_t i = 0; i < infos->size(); ++i) {
      graphs.emplace_back(pb + " #" + std::to_string(i), std::move((*infos)[i]));
    }
  } else {
    std::string meta;
    if (p.size() > 5 && p.compare(p.size() - 5, 5, ".meta") == 0) {
      meta = p;
    } else if (env->IsDirectory(p)) {
      auto latest = LatestCheckpoint(env, p);
      if (!latest.ok()) return latest.status().WithContext("no meta graph in directory " + p);
      meta = *latest + ".meta";
    } else {
      meta = p + ".meta";
    }
    CKPT_ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(meta));
    auto info = InspectMetaGraph(bytes);
    if (!info.ok()) return info.status().WithContext(meta);
    graphs.emplace_back(meta, std::move(*info));
  }
  if (json) {
    nlohmann::json metas = nlohmann::json::array();
    for (const auto& [label, g] : graphs) metas.push_back(Json(g));
    PrintJson(out, {{"path", p}, {"meta_graphs", std::move(metas)}});
  } else {
    for (const auto& [label, g] : graphs) PrintText(label, g, out);
  }
  return Status::OK();
}

void AddGraphCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "graph",
      "Describe a meta graph or SavedModel: ops, collections, saver, signatures, and "
      "ops that cannot run here");
  auto path = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("PATH", *path,
                  ".meta file, checkpoint prefix (PREFIX.meta), checkpoint directory or "
                  "SavedModel directory")
      ->required();
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback(
      [=]() { *exit_code = ReportStatus(RunGraph(Env::Default(), *path, *json, std::cout)); });
}

}  // namespace ckpt::cli
