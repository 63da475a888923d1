// A consumer of the installed ckpt::dist (MPI): saves one checkpoint from every rank into the
// directory argv[1] and restores it. Built by scripts/test-consumer.sh with find_package and
// with pkg-config (ckpt-dist.pc), and run as one process (a singleton MPI job).
#include <cstdio>

#include "ckpt/dist/communicator.h"
#include "ckpt/dist/distributed_checkpoint.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto mpi = ckpt::MpiSession::Start(&argc, &argv);
  if (!mpi.ok()) return 1;
  int rc = 1;
  {
    auto comm = ckpt::Communicator::World();
    if (!comm.ok()) return 1;
    auto mgr = ckpt::DistributedCheckpointManager::Open(ckpt::Env::Default(), comm->get(), argv[1]);
    if (!mgr.ok()) {
      std::fprintf(stderr, "%s\n", mgr.status().ToString().c_str());
      return 1;
    }
    ckpt::NamedTensors replicated = {{"w", ckpt::Tensor::Scalar<float>(2.5f)}};
    auto prefix = (*mgr)->SaveReplicated(7, replicated, {});
    ckpt::Tensor back(ckpt::DataType::kFloat, ckpt::TensorShape{});
    std::vector<ckpt::RestoreTarget> targets = {{"w", &back}};
    auto restored = prefix.ok() ? (*mgr)->RestoreLatest(targets, {}) : prefix;
    if (restored.ok() && back.data<float>()[0] == 2.5f) {
      std::printf("dist consumer: saved and restored %s\n", restored->c_str());
      rc = 0;
    } else {
      std::fprintf(stderr, "dist consumer: %s\n", restored.status().ToString().c_str());
    }
  }
  return rc;
}
