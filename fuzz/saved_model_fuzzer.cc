// SavedModel loading, TF2 function libraries included. Input: uint32 length and the
// `saved_model.pb` bytes, uint32 length and `variables/variables.index`, then
// `variables/variables.data-00000-of-00001` (empty parts are not written). The model is
// loaded from a memory Env with the tags of its first meta graph (variables restored, init op
// run), then every signature (at most 4) is run once on small inputs (graph_run.h caps).
#include <memory>
#include <string>

#include "ckpt/core/env.h"
#include "ckpt/metagraph/meta_graph.h"
#include "ckpt/metagraph/saved_model.h"
#include "graph_run.h"
#include "tensorflow/core/protobuf/saved_model.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  const std::string_view pb = in.LengthPrefixed();
  const std::string_view index = in.LengthPrefixed();
  const std::string_view shard = in.Rest();
  (void)InspectSavedModel(pb);

  std::unique_ptr<Env> env = NewMemEnv();
  fuzz::CheckOk(env->RecursivelyCreateDir("/m/variables"), "create dirs");
  fuzz::CheckOk(env->WriteStringToFile("/m/saved_model.pb", pb), "write saved_model.pb");
  if (!index.empty()) {
    fuzz::CheckOk(env->WriteStringToFile("/m/variables/variables.index", index), "write index");
    fuzz::CheckOk(env->WriteStringToFile("/m/variables/variables.data-00000-of-00001", shard),
                  "write data");
  }
  LoadOptions options;
  options.session.env = env.get();
  options.session.intra_op_threads = 1;
  tensorflow::SavedModel sm;
  if (sm.ParseFromArray(pb.data(), static_cast<int>(pb.size())) && sm.meta_graphs_size() > 0) {
    const auto& tags = sm.meta_graphs(0).meta_info_def().tags();
    options.tags.assign(tags.begin(), tags.end());
  }
  auto model = LoadSavedModel(env.get(), "/m", options);
  if (!model.ok()) return 0;
  if (!fuzz::Runnable(*(*model)->graph)) return 0;
  int runs = 0;
  for (const auto& [key, sig] : (*model)->signatures) {
    if (++runs > 4) break;
    std::map<std::string, Tensor> inputs;
    for (const auto& [name, info] : sig.inputs) {
      auto out = Output::Parse(info.name);
      if (!out.ok()) continue;
      auto t = fuzz::MakeFeed(*(*model)->graph, *out, pb.substr(0, 64));
      if (t.ok()) inputs.emplace(name, std::move(*t));
    }
    (void)(*model)->RunSignature(key, inputs);
  }
  return 0;
}
