// Running a library function from inside a kernel: the bodies of functional control flow
// (If, Case, While and their Stateless forms), which cannot be inlined because which body
// runs, or how often, is decided by values at run time.
//
// A FunctionBody is the function instantiated once, when the calling kernel is built: nested
// calls inlined (graph/function_library.h), attr placeholders bound, every node's kernel
// built. Run() executes the body on argument values, in a dependency order, with the caller's
// variable store, so captured resource handles and variable updates are shared with the
// calling graph.
//
// Thread safety: Run may be called by one thread at a time (kernels are).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ckpt/core/status.h"
#include "graph/kernel.h"
#include "tensorflow/core/framework/attr_value.pb.h"
#include "tensorflow/core/framework/function.pb.h"

namespace ckpt {

class FunctionBody {
 public:
  // Instantiates `func` (its name and attr bindings) of `library` for the kernel of node
  // `caller`. Errors name the function and the caller: a function the library lacks, an
  // invalid body, an op without a kernel.
  static StatusOr<std::unique_ptr<FunctionBody>> Instantiate(
      const tensorflow::FunctionDefLibrary& library, const tensorflow::NameAttrList& func,
      const OpKernelConstruction& caller);
  ~FunctionBody();

  const std::string& name() const { return name_; }
  // Base dtypes of the arguments and results.
  const std::vector<DataType>& arg_types() const { return arg_types_; }
  const std::vector<DataType>& ret_types() const { return ret_types_; }

  // Runs the body on `args` (one per argument: a tensor or a resource handle) and returns its
  // results. Errors are the failing body node's, prefixed with the function's name.
  StatusOr<std::vector<TensorValue>> Run(OpKernelContext* ctx,
                                         const std::vector<TensorValue>& args);

 private:
  struct Node;
  FunctionBody() = default;
  std::string name_;
  std::vector<DataType> arg_types_, ret_types_;
  std::unique_ptr<Graph> graph_;          // the instantiated body; nodes_ point into it
  std::vector<Node> nodes_;               // in execution order
  std::vector<int> arg_slots_;            // value slot of each argument
  std::vector<int> ret_slots_;            // value slot of each result
  std::vector<std::string> ret_sources_;  // the body node each result returns, for errors
  int num_slots_ = 0;
  int num_dead_bits_ = 0;  // graph/deadness.h: 0 when no Switch can make a value dead
};

}  // namespace ckpt
