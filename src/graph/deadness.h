// Dead tensors: how TF1 conditionals (tf.compat.v1.cond: Switch and Merge) execute, shared by
// the session's executor (session.cc, planned by session_planner.cc) and FunctionBody
// (function_runtime.cc), which runs the bodies of While loops raised from TF1 frames.
//
// A Switch passes its data input to output 1 when its predicate is true, else to output 0; the
// other output is dead (the kernel leaves it unset). A node with a dead data input, or a dead
// control input (a control edge is dead when its source node did not run), does not run and
// all its outputs are dead, except a Merge: it runs unless every data input is dead (its
// control inputs only order it) and passes on its first input that has a value. Fetching a
// dead tensor is an error naming it.
//
// Only nodes a Switch reaches (over data and control edges, the Switch included) can be dead;
// executors give those a DeadInputs and skip the checks for all others, so graphs without a
// Switch pay nothing. Dead bits live in one vector per run: a bit per value slot (the slot's
// index), then a bit per node that can be dead (read by control edges).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ckpt/core/status.h"
#include "graph/kernel.h"
#include "tensorflow/core/framework/node_def.pb.h"

namespace ckpt::deadness {

// The dead bits a node that can be dead reads and writes.
struct DeadInputs {
  std::vector<int> data;     // the slot of each data input (a slot never dead reads 0)
  std::vector<int> control;  // the node bit (or, for a node elided as an alias, the slot bit)
                             // of each control input that can be dead
  bool merge = false;        // Merge: dead only when every data input is; controls ignored
  int first_output = 0;      // the slot of output 0 (outputs' slots are consecutive)
  int num_outputs = 0;
  int node_bit = 0;  // this node's own bit: set when it does not run
};

// Whether a Switch starts dead tensors (the ops whose kernels may leave an output unset).
bool IsSwitch(std::string_view op);

// Whether the node of `d` must not run, given the bits set so far in this run. When so, marks
// its outputs and itself dead and leaves its output slots empty.
bool SkipIfDead(const DeadInputs& d, std::vector<char>& dead, TensorValue* outputs);

// After a node ran: checks each output was set to a value of its declared type (TF int32
// types: refs and resources included), naming the node otherwise. With `d` (the node can be
// dead): a Switch's unset output is marked dead, every other output and the node live.
Status FinishOutputs(const tensorflow::NodeDef& node, const std::vector<int32_t>& output_types,
                     const TensorValue* outputs, const DeadInputs* d, std::vector<char>* dead);

// The error for reading a dead value where one is required: `what` names it ("fetch 'x:0'").
Status DeadValueError(std::string_view what, std::string_view node);

}  // namespace ckpt::deadness
