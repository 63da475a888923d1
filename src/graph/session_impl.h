// Private to the session: the compiled nodes, plans and Session::Impl shared by the executor
// (session.cc) and the planner (session_planner.cc).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ckpt/graph/session.h"
#include "graph/deadness.h"
#include "graph/kernel.h"
#include "graph/kernels/eigen.h"

namespace ckpt {
namespace exec {

inline std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// A compiled node: resolved input edges and its kernel (built on first use).
struct NodeState {
  const tensorflow::NodeDef* def = nullptr;
  std::vector<std::pair<int, int>> inputs;  // (src node, output index)
  std::vector<int> controls;
  std::vector<int32_t> input_types, output_types;
  std::unique_ptr<OpKernelConstruction> construction;
  std::unique_ptr<OpKernel> kernel;
};

// One node of a plan: where it reads its inputs and writes its outputs.
struct Step {
  int node = 0;
  int out_offset = 0;  // first output slot
  int num_inputs = 0;
  int first_input = 0;  // into Plan::input_ptrs
  // Data inputs that read a ref edge as a value: (input index, source slot). The executor
  // copies the variable's current tensor into Plan::deref_values[deref_offset + k].
  std::vector<std::pair<int, int>> derefs;
  int deref_offset = 0;
  // Index into Plan::dead_inputs when a Switch reaches the node (it can be dead), else -1.
  int dead_inputs = -1;
  // A kernel of the plan's own (Plan::fused_kernels) run instead of the node's, or null.
  OpKernel* kernel = nullptr;
};

// What Run checks of each fed value (computed once per plan).
struct FeedSpec {
  std::string name;
  DataType dtype = DataType::kInvalid;
  bool check_shape = false;
  PartialShape shape;
};

// An executable subgraph for one (feeds, fetches, targets) signature. Its value array is
// reused by every Run of the plan (Run is serialized), so a step allocates nothing but the
// kernels' own outputs.
struct Plan {
  std::vector<std::string> feed_names, fetch_names, target_names;  // the signature
  std::vector<Step> steps;
  std::vector<std::unique_ptr<OpKernel>> fused_kernels;  // the steps' own kernels
  int num_slots = 0;
  std::vector<int> feed_slots;   // slot of each feed (in the caller's order)
  std::vector<int> fetch_slots;  // slot of each fetch
  std::vector<FeedSpec> feed_specs;
  std::vector<TensorValue> values;  // num_slots; only folded values between runs
  // Per slot, the buffer the slot held at the end of the last run: the slot's kernel reuses
  // it when nothing else holds it any more (no malloc, no page faults for big outputs).
  std::vector<Tensor> spares;
  // Slots [0, feeds) hold feeds, [feeds, persistent_end) folded values that persist across
  // runs, the rest the steps' outputs.
  int persistent_end = 0;
  std::vector<TensorValue> deref_values;       // scratch for dereferenced refs
  std::vector<const TensorValue*> input_ptrs;  // every step's inputs, pointing into the above
  // Dead tensors (graph/deadness.h), only when a Switch is among the steps: the dead bits of
  // the steps a Switch reaches, and the run's bits (one per slot, then one per such step; a
  // bit is written before it is read in every run, so nothing resets them).
  std::vector<deadness::DeadInputs> dead_inputs;
  std::vector<char> dead;

  bool Matches(const Session::FeedList& feeds, const std::vector<std::string>& fetches,
               const std::vector<std::string>& targets) const {
    if (feeds.size() != feed_names.size() || fetches != fetch_names || targets != target_names) {
      return false;
    }
    for (size_t i = 0; i < feeds.size(); ++i) {
      if (feeds[i].first != feed_names[i]) return false;
    }
    return true;
  }
};

}  // namespace exec

struct Session::Impl {
  const Graph* graph;
  SessionOptions options;
  Env* env;
  std::unique_ptr<Env> restricted_env;  // env, when options.file_access restricts it
  std::unique_ptr<Eigen::ThreadPool> pool;
  std::unique_ptr<Eigen::ThreadPoolDevice> device;
  VariableStore vars;
  std::mutex mu;  // serializes Run
  std::vector<exec::NodeState> nodes;
  std::unordered_multimap<uint64_t, std::unique_ptr<exec::Plan>> plans;
  exec::Plan* last_plan = nullptr;
  int64_t step_id = 0;

  Status Extend();
  // Session::Run; `limits` (nullable) are checked before each step.
  StatusOr<std::vector<Tensor>> Run(const RunLimits* limits, const FeedList& feeds,
                                    const std::vector<std::string>& fetches,
                                    const std::vector<std::string>& targets);
  StatusOr<exec::Plan*> GetPlan(const FeedList& feeds, const std::vector<std::string>& fetches,
                                const std::vector<std::string>& targets);
  // Builds one plan, phase by phase (session_planner.cc).
  class Planner;
  Status EnsureKernel(exec::NodeState& n);
  // What Run checks of a value fed to output `out` of node `node` (both already resolved).
  StatusOr<exec::FeedSpec> MakeFeedSpec(const Output& out, int node) const;
  StatusOr<VarSlot*> FindVariableSlot(std::string_view name, bool create,
                                      const tensorflow::NodeDef** def_out) const;
};

}  // namespace ckpt
