// Helpers shared by the metagraph tests: the seed model's graph and temp directories.
#pragma once

#include <stdlib.h>

#include <string>

#include "ckpt/core/env.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"

namespace ckpt::testing_util {

// A fresh directory under $TMPDIR (or /tmp).
inline std::string MakeTempDir(const std::string& tag) {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/ckpt_mg_" + tag + "_XXXXXX";
  char* made = mkdtemp(tmpl.data());
  return made == nullptr ? std::string() : std::string(made);
}

struct SeedModel {
  Output input;
  Output target;
  ops::Variable a;
  Output output;
  Output predict;
  Operation init;
};

// The seed's forward graph (no optimizer): input, Placeholder, Variable ~ N(10, 1),
// Add, ExpandDims, logistic_loss, predict = Round(Sigmoid(Add)) in collection "predict_op".
inline SeedModel BuildSeedForward(Graph& g, bool use_resource) {
  SeedModel m;
  m.input = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}), "input");
  m.target = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}));
  Output init_value = ops::RandomNormal(g, TensorShape({1}), 10.0);
  ops::VariableOptions vo;
  vo.use_resource = use_resource;
  m.a = ops::MakeVariable(g, init_value, vo);
  m.output = ops::Add(g, m.input, ops::ReadValue(g, m.a));
  Output expanded = ops::ExpandDims(g, m.output, 0);
  Output target_expanded = ops::ExpandDims(g, m.target, 0);
  ops::SigmoidCrossEntropyWithLogits(g, target_expanded, expanded);
  m.predict = ops::Round(g, ops::Sigmoid(g, m.output));
  g.AddToCollection("predict_op", m.predict.name());
  m.init = ops::GlobalVariablesInitializer(g);
  return m;
}

}  // namespace ckpt::testing_util
