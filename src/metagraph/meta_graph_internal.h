// Protobuf-level helpers shared by the metagraph layer's sources (not a public header).
#pragma once

#include <string>
#include <vector>

#include "ckpt/core/status.h"
#include "ckpt/metagraph/meta_graph.h"
#include "ckpt/metagraph/saver.h"
#include "tensorflow/core/framework/graph.pb.h"
#include "tensorflow/core/protobuf/meta_graph.pb.h"
#include "tensorflow/core/protobuf/saver.pb.h"

namespace ckpt {

void SaverDefToProto(const SaverDef& d, tensorflow::SaverDef* p);
SaverDef SaverDefFromProto(const tensorflow::SaverDef& p);

// Ops of `def`'s nodes without a registered OpDef or CPU kernel, sorted and deduplicated.
std::vector<std::string> UnsupportedOps(const tensorflow::GraphDef& def);
// Unimplemented "graph uses N ops that cannot run here (...): A, B".
Status UnsupportedOpsError(const std::vector<std::string>& ops);

StatusOr<MetaGraphInfo> InspectMetaGraphProto(const tensorflow::MetaGraphDef& mg);
StatusOr<ImportedMetaGraph> ImportMetaGraphProto(tensorflow::MetaGraphDef mg,
                                                 const MetaGraphImportOptions& options);

}  // namespace ckpt
