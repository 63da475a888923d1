// DistributedCheckpointManager: saving and restoring one checkpoint from several MPI
// processes (ranks) that share a checkpoint directory, in TensorFlow's own multi-shard
// layout: `PREFIX.index` plus `PREFIX.data-0000K-of-0000N`, one data file per rank, readable
// by tf.train.load_checkpoint and a TF1 Saver like any sharded checkpoint.
//
// Each rank passes the tensors it owns: whole tensors (replicated variables, written by one
// rank) and slices of partitioned variables (each rank its part). A save has two phases:
//   1. prepare: every rank writes its part as a bundle under a temporary prefix
//      `PREFIX.rank-K-of-N.tmp` (per the options' writer_options: synced with `sync`, and
//      `num_shards` data files per rank), then the ranks agree on the outcome
//      (Communicator::AllreduceStatus). If any rank failed, every rank removes its temporary
//      files and every rank returns that error, naming the rank; the previous checkpoint
//      stays the latest.
//   2. commit, on rank 0: the per-rank bundles are merged into PREFIX (MergeBundles: data files
//      renamed, one index written last) inside CheckpointManager::SaveWith, i.e. the same
//      crash-safe commit as a single-process save: state file replaced atomically, then
//      retention. The outcome is broadcast; every rank returns the same result.
// A crash at any point leaves the previous checkpoint restorable; rank 0's manager removes
// leftover `*.tmp*` files of an interrupted save when it is next opened.
//
// Restoring reshards: each rank asks for the whole tensors and the slices it needs now, and
// of a partitioned stored tensor reads only the stored slices that intersect them
// (BundleReader::LookupSlice). A checkpoint saved on
// 4 ranks restores on 1, 2 or 3; a single-process or TensorFlow checkpoint on any number.
//
// Example (every rank runs this):
//   auto comm = Communicator::World();
//   auto mgr = DistributedCheckpointManager::Open(Env::Default(), comm->get(), "/shared/run");
//   // rank r holds rows [r*rows, (r+1)*rows) of the 1000 x 64 embedding:
//   TensorSlice mine({{r * rows, rows}, {0, TensorSlice::kFullExtent}});
//   std::vector<OwnedTensor> owned = {
//       OwnedTensor::Slice("emb", TensorShape({1000, 64}), mine, emb_part)};
//   NamedTensors replicated = {{"dense/kernel", w}, {"dense/bias", b}};  // same on all ranks
//   auto prefix = (*mgr)->SaveReplicated(step, replicated, owned);
//   ...
//   std::vector<SliceRestoreTarget> slices = {{"emb", TensorShape({1000, 64}), mine, &emb_part}};
//   std::vector<RestoreTarget> full = {{"dense/kernel", &w}, {"dense/bias", &b}};
//   auto restored = (*mgr)->RestoreLatest(full, slices);
//
// Collective: every method below except the accessors is called by every rank of the
// communicator, in the same order, with the same step; each returns the same Status on every
// rank. Thread safety: one thread per rank uses a manager (and its communicator).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ckpt/checkpoint/checkpoint_manager.h"
#include "ckpt/checkpoint/restore.h"
#include "ckpt/core/env.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/core/tensor_shape.h"
#include "ckpt/dist/communicator.h"
#include "ckpt/format/tensor_slice.h"

namespace ckpt {

// A tensor one rank writes: a whole tensor (`full_shape` unset), or the slice `slice` of a
// partitioned variable of shape `*full_shape` (then `tensor` has the slice's shape).
struct OwnedTensor {
  std::string name;
  Tensor tensor;
  std::optional<TensorShape> full_shape;
  TensorSlice slice;

  static OwnedTensor Full(std::string name, Tensor tensor) {
    return {std::move(name), std::move(tensor), std::nullopt, TensorSlice()};
  }
  static OwnedTensor Slice(std::string name, TensorShape full_shape, TensorSlice slice,
                           Tensor tensor) {
    return {std::move(name), std::move(tensor), std::move(full_shape), std::move(slice)};
  }
};

// One slice of a (possibly partitioned) stored tensor to restore: the part `slice` of tensor
// `name`, whose full shape must be `full_shape`, read into `*tensor`. `*tensor` must have the
// stored dtype and the slice's shape (it is filled in place, keeping borrowed storage), or be
// invalid (default-constructed; it is then allocated).
struct SliceRestoreTarget {
  std::string name;
  TensorShape full_shape;
  TensorSlice slice;
  Tensor* tensor = nullptr;
};

// Name and size of a replicated tensor, for AssignOwnership.
struct TensorSize {
  std::string name;
  uint64_t bytes = 0;
};

// Which rank writes each replicated tensor: result[i] is the owner of tensors[i], in
// [0, num_ranks). Balanced by bytes: largest first (ties by name), each onto the rank with
// the fewest bytes so far (ties: lowest rank). Deterministic: every rank computes the same
// assignment from the same list, whatever its order. num_ranks < 1 is treated as 1.
std::vector<int> AssignOwnership(std::span<const TensorSize> tensors, int num_ranks);

// Restores, on this process only (not collective), the whole tensors `full` (as
// RestoreFromCheckpoint with `options`; a partitioned stored tensor is assembled) and the
// slices `slices` (BundleReader::LookupSlice: of a partitioned stored tensor, only the stored
// slices that intersect the request are read) from the V2 checkpoint `prefix`. The name and
// scope maps and allow_missing of `options` apply to whole tensors only; verify_checksums to
// both. Every slice target is checked before any is read. Errors: NotFound naming the key
// when a tensor is absent; InvalidArgument naming the key when the stored dtype or full shape
// differs from a slice target's, or the slice does not fit; DataLoss for corrupt data.
Status RestoreOwned(Env* env, const std::string& prefix, std::span<const RestoreTarget> full,
                    std::span<const SliceRestoreTarget> slices, const RestoreOptions& options = {});

class DistributedCheckpointManager {
 public:
  // Collective. Rank 0 opens a CheckpointManager on `dir` (state file, retention, recovery,
  // and with options.lock_directory its lock); the other ranks open none and take no lock.
  // Then the directory is checked to be shared: rank 0 writes a token file in it and every
  // rank reads it back. Errors (the same on every rank, prefixed "rank K: "): rank 0's
  // CheckpointManager::Open errors; FailedPrecondition "directory D is not shared by all
  // ranks (rank K cannot see ...)"; InvalidArgument when ranks disagree on
  // options.checkpoint_name. `env` (each rank's own) and `comm` must outlive the manager.
  static StatusOr<std::unique_ptr<DistributedCheckpointManager>> Open(
      Env* env, Communicator* comm, const std::string& dir,
      const CheckpointManagerOptions& options = {});
  ~DistributedCheckpointManager();
  DistributedCheckpointManager(const DistributedCheckpointManager&) = delete;
  DistributedCheckpointManager& operator=(const DistributedCheckpointManager&) = delete;

  // Collective. Saves checkpoint `step` from every rank's `owned` tensors (see the file
  // comment for the two phases) and returns its prefix on every rank. `options` (metrics,
  // companion files such as a .meta) are rank 0's; other ranks' are ignored. Errors, the
  // same on every rank, naming the failing rank: InvalidArgument when ranks pass different
  // steps, for a negative step, a duplicate or empty name on one rank, a slice whose shape
  // does not match its tensor, or when two ranks write the same whole tensor or the same
  // key in conflicting ways; a write error of any rank; a commit error of rank 0. On error
  // no temporary file is left and the state file still names the previous checkpoints.
  StatusOr<std::string> Save(int64_t step, std::span<const OwnedTensor> owned,
                             const SaveOptions& options = {});

  // Collective. As Save, with replicated tensors: every rank passes the same `replicated`
  // list (same names and sizes; InvalidArgument otherwise) and each writes only those that
  // AssignOwnership gives it, plus its `owned` tensors.
  StatusOr<std::string> SaveReplicated(int64_t step, const NamedTensors& replicated,
                                       std::span<const OwnedTensor> owned,
                                       const SaveOptions& options = {});

  // Collective. Restores every rank's targets from checkpoint `prefix` (RestoreOwned on each
  // rank); the first failing rank's error is returned on every rank.
  Status Restore(const std::string& prefix, std::span<const RestoreTarget> full,
                 std::span<const SliceRestoreTarget> slices, const RestoreOptions& options = {});

  // Collective. Restores from the latest checkpoint as rank 0 finds it (the state file's, or
  // the newest that opens: LatestVerifiedCheckpoint) and returns its prefix on every rank.
  // When a rank finds its data corrupt (DataLoss), every rank falls back to the newest fully
  // verified checkpoint. NotFound when the directory has none.
  StatusOr<std::string> RestoreLatest(std::span<const RestoreTarget> full,
                                      std::span<const SliceRestoreTarget> slices,
                                      const RestoreOptions& options = {});

  // Collective. Rank 0's latest committed checkpoint (std::nullopt when none), on every rank.
  StatusOr<std::optional<std::string>> LatestCheckpoint();
  // Collective. Rank 0's highest saved step (-1 when none), on every rank.
  StatusOr<int64_t> LastStep();

  // Not collective.
  const std::string& directory() const { return dir_; }
  Communicator* communicator() const { return comm_; }
  // Rank 0's CheckpointManager (checkpoints(), best_checkpoint(), ...); nullptr on other ranks.
  CheckpointManager* manager() const { return manager_.get(); }
  // `<dir>/<checkpoint_name>-<step>`.
  std::string PrefixForStep(int64_t step) const;
  // This rank's temporary bundle prefix for `step`: `PrefixForStep(step).rank-K-of-N.tmp`.
  std::string RankTempPrefix(int64_t step, int rank) const;

 private:
  DistributedCheckpointManager(Env* env, Communicator* comm, std::string dir,
                               CheckpointManagerOptions options,
                               std::unique_ptr<CheckpointManager> manager);
  // Removes the files of the temporary bundle at `tmp_prefix` (best effort).
  void RemoveTempBundle(const std::string& tmp_prefix);

  Env* env_;
  Communicator* comm_;
  std::string dir_;
  CheckpointManagerOptions options_;
  std::unique_ptr<CheckpointManager> manager_;  // rank 0 only
};

}  // namespace ckpt
