// Data-parallel training over MPI is the same computation as one process training on the
// whole batch: N ranks with B rows each, gradients averaged by AllreduceMean, reach the
// variables one process reaches with batch N·B (to float rounding, 1e-5), step after step.
// Run by mpiexec on 1, 2 and 4 processes (ctest DataParallel.np1/np2/np4). It joins two layers
// (dist and graph), so it lives with the programs above the layers.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "ckpt/dist/allreduce.h"
#include "ckpt/dist/communicator.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/optimizers.h"
#include "ckpt/graph/session.h"

namespace ckpt {
namespace {

constexpr int kRowsPerRank = 8, kFeatures = 5, kClasses = 3, kSteps = 10;

// A one-hidden-layer tanh classifier trained with Adam; the gradients are fetched and fed
// back to the apply op, so they can be averaged across ranks in between.
struct Replica {
  Graph g;
  Output x, y, loss;
  std::vector<std::string> grads;
  Operation apply, init;
};

void BuildReplica(Replica* m) {
  Graph& g = m->g;
  g.set_seed(11);
  m->x =
      ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{-1, kFeatures}), "x");
  m->y = ops::Placeholder(g, DataType::kInt32, PartialShape(std::vector<int64_t>{-1}), "y");
  ops::VariableOptions vo;
  vo.name = "hidden/w";
  auto w1 = ops::MakeVariable(g, ops::TruncatedNormal(g, {kFeatures, 8}, 0.0, 0.5), vo);
  vo.name = "hidden/b";
  auto b1 = ops::MakeVariable(g, ops::TruncatedNormal(g, {8}, 0.0, 0.1), vo);
  vo.name = "logits/w";
  auto w2 = ops::MakeVariable(g, ops::TruncatedNormal(g, {8, kClasses}, 0.0, 0.5), vo);
  Output h = ops::Tanh(g, ops::Add(g, ops::MatMul(g, m->x, w1.value()), b1.value()));
  Output logits = ops::MatMul(g, h, w2.value());
  m->loss = ops::Mean(g, ops::SparseSoftmaxCrossEntropyWithLogits(g, m->y, logits), {}, false);
  AdamOptimizer opt(0.05);
  auto gv = opt.ComputeGradients(g, m->loss);
  ASSERT_TRUE(gv.ok()) << gv.status().ToString();
  for (const auto& p : *gv) m->grads.push_back(p.gradient.name());
  auto apply = opt.ApplyGradients(g, *gv);
  ASSERT_TRUE(apply.ok()) << apply.status().ToString();
  m->apply = *apply;
  m->init = ops::GlobalVariablesInitializer(g);
  ASSERT_TRUE(g.status().ok()) << g.status().ToString();
}

// Rows [first, first + count) of step `step`'s global batch (the same on every rank).
void Rows(int64_t step, int first, int count, Tensor* x, Tensor* y) {
  std::mt19937 rng(500 + static_cast<uint32_t>(step));
  std::normal_distribution<float> n(0.f, 1.f);
  for (int row = 0; row < first + count; ++row) {
    float v[kFeatures];
    for (float& f : v) f = n(rng);
    const int label = static_cast<int>(rng() % kClasses);
    if (row < first) continue;
    for (int k = 0; k < kFeatures; ++k) x->data<float>()[(row - first) * kFeatures + k] = v[k];
    y->data<int32_t>()[row - first] = label;
  }
}

// One step: gradients of the rows fed, averaged over `comm` when given, then applied.
void Step(Replica& m, Session& sess, const Tensor& x, const Tensor& y, Communicator* comm) {
  auto grads = sess.Run({{m.x.name(), x}, {m.y.name(), y}}, m.grads);
  ASSERT_TRUE(grads.ok()) << grads.status().ToString();
  std::vector<Tensor*> ptrs;
  for (auto& t : *grads) {
    t = t.Clone();
    ptrs.push_back(&t);
  }
  if (comm != nullptr) ASSERT_TRUE(AllreduceMean(*comm, ptrs).ok());
  Session::FeedList feed;
  for (size_t i = 0; i < ptrs.size(); ++i) feed.emplace_back(m.grads[i], *ptrs[i]);
  ASSERT_TRUE(sess.Run(feed, {}, {m.apply.name}).ok());
}

TEST(DataParallel, NRanksWithBatchBMatchOneProcessWithBatchNB) {
  auto comm = Communicator::World();
  ASSERT_TRUE(comm.ok()) << comm.status().ToString();
  const int n = (*comm)->size(), rank = (*comm)->rank();

  Replica dist, whole;
  BuildReplica(&dist);
  BuildReplica(&whole);
  auto dsess = Session::Create(&dist.g);
  auto wsess = Session::Create(&whole.g);
  ASSERT_TRUE(dsess.ok() && wsess.ok());
  ASSERT_TRUE((*dsess)->Run({}, {}, {dist.init.name}).ok());
  ASSERT_TRUE((*wsess)->Run({}, {}, {whole.init.name}).ok());

  // The initial weights (GetVariable copies), for the "moved" check at the end.
  std::vector<std::pair<std::string, Tensor>> initial;
  for (const char* name : {"hidden/w", "logits/w"}) {
    auto t = (*dsess)->GetVariable(name);
    ASSERT_TRUE(t.ok()) << name;
    initial.emplace_back(name, std::move(t).value());
  }

  Tensor x(DataType::kFloat, TensorShape{kRowsPerRank, kFeatures});
  Tensor y(DataType::kInt32, TensorShape{kRowsPerRank});
  Tensor wx(DataType::kFloat, TensorShape{n * kRowsPerRank, kFeatures});
  Tensor wy(DataType::kInt32, TensorShape{n * kRowsPerRank});
  for (int64_t step = 0; step < kSteps; ++step) {
    Rows(step, rank * kRowsPerRank, kRowsPerRank, &x, &y);
    Step(dist, **dsess, x, y, comm->get());
    Rows(step, 0, n * kRowsPerRank, &wx, &wy);
    Step(whole, **wsess, wx, wy, nullptr);
  }

  // Every variable, Adam's slots included, agrees; and training moved them (the comparison
  // is not between two untouched initializations).
  auto vars = (*wsess)->ListVariables();
  ASSERT_EQ(vars.size(), 3u * 3u + 2u);  // 3 weights with m and v slots, 2 beta powers
  double moved = 0;
  for (const auto& v : vars) {
    auto a = (*dsess)->GetVariable(v.name);
    auto b = (*wsess)->GetVariable(v.name);
    ASSERT_TRUE(a.ok() && b.ok()) << v.name;
    ASSERT_EQ(a->num_elements(), b->num_elements()) << v.name;
    for (int64_t i = 0; i < a->num_elements(); ++i) {
      const float p = a->data<float>()[i], q = b->data<float>()[i];
      EXPECT_NEAR(p, q, 1e-5 * std::max(1.f, std::abs(q)))
          << "rank " << rank << " of " << n << ": " << v.name << "[" << i << "]";
    }
  }
  for (const auto& [name, before] : initial) {
    auto a = (*dsess)->GetVariable(name);
    ASSERT_TRUE(a.ok());
    for (int64_t i = 0; i < a->num_elements(); ++i)
      moved = std::max<double>(moved, std::abs(a->data<float>()[i] - before.data<float>()[i]));
  }
  EXPECT_GT(moved, 0.1) << "ten Adam steps of 0.05 should move some weight by more than 0.1";
}

}  // namespace
}  // namespace ckpt

int main(int argc, char** argv) {
  auto mpi = ckpt::MpiSession::Start(&argc, &argv);
  if (!mpi.ok()) {
    std::fprintf(stderr, "%s\n", mpi.status().ToString().c_str());
    return 1;
  }
  ::testing::InitGoogleTest(&argc, argv);
  int code = RUN_ALL_TESTS(), worst = 0;
  MPI_Allreduce(&code, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);  // fails if any rank failed
  return worst;
}
