// The object graph of a TF2 checkpoint (ParseObjectGraph: the serialized TrackableObjectGraph
// of `_CHECKPOINTABLE_OBJECT_GRAPH`, the input): children, attributes and slot variables that
// refer to any node, cycles, and graphs with very many paths. Every listed value must carry
// its checkpoint key.
#include "ckpt/checkpoint/object_graph.h"
#include "ckpt/core/tensor.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ckpt;
  fuzz::Input in(data, size);
  auto objects = ParseObjectGraph(Tensor::StringScalar(std::string(in.Rest())), "fuzz");
  if (!objects.ok()) return 0;
  for (size_t i = 1; i < objects->size(); ++i) {
    fuzz::Check((*objects)[i - 1].path <= (*objects)[i].path, "objects sorted by path");
  }
  return 0;
}
