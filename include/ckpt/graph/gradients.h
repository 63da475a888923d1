// Symbolic differentiation of a Graph: the C++ counterpart of tf.compat.v1.gradients.
//
// Gradients() adds to the graph the nodes TF 2.21's Python gradients code adds for the same
// graph: everything under the scope "gradients/" (then "gradients_1/", ...), one sub-scope per
// differentiated op ("gradients/Add_grad/..."), the default output gradient as
// Fill(Shape(y), 1) named "gradients/grad_ys_0", AddN ("gradients/AddN") where several
// gradients reach one tensor, and (with gate_gradients, as Optimizer.minimize uses) the
// tuple pattern "<op>_grad/tuple/group_deps" + "<op>_grad/tuple/control_dependency[_N]".
// Like TF's graph builder it folds shapes known statically (placeholder/variable shape attrs,
// constants) into Consts, so the node list matches TF's node for node.
//
// The gradient of each op type comes from a registry (src/graph/gradients/*_grad.cc, one file
// per op family). An op type is either registered with a gradient function, registered as
// having no gradient (integer/boolean results, shapes, random numbers, variable plumbing), or
// unknown; Gradients() fails with NotFound naming the op when it needs the gradient of an
// unknown op type.
//
// Thread safety: as Graph (one thread builds a graph). The registry is immutable after its
// first use.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/status.h"
#include "ckpt/graph/graph.h"

namespace ckpt {

struct GradientsOptions {
  // Name scope of the added nodes (made unique: "gradients", "gradients_1", ...).
  // Default: "gradients".
  std::string name = "gradients";
  // Wrap the input gradients of each op with more than one of them in a tuple
  // (group_deps NoOp + control_dependency Identities), as Optimizer.compute_gradients with
  // GATE_OP does. Default: false (tf.gradients' default).
  bool gate_gradients = false;
};

// d(sum ys)/d(xs): one Output per x, in order; an invalid Output (valid() == false) for an x
// the ys do not depend on (TF's None). `grad_ys`, when given, has one entry per y (an invalid
// entry means "ones"); otherwise each y's gradient is ones of y's shape.
// xs may be resource variable handles (VarHandleOp outputs): their gradient is the gradient of
// the ReadVariableOps that read them.
// Errors: InvalidArgument (invalid y/x handle, grad_ys size or dtype mismatch, a y that is
// not a float tensor), NotFound (an op on the path has no registered gradient: "No gradient
// defined for operation 'x' (op type: Foo)"), or the graph's sticky error.
StatusOr<std::vector<Output>> Gradients(Graph& g, const std::vector<Output>& ys,
                                        const std::vector<Output>& xs,
                                        const std::vector<Output>& grad_ys = {},
                                        const GradientsOptions& options = {});

// How the gradient registry knows an op type.
enum class GradientRegistration {
  kUnknown,     // not registered: Gradients() fails if it needs it
  kNoGradient,  // registered as not differentiable (gradient is None)
  kFunction,    // has a gradient function
};
GradientRegistration LookupGradientRegistration(std::string_view op);
// Op types registered with a gradient function (sorted).
std::vector<std::string> OpsWithGradient();

}  // namespace ckpt
