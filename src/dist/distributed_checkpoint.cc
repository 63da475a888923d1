#include "ckpt/dist/distributed_checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <set>
#include <utility>

#include "ckpt/checkpoint/checkpoint_dir.h"
#include "ckpt/format/bundle.h"
#include "dist/mpi_util.h"

namespace ckpt {

using dist_internal::MpiStatus;

namespace {

constexpr char kTokenPrefix[] = ".ckpt-dist-shared-check-";

std::string RandomHex() {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(TempNameRandom()));
  return buf;
}

// One tensor this rank writes.
struct WriteItem {
  const std::string* name;
  const Tensor* tensor;
  const TensorShape* full_shape;  // null: a whole tensor
  const TensorSlice* slice;
};

// Checks what one rank is about to write, before any collective step depends on it.
Status CheckItems(const std::vector<WriteItem>& items) {
  std::set<std::string_view> whole;
  std::set<std::pair<std::string_view, std::string>> slices;
  for (const WriteItem& it : items) {
    const std::string& name = *it.name;
    if (name.empty()) return InvalidArgumentError("cannot save a tensor with an empty name");
    if (!it.tensor->valid()) return InvalidArgumentError("tensor " + name + " is not valid");
    if (it.full_shape == nullptr) {
      if (!whole.insert(name).second)
        return InvalidArgumentError("tensor " + name + " given twice");
      continue;
    }
    if (it.slice->rank() != it.full_shape->rank())
      return InvalidArgumentError("slice " + it.slice->ToString() + " of tensor " + name +
                                  " has rank " + std::to_string(it.slice->rank()) +
                                  " but the full shape " + it.full_shape->DebugString() +
                                  " has rank " + std::to_string(it.full_shape->rank()));
    auto shape = it.slice->SliceShape(*it.full_shape);
    if (!shape.ok())
      return shape.status().WithContext("slice " + it.slice->ToString() + " of tensor " + name);
    if (*shape != it.tensor->shape())
      return InvalidArgumentError("slice " + it.slice->ToString() + " of tensor " + name +
                                  " (full shape " + it.full_shape->DebugString() + ") has shape " +
                                  shape->DebugString() + " but its tensor has shape " +
                                  it.tensor->shape().DebugString());
    if (!slices.emplace(name, it.slice->ToString()).second)
      return InvalidArgumentError("slice " + it.slice->ToString() + " of tensor " + name +
                                  " given twice");
  }
  for (const auto& [name, spec] : slices)
    if (whole.count(name))
      return InvalidArgumentError("tensor " + std::string(name) +
                                  " given both whole and as a slice");
  return Status::OK();
}

}  // namespace

std::vector<int> AssignOwnership(std::span<const TensorSize> tensors, int num_ranks) {
  num_ranks = std::max(num_ranks, 1);
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (tensors[a].bytes != tensors[b].bytes) return tensors[a].bytes > tensors[b].bytes;
    if (tensors[a].name != tensors[b].name) return tensors[a].name < tensors[b].name;
    return a < b;
  });
  std::vector<uint64_t> load(num_ranks, 0);
  std::vector<int> owner(tensors.size(), 0);
  for (size_t i : order) {
    int best = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
    owner[i] = best;
    load[best] += tensors[i].bytes;
  }
  return owner;
}

Status RestoreOwned(Env* env, const std::string& prefix, std::span<const RestoreTarget> full,
                    std::span<const SliceRestoreTarget> slices, const RestoreOptions& options) {
  if (!full.empty()) CKPT_RETURN_IF_ERROR(RestoreFromCheckpoint(env, prefix, full, options));
  if (slices.empty()) return Status::OK();
  BundleReaderOptions ro;
  ro.verify_checksums = options.verify_checksums;
  CKPT_ASSIGN_OR_RETURN(auto reader, BundleReader::Open(env, prefix, ro));
  // Check every target before reading any bytes, so a refused restore writes nothing.
  for (const SliceRestoreTarget& t : slices) {
    const std::string where = "slice " + t.slice.ToString() + " of key " + t.name;
    if (t.tensor == nullptr) return InvalidArgumentError(where + ": null target tensor");
    CKPT_ASSIGN_OR_RETURN(BundleEntryInfo e, reader->GetEntry(t.name));
    if (e.shape != t.full_shape)
      return InvalidArgumentError(where + ": checkpoint " + prefix + " stores shape " +
                                  e.shape.DebugString() + ", the target's full shape is " +
                                  t.full_shape.DebugString());
    auto shape = t.slice.SliceShape(e.shape);
    if (!shape.ok()) return shape.status().WithContext(where);
    if (t.tensor->valid() && (t.tensor->dtype() != e.dtype || t.tensor->shape() != *shape))
      return InvalidArgumentError(where + ": target is " +
                                  std::string(DataTypeName(t.tensor->dtype())) +
                                  t.tensor->shape().DebugString() + " but the slice is " +
                                  std::string(DataTypeName(e.dtype)) + shape->DebugString());
  }
  for (const SliceRestoreTarget& t : slices) {
    const std::string where =
        "restoring slice " + t.slice.ToString() + " of key " + t.name + " from " + prefix;
    // Into the target's own storage (or a new tensor): no temporary and no copy when a stored
    // slice is a contiguous block of the target (the same split as at save, or ranks merged).
    if (!t.tensor->valid()) {
      auto fresh = reader->LookupSlice(t.name, t.slice);
      if (!fresh.ok()) return fresh.status().WithContext(where);
      *t.tensor = std::move(fresh).value();
      continue;
    }
    Status s = reader->LookupSliceInto(t.name, t.slice, t.tensor);
    if (!s.ok()) return s.WithContext(where);
  }
  return Status::OK();
}

DistributedCheckpointManager::DistributedCheckpointManager(Env* env, Communicator* comm,
                                                           std::string dir,
                                                           CheckpointManagerOptions options,
                                                           std::unique_ptr<CheckpointManager> m)
    : env_(env),
      comm_(comm),
      dir_(std::move(dir)),
      options_(std::move(options)),
      manager_(std::move(m)) {}

DistributedCheckpointManager::~DistributedCheckpointManager() = default;

StatusOr<std::unique_ptr<DistributedCheckpointManager>> DistributedCheckpointManager::Open(
    Env* env, Communicator* comm, const std::string& dir, const CheckpointManagerOptions& options) {
  if (comm == nullptr) return InvalidArgumentError("distributed checkpoint: null communicator");
  const int rank = comm->rank();

  // Every rank must name its checkpoints alike (the temporary prefixes are derived locally).
  std::string name = options.checkpoint_name;
  CKPT_RETURN_IF_ERROR(comm->Bcast(&name, 0));
  Status local;
  if (name != options.checkpoint_name)
    local = InvalidArgumentError("checkpoint_name '" + options.checkpoint_name +
                                 "' differs from rank 0's '" + name + "'");

  std::unique_ptr<CheckpointManager> manager;
  if (rank == 0) {
    auto m = CheckpointManager::Open(env, dir, options);
    if (m.ok()) {
      manager = std::move(m).value();
    } else {
      local = m.status();
    }
  }
  CKPT_RETURN_IF_ERROR(comm->AllreduceStatus(local));

  // Shared-directory check: rank 0 writes a random token; every rank must read it back.
  std::string token_file, token;
  Status wrote;
  if (rank == 0) {
    token = RandomHex() + RandomHex();
    token_file = path::Join(dir, kTokenPrefix + token.substr(0, 16));
    wrote = env->WriteStringToFile(token_file, token, /*sync=*/false);
  }
  const std::string writing = "writing the shared-directory check file in " + dir;
  CKPT_RETURN_IF_ERROR(comm->AllreduceStatus(wrote.WithContext(writing)));
  std::string want_token = token;
  CKPT_RETURN_IF_ERROR(comm->Bcast(&want_token, 0));
  std::string base = path::Basename(token_file);
  CKPT_RETURN_IF_ERROR(comm->Bcast(&base, 0));
  Status seen;
  if (rank != 0) {
    const std::string mine = path::Join(dir, base);
    auto got = env->ReadFileToString(mine);
    if (!got.ok() || *got != want_token)
      seen = FailedPreconditionError(
          "directory " + dir + " is not shared by all ranks (rank " + std::to_string(rank) +
          " cannot see " + mine + ", written by rank 0: " +
          (got.ok() ? std::string("its contents differ") : got.status().ToString()) + ")");
  }
  Status agreed = comm->AllreduceStatus(seen);
  if (rank == 0) env->DeleteFile(token_file).IgnoreError();
  CKPT_RETURN_IF_ERROR(agreed);
  return std::unique_ptr<DistributedCheckpointManager>(
      new DistributedCheckpointManager(env, comm, dir, options, std::move(manager)));
}

std::string DistributedCheckpointManager::PrefixForStep(int64_t step) const {
  return path::Join(dir_, options_.checkpoint_name + "-" + std::to_string(step));
}

std::string DistributedCheckpointManager::RankTempPrefix(int64_t step, int rank) const {
  return PrefixForStep(step) + ".rank-" + std::to_string(rank) + "-of-" +
         std::to_string(comm_->size()) + ".tmp";
}

void DistributedCheckpointManager::RemoveTempBundle(const std::string& tmp_prefix) {
  const std::string dir = path::Dirname(tmp_prefix);
  const std::string base = path::Basename(tmp_prefix) + ".";
  auto children = env_->GetChildren(dir);
  if (!children.ok()) return;
  for (const std::string& c : *children)
    if (c.compare(0, base.size(), base) == 0) env_->DeleteFile(path::Join(dir, c)).IgnoreError();
}

StatusOr<std::string> DistributedCheckpointManager::Save(int64_t step,
                                                         std::span<const OwnedTensor> owned,
                                                         const SaveOptions& options) {
  return SaveReplicated(step, {}, owned, options);
}

StatusOr<std::string> DistributedCheckpointManager::SaveReplicated(
    int64_t step, const NamedTensors& replicated, std::span<const OwnedTensor> owned,
    const SaveOptions& options) {
  const int rank = comm_->rank();
  const int size = comm_->size();

  // Which replicated tensors this rank writes; every rank must pass the same list.
  std::vector<TensorSize> sizes;
  std::string fingerprint;
  for (const auto& [name, t] : replicated) {
    sizes.push_back({name, t.valid() ? static_cast<uint64_t>(t.TotalBytes()) : 0});
    fingerprint += name + '\0' + std::to_string(sizes.back().bytes) + '\0';
  }
  std::vector<int> owner = AssignOwnership(sizes, size);
  std::vector<WriteItem> items;
  for (size_t i = 0; i < replicated.size(); ++i)
    if (owner[i] == rank)
      items.push_back({&replicated[i].first, &replicated[i].second, nullptr, nullptr});
  for (const OwnedTensor& o : owned)
    items.push_back({&o.name, &o.tensor, o.full_shape ? &*o.full_shape : nullptr, &o.slice});

  // 0. Agree on the request: one step, one replicated list, valid tensors on every rank.
  Status local = CheckItems(items);
  if (local.ok()) {
    for (const auto& [name, t] : replicated)
      if (!t.valid()) local = InvalidArgumentError("replicated tensor " + name + " is not valid");
  }
  int64_t steps[2] = {step, -step}, agreed_steps[2] = {0, 0};
  CKPT_RETURN_IF_ERROR(MpiStatus(
      MPI_Allreduce(steps, agreed_steps, 2, MPI_INT64_T, MPI_MAX, comm_->comm()), "MPI_Allreduce"));
  if (local.ok() && (agreed_steps[0] != step || -agreed_steps[1] != step))
    local = InvalidArgumentError("ranks save different steps (" + std::to_string(-agreed_steps[1]) +
                                 " to " + std::to_string(agreed_steps[0]) + "), this rank " +
                                 std::to_string(step));
  if (local.ok() && step < 0)
    local = InvalidArgumentError("checkpoint step must be >= 0, got " + std::to_string(step));
  std::string rank0_fingerprint = fingerprint;
  CKPT_RETURN_IF_ERROR(comm_->Bcast(&rank0_fingerprint, 0));
  if (local.ok() && rank0_fingerprint != fingerprint)
    local = InvalidArgumentError(
        "the replicated tensors (names and sizes) differ from rank 0's: every rank must pass "
        "the same list");
  CKPT_RETURN_IF_ERROR(comm_->AllreduceStatus(local).WithContext("distributed save of step " +
                                                                 std::to_string(step)));

  // 1. Prepare: this rank's part as a single-shard bundle under a temporary prefix.
  const std::string tmp = RankTempPrefix(step, rank);
  RemoveTempBundle(tmp);  // leftovers of an interrupted attempt
  Status wrote = [&]() -> Status {
    CKPT_ASSIGN_OR_RETURN(auto writer, BundleWriter::Create(env_, tmp, options_.writer_options));
    for (const WriteItem& it : items) {
      if (it.full_shape == nullptr) {
        CKPT_RETURN_IF_ERROR(writer->Add(*it.name, *it.tensor));
      } else {
        CKPT_RETURN_IF_ERROR(writer->AddSlice(*it.name, *it.full_shape, *it.slice, *it.tensor));
      }
    }
    return writer->Finish();
  }();
  if (!wrote.ok()) RemoveTempBundle(tmp);
  Status prepared = comm_->AllreduceStatus(wrote.WithContext("writing " + tmp));
  if (!prepared.ok()) {
    RemoveTempBundle(tmp);
    // Every rank has removed its files before anyone returns (a retry may follow at once).
    comm_->Barrier().IgnoreError();
    return prepared.WithContext("distributed save of step " + std::to_string(step));
  }

  // 2. Commit on rank 0: merge the per-rank bundles into the checkpoint, through the
  // manager's crash-safe save path.
  Status committed;
  std::string prefix;
  if (rank == 0) {
    std::vector<std::string> parts;
    for (int r = 0; r < size; ++r) parts.push_back(RankTempPrefix(step, r));
    auto saved = manager_->SaveWith(
        step,
        [&](const std::string& p) -> Status {
          const bool sync = options_.writer_options.sync;
          CKPT_RETURN_IF_ERROR(MergeBundles(env_, parts, p, /*allow_missing_files=*/false, sync));
          if (sync)
            CKPT_RETURN_IF_ERROR(env_->SyncDir(path::Dirname(p).empty() ? "." : path::Dirname(p)));
          return Status::OK();
        },
        options);
    if (saved.ok()) {
      prefix = *saved;
    } else {
      committed = saved.status();
    }
    // A failed merge may leave inputs behind; a successful one consumed them.
    for (const std::string& p : parts) RemoveTempBundle(p);
  }
  // 3. Every rank learns the outcome.
  Status outcome;
  CKPT_RETURN_IF_ERROR(comm_->BcastStatusTo(committed, 0, &outcome));
  if (!outcome.ok())
    return Status(outcome.code(), "distributed save of step " + std::to_string(step) +
                                      ": rank 0: " + std::string(outcome.message()));
  CKPT_RETURN_IF_ERROR(comm_->Bcast(&prefix, 0));
  return prefix;
}

Status DistributedCheckpointManager::Restore(const std::string& prefix,
                                             std::span<const RestoreTarget> full,
                                             std::span<const SliceRestoreTarget> slices,
                                             const RestoreOptions& options) {
  Status local = RestoreOwned(env_, prefix, full, slices, options);
  return comm_->AllreduceStatus(local);
}

StatusOr<std::string> DistributedCheckpointManager::RestoreLatest(
    std::span<const RestoreTarget> full, std::span<const SliceRestoreTarget> slices,
    const RestoreOptions& options) {
  // Rank 0 picks the checkpoint; every rank gets its prefix (or rank 0's error).
  auto pick = [&](bool full_verify) -> StatusOr<std::string> {
    std::string prefix;
    Status found;
    if (comm_->rank() == 0) {
      LatestVerifiedOptions lo;
      lo.state_filename = options_.state_filename;
      lo.full_verify = full_verify;
      auto latest = LatestVerifiedCheckpoint(env_, dir_, lo);
      if (latest.ok()) {
        prefix = *latest;
      } else {
        found = latest.status();
      }
    }
    CKPT_RETURN_IF_ERROR(comm_->AllreduceStatus(found));
    CKPT_RETURN_IF_ERROR(comm_->Bcast(&prefix, 0));
    return prefix;
  };
  CKPT_ASSIGN_OR_RETURN(std::string prefix, pick(false));
  Status s = Restore(prefix, full, slices, options);
  if (IsDataLoss(s)) {
    // Corrupt data behind a readable index: fall back to the newest fully verified one, as
    // CheckpointManager::RestoreLatest does.
    CKPT_ASSIGN_OR_RETURN(std::string older, pick(true));
    if (older == prefix) return s;
    prefix = older;
    s = Restore(prefix, full, slices, options);
  }
  CKPT_RETURN_IF_ERROR(s);
  return prefix;
}

StatusOr<std::optional<std::string>> DistributedCheckpointManager::LatestCheckpoint() {
  std::string latest;
  int has = 0;
  if (manager_ != nullptr) {
    if (auto l = manager_->latest_checkpoint()) {
      latest = *l;
      has = 1;
    }
  }
  CKPT_RETURN_IF_ERROR(MpiStatus(MPI_Bcast(&has, 1, MPI_INT, 0, comm_->comm()), "MPI_Bcast"));
  CKPT_RETURN_IF_ERROR(comm_->Bcast(&latest, 0));
  if (!has) return std::optional<std::string>();
  return std::optional<std::string>(latest);
}

StatusOr<int64_t> DistributedCheckpointManager::LastStep() {
  int64_t step = manager_ != nullptr ? manager_->last_step() : -1;
  CKPT_RETURN_IF_ERROR(MpiStatus(MPI_Bcast(&step, 1, MPI_INT64_T, 0, comm_->comm()), "MPI_Bcast"));
  return step;
}

}  // namespace ckpt
