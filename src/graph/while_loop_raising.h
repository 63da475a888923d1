// TF1 while loops (tf.compat.v1.while_loop with control flow v2 disabled) raised into While
// nodes when a graph is imported.
//
// A TF1 loop is a frame of nodes: `Enter` (frame_name F) brings each loop variable into the
// frame, `Merge(Enter, NextIteration)` joins it with the next iteration's value, the condition
// computes a `LoopCond`, a `Switch(Merge, LoopCond)` sends the value to the body (output 1) or
// to an `Exit` (output 0), and the body's result goes back through `NextIteration`. Values the
// loop only reads enter through `Enter` with is_constant true. The session runs a sequential
// plan, which cannot iterate, so each frame becomes what control flow v2 writes for the same
// loop: a `While` node whose `cond` and `body` are FunctionDefs added to the graph's library,
// run by the While kernel (kernels/functional_kernels.cc):
//  - the loop variables are the Merges' values (in the order of their Enters), then one per
//    constant Enter, which the body returns unchanged; the While's inputs are the Enters'
//    inputs, its control inputs theirs;
//  - `cond` computes the LoopCond's input from the loop variables, `body` the NextIterations'
//    inputs; in both, a Merge (output 0) or its Switch's output 1 reads the loop variable and
//    a constant Enter its extra loop variable; the frame's nodes keep their names and attrs;
//  - the While's output_shapes are unknown (a loop variable may change shape across
//    iterations under shape invariants);
//  - each Exit becomes an Identity of the While's output (same name, so fetches and
//    consumers are unchanged); the frame's other nodes leave the graph for the functions (a
//    tensor inside a loop cannot be fetched in TF either).
// Frames nested in frames are raised innermost first, so an outer body holds the inner loop
// as a While node; conditionals (Switch/Merge on other predicates) inside a body stay as they
// are and run with dead tensors (graph/deadness.h).
//
// Errors (InvalidArgument, naming the node and what was expected): a node whose inputs come
// from different frames, an Enter without frame_name or whose frame is entered from two
// parent frames, an Exit or NextIteration outside any loop, a frame without exactly one
// LoopCond, a loop Merge without its Enter and NextIteration, a Merge without its Switch on
// the LoopCond, an Exit that does not read output 0 of such a Switch, a loop value read where
// a body or condition cannot read it (a non-constant Enter, a Switch's output 0, value_index).
// Unimplemented: the Ref forms (RefEnter, RefSwitch, ...: ref variables updated in a loop).
#pragma once

#include "ckpt/core/status.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace ckpt {

// Raises every while-loop frame of `graph` into a While node (see above). A graph without
// Enter, Exit, NextIteration or LoopCond nodes is left unchanged. A graph with a cycle that
// is not a loop's back edge is left unchanged too (the import's cycle check reports it).
Status RaiseWhileLoops(tensorflow::GraphDef* graph);

}  // namespace ckpt
