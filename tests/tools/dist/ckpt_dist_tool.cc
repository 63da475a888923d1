// Helper program for tests/python/test_dist_tf_interop.py, run under mpirun: every rank saves
// or restores its part of a known model through DistributedCheckpointManager.
//
//   ckpt_dist_tool save DIR --step N [--max_to_keep K]
//       Saves the model below as checkpoint N of DIR: replicated tensors (each written by the
//       rank AssignOwnership picks) and two partitioned variables split across the ranks.
//       Rank 0 prints {"prefix": P, "num_shards": S, "owners": {name: rank}}.
//   ckpt_dist_tool restore DIR --out OUTDIR NAME[:AXIS] ...
//       Restores the latest checkpoint of DIR (as rank 0 finds it): each NAME is split along
//       AXIS (default 0) into one part per rank (the first parts one longer when it does not
//       divide) and each rank reads only its part; "NAME=full" and scalars are read whole by
//       every rank. Rank K writes OUTDIR/rank-K.json: {"prefix": P, "tensors": {NAME:
//       {"slice": "start,len:-", "dtype": "float32", "shape": [...], "values": [...]}}}.
//
//   ckpt_dist_tool loop DIR [--size N] [--max_to_keep K]
//       Saves checkpoints last+1, last+2, ... of DIR until killed: a replicated float32[N]
//       `payload` = step + 0.5 i (its owner rank writes it) and `global_step` = step, plus the
//       partitioned `emb` below. Every rank first prints {"rank": R, "pid": P}; rank 0 prints
//       {"committed": STEP} after each save returns.
//   ckpt_dist_tool check DIR    (one process)
//       Opens DIR as the next run would (recovery of an interrupted save), reads the state
//       file's checkpoints, verifies every byte of each and its payload's values, and prints
//       {"latest": STEP or -1, "kept": [STEPS], "leftovers": [files still named *.tmp*]}.
//       Exits 1 when a kept checkpoint does not verify or holds the wrong values.
//
// The model (i = flat index):
//   dense/kernel float32[5,3] = 0.5 i - 3     dense/bias float32[3] = 0.25 i
//   global_step  int64[]      = N             emb        float32[10,4] = 100 + 0.25 i  (rows split)
//   wide         float64[3,8] = -7 - 0.125 i  (columns split)
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckpt/checkpoint/checkpoint_manager.h"
#include "ckpt/dist/communicator.h"
#include "ckpt/dist/distributed_checkpoint.h"
#include "ckpt/format/bundle.h"

using json = nlohmann::json;
using namespace ckpt;

namespace {

std::pair<int64_t, int64_t> Split(int64_t n, int parts, int p) {
  int64_t base = n / parts, extra = n % parts;
  return {p * base + std::min<int64_t>(p, extra), base + (p < extra ? 1 : 0)};
}

template <typename T>
Tensor Affine(const TensorShape& shape, double a, double b) {
  Tensor t(DataTypeOf<T>::value, shape);
  auto f = t.flat<T>();
  for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<T>(a + b * static_cast<double>(i));
  return t;
}

// The part of a row-major tensor inside `slice`.
Tensor Cut(const Tensor& full, const TensorSlice& slice) {
  const TensorShape& fs = full.shape();
  TensorShape shape = slice.SliceShape(fs).value();
  Tensor out(full.dtype(), shape);
  const size_t es = DataTypeSize(full.dtype());
  std::vector<int64_t> idx(fs.rank(), 0);
  for (int64_t k = 0; k < shape.num_elements(); ++k) {
    int64_t flat = 0;
    for (int d = 0; d < fs.rank(); ++d)
      flat = flat * fs.dim(d) + (slice.IsFullAt(d) ? 0 : slice.extent(d).start) + idx[d];
    std::memcpy(static_cast<char*>(out.raw_data()) + k * es,
                static_cast<const char*>(full.raw_data()) + flat * es, es);
    for (int d = fs.rank() - 1; d >= 0; --d) {
      if (++idx[d] < shape.dim(d)) break;
      idx[d] = 0;
    }
  }
  return out;
}

TensorSlice SplitSlice(const TensorShape& shape, int axis, int parts, int p) {
  std::vector<TensorSlice::Extent> e(shape.rank());
  auto [s, l] = Split(shape.dim(axis), parts, p);
  e[axis] = {s, l};
  return TensorSlice(e);
}

json Values(const Tensor& t) {
  json v = json::array();
  switch (t.dtype()) {
    case DataType::kFloat:
      for (float x : t.flat<float>()) v.push_back(x);
      break;
    case DataType::kDouble:
      for (double x : t.flat<double>()) v.push_back(x);
      break;
    case DataType::kInt32:
      for (int32_t x : t.flat<int32_t>()) v.push_back(x);
      break;
    case DataType::kInt64:
      for (int64_t x : t.flat<int64_t>()) v.push_back(x);
      break;
    default: v = "unsupported dtype";
  }
  return v;
}

int Fail(const Communicator& comm, const Status& s) {
  std::fprintf(stderr, "ckpt_dist_tool (rank %d): %s\n", comm.rank(), s.ToString().c_str());
  return 1;
}

int Save(Communicator& comm, const std::string& dir, int64_t step, std::optional<int> keep) {
  CheckpointManagerOptions opts;
  opts.max_to_keep = keep;
  auto m = DistributedCheckpointManager::Open(Env::Default(), &comm, dir, opts);
  if (!m.ok()) return Fail(comm, m.status());
  NamedTensors replicated = {{"dense/kernel", Affine<float>(TensorShape({5, 3}), -3, 0.5)},
                             {"dense/bias", Affine<float>(TensorShape({3}), 0, 0.25)},
                             {"global_step", Tensor::Scalar<int64_t>(step)}};
  Tensor emb = Affine<float>(TensorShape({10, 4}), 100, 0.25);
  Tensor wide = Affine<double>(TensorShape({3, 8}), -7, -0.125);
  TensorSlice emb_part = SplitSlice(emb.shape(), 0, comm.size(), comm.rank());
  TensorSlice wide_part = SplitSlice(wide.shape(), 1, comm.size(), comm.rank());
  std::vector<OwnedTensor> owned = {
      OwnedTensor::Slice("emb", emb.shape(), emb_part, Cut(emb, emb_part)),
      OwnedTensor::Slice("wide", wide.shape(), wide_part, Cut(wide, wide_part))};
  auto prefix = (*m)->SaveReplicated(step, replicated, owned);
  if (!prefix.ok()) return Fail(comm, prefix.status());
  if (comm.rank() == 0) {
    std::vector<TensorSize> sizes;
    for (const auto& [name, t] : replicated) sizes.push_back({name, t.TotalBytes()});
    std::vector<int> owner = AssignOwnership(sizes, comm.size());
    json owners;
    for (size_t i = 0; i < sizes.size(); ++i) owners[sizes[i].name] = owner[i];
    json out = {{"prefix", *prefix}, {"num_shards", comm.size()}, {"owners", owners}};
    std::cout << out.dump() << std::endl;
  }
  return 0;
}

int Loop(Communicator& comm, const std::string& dir, int64_t size, std::optional<int> keep) {
  std::cout << json{{"rank", comm.rank()}, {"pid", static_cast<int64_t>(getpid())}}.dump()
            << std::endl;
  CheckpointManagerOptions opts;
  opts.max_to_keep = keep;
  auto m = DistributedCheckpointManager::Open(Env::Default(), &comm, dir, opts);
  if (!m.ok()) return Fail(comm, m.status());
  auto last = (*m)->LastStep();
  if (!last.ok()) return Fail(comm, last.status());
  Tensor emb = Affine<float>(TensorShape({10, 4}), 100, 0.25);
  TensorSlice emb_part = SplitSlice(emb.shape(), 0, comm.size(), comm.rank());
  std::vector<OwnedTensor> owned = {
      OwnedTensor::Slice("emb", emb.shape(), emb_part, Cut(emb, emb_part))};
  for (int64_t step = *last + 1;; ++step) {
    NamedTensors replicated = {
        {"payload", Affine<float>(TensorShape({size}), static_cast<double>(step), 0.5)},
        {"global_step", Tensor::Scalar<int64_t>(step)}};
    auto prefix = (*m)->SaveReplicated(step, replicated, owned);
    if (!prefix.ok()) return Fail(comm, prefix.status());
    if (comm.rank() == 0) std::cout << json{{"committed", step}}.dump() << std::endl;
  }
}

int Check(const std::string& dir) {
  Env* env = Env::Default();
  // What the next run's Open does first: recover from an interrupted save.
  auto mgr = CheckpointManager::Open(env, dir);
  if (!mgr.ok()) {
    std::fprintf(stderr, "ckpt_dist_tool check: %s\n", mgr.status().ToString().c_str());
    return 1;
  }
  json kept = json::array();
  int64_t latest = -1;
  int rc = 0;
  for (const auto& info : (*mgr)->checkpoints()) {
    kept.push_back(info.step);
    latest = std::max(latest, info.step);
    Status s;
    auto reader = BundleReader::Open(env, info.prefix);
    if (!reader.ok()) s = reader.status();
    if (s.ok()) s = (*reader)->VerifyAll();
    Tensor payload, step_t;
    if (s.ok()) {
      auto p = (*reader)->Lookup("payload");
      auto g = (*reader)->Lookup("global_step");
      s = !p.ok() ? p.status() : g.status();
      if (s.ok()) {
        payload = std::move(p).value();
        step_t = std::move(g).value();
      }
    }
    if (s.ok() && step_t.data<int64_t>()[0] != info.step)
      s = DataLossError("global_step is " + std::to_string(step_t.data<int64_t>()[0]));
    if (s.ok()) {
      auto f = payload.flat<float>();
      for (size_t i = 0; i < f.size() && s.ok(); ++i)
        if (f[i] != static_cast<float>(static_cast<double>(info.step) + 0.5 * i))
          s = DataLossError("payload[" + std::to_string(i) + "] is wrong");
    }
    if (!s.ok()) {
      std::fprintf(stderr, "ckpt_dist_tool check: %s: %s\n", info.prefix.c_str(),
                   s.ToString().c_str());
      rc = 1;
    }
  }
  json leftovers = json::array();
  auto children = env->GetChildren(dir);
  if (children.ok())
    for (const auto& c : *children)
      if (c.find(".tmp") != std::string::npos) leftovers.push_back(c);
  std::cout << json{{"latest", latest}, {"kept", kept}, {"leftovers", leftovers}}.dump()
            << std::endl;
  return rc;
}

int Restore(Communicator& comm, const std::string& dir, const std::string& out_dir,
            const std::vector<std::string>& specs) {
  CheckpointManagerOptions opts;
  opts.lock_directory = false;
  opts.recover_on_open = false;
  auto m = DistributedCheckpointManager::Open(Env::Default(), &comm, dir, opts);
  if (!m.ok()) return Fail(comm, m.status());
  auto latest = (*m)->LatestCheckpoint();
  if (!latest.ok()) return Fail(comm, latest.status());
  // Shapes and dtypes come from the index (each rank reads it; no tensor data).
  std::string prefix = latest->value_or("");
  Status found = prefix.empty() ? NotFoundError("no checkpoint in " + dir) : Status::OK();
  std::unique_ptr<BundleReader> reader;
  if (found.ok()) {
    auto r = BundleReader::Open(Env::Default(), prefix);
    if (r.ok()) {
      reader = std::move(r).value();
    } else {
      found = r.status();
    }
  }
  found = comm.AllreduceStatus(found);
  if (!found.ok()) return Fail(comm, found);

  std::vector<std::string> names;
  std::vector<Tensor> values(specs.size());
  std::vector<RestoreTarget> full;
  std::vector<SliceRestoreTarget> slices;
  std::vector<std::string> slice_text(specs.size(), "");
  Status local;
  for (size_t i = 0; i < specs.size(); ++i) {
    std::string name = specs[i];
    bool whole = false;
    int axis = 0;
    if (auto eq = name.rfind("=full"); eq != std::string::npos && eq + 5 == name.size()) {
      name.resize(eq);
      whole = true;
    } else if (auto colon = name.rfind(':'); colon != std::string::npos) {
      axis = std::stoi(name.substr(colon + 1));
      name.resize(colon);
    }
    names.push_back(name);
    auto e = reader->GetEntry(name);
    if (!e.ok()) {
      local.Update(e.status());
      continue;
    }
    if (whole || e->shape.rank() == 0) {
      values[i] = Tensor(e->dtype, e->shape);
      full.push_back({name, &values[i]});
      continue;
    }
    TensorSlice part = SplitSlice(e->shape, axis, comm.size(), comm.rank());
    slice_text[i] = part.ToString();
    slices.push_back({name, e->shape, part, &values[i]});
  }
  found = comm.AllreduceStatus(local);
  if (!found.ok()) return Fail(comm, found);
  Status s = (*m)->Restore(prefix, full, slices);
  if (!s.ok()) return Fail(comm, s);

  json doc = {{"prefix", prefix}, {"rank", comm.rank()}, {"size", comm.size()}};
  json tensors = json::object();
  for (size_t i = 0; i < names.size(); ++i) {
    json shape = json::array();
    for (int d = 0; d < values[i].shape().rank(); ++d) shape.push_back(values[i].shape().dim(d));
    tensors[names[i]] = {{"slice", slice_text[i]},
                         {"dtype", std::string(DataTypeName(values[i].dtype()))},
                         {"shape", shape},
                         {"values", Values(values[i])}};
  }
  doc["tensors"] = tensors;
  std::ofstream f(out_dir + "/rank-" + std::to_string(comm.rank()) + ".json");
  f << doc.dump(1);
  return f.good() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto session = MpiSession::Start(&argc, &argv);
  if (!session.ok()) {
    std::fprintf(stderr, "%s\n", session.status().ToString().c_str());
    return 1;
  }
  auto comm = Communicator::World();
  if (!comm.ok()) {
    std::fprintf(stderr, "%s\n", comm.status().ToString().c_str());
    return 1;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string mode = args.empty() ? "" : args[0];
  std::map<std::string, std::string> kv;
  std::vector<std::string> pos;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].rfind("--", 0) == 0 && i + 1 < args.size()) {
      kv[args[i].substr(2)] = args[i + 1];
      ++i;
    } else {
      pos.push_back(args[i]);
    }
  }
  int rc = 2;
  if (mode == "save" && pos.size() == 1 && kv.count("step")) {
    std::optional<int> keep = 5;
    if (kv.count("max_to_keep")) keep = std::stoi(kv["max_to_keep"]);
    rc = Save(**comm, pos[0], std::stoll(kv["step"]), keep);
  } else if (mode == "loop" && pos.size() == 1) {
    std::optional<int> keep = 3;
    if (kv.count("max_to_keep")) keep = std::stoi(kv["max_to_keep"]);
    rc = Loop(**comm, pos[0], kv.count("size") ? std::stoll(kv["size"]) : 20000, keep);
  } else if (mode == "check" && pos.size() == 1 && comm->get()->size() == 1) {
    rc = Check(pos[0]);
  } else if (mode == "restore" && pos.size() >= 2 && kv.count("out")) {
    rc = Restore(**comm, pos[0], kv["out"], {pos.begin() + 1, pos.end()});
  } else {
    std::fprintf(stderr,
                 "usage: ckpt_dist_tool save DIR --step N [--max_to_keep K]\n"
                 "       ckpt_dist_tool restore DIR --out OUTDIR NAME[:AXIS|=full] ...\n"
                 "       ckpt_dist_tool loop DIR [--size N] [--max_to_keep K]\n"
                 "       ckpt_dist_tool check DIR   (one process)\n");
  }
  comm->reset();  // before MPI_Finalize
  return rc;
}
