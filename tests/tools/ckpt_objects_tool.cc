// ckpt_objects_tool: warm-starts a dense network built with the C++ graph API from a TF2
// object-based checkpoint (tf.train.Checkpoint of a Keras model) by object path, for
// tests/python/test_tf2_savedmodel.py.
//
// Usage: ckpt_objects_tool PREFIX SPEC.json
// SPEC:
//   {"layers": [[4, 8, "relu"], [8, 3, "softmax"]],   (in, out, activation: relu|softmax|none)
//    "name_map": {"model/.../_kernel": "dense/kernel", ...},   (object path -> variable)
//    "dry_run": false,
//    "x": "x.npy", "out": "y.npy"}                     (forward pass input and output)
// Variables are "dense/kernel", "dense/bias", "dense_1/kernel", ... (resource variables, zero
// initialized). Prints JSON {"restored", "missing", "unused", "mismatched", "errors"}; with a
// dry run nothing is set and no forward pass runs. Exit status 1 with the error on stderr on
// any failure.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckpt/format/tensor_files.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/session.h"
#include "ckpt/metagraph/saver.h"

namespace {

using namespace ckpt;  // NOLINT: a test tool

int Fail(const Status& s) {
  std::cerr << "ckpt_objects_tool: " << s.ToString() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: ckpt_objects_tool PREFIX SPEC.json\n";
    return 2;
  }
  const std::string prefix = argv[1];
  nlohmann::json spec = nlohmann::json::parse(std::ifstream(argv[2]));
  Env* env = Env::Default();

  Graph g;
  const int64_t in0 = spec["layers"][0][0];
  Output h =
      ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{-1, in0}), "x");
  int i = 0;
  for (const auto& layer : spec["layers"]) {
    const int64_t in = layer[0], out = layer[1];
    const std::string act = layer[2];
    const std::string scope = i == 0 ? "dense" : "dense_" + std::to_string(i);
    ops::VariableOptions vo;
    vo.use_resource = true;
    vo.name = scope + "/kernel";
    ops::Variable w = ops::MakeVariable(g, ops::Zeros(g, TensorShape({in, out})), vo);
    vo.name = scope + "/bias";
    ops::Variable b = ops::MakeVariable(g, ops::Zeros(g, TensorShape({out})), vo);
    h = ops::BiasAdd(g, ops::MatMul(g, h, ops::ReadValue(g, w)), ops::ReadValue(g, b));
    if (act == "relu") h = ops::Relu(g, h);
    if (act == "softmax") h = ops::Softmax(g, h);
    ++i;
  }
  Operation init = ops::GlobalVariablesInitializer(g);
  if (!g.status().ok()) return Fail(g.status());
  auto sess = Session::Create(&g);
  if (!sess.ok()) return Fail(sess.status());
  if (auto r = (*sess)->Run({}, {}, {init.name}); !r.ok()) return Fail(r.status());

  RestoreOptions options;
  options.object_paths = true;
  options.dry_run = spec.value("dry_run", false);
  for (const auto& [path, var] : spec["name_map"].items()) {
    options.name_map[path] = var.get<std::string>();
  }
  RestoreReport report;
  Status s = RestoreSessionVariables(env, **sess, prefix, options, &report);
  nlohmann::json mismatched = nlohmann::json::array();
  for (const auto& m : report.mismatched) {
    mismatched.push_back(
        {{"variable", m.variable}, {"expected", m.expected}, {"stored", m.stored}});
  }
  std::cout << nlohmann::json{{"restored", report.restored}, {"missing", report.missing},
                              {"unused", report.unused},     {"mismatched", mismatched},
                              {"errors", report.errors},     {"status", s.ToString()}}
                   .dump()
            << "\n";
  if (!s.ok()) return Fail(s);
  if (options.dry_run) return 0;
  auto x = ReadNpy(env, spec["x"].get<std::string>());
  if (!x.ok()) return Fail(x.status());
  auto y = (*sess)->Run({{"x:0", *x}}, {h.name()});
  if (!y.ok()) return Fail(y.status());
  if (Status w = WriteNpy(env, spec["out"].get<std::string>(), (*y)[0]); !w.ok()) return Fail(w);
  return 0;
}
