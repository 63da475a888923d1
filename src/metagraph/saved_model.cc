#include "ckpt/metagraph/saved_model.h"

#include <algorithm>
#include <set>

#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/format/bundle.h"
#include "metagraph/meta_graph_internal.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"

namespace ckpt {

namespace {

std::string TagsString(const std::vector<std::string>& tags) {
  std::string s = "{";
  for (size_t i = 0; i < tags.size(); ++i) s += (i ? ", " : "") + tags[i];
  return s + "}";
}

bool CheckpointExists(Env* env, const std::string& prefix) {
  return env->FileExists(BundleIndexFilename(prefix)) ||
         (env->FileExists(prefix) && !env->IsDirectory(prefix));
}

// Creates the model's session on `env`, its file ops confined by options.file_access plus
// (when that is restricted) reads of `model_dirs`.
Status AttachSession(LoadedModel* m, Env* env, const LoadOptions& options,
                     const std::vector<std::string>& model_dirs) {
  SessionOptions so = options.session;
  if (so.env == nullptr) so.env = env;
  so.file_access = options.file_access;
  if (!so.file_access.unrestricted) {
    for (const std::string& d : model_dirs) so.file_access.read_dirs.push_back(d.empty() ? "." : d);
  }
  CKPT_ASSIGN_OR_RETURN(m->session, Session::Create(m->graph.get(), so));
  return Status::OK();
}

}  // namespace

StatusOr<std::string> LoadedModel::ResolveTensorName(const std::string& name) const {
  if (name.empty()) return InvalidArgumentError("empty tensor name");
  if (name.find(':') != std::string::npos) {
    auto t = graph->GetTensorByName(name);
    if (t.ok()) return t->name();
  } else if (graph->HasNode(name)) {
    auto n = graph->NumOutputs(name);
    if (n.ok() && *n > 0) return name + ":0";
    return name;
  }
  const auto& col = graph->GetCollection(name);
  if (!col.empty()) {
    const std::string& v = col.front();
    if (v.find(':') != std::string::npos) return v;
    auto n = graph->NumOutputs(v);
    if (n.ok() && *n > 0) return v + ":0";
    return v;
  }
  return NotFoundError("'" + name + "' is neither a tensor, an operation nor a collection " +
                       "of the graph");
}

StatusOr<Tensor> LoadedModel::ParseFeed(const std::string& tensor_name,
                                        std::string_view json) const {
  CKPT_ASSIGN_OR_RETURN(Output out, graph->GetTensorByName(tensor_name));
  DataType dtype = graph->OutputType(out);
  PartialShape shape;
  auto op = graph->OpType(out.node);
  if (op.ok() && (*op == "Placeholder" || *op == "PlaceholderWithDefault")) {
    auto s = graph->GetAttr(out.node, "shape");
    if (s.ok() && s->is<PartialShape>()) shape = s->get<PartialShape>();
  }
  auto t = ParseTensorJson(json, dtype, shape);
  if (!t.ok()) return t.status().WithContext("feed " + tensor_name);
  return t;
}

StatusOr<std::map<std::string, Tensor>> LoadedModel::RunSignature(
    const std::string& key, const std::map<std::string, Tensor>& inputs,
    const RunOptions& run_options) {
  auto it = signatures.find(key);
  if (it == signatures.end()) {
    std::string known;
    for (const auto& [k, v] : signatures) known += (known.empty() ? "" : ", ") + k;
    return NotFoundError("no signature '" + key + "' (the model has: " + known + ")");
  }
  const Signature& sig = it->second;
  Session::FeedList feeds;
  for (const auto& [k, t] : inputs) {
    auto in = sig.inputs.find(k);
    if (in == sig.inputs.end()) {
      return NotFoundError("signature '" + key + "' has no input '" + k + "'");
    }
    feeds.emplace_back(in->second.name, t);
  }
  for (const auto& [k, info] : sig.inputs) {
    if (!inputs.count(k)) {
      return InvalidArgumentError("signature '" + key + "' input '" + k + "' (" + info.name +
                                  ") is not fed");
    }
  }
  std::vector<std::string> fetches;
  std::vector<std::string> out_keys;
  for (const auto& [k, info] : sig.outputs) {
    out_keys.push_back(k);
    fetches.push_back(info.name);
  }
  CKPT_ASSIGN_OR_RETURN(std::vector<Tensor> got, session->Run(feeds, fetches, {}, run_options));
  std::map<std::string, Tensor> out;
  for (size_t i = 0; i < out_keys.size(); ++i) out[out_keys[i]] = std::move(got[i]);
  return out;
}

StatusOr<std::unique_ptr<LoadedModel>> LoadSavedModel(Env* env, const std::string& dir,
                                                      const LoadOptions& options) {
  if (env == nullptr) env = Env::Default();
  const std::string pb = path::Join(dir, "saved_model.pb");
  if (!env->FileExists(pb)) {
    return NotFoundError("no SavedModel at " + dir + ": " + pb + " does not exist");
  }
  CKPT_ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(pb));
  tensorflow::SavedModel sm;
  if (!sm.ParseFromString(bytes)) return DataLossError(pb + " is not a SavedModel proto");
  std::set<std::string> want(options.tags.begin(), options.tags.end());
  int chosen = -1;
  std::string available;
  for (int i = 0; i < sm.meta_graphs_size(); ++i) {
    const auto& tags = sm.meta_graphs(i).meta_info_def().tags();
    std::set<std::string> have(tags.begin(), tags.end());
    available += (available.empty() ? "" : ", ") +
                 TagsString(std::vector<std::string>(tags.begin(), tags.end()));
    if (have == want && chosen < 0) chosen = i;
  }
  if (chosen < 0) {
    return NotFoundError("SavedModel " + dir + " has no meta graph with tags " +
                         TagsString(options.tags) + " (available: " + available + ")");
  }
  MetaGraphImportOptions io;
  io.env = env;
  auto imported = ImportMetaGraphProto(std::move(*sm.mutable_meta_graphs(chosen)), io);
  if (!imported.ok()) return imported.status().WithContext("loading SavedModel " + dir);

  auto m = std::make_unique<LoadedModel>();
  m->kind = "saved_model";
  m->graph = std::move(imported->graph);
  m->saver = std::move(imported->saver);
  m->signatures = std::move(imported->signatures);
  m->tags = std::move(imported->tags);
  CKPT_RETURN_IF_ERROR(AttachSession(m.get(), env, options, {dir}));

  const std::string variables = path::Join(path::Join(dir, "variables"), "variables");
  if (options.restore && m->saver != nullptr && CheckpointExists(env, variables)) {
    CKPT_RETURN_IF_ERROR(m->saver->Restore(*m->session, variables));
    m->checkpoint_prefix = variables;
  }
  if (options.run_init_op) {
    Session::FeedList feeds;
    for (const auto& [tensor, file] : imported->assets) {
      feeds.emplace_back(tensor, Tensor::StringScalar(path::Join(path::Join(dir, "assets"), file)));
    }
    std::string init;
    for (const char* key : {"saved_model_main_op", "legacy_init_op"}) {
      const auto& col = m->graph->GetCollection(key);
      if (!col.empty()) {
        init = col.front();
        break;
      }
    }
    if (init.empty()) {
      auto it = m->signatures.find("__saved_model_init_op");
      if (it != m->signatures.end() && !it->second.outputs.empty()) {
        auto ref = Output::Parse(it->second.outputs.begin()->second.name);
        if (ref.ok()) init = ref->node;
      }
    }
    if (!init.empty()) {
      auto ref = Output::Parse(init);
      if (!ref.ok()) return ref.status();
      auto r = m->session->Run(feeds, {}, {ref->node});
      if (!r.ok()) return r.status().WithContext("running the init op " + ref->node);
    }
  }
  return m;
}

StatusOr<std::unique_ptr<LoadedModel>> LoadModel(Env* env, const std::string& path_in,
                                                 const LoadOptions& options) {
  if (env == nullptr) env = Env::Default();
  std::string p = path_in;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (env->IsDirectory(p) && env->FileExists(path::Join(p, "saved_model.pb"))) {
    return LoadSavedModel(env, p, options);
  }
  std::string prefix, meta;
  std::string kind = "checkpoint";
  if (p.size() > 5 && p.compare(p.size() - 5, 5, ".meta") == 0) {
    meta = p;
    prefix = p.substr(0, p.size() - 5);
    kind = "meta";
  } else if (env->IsDirectory(p)) {
    auto latest = LatestCheckpoint(env, p);
    if (!latest.ok()) {
      return NotFoundError(p + " is a directory with neither saved_model.pb nor a usable " +
                           "checkpoint state file (" + latest.status().ToString() + ")");
    }
    prefix = *latest;
    meta = prefix + ".meta";
  } else {
    prefix = p;
    meta = p + ".meta";
  }
  if (!env->FileExists(meta)) {
    return NotFoundError("cannot load " + path_in + ": the meta graph " + meta +
                         " does not exist (expected a SavedModel directory, a checkpoint " +
                         "directory, a checkpoint prefix with PREFIX.meta, or a .meta file)");
  }
  MetaGraphImportOptions io;
  io.env = env;
  CKPT_ASSIGN_OR_RETURN(ImportedMetaGraph imported, ImportMetaGraph(env, meta, io));
  auto m = std::make_unique<LoadedModel>();
  m->kind = kind;
  m->graph = std::move(imported.graph);
  m->saver = std::move(imported.saver);
  m->signatures = std::move(imported.signatures);
  m->tags = std::move(imported.tags);
  CKPT_RETURN_IF_ERROR(
      AttachSession(m.get(), env, options, {path::Dirname(prefix), path::Dirname(meta)}));
  if (options.restore && CheckpointExists(env, prefix)) {
    if (m->saver == nullptr) {
      return InvalidArgumentError("the meta graph " + meta +
                                  " has no saver_def, so the checkpoint " + prefix +
                                  " cannot be restored through it");
    }
    CKPT_RETURN_IF_ERROR(m->saver->Restore(*m->session, prefix));
    m->checkpoint_prefix = prefix;
  } else if (options.restore && kind == "checkpoint") {
    return NotFoundError("no checkpoint at " + prefix + " (" + BundleIndexFilename(prefix) +
                         " does not exist)");
  }
  return m;
}

}  // namespace ckpt
