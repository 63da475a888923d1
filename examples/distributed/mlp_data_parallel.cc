// Data-parallel training of the MLP classifier of examples/mlp on several MPI processes, with
// distributed checkpoints:
//   * every rank holds the whole model; each step, each rank computes the gradients of its own
//     share of the batch, AllreduceMean averages them, and every rank applies the same update
//     (so the replicas stay identical);
//   * every 100 steps the variables (Adam slots and global_step included) are saved with
//     DistributedCheckpointManager::SaveReplicated: each rank writes the tensors
//     AssignOwnership gives it, one data file per rank, committed by rank 0;
//   * `resume` restores the latest checkpoint on any number of ranks and trains on.
//
//   mpirun -np 2 mlp_data_parallel train DIR STEPS
//   mpirun -np 3 mlp_data_parallel resume DIR STEPS
//   mpirun -np 1 mlp_data_parallel evaluate DIR     (held-out loss and accuracy of the latest)
//
// examples/distributed/run_demo.sh BUILD_DIR shows the whole cycle: train on 4 processes, kill
// them, resume on 2, evaluate on 1, and TensorFlow reading the checkpoint.
//
// Exits non-zero when the replicas differ after training or the held-out accuracy is below
// 90% (the data are four well-separated blobs), so it doubles as a test.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ckpt/core/crc32c.h"
#include "ckpt/core/env.h"
#include "ckpt/dist/allreduce.h"
#include "ckpt/dist/communicator.h"
#include "ckpt/dist/distributed_checkpoint.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/ops.h"
#include "ckpt/graph/optimizers.h"
#include "ckpt/graph/session.h"

namespace {

using namespace ckpt;  // NOLINT(build/namespaces): example program

constexpr int kClasses = 4, kBatch = 32;  // kBatch: the global batch, split over the ranks

// Four Gaussian blobs at the corners of a square; batch `step` is deterministic, and rank r
// of n takes rows r, r + n, r + 2n, ... of it.
void Batch(int64_t step, int rank, int nranks, Tensor* x, Tensor* y) {
  std::mt19937_64 rng(1000 + step);
  std::normal_distribution<float> n(0.f, 0.6f);
  for (int i = 0, row = 0; i < kBatch; ++i) {
    const int c = static_cast<int>(rng() % kClasses);
    const float a = (c & 1 ? 2.f : -2.f) + n(rng), b = (c & 2 ? 2.f : -2.f) + n(rng);
    if (i % nranks != rank) continue;
    x->data<float>()[2 * row] = a;
    x->data<float>()[2 * row + 1] = b;
    y->data<int64_t>()[row++] = c;
  }
}

int LocalRows(int rank, int nranks) { return (kBatch - rank + nranks - 1) / nranks; }

struct Model {
  Graph g;
  Output x, y, loss, accuracy, step;
  std::vector<std::string> grads;  // gradient tensor names, in GradAndVar order
  Operation apply, init;
};

Status Build(Model* m) {
  Graph& g = m->g;
  g.set_seed(7);
  m->x = ops::Placeholder(g, DataType::kFloat, PartialShape(std::vector<int64_t>{-1, 2}), "x");
  m->y = ops::Placeholder(g, DataType::kInt64, PartialShape(std::vector<int64_t>{-1}), "y");
  Output h = m->x;
  int64_t in = 2;
  const int64_t widths[] = {16, 16, kClasses};
  for (int l = 0; l < 3; ++l) {
    ops::VariableOptions vo;
    vo.name = "dense" + std::to_string(l) + "/kernel";
    ops::Variable w = ops::MakeVariable(g, ops::TruncatedNormal(g, {in, widths[l]}, 0.0, 0.5), vo);
    vo.name = "dense" + std::to_string(l) + "/bias";
    ops::Variable b = ops::MakeVariable(g, ops::Zeros(g, {widths[l]}), vo);
    h = ops::Add(g, ops::MatMul(g, h, w.value()), b.value());
    if (l < 2) h = ops::Relu(g, h);
    in = widths[l];
  }
  m->loss = ops::Mean(g, ops::SparseSoftmaxCrossEntropyWithLogits(g, m->y, h), {}, false, "loss");
  Output correct = ops::Equal(g, ops::ArgMax(g, h, 1), m->y);
  m->accuracy = ops::Mean(g, ops::Cast(g, correct, DataType::kFloat), {}, false, "accuracy");
  CKPT_ASSIGN_OR_RETURN(m->step, GetOrCreateGlobalStep(g));
  // minimize() split in two, so the gradients can be averaged across ranks in between: the
  // apply step is run with the averaged gradients fed in place of the computed ones.
  AdamOptimizer opt(0.01);
  CKPT_ASSIGN_OR_RETURN(auto gv, opt.ComputeGradients(g, m->loss));
  for (const auto& p : gv) m->grads.push_back(p.gradient.name());
  CKPT_ASSIGN_OR_RETURN(m->apply, opt.ApplyGradients(g, gv, m->step));
  m->init = ops::GlobalVariablesInitializer(g);
  return g.status();
}

// Every variable of the session, by node name (the checkpoint keys).
StatusOr<NamedTensors> Variables(const Session& sess) {
  NamedTensors out;
  for (const auto& v : sess.ListVariables()) {
    CKPT_ASSIGN_OR_RETURN(Tensor t, sess.GetVariable(v.name));
    out.emplace_back(v.name, std::move(t));
  }
  return out;
}

// Rank 0's variable values on every rank (so the replicas start identical).
Status BroadcastVariables(Communicator& comm, Session& sess) {
  CKPT_ASSIGN_OR_RETURN(NamedTensors vars, Variables(sess));
  for (auto& [name, t] : vars) {
    std::string bytes(reinterpret_cast<const char*>(t.raw_data()), t.TotalBytes());
    CKPT_RETURN_IF_ERROR(comm.Bcast(&bytes, 0));
    if (bytes.size() != t.TotalBytes())
      return InternalError("variable " + name + " differs in size from rank 0's");
    std::memcpy(t.raw_data(), bytes.data(), bytes.size());
    CKPT_RETURN_IF_ERROR(sess.SetVariable(name, t));
  }
  return Status::OK();
}

// True on every rank when all ranks hold bit-identical variables.
StatusOr<bool> ReplicasAgree(Communicator& comm, const Session& sess) {
  CKPT_ASSIGN_OR_RETURN(NamedTensors vars, Variables(sess));
  uint32_t crc = 0;
  for (const auto& [name, t] : vars)
    crc = crc32c::Extend(crc, static_cast<const char*>(t.raw_data()), t.TotalBytes());
  CKPT_ASSIGN_OR_RETURN(auto all, comm.Gather(std::to_string(crc), 0));
  int same = 1;
  for (const auto& c : all) same &= c == all[0];
  MPI_Bcast(&same, 1, MPI_INT, 0, comm.comm());
  return same == 1;
}

Status Train(Communicator& comm, const std::string& cmd, const std::string& dir, int64_t until) {
  const int rank = comm.rank(), n = comm.size();
  Model m;
  CKPT_RETURN_IF_ERROR(Build(&m));
  CKPT_ASSIGN_OR_RETURN(auto sess, Session::Create(&m.g));
  CKPT_ASSIGN_OR_RETURN(auto mgr, DistributedCheckpointManager::Open(Env::Default(), &comm, dir));

  CKPT_RETURN_IF_ERROR(sess->Run({}, {}, {m.init.name}).status());
  if (cmd == "resume" || cmd == "evaluate") {
    // Every rank restores every variable (they are replicated), from the checkpoint rank 0
    // finds latest, whatever number of ranks saved it.
    CKPT_ASSIGN_OR_RETURN(NamedTensors vars, Variables(*sess));
    std::vector<RestoreTarget> targets;
    for (auto& [name, t] : vars) targets.push_back({name, &t});
    CKPT_ASSIGN_OR_RETURN(std::string prefix, mgr->RestoreLatest(targets, {}));
    for (const auto& [name, t] : vars) CKPT_RETURN_IF_ERROR(sess->SetVariable(name, t));
    if (rank == 0) std::printf("restored %s on %d ranks\n", prefix.c_str(), n);
  } else if (cmd == "train") {
    CKPT_RETURN_IF_ERROR(BroadcastVariables(comm, *sess));
  } else {
    return InvalidArgumentError("unknown command " + cmd + " (train, resume or evaluate)");
  }

  if (cmd == "evaluate") {
    Tensor hx(DataType::kFloat, TensorShape{kBatch, 2}), hy(DataType::kInt64, TensorShape{kBatch});
    Batch(1000000, 0, 1, &hx, &hy);  // a held-out batch
    CKPT_ASSIGN_OR_RETURN(auto r, sess->Run({{m.x.name(), hx}, {m.y.name(), hy}},
                                            {m.loss.name(), m.accuracy.name(), m.step.name()}));
    if (rank == 0) {
      std::printf("evaluated step %lld on %d ranks: held-out loss %.4f, accuracy %.2f\n",
                  static_cast<long long>(r[2].data<int64_t>()[0]), n, r[0].data<float>()[0],
                  r[1].data<float>()[0]);
    }
    if (r[1].data<float>()[0] < 0.9f) return InternalError("held-out accuracy is below 0.9");
    return Status::OK();
  }
  const int rows = LocalRows(rank, n);
  Tensor x(DataType::kFloat, TensorShape{rows, 2}), y(DataType::kInt64, TensorShape{rows});
  CKPT_ASSIGN_OR_RETURN(auto st, sess->Run({}, {m.step.name()}));
  int64_t step = st[0].data<int64_t>()[0];
  float accuracy = 0;
  while (step < until) {
    Batch(step, rank, n, &x, &y);
    CKPT_ASSIGN_OR_RETURN(auto grads, sess->Run({{m.x.name(), x}, {m.y.name(), y}}, m.grads));
    // Each rank's gradient is the mean over its rows; equal shares make the mean of means the
    // full batch's mean when n divides the batch (close to it otherwise).
    std::vector<Tensor*> ptrs;
    Session::FeedList feed;
    for (auto& g : grads) {
      g = g.Clone();  // fetched tensors are read-only
      ptrs.push_back(&g);
    }
    CKPT_RETURN_IF_ERROR(AllreduceMean(comm, ptrs));
    for (size_t i = 0; i < grads.size(); ++i) feed.emplace_back(m.grads[i], grads[i]);
    CKPT_RETURN_IF_ERROR(sess->Run(feed, {}, {m.apply.name}).status());
    ++step;
    if (step % 100 == 0) {
      Tensor hx(DataType::kFloat, TensorShape{kBatch, 2}),
          hy(DataType::kInt64, TensorShape{kBatch});
      Batch(1000000 + step, 0, 1, &hx, &hy);  // held-out batch, the same on every rank
      CKPT_ASSIGN_OR_RETURN(auto r, sess->Run({{m.x.name(), hx}, {m.y.name(), hy}},
                                              {m.loss.name(), m.accuracy.name()}));
      accuracy = r[1].data<float>()[0];
      CKPT_ASSIGN_OR_RETURN(NamedTensors vars, Variables(*sess));
      CKPT_ASSIGN_OR_RETURN(std::string prefix, mgr->SaveReplicated(step, vars, {}));
      if (rank == 0)
        std::printf("step %lld: loss %.4f, accuracy %.2f, saved %s (%d shards)\n",
                    static_cast<long long>(step), r[0].data<float>()[0], accuracy, prefix.c_str(),
                    n);
    }
  }
  CKPT_ASSIGN_OR_RETURN(bool agree, ReplicasAgree(comm, *sess));
  if (!agree) return InternalError("the replicas' variables differ after training");
  if (accuracy < 0.9f)
    return InternalError("held-out accuracy " + std::to_string(accuracy) + " is below 0.9");
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines appear as they happen
  auto session = MpiSession::Start(&argc, &argv);
  if (!session.ok()) {
    std::fprintf(stderr, "mlp_data_parallel: %s\n", session.status().ToString().c_str());
    return 1;
  }
  int rc = 0;
  {
    auto comm = Communicator::World();
    if (!comm.ok()) {
      std::fprintf(stderr, "mlp_data_parallel: %s\n", comm.status().ToString().c_str());
      return 1;
    }
    const bool evaluate = argc == 3 && std::strcmp(argv[1], "evaluate") == 0;
    if (argc < 4 && !evaluate) {
      if ((*comm)->rank() == 0)
        std::fprintf(
            stderr,
            "usage: mpirun -np N mlp_data_parallel train|resume DIR STEPS | evaluate DIR\n");
      return 2;
    }
    Status s = Train(**comm, argv[1], argv[2], evaluate ? 0 : std::atoll(argv[3]));
    if (!s.ok()) {
      std::fprintf(stderr, "mlp_data_parallel (rank %d): %s\n", (*comm)->rank(),
                   s.ToString().c_str());
      rc = 1;
    }
  }
  return rc;
}
