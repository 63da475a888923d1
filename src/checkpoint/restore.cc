#include "ckpt/checkpoint/restore.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "ckpt/checkpoint/object_graph.h"
#include "ckpt/format/bundle.h"
#include "ckpt/format/checkpoint_reader.h"

namespace ckpt {

namespace {

std::string Describe(DataType dtype, const TensorShape& shape) {
  return std::string(DataTypeName(dtype)) + shape.DebugString();
}

std::string JoinList(const std::vector<std::string>& v, size_t max = 20) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < max; ++i) out += (i ? ", " : "") + v[i];
  if (v.size() > max) out += ", ... (" + std::to_string(v.size() - max) + " more)";
  return out;
}

// Where each target's value comes from: (target index, checkpoint key).
struct Plan {
  std::vector<std::pair<size_t, std::string>> reads;
};

}  // namespace

std::string RestoreReport::ToString() const {
  std::string out =
      "restore from " + prefix + ": " + std::to_string(restored.size()) + " variable(s) restorable";
  if (!missing.empty()) out += "\n  missing in checkpoint: " + JoinList(missing);
  for (const auto& m : mismatched)
    out += "\n  mismatch: variable " + m.variable + " (key " + m.key + ") expects " + m.expected +
           ", checkpoint has " + m.stored;
  for (const auto& e : errors) out += "\n  error: " + e;
  if (!unused.empty()) out += "\n  unused checkpoint keys: " + JoinList(unused);
  if (!skipped.empty()) out += "\n  not selected: " + JoinList(skipped);
  return out;
}

Status RestoreFromCheckpoint(Env* env, const std::string& prefix,
                             std::span<const RestoreTarget> targets, const RestoreOptions& options,
                             RestoreReport* report_out) {
  RestoreReport local;
  RestoreReport& report = report_out ? *report_out : local;
  report = RestoreReport();
  report.prefix = prefix;

  // A V2 bundle is read directly (LookupInto: no extra copy); V1 files through
  // CheckpointReader.
  std::unique_ptr<BundleReader> bundle;
  std::unique_ptr<CheckpointReader> v1;
  std::vector<std::string> keys;
  std::map<std::string, const CheckpointTensorInfo*> v1_vars;
  if (env->FileExists(prefix + ".index")) {
    BundleReaderOptions ro;
    ro.verify_checksums = options.verify_checksums;
    ro.num_threads = options.num_threads;
    CKPT_ASSIGN_OR_RETURN(bundle, BundleReader::Open(env, prefix, ro));
    keys = bundle->keys();
  } else {
    auto r = OpenCheckpoint(env, prefix);
    if (!r.ok()) {
      if (IsNotFound(r.status()))
        return NotFoundError("the passed save_path is not a valid checkpoint: " + prefix);
      return r.status();
    }
    v1 = std::move(r).value();
    for (const auto& v : v1->variables()) {
      keys.push_back(v.name);
      v1_vars[v.name] = &v;
    }
  }
  // With object paths, the names targets resolve to are paths; `stored_key` maps them back.
  std::map<std::string, std::string> path_to_key;
  if (options.object_paths) {
    if (std::find(keys.begin(), keys.end(), kObjectGraphKey) == keys.end()) {
      return NotFoundError("checkpoint " + prefix + " has no " + std::string(kObjectGraphKey) +
                           ": it is name-based, so its values have no object paths");
    }
    CKPT_ASSIGN_OR_RETURN(Tensor graph,
                          bundle ? bundle->Lookup(kObjectGraphKey) : v1->Lookup(kObjectGraphKey));
    CKPT_ASSIGN_OR_RETURN(auto objects, ParseObjectGraph(graph, prefix));
    keys.clear();
    for (auto& o : objects) {
      keys.push_back(o.path);
      path_to_key[o.path] = std::move(o.key);
    }
  }
  auto stored_key = [&](const std::string& k) -> const std::string& {
    auto it = path_to_key.find(k);
    return it == path_to_key.end() ? k : it->second;
  };
  std::set<std::string> key_set(keys.begin(), keys.end());

  // Resolve names.
  for (const auto& [old_scope, new_scope] : options.scope_map) {
    if (old_scope.empty() || old_scope.back() != '/' || new_scope.empty() ||
        new_scope.back() != '/')
      report.errors.push_back("scope map entry '" + old_scope + "' -> '" + new_scope +
                              "': both scopes must end with '/'");
  }
  std::map<std::string, std::string> var_to_key;  // from name_map
  for (const auto& [key, var] : options.name_map) {
    if (!var_to_key.emplace(var, key).second)
      report.errors.push_back("name map maps variable " + var + " from two keys");
  }
  const bool mapped = !options.name_map.empty() || !options.scope_map.empty();
  std::set<std::string> seen_vars;
  Plan plan;
  std::set<std::string> used_keys;
  for (size_t i = 0; i < targets.size(); ++i) {
    const RestoreTarget& t = targets[i];
    if (!seen_vars.insert(t.name).second) {
      report.errors.push_back("variable " + t.name + " given twice");
      continue;
    }
    std::optional<std::string> key;
    if (auto it = var_to_key.find(t.name); it != var_to_key.end()) {
      key = it->second;
    } else if (!options.scope_map.empty()) {
      size_t best_len = 0;
      for (const auto& [old_scope, new_scope] : options.scope_map) {
        if (new_scope.empty() || new_scope.back() != '/') continue;
        bool match = new_scope == "/" || (t.name.size() > new_scope.size() &&
                                          t.name.compare(0, new_scope.size(), new_scope) == 0);
        if (!match || new_scope.size() < best_len) continue;
        std::string rest = new_scope == "/" ? t.name : t.name.substr(new_scope.size());
        key = (old_scope == "/" ? "" : old_scope) + rest;
        best_len = new_scope.size();
      }
    } else if (!mapped) {
      key = t.name;
    }
    if (!key) {
      report.skipped.push_back(t.name);
      continue;
    }
    if (t.tensor == nullptr || !t.tensor->valid()) {
      report.errors.push_back("variable " + t.name + " has no valid target tensor");
      continue;
    }
    if (!key_set.count(*key)) {
      report.missing.push_back(t.name == *key ? t.name : t.name + " (key " + *key + ")");
      continue;
    }
    used_keys.insert(*key);
    DataType dtype;
    TensorShape shape;
    if (bundle) {
      CKPT_ASSIGN_OR_RETURN(BundleEntryInfo entry, bundle->GetEntry(stored_key(*key)));
      dtype = entry.dtype;
      shape = entry.shape;
    } else {
      dtype = v1_vars.at(stored_key(*key))->dtype;
      shape = v1_vars.at(stored_key(*key))->shape;
    }
    if (dtype != t.tensor->dtype() || !(shape == t.tensor->shape())) {
      report.mismatched.push_back(RestoreMismatch{
          t.name, *key, Describe(t.tensor->dtype(), t.tensor->shape()), Describe(dtype, shape)});
      continue;
    }
    plan.reads.emplace_back(i, *key);
    report.restored.push_back(t.name);
  }
  // A value is unused when no name reaching it was used (with object paths, a value has a
  // name per path); it is listed once, under its first name.
  std::set<std::string> used_stored, listed;
  for (const auto& k : used_keys) used_stored.insert(stored_key(k));
  for (const auto& k : keys) {
    const std::string& stored = stored_key(k);
    if (!used_stored.count(stored) && listed.insert(stored).second) report.unused.push_back(k);
  }

  bool missing_fatal = !report.missing.empty() && !options.allow_missing;
  if (options.dry_run) return Status::OK();
  if (!report.errors.empty() || !report.mismatched.empty())
    return InvalidArgumentError("restoring from checkpoint " + prefix +
                                " failed due to a mismatch between the variables and the "
                                "checkpoint: " +
                                report.ToString());
  if (missing_fatal)
    return NotFoundError(
        "restoring from checkpoint " + prefix +
        " failed: variables missing from the checkpoint: " + JoinList(report.missing));

  if (bundle) {
    // All at once: tensors (and pieces of large ones) are read concurrently.
    std::vector<std::pair<std::string, Tensor*>> reads;
    reads.reserve(plan.reads.size());
    for (const auto& [i, name] : plan.reads)
      reads.emplace_back(stored_key(name), targets[i].tensor);
    return bundle->LookupMany(reads);
  }
  for (const auto& [i, name] : plan.reads) {
    const std::string& key = stored_key(name);
    Tensor* out = targets[i].tensor;
    CKPT_ASSIGN_OR_RETURN(Tensor v, v1->Lookup(key));
    if (v.dtype() != out->dtype() || !(v.shape() == out->shape()))
      return DataLossError("checkpoint " + prefix + ": key " + key + " read as " +
                           Describe(v.dtype(), v.shape()) + ", index said " +
                           Describe(out->dtype(), out->shape()));
    if (v.dtype() == DataType::kString) {
      for (int64_t j = 0; j < v.num_elements(); ++j) out->strings()[j] = v.strings()[j];
    } else if (v.TotalBytes() > 0) {
      std::memcpy(out->raw_data(), v.raw_data(), v.TotalBytes());
    }
  }
  return Status::OK();
}

}  // namespace ckpt
