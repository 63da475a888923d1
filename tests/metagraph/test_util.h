// Helpers shared by the metagraph tests: the seed model's graph (temporary directories:
// testutil/temp_dir.h).
#pragma once

#include <string>

#include "ckpt/core/env.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "testutil/temp_dir.h"

namespace ckpt::testutil {

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

}  // namespace ckpt::testutil
