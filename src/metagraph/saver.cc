#include "ckpt/metagraph/saver.h"

#include <algorithm>
#include <set>
#include <utility>

#include "ckpt/checkpoint/checkpoint_manager.h"
#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/core/file_pattern.h"
#include "ckpt/format/bundle.h"
#include "ckpt/graph/graph_def.h"
#include "ckpt/graph/ops.h"
#include "ckpt/metagraph/meta_graph.h"

namespace ckpt {

namespace {

std::string NodeOf(const std::string& tensor_or_node) {
  auto ref = ParseInputString(tensor_or_node);
  if (!ref.ok()) return tensor_or_node;
  return std::string(ref->node);
}

struct SaveEntry {
  std::string key;
  const VariableInfo* var;
};

std::string TensorName(const std::string& input) {
  auto ref = ParseInputString(input);
  if (!ref.ok()) return input;
  return std::string(ref->node) + ":" + std::to_string(ref->index);
}

}  // namespace

Saver::Saver(const Graph* graph, SaverDef def, Env* env, int max_to_keep, float keep_hours)
    : graph_(graph),
      def_(std::move(def)),
      env_(env != nullptr ? env : Env::Default()),
      max_to_keep_(max_to_keep),
      keep_hours_(keep_hours) {}

Saver::~Saver() = default;

StatusOr<std::unique_ptr<Saver>> Saver::Create(Graph& g, const SaverOptions& options) {
  if (!g.status().ok()) return g.status();
  // Select the variables and their checkpoint keys.
  std::vector<SaveEntry> entries;
  auto lookup = [&](const std::string& name) -> const VariableInfo* {
    if (const VariableInfo* v = g.FindVariable(name)) return v;
    if (name.find(':') == std::string::npos) return g.FindVariable(name + ":0");
    return nullptr;
  };
  if (!options.var_map.empty()) {
    for (const auto& [key, name] : options.var_map) {
      const VariableInfo* v = lookup(name);
      if (v == nullptr) {
        return InvalidArgumentError("Saver var_map: '" + name + "' (key '" + key +
                                    "') is not a variable of the graph");
      }
      entries.push_back({key, v});
    }
  } else if (!options.var_list.empty()) {
    for (const auto& name : options.var_list) {
      const VariableInfo* v = lookup(name);
      if (v == nullptr) {
        return InvalidArgumentError("Saver var_list: '" + name +
                                    "' is not a variable of the graph");
      }
      entries.push_back({NodeOf(v->variable_name), v});
    }
  } else {
    for (const auto& name : g.GetCollection(kGlobalVariables)) {
      const VariableInfo* v = g.FindVariable(name);
      if (v != nullptr) entries.push_back({NodeOf(v->variable_name), v});
    }
  }
  if (entries.empty()) return InvalidArgumentError("Saver: no variables to save");
  std::sort(entries.begin(), entries.end(),
            [](const SaveEntry& a, const SaveEntry& b) { return a.key < b.key; });
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].key == entries[i - 1].key) {
      return InvalidArgumentError("Saver: two variables are saved under the key '" +
                                  entries[i].key + "'");
    }
  }

  std::vector<std::string> keys;
  std::vector<std::string> slices;
  std::vector<Output> values;
  std::vector<DataType> dtypes;
  for (const auto& e : entries) {
    keys.push_back(e.key);
    slices.emplace_back();
    CKPT_ASSIGN_OR_RETURN(Output var, g.GetTensorByName(e.var->variable_name));
    DataType dt = DataType::kInvalid;
    if (e.var->is_resource) {
      CKPT_ASSIGN_OR_RETURN(AttrValue a, g.GetAttr(var.node, "dtype"));
      if (a.is<DataType>()) dt = a.get<DataType>();
      CKPT_ASSIGN_OR_RETURN(Output snap, g.GetTensorByName(e.var->snapshot_name));
      values.push_back(snap);
    } else {
      dt = g.OutputType(var);
      values.push_back(var);
    }
    if (dt == DataType::kInvalid) {
      return InvalidArgumentError("Saver: cannot tell the dtype of variable " +
                                  e.var->variable_name);
    }
    dtypes.push_back(dt);
  }
  const TensorShape n_shape({static_cast<int64_t>(keys.size())});

  SaverDef def;
  {
    Graph::NameScope scope(g, options.name.empty() ? "save" : options.name);
    // Filename: placeholder_with_default("model", name="filename"), then "Const" for backwards
    // compatibility, as TF.
    Output filename = ops::PlaceholderWithDefault(g, Tensor::StringScalar("model"),
                                                  PartialShape::Scalar(), "filename");
    Output filename_tensor =
        ops::PlaceholderWithDefault(g, filename, PartialShape::Scalar(), "Const");

    Operation save_op;
    {
      Graph::NameScope s(g, "SaveV2");
      Output names = ops::Const(g, Tensor::FromStrings(keys, n_shape), "tensor_names");
      Output slc = ops::Const(g, Tensor::FromStrings(slices, n_shape), "shape_and_slices");
      std::vector<Output> inputs = {filename_tensor, names, slc};
      inputs.insert(inputs.end(), values.begin(), values.end());
      save_op = g.AddNode(
          "SaveV2", s.scope_name(), inputs,
          {{"dtypes", AttrValue(dtypes)}, {"_has_manual_control_dependencies", AttrValue(true)}});
    }
    Operation control = g.AddNode(
        "Identity", g.UniqueName("control_dependency"), std::vector<Output>{filename_tensor},
        {{"_class", AttrValue(std::vector<std::string>{"loc:@" + filename_tensor.node})}},
        std::vector<Operation>{save_op});

    Operation restore;
    {
      Graph::NameScope s(g, "RestoreV2");
      Output names = ops::Const(g, Tensor::FromStrings(keys, n_shape), "tensor_names");
      Output slc = ops::Const(g, Tensor::FromStrings(slices, n_shape), "shape_and_slices");
      restore =
          g.AddNode("RestoreV2", s.scope_name(), std::vector<Output>{filename_tensor, names, slc},
                    {{"dtypes", AttrValue(dtypes)}});
    }
    std::vector<Operation> assigns;
    for (size_t i = 0; i < entries.size(); ++i) {
      const VariableInfo* v = entries[i].var;
      Output var = *g.GetTensorByName(v->variable_name);
      Output restored = restore.output(static_cast<int>(i));
      if (v->is_resource) {
        Operation ident =
            g.AddNode("Identity", g.UniqueName("Identity"), std::vector<Output>{restored});
        assigns.push_back(g.AddNode("AssignVariableOp", g.UniqueName("AssignVariableOp"),
                                    std::vector<Output>{var, ident.output(0)},
                                    {{"dtype", AttrValue(dtypes[i])},
                                     {"_has_manual_control_dependencies", AttrValue(true)}}));
      } else {
        assigns.push_back(
            g.AddNode("Assign", g.UniqueName("Assign"), std::vector<Output>{var, restored},
                      {{"use_locking", AttrValue(true)},
                       {"validate_shape", AttrValue(true)},
                       {"_class", AttrValue(std::vector<std::string>{"loc:@" + var.node})},
                       {"_has_manual_control_dependencies", AttrValue(true)}}));
      }
    }
    Operation restore_all = ops::Group(g, assigns, "restore_all");
    if (!g.status().ok()) return g.status();
    def.filename_tensor_name = filename_tensor.name();
    def.save_tensor_name = control.output(0).name();
    def.restore_op_name = restore_all.name;
  }
  def.max_to_keep = options.max_to_keep;
  def.keep_checkpoint_every_n_hours = options.keep_checkpoint_every_n_hours;
  def.version = SaverDef::Version::kV2;
  def.sharded = false;
  return std::unique_ptr<Saver>(new Saver(&g, std::move(def), options.env, options.max_to_keep,
                                          options.keep_checkpoint_every_n_hours));
}

StatusOr<std::unique_ptr<Saver>> Saver::FromSaverDef(const Graph& graph, SaverDef def, Env* env) {
  if (!graph.GetTensorByName(def.filename_tensor_name).ok()) {
    return InvalidArgumentError("SaverDef filename tensor '" + def.filename_tensor_name +
                                "' is not in the graph");
  }
  if (!graph.HasNode(def.restore_op_name)) {
    return InvalidArgumentError("SaverDef restore op '" + def.restore_op_name +
                                "' is not in the graph");
  }
  const int keep = def.max_to_keep;
  const float hours = def.keep_checkpoint_every_n_hours;
  return std::unique_ptr<Saver>(new Saver(&graph, std::move(def), env, keep, hours));
}

Status Saver::OpenManager(const std::string& dir, const std::string& name, const std::string& state,
                          bool sync) {
  const std::string key = dir + "\n" + name + "\n" + state + "\n" + (sync ? "1" : "0");
  if (manager_ != nullptr && manager_key_ == key) return Status::OK();
  manager_.reset();
  CheckpointManagerOptions mo;
  mo.checkpoint_name = name;
  mo.max_to_keep = max_to_keep_ > 0 ? std::optional<int>(max_to_keep_) : std::optional<int>(0);
  mo.keep_checkpoint_every_n_hours = keep_hours_ > 0 && keep_hours_ < 1e6 ? keep_hours_ : 0;
  mo.state_filename = state;
  mo.writer_options.sync = sync;
  // Like TF's Saver, several savers (and processes) may write into one directory.
  mo.lock_directory = false;
  CKPT_ASSIGN_OR_RETURN(manager_, CheckpointManager::Open(env_, dir, mo));
  manager_key_ = key;
  return Status::OK();
}

StatusOr<std::string> Saver::Save(Session& session, const std::string& prefix,
                                  std::optional<int64_t> global_step,
                                  const SaveCallOptions& options) {
  if (prefix.empty()) return InvalidArgumentError("Saver::Save: empty checkpoint prefix");
  // The SaveV2 nodes the save tensor depends on.
  std::vector<std::string> save_nodes;
  bool v1_save = false;
  {
    std::vector<std::string> stack = {NodeOf(def_.save_tensor_name)};
    std::set<std::string> seen;
    while (!stack.empty()) {
      std::string n = std::move(stack.back());
      stack.pop_back();
      if (!seen.insert(n).second) continue;
      CKPT_ASSIGN_OR_RETURN(NodeInfo info, graph_->GetNode(n));
      if (info.op == "SaveV2") {
        save_nodes.push_back(n);
        continue;
      }
      if (info.op == "SaveSlices" || info.op == "Save") {
        v1_save = true;
        continue;
      }
      for (const auto& in : info.inputs) stack.push_back(NodeOf(in));
    }
  }
  if (save_nodes.empty() && v1_save) return SaveV1(session, prefix, global_step, options);
  if (save_nodes.empty()) {
    return InvalidArgumentError("Saver: no SaveV2 op feeds the save tensor '" +
                                def_.save_tensor_name + "'");
  }
  std::sort(save_nodes.begin(), save_nodes.end());
  std::vector<std::string> fetches;
  std::vector<std::pair<size_t, size_t>> ranges;  // per node: [first fetch, count of tensors]
  for (const auto& n : save_nodes) {
    NodeInfo info = *graph_->GetNode(n);
    std::vector<std::string> data;
    for (const auto& in : info.inputs) {
      if (!in.empty() && in[0] != '^') data.push_back(TensorName(in));
    }
    if (data.size() < 3) return InternalError("SaveV2 node " + n + " has too few inputs");
    ranges.emplace_back(fetches.size(), data.size() - 3);
    fetches.insert(fetches.end(), data.begin() + 1, data.end());
  }
  CKPT_ASSIGN_OR_RETURN(std::vector<Tensor> got, session.Run({}, fetches));
  NamedTensors tensors;
  for (size_t k = 0; k < save_nodes.size(); ++k) {
    const auto [first, count] = ranges[k];
    const Tensor& names = got[first];
    const Tensor& slices = got[first + 1];
    if (names.dtype() != DataType::kString || slices.dtype() != DataType::kString ||
        names.num_elements() != static_cast<int64_t>(count) ||
        slices.num_elements() != static_cast<int64_t>(count)) {
      return InvalidArgumentError("SaveV2 node " + save_nodes[k] + ": tensor_names and " +
                                  "shape_and_slices must be string vectors of " +
                                  std::to_string(count) + " elements");
    }
    for (size_t i = 0; i < count; ++i) {
      if (!slices.strings()[i].empty()) {
        return UnimplementedError("Saver: partitioned variable '" + names.strings()[i] +
                                  "' (slice '" + slices.strings()[i] + "') is not supported");
      }
      tensors.emplace_back(names.strings()[i], got[first + 2 + i].Clone());
    }
  }

  std::string meta;
  if (options.write_meta_graph) {
    // Exported once per graph version: a training loop saves the same graph each time.
    if (meta_cache_version_ != graph_->version()) {
      CKPT_ASSIGN_OR_RETURN(meta_cache_, ExportMetaGraph(*graph_, &def_));
      meta_cache_version_ = graph_->version();
    }
    meta = meta_cache_;
  }
  std::string dir = path::Dirname(prefix);
  if (dir.empty()) dir = ".";
  const std::string base = path::Basename(prefix);

  if (global_step.has_value() && options.write_state) {
    CKPT_RETURN_IF_ERROR(OpenManager(dir, base, options.latest_filename, options.sync));
    SaveOptions so;
    if (options.write_meta_graph) so.companion_files["meta"] = std::move(meta);
    CKPT_ASSIGN_OR_RETURN(std::string written, manager_->Save(*global_step, tensors, so));
    (void)written;
    last_checkpoints_.clear();
    for (const auto& c : manager_->checkpoints()) last_checkpoints_.push_back(c.prefix);
    return prefix + "-" + std::to_string(*global_step);
  }

  // No step (or no state file): write the bundle at the exact prefix, as TF.
  const std::string path =
      global_step.has_value() ? prefix + "-" + std::to_string(*global_step) : prefix;
  CKPT_RETURN_IF_ERROR(env_->RecursivelyCreateDir(dir));
  {
    BundleWriterOptions wo;
    wo.sync = options.sync;
    CKPT_ASSIGN_OR_RETURN(auto writer, BundleWriter::Create(env_, path, wo));
    for (const auto& [k, t] : tensors) CKPT_RETURN_IF_ERROR(writer->Add(k, t));
    CKPT_RETURN_IF_ERROR(writer->Finish());
  }
  if (options.write_meta_graph) {
    CKPT_RETURN_IF_ERROR(env_->AtomicWriteStringToFile(
        path + ".meta", meta, options.sync ? Env::SyncMode::kFileAndDir : Env::SyncMode::kNone));
  }
  if (options.write_state) {
    CKPT_ASSIGN_OR_RETURN(auto state, GetCheckpointState(env_, dir, options.latest_filename));
    CheckpointState st;
    if (state.has_value()) st = *state;
    auto& all = st.all_model_checkpoint_paths;
    all.erase(std::remove(all.begin(), all.end(), path), all.end());
    all.push_back(path);
    if (!st.all_model_checkpoint_timestamps.empty() || all.size() == 1) {
      st.all_model_checkpoint_timestamps.clear();
    }
    if (max_to_keep_ > 0 && static_cast<int>(all.size()) > max_to_keep_) {
      all.erase(all.begin(), all.end() - max_to_keep_);
    }
    st.model_checkpoint_path = path;
    CKPT_RETURN_IF_ERROR(
        WriteCheckpointState(env_, dir, st, true, options.latest_filename, options.sync));
  }
  last_checkpoints_.erase(std::remove(last_checkpoints_.begin(), last_checkpoints_.end(), path),
                          last_checkpoints_.end());
  last_checkpoints_.push_back(path);
  return path;
}

StatusOr<std::string> Saver::SaveV1(Session& session, const std::string& prefix,
                                    std::optional<int64_t> global_step,
                                    const SaveCallOptions& options) {
  // A V1 Saver graph (SaveSlices / Save): run its save tensor with the filename fed; it
  // returns the checkpoint path (a ShardedFilespec pattern for sharded savers).
  const std::string path =
      global_step.has_value() ? prefix + "-" + std::to_string(*global_step) : prefix;
  std::string dir = path::Dirname(prefix);
  if (dir.empty()) dir = ".";
  CKPT_RETURN_IF_ERROR(env_->RecursivelyCreateDir(dir));
  Session::FeedList feeds = {{def_.filename_tensor_name, Tensor::StringScalar(path)}};
  CKPT_ASSIGN_OR_RETURN(auto got, session.Run(feeds, {def_.save_tensor_name}));
  if (got[0].dtype() != DataType::kString || got[0].num_elements() != 1) {
    return InvalidArgumentError("save tensor " + def_.save_tensor_name +
                                " did not return a string scalar");
  }
  const std::string written = got[0].strings()[0];
  if (options.write_meta_graph) {
    CKPT_ASSIGN_OR_RETURN(std::string meta, ExportMetaGraph(*graph_, &def_));
    CKPT_RETURN_IF_ERROR(env_->AtomicWriteStringToFile(path + ".meta", meta));
  }
  if (options.write_state) {
    CKPT_ASSIGN_OR_RETURN(auto state, GetCheckpointState(env_, dir, options.latest_filename));
    CheckpointState st;
    if (state.has_value()) st = *state;
    auto& all = st.all_model_checkpoint_paths;
    all.erase(std::remove(all.begin(), all.end(), written), all.end());
    all.push_back(written);
    st.all_model_checkpoint_timestamps.clear();
    if (max_to_keep_ > 0 && static_cast<int>(all.size()) > max_to_keep_) {
      all.erase(all.begin(), all.end() - max_to_keep_);
    }
    st.model_checkpoint_path = written;
    CKPT_RETURN_IF_ERROR(
        WriteCheckpointState(env_, dir, st, true, options.latest_filename, options.sync));
  }
  last_checkpoints_.push_back(written);
  return written;
}

Status Saver::Restore(Session& session, const std::string& prefix) {
  if (prefix.empty()) return InvalidArgumentError("Saver::Restore: empty checkpoint prefix");
  const bool pattern = IsFilePattern(prefix);
  if (!pattern && !env_->FileExists(BundleIndexFilename(prefix)) && !env_->FileExists(prefix)) {
    return NotFoundError("The passed save_path is not a valid checkpoint: " + prefix +
                         " (neither " + BundleIndexFilename(prefix) + " nor a V1 file exists)");
  }
  Session::FeedList feeds = {{def_.filename_tensor_name, Tensor::StringScalar(prefix)}};
  auto r = session.Run(feeds, {}, {def_.restore_op_name});
  if (!r.ok()) return r.status().WithContext("restoring " + prefix);
  return Status::OK();
}

std::vector<std::string> Saver::last_checkpoints() const { return last_checkpoints_; }

Status RestoreSessionVariables(Env* env, Session& session, const std::string& prefix,
                               const RestoreOptions& options, RestoreReport* report_out) {
  std::vector<SessionVariable> vars = session.ListVariables();
  std::vector<Tensor> values;
  values.reserve(vars.size());
  std::vector<RestoreTarget> targets;
  std::vector<std::string> unknown_shape;
  for (const SessionVariable& v : vars) {
    TensorShape shape;
    if (auto current = session.GetVariable(v.name); current.ok()) {
      shape = current->shape();
    } else if (v.shape.IsFullyDefined()) {
      CKPT_ASSIGN_OR_RETURN(shape, TensorShape::FromDims(v.shape.dims()));
    } else {
      unknown_shape.push_back(v.name);
      continue;
    }
    CKPT_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(v.dtype, shape));
    values.push_back(std::move(t));
    targets.push_back({v.name, &values.back()});
  }
  RestoreReport local;
  RestoreReport& report = report_out != nullptr ? *report_out : local;
  Status s = RestoreFromCheckpoint(env, prefix, targets, options, &report);
  for (const std::string& name : unknown_shape) {
    report.errors.push_back("variable " + name +
                            " has no value and no fully defined shape to restore into");
  }
  CKPT_RETURN_IF_ERROR(s);
  if (!unknown_shape.empty() && !options.dry_run) {
    return InvalidArgumentError("restoring from checkpoint " + prefix + ": " + report.ToString());
  }
  if (options.dry_run) return Status::OK();
  std::set<std::string> restored(report.restored.begin(), report.restored.end());
  for (const RestoreTarget& t : targets) {
    if (restored.count(t.name)) CKPT_RETURN_IF_ERROR(session.SetVariable(t.name, *t.tensor));
  }
  return Status::OK();
}

}  // namespace ckpt
