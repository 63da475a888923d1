// Data-parallel gradient averaging over MPI.
//
// Thread safety: as Communicator (one thread per rank).
#pragma once

#include <span>

#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/dist/communicator.h"

namespace ckpt {

// Collective. Replaces each tensor of `grads` by its mean over all ranks. Every rank passes
// the same number of tensors with the same dtypes and element counts, in the same order.
// Tensors are fused: all float32 tensors are packed into one contiguous buffer and reduced by
// one MPI_Allreduce (likewise float64), then unpacked. InvalidArgument (on every rank, naming
// the rank and the tensor's index) for a null or invalid tensor, a dtype other than float32
// or float64, or ranks that disagree on the tensors' element counts.
Status AllreduceMean(Communicator& comm, std::span<Tensor* const> grads);

}  // namespace ckpt
