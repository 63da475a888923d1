// Helper program for tests/python/test_train_*.py: builds the test models with the C++ graph
// API and prints their graphs or trains them.
//
//   ckpt_train_tool graph MODEL OPT KIND [global_step]
//       Prints the GraphDef's nodes as JSON lines (name, op, inputs, attrs) in the format of
//       tests/python/train_tf_graphs.py. MODEL: seed|dense, OPT: gd|momentum|adam|rmsprop,
//       KIND: ref|resource.
//   ckpt_train_tool step MODEL OPT KIND SPEC.json STEPS
//       SPEC: {"vars": {"node": [values...]}, "feeds": [{"tensor:0": [values...]}, ...]}.
//       Initializes the variables, overrides those named in "vars", runs STEPS training steps
//       (feeds[i % len(feeds)] for step i) and prints every global variable's value as JSON.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "ckpt/graph/gradients.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/graph_def.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/optimizers.h"
#include "ckpt/graph/session.h"
#include "tensorflow/core/framework/attr_value.pb.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/framework/node_def.pb.h"

namespace {

using ckpt::DataType;
using ckpt::Graph;
using ckpt::Output;
using ckpt::PartialShape;
using nlohmann::json;

int Fail(const std::string& msg) {
  std::fprintf(stderr, "ckpt_train_tool: %s\n", msg.c_str());
  return 1;
}

std::unique_ptr<ckpt::Optimizer> MakeOptimizer(const std::string& name) {
  if (name == "gd") return std::make_unique<ckpt::GradientDescentOptimizer>(0.05);
  if (name == "momentum") return std::make_unique<ckpt::MomentumOptimizer>(0.05, 0.9);
  if (name == "adam") return std::make_unique<ckpt::AdamOptimizer>(0.001);
  if (name == "rmsprop") return std::make_unique<ckpt::RMSPropOptimizer>(0.01);
  return nullptr;
}

// The value of `v` read inside the scope of the op about to be built (Python reads resource
// variables inside the consuming op's name scope: "Add/ReadVariableOp").
Output ReadIn(Graph& g, const ckpt::ops::Variable& v) { return ckpt::ops::ReadValue(g, v); }

struct Model {
  Output loss;
  ckpt::Operation train;
};

ckpt::StatusOr<Model> Build(Graph& g, const std::string& model, const std::string& opt,
                            bool resource, bool global_step) {
  namespace ops = ckpt::ops;
  Model m;
  ckpt::ops::VariableOptions vo;
  vo.use_resource = resource;
  if (model == "seed") {
    Output x =
        ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}), "input");
    Output y = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}));
    auto a = ops::MakeVariable(g, ops::RandomNormal(g, {1}, 10.0), vo);
    Output out;
    {
      Graph::NameScope s(g, "Add");
      Output av = ReadIn(g, a);
      out = ops::Add(g, x, av, s.scope_name());
    }
    Output logits = ops::ExpandDims(g, out, 0);
    Output labels = ops::ExpandDims(g, y, 0);
    m.loss = ops::SigmoidCrossEntropyWithLogits(g, labels, logits);
    Output predict = ops::Round(g, ops::Sigmoid(g, out));
    g.AddToCollection("predict_op", predict.name());
  } else if (model == "dense") {
    Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{4, 3}), "x");
    Output y = ops::Placeholder(g, DataType::kInt64, PartialShape(std::vector<int64_t>{4}), "y");
    vo.name = "w";
    auto w = ops::MakeVariable(g, ops::Ones(g, {3, 5}), vo);
    vo.name = "b";
    auto b = ops::MakeVariable(g, ops::Zeros(g, {5}), vo);
    Output mm;
    {
      Graph::NameScope s(g, "MatMul");
      Output wv = ReadIn(g, w);
      mm = ops::MatMul(g, x, wv, false, false, s.scope_name());
    }
    Output logits;
    {
      Graph::NameScope s(g, "add");
      Output bv = ReadIn(g, b);
      logits = ops::Add(g, mm, bv, s.scope_name());
    }
    Output xent = ops::SparseSoftmaxCrossEntropyWithLogits(g, y, logits);
    m.loss = ops::Mean(g, xent);
  } else {
    return ckpt::InvalidArgumentError("unknown model " + model);
  }
  ckpt::MinimizeOptions mo;
  if (global_step) {
    CKPT_ASSIGN_OR_RETURN(mo.global_step, ckpt::GetOrCreateGlobalStep(g, resource));
  }
  auto optimizer = MakeOptimizer(opt);
  if (!optimizer) return ckpt::InvalidArgumentError("unknown optimizer " + opt);
  CKPT_ASSIGN_OR_RETURN(m.train, optimizer->Minimize(g, m.loss, mo));
  return m;
}

json AttrRepr(const tensorflow::AttrValue& v) {
  switch (v.value_case()) {
    case tensorflow::AttrValue::kS: return v.s();
    case tensorflow::AttrValue::kI: return v.i();
    case tensorflow::AttrValue::kF: return v.f();
    case tensorflow::AttrValue::kB: return v.b();
    case tensorflow::AttrValue::kType: {
      auto dt = static_cast<DataType>(v.type());
      return std::string(ckpt::DataTypeName(dt));
    }
    case tensorflow::AttrValue::kList: {
      if (v.list().s_size() > 0) {
        json a = json::array();
        for (const auto& s : v.list().s()) a.push_back(s);
        return a;
      }
      return "list";
    }
    case tensorflow::AttrValue::kShape: return "shape";
    case tensorflow::AttrValue::kTensor: return "tensor";
    default: return "other";
  }
}

int PrintGraph(const Graph& g) {
  const auto& def = ckpt::GetGraphDef(g);
  for (const auto& n : def.node()) {
    json j;
    j["name"] = n.name();
    j["op"] = n.op();
    j["inputs"] = json::array();
    for (const auto& in : n.input()) j["inputs"].push_back(in);
    json attrs = json::object();
    for (const auto& [k, v] : n.attr()) attrs[k] = AttrRepr(v);
    j["attrs"] = attrs;
    std::cout << j.dump() << "\n";
  }
  return 0;
}

ckpt::StatusOr<ckpt::Tensor> TensorFromJson(const json& values, DataType dt,
                                            const ckpt::TensorShape& shape) {
  if (!values.is_array() || static_cast<int64_t>(values.size()) != shape.num_elements()) {
    return ckpt::InvalidArgumentError("value count does not match shape " + shape.DebugString());
  }
  ckpt::Tensor t(dt, shape);
  for (size_t i = 0; i < values.size(); ++i) {
    switch (dt) {
      case DataType::kFloat: t.data<float>()[i] = values[i].get<float>(); break;
      case DataType::kDouble: t.data<double>()[i] = values[i].get<double>(); break;
      case DataType::kInt64: t.data<int64_t>()[i] = values[i].get<int64_t>(); break;
      case DataType::kInt32: t.data<int32_t>()[i] = values[i].get<int32_t>(); break;
      default: return ckpt::UnimplementedError("dtype not supported by the tool");
    }
  }
  return t;
}

json TensorToJson(const ckpt::Tensor& t) {
  json a = json::array();
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    switch (t.dtype()) {
      case DataType::kFloat: a.push_back(t.data<float>()[i]); break;
      case DataType::kDouble: a.push_back(t.data<double>()[i]); break;
      case DataType::kInt64: a.push_back(t.data<int64_t>()[i]); break;
      case DataType::kInt32: a.push_back(t.data<int32_t>()[i]); break;
      default: a.push_back(nullptr);
    }
  }
  return a;
}

int RunSteps(const Graph& g, const Model& m, const json& spec, int steps) {
  auto sess_or = ckpt::Session::Create(&g);
  if (!sess_or.ok()) return Fail(sess_or.status().ToString());
  auto& sess = *sess_or;
  auto st = sess->Run({}, {}, {"init"});
  if (!st.ok()) return Fail(st.status().ToString());
  if (spec.contains("vars")) {
    for (const auto& [name, values] : spec["vars"].items()) {
      auto cur = sess->GetVariable(name);
      if (!cur.ok()) return Fail(cur.status().ToString());
      auto t = TensorFromJson(values, cur->dtype(), cur->shape());
      if (!t.ok()) return Fail(name + ": " + t.status().ToString());
      auto s = sess->SetVariable(name, *t);
      if (!s.ok()) return Fail(s.ToString());
    }
  }
  const json& feeds = spec["feeds"];
  for (int i = 0; i < steps; ++i) {
    ckpt::Session::FeedList fl;
    for (const auto& [name, values] : feeds[i % feeds.size()].items()) {
      auto out = g.GetTensorByName(name);
      if (!out.ok()) return Fail(out.status().ToString());
      auto shape_attr = g.GetAttr(out->node, "shape");
      ckpt::TensorShape shape;
      if (shape_attr.ok() && shape_attr->is<PartialShape>()) {
        auto ts = ckpt::TensorShape::FromDims(shape_attr->get<PartialShape>().dims());
        if (ts.ok()) shape = *ts;
      }
      auto t = TensorFromJson(values, g.OutputType(*out), shape);
      if (!t.ok()) return Fail(name + ": " + t.status().ToString());
      fl.emplace_back(name, *t);
    }
    auto r = sess->Run(fl, {}, {m.train.name});
    if (!r.ok()) return Fail(r.status().ToString());
  }
  json out = json::object();
  for (const auto& v : sess->ListVariables()) {
    auto t = sess->GetVariable(v.name);
    if (!t.ok()) return Fail(t.status().ToString());
    out[v.name] = TensorToJson(*t);
  }
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    return Fail("usage: ckpt_train_tool graph|step MODEL OPT KIND [global_step | SPEC STEPS]");
  }
  const std::string cmd = argv[1], model = argv[2], opt = argv[3], kind = argv[4];
  if (kind != "ref" && kind != "resource") return Fail("KIND must be ref or resource");
  Graph g;
  const bool gs = cmd == "graph" && argc > 5 && std::string(argv[5]) == "global_step";
  auto m = Build(g, model, opt, kind == "resource", gs);
  if (!m.ok()) return Fail(m.status().ToString());
  if (!g.status().ok()) return Fail(g.status().ToString());
  if (cmd == "graph") return PrintGraph(g);
  if (cmd == "step") {
    if (argc < 7) return Fail("step needs SPEC.json STEPS");
    std::ifstream in(argv[5]);
    if (!in) return Fail(std::string("cannot open ") + argv[5]);
    json spec = json::parse(in, nullptr, false);
    if (spec.is_discarded()) return Fail(std::string("bad JSON in ") + argv[5]);
    ckpt::ops::GlobalVariablesInitializer(g);
    if (!g.status().ok()) return Fail(g.status().ToString());
    return RunSteps(g, *m, spec, std::stoi(argv[6]));
  }
  return Fail("unknown command " + cmd);
}
