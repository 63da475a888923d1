// MetaGraphDef import and one run. The input is a serialized MetaGraphDef (a `.meta` file):
// it is inspected and imported (graph, collections, saver_def, signatures), then run once
// with small feeds for every Placeholder, fetching the sink nodes (graph_run.h: loops and
// large static shapes are not run). File ops (SaveV2, RestoreV2, MergeV2Checkpoints) see only
// a memory Env.
#include <memory>

#include "ckpt/core/env.h"
#include "ckpt/metagraph/meta_graph.h"
#include "ckpt/metagraph/saver.h"
#include "graph_run.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  const std::string_view bytes = in.Rest();
  (void)InspectMetaGraph(bytes);
  std::unique_ptr<Env> env = NewMemEnv();
  MetaGraphImportOptions options;
  options.env = env.get();
  auto imported = ImportMetaGraphFromBytes(bytes, options);
  if (!imported.ok()) return 0;
  fuzz::RunOnce(*imported->graph, env.get(), bytes.substr(0, 64));
  return 0;
}
