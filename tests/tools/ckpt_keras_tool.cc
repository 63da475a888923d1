// ckpt_keras_tool: runs a TensorFlow graph (a GraphDef or the graph of a MetaGraphDef) with
// this project's Session, for the Python tests and benchmarks that compare against TF.
//
// Usage: ckpt_keras_tool SPEC.json
// SPEC:
//   {"graph": "model.pb" | "model.meta",
//    "format": "graphdef" | "meta",               (default: by extension, .meta = meta)
//    "checkpoint": "dir/model",                    (optional: TF V2 checkpoint prefix)
//    "restore": "saver" | "reader",               (default: saver for meta, reader otherwise)
//    "feeds": [{"name": "x:0", "dtype": "float32", "shape": [2, 16], "file": "x.bin"}],
//    "fetches": ["dense_1/Softmax:0"],
//    "out_dir": "dir",                             (fetched tensors written as NAME.bin)
//    "threads": 0,                                 (intra-op threads; 0 = all cores)
//    "bench": {"warmup": 20, "iters": 200}}        (optional: time Run and report)
// "meta" imports the MetaGraphDef with ImportMetaGraph (graph, collections, saver_def).
// Restoring with "saver" runs the graph's own restore op (the SaverDef's RestoreV2 + assigns,
// fed the prefix) through Saver::Restore; "reader" sets every variable node of the graph from
// the checkpoint tensor of the same name (the keys tf.compat.v1.train.Saver writes), and a
// variable the checkpoint lacks is an error.
// Prints JSON: {"outputs": [{"name", "dtype", "shape", "file"}], "restored": [...],
// "bench": {"iters", "mean_us", "median_us", "min_us"}}. Exit status 1 with the error on
// stderr on any failure.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/format/bundle.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/session.h"
#include "ckpt/metagraph/meta_graph.h"
#include "ckpt/metagraph/saver.h"

namespace {

using ckpt::DataType;
using ckpt::Status;
using ckpt::StatusOr;
using ckpt::Tensor;
using ckpt::TensorShape;
using nlohmann::json;

StatusOr<DataType> ParseDtype(const std::string& s) {
  if (s == "float32") return DataType::kFloat;
  if (s == "float64") return DataType::kDouble;
  if (s == "int32") return DataType::kInt32;
  if (s == "int64") return DataType::kInt64;
  if (s == "bool") return DataType::kBool;
  return ckpt::InvalidArgumentError("unsupported feed dtype '" + s + "'");
}

std::string DtypeString(DataType dt) {
  switch (dt) {
    case DataType::kFloat: return "float32";
    case DataType::kDouble: return "float64";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kBool: return "bool";
    case DataType::kUInt64: return "uint64";
    case DataType::kUInt32: return "uint32";
    default: return std::string(ckpt::DataTypeName(dt));
  }
}

std::string FileSafe(std::string name) {
  for (char& c : name) {
    if (c == '/' || c == ':') c = '_';
  }
  return name;
}

std::string FormatOf(const json& spec) {
  const std::string path = spec.at("graph").get<std::string>();
  std::string format = spec.value("format", "");
  if (format.empty()) {
    format = path.size() > 5 && path.substr(path.size() - 5) == ".meta" ? "meta" : "graphdef";
  }
  return format;
}

// The graph (and, for a meta graph, its Saver).
struct Loaded {
  std::unique_ptr<ckpt::Graph> graph;
  std::unique_ptr<ckpt::Saver> saver;
};

StatusOr<Loaded> LoadGraph(ckpt::Env* env, const json& spec) {
  const std::string path = spec.at("graph").get<std::string>();
  const std::string format = FormatOf(spec);
  Loaded loaded;
  if (format == "meta") {
    CKPT_ASSIGN_OR_RETURN(ckpt::ImportedMetaGraph meta, ckpt::ImportMetaGraph(env, path));
    loaded.graph = std::move(meta.graph);
    loaded.saver = std::move(meta.saver);
    return loaded;
  }
  if (format != "graphdef") {
    return ckpt::InvalidArgumentError("unknown graph format '" + format + "'");
  }
  CKPT_ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(path));
  CKPT_ASSIGN_OR_RETURN(ckpt::Graph graph, ckpt::Graph::FromGraphDef(bytes));
  loaded.graph = std::make_unique<ckpt::Graph>(std::move(graph));
  return loaded;
}

StatusOr<std::vector<std::string>> Restore(ckpt::Env* env, ckpt::Session* session,
                                           const std::string& prefix) {
  CKPT_ASSIGN_OR_RETURN(auto reader, ckpt::BundleReader::Open(env, prefix));
  std::vector<std::string> restored;
  for (const ckpt::SessionVariable& v : session->ListVariables()) {
    if (!reader->Contains(v.name)) {
      return ckpt::NotFoundError("variable '" + v.name + "' (" + v.op + ") is not in checkpoint " +
                                 prefix);
    }
    CKPT_ASSIGN_OR_RETURN(Tensor value, reader->Lookup(v.name));
    CKPT_RETURN_IF_ERROR(session->SetVariable(v.name, value));
    restored.push_back(v.name);
  }
  return restored;
}

Status Main(const std::string& spec_path) {
  ckpt::Env* env = ckpt::Env::Default();
  CKPT_ASSIGN_OR_RETURN(std::string spec_text, env->ReadFileToString(spec_path));
  json spec = json::parse(spec_text, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.is_object() || !spec.contains("graph")) {
    return ckpt::InvalidArgumentError(spec_path + ": not a JSON object with a \"graph\" key");
  }
  CKPT_ASSIGN_OR_RETURN(Loaded loaded, LoadGraph(env, spec));
  ckpt::SessionOptions options;
  options.intra_op_threads = spec.value("threads", 0);
  CKPT_ASSIGN_OR_RETURN(auto session, ckpt::Session::Create(loaded.graph.get(), options));

  json result;
  result["restored"] = json::array();
  if (spec.contains("checkpoint")) {
    const std::string prefix = spec["checkpoint"].get<std::string>();
    const std::string how = spec.value("restore", FormatOf(spec) == "meta" ? "saver" : "reader");
    if (how == "saver") {
      if (loaded.saver == nullptr) {
        return ckpt::InvalidArgumentError(spec.at("graph").get<std::string>() +
                                          ": the meta graph has no saver_def to restore with");
      }
      CKPT_RETURN_IF_ERROR(loaded.saver->Restore(*session, prefix));
      for (const ckpt::SessionVariable& v : session->ListVariables()) {
        CKPT_ASSIGN_OR_RETURN(bool init, session->IsVariableInitialized(v.name));
        if (init) result["restored"].push_back(v.name);
      }
    } else if (how == "reader") {
      CKPT_ASSIGN_OR_RETURN(auto restored, Restore(env, session.get(), prefix));
      result["restored"] = restored;
    } else {
      return ckpt::InvalidArgumentError("unknown restore method '" + how + "'");
    }
  }

  ckpt::Session::FeedList feeds;
  for (const json& f : spec.value("feeds", json::array())) {
    CKPT_ASSIGN_OR_RETURN(DataType dt, ParseDtype(f.at("dtype").get<std::string>()));
    CKPT_ASSIGN_OR_RETURN(TensorShape shape,
                          TensorShape::FromDims(f.at("shape").get<std::vector<int64_t>>()));
    const std::string file = f.at("file").get<std::string>();
    CKPT_ASSIGN_OR_RETURN(std::string data, env->ReadFileToString(file));
    CKPT_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(dt, shape));
    if (data.size() != t.TotalBytes()) {
      return ckpt::InvalidArgumentError(file + ": " + std::to_string(data.size()) +
                                        " bytes, expected " + std::to_string(t.TotalBytes()) +
                                        " for " + DtypeString(dt) + shape.DebugString());
    }
    std::copy(data.begin(), data.end(), static_cast<char*>(t.raw_data()));
    feeds.emplace_back(f.at("name").get<std::string>(), std::move(t));
  }
  const auto fetches = spec.value("fetches", std::vector<std::string>{});
  const auto targets = spec.value("targets", std::vector<std::string>{});

  CKPT_ASSIGN_OR_RETURN(std::vector<Tensor> outs, session->Run(feeds, fetches, targets));
  const std::string out_dir = spec.value("out_dir", "");
  result["outputs"] = json::array();
  for (size_t i = 0; i < outs.size(); ++i) {
    json o;
    o["name"] = fetches[i];
    o["dtype"] = DtypeString(outs[i].dtype());
    o["shape"] = outs[i].shape().dims();
    if (!out_dir.empty()) {
      const std::string file = out_dir + "/" + FileSafe(fetches[i]) + ".bin";
      CKPT_RETURN_IF_ERROR(env->WriteStringToFile(
          file,
          std::string_view(static_cast<const char*>(outs[i].raw_data()), outs[i].TotalBytes())));
      o["file"] = file;
    }
    result["outputs"].push_back(o);
  }

  if (spec.contains("bench")) {
    const int warmup = spec["bench"].value("warmup", 10);
    const int iters = std::max(1, spec["bench"].value("iters", 100));
    for (int i = 0; i < warmup; ++i) CKPT_RETURN_IF_ERROR(session->Run(feeds, fetches).status());
    std::vector<double> us;
    us.reserve(iters);
    for (int i = 0; i < iters; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      CKPT_RETURN_IF_ERROR(session->Run(feeds, fetches).status());
      auto t1 = std::chrono::steady_clock::now();
      us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    double sum = 0;
    for (double u : us) sum += u;
    std::vector<double> sorted = us;
    std::sort(sorted.begin(), sorted.end());
    result["bench"] = {{"iters", iters},
                       {"mean_us", sum / iters},
                       {"median_us", sorted[sorted.size() / 2]},
                       {"min_us", sorted.front()}};
  }
  std::cout << result.dump() << std::endl;
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SPEC.json\n", argv[0]);
    return 2;
  }
  Status s = Main(argv[1]);
  if (!s.ok()) {
    std::fprintf(stderr, "ckpt_keras_tool: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
