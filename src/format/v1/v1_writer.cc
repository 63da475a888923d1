// V1 checkpoint writer (TF's TensorSliceWriter layout); see ckpt/format/v1_writer.h.
#include "ckpt/format/v1_writer.h"

#include <map>
#include <string>
#include <vector>

#include "ckpt/format/tensor_proto.h"
#include "format/bundle/slice_key.h"
#include "format/bundle/slice_math.h"
#include "format/table/table.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"
#include "tensorflow/core/util/saved_tensor_slice.pb.h"

namespace ckpt {

namespace {

// The dtypes TF's V1 writer stores (in typed TensorProto fields).
bool V1CanHold(DataType dt) {
  switch (dt) {
    case DataType::kFloat:
    case DataType::kDouble:
    case DataType::kInt32:
    case DataType::kInt16:
    case DataType::kInt8:
    case DataType::kUInt8:
    case DataType::kInt64:
    case DataType::kBool:
    case DataType::kString: return true;
    default: return false;
  }
}

}  // namespace

Status WriteV1Checkpoint(Env* env, const std::string& filename,
                         const std::vector<std::string>& names,
                         const std::vector<const Tensor*>& tensors) {
  tensorflow::SavedTensorSlices meta;
  std::map<std::string, std::string> records;  // sorted by encoded key
  for (size_t i = 0; i < names.size(); ++i) {
    const Tensor& t = *tensors[i];
    const TensorSlice full(t.shape().rank());
    auto* m = meta.mutable_meta()->add_tensor();
    m->set_name(names[i]);
    ShapeToProto(t.shape(), m->mutable_shape());
    m->set_type(static_cast<tensorflow::DataType>(t.dtype()));
    bundle::SliceToProto(full, m->add_slice());
    tensorflow::SavedTensorSlices data;
    auto* d = data.mutable_data();
    d->set_name(names[i]);
    bundle::SliceToProto(full, d->mutable_slice());
    if (!V1CanHold(t.dtype())) {
      return UnimplementedError("V1 checkpoints cannot hold tensor " + names[i] + " of dtype " +
                                std::string(DataTypeName(t.dtype())));
    }
    AppendTensorValues(t, 0, t.num_elements(), d->mutable_data());
    std::string key = bundle::EncodeTensorNameSlice(names[i], full);
    if (!records.emplace(std::move(key), data.SerializeAsString()).second) {
      return InvalidArgumentError("tensor " + names[i] + " saved twice in " + filename);
    }
  }
  meta.mutable_meta()->mutable_versions()->set_producer(1);

  const std::string tmp = filename + ".tempstate" + std::to_string(env->NowMicros());
  {
    CKPT_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(tmp));
    auto builder = table::TableBuilder::Create(file.get());
    Status s = builder->Add("", meta.SerializeAsString());
    for (const auto& [k, v] : records) {
      if (s.ok()) s = builder->Add(k, v);
    }
    if (s.ok()) s = builder->Finish();
    if (s.ok()) s = file->Close();
    if (!s.ok()) {
      (void)env->DeleteFile(tmp);
      return s.WithContext("writing V1 checkpoint " + filename);
    }
  }
  Status s = env->RenameFile(tmp, filename);
  if (!s.ok()) (void)env->DeleteFile(tmp);
  return s;
}

}  // namespace ckpt
