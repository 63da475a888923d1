// OpenCheckpoint: V2 when PREFIX.index exists, else V1 (as TF's CheckpointReader).
#include "ckpt/format/checkpoint_reader.h"

#include "ckpt/format/bundle.h"

namespace ckpt {
namespace {

class V2Reader final : public CheckpointReader {
 public:
  explicit V2Reader(std::unique_ptr<BundleReader> reader) : reader_(std::move(reader)) {
    for (const std::string& key : reader_->keys()) {
      auto e = reader_->GetEntry(key);
      if (!e.ok()) continue;
      VariableInfo v;
      v.name = key;
      v.dtype = e->dtype;
      v.shape = e->shape;
      if (e->slices.empty()) {
        v.bytes = e->size;
      } else {
        v.bytes = e->shape.num_elements() * static_cast<int64_t>(DataTypeSize(e->dtype));
      }
      variables_.push_back(std::move(v));
    }
  }
  const std::vector<VariableInfo>& variables() const override { return variables_; }
  bool Contains(std::string_view name) const override { return reader_->Contains(name); }
  StatusOr<Tensor> Lookup(std::string_view name) const override { return reader_->Lookup(name); }
  std::string_view format() const override { return "V2"; }
  Status VerifyAll() const override { return reader_->VerifyAll(); }

 private:
  std::unique_ptr<BundleReader> reader_;
  std::vector<VariableInfo> variables_;
};

}  // namespace

StatusOr<std::unique_ptr<CheckpointReader>> OpenCheckpoint(Env* env, std::string_view prefix) {
  if (env->FileExists(BundleIndexFilename(prefix))) {
    CKPT_ASSIGN_OR_RETURN(auto reader, BundleReader::Open(env, prefix));
    return std::unique_ptr<CheckpointReader>(new V2Reader(std::move(reader)));
  }
  auto v1 = OpenV1Checkpoint(env, prefix);
  if (!v1.ok() && IsNotFound(v1.status())) {
    return NotFoundError("no checkpoint at " + std::string(prefix) + " (neither " +
                         BundleIndexFilename(prefix) + " nor V1 files exist)");
  }
  return v1;
}

}  // namespace ckpt
