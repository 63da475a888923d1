// MetaGraphDef export and import (tf.compat.v1.train.export_meta_graph / import_meta_graph).
//
// Export writes a binary tensorflow.MetaGraphDef that TF's import_meta_graph accepts:
//   meta_info_def: meta_graph_version, stripped_op_list (the OpDefs of the ops the graph uses,
//                  sorted by name), tensorflow_version / tensorflow_git_version, tags;
//   graph_def:     the graph's GraphDef;
//   saver_def:     when given;
//   collection_def: every collection of the graph: variable collections (kGlobalVariables,
//                  kTrainableVariables, kLocalVariables, kModelVariables, and any collection
//                  whose values are all registered variables) as bytes_list of VariableDef;
//                  kSaversCollection as bytes_list of SaverDef; everything else as node_list
//                  (node or tensor names: "train_op" -> ["GradientDescent"],
//                  "predict_op" -> ["Round:0"]);
//   signature_def: when given.
//
// Import parses a MetaGraphDef, checks that every op of its graph is one this runtime can run
// (registered OpDef and CPU kernel) and reports ALL unsupported ops in one Unimplemented error
// ("graph uses ops that cannot run here: ParseExample, StatefulPartitionedCall"), then builds
// the Graph (node attrs get their defaults), restores collections (VariableDefs re-register the
// variables) and returns the SaverDef and signatures. Import never runs anything.
//
// Example (the seed's section 4, "deploy to C++"):
//   auto mg = ckpt::ImportMetaGraph(ckpt::Env::Default(), "ckpt_dir/checkpoint_model-999.meta");
//   auto sess = ckpt::Session::Create(&mg->graph);
//   CKPT_RETURN_IF_ERROR(mg->saver->Restore(**sess, "ckpt_dir/checkpoint_model-999"));
//   std::string predict = mg->graph.GetCollection("predict_op")[0];     // "Round:0"
//   auto y = (*sess)->Run({{"input:0", x}}, {predict});
//
// Thread safety: free functions; no shared state.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/dtype.h"
#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor_shape.h"
#include "ckpt/graph/graph.h"
#include "ckpt/metagraph/saver.h"

namespace ckpt {

// Version strings written to meta_info_def (TF ignores them when importing).
inline constexpr std::string_view kMetaGraphTensorflowVersion = "2.21.0";
inline constexpr std::string_view kMetaGraphGitVersion = "ckpt 0.1.0";

// tensorflow.TensorInfo (dense form) of a signature.
struct SignatureTensor {
  std::string name;  // "x:0"
  DataType dtype = DataType::kInvalid;
  PartialShape shape;  // unknown rank when absent
};

// tensorflow.SignatureDef.
struct Signature {
  std::string method_name;                         // "tensorflow/serving/predict"
  std::map<std::string, SignatureTensor> inputs;   // by key
  std::map<std::string, SignatureTensor> outputs;  // by key
};

struct MetaGraphExportOptions {
  // Empty device fields of every node. Default: false.
  bool clear_devices = false;
  // Collections to export; empty = all. Default: empty.
  std::vector<std::string> collection_list;
  // meta_info_def.tags (SavedModel tags). Default: none.
  std::vector<std::string> tags;
  // signature_def entries. Default: none.
  std::map<std::string, Signature> signatures;
  // Collections written verbatim: name -> serialized tensorflow.CollectionDef (what
  // ImportedMetaGraph::raw_collections holds, to re-export an imported graph losslessly).
  // They replace graph collections of the same name. Default: none.
  std::map<std::string, std::string> raw_collections;
};

// The serialized MetaGraphDef of `graph` with `saver_def` (nullptr: none). InvalidArgument
// when the graph's sticky status is not OK, or a collection names an absent node.
StatusOr<std::string> ExportMetaGraph(const Graph& graph, const SaverDef* saver_def,
                                      const MetaGraphExportOptions& options = {});
// Writes ExportMetaGraph's bytes to `path` (atomically: temp file + rename).
Status ExportMetaGraph(Env* env, const std::string& path, const Graph& graph,
                       const SaverDef* saver_def, const MetaGraphExportOptions& options = {});

// One function of a graph's library (TF2 graphs).
struct FunctionInfo {
  std::string name;
  int num_nodes = 0;
  std::vector<std::string> calls;  // functions it calls or runs as If/Case/While bodies, sorted
};

// A summary of a MetaGraphDef that needs no runnable graph (ckpt graph PATH, fixtures).
struct MetaGraphInfo {
  std::vector<std::string> tags;
  std::string tensorflow_version;
  std::string tensorflow_git_version;
  int graph_producer = 0;
  int num_nodes = 0;
  int num_functions = 0;                // graph_def.library functions
  std::vector<FunctionInfo> functions;  // in library order
  // op name -> number of nodes using it (sorted by op name).
  std::map<std::string, int> op_counts;
  // Ops of the graph this runtime cannot run (no OpDef or no kernel), sorted.
  std::vector<std::string> unsupported_ops;
  std::optional<SaverDef> saver_def;
  // Collection name -> its values (node_list / tensor names; VariableDef variable names for
  // bytes_list of VariableDefs; "<N bytes>" for other bytes; numbers printed for
  // int64/float lists; "<Any: type_url>" for any_list).
  std::map<std::string, std::vector<std::string>> collections;
  std::map<std::string, Signature> signatures;
};

// Parses a serialized MetaGraphDef without building a Graph. DataLoss when it is not one.
StatusOr<MetaGraphInfo> InspectMetaGraph(std::string_view bytes);
// Every meta graph of a serialized tensorflow.SavedModel (saved_model.pb), in file order.
StatusOr<std::vector<MetaGraphInfo>> InspectSavedModel(std::string_view bytes);

struct MetaGraphImportOptions {
  // Drop every node's device. Default: false.
  bool clear_devices = false;
  // Prefix "scope/" prepended to every node name, input and collection value (TF's
  // import_scope). Default: "" (names unchanged).
  std::string import_scope;
  // Env used by the returned Saver. Default: Env::Default().
  Env* env = nullptr;
};

// What import_meta_graph gives: the graph (with collections and variables), a Saver over the
// graph's own save/restore nodes (null when the MetaGraphDef has no saver_def), and the
// signatures and tags.
struct ImportedMetaGraph {
  // Heap-allocated so Sessions and the Saver may keep pointers while this struct moves.
  std::unique_ptr<Graph> graph;
  std::unique_ptr<Saver> saver;
  std::optional<SaverDef> saver_def;
  std::map<std::string, Signature> signatures;
  std::vector<std::string> tags;
  // Asset files: tensor name -> file name relative to the SavedModel's assets/ directory.
  std::map<std::string, std::string> assets;
  // Collections that are neither node lists nor VariableDef lists (bytes_list such as
  // "savers", int64/float/any lists): name -> serialized tensorflow.CollectionDef. The
  // "savers" SaverDef bytes are also added to the graph's kSaversCollection.
  std::map<std::string, std::string> raw_collections;
};

// Imports a serialized MetaGraphDef. Errors: DataLoss (not a MetaGraphDef), Unimplemented
// listing every unsupported op, InvalidArgument (malformed graph: bad inputs, duplicate
// names), InvalidArgument for a malformed collection or saver_def.
StatusOr<ImportedMetaGraph> ImportMetaGraphFromBytes(std::string_view bytes,
                                                     const MetaGraphImportOptions& options = {});
// Reads `path` (a .meta file) and imports it; errors name the file.
StatusOr<ImportedMetaGraph> ImportMetaGraph(Env* env, const std::string& path,
                                            const MetaGraphImportOptions& options = {});

}  // namespace ckpt
