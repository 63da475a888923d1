// FunctionDef instantiation and inlining. The input is a serialized GraphDef whose library
// holds the functions: InlineFunctionCalls rewrites it (calls replaced by bodies, attr
// placeholders bound), the graph is built from it (which inlines again and checks the If /
// Case / While bodies), and run once (graph_run.h), which instantiates the bodies of
// functional control flow inside their kernels.
#include <memory>

#include "ckpt/core/env.h"
#include "ckpt/graph/graph.h"
#include "graph/function_library.h"
#include "graph_run.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  const std::string_view bytes = in.Rest();
  tensorflow::GraphDef def;
  if (!def.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return 0;
  (void)InlineFunctionCalls(&def);
  auto graph = Graph::FromGraphDef(bytes);
  if (!graph.ok()) return 0;
  std::unique_ptr<Env> env = NewMemEnv();
  fuzz::RunOnce(*graph, env.get(), bytes.substr(0, 64));
  return 0;
}
