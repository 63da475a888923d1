// Optimizers: update formulas (checked against the formulas evaluated here in double
// precision), slot and non-slot variable names, global_step, errors, and resuming from saved
// variable values giving the same trajectory as an uninterrupted run.
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "ckpt/graph/gradients.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/optimizers.h"
#include "ckpt/graph/session.h"

namespace ckpt {
namespace {

// loss = sum(w * c): the gradient of w is c at every step.
struct LinearModel {
  Graph g;
  ops::Variable w;
  Output c, loss;
  Operation train, init;
};

std::unique_ptr<LinearModel> Build(Optimizer& opt, bool resource, bool global_step,
                                   std::vector<double> w0) {
  auto m = std::make_unique<LinearModel>();
  Graph& g = m->g;
  ops::VariableOptions vo;
  vo.name = "w";
  vo.use_resource = resource;
  m->w = ops::MakeVariable(g, Tensor::FromVector<double>(w0, TensorShape{3}), vo);
  m->c = ops::Placeholder(g, DataType::kDouble, PartialShape(std::vector<int64_t>{3}), "c");
  Output wv = ops::ReadValue(g, m->w);
  m->loss = ops::Sum(g, ops::Mul(g, wv, m->c), std::vector<int>{0});
  MinimizeOptions mo;
  if (global_step) {
    auto gs = GetOrCreateGlobalStep(g, resource);
    EXPECT_TRUE(gs.ok()) << gs.status().ToString();
    mo.global_step = *gs;
  }
  auto train = opt.Minimize(g, m->loss, mo);
  EXPECT_TRUE(train.ok()) << train.status().ToString();
  if (train.ok()) m->train = *train;
  m->init = ops::GlobalVariablesInitializer(g);
  EXPECT_TRUE(g.status().ok()) << g.status().ToString();
  return m;
}

Tensor Vec3(double a, double b, double c) {
  return Tensor::FromVector<double>({a, b, c}, TensorShape{3});
}

std::vector<double> Values(Session& s, const std::string& var) {
  auto t = s.GetVariable(var);
  EXPECT_TRUE(t.ok()) << var << ": " << t.status().ToString();
  if (!t.ok()) return {};
  std::vector<double> v;
  for (int64_t i = 0; i < t->num_elements(); ++i) v.push_back(t->data<double>()[i]);
  return v;
}

using Reference =
    std::function<void(std::vector<double>& w, const std::vector<double>& g, int step)>;

void CheckTwoSteps(Optimizer& opt, bool resource, Reference ref) {
  const std::vector<double> w0 = {0.5, -1.0, 2.0};
  auto m = Build(opt, resource, false, w0);
  auto sess = Session::Create(&m->g);
  ASSERT_TRUE(sess.ok());
  ASSERT_TRUE((*sess)->Run({}, {}, {m->init.name}).ok());
  const std::vector<std::vector<double>> grads = {{0.1, -0.2, 0.3}, {-0.4, 0.5, 0.05}};
  std::vector<double> expect = w0;
  for (int step = 0; step < 2; ++step) {
    const auto& gr = grads[step];
    auto r = (*sess)->Run({{"c:0", Vec3(gr[0], gr[1], gr[2])}}, {}, {m->train.name});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ref(expect, gr, step + 1);
    auto got = Values(**sess, "w");
    ASSERT_EQ(got.size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(got[i], expect[i], 1e-12) << "step " << step;
  }
}

TEST(Optimizers, GradientDescentFormula) {
  for (bool resource : {false, true}) {
    GradientDescentOptimizer opt(0.05);
    CheckTwoSteps(opt, resource, [](std::vector<double>& w, const std::vector<double>& g, int) {
      for (int i = 0; i < 3; ++i) w[i] -= 0.05 * g[i];
    });
  }
}

TEST(Optimizers, MomentumFormula) {
  for (bool resource : {false, true}) {
    MomentumOptimizer opt(0.05, 0.9);
    std::vector<double> accum(3, 0.0);
    CheckTwoSteps(opt, resource, [&](std::vector<double>& w, const std::vector<double>& g, int) {
      for (int i = 0; i < 3; ++i) {
        accum[i] = accum[i] * 0.9 + g[i];
        w[i] -= accum[i] * 0.05;
      }
    });
    EXPECT_NE(opt.GetSlot("w", "momentum"), nullptr);
    EXPECT_EQ(opt.GetSlot("w", "momentum")->variable_name, "w/Momentum:0");
  }
}

TEST(Optimizers, AdamFormula) {
  for (bool resource : {false, true}) {
    AdamOptimizer opt(0.01);
    std::vector<double> m(3, 0.0), v(3, 0.0);
    CheckTwoSteps(opt, resource, [&](std::vector<double>& w, const std::vector<double>& g, int t) {
      const double lr_t = 0.01 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
      for (int i = 0; i < 3; ++i) {
        m[i] += (g[i] - m[i]) * (1 - 0.9);
        v[i] += (g[i] * g[i] - v[i]) * (1 - 0.999);
        w[i] -= m[i] * lr_t / (std::sqrt(v[i]) + 1e-8);
      }
    });
    ASSERT_NE(opt.GetSlot("w", "m"), nullptr);
    EXPECT_EQ(opt.GetSlot("w", "m")->variable_name, "w/Adam:0");
    EXPECT_EQ(opt.GetSlot("w", "v")->variable_name, "w/Adam_1:0");
  }
}

TEST(Optimizers, RMSPropFormula) {
  for (bool resource : {false, true}) {
    RMSPropOptimizer opt(0.01, 0.9, 0.5);
    std::vector<double> ms(3, 1.0), mom(3, 0.0);
    CheckTwoSteps(opt, resource, [&](std::vector<double>& w, const std::vector<double>& g, int) {
      for (int i = 0; i < 3; ++i) {
        ms[i] += (g[i] * g[i] - ms[i]) * (1 - 0.9);
        mom[i] = mom[i] * 0.5 + 0.01 * g[i] / std::sqrt(ms[i] + 1e-10);
        w[i] -= mom[i];
      }
    });
    EXPECT_EQ(opt.GetSlot("w", "rms")->variable_name, "w/RMSProp:0");
    EXPECT_EQ(opt.GetSlot("w", "momentum")->variable_name, "w/RMSProp_1:0");
  }
}

TEST(Optimizers, AdamNonSlotVariablesAndGlobalStep) {
  for (bool resource : {false, true}) {
    AdamOptimizer opt(0.01);
    auto m = Build(opt, resource, true, {1, 2, 3});
    const auto& gs = m->g.GetCollection(kGlobalStep);
    ASSERT_EQ(gs.size(), 1u);
    EXPECT_EQ(gs[0], "global_step:0");
    EXPECT_EQ(*m->g.OpType("Adam"), resource ? "AssignAddVariableOp" : "AssignAdd");
    EXPECT_EQ(m->g.GetCollection(kTrainOp), std::vector<std::string>{"Adam"});
    for (const char* n : {"beta1_power", "beta2_power", "w/Adam", "w/Adam_1", "Adam/update"}) {
      EXPECT_TRUE(m->g.HasNode(n)) << n;
    }
    auto sess = Session::Create(&m->g);
    ASSERT_TRUE(sess.ok());
    ASSERT_TRUE((*sess)->Run({}, {}, {m->init.name}).ok());
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE((*sess)->Run({{"c:0", Vec3(1, 1, 1)}}, {}, {m->train.name}).ok());
    }
    auto step = (*sess)->GetVariable("global_step");
    ASSERT_TRUE(step.ok());
    EXPECT_EQ(step->dtype(), DataType::kInt64);
    EXPECT_EQ(step->data<int64_t>()[0], 3);
    auto b1 = (*sess)->GetVariable("beta1_power");
    ASSERT_TRUE(b1.ok());
    EXPECT_NEAR(b1->data<double>()[0], std::pow(0.9, 4), 1e-12);
    // Slots are global, not trainable.
    const auto& trainable = m->g.GetCollection(kTrainableVariables);
    EXPECT_EQ(trainable, std::vector<std::string>{"w:0"});
  }
}

TEST(Optimizers, ResumingFromSavedValuesGivesTheSameTrajectory) {
  for (bool resource : {false, true}) {
    auto run = [&](int total, int stop_at) {
      AdamOptimizer opt(0.05);
      auto m = Build(opt, resource, true, {0.5, -1.0, 2.0});
      auto sess = Session::Create(&m->g);
      EXPECT_TRUE(sess.ok());
      EXPECT_TRUE((*sess)->Run({}, {}, {m->init.name}).ok());
      auto feed = [](int i) { return Vec3(std::sin(i), std::cos(0.5 * i), 0.1 * (i % 7)); };
      int i = 0;
      for (; i < stop_at; ++i) {
        EXPECT_TRUE((*sess)->Run({{"c:0", feed(i)}}, {}, {m->train.name}).ok());
      }
      // "Kill": keep every variable's value, build everything again, restore and go on.
      std::map<std::string, Tensor> saved;
      for (const auto& v : (*sess)->ListVariables()) {
        auto t = (*sess)->GetVariable(v.name);
        EXPECT_TRUE(t.ok());
        saved[v.name] = t->Clone();
      }
      AdamOptimizer opt2(0.05);
      auto m2 = Build(opt2, resource, true, {9, 9, 9});
      auto sess2 = Session::Create(&m2->g);
      EXPECT_TRUE(sess2.ok());
      for (const auto& [name, t] : saved) EXPECT_TRUE((*sess2)->SetVariable(name, t).ok());
      for (; i < total; ++i) {
        EXPECT_TRUE((*sess2)->Run({{"c:0", feed(i)}}, {}, {m2->train.name}).ok());
      }
      std::map<std::string, std::vector<double>> out;
      for (const char* n : {"w", "w/Adam", "w/Adam_1"}) out[n] = Values(**sess2, n);
      out["step"] = {static_cast<double>((*sess2)->GetVariable("global_step")->data<int64_t>()[0])};
      return out;
    };
    auto straight = run(20, 20);
    auto resumed = run(20, 9);
    EXPECT_EQ(straight, resumed);  // bitwise: same ops, same order, same inputs
    EXPECT_EQ(straight["step"][0], 20);
  }
}

TEST(Optimizers, Errors) {
  {
    Graph g;
    Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}), "x");
    GradientDescentOptimizer opt(0.1);
    auto r = opt.Minimize(g, ops::Square(g, x));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().ToString().find("No variables to optimize"), std::string::npos);
  }
  {
    Graph g;
    Output x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{1}), "x");
    ops::VariableOptions vo;
    vo.name = "unused";
    ops::MakeVariable(g, ops::Zeros(g, {1}), vo);
    GradientDescentOptimizer opt(0.1);
    auto r = opt.Minimize(g, ops::Square(g, x));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().ToString().find("No gradients provided for any variable"),
              std::string::npos)
        << r.status().ToString();
    EXPECT_NE(r.status().ToString().find("unused:0"), std::string::npos);
  }
}

TEST(Optimizers, ApplyKernelRejectsShapeMismatch) {
  Graph g;
  ops::VariableOptions vo;
  vo.name = "w";
  ops::Variable w = ops::MakeVariable(g, ops::Zeros(g, {3}), vo);
  Output lr = ops::Const(g, 0.1, DataType::kFloat);
  Output grad = ops::Placeholder(g, DataType::kFloat, PartialShape(), "grad");
  Operation apply =
      g.AddNode("ApplyGradientDescent", "apply", std::vector<Output>{w.variable, lr, grad});
  ASSERT_TRUE(g.status().ok()) << g.status().ToString();
  auto sess = Session::Create(&g);
  ASSERT_TRUE(sess.ok());
  ASSERT_TRUE((*sess)->Run({}, {}, {w.initializer.name}).ok());
  auto r = (*sess)->Run({{"grad:0", Tensor::FromVector<float>({1, 2}, TensorShape{2})}}, {},
                        {apply.name});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().ToString().find("same shape"), std::string::npos) << r.status().ToString();
}

}  // namespace
}  // namespace ckpt
