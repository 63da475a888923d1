// One Session::Run of a hostile graph, shared by the graph-level fuzz targets: every
// variable is set and every Placeholder fed a small tensor of its dtype and shape (unknown
// dims 1 or 2, unknown rank a vector), the graph's sink nodes are fetched (their outputs) or
// run (nodes without outputs), and file ops see only a memory Env.
//
// The run is bounded as untrusted models are (RunOptions): a deadline of kTimeoutMs stops loops
// that never end, and a memory limit of kMemoryLimit refuses huge outputs before allocating.
// Graphs whose statically known outputs hold more than kMaxElements elements are still only
// imported and planned: a kernel that allocates outside its outputs is not bounded by the limit.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ckpt/core/env.h"
#include "ckpt/core/tensor.h"
#include "ckpt/graph/graph.h"
#include "ckpt/graph/session.h"
#include "fuzz_util.h"

namespace ckpt::fuzz {

inline constexpr int64_t kMaxElements = int64_t{1} << 20;

inline constexpr int64_t kTimeoutMs = 1000;
inline constexpr int64_t kMemoryLimit = int64_t{256} << 20;

// Whether the graph's static shapes are small enough to run (see above).
inline bool Runnable(const Graph& graph) {
  for (const std::string& name : graph.node_names()) {
    auto n = graph.NumOutputs(name);
    if (!n.ok()) return false;
    for (int i = 0; i < *n; ++i) {
      const PartialShape s = graph.OutputShape(Output(name, i));
      int64_t elements = 1;
      for (int64_t d : s.dims()) {
        if (d > 0 && elements > kMaxElements / d) return false;
        if (d > 0) elements *= d;
      }
    }
  }
  return true;
}

// A small tensor of `dtype` and `want` (unknown dims 1 or 2, unknown rank a vector of 2), its
// values taken from `seed`. Unsupported dtypes give an error.
inline StatusOr<Tensor> MakeTensor(DataType dtype, const PartialShape& want,
                                   std::string_view seed) {
  std::vector<int64_t> dims;
  if (!want.known_rank()) {
    dims.push_back(2);
  } else {
    for (int64_t d : want.dims()) {
      dims.push_back(d < 0 ? 1 + static_cast<int64_t>(dims.size()) % 2 : d);
    }
  }
  CKPT_ASSIGN_OR_RETURN(TensorShape ts, TensorShape::FromDims(dims));
  if (ts.num_elements() > 4096) return InvalidArgumentError("tensor too large for a feed");
  CKPT_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(dtype, ts));
  if (dtype == DataType::kString) {
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      t.strings()[i] = seed.empty() ? "" : std::string(seed.substr(i % seed.size(), 3));
    }
  } else if (dtype == DataType::kBool) {
    for (int64_t i = 0; i < t.num_elements(); ++i) {
      t.data<bool>()[i] = !seed.empty() && (seed[i % seed.size()] & 1);
    }
  } else if (!seed.empty()) {
    auto bytes = t.bytes();
    for (size_t i = 0; i < bytes.size(); ++i) {
      // Small values: a byte in 0..3 per element keeps sizes and indices from the feed small.
      bytes[i] = std::byte(i % DataTypeSize(dtype) == 0 ? seed[i % seed.size()] & 3 : 0);
    }
  }
  return t;
}

// A feed for `output`: a Placeholder's dtype and shape attrs, else the output's dtype.
inline StatusOr<Tensor> MakeFeed(const Graph& graph, const Output& output, std::string_view seed) {
  PartialShape want;
  auto shape = graph.GetAttr(output.node, "shape");
  if (shape.ok() && shape->is<PartialShape>()) want = shape->get<PartialShape>();
  return MakeTensor(graph.OutputType(output), want, seed);
}

// Gives every variable a small value of its dtype and shape, so that a run gets past the
// reads of uninitialized variables into the kernels behind them.
inline void InitializeVariables(Session& session, std::string_view seed) {
  for (const SessionVariable& v : session.ListVariables()) {
    auto t = MakeTensor(v.dtype, v.shape, seed);
    if (t.ok()) (void)session.SetVariable(v.name, *t);
  }
}

// Runs the graph once as described above. `seed` gives the fed values.
inline void RunOnce(const Graph& graph, Env* env, std::string_view seed) {
  SessionOptions options;
  options.env = env;
  options.intra_op_threads = 1;
  auto session = Session::Create(&graph, options);
  if (!session.ok()) return;
  Session::FeedList feeds;
  std::vector<std::string> fetches, targets;
  for (const std::string& name : graph.node_names()) {
    auto op = graph.OpType(name);
    if (!op.ok()) continue;
    if (*op == "Placeholder") {
      auto t = MakeFeed(graph, Output(name, 0), seed);
      if (t.ok()) feeds.emplace_back(name + ":0", std::move(*t));
      continue;
    }
    if (!graph.Consumers(name).empty() || fetches.size() + targets.size() >= 8) continue;
    auto n = graph.NumOutputs(name);
    if (!n.ok()) continue;
    if (*n == 0) targets.push_back(name);
    for (int i = 0; i < *n && i < 4; ++i) fetches.push_back(name + ":" + std::to_string(i));
  }
  if (!Runnable(graph)) return;
  InitializeVariables(**session, seed);
  RunOptions limits;
  limits.timeout_ms = kTimeoutMs;
  limits.memory_limit_bytes = kMemoryLimit;
  (void)(*session)->Run(feeds, fetches, targets, limits);
}

}  // namespace ckpt::fuzz
