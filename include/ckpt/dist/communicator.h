// Communicator: a thin wrapper over an MPI communicator for the collective steps of
// distributed checkpointing (ckpt/dist/distributed_checkpoint.h) and data-parallel training
// (ckpt/dist/allreduce.h): rank and size, a barrier, agreeing on a Status, and broadcasting
// or gathering strings.
//
// MPI is initialized by the program, not by this library: call MPI_Init (or
// MPI_Init_thread) before creating a Communicator and MPI_Finalize after destroying the last
// one, or hold an MpiSession for the program's lifetime:
//
//   int main(int argc, char** argv) {
//     auto session = ckpt::MpiSession::Start(&argc, &argv);
//     if (!session.ok()) return 1;
//     auto comm = ckpt::Communicator::World();
//     ...
//   }
//
// Every method is collective unless it says otherwise: all ranks of the communicator call it,
// in the same order. A Communicator duplicates the MPI_Comm it is created from (its messages
// never mix with the program's own) and sets MPI_ERRORS_RETURN on the duplicate, so MPI
// failures come back as Status (Internal, with MPI's error string) instead of aborting.
//
// Thread safety: a Communicator is used by one thread at a time (MPI collectives on one
// communicator must not interleave). rank() and size() are safe from any thread.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "ckpt/core/status.h"

namespace ckpt {

// Initializes MPI on Start and finalizes it on destruction (only if Start initialized it).
class MpiSession {
 public:
  // MPI_Init_thread with MPI_THREAD_FUNNELED (only the main thread calls MPI). If MPI is
  // already initialized, the session does nothing and finalizes nothing.
  // FailedPrecondition when MPI was already finalized; Internal when MPI_Init fails.
  static StatusOr<std::unique_ptr<MpiSession>> Start(int* argc, char*** argv);
  ~MpiSession();  // MPI_Finalize, if Start called MPI_Init
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  explicit MpiSession(bool owns) : owns_(owns) {}
  bool owns_;
};

class Communicator {
 public:
  // A communicator over a duplicate of `comm` (collective over `comm`). The duplicate is freed
  // on destruction (skipped if MPI was finalized first). FailedPrecondition when MPI is not
  // initialized or already finalized; Internal when duplicating fails.
  static StatusOr<std::unique_ptr<Communicator>> Create(MPI_Comm comm);
  // Create(MPI_COMM_WORLD).
  static StatusOr<std::unique_ptr<Communicator>> World();
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // The duplicated communicator (for the caller's own collectives alongside ckpt's).
  MPI_Comm comm() const { return comm_; }

  Status Barrier();

  // Agrees on one status: OK on every rank when `local` is OK on every rank; otherwise the
  // lowest failing rank's status on every rank, with its code and its message prefixed by
  // "rank K: ". Communication failures are returned as Internal.
  Status AllreduceStatus(const Status& local);

  // Sends `*value` from `root` to every rank (others' `*value` is replaced).
  Status Bcast(std::string* value, int root = 0);
  // Sends `status` from `root` to every rank; returns it on every rank (with a communication
  // failure, that failure).
  Status BcastStatus(const Status& status, int root = 0);
  // As BcastStatus, but keeps the two apart: `*received` is root's status, the return value
  // the broadcast's own outcome (Internal on a communication failure).
  Status BcastStatusTo(const Status& status, int root, Status* received);
  // Collects each rank's `value` at `root`, in rank order; other ranks get an empty vector.
  StatusOr<std::vector<std::string>> Gather(const std::string& value, int root = 0);

 private:
  Communicator(MPI_Comm comm, int rank, int size) : comm_(comm), rank_(rank), size_(size) {}
  MPI_Comm comm_;
  int rank_;
  int size_;
};

}  // namespace ckpt
