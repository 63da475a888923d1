// Session: runs a Graph on the CPU and owns its variables (tf.compat.v1.Session).
//
// Run(feeds, fetches, targets) executes only the nodes the fetches and targets need: it walks
// data and control inputs backwards from them, stopping at fed tensors, and runs that subgraph
// in a dependency order (each node once per Run; control inputs run before their consumers).
// Any tensor may be fed; feeds of Placeholders are checked against their dtype and shape
// attrs, other feeds against the output's dtype. Execution plans are cached per
// (feeds, fetches, targets) signature, and kernels are built once per node.
//
// A plan is prepared once, as TF's graph optimizer would: nodes whose value cannot change
// between runs (pure ops over constants, at most 1 MiB of output each) are computed when the
// plan is built and kept; NoOps and Identities of plain values are not executed (their
// consumers read the input directly). Their control dependencies still run, in order. A plan
// also keeps, per intermediate value, the buffer of its last run and reuses it on the next
// run when nothing else (a fetched tensor, a variable) still refers to it: a training step in
// steady state allocates almost nothing. The price is memory: each cached plan holds one
// run's intermediates.
//
// Variables live in the session:
//  - ref variables (VariableV2): a tensor slot per (container, shared_name or node name);
//    Assign writes it; reading it before an Assign fails with FailedPrecondition
//    "attempting to use uninitialized value W".
//  - resource variables (VarHandleOp): a resource manager keyed by (container, shared_name
//    or node name); ReadVariableOp before AssignVariableOp fails with FailedPrecondition.
// GetVariable/SetVariable/ListVariables give the saver layer direct access by node name.
//
// The graph may grow after the session is created (nodes added between runs are picked up on
// the next Run, like TF's Session::Extend); it must outlive the session.
//
// Untrusted graphs (a model from elsewhere): SessionOptions::file_access confines the graph's
// file ops (RestoreV2, SaveV2, MergeV2Checkpoints, ReadFile, WriteFile, ...) to some
// directories, and RunOptions bounds one Run's time and memory and lets another thread cancel
// it. `ckpt run` and LoadModel/LoadSavedModel use both by default.
//
// Thread safety: all methods may be called from several threads; Run calls are serialized by
// an internal mutex (kernels themselves may use `intra_op_threads` threads). A RunOptions
// cancel flag may be set from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ckpt/core/dtype.h"
#include "ckpt/core/env.h"
#include "ckpt/core/file_access.h"
#include "ckpt/core/status.h"
#include "ckpt/core/tensor.h"
#include "ckpt/core/tensor_shape.h"
#include "ckpt/graph/graph.h"

namespace ckpt {

struct SessionOptions {
  // Threads for large kernels (MatMul contractions). 0 means one per CPU this process may run
  // on (its affinity mask: taskset, a container's cpuset). Default: 0.
  int intra_op_threads = 0;
  // Env for file-touching kernels (SaveV2/RestoreV2, ...). Default: Env::Default().
  Env* env = nullptr;
  // What those kernels may read and write (ckpt/core/file_access.h); anything else fails
  // with PermissionDenied naming the node, the op and the path. Default: unrestricted.
  FileAccessPolicy file_access;
  // Runs each chain of element-wise ops (Mul/Add/AddV2/Sub/BiasAdd by a per-channel, scalar,
  // per-row or same-shaped operand, Relu, Relu6, swish x * Sigmoid(x): a batch norm, a
  // residual add and the activation after a convolution; a layer norm's normalization) as one pass
  // over memory, with bit-identical results. false runs every op as its own step, for comparison.
  // Default: true.
  bool fuse_elementwise = true;
};

// Limits of one Run, for graphs that are not trusted.
struct RunOptions {
  // Stop with DeadlineExceeded once the run has taken this long; checked before each op and
  // at each iteration of a loop. 0: no deadline. Default: 0.
  int64_t timeout_ms = 0;
  // Stop with Cancelled, at the next such check, once *cancel is true (set from any thread).
  // Borrowed; null: not cancellable. Default: null.
  const std::atomic<bool>* cancel = nullptr;
  // The most bytes the run's ops may hold allocated at once in the tensors they output: an op
  // whose output would go over it fails with ResourceExhausted naming the node, before
  // allocating. Buffers recycled from earlier runs and memory inside kernels (scratch, file
  // reads) are not counted. 0: no limit. Default: 0.
  int64_t memory_limit_bytes = 0;
};

// One variable of the graph as the session sees it.
struct SessionVariable {
  std::string name;  // node name ("W")
  std::string op;    // "VariableV2" or "VarHandleOp"
  DataType dtype = DataType::kInvalid;
  PartialShape shape;  // the node's shape attr
  bool initialized = false;
};

class Session {
 public:
  // Creates a session over `graph` (borrowed: must outlive the session).
  // Errors: the graph's sticky status() if not OK.
  static StatusOr<std::unique_ptr<Session>> Create(const Graph* graph,
                                                   const SessionOptions& options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  using FeedList = std::vector<std::pair<std::string, Tensor>>;

  // Feeds tensors by name ("x:0", or "x" for output 0), computes `fetches` (tensor names)
  // and runs `targets` (node names) for their effects. Returns one tensor per fetch, in
  // order (a fetch listed twice is computed once). Fetched tensors may share their buffer
  // with a constant or a variable's value: treat them as read-only (Clone() for a private
  // copy). Variable updates never write into a buffer a fetched tensor holds.
  // Errors:
  //  - NotFound: a feed, fetch or target names an unknown node or output;
  //  - InvalidArgument: a fed value has the wrong dtype or a shape incompatible with the
  //    placeholder's shape attr; a needed Placeholder is not fed ("you must feed a value for
  //    placeholder tensor 'x' with dtype float and shape [?,3]"); a tensor fed twice;
  //    a kernel's own argument checks (shape mismatch, bad axis, ...);
  //  - FailedPrecondition: an uninitialized variable was read;
  //  - Unimplemented: a needed op has no CPU kernel for the dtype.
  //  Kernel errors are prefixed with the failing node: "node MatMul (MatMul): ...".
  StatusOr<std::vector<Tensor>> Run(const FeedList& feeds, const std::vector<std::string>& fetches,
                                    const std::vector<std::string>& targets = {});
  // The same within `options`' limits. Further errors: DeadlineExceeded, Cancelled and
  // ResourceExhausted, naming the node they stopped at.
  StatusOr<std::vector<Tensor>> Run(const FeedList& feeds, const std::vector<std::string>& fetches,
                                    const std::vector<std::string>& targets,
                                    const RunOptions& options);

  // How many kernel steps a Run with these feed names, fetches and targets executes, after
  // pruning, constant folding and fusion (builds and caches its plan). Errors: as Run's
  // planning errors (unknown names, cycles, missing kernels).
  StatusOr<int> NumPlannedSteps(const FeedList& feeds, const std::vector<std::string>& fetches,
                                const std::vector<std::string>& targets = {});

  // ---- variables (for savers) ------------------------------------------------------------
  // Every VariableV2 / VarHandleOp node of the graph in graph order.
  std::vector<SessionVariable> ListVariables() const;
  // A copy of the variable's current value. `name` is the node name ("W", "W:0" accepted).
  // NotFound: no such variable node; FailedPrecondition: not initialized.
  StatusOr<Tensor> GetVariable(std::string_view name) const;
  // Stores a copy of `value` as the variable's value (initializing it).
  // NotFound: no such variable node; InvalidArgument: dtype differs from the node's dtype, or
  // the shape is incompatible with the node's shape attr.
  Status SetVariable(std::string_view name, const Tensor& value);
  // NotFound: no such variable node.
  StatusOr<bool> IsVariableInitialized(std::string_view name) const;

  const Graph& graph() const { return *graph_; }
  Env* env() const;

  struct Impl;

 private:
  Session(const Graph* graph, const SessionOptions& options);
  const Graph* graph_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ckpt
