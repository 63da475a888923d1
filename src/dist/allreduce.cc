#include "ckpt/dist/allreduce.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dist/mpi_util.h"

namespace ckpt {

using dist_internal::MpiStatus;

namespace {

// Sums `buf` over all ranks in place, in pieces that fit MPI's int counts.
template <typename T>
Status AllreduceSumInPlace(MPI_Comm comm, MPI_Datatype type, std::vector<T>* buf) {
  constexpr size_t kChunk = size_t{1} << 30;
  for (size_t off = 0; off < buf->size(); off += kChunk) {
    int n = static_cast<int>(std::min(kChunk, buf->size() - off));
    CKPT_RETURN_IF_ERROR(MpiStatus(
        MPI_Allreduce(MPI_IN_PLACE, buf->data() + off, n, type, MPI_SUM, comm), "MPI_Allreduce"));
  }
  return Status::OK();
}

// Packs every tensor of dtype T into one buffer, sums it over the ranks, and unpacks the mean.
template <typename T>
Status MeanOf(Communicator& comm, MPI_Datatype type, DataType dtype,
              std::span<Tensor* const> grads) {
  size_t total = 0;
  for (Tensor* t : grads)
    if (t->dtype() == dtype) total += static_cast<size_t>(t->num_elements());
  if (total == 0) return Status::OK();
  std::vector<T> fused(total);
  size_t off = 0;
  for (Tensor* t : grads) {
    if (t->dtype() != dtype) continue;
    size_t n = static_cast<size_t>(t->num_elements());
    if (n > 0) std::memcpy(fused.data() + off, t->raw_data(), n * sizeof(T));
    off += n;
  }
  CKPT_RETURN_IF_ERROR(AllreduceSumInPlace(comm.comm(), type, &fused));
  const T n = static_cast<T>(comm.size());
  for (T& v : fused) v /= n;
  off = 0;
  for (Tensor* t : grads) {
    if (t->dtype() != dtype) continue;
    size_t n = static_cast<size_t>(t->num_elements());
    if (n > 0) std::memcpy(t->raw_data(), fused.data() + off, n * sizeof(T));
    off += n;
  }
  return Status::OK();
}

}  // namespace

Status AllreduceMean(Communicator& comm, std::span<Tensor* const> grads) {
  Status local;
  // A fingerprint of (count, dtype, elements) per tensor: ranks must agree on it.
  uint64_t fp = 1469598103934665603ull;
  auto mix = [&fp](uint64_t v) {
    fp ^= v;
    fp *= 1099511628211ull;
  };
  mix(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    const Tensor* t = grads[i];
    if (t == nullptr || !t->valid()) {
      local = InvalidArgumentError("AllreduceMean: gradient " + std::to_string(i) +
                                   " is null or invalid");
      break;
    }
    if (t->dtype() != DataType::kFloat && t->dtype() != DataType::kDouble) {
      local = InvalidArgumentError("AllreduceMean: gradient " + std::to_string(i) + " has dtype " +
                                   std::string(DataTypeName(t->dtype())) +
                                   " (only float32 and float64 are averaged)");
      break;
    }
    mix(static_cast<uint64_t>(t->dtype()));
    mix(static_cast<uint64_t>(t->num_elements()));
  }
  uint64_t mine[2] = {fp, ~fp}, agreed[2] = {0, 0};
  CKPT_RETURN_IF_ERROR(MpiStatus(MPI_Allreduce(mine, agreed, 2, MPI_UINT64_T, MPI_MAX, comm.comm()),
                                 "MPI_Allreduce"));
  if (local.ok() && (agreed[0] != fp || agreed[1] != ~fp))
    local = InvalidArgumentError(
        "AllreduceMean: ranks pass different gradients (count, dtypes or element counts "
        "differ)");
  CKPT_RETURN_IF_ERROR(comm.AllreduceStatus(local));
  CKPT_RETURN_IF_ERROR(MeanOf<float>(comm, MPI_FLOAT, DataType::kFloat, grads));
  return MeanOf<double>(comm, MPI_DOUBLE, DataType::kDouble, grads);
}

}  // namespace ckpt
