// Reader for TF's V1 checkpoints (TensorSliceWriter tables, docs/format/bundle.md "V1").
// Every file matching the pattern is a table: key "" holds SavedTensorSlices{meta} (the list
// of tensors and their slices), every other key EncodeTensorNameSlice(name, slice) holds a
// SavedTensorSlices{data} whose TensorProto carries the values in typed fields.
#include <algorithm>
#include <cstring>
#include <map>

#include "ckpt/core/file_pattern.h"
#include "ckpt/format/checkpoint_reader.h"
#include "ckpt/format/tensor_proto.h"
#include "format/bundle/slice_key.h"
#include "format/bundle/slice_math.h"
#include "format/bundle/versions.h"
#include "format/table/table.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"
#include "tensorflow/core/util/saved_tensor_slice.pb.h"

namespace ckpt {
namespace {

// Version history of V1 (SavedTensorSliceMeta.versions): producer 0 before versioning,
// producer 1 (TF_CHECKPOINT_VERSION) since; min_consumer 0.
constexpr int kV1Version = 1;
constexpr int kV1MinProducer = 0;

using bundle::PrintableKey;

struct V1Tensor {
  CheckpointTensorInfo info;
  std::vector<TensorSlice> slices;
};

// The dtypes whose values V1 records carry in a typed TensorProto field.
bool V1HasValueField(DataType dt) {
  switch (dt) {
    case DataType::kFloat:
    case DataType::kDouble:
    case DataType::kInt32:
    case DataType::kQInt32:
    case DataType::kInt16:
    case DataType::kQInt16:
    case DataType::kUInt16:
    case DataType::kQUInt16:
    case DataType::kInt8:
    case DataType::kQInt8:
    case DataType::kUInt8:
    case DataType::kQUInt8:
    case DataType::kInt64:
    case DataType::kUInt32:
    case DataType::kUInt64:
    case DataType::kBool:
    case DataType::kHalf:
    case DataType::kBFloat16:
    case DataType::kComplex64:
    case DataType::kComplex128:
    case DataType::kString: return true;
    default: return false;
  }
}

class V1Reader final : public CheckpointReader {
 public:
  static StatusOr<std::unique_ptr<CheckpointReader>> Open(Env* env, std::string_view pattern);

  const std::vector<CheckpointTensorInfo>& variables() const override { return variables_; }
  bool Contains(std::string_view name) const override {
    return tensors_.count(std::string(name)) > 0;
  }
  StatusOr<Tensor> Lookup(std::string_view name) const override;
  std::string_view format() const override { return "V1"; }
  Status VerifyAll() const override {
    for (const auto& v : variables_) CKPT_RETURN_IF_ERROR(Lookup(v.name).status());
    return Status();
  }

 private:
  Status AddFile(Env* env, const std::string& file);
  Status DecodeValues(const std::string& name, const tensorflow::TensorProto& proto, DataType dtype,
                      int64_t count, Tensor* out) const;

  std::string pattern_;
  std::map<std::string, V1Tensor> tensors_;
  std::map<std::string, std::pair<std::string, std::string>> records_;  // key -> (file, value)
  std::vector<CheckpointTensorInfo> variables_;
};

Status V1Reader::AddFile(Env* env, const std::string& file) {
  CKPT_ASSIGN_OR_RETURN(auto raf, env->NewRandomAccessFile(file));
  auto table = table::TableReader::Open(std::move(raf));
  if (!table.ok()) {
    return Status(table.status().code(), "unable to read V1 checkpoint file " + file + ": " +
                                             std::string(table.status().message()));
  }
  bool have_meta = false;
  return (*table)->ForEach([&](std::string_view key, std::string_view value) -> Status {
    if (!have_meta) {
      tensorflow::SavedTensorSlices sts;
      if (!key.empty() || !sts.ParseFromArray(value.data(), static_cast<int>(value.size())) ||
          !sts.has_meta()) {
        return DataLossError("V1 checkpoint file " + file + " has no valid metadata entry");
      }
      have_meta = true;
      CKPT_RETURN_IF_ERROR(bundle::CheckVersions(sts.meta().versions(), kV1Version, kV1MinProducer,
                                                 "checkpoint file " + file));
      for (const auto& t : sts.meta().tensor()) {
        const std::string what = "tensor " + PrintableKey(t.name()) + " in " + file;
        int32_t dt = static_cast<int32_t>(t.type());
        if (!IsValidDataType(dt) || !(DataTypeIsPod(static_cast<DataType>(dt)) ||
                                      static_cast<DataType>(dt) == DataType::kString)) {
          return DataLossError(what + " has unsupported dtype " + std::to_string(dt));
        }
        auto shape = ShapeFromProto(t.shape());
        if (!shape.ok()) {
          return DataLossError(what +
                               " has an invalid shape: " + std::string(shape.status().message()));
        }
        auto [it, inserted] = tensors_.try_emplace(t.name());
        V1Tensor& v = it->second;
        if (inserted) {
          v.info.name = t.name();
          v.info.dtype = static_cast<DataType>(dt);
          v.info.shape = *shape;
        } else if (v.info.dtype != static_cast<DataType>(dt) || !(v.info.shape == *shape)) {
          return DataLossError(what + " disagrees with another file about its dtype or shape");
        }
        for (const auto& sp : t.slice()) {
          auto slice = bundle::SliceFromProto(sp, *shape);
          if (!slice.ok())
            return DataLossError(what + ": " + std::string(slice.status().message()));
          TensorSlice resolved = bundle::ResolveSlice(*slice, *shape);
          for (const TensorSlice& other : v.slices) {
            if (resolved.Intersect(bundle::ResolveSlice(other, *shape), nullptr)) {
              return DataLossError(what + " has overlapping slices");
            }
          }
          if (v.info.dtype == DataType::kString && !slice->CoversAll(*shape)) {
            return UnimplementedError(
                what + ": partitioned string tensors are not supported (as in TensorFlow)");
          }
          v.slices.push_back(std::move(*slice));
        }
      }
      return Status();
    }
    records_[std::string(key)] = {file, std::string(value)};
    return Status();
  });
}

StatusOr<std::unique_ptr<CheckpointReader>> V1Reader::Open(Env* env, std::string_view pattern) {
  auto reader = std::unique_ptr<V1Reader>(new V1Reader());
  reader->pattern_ = std::string(pattern);
  CKPT_ASSIGN_OR_RETURN(std::vector<std::string> files, MatchingFiles(env, pattern));
  if (files.empty()) {
    return NotFoundError("no checkpoint files match " + reader->pattern_);
  }
  for (const std::string& f : files) CKPT_RETURN_IF_ERROR(reader->AddFile(env, f));
  for (auto& [name, t] : reader->tensors_) {
    t.info.bytes = t.info.shape.num_elements() * static_cast<int64_t>(DataTypeSize(t.info.dtype));
    reader->variables_.push_back(t.info);
  }
  return std::unique_ptr<CheckpointReader>(std::move(reader));
}

Status V1Reader::DecodeValues(const std::string& what, const tensorflow::TensorProto& p,
                              DataType dtype, int64_t count, Tensor* out) const {
  auto mismatch = [&](int64_t got) {
    return DataLossError(what + " holds " + std::to_string(got) + " values, expected " +
                         std::to_string(count));
  };
  const size_t elem = DataTypeSize(dtype);
  if (!p.tensor_content().empty() && DataTypeIsPod(dtype)) {
    if (p.tensor_content().size() != static_cast<uint64_t>(count) * elem) {
      return mismatch(static_cast<int64_t>(p.tensor_content().size() / std::max<size_t>(elem, 1)));
    }
    std::memcpy(out->raw_data(), p.tensor_content().data(), p.tensor_content().size());
    return Status();
  }
  if (!V1HasValueField(dtype)) {
    return UnimplementedError(what + ": dtype " + std::string(DataTypeName(dtype)) +
                              " is not supported in V1 checkpoints");
  }
  const int64_t got = TypedValueCount(p, dtype);
  if (got != count) return mismatch(got);
  CopyTypedValues(p, count, out);
  return Status();
}

StatusOr<Tensor> V1Reader::Lookup(std::string_view name) const {
  auto it = tensors_.find(std::string(name));
  if (it == tensors_.end()) {
    return NotFoundError("tensor name \"" + PrintableKey(name) +
                         "\" not found in checkpoint files " + pattern_);
  }
  const V1Tensor& t = it->second;
  const DataType dtype = t.info.dtype;
  // Every value takes at least one byte of its record: bound the allocation by the records.
  uint64_t record_bytes = 0;
  for (const TensorSlice& slice : t.slices) {
    auto rec = records_.find(bundle::EncodeTensorNameSlice(t.info.name, slice));
    if (rec != records_.end()) record_bytes += rec->second.second.size();
  }
  if (static_cast<uint64_t>(t.info.shape.num_elements()) > record_bytes) {
    return DataLossError("V1 checkpoint " + pattern_ + " holds too little data for " +
                         PrintableKey(name) + " of shape " + t.info.shape.DebugString());
  }
  CKPT_ASSIGN_OR_RETURN(Tensor out, Tensor::Allocate(dtype, t.info.shape));
  const TensorSlice full = bundle::ResolveSlice(TensorSlice(t.info.shape.rank()), t.info.shape);
  int64_t covered = 0;
  for (const TensorSlice& slice : t.slices) {
    const std::string key = bundle::EncodeTensorNameSlice(t.info.name, slice);
    auto rec = records_.find(key);
    const std::string what =
        "V1 record of " + PrintableKey(name) + " slice \"" + slice.ToString() + "\"";
    if (rec == records_.end()) return DataLossError(what + " is missing from " + pattern_);
    tensorflow::SavedTensorSlices sts;
    const std::string& value = rec->second.second;
    if (!sts.ParseFromArray(value.data(), static_cast<int>(value.size())) || !sts.has_data()) {
      return DataLossError(what + " in " + rec->second.first + " is not parseable");
    }
    CKPT_ASSIGN_OR_RETURN(TensorShape slice_shape, slice.SliceShape(t.info.shape));
    const int64_t count = slice_shape.num_elements();
    if (slice.CoversAll(t.info.shape)) {
      CKPT_RETURN_IF_ERROR(
          DecodeValues(what + " in " + rec->second.first, sts.data().data(), dtype, count, &out));
    } else {
      CKPT_ASSIGN_OR_RETURN(Tensor part, Tensor::Allocate(dtype, slice_shape));
      CKPT_RETURN_IF_ERROR(
          DecodeValues(what + " in " + rec->second.first, sts.data().data(), dtype, count, &part));
      TensorSlice resolved = bundle::ResolveSlice(slice, t.info.shape);
      bundle::CopyRegion(DataTypeSize(dtype), part.raw_data(), resolved, out.raw_data(), full,
                         resolved);
    }
    covered += count;
  }
  if (covered != t.info.shape.num_elements()) {
    return DataLossError("V1 checkpoint " + pattern_ + " does not have sufficient slices for " +
                         PrintableKey(name));
  }
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<CheckpointReader>> OpenV1Checkpoint(Env* env, std::string_view pattern) {
  return V1Reader::Open(env, pattern);
}

}  // namespace ckpt
