// TF2 object graphs: object paths of a checkpoint's values (ckpt/checkpoint/object_graph.h).
#include "ckpt/checkpoint/object_graph.h"

#include <algorithm>

#include "ckpt/format/checkpoint_reader.h"
#include "tensorflow/core/protobuf/trackable_object_graph.pb.h"

namespace ckpt {

StatusOr<std::vector<CheckpointObject>> ParseObjectGraph(const Tensor& tensor,
                                                         const std::string& prefix) {
  if (tensor.dtype() != DataType::kString || tensor.num_elements() != 1) {
    return DataLossError("checkpoint " + prefix + ": " + std::string(kObjectGraphKey) +
                         " is not a string scalar");
  }
  const std::string& serialized = tensor.strings()[0];
  tensorflow::TrackableObjectGraph graph;
  if (!graph.ParseFromArray(serialized.data(), static_cast<int>(serialized.size())) ||
      serialized.size() > static_cast<size_t>(INT32_MAX)) {
    return DataLossError("checkpoint " + prefix + ": " + std::string(kObjectGraphKey) +
                         " is not a valid TrackableObjectGraph");
  }
  const int n = graph.nodes_size();
  auto bad_ref = [&](int from, int to) {
    return DataLossError("checkpoint " + prefix + ": object graph node " + std::to_string(from) +
                         " refers to node " + std::to_string(to) + " of " + std::to_string(n));
  };
  // Every path to every node, depth-first along children (a node reachable along several
  // paths, such as a variable both a layer and its optimizer track, is listed under each).
  // A hostile graph can have exponentially many paths: past kMaxPaths it is refused.
  constexpr size_t kMaxPaths = 1 << 18;
  constexpr size_t kMaxPathBytes = size_t{64} << 20;  // a deep chain's paths grow quadratically
  size_t path_bytes = 0;
  auto too_many = [&] {
    return DataLossError("checkpoint " + prefix + ": the object graph has more than " +
                         std::to_string(kMaxPaths) + " object paths or " +
                         std::to_string(kMaxPathBytes >> 20) + " MiB of them");
  };
  std::vector<std::vector<std::string>> paths(n);
  size_t total = 0;
  std::vector<char> on_stack(n, 0);
  struct Frame {
    int id;
    std::string path;
    int next_child = 0;
  };
  std::vector<Frame> stack;
  if (n > 0) {
    stack.push_back({0, ""});
    on_stack[0] = 1;
    paths[0].push_back("");
  }
  while (!stack.empty()) {
    Frame& f = stack.back();
    const auto& node = graph.nodes(f.id);
    if (f.next_child == node.children_size()) {
      on_stack[f.id] = 0;
      stack.pop_back();
      continue;
    }
    const auto& child = node.children(f.next_child++);
    const int c = child.node_id();
    if (c < 0 || c >= n) return bad_ref(f.id, c);
    if (on_stack[c]) continue;  // a cycle back to an ancestor
    path_bytes += f.path.size() + 1 + child.local_name().size();
    if (++total > kMaxPaths || path_bytes > kMaxPathBytes) return too_many();
    std::string p = f.path.empty() ? child.local_name() : f.path + "/" + child.local_name();
    paths[c].push_back(p);
    on_stack[c] = 1;
    stack.push_back({c, std::move(p)});  // invalidates f
  }
  // Slot variables: under each path of their variable, then the optimizer's first path and
  // the slot's name (TF's key for them).
  for (int id = 0; id < n; ++id) {
    for (const auto& slot : graph.nodes(id).slot_variables()) {
      const int var = slot.original_variable_node_id(), sv = slot.slot_variable_node_id();
      if (var < 0 || var >= n) return bad_ref(id, var);
      if (sv < 0 || sv >= n) return bad_ref(id, sv);
      if (paths[id].empty()) continue;
      for (size_t i = 0, m = paths[var].size(); i < m; ++i) {
        path_bytes += paths[var][i].size() + paths[id][0].size() + slot.slot_name().size() + 17;
        if (++total > kMaxPaths || path_bytes > kMaxPathBytes) return too_many();
        paths[sv].push_back(paths[var][i] + "/.OPTIMIZER_SLOT/" + paths[id][0] + "/" +
                            slot.slot_name());
      }
    }
  }
  std::vector<CheckpointObject> out;
  for (int id = 0; id < n; ++id) {
    for (const auto& attr : graph.nodes(id).attributes()) {
      std::vector<std::string> node_paths = paths[id];
      if (node_paths.empty()) {
        // An unreachable node keeps the name TF gave its key.
        std::string p = attr.checkpoint_key();
        const size_t at = p.rfind("/.ATTRIBUTES/");
        if (at != std::string::npos) p.resize(at);
        node_paths.push_back(std::move(p));
      }
      for (const std::string& p : node_paths) {
        CheckpointObject o;
        o.attribute = attr.name();
        o.key = attr.checkpoint_key();
        o.path = o.attribute == "VARIABLE_VALUE"
                     ? p
                     : (p.empty() ? "" : p + "/") + ".ATTRIBUTES/" + o.attribute;
        out.push_back(std::move(o));
      }
    }
  }
  std::sort(out.begin(), out.end(),
            [](const CheckpointObject& a, const CheckpointObject& b) { return a.path < b.path; });
  return out;
}

StatusOr<std::vector<CheckpointObject>> ReadObjectGraph(Env* env, const std::string& prefix) {
  CKPT_ASSIGN_OR_RETURN(auto reader, OpenCheckpoint(env, prefix));
  if (!reader->Contains(kObjectGraphKey)) {
    return NotFoundError("checkpoint " + prefix + " has no " + std::string(kObjectGraphKey) +
                         " (it is name-based, not a TF2 object-based checkpoint)");
  }
  CKPT_ASSIGN_OR_RETURN(Tensor t, reader->Lookup(kObjectGraphKey));
  return ParseObjectGraph(t, prefix);
}

}  // namespace ckpt
