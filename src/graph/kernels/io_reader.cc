#include "graph/kernels/io_reader.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "ckpt/format/bundle.h"
#include "ckpt/format/checkpoint_reader.h"
#include "ckpt/format/tensor_slice.h"

namespace ckpt {

namespace {

// Parses "d0 d1 ... dk-1 slice" (TF's shape_and_slice); fills the full shape and slice.
Status ParseShapeAndSlice(std::string_view spec, TensorShape* full, TensorSlice* slice) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t sp = spec.find(' ', start);
    if (sp == std::string_view::npos) sp = spec.size();
    if (sp > start) parts.emplace_back(spec.substr(start, sp - start));
    start = sp + 1;
  }
  if (parts.empty()) {
    return InvalidArgumentError("malformed shape_and_slice '" + std::string(spec) + "'");
  }
  std::vector<int64_t> dims;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    char* end = nullptr;
    long long d = std::strtoll(parts[i].c_str(), &end, 10);
    if (end == parts[i].c_str() || *end != '\0' || d < 0) {
      return InvalidArgumentError("malformed shape_and_slice '" + std::string(spec) +
                                  "': bad dimension '" + parts[i] + "'");
    }
    dims.push_back(d);
  }
  auto shape = TensorShape::FromDims(dims);
  if (!shape.ok()) return shape.status();
  *full = *shape;
  auto s = TensorSlice::Parse(parts.back());
  if (!s.ok()) return s.status();
  if (s->rank() != static_cast<int>(dims.size())) {
    return InvalidArgumentError("shape_and_slice '" + std::string(spec) +
                                "': slice rank differs from shape rank");
  }
  *slice = *s;
  return Status::OK();
}

class BundleSource final : public RestoreSource {
 public:
  explicit BundleSource(std::unique_ptr<BundleReader> r) : r_(std::move(r)) {}
  std::string_view format() const override { return "V2"; }
  StatusOr<Tensor> Lookup(std::string_view key) const override {
    if (!r_->Contains(key)) {
      return NotFoundError("Key " + std::string(key) + " not found in checkpoint " + r_->prefix());
    }
    return r_->Lookup(key);
  }
  StatusOr<Tensor> LookupSlice(std::string_view key,
                               std::string_view shape_and_slice) const override {
    if (shape_and_slice.empty()) return Lookup(key);
    TensorShape full;
    TensorSlice slice;
    CKPT_RETURN_IF_ERROR(ParseShapeAndSlice(shape_and_slice, &full, &slice));
    CKPT_ASSIGN_OR_RETURN(BundleEntryInfo e, r_->GetEntry(key));
    if (e.shape != full) {
      return InvalidArgumentError("tensor " + std::string(key) + " in checkpoint " + r_->prefix() +
                                  " has shape " + e.shape.DebugString() +
                                  ", the restore op expects full shape " + full.DebugString());
    }
    return r_->LookupSlice(key, slice);
  }

 private:
  std::unique_ptr<BundleReader> r_;
};

class V1Source final : public RestoreSource {
 public:
  V1Source(std::unique_ptr<CheckpointReader> r, std::string prefix)
      : r_(std::move(r)), prefix_(std::move(prefix)) {}
  std::string_view format() const override { return "V1"; }
  StatusOr<Tensor> Lookup(std::string_view key) const override {
    if (!r_->Contains(key)) {
      return NotFoundError("Key " + std::string(key) + " not found in checkpoint " + prefix_);
    }
    return r_->Lookup(key);
  }
  StatusOr<Tensor> LookupSlice(std::string_view key,
                               std::string_view shape_and_slice) const override {
    if (!shape_and_slice.empty()) {
      TensorShape full;
      TensorSlice slice;
      CKPT_RETURN_IF_ERROR(ParseShapeAndSlice(shape_and_slice, &full, &slice));
      if (!slice.IsFull()) {
        return UnimplementedError("restoring a slice of " + std::string(key) +
                                  " from the V1 checkpoint " + prefix_ + " is not supported");
      }
    }
    return Lookup(key);
  }

 private:
  std::unique_ptr<CheckpointReader> r_;
  std::string prefix_;
};

}  // namespace

StatusOr<std::unique_ptr<RestoreSource>> OpenRestoreSource(Env* env, std::string_view prefix) {
  const std::string p(prefix);
  if (env->FileExists(BundleIndexFilename(p))) {
    CKPT_ASSIGN_OR_RETURN(auto reader, BundleReader::Open(env, p));
    return std::unique_ptr<RestoreSource>(new BundleSource(std::move(reader)));
  }
  auto v1 = OpenV1Checkpoint(env, p);
  if (!v1.ok()) {
    if (IsNotFound(v1.status())) {
      return NotFoundError("Failed to find any matching files for " + p);
    }
    return v1.status();
  }
  return std::unique_ptr<RestoreSource>(new V1Source(std::move(*v1), p));
}

}  // namespace ckpt
