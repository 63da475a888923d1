// V1 checkpoint writer for the SaveSlices / Save kernels (TF's TensorSliceWriter layout):
// one LevelDB-format table; key "" holds SavedTensorSlices{meta} listing every tensor (name,
// shape, dtype, one full slice), and key EncodeTensorNameSlice(name, slice) holds
// SavedTensorSlices{data} with the values in the TensorProto's typed fields (V1 readers do not
// read tensor_content). Written under a temporary name and renamed into place.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "format/bundle/bundle_util.h"
#include "format/bundle/slice_key.h"
#include "format/table/table.h"
#include "graph/kernels/io_reader.h"
#include "tensorflow/core/util/saved_tensor_slice.pb.h"

namespace ckpt {

namespace {

Status FillValues(const std::string& name, const Tensor& t, tensorflow::TensorProto* p) {
  const int64_t n = t.num_elements();
  switch (t.dtype()) {
    case DataType::kFloat:
      for (int64_t i = 0; i < n; ++i) p->add_float_val(t.data<float>()[i]);
      break;
    case DataType::kDouble:
      for (int64_t i = 0; i < n; ++i) p->add_double_val(t.data<double>()[i]);
      break;
    case DataType::kInt32:
      for (int64_t i = 0; i < n; ++i) p->add_int_val(t.data<int32_t>()[i]);
      break;
    case DataType::kInt16:
      for (int64_t i = 0; i < n; ++i) p->add_int_val(t.data<int16_t>()[i]);
      break;
    case DataType::kInt8:
      for (int64_t i = 0; i < n; ++i) p->add_int_val(t.data<int8_t>()[i]);
      break;
    case DataType::kUInt8:
      for (int64_t i = 0; i < n; ++i) p->add_int_val(t.data<uint8_t>()[i]);
      break;
    case DataType::kInt64:
      for (int64_t i = 0; i < n; ++i) p->add_int64_val(t.data<int64_t>()[i]);
      break;
    case DataType::kBool:
      for (int64_t i = 0; i < n; ++i) p->add_bool_val(t.data<bool>()[i]);
      break;
    case DataType::kString:
      for (int64_t i = 0; i < n; ++i) p->add_string_val(t.strings()[i]);
      break;
    default:
      return UnimplementedError("V1 checkpoints cannot hold tensor " + name + " of dtype " +
                                std::string(DataTypeName(t.dtype())));
  }
  return Status::OK();
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
    bundle::ShapeToProto(t.shape(), m->mutable_shape());
    m->set_type(static_cast<tensorflow::DataType>(t.dtype()));
    bundle::SliceToProto(full, m->add_slice());
    tensorflow::SavedTensorSlices data;
    auto* d = data.mutable_data();
    d->set_name(names[i]);
    bundle::SliceToProto(full, d->mutable_slice());
    CKPT_RETURN_IF_ERROR(FillValues(names[i], t, d->mutable_data()));
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
