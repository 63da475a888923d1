// The tf.Example parsing of the ParseExample / ParseExampleV2 kernels. Input: a flags byte
// (bit 0: which op), then up to 8 serialized Examples, each prefixed by its uint32 length. A
// fixed graph parses them as a batch into three dense features: "a" float [2] (default
// zeros), "b" int64 [] (required), "c" string [1] (default "x").
#include <google/protobuf/text_format.h>

#include <memory>
#include <string>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/session.h"
#include "fuzz_util.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace {

constexpr char kConsts[] = R"pb(
  node { name: "ser" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } }
         attr { key: "shape" value { shape { dim { size: -1 } } } } }
  node { name: "none" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
         attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape { dim { size: 0 } } } } } }
  node { name: "keys" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
         attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape { dim { size: 3 } }
                string_val: "a" string_val: "b" string_val: "c" } } } }
  node { name: "ka" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
         attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape {} string_val: "a" } } } }
  node { name: "kb" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
         attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape {} string_val: "b" } } } }
  node { name: "kc" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
         attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape {} string_val: "c" } } } }
  node { name: "da" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } }
                float_val: 0 } } } }
  node { name: "db" op: "Const" attr { key: "dtype" value { type: DT_INT64 } }
         attr { key: "value" value { tensor { dtype: DT_INT64 tensor_shape { dim { size: 0 } } } } } }
  node { name: "dc" op: "Const" attr { key: "dtype" value { type: DT_STRING } }
         attr { key: "value" value { tensor { dtype: DT_STRING tensor_shape { dim { size: 1 } }
                string_val: "x" } } } }
)pb";

constexpr char kDenseAttrs[] = R"pb(
    attr { key: "Tdense" value { list { type: DT_FLOAT type: DT_INT64 type: DT_STRING } } }
    attr { key: "dense_shapes" value { list { shape { dim { size: 2 } } shape {}
                                              shape { dim { size: 1 } } } } }
)pb";

constexpr char kParseV2[] = R"pb(
  node {
    name: "parse" op: "ParseExampleV2"
    input: "ser" input: "none" input: "none" input: "keys" input: "none"
    input: "da" input: "db" input: "dc"
    attr { key: "num_sparse" value { i: 0 } }
    attr { key: "sparse_types" value { list {} } }
    attr { key: "ragged_value_types" value { list {} } }
    attr { key: "ragged_split_types" value { list {} } }
)pb";

constexpr char kParseV1[] = R"pb(
  node {
    name: "parse" op: "ParseExample"
    input: "ser" input: "none" input: "ka" input: "kb" input: "kc"
    input: "da" input: "db" input: "dc"
    attr { key: "Nsparse" value { i: 0 } }
    attr { key: "Ndense" value { i: 3 } }
    attr { key: "sparse_types" value { list {} } }
)pb";

// The parsing graph for ParseExampleV2 (v2) or ParseExample, built once.
const ckpt::Graph& ParseGraph(bool v2) {
  static const auto* graphs = [] {
    auto* g = new std::vector<ckpt::Graph>();
    for (const char* parse : {kParseV1, kParseV2}) {
      tensorflow::GraphDef def;
      const std::string text = std::string(kConsts) + parse + kDenseAttrs + "}";
      ckpt::fuzz::Check(google::protobuf::TextFormat::ParseFromString(text, &def),
                        "parse the graph text");
      auto graph = ckpt::Graph::FromGraphDef(def.SerializeAsString());
      ckpt::fuzz::CheckOk(graph.status(), "build the graph");
      g->push_back(std::move(*graph));
    }
    return g;
  }();
  return (*graphs)[v2 ? 1 : 0];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  const bool v2 = (in.Byte() & 1) != 0;
  std::vector<std::string> examples;
  while (!in.empty() && examples.size() < 8) examples.emplace_back(in.LengthPrefixed());
  const Graph& graph = ParseGraph(v2);
  static const std::unique_ptr<Env> env = NewMemEnv();
  SessionOptions options;
  options.env = env.get();
  options.intra_op_threads = 1;
  auto session = Session::Create(&graph, options);
  fuzz::CheckOk(session.status(), "create the session");
  Tensor ser = Tensor::FromStrings(examples, TensorShape({static_cast<int64_t>(examples.size())}));
  auto out = (*session)->Run({{"ser:0", ser}}, {"parse:0", "parse:1", "parse:2"});
  if (out.ok()) {
    const int64_t n = static_cast<int64_t>(examples.size());
    fuzz::Check((*out)[0].shape() == TensorShape({n, 2}) && (*out)[1].shape() == TensorShape({n}) &&
                    (*out)[2].shape() == TensorShape({n, 1}),
                "dense output shapes");
  }
  return 0;
}
