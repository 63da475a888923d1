// Tests of ckpt::dist, run by mpiexec on 1, 2 and 4 processes (ctest Dist.np1/np2/np4). Every
// test is collective: all ranks run the same tests in the same order, and results that ranks
// agree on (the Status of a collective call) are asserted the same way on every rank, so a
// failure never leaves one rank waiting in a collective the others skipped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "ckpt/checkpoint/checkpoint_state.h"
#include "ckpt/dist/allreduce.h"
#include "ckpt/dist/communicator.h"
#include "ckpt/dist/distributed_checkpoint.h"
#include "ckpt/format/bundle.h"
#include "testutil/temp_dir.h"

namespace ckpt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Communicator* g_comm = nullptr;

int Rank() { return g_comm->rank(); }
int Size() { return g_comm->size(); }

// A directory every rank sees: rank 0 makes it and broadcasts its path; removed by rank 0.
class SharedDir {
 public:
  SharedDir() {
    if (Rank() == 0) {
      dir_ = std::make_unique<testutil::TempDir>("dist");
      path_ = dir_->path();
    }
    EXPECT_TRUE(g_comm->Bcast(&path_, 0).ok());
  }
  ~SharedDir() { (void)g_comm->Barrier(); }  // nobody still reads when rank 0 removes it
  const std::string& path() const { return path_; }

 private:
  std::unique_ptr<testutil::TempDir> dir_;
  std::string path_;
};

// A float tensor with distinct values v[i] = base + i / 4 (exact in float).
Tensor Iota(const TensorShape& shape, float base) {
  Tensor t(DataType::kFloat, shape);
  auto f = t.flat<float>();
  for (size_t i = 0; i < f.size(); ++i) f[i] = base + static_cast<float>(i) * 0.25f;
  return t;
}

Tensor IotaDouble(const TensorShape& shape, double base) {
  Tensor t(DataType::kDouble, shape);
  auto f = t.flat<double>();
  for (size_t i = 0; i < f.size(); ++i) f[i] = base - static_cast<double>(i) * 0.125;
  return t;
}

// Rows [begin, end) of `n` split into `parts` as even as possible (the first ones larger):
// part `p`'s start and length.
std::pair<int64_t, int64_t> Split(int64_t n, int parts, int p) {
  int64_t base = n / parts, extra = n % parts;
  int64_t start = p * base + std::min<int64_t>(p, extra);
  return {start, base + (p < extra ? 1 : 0)};
}

// The values of `full` inside `slice` (row-major copy, float or double).
Tensor Cut(const Tensor& full, const TensorSlice& slice) {
  const TensorShape& fs = full.shape();
  auto shape = slice.SliceShape(fs);
  EXPECT_TRUE(shape.ok());
  Tensor out(full.dtype(), *shape);
  const size_t es = DataTypeSize(full.dtype());
  const int rank = fs.rank();
  std::vector<int64_t> idx(rank, 0);
  const int64_t n = shape->num_elements();
  auto* dst = static_cast<char*>(out.raw_data());
  const auto* src = static_cast<const char*>(full.raw_data());
  for (int64_t k = 0; k < n; ++k) {
    int64_t flat = 0;
    for (int d = 0; d < rank; ++d) {
      int64_t start = slice.IsFullAt(d) ? 0 : slice.extent(d).start;
      flat = flat * fs.dim(d) + start + idx[d];
    }
    std::memcpy(dst + k * es, src + flat * es, es);
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < shape->dim(d)) break;
      idx[d] = 0;
    }
  }
  return out;
}

bool SameBytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::equal(a.bytes().begin(), a.bytes().end(), b.bytes().begin(), b.bytes().end());
}

// The model of these tests: replicated tensors (the same on every rank) and two partitioned
// variables, "emb" [10, 4] float split by rows and "wide" [3, 8] double split by columns.
struct Model {
  NamedTensors replicated;
  Tensor emb = Iota(TensorShape({10, 4}), 100);
  Tensor wide = IotaDouble(TensorShape({3, 8}), -7);

  explicit Model(float shift = 0) {
    replicated = {{"dense/kernel", Iota(TensorShape({5, 3}), 1 + shift)},
                  {"dense/bias", Iota(TensorShape({3}), -2 + shift)},
                  {"global_step", Tensor::Scalar<int64_t>(42)},
                  {"labels", Tensor::FromStrings({"cat", "dog"}, TensorShape({2}))},
                  {"big", Iota(TensorShape({64}), 9 + shift)}};
    auto e = emb.flat<float>();
    for (float& v : e) v += shift;
  }

  TensorSlice EmbSlice(int parts, int p) const {
    auto [s, l] = Split(10, parts, p);
    return TensorSlice({{s, l}, {0, TensorSlice::kFullExtent}});
  }
  TensorSlice WideSlice(int parts, int p) const {
    auto [s, l] = Split(8, parts, p);
    return TensorSlice({{0, TensorSlice::kFullExtent}, {s, l}});
  }
  // This rank's partitioned slices when the variables are split `parts` ways.
  std::vector<OwnedTensor> Owned(int parts, int p) const {
    return {
        OwnedTensor::Slice("emb", emb.shape(), EmbSlice(parts, p), Cut(emb, EmbSlice(parts, p))),
        OwnedTensor::Slice("wide", wide.shape(), WideSlice(parts, p),
                           Cut(wide, WideSlice(parts, p)))};
  }
};

// Every file name of `dir`, sorted.
std::vector<std::string> Files(const std::string& dir) {
  auto c = Env::Default()->GetChildren(dir);
  std::vector<std::string> v = c.ok() ? *c : std::vector<std::string>{};
  std::sort(v.begin(), v.end());
  return v;
}

std::unique_ptr<DistributedCheckpointManager> OpenManager(Env* env, const std::string& dir,
                                                          const CheckpointManagerOptions& o = {},
                                                          Communicator* comm = nullptr) {
  auto m = DistributedCheckpointManager::Open(env, comm ? comm : g_comm, dir, o);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(m).value() : nullptr;
}

TEST(AssignOwnership, BalancesBytesLargestFirstAndIsDeterministic) {
  std::vector<TensorSize> t = {{"a", 10}, {"b", 70}, {"c", 30}, {"d", 30}, {"e", 5}, {"f", 40}};
  // Largest first onto the least-loaded rank: b -> 0 (70), f -> 1 (40), c -> 1 (70),
  // d -> 0 (a tie goes to the lowest rank; 100), a -> 1 (80), e -> 1 (85).
  EXPECT_THAT(AssignOwnership(t, 2), ElementsAre(1, 0, 1, 0, 1, 1));
  // Order of the input does not matter: the same tensor gets the same rank.
  std::vector<TensorSize> r(t.rbegin(), t.rend());
  auto fwd = AssignOwnership(t, 3), rev = AssignOwnership(r, 3);
  for (size_t i = 0; i < t.size(); ++i) EXPECT_EQ(fwd[i], rev[t.size() - 1 - i]) << t[i].name;
  std::vector<uint64_t> load(3, 0);
  for (size_t i = 0; i < t.size(); ++i) load[fwd[i]] += t[i].bytes;
  EXPECT_THAT(load, ElementsAre(70, 55, 60));
  EXPECT_THAT(AssignOwnership(t, 0), ElementsAre(0, 0, 0, 0, 0, 0));
  EXPECT_TRUE(AssignOwnership({}, 4).empty());
}

TEST(Communicator, AgreesOnTheFirstFailingRank) {
  EXPECT_TRUE(g_comm->AllreduceStatus(Status::OK()).ok());
  const int last = Size() - 1;
  Status local = Rank() == last ? NotFoundError("no file x") : Status::OK();
  Status s = g_comm->AllreduceStatus(local);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "rank " + std::to_string(last) + ": no file x");
  // Several failures: the lowest rank's wins.
  Status all = g_comm->AllreduceStatus(DataLossError("bad " + std::to_string(Rank())));
  EXPECT_EQ(all.message(), "rank 0: bad 0");

  std::string v = Rank() == 0 ? std::string(100000, 'z') : "";
  ASSERT_TRUE(g_comm->Bcast(&v, 0).ok());
  EXPECT_EQ(v, std::string(100000, 'z'));
  auto g = g_comm->Gather("r" + std::to_string(Rank()), 0);
  ASSERT_TRUE(g.ok());
  if (Rank() == 0) {
    ASSERT_EQ(static_cast<int>(g->size()), Size());
    for (int r = 0; r < Size(); ++r) EXPECT_EQ((*g)[r], "r" + std::to_string(r));
  } else {
    EXPECT_TRUE(g->empty());
  }
  EXPECT_TRUE(g_comm->Barrier().ok());
}

TEST(DistributedCheckpoint, SavesReplicatedAndPartitionedTensorsTensorFlowCanRead) {
  SharedDir dir;
  auto m = OpenManager(Env::Default(), dir.path());
  ASSERT_NE(m, nullptr);
  Model model;
  auto prefix = m->SaveReplicated(7, model.replicated, model.Owned(Size(), Rank()),
                                  {.metrics = {{"loss", 0.25}}});
  ASSERT_TRUE(prefix.ok()) << prefix.status().ToString();
  EXPECT_EQ(*prefix, dir.path() + "/model.ckpt-7");

  // One data file per rank, TensorFlow's names, no temporary file left.
  std::vector<std::string> want = {"checkpoint"};
  for (int r = 0; r < Size(); ++r) want.push_back(BundleDataFilename("model.ckpt-7", r, Size()));
  want.push_back("model.ckpt-7.index");
  want.push_back("model.ckpt-7.metrics");
  std::vector<std::string> files = Files(dir.path());
  files.erase(std::remove(files.begin(), files.end(), "checkpoint.lock"), files.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(files, want);

  // Read back by a single process, exactly.
  auto r = BundleReader::Open(Env::Default(), *prefix);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->num_shards(), Size());
  EXPECT_TRUE((*r)->VerifyAll().ok());
  EXPECT_THAT((*r)->keys(), ElementsAre("big", "dense/bias", "dense/kernel", "emb", "global_step",
                                        "labels", "wide"));
  for (const auto& [name, t] : model.replicated) {
    auto got = (*r)->Lookup(name);
    ASSERT_TRUE(got.ok()) << name;
    if (t.dtype() == DataType::kString) {
      EXPECT_EQ(got->strings()[0], "cat");
      EXPECT_EQ(got->strings()[1], "dog");
    } else {
      EXPECT_TRUE(SameBytes(*got, t)) << name;
    }
  }
  auto emb = (*r)->Lookup("emb");
  ASSERT_TRUE(emb.ok());
  EXPECT_TRUE(SameBytes(*emb, model.emb));
  auto wide = (*r)->Lookup("wide");
  ASSERT_TRUE(wide.ok());
  EXPECT_TRUE(SameBytes(*wide, model.wide));
  auto e = (*r)->GetEntry("emb");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(static_cast<int>(e->slices.size()), Size() == 1 ? 0 : Size());

  // The state file names it; rank 0's manager keeps its metrics.
  auto latest = m->LatestCheckpoint();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, *prefix);
  auto step = m->LastStep();
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(*step, 7);
  if (Rank() == 0) {
    ASSERT_NE(m->manager(), nullptr);
    EXPECT_EQ(m->manager()->checkpoints().back().metrics.at("loss"), 0.25);
  } else {
    EXPECT_EQ(m->manager(), nullptr);
  }
}

TEST(DistributedCheckpoint, EachRankMayWriteSeveralShards) {
  SharedDir dir;
  CheckpointManagerOptions o;
  o.writer_options.num_shards = 2;
  auto m = OpenManager(Env::Default(), dir.path(), o);
  ASSERT_NE(m, nullptr);
  Model model;
  auto prefix = m->SaveReplicated(4, model.replicated, model.Owned(Size(), Rank()));
  ASSERT_TRUE(prefix.ok()) << prefix.status().ToString();
  auto r = BundleReader::Open(Env::Default(), *prefix);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->num_shards(), 2 * Size());
  EXPECT_TRUE((*r)->VerifyAll().ok());
  for (const auto& [name, want] : std::vector<std::pair<std::string, Tensor>>{
           {"emb", model.emb}, {"wide", model.wide}, {"big", model.replicated[4].second}}) {
    auto got = (*r)->Lookup(name);
    ASSERT_TRUE(got.ok()) << name;
    EXPECT_TRUE(SameBytes(*got, want)) << name;
  }
}

TEST(DistributedCheckpoint, RestoresEachRanksSlicesWhateverTheSplit) {
  SharedDir dir;
  auto m = OpenManager(Env::Default(), dir.path());
  ASSERT_NE(m, nullptr);
  Model model;
  ASSERT_TRUE(m->SaveReplicated(1, model.replicated, model.Owned(Size(), Rank())).ok());

  // Restore with a different split: ranks in reverse order, "emb" by columns, "wide" by rows.
  const int p = Size() - 1 - Rank();
  auto [cs, cl] = Split(4, Size(), p);
  auto [rs, rl] = Split(3, Size(), p);
  TensorSlice emb_slice({{0, TensorSlice::kFullExtent}, {cs, cl}});
  TensorSlice wide_slice({{rs, rl}, {0, TensorSlice::kFullExtent}});
  Tensor emb_out, wide_out;  // allocated by the restore
  Tensor kernel(DataType::kFloat, TensorShape({5, 3})), step(DataType::kInt64, TensorShape({}));
  std::vector<RestoreTarget> full = {{"dense/kernel", &kernel}, {"global_step", &step}};
  std::vector<SliceRestoreTarget> slices = {{"emb", TensorShape({10, 4}), emb_slice, &emb_out},
                                            {"wide", TensorShape({3, 8}), wide_slice, &wide_out}};
  auto restored = m->RestoreLatest(full, slices);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(*restored, dir.path() + "/model.ckpt-1");
  EXPECT_TRUE(SameBytes(emb_out, Cut(model.emb, emb_slice)));
  EXPECT_TRUE(SameBytes(wide_out, Cut(model.wide, wide_slice)));
  EXPECT_TRUE(SameBytes(kernel, model.replicated[0].second));
  EXPECT_EQ(step.data<int64_t>()[0], 42);

  // Into preallocated targets, and the whole partitioned variable as a plain target.
  Tensor emb_pre(DataType::kFloat, TensorShape({10, cl})),
      wide_full(DataType::kDouble, TensorShape({3, 8}));
  std::vector<RestoreTarget> full2 = {{"wide", &wide_full}};
  std::vector<SliceRestoreTarget> slices2 = {{"emb", TensorShape({10, 4}), emb_slice, &emb_pre}};
  ASSERT_TRUE(m->Restore(*restored, full2, slices2).ok());
  EXPECT_TRUE(SameBytes(emb_pre, Cut(model.emb, emb_slice)));
  EXPECT_TRUE(SameBytes(wide_full, model.wide));

  // A wrong full shape on the last rank fails every rank, naming that rank and the key.
  TensorSlice one_row({{0, 1}, {0, TensorSlice::kFullExtent}});
  Tensor bad_out;
  std::vector<SliceRestoreTarget> bad = {
      {"emb", Rank() == Size() - 1 ? TensorShape({11, 4}) : TensorShape({10, 4}), one_row,
       &bad_out}};
  Status s = m->Restore(*restored, {}, bad);
  EXPECT_TRUE(IsInvalidArgument(s)) << s.ToString();
  EXPECT_THAT(std::string(s.message()), HasSubstr("rank " + std::to_string(Size() - 1) + ": "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("key emb"));
}

TEST(DistributedCheckpoint, RestoreLatestFallsBackPastCorruptData) {
  SharedDir dir;
  auto m = OpenManager(Env::Default(), dir.path());
  ASSERT_NE(m, nullptr);
  Model v1(0), v2(50);
  ASSERT_TRUE(m->SaveReplicated(1, v1.replicated, v1.Owned(Size(), Rank())).ok());
  auto second = m->SaveReplicated(2, v2.replicated, v2.Owned(Size(), Rank()));
  ASSERT_TRUE(second.ok());
  // Rank 0's data file of step 2 garbled in place (same size: only checksums can tell).
  if (Rank() == 0) {
    const std::string data = BundleDataFilename(*second, 0, Size());
    auto size = Env::Default()->GetFileSize(data);
    ASSERT_TRUE(size.ok());
    ASSERT_TRUE(Env::Default()->WriteStringToFile(data, std::string(*size, '\x5a')).ok());
  }
  EXPECT_TRUE(g_comm->Barrier().ok());
  Tensor emb_out;
  std::vector<SliceRestoreTarget> slices = {
      {"emb", TensorShape({10, 4}), v1.EmbSlice(Size(), Rank()), &emb_out}};
  auto r = m->RestoreLatest({}, slices);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, dir.path() + "/model.ckpt-1");
  EXPECT_TRUE(SameBytes(emb_out, Cut(v1.emb, v1.EmbSlice(Size(), Rank()))));
}

TEST(DistributedCheckpoint, ReshardsAcrossProcessCounts) {
  SharedDir dir;
  Model model;
  std::string prefix;
  {
    auto m = OpenManager(Env::Default(), dir.path());
    ASSERT_NE(m, nullptr);
    auto p = m->SaveReplicated(3, model.replicated, model.Owned(Size(), Rank()));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    prefix = *p;
  }
  // Restore on every smaller number of processes k (ranks < k form a communicator), each
  // taking its share of a k-way split.
  for (int k = 1; k <= Size(); ++k) {
    MPI_Comm sub_raw;
    ASSERT_EQ(MPI_Comm_split(g_comm->comm(), Rank() < k ? 0 : MPI_UNDEFINED, Rank(), &sub_raw),
              MPI_SUCCESS);
    if (Rank() < k) {
      auto sub = Communicator::Create(sub_raw);
      ASSERT_TRUE(sub.ok());
      MPI_Comm_free(&sub_raw);
      auto m = OpenManager(Env::Default(), dir.path(), {.lock_directory = false}, sub->get());
      ASSERT_NE(m, nullptr);
      Tensor emb_out, wide_out;
      std::vector<SliceRestoreTarget> slices = {
          {"emb", TensorShape({10, 4}), model.EmbSlice(k, Rank()), &emb_out},
          {"wide", TensorShape({3, 8}), model.WideSlice(k, Rank()), &wide_out}};
      auto r = m->RestoreLatest({}, slices);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(*r, prefix);
      EXPECT_TRUE(SameBytes(emb_out, Cut(model.emb, model.EmbSlice(k, Rank())))) << k;
      EXPECT_TRUE(SameBytes(wide_out, Cut(model.wide, model.WideSlice(k, Rank())))) << k;
    }
    EXPECT_TRUE(g_comm->Barrier().ok());
  }

  // A single-process checkpoint (plain tensors, one shard) restores on all ranks.
  SharedDir single;
  if (Rank() == 0) {
    auto w = BundleWriter::Create(Env::Default(), single.path() + "/model.ckpt-9");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Add("emb", model.emb).ok());
    ASSERT_TRUE((*w)->Add("wide", model.wide).ok());
    ASSERT_TRUE((*w)->Finish().ok());
    CheckpointState st;
    st.model_checkpoint_path = "model.ckpt-9";
    st.all_model_checkpoint_paths = {"model.ckpt-9"};
    ASSERT_TRUE(WriteCheckpointState(Env::Default(), single.path(), st).ok());
  }
  auto m = OpenManager(Env::Default(), single.path());
  ASSERT_NE(m, nullptr);
  Tensor emb_out, wide_out;
  std::vector<SliceRestoreTarget> slices = {
      {"emb", TensorShape({10, 4}), model.EmbSlice(Size(), Rank()), &emb_out},
      {"wide", TensorShape({3, 8}), model.WideSlice(Size(), Rank()), &wide_out}};
  auto r = m->RestoreLatest({}, slices);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, single.path() + "/model.ckpt-9");
  EXPECT_TRUE(SameBytes(emb_out, Cut(model.emb, model.EmbSlice(Size(), Rank()))));
  EXPECT_TRUE(SameBytes(wide_out, Cut(model.wide, model.WideSlice(Size(), Rank()))));
}

// Fails every file creation whose path contains `needle` while armed.
class FailingEnv : public EnvWrapper {
 public:
  FailingEnv(Env* target, std::string needle) : EnvWrapper(target), needle_(std::move(needle)) {}
  std::atomic<bool> armed{false};
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& p) override {
    if (armed && p.find(needle_) != std::string::npos)
      return UnavailableError("injected write failure on " + p);
    return EnvWrapper::NewWritableFile(p);
  }

 private:
  std::string needle_;
};

TEST(DistributedCheckpoint, AFailedRankFailsTheSaveEverywhereAndKeepsThePrevious) {
  if (Size() < 2) GTEST_SKIP() << "needs 2 ranks";
  SharedDir dir;
  FailingEnv failing(Env::Default(), ".rank-1-of-");
  auto m = OpenManager(&failing, dir.path());
  ASSERT_NE(m, nullptr);
  Model v1(0), v2(1000);
  auto first = m->SaveReplicated(1, v1.replicated, v1.Owned(Size(), Rank()));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::vector<std::string> before = Files(dir.path());
  EXPECT_TRUE(g_comm->Barrier().ok());  // every rank listed before the next save writes

  failing.armed = Rank() == 1;
  auto second = m->SaveReplicated(2, v2.replicated, v2.Owned(Size(), Rank()));
  failing.armed = false;
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()),
              HasSubstr("distributed save of step 2: rank 1: writing "));
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("injected write failure"));
  // Nothing of step 2 left, the previous checkpoint is still the latest and verifies.
  EXPECT_TRUE(g_comm->Barrier().ok());
  EXPECT_EQ(Files(dir.path()), before);
  auto latest = m->LatestCheckpoint();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, *first);
  auto r = BundleReader::Open(Env::Default(), *first);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->VerifyAll().ok());
  Tensor emb_out;
  std::vector<SliceRestoreTarget> slices = {
      {"emb", TensorShape({10, 4}), v1.EmbSlice(Size(), Rank()), &emb_out}};
  ASSERT_TRUE(m->RestoreLatest({}, slices).ok());
  EXPECT_TRUE(SameBytes(emb_out, Cut(v1.emb, v1.EmbSlice(Size(), Rank()))));

  // The retry succeeds.
  auto retry = m->SaveReplicated(2, v2.replicated, v2.Owned(Size(), Rank()));
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  auto r2 = BundleReader::Open(Env::Default(), *retry);
  ASSERT_TRUE(r2.ok());
  auto emb = (*r2)->Lookup("emb");
  ASSERT_TRUE(emb.ok());
  EXPECT_TRUE(SameBytes(*emb, v2.emb));
}

TEST(DistributedCheckpoint, OpenRemovesLeftoversOfAnInterruptedSave) {
  SharedDir dir;
  Model model;
  std::vector<std::string> committed;
  {
    auto m = OpenManager(Env::Default(), dir.path());
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(m->SaveReplicated(1, model.replicated, model.Owned(Size(), Rank())).ok());
    EXPECT_TRUE(g_comm->Barrier().ok());
    committed = Files(dir.path());
    EXPECT_TRUE(g_comm->Barrier().ok());  // every rank listed before any writes below
    // What a crash leaves: per-rank temporary bundles of step 2, and a merge that renamed a
    // data file but never wrote the index.
    const std::string p = dir.path() + "/model.ckpt-2";
    EXPECT_TRUE(
        Env::Default()->WriteStringToFile(m->RankTempPrefix(2, Rank()) + ".index", "partial").ok());
    EXPECT_TRUE(Env::Default()
                    ->WriteStringToFile(m->RankTempPrefix(2, Rank()) + ".data-00000-of-00001", "x")
                    .ok());
    if (Rank() == 0)
      EXPECT_TRUE(Env::Default()->WriteStringToFile(BundleDataFilename(p, 0, 2), "x").ok());
    EXPECT_TRUE(g_comm->Barrier().ok());
  }
  auto m = OpenManager(Env::Default(), dir.path());
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(g_comm->Barrier().ok());
  EXPECT_EQ(Files(dir.path()), committed);
  auto latest = m->LatestCheckpoint();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, dir.path() + "/model.ckpt-1");
  // And the interrupted step saves normally now.
  auto p = m->SaveReplicated(2, model.replicated, model.Owned(Size(), Rank()));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
}

TEST(DistributedCheckpoint, RejectsDisagreementOnEveryRank) {
  SharedDir dir;
  auto m = OpenManager(Env::Default(), dir.path());
  ASSERT_NE(m, nullptr);
  Model model;
  // Different steps.
  auto s = m->SaveReplicated(Rank() == Size() - 1 ? 5 : 4, model.replicated, {});
  if (Size() > 1) {
    EXPECT_TRUE(IsInvalidArgument(s.status())) << s.status().ToString();
    EXPECT_THAT(std::string(s.status().message()), HasSubstr("different steps"));
  } else {
    EXPECT_TRUE(s.ok());
  }
  // A slice whose tensor has the wrong shape, on rank 0.
  std::vector<OwnedTensor> bad = {OwnedTensor::Slice(
      "emb", TensorShape({10, 4}), TensorSlice({{0, 2}, {0, TensorSlice::kFullExtent}}),
      Rank() == 0 ? Iota(TensorShape({3, 4}), 0) : Iota(TensorShape({2, 4}), 0))};
  auto b = m->Save(6, bad);
  EXPECT_TRUE(IsInvalidArgument(b.status()));
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("rank 0: slice 0,2:- of tensor emb"));
  // The same whole tensor from every rank (when there are several): a duplicate key.
  std::vector<OwnedTensor> same = {OwnedTensor::Full("x", Iota(TensorShape({2}), 0))};
  auto d = m->Save(8, same);
  if (Size() > 1) {
    EXPECT_TRUE(IsInvalidArgument(d.status())) << d.status().ToString();
    EXPECT_THAT(std::string(d.status().message()), HasSubstr("duplicate key 'x'"));
  } else {
    EXPECT_TRUE(d.ok());
  }
  std::vector<std::string> files = Files(dir.path());
  for (const auto& f : files) EXPECT_EQ(f.find("tmp"), std::string::npos) << f;
  if (Size() > 1) {
    // Replicated lists that differ between ranks.
    NamedTensors rep = model.replicated;
    if (Rank() == 1) rep.pop_back();
    auto r = m->SaveReplicated(9, rep, {});
    EXPECT_TRUE(IsInvalidArgument(r.status()));
    EXPECT_THAT(std::string(r.status().message()), HasSubstr("rank 1: "));
  }
}

TEST(DistributedCheckpoint, RetentionOverSeveralSaves) {
  SharedDir dir;
  auto m = OpenManager(Env::Default(), dir.path(), {.max_to_keep = 2});
  ASSERT_NE(m, nullptr);
  for (int step = 1; step <= 5; ++step) {
    Model model(static_cast<float>(step));
    auto p = m->SaveReplicated(step * 10, model.replicated, model.Owned(Size(), Rank()));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
  }
  EXPECT_TRUE(g_comm->Barrier().ok());
  std::vector<std::string> indexes;
  for (const auto& f : Files(dir.path()))
    if (f.size() > 6 && f.compare(f.size() - 6, 6, ".index") == 0) indexes.push_back(f);
  EXPECT_THAT(indexes, ElementsAre("model.ckpt-40.index", "model.ckpt-50.index"));
  auto st = GetCheckpointState(Env::Default(), dir.path());
  ASSERT_TRUE(st.ok() && st->has_value());
  EXPECT_EQ((*st)->all_model_checkpoint_paths.size(), 2u);
  EXPECT_EQ((*st)->model_checkpoint_path, dir.path() + "/model.ckpt-50");
  if (Rank() == 0) {
    std::vector<int64_t> steps;
    for (const auto& c : m->manager()->checkpoints()) steps.push_back(c.step);
    EXPECT_THAT(steps, ElementsAre(40, 50));
  }
  // Reopening continues the numbering.
  m.reset();
  auto again = OpenManager(Env::Default(), dir.path(), {.max_to_keep = 2});
  ASSERT_NE(again, nullptr);
  auto last = again->LastStep();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 50);
}

TEST(DistributedCheckpoint, OpenFailsWhenTheDirectoryIsNotShared) {
  if (Size() < 2) GTEST_SKIP() << "needs 2 ranks";
  testutil::TempDir own("dist_own");  // a different directory on every rank
  auto m = DistributedCheckpointManager::Open(Env::Default(), g_comm, own.path());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(m.status().message()), HasSubstr("is not shared by all ranks (rank 1 "
                                                           "cannot see "));
  EXPECT_TRUE(g_comm->Barrier().ok());
}

TEST(DistributedCheckpoint, RestoreLatestOfAnEmptyDirectoryIsNotFoundEverywhere) {
  SharedDir dir;
  auto m = OpenManager(Env::Default(), dir.path());
  ASSERT_NE(m, nullptr);
  auto r = m->RestoreLatest({}, {});
  EXPECT_TRUE(IsNotFound(r.status())) << r.status().ToString();
  auto latest = m->LatestCheckpoint();
  ASSERT_TRUE(latest.ok());
  EXPECT_FALSE(latest->has_value());
}

TEST(AllreduceMean, AveragesFusedFloatAndDoubleTensors) {
  const int n = Size();
  // Rank r holds a[i] = (r + 1) * i, b[i] = r - i / 2, c = r * 4.
  Tensor a(DataType::kFloat, TensorShape({2, 3})), b(DataType::kDouble, TensorShape({4}));
  Tensor c(DataType::kFloat, TensorShape({}));
  for (int i = 0; i < 6; ++i) a.flat<float>()[i] = static_cast<float>((Rank() + 1) * i);
  for (int i = 0; i < 4; ++i) b.flat<double>()[i] = Rank() - i / 2.0;
  c.flat<float>()[0] = static_cast<float>(Rank() * 4);
  std::vector<Tensor*> grads = {&a, &b, &c};
  ASSERT_TRUE(AllreduceMean(*g_comm, grads).ok());
  for (int i = 0; i < 6; ++i) {
    float sum = 0;
    for (int r = 0; r < n; ++r) sum += static_cast<float>((r + 1) * i);
    EXPECT_EQ(a.flat<float>()[i], sum / static_cast<float>(n)) << i;
  }
  for (int i = 0; i < 4; ++i) {
    double sum = 0;
    for (int r = 0; r < n; ++r) sum += r - i / 2.0;
    EXPECT_EQ(b.flat<double>()[i], sum / n) << i;
  }
  float csum = 0;
  for (int r = 0; r < n; ++r) csum += static_cast<float>(r * 4);
  EXPECT_EQ(c.flat<float>()[0], csum / static_cast<float>(n));

  // Not a float type, on one rank: every rank fails.
  Tensor i32 = Tensor::Scalar<int32_t>(1);
  std::vector<Tensor*> bad = {Rank() == 0 ? &i32 : &c};
  Status s = AllreduceMean(*g_comm, bad);
  EXPECT_TRUE(IsInvalidArgument(s)) << s.ToString();
  EXPECT_THAT(std::string(s.message()), HasSubstr("rank 0: AllreduceMean: gradient 0 has dtype"));
  if (n > 1) {
    Tensor longer(DataType::kFloat, TensorShape({Rank() == 1 ? 3 : 2}));
    std::vector<Tensor*> uneven = {&longer};
    EXPECT_TRUE(IsInvalidArgument(AllreduceMean(*g_comm, uneven)));
  }
}

}  // namespace

// Prints each failed assertion of a rank other than 0 (whose output gtest prints as usual).
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (!r.failed()) return;
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    std::fprintf(stderr, "[rank %d] %s.%s: %s:%d: %s\n", rank_, test ? test->test_suite_name() : "",
                 test ? test->name() : "", r.file_name() ? r.file_name() : "?", r.line_number(),
                 r.summary());
  }

 private:
  int rank_;
};

}  // namespace ckpt

int main(int argc, char** argv) {
  auto session = ckpt::MpiSession::Start(&argc, &argv);
  if (!session.ok()) {
    std::fprintf(stderr, "%s\n", session.status().ToString().c_str());
    return 1;
  }
  int code = 1;
  {
    auto comm = ckpt::Communicator::World();
    if (!comm.ok()) {
      std::fprintf(stderr, "%s\n", comm.status().ToString().c_str());
      return 1;
    }
    ckpt::g_comm = comm->get();
    ::testing::InitGoogleTest(&argc, argv);
    if (ckpt::g_comm->rank() != 0) {
      // Only rank 0 prints progress; the other ranks print their failures, naming the rank.
      auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
      delete listeners.Release(listeners.default_result_printer());
      listeners.Append(new ckpt::RankFailurePrinter(ckpt::g_comm->rank()));
    }
    code = RUN_ALL_TESTS();
    // The run fails if any rank failed.
    int worst = 0;
    MPI_Allreduce(&code, &worst, 1, MPI_INT, MPI_MAX, ckpt::g_comm->comm());
    code = worst;
    ckpt::g_comm = nullptr;
  }
  return code;
}
