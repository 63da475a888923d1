#include "ckpt/dist/communicator.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "dist/mpi_util.h"

namespace ckpt {

namespace dist_internal {

Status MpiStatus(int code, const char* what) {
  if (code == MPI_SUCCESS) return Status::OK();
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) len = 0;
  return InternalError(std::string(what) + " failed: " +
                       (len > 0 ? std::string(text, len) : "MPI error " + std::to_string(code)));
}

}  // namespace dist_internal

using dist_internal::MpiStatus;

namespace {

bool MpiFinalized() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  return finalized != 0;
}

bool MpiInitialized() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  return initialized != 0;
}

}  // namespace

StatusOr<std::unique_ptr<MpiSession>> MpiSession::Start(int* argc, char*** argv) {
  if (MpiFinalized()) return FailedPreconditionError("MPI was already finalized");
  if (MpiInitialized()) return std::unique_ptr<MpiSession>(new MpiSession(false));
  int provided = 0;
  CKPT_RETURN_IF_ERROR(
      MpiStatus(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread"));
  return std::unique_ptr<MpiSession>(new MpiSession(true));
}

MpiSession::~MpiSession() {
  if (owns_ && !MpiFinalized()) MPI_Finalize();
}

StatusOr<std::unique_ptr<Communicator>> Communicator::Create(MPI_Comm comm) {
  if (!MpiInitialized())
    return FailedPreconditionError(
        "MPI is not initialized: call MPI_Init (or hold an MpiSession) before creating a "
        "Communicator");
  if (MpiFinalized()) return FailedPreconditionError("MPI was already finalized");
  MPI_Comm dup = MPI_COMM_NULL;
  CKPT_RETURN_IF_ERROR(MpiStatus(MPI_Comm_dup(comm, &dup), "MPI_Comm_dup"));
  Status s = MpiStatus(MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  int rank = 0, size = 0;
  if (s.ok()) s = MpiStatus(MPI_Comm_rank(dup, &rank), "MPI_Comm_rank");
  if (s.ok()) s = MpiStatus(MPI_Comm_size(dup, &size), "MPI_Comm_size");
  if (!s.ok()) {
    MPI_Comm_free(&dup);
    return s;
  }
  return std::unique_ptr<Communicator>(new Communicator(dup, rank, size));
}

StatusOr<std::unique_ptr<Communicator>> Communicator::World() { return Create(MPI_COMM_WORLD); }

Communicator::~Communicator() {
  if (comm_ != MPI_COMM_NULL && !MpiFinalized()) MPI_Comm_free(&comm_);
}

Status Communicator::Barrier() { return MpiStatus(MPI_Barrier(comm_), "MPI_Barrier"); }

Status Communicator::Bcast(std::string* value, int root) {
  if (root < 0 || root >= size_)
    return InvalidArgumentError("broadcast root " + std::to_string(root) + " outside [0, " +
                                std::to_string(size_) + ")");
  uint64_t n = rank_ == root ? value->size() : 0;
  CKPT_RETURN_IF_ERROR(MpiStatus(MPI_Bcast(&n, 1, MPI_UINT64_T, root, comm_), "MPI_Bcast"));
  if (rank_ != root) value->resize(n);
  // MPI counts are ints: large strings go in pieces.
  constexpr uint64_t kChunk = uint64_t{1} << 30;
  for (uint64_t off = 0; off < n; off += kChunk) {
    int len = static_cast<int>(std::min(kChunk, n - off));
    CKPT_RETURN_IF_ERROR(
        MpiStatus(MPI_Bcast(value->data() + off, len, MPI_CHAR, root, comm_), "MPI_Bcast"));
  }
  return Status::OK();
}

Status Communicator::BcastStatus(const Status& status, int root) {
  Status received;
  CKPT_RETURN_IF_ERROR(BcastStatusTo(status, root, &received));
  return received;
}

Status Communicator::BcastStatusTo(const Status& status, int root, Status* received) {
  if (root < 0 || root >= size_)
    return InvalidArgumentError("broadcast root " + std::to_string(root) + " outside [0, " +
                                std::to_string(size_) + ")");
  int code = static_cast<int>(status.code());
  CKPT_RETURN_IF_ERROR(MpiStatus(MPI_Bcast(&code, 1, MPI_INT, root, comm_), "MPI_Bcast"));
  if (code == 0) {
    *received = Status::OK();
    return Status::OK();
  }
  std::string msg(status.message());
  CKPT_RETURN_IF_ERROR(Bcast(&msg, root));
  if (code < 0 || code > static_cast<int>(StatusCode::kUnauthenticated))
    code = static_cast<int>(StatusCode::kUnknown);
  *received = Status(static_cast<StatusCode>(code), msg);
  return Status::OK();
}

Status Communicator::AllreduceStatus(const Status& local) {
  int mine = local.ok() ? size_ : rank_;
  int first = size_;
  CKPT_RETURN_IF_ERROR(
      MpiStatus(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm_), "MPI_Allreduce"));
  if (first == size_) return Status::OK();
  Status s;
  CKPT_RETURN_IF_ERROR(BcastStatusTo(local, first, &s));
  return Status(s.code(), "rank " + std::to_string(first) + ": " + std::string(s.message()));
}

StatusOr<std::vector<std::string>> Communicator::Gather(const std::string& value, int root) {
  if (root < 0 || root >= size_)
    return InvalidArgumentError("gather root " + std::to_string(root) + " outside [0, " +
                                std::to_string(size_) + ")");
  uint64_t n = value.size();
  std::vector<uint64_t> sizes(rank_ == root ? size_ : 0);
  CKPT_RETURN_IF_ERROR(MpiStatus(
      MPI_Gather(&n, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, root, comm_), "MPI_Gather"));
  // MPI counts and displacements are ints: the root decides for everyone whether they fit.
  std::vector<int> counts(sizes.size()), displs(sizes.size());
  uint64_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    displs[i] = static_cast<int>(std::min<uint64_t>(total, std::numeric_limits<int>::max()));
    counts[i] = static_cast<int>(std::min<uint64_t>(sizes[i], std::numeric_limits<int>::max()));
    total += sizes[i];
  }
  Status fits;
  if (total > static_cast<uint64_t>(std::numeric_limits<int>::max()))
    fits = InvalidArgumentError("gather: " + std::to_string(total) +
                                " bytes in all is over MPI's 2 GiB message limit");
  CKPT_RETURN_IF_ERROR(BcastStatus(fits, root));
  std::string all(static_cast<size_t>(total), '\0');
  CKPT_RETURN_IF_ERROR(
      MpiStatus(MPI_Gatherv(value.data(), static_cast<int>(n), MPI_CHAR, all.data(), counts.data(),
                            displs.data(), MPI_CHAR, root, comm_),
                "MPI_Gatherv"));
  std::vector<std::string> out;
  for (size_t i = 0; i < sizes.size(); ++i) out.push_back(all.substr(displs[i], counts[i]));
  return out;
}

}  // namespace ckpt
