#include "ckpt/metagraph/meta_graph.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "ckpt/format/tensor_proto.h"
#include "ckpt/graph/graph_def.h"
#include "metagraph/meta_graph_internal.h"
#include "tensorflow/core/framework/function.pb.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/framework/op_def.pb.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"
#include "tensorflow/core/framework/variable.pb.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"
#include "tensorflow/core/protobuf/saver.pb.h"

namespace ckpt {

// ---- SaverDef -------------------------------------------------------------------------------

std::string SaverDef::Serialize() const {
  tensorflow::SaverDef p;
  SaverDefToProto(*this, &p);
  std::string out;
  p.SerializeToString(&out);
  return out;
}

StatusOr<SaverDef> SaverDef::Parse(std::string_view bytes) {
  tensorflow::SaverDef p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return DataLossError("not a serialized SaverDef (" + std::to_string(bytes.size()) + " bytes)");
  }
  return SaverDefFromProto(p);
}

void SaverDefToProto(const SaverDef& d, tensorflow::SaverDef* p) {
  p->set_filename_tensor_name(d.filename_tensor_name);
  p->set_save_tensor_name(d.save_tensor_name);
  p->set_restore_op_name(d.restore_op_name);
  p->set_max_to_keep(d.max_to_keep);
  p->set_sharded(d.sharded);
  p->set_keep_checkpoint_every_n_hours(d.keep_checkpoint_every_n_hours);
  p->set_version(static_cast<tensorflow::SaverDef::CheckpointFormatVersion>(d.version));
}

SaverDef SaverDefFromProto(const tensorflow::SaverDef& p) {
  SaverDef d;
  d.filename_tensor_name = p.filename_tensor_name();
  d.save_tensor_name = p.save_tensor_name();
  d.restore_op_name = p.restore_op_name();
  d.max_to_keep = p.max_to_keep();
  d.sharded = p.sharded();
  d.keep_checkpoint_every_n_hours = p.keep_checkpoint_every_n_hours();
  const int v = static_cast<int>(p.version());
  d.version = v == 2 ? SaverDef::Version::kV2
                     : (v == 1 ? SaverDef::Version::kV1 : SaverDef::Version::kLegacy);
  return d;
}

// ---- helpers ---------------------------------------------------------------------------------

namespace {

// Collections TF stores as bytes_list of VariableDef.
const std::set<std::string, std::less<>>& VariableCollections() {
  static const auto* keys = new std::set<std::string, std::less<>>{
      "variables",        "trainable_variables",          "local_variables",
      "model_variables",  "moving_average_variables",     "global_step",
      "metric_variables", "trainable_resource_variables", "concatenated_variables"};
  return *keys;
}

bool IsVariableCollection(const Graph& g, std::string_view key,
                          const std::vector<std::string>& values) {
  if (VariableCollections().count(key)) return true;
  if (values.empty()) return false;
  for (const auto& v : values) {
    if (g.FindVariable(v) == nullptr) return false;
  }
  return true;
}

Status SignatureToProto(const Signature& s, tensorflow::SignatureDef* p) {
  p->set_method_name(s.method_name);
  auto fill = [](const SignatureTensor& t, tensorflow::TensorInfo* info) {
    info->set_name(t.name);
    info->set_dtype(static_cast<tensorflow::DataType>(t.dtype));
    PartialShapeToProto(t.shape, info->mutable_tensor_shape());
  };
  for (const auto& [k, t] : s.inputs) fill(t, &(*p->mutable_inputs())[k]);
  for (const auto& [k, t] : s.outputs) fill(t, &(*p->mutable_outputs())[k]);
  return Status::OK();
}

Signature SignatureFromProto(const tensorflow::SignatureDef& p, const std::string& scope) {
  Signature s;
  s.method_name = p.method_name();
  auto conv = [&](const tensorflow::TensorInfo& info) {
    SignatureTensor t;
    if (info.has_coo_sparse()) {
      t.name = scope + info.coo_sparse().values_tensor_name();
    } else {
      t.name = info.name().empty() ? "" : scope + info.name();
    }
    t.dtype =
        IsValidDataType(info.dtype()) ? static_cast<DataType>(info.dtype()) : DataType::kInvalid;
    if (info.has_tensor_shape()) {
      auto shape = PartialShapeFromProto(info.tensor_shape());
      if (shape.ok()) t.shape = *shape;
    }
    return t;
  };
  for (const auto& [k, v] : p.inputs()) s.inputs[k] = conv(v);
  for (const auto& [k, v] : p.outputs()) s.outputs[k] = conv(v);
  return s;
}

std::string JoinNames(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// Prefixes a node name / tensor name / NodeDef input string with `scope`.
std::string Scoped(const std::string& scope, const std::string& name) {
  if (scope.empty() || name.empty()) return name;
  if (name[0] == '^') return "^" + scope + name.substr(1);
  return scope + name;
}

}  // namespace

std::vector<std::string> UnsupportedOps(const tensorflow::GraphDef& def) {
  std::set<std::string> bad;
  // Function calls are inlined at import (graph/function_library.h): what must run is the
  // ops of the graph and of every function body.
  std::set<std::string, std::less<>> functions;
  for (const auto& f : def.library().function()) functions.insert(f.signature().name());
  auto check = [&](const tensorflow::NodeDef& node) {
    const std::string& op = node.op();
    if (op == "PartitionedCall" || op == "StatefulPartitionedCall" || functions.count(op)) return;
    if (FindOpDef(op) == nullptr || !HasKernel(op)) bad.insert(op);
  };
  for (const auto& node : def.node()) check(node);
  for (const auto& f : def.library().function()) {
    for (const auto& node : f.node_def()) check(node);
  }
  return {bad.begin(), bad.end()};
}

Status UnsupportedOpsError(const std::vector<std::string>& ops) {
  return UnimplementedError("graph uses " + std::to_string(ops.size()) + " op" +
                            (ops.size() == 1 ? "" : "s") +
                            " that cannot run here (no OpDef or CPU kernel): " + JoinNames(ops));
}

// ---- export ---------------------------------------------------------------------------------

StatusOr<std::string> ExportMetaGraph(const Graph& graph, const SaverDef* saver_def,
                                      const MetaGraphExportOptions& options) {
  if (!graph.status().ok()) return graph.status();
  tensorflow::MetaGraphDef mg;
  *mg.mutable_graph_def() = GetGraphDef(graph);
  if (options.clear_devices) {
    for (auto& node : *mg.mutable_graph_def()->mutable_node()) node.clear_device();
  }

  auto* info = mg.mutable_meta_info_def();
  std::set<std::string> used;
  for (const auto& node : mg.graph_def().node()) used.insert(node.op());
  for (const auto& op : used) {  // std::set: sorted by name, as TF's stripped op list
    const tensorflow::OpDef* def = FindOpDef(op);
    if (def == nullptr) return NotFoundError("op '" + op + "' is not registered");
    *info->mutable_stripped_op_list()->add_op() = *def;
  }
  info->set_tensorflow_version(std::string(kMetaGraphTensorflowVersion));
  info->set_tensorflow_git_version(std::string(kMetaGraphGitVersion));
  for (const auto& t : options.tags) info->add_tags(t);

  if (saver_def != nullptr) SaverDefToProto(*saver_def, mg.mutable_saver_def());

  std::vector<std::string> keys =
      options.collection_list.empty() ? graph.collection_keys() : options.collection_list;
  for (const auto& key : keys) {
    const auto& values = graph.GetCollection(key);
    if (values.empty()) continue;
    tensorflow::CollectionDef& col = (*mg.mutable_collection_def())[key];
    if (key == kSaversCollection) {
      for (const auto& v : values) col.mutable_bytes_list()->add_value(v);
      continue;
    }
    if (IsVariableCollection(graph, key, values)) {
      for (const auto& v : values) {
        const VariableInfo* var = graph.FindVariable(v);
        if (var == nullptr) {
          return InvalidArgumentError("collection '" + key + "' holds '" + v +
                                      "', which is not a registered variable");
        }
        tensorflow::VariableDef vd;
        vd.set_variable_name(var->variable_name);
        vd.set_initial_value_name(var->initial_value_name);
        vd.set_initializer_name(var->initializer_name);
        vd.set_snapshot_name(var->snapshot_name);
        vd.set_is_resource(var->is_resource);
        vd.set_trainable(var->trainable);
        col.mutable_bytes_list()->add_value(vd.SerializeAsString());
      }
      continue;
    }
    for (const auto& v : values) {
      auto ref = ParseInputString(v);
      if (!ref.ok() || !graph.HasNode(ref->node)) {
        return InvalidArgumentError("collection '" + key + "' names '" + v +
                                    "', which is not in the graph");
      }
      col.mutable_node_list()->add_value(v);
    }
  }
  for (const auto& [key, raw] : options.raw_collections) {
    tensorflow::CollectionDef col;
    if (!col.ParseFromString(raw)) {
      return InvalidArgumentError("raw collection '" + key + "' is not a CollectionDef");
    }
    (*mg.mutable_collection_def())[key] = std::move(col);
  }
  for (const auto& [key, sig] : options.signatures) {
    CKPT_RETURN_IF_ERROR(SignatureToProto(sig, &(*mg.mutable_signature_def())[key]));
  }
  // Deterministic bytes (map fields sorted), so one graph always exports identically.
  std::string out;
  {
    google::protobuf::io::StringOutputStream sos(&out);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    if (!mg.SerializeToCodedStream(&cos)) {
      return InternalError("MetaGraphDef serialization failed");
    }
  }
  return out;
}

Status ExportMetaGraph(Env* env, const std::string& path, const Graph& graph,
                       const SaverDef* saver_def, const MetaGraphExportOptions& options) {
  CKPT_ASSIGN_OR_RETURN(std::string bytes, ExportMetaGraph(graph, saver_def, options));
  const std::string dir = path::Dirname(path);
  if (!dir.empty()) CKPT_RETURN_IF_ERROR(env->RecursivelyCreateDir(dir));
  return env->AtomicWriteStringToFile(path, bytes);
}

// ---- inspect --------------------------------------------------------------------------------

StatusOr<MetaGraphInfo> InspectMetaGraphProto(const tensorflow::MetaGraphDef& mg) {
  MetaGraphInfo info;
  const auto& mi = mg.meta_info_def();
  info.tags.assign(mi.tags().begin(), mi.tags().end());
  info.tensorflow_version = mi.tensorflow_version();
  info.tensorflow_git_version = mi.tensorflow_git_version();
  info.graph_producer = mg.graph_def().versions().producer();
  info.num_nodes = mg.graph_def().node_size();
  info.num_functions = mg.graph_def().library().function_size();
  std::set<std::string> names;
  for (const auto& f : mg.graph_def().library().function()) names.insert(f.signature().name());
  auto is_function = [&](const std::string& op) { return names.count(op) > 0; };
  for (const auto& f : mg.graph_def().library().function()) {
    FunctionInfo fi;
    fi.name = f.signature().name();
    fi.num_nodes = f.node_def_size();
    std::set<std::string> calls;
    for (const auto& node : f.node_def()) {
      for (auto& c : FunctionsCalledBy(node, is_function)) calls.insert(std::move(c));
    }
    fi.calls.assign(calls.begin(), calls.end());
    info.functions.push_back(std::move(fi));
  }
  for (const auto& node : mg.graph_def().node()) ++info.op_counts[node.op()];
  info.unsupported_ops = UnsupportedOps(mg.graph_def());
  if (mg.has_saver_def()) info.saver_def = SaverDefFromProto(mg.saver_def());
  for (const auto& [key, col] : mg.collection_def()) {
    std::vector<std::string>& out = info.collections[key];
    switch (col.kind_case()) {
      case tensorflow::CollectionDef::kNodeList:
        out.assign(col.node_list().value().begin(), col.node_list().value().end());
        break;
      case tensorflow::CollectionDef::kBytesList:
        for (const auto& b : col.bytes_list().value()) {
          tensorflow::VariableDef vd;
          if (VariableCollections().count(key) && vd.ParseFromString(b) &&
              !vd.variable_name().empty()) {
            out.push_back(vd.variable_name());
          } else {
            out.push_back("<" + std::to_string(b.size()) + " bytes>");
          }
        }
        break;
      case tensorflow::CollectionDef::kInt64List:
        for (int64_t v : col.int64_list().value()) out.push_back(std::to_string(v));
        break;
      case tensorflow::CollectionDef::kFloatList:
        for (float v : col.float_list().value()) out.push_back(std::to_string(v));
        break;
      case tensorflow::CollectionDef::kAnyList:
        for (const auto& a : col.any_list().value()) out.push_back("<Any: " + a.type_url() + ">");
        break;
      default: break;
    }
  }
  for (const auto& [key, sig] : mg.signature_def()) {
    info.signatures[key] = SignatureFromProto(sig, "");
  }
  return info;
}

StatusOr<MetaGraphInfo> InspectMetaGraph(std::string_view bytes) {
  tensorflow::MetaGraphDef mg;
  if (!mg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return DataLossError("not a serialized MetaGraphDef (" + std::to_string(bytes.size()) +
                         " bytes)");
  }
  return InspectMetaGraphProto(mg);
}

StatusOr<std::vector<MetaGraphInfo>> InspectSavedModel(std::string_view bytes) {
  tensorflow::SavedModel sm;
  if (!sm.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return DataLossError("not a serialized SavedModel (" + std::to_string(bytes.size()) +
                         " bytes)");
  }
  std::vector<MetaGraphInfo> out;
  for (const auto& mg : sm.meta_graphs()) {
    CKPT_ASSIGN_OR_RETURN(MetaGraphInfo info, InspectMetaGraphProto(mg));
    out.push_back(std::move(info));
  }
  return out;
}

// ---- import ---------------------------------------------------------------------------------

StatusOr<ImportedMetaGraph> ImportMetaGraphProto(tensorflow::MetaGraphDef mg,
                                                 const MetaGraphImportOptions& options) {
  std::vector<std::string> bad = UnsupportedOps(mg.graph_def());
  if (!bad.empty()) return UnsupportedOpsError(bad);

  std::string scope = options.import_scope;
  if (!scope.empty() && scope.back() != '/') scope += '/';

  tensorflow::GraphDef* gd = mg.mutable_graph_def();
  for (auto& node : *gd->mutable_node()) {
    if (options.clear_devices) node.clear_device();
    // The pre-1.0 "Variable" op is VariableV2 with the same interface (TF runs both with one
    // kernel); import it as VariableV2 so the session treats it as a variable.
    if (node.op() == "Variable") node.set_op("VariableV2");
    if (scope.empty()) continue;
    node.set_name(scope + node.name());
    for (auto& in : *node.mutable_input()) in = Scoped(scope, in);
    auto it = node.mutable_attr()->find("_class");
    if (it != node.mutable_attr()->end() && it->second.has_list()) {
      for (auto& s : *it->second.mutable_list()->mutable_s()) {
        if (s.rfind("loc:@", 0) == 0) s = "loc:@" + scope + s.substr(5);
      }
    }
  }
  auto graph_or = GraphFromGraphDef(std::move(*gd));
  if (!graph_or.ok()) return graph_or.status();

  ImportedMetaGraph out;
  out.graph = std::make_unique<Graph>(std::move(*graph_or));
  Graph& g = *out.graph;

  for (const auto& [key, col] : mg.collection_def()) {
    switch (col.kind_case()) {
      case tensorflow::CollectionDef::kNodeList:
        for (const auto& v : col.node_list().value()) {
          const std::string name = Scoped(scope, v);
          auto ref = ParseInputString(name);
          if (!ref.ok() || !g.HasNode(ref->node)) {
            return InvalidArgumentError("collection '" + key + "' names '" + v +
                                        "', which is not in the graph");
          }
          g.AddToCollection(key, name);
        }
        break;
      case tensorflow::CollectionDef::kBytesList: {
        bool variables = VariableCollections().count(key) > 0;
        if (variables) {
          for (const auto& b : col.bytes_list().value()) {
            tensorflow::VariableDef vd;
            if (!vd.ParseFromString(b) || vd.variable_name().empty()) {
              return InvalidArgumentError("collection '" + key + "' holds a malformed VariableDef");
            }
            VariableInfo v;
            v.variable_name = Scoped(scope, vd.variable_name());
            v.initializer_name = Scoped(scope, vd.initializer_name());
            v.snapshot_name = Scoped(scope, vd.snapshot_name());
            v.initial_value_name = Scoped(scope, vd.initial_value_name());
            v.trainable = vd.trainable();
            v.is_resource = vd.is_resource();
            auto t = g.GetTensorByName(v.variable_name);
            if (!t.ok()) {
              return InvalidArgumentError("collection '" + key + "' names variable '" +
                                          v.variable_name + "', which is not in the graph");
            }
            if (g.FindVariable(v.variable_name) == nullptr) g.RegisterVariable(v);
            g.AddToCollection(key, v.variable_name);
          }
        } else {
          out.raw_collections[key] = col.SerializeAsString();
          if (key == kSaversCollection) {
            for (const auto& b : col.bytes_list().value()) g.AddToCollection(key, b);
          }
        }
        break;
      }
      default: out.raw_collections[key] = col.SerializeAsString(); break;
    }
  }
  // TF1 graphs list variables in "trainable_variables" without a "variables" entry only in
  // hand-made files; every VariableDef was registered above either way.

  if (mg.has_saver_def()) {
    SaverDef d = SaverDefFromProto(mg.saver_def());
    d.filename_tensor_name = Scoped(scope, d.filename_tensor_name);
    d.save_tensor_name = Scoped(scope, d.save_tensor_name);
    d.restore_op_name = Scoped(scope, d.restore_op_name);
    out.saver_def = d;
    CKPT_ASSIGN_OR_RETURN(out.saver, Saver::FromSaverDef(g, d, options.env));
  }
  for (const auto& [key, sig] : mg.signature_def()) {
    out.signatures[key] = SignatureFromProto(sig, scope);
  }
  out.tags.assign(mg.meta_info_def().tags().begin(), mg.meta_info_def().tags().end());
  for (const auto& a : mg.asset_file_def()) {
    out.assets[Scoped(scope, a.tensor_info().name())] = a.filename();
  }
  return out;
}

StatusOr<ImportedMetaGraph> ImportMetaGraphFromBytes(std::string_view bytes,
                                                     const MetaGraphImportOptions& options) {
  tensorflow::MetaGraphDef mg;
  if (!mg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return DataLossError("not a serialized MetaGraphDef (" + std::to_string(bytes.size()) +
                         " bytes)");
  }
  return ImportMetaGraphProto(std::move(mg), options);
}

StatusOr<ImportedMetaGraph> ImportMetaGraph(Env* env, const std::string& path,
                                            const MetaGraphImportOptions& options) {
  if (env == nullptr) env = Env::Default();
  CKPT_ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(path));
  MetaGraphImportOptions opts = options;
  if (opts.env == nullptr) opts.env = env;
  auto r = ImportMetaGraphFromBytes(bytes, opts);
  if (!r.ok()) return r.status().WithContext("importing " + path);
  return r;
}

}  // namespace ckpt
